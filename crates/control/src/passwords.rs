//! Operator passwords: Argon2id hashes (PHC strings, default parameters of
//! the `argon2` crate), verified off the async runtime. An unknown operator
//! is checked against a fixed dummy hash so that a missing name takes as
//! long as a wrong password.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Shortest password accepted.
pub const MIN_LENGTH: usize = 12;
/// Longest password accepted (bounds hashing work).
pub const MAX_LENGTH: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password must be {MIN_LENGTH} to {MAX_LENGTH} characters")]
    Length,
    #[error("password could not be hashed")]
    Hash,
}

pub fn validate(password: &str) -> Result<(), PasswordError> {
    let n = password.chars().count();
    if (MIN_LENGTH..=MAX_LENGTH).contains(&n) {
        Ok(())
    } else {
        Err(PasswordError::Length)
    }
}

/// Hash a validated password on a blocking thread.
pub async fn hash(password: String) -> Result<String, PasswordError> {
    validate(&password)?;
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .map_err(|_| PasswordError::Hash)?
}

fn hash_now(password: &str) -> Result<String, PasswordError> {
    let salt =
        SaltString::encode_b64(&rand::random::<[u8; 16]>()).map_err(|_| PasswordError::Hash)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| PasswordError::Hash)
}

/// `true` when `password` matches `stored`; `stored == None` (unknown
/// operator or no password set) costs the same and is `false`.
pub async fn verify(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let phc = stored.unwrap_or_else(|| DUMMY_HASH.to_string());
        let ok = PasswordHash::new(&phc)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        known && ok
    })
    .await
    .unwrap_or(false)
}

/// Argon2id (default parameters) of a random password nobody knows.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$YmVoYXZyeWR1bW15c2FsdA$2rtlkqHYMH4PIjTkfWtbv/5gyuZEXpDykNxQ0r7gdqs";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_salted_and_verify() {
        let a = hash("correct horse battery".into()).await.unwrap();
        let b = hash("correct horse battery".into()).await.unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify("correct horse battery".into(), Some(a.clone())).await);
        assert!(!verify("correct horse batter".into(), Some(a)).await);
        assert!(!verify("anything at all".into(), None).await);
    }

    #[test]
    fn length_is_bounded() {
        assert!(validate("short").is_err());
        assert!(validate(&"x".repeat(MIN_LENGTH)).is_ok());
        assert!(validate(&"x".repeat(MAX_LENGTH + 1)).is_err());
    }

    #[test]
    fn the_dummy_hash_parses() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
