//! argon2id password hashing, always on a blocking thread: one hash costs tens of
//! milliseconds of CPU, which must not stall an actix worker.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use rand::distr::{Alphanumeric, SampleString};

pub async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash_blocking(&password)).await?
}

pub fn hash_blocking(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash password: {e}"))
}

/// Checks `password` against `stored`; with no stored hash (unknown user) it checks against a
/// dummy hash, so that an unknown user and a wrong password take the same time.
pub async fn verify(password: String, stored: Option<String>) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.clone());
        let parsed = PasswordHash::new(&stored).map_err(|e| anyhow::anyhow!("stored hash is malformed: {e}"))?;
        let matches = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        Ok(known && matches)
    })
    .await?
}

static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_blocking(&generate_secret()).expect("argon2 hashes a fresh random string"));

/// A random 32-character alphanumeric secret (about 190 bits).
pub fn generate_secret() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn verifies_only_the_right_password() {
        let stored = hash("correct horse battery".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery".into(), Some(stored.clone())).await.unwrap());
        assert!(!verify("wrong".into(), Some(stored)).await.unwrap());
    }

    #[tokio::test]
    async fn unknown_user_never_matches() {
        assert!(!verify("anything".into(), None).await.unwrap());
    }
}
