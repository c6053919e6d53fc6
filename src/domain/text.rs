//! Free text as the API takes it: trimmed, and blank (spaces only) is no text at all.

use std::borrow::Cow;

use validator::ValidationError;

use crate::error::{ApiError, FieldErrors};

/// The `validator` rule for text a record must have, so a blank name is reported with every
/// other field error of the request: `#[validate(custom(function = "non_blank"))]`.
pub fn non_blank(text: &str) -> Result<(), ValidationError> {
    if text.trim().is_empty() {
        Err(ValidationError::new("blank").with_message(Cow::Borrowed("must not be blank")))
    } else {
        Ok(())
    }
}

/// White space as `char::is_whitespace` (what `trim` removes) defines it, as the inside of a
/// JSON Schema character class: spelled out because `\s` means different characters in
/// ECMAScript, Python and Rust.
macro_rules! white_space {
    () => {
        "\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
    };
}

/// Any run of white space `trim` would remove, as a JSON Schema pattern.
pub const TRIMMED_PATTERN: &str = concat!("[", white_space!(), "]*");

/// `non_blank` as a JSON Schema pattern: some character that is not white space.
pub const NON_BLANK_PATTERN: &str = concat!("[^", white_space!(), "]");

/// Optional text as it is stored: trimmed, and `None` when blank.
pub fn given(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

/// The most characters a name search (`q`) may send.
pub const SEARCH_MAX_CHARS: usize = 100;

/// A list's name search (`q`): longer than `SEARCH_MAX_CHARS` as sent is an error on `q` (a search
/// that long finds nothing and costs a scan; counted before trimming, as the document's
/// `maxLength` counts); trimmed, `None` when blank.
pub fn search(errors: &mut FieldErrors, q: Option<&str>) -> Option<String> {
    if q.is_some_and(|q| q.chars().count() > SEARCH_MAX_CHARS) {
        errors.add("q", text!("must be at most %{max} characters long", max = SEARCH_MAX_CHARS));
        return None;
    }
    given(q).map(str::to_owned)
}

/// 422 naming the first string (or key) in `value` that holds a NUL.
pub fn refuse_nul(value: &serde_json::Value) -> Result<(), ApiError> {
    match nul_field(value, "") {
        Some(field) => Err(ApiError::invalid(if field.is_empty() { "body" } else { &field }, nul_message())),
        None => Ok(()),
    }
}

/// PostgreSQL cannot store U+0000 in text: refused at the edge, naming the field, rather than
/// failing in the database.
pub fn nul_message() -> crate::i18n::Text {
    text!("must not contain the NUL character (U+0000)")
}
pub(crate) const NUL_ESCAPE: &[u8] = b"\\u0000";

/// The dotted path of the first string (or key) in `value` that holds a NUL.
fn nul_field(value: &serde_json::Value, at: &str) -> Option<String> {
    use serde_json::Value;
    let join = |key: &str| if at.is_empty() { key.to_owned() } else { format!("{at}.{key}") };
    match value {
        Value::String(s) if s.contains('\0') => Some(at.to_owned()),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| nul_field(v, &format!("{at}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.contains('\0') { Some(join(&k.replace('\0', "\\u0000"))) } else { nul_field(v, &join(k)) }
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_is_no_text() {
        assert!(non_blank(" \t\n").is_err());
        assert!(non_blank(" Siti ").is_ok());
        assert_eq!(given(Some("  ")), None);
        assert_eq!(given(Some(" catatan ")), Some("catatan"));
        assert_eq!(given(None), None);
    }

    #[test]
    fn the_non_blank_pattern_refuses_what_trim_removes_and_nothing_else() {
        let schema = serde_json::json!({"type": "string", "pattern": NON_BLANK_PATTERN});
        let pattern = jsonschema::validator_for(&schema).unwrap();
        let trimmed = serde_json::json!({"type": "string", "pattern": format!("^{TRIMMED_PATTERN}$")});
        let trimmed = jsonschema::validator_for(&trimmed).unwrap();
        for c in ('\u{1}'..='\u{3100}').chain(['\u{feff}', '\u{1f600}']) {
            let text = c.to_string();
            assert_eq!(pattern.is_valid(&serde_json::json!(text)), non_blank(&text).is_ok(), "U+{:04X}", c as u32);
            assert_eq!(trimmed.is_valid(&serde_json::json!(text)), text.trim().is_empty(), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn a_search_is_counted_as_sent_and_kept_trimmed() {
        let mut errors = FieldErrors::default();
        assert_eq!(search(&mut errors, Some(" siti ")), Some("siti".to_owned()));
        assert_eq!(search(&mut errors, Some(&"a".repeat(100))), Some("a".repeat(100)));
        assert!(errors.finish().is_ok());
        // 101 characters as sent, 100 once trimmed: the document's maxLength counts them all.
        let mut errors = FieldErrors::default();
        assert_eq!(search(&mut errors, Some(&format!("{} ", "a".repeat(100)))), None);
        assert!(errors.finish().is_err());
    }
}
