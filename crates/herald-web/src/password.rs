//! Console passwords: Argon2id with its default parameters and a random salt, stored as a PHC
//! string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) that carries everything `verify` needs.
use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use thiserror::Error;

/// Passwords shorter than this are refused.
pub const MIN_CHARS: usize = 12;
/// Longer ones too: no person types more, and hashing cost grows with length.
pub const MAX_CHARS: usize = 1024;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error(
        "the password is {0} characters long; use at least {MIN_CHARS} (a few unrelated words make a good one)"
    )]
    TooShort(usize),
    #[error("the password is {0} characters long; the limit is {MAX_CHARS}")]
    TooLong(usize),
    #[error("the password could not be hashed: {0}")]
    Hash(String),
}

/// Checks a password's length without hashing it, so a caller can refuse it before doing
/// anything else.
pub fn check(password: &str) -> Result<(), PasswordError> {
    let len = password.chars().count();
    if len < MIN_CHARS {
        return Err(PasswordError::TooShort(len));
    }
    if len > MAX_CHARS {
        return Err(PasswordError::TooLong(len));
    }
    Ok(())
}

/// The PHC string of an acceptable password, with a fresh random salt.
pub fn hash(password: &str) -> Result<String, PasswordError> {
    check(password)?;
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| PasswordError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` is the one `phc` was made from. A malformed hash matches nothing.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Does the work of a verification and matches nothing: for an address with no password, so
/// that signing in takes as long as for one that has.
pub fn verify_nobody(password: &str) -> bool {
    static NOBODY: LazyLock<String> =
        LazyLock::new(|| hash("no account has this password").unwrap_or_default());
    verify(password, &NOBODY);
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const RIGHT: &str = "correct horse battery staple";

    #[test]
    fn the_right_password_verifies_and_others_do_not() {
        let phc = hash(RIGHT).unwrap();
        assert!(verify(RIGHT, &phc));
        for wrong in [
            "correct horse battery stapl",
            "Correct horse battery staple",
            "correct horse battery staple ",
            "",
        ] {
            assert!(!verify(wrong, &phc), "{wrong:?}");
        }
        assert!(!verify(RIGHT, "not a hash"));
        assert!(!verify(RIGHT, ""));
    }

    #[test]
    fn hashes_are_argon2id_phc_strings_salted_afresh() {
        let one = hash(RIGHT).unwrap();
        let two = hash(RIGHT).unwrap();
        assert!(one.starts_with("$argon2id$v=19$m="), "{one}");
        assert_eq!(one.split('$').count(), 6, "{one}");
        assert_ne!(one, two);
        assert!(!one.contains(RIGHT));
        assert!(verify(RIGHT, &two));
    }

    #[test]
    fn short_and_overlong_passwords_are_refused() {
        let err = hash("elevenchars").unwrap_err();
        assert_eq!(err, PasswordError::TooShort(11));
        assert!(err.to_string().contains("at least 12"), "{err}");
        // Counted in characters, not bytes.
        assert_eq!(check("éééééééééé"), Err(PasswordError::TooShort(10)));
        assert!(check("twelve chars").is_ok());
        assert!(check(&"x".repeat(MAX_CHARS)).is_ok());
        assert_eq!(
            hash(&"x".repeat(MAX_CHARS + 1)),
            Err(PasswordError::TooLong(MAX_CHARS + 1))
        );
    }
}
