//! What callers read, in English or Indonesian, from one catalogue: `locales/messages.yml`
//! (rust-i18n, compiled into the binary). A message is written in the code in English, where it
//! is used, and that English is its key in the catalogue (as gettext does): `text!("must be 16
//! digits")`, or with named parts, `text!("no %{what} %{id}", what = "child", id = id)`. It is
//! rendered in the caller's language only when the answer is written.
//! `tests/api/catalogue.rs` finds every `text!` in the source and fails when one has no
//! Indonesian in the catalogue.

mod serde_message;

use std::fmt;

pub use serde_message::from_serde;

/// The languages answers are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Id,
}

impl Lang {
    /// The BCP 47 tag, for `Content-Language`.
    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Id => "id",
        }
    }

    /// The language of a primary language subtag we write in (`in` is Indonesian's old code).
    pub fn from_primary(subtag: &str) -> Option<Self> {
        match subtag.to_ascii_lowercase().as_str() {
            "en" => Some(Self::En),
            "id" | "in" => Some(Self::Id),
            _ => None,
        }
    }
}

/// A part of a message: plain (a number, a code, an id), or a message of its own, rendered in
/// the same language.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Plain(String),
    Text(Text),
}

/// A message to render in the caller's language: its English (the catalogue key) and its parts.
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    key: &'static str,
    parts: Vec<(&'static str, Part)>,
}

/// A `Text`: `text!("english")`, `text!("no %{what}", what = value)` (a value shown as it is) or
/// `text!("no %{what}", what => text!("child"))` (a message rendered in the same language).
#[macro_export]
macro_rules! text {
    ($key:literal) => {
        $crate::i18n::Text::new($key, ::std::vec::Vec::new())
    };
    ($key:literal, $($name:ident $arrow:tt $value:expr),+ $(,)?) => {
        $crate::i18n::Text::new($key, ::std::vec![$((stringify!($name), $crate::text!(@part $arrow $value))),+])
    };
    (@part = $value:expr) => { $crate::i18n::Part::Plain(::std::string::ToString::to_string(&$value)) };
    (@part => $value:expr) => { $crate::i18n::Part::Text($value) };
}

/// An error type whose message is a catalogue text: `Into<Text>` for answers, `Display`
/// (English) and `Error` for logs. `text_error!(NikError, |_e| text!("must be 16 digits"))`.
#[macro_export]
macro_rules! text_error {
    ($ty:ty, |$this:ident| $text:expr) => {
        impl ::std::convert::From<$ty> for $crate::i18n::Text {
            fn from($this: $ty) -> Self {
                $text
            }
        }
        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&$crate::i18n::Text::from(self.clone()), f)
            }
        }
        impl ::std::error::Error for $ty {}
    };
}

impl Text {
    pub fn new(key: &'static str, parts: Vec<(&'static str, Part)>) -> Self {
        Self { key, parts }
    }

    /// The message in `lang`: the catalogue's text (English is the key itself) with its parts.
    pub fn render(&self, lang: Lang) -> String {
        let template = match lang {
            Lang::En => self.key.into(),
            Lang::Id => phrase(self.key, lang),
        };
        if self.parts.is_empty() {
            return template;
        }
        let names: Vec<&str> = self.parts.iter().map(|(name, _)| *name).collect();
        let values: Vec<String> = self
            .parts
            .iter()
            .map(|(_, part)| match part {
                Part::Plain(value) => value.clone(),
                Part::Text(text) => text.render(lang),
            })
            .collect();
        rust_i18n::replace_patterns(&template, &names, &values)
    }
}

/// English: what logs and the import journal hold.
impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

/// `key` in `lang`, or the key itself (its English) when the catalogue has no text for it: a
/// `Text`'s template, or a phrase known only at run time (a status's reason).
pub fn phrase(key: &str, lang: Lang) -> String {
    crate::_rust_i18n_try_translate(lang.tag(), key).map_or_else(|| key.to_owned(), |text| text.into_owned())
}

/// Whether the catalogue has `key` in `lang`.
pub fn has(key: &str, lang: Lang) -> bool {
    crate::_rust_i18n_try_translate(lang.tag(), key).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_render_in_either_language_with_their_parts() {
        let message = text!("a different %{what} already has id %{id}", what => text!("child"), id = 42);
        assert_eq!(message.render(Lang::En), "a different child already has id 42");
        assert_eq!(message.render(Lang::Id), "anak lain sudah memakai id 42");
        assert_eq!(message.to_string(), "a different child already has id 42");
        assert_eq!(Lang::from_primary("IN"), Some(Lang::Id));
        assert_eq!(Lang::from_primary("fr"), None);
    }
}
