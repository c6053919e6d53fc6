//! Free text as the API takes it: trimmed, and blank (spaces only) is no text at all.

use std::borrow::Cow;

use validator::ValidationError;

/// The `validator` rule for text a record must have, so a blank name is reported with every
/// other field error of the request: `#[validate(custom(function = "non_blank"))]`.
pub fn non_blank(text: &str) -> Result<(), ValidationError> {
    if text.trim().is_empty() {
        Err(ValidationError::new("blank").with_message(Cow::Borrowed("must not be blank")))
    } else {
        Ok(())
    }
}

/// Optional text as it is stored: trimmed, and `None` when blank.
pub fn given(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
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
}
