//! serde's own messages (a body or query that does not deserialize) as `Text`. serde writes
//! them in English from a handful of templates (`serde::de::Error`'s provided methods); each is
//! read back into its template and parts. A message of our own (a type's `custom` error) is
//! its catalogue key as it stands.

use super::{Part, Text};

/// The templates serde writes (`serde::de::Error`'s provided methods), as catalogue keys.
const TEMPLATES: [&str; 9] = [
    "invalid type: %{found}, expected %{expected}",
    "invalid value: %{found}, expected %{expected}",
    "invalid length %{found}, expected %{expected}",
    "unknown variant %{found}, expected %{expected}",
    "unknown variant %{found}, there are no variants",
    "unknown field %{found}, expected %{expected}",
    "unknown field %{found}, there are no fields",
    "missing field %{found}",
    "duplicate field %{found}",
];

pub fn from_serde(message: &str) -> Text {
    if super::has(message, super::Lang::Id) {
        return owned(message);
    }
    TEMPLATES.iter().find_map(|template| read_back(template, message)).unwrap_or_else(|| {
        // Not serde's, not ours: shown as it is, marked as the reason in Indonesian.
        Text::new("%{reason}", vec![("reason", Part::Plain(message.to_owned()))])
    })
}

/// `message` as `template` with its parts, if it was written from it.
fn read_back(template: &'static str, message: &str) -> Option<Text> {
    let (prefix, rest) = template.split_once("%{found}")?;
    let found_and_more = message.strip_prefix(prefix)?;
    let parts = match rest.split_once("%{expected}") {
        Some((middle, _)) => {
            let (found, expected) = found_and_more.split_once(middle)?;
            vec![("found", Part::Plain(found.to_owned())), ("expected", expectation(expected))]
        }
        None => vec![("found", Part::Plain(found_and_more.strip_suffix(rest)?.to_owned()))],
    };
    Some(Text::new(template, parts))
}

/// What serde says it expected: a phrase of ours (a type's `expecting`, in the catalogue), a
/// list of values (`one of `a`, `b``), or a Rust type name, kept as it is.
fn expectation(expected: &str) -> Part {
    if super::has(expected, super::Lang::Id) {
        return Part::Text(owned(expected));
    }
    if let Some(values) = expected.strip_prefix("one of ") {
        return Part::Text(Text::new("one of %{values}", vec![("values", Part::Plain(values.to_owned()))]));
    }
    Part::Plain(expected.to_owned())
}

/// A message read at run time whose text is a catalogue key: kept for the life of the process
/// (there are as many as the catalogue has keys, so this leaks nothing that grows).
fn owned(key: &str) -> Text {
    Text::new(interned(key), Vec::new())
}

fn interned(key: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static KEYS: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut keys = KEYS.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    if let Some(kept) = keys.get(key) {
        return kept;
    }
    let kept: &'static str = Box::leak(key.to_owned().into_boxed_str());
    keys.insert(kept);
    kept
}

#[cfg(test)]
mod tests {
    use super::from_serde;
    use crate::i18n::Lang;

    #[test]
    fn serde_templates_are_read_back_into_their_parts() {
        let text = from_serde("invalid type: boolean `true`, expected a string");
        assert_eq!(text.render(Lang::En), "invalid type: boolean `true`, expected a string");
        assert_eq!(text.render(Lang::Id), "jenis tidak sesuai: boolean `true`, seharusnya a string");
        let text = from_serde("unknown variant `x`, expected one of `female`, `male`");
        assert_eq!(text.render(Lang::En), "unknown variant `x`, expected one of `female`, `male`");
        assert_eq!(text.render(Lang::Id), "nilai `x` tidak dikenal, seharusnya salah satu dari `female`, `male`");
        assert_eq!(from_serde("missing field `sex`").render(Lang::Id), "kolom `sex` wajib diisi");
        assert_eq!(from_serde("unknown field `x`, there are no fields").render(Lang::Id), "kolom `x` tidak dikenal");
        assert_eq!(from_serde("must be 16 digits").render(Lang::Id), "harus 16 digit");
        assert_eq!(from_serde("something else").render(Lang::En), "something else");
        assert_eq!(from_serde("something else").render(Lang::Id), "tidak sah: something else");
    }
}
