use sha2::{Digest, Sha256};

/// A new id: 24 lowercase hex characters, time-ordered (6 bytes of milliseconds, then 6 random
/// bytes), the shape of the ids Status.io's clients expect.
pub fn new_id() -> String {
    let millis = jiff::Timestamp::now().as_millisecond() as u64;
    let random: [u8; 6] = rand::random();
    format!("{:012x}{}", millis & 0xffff_ffff_ffff, hex::encode(random))
}

/// A new token secret: 32 random bytes, hex, with a prefix secret scanners can recognise.
pub fn new_secret() -> String {
    let random: [u8; 32] = rand::random();
    format!("hrld_{}", hex::encode(random))
}

/// A webhook signing secret as Standard Webhooks writes it: `whsec_` and base64 of 32 random
/// bytes.
pub fn new_webhook_secret() -> String {
    let random: [u8; 32] = rand::random();
    webhook_secret(&random)
}

/// A signing key as a Standard Webhooks secret.
pub fn webhook_secret(key: &[u8]) -> String {
    use base64::Engine;
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    )
}

/// Secrets are random and long, so one SHA-256 is enough to store them safely.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_24_hex_and_distinct() {
        let a = new_id();
        let b = new_id();
        assert_eq!(a.len(), 24);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(a, b);
    }

    #[test]
    fn secrets_hash_stably() {
        let s = new_secret();
        assert!(s.starts_with("hrld_") && s.len() == 69);
        assert_eq!(hash_secret(&s), hash_secret(&s));
        assert_ne!(hash_secret(&s), hash_secret("other"));
        let w = new_webhook_secret();
        assert!(w.starts_with("whsec_") && w.len() == 6 + 44, "{w}");
    }
}
