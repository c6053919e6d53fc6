//! The national identity number (NIK): 16 digits, personal data. It is never stored or shown:
//! only its keyed hash is kept, which finds duplicates but cannot be reversed without the key
//! (a plain hash of 16 structured digits could be brute-forced).

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub struct Nik(String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NikError;
text_error!(NikError, |_e| text!("must be 16 digits"));

impl Nik {
    pub fn parse(input: &str) -> Result<Self, NikError> {
        let digits = input.trim();
        if digits.len() == 16 && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(digits.to_owned()))
        } else {
            Err(NikError)
        }
    }

    /// HMAC-SHA256 under the deployment's key.
    pub fn keyed_hash(&self, key: &NikKey) -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&key.0).expect("HMAC takes keys of any length");
        mac.update(self.0.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

/// No `Debug` or `Display`: a NIK must not reach a log line by accident.
impl std::fmt::Debug for Nik {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Nik(<redacted>)")
    }
}

/// The key NIK hashes are made with.
#[derive(Clone)]
pub struct NikKey(Vec<u8>);

impl NikKey {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_sixteen_digits_only() {
        assert!(Nik::parse("1401011234560001").is_ok());
        for bad in ["140101123456000", "14010112345600011", "14010112345600a1", ""] {
            assert!(Nik::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hash_depends_on_key_and_never_shows_the_digits() {
        let nik = Nik::parse("1401011234560001").unwrap();
        let (a, b) = (NikKey::new(b"key one".to_vec()), NikKey::new(b"key two".to_vec()));
        assert_eq!(nik.keyed_hash(&a), nik.keyed_hash(&a));
        assert_ne!(nik.keyed_hash(&a), nik.keyed_hash(&b));
        assert_eq!(format!("{nik:?}"), "Nik(<redacted>)");
    }
}
