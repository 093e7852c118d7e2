//! Subscribers' signed links: confirm a subscription, manage it, unsubscribe. A link carries
//! the subscriber id and an expiry, signed with this installation's key, so it works without a
//! login and cannot be forged or moved to another subscriber.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use jiff::{SignedDuration, Timestamp};
use sha2::Sha256;

use crate::announcement::Recipient;

/// How long a confirmation link works: long enough for a slow inbox, short enough that an old
/// email cannot sign someone up months later.
pub const CONFIRM_FOR: SignedDuration = SignedDuration::from_hours(7 * 24);

/// Signatures are truncated to 16 bytes: plenty against forgery, and the links stay short.
const SIGNATURE_BYTES: usize = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Confirm,
    /// Changing components or unsubscribing; in every email, so it does not expire.
    Manage,
}

impl Purpose {
    fn label(self) -> &'static str {
        match self {
            Purpose::Confirm => "confirm",
            Purpose::Manage => "manage",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("this link is not valid; use the latest link from your email")]
    Invalid,
    #[error("this confirmation link has expired; subscribe again to get a new one")]
    Expired,
}

#[derive(Clone)]
pub struct Links {
    key: Vec<u8>,
}

impl Links {
    pub fn new(key: Vec<u8>) -> Links {
        Links { key }
    }

    /// `{subscriber}.{expiry, Unix seconds, 0 for never}.{signature}`
    pub fn token(&self, purpose: Purpose, subscriber_id: &str, now: Timestamp) -> String {
        let expires = match purpose {
            Purpose::Confirm => now.checked_add(CONFIRM_FOR).unwrap_or(now).as_second(),
            Purpose::Manage => 0,
        };
        let signature = URL_SAFE_NO_PAD.encode(self.mac(purpose, subscriber_id, expires));
        format!("{subscriber_id}.{expires}.{signature}")
    }

    /// The subscriber a token was made for, if it is genuine and current.
    pub fn verify(
        &self,
        purpose: Purpose,
        token: &str,
        now: Timestamp,
    ) -> Result<String, LinkError> {
        let mut parts = token.split('.');
        let (Some(id), Some(expires), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(LinkError::Invalid);
        };
        let expires: i64 = expires.parse().map_err(|_| LinkError::Invalid)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| LinkError::Invalid)?;
        if signature.len() != SIGNATURE_BYTES {
            return Err(LinkError::Invalid);
        }
        self.hmac(purpose, id, expires)
            .verify_truncated_left(&signature)
            .map_err(|_| LinkError::Invalid)?;
        if expires != 0 && now.as_second() > expires {
            return Err(LinkError::Expired);
        }
        Ok(id.to_string())
    }

    /// The manage and one-click unsubscribe links of a subscriber of the page at `page_url`.
    pub fn recipient(&self, page_url: &str, subscriber_id: &str, now: Timestamp) -> Recipient {
        let token = self.token(Purpose::Manage, subscriber_id, now);
        Recipient {
            subscriber_id: subscriber_id.to_string(),
            manage_url: format!("{page_url}subscription/manage?token={token}"),
            unsubscribe_url: format!("{page_url}subscription/unsubscribe?token={token}"),
        }
    }

    pub fn confirm_url(&self, page_url: &str, subscriber_id: &str, now: Timestamp) -> String {
        let token = self.token(Purpose::Confirm, subscriber_id, now);
        format!("{page_url}subscription/confirm?token={token}")
    }

    fn mac(&self, purpose: Purpose, id: &str, expires: i64) -> Vec<u8> {
        let full = self.hmac(purpose, id, expires).finalize().into_bytes();
        full[..SIGNATURE_BYTES].to_vec()
    }

    fn hmac(&self, purpose: Purpose, id: &str, expires: i64) -> Hmac<Sha256> {
        // Any key length is accepted by HMAC.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(format!("{}:{id}:{expires}", purpose.label()).as_bytes());
        mac
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links() -> Links {
        Links::new(vec![7; 32])
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn a_token_names_its_subscriber_and_nobody_else() {
        let now = at("2025-06-02T09:00:00Z");
        let token = links().token(Purpose::Manage, "sub1", now);
        assert_eq!(
            links().verify(Purpose::Manage, &token, now),
            Ok("sub1".into())
        );
        assert_eq!(
            links().verify(Purpose::Confirm, &token, now),
            Err(LinkError::Invalid),
            "a manage link does not confirm"
        );
        let moved = token.replacen("sub1", "sub2", 1);
        assert_eq!(
            links().verify(Purpose::Manage, &moved, now),
            Err(LinkError::Invalid)
        );
        let other_key = Links::new(vec![8; 32]);
        assert_eq!(
            other_key.verify(Purpose::Manage, &token, now),
            Err(LinkError::Invalid)
        );
        let short = &token[..token.len() - 4];
        for junk in ["", "a.b", "a.0.!!", "sub1.0.AAAA.extra", short] {
            assert_eq!(
                links().verify(Purpose::Manage, junk, now),
                Err(LinkError::Invalid)
            );
        }
    }

    #[test]
    fn confirmation_links_expire_after_a_week_and_manage_links_never() {
        let now = at("2025-06-02T09:00:00Z");
        let confirm = links().token(Purpose::Confirm, "s", now);
        let manage = links().token(Purpose::Manage, "s", now);
        let later = at("2025-06-09T09:00:01Z");
        assert!(
            links()
                .verify(Purpose::Confirm, &confirm, at("2025-06-09T08:59:00Z"))
                .is_ok()
        );
        assert_eq!(
            links().verify(Purpose::Confirm, &confirm, later),
            Err(LinkError::Expired)
        );
        assert!(
            links()
                .verify(Purpose::Manage, &manage, at("2035-01-01T00:00:00Z"))
                .is_ok()
        );
    }
}
