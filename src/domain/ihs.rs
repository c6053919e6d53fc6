//! SATUSEHAT's patient id, the IHS number: `P` and 11 digits, issued by Kemenkes for a person
//! it knows. Personal data, as a name is: shown to those who care for the person, never to
//! dashboards. A FHIR export names the person by it.

/// A checked IHS number.
#[derive(Clone, PartialEq, Eq)]
pub struct IhsNumber(String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IhsNumberError;
text_error!(IhsNumberError, |_e| text!("must be P and 11 digits, as SATUSEHAT issues patient ids"));

impl IhsNumber {
    pub fn parse(input: &str) -> Result<Self, IhsNumberError> {
        let text = input.trim();
        match text.strip_prefix('P') {
            Some(digits) if digits.len() == 11 && digits.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(Self(text.to_owned()))
            }
            _ => Err(IhsNumberError),
        }
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// No `Display`, and a `Debug` that hides it: a log line must not carry it by accident.
impl std::fmt::Debug for IhsNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IhsNumber(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_p_and_eleven_digits_only() {
        assert_eq!(IhsNumber::parse(" P02478375538 ").unwrap().into_inner(), "P02478375538");
        for bad in ["P0247837553", "P024783755380", "p02478375538", "02478375538", "P0247837553a", "N10000001", ""] {
            assert!(IhsNumber::parse(bad).is_err(), "{bad}");
        }
    }
}
