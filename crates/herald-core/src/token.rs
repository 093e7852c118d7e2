//! API tokens: who may hold one, and what the audit log says of them. Their secrets are the
//! store's business (it keeps only hashes).
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::access::Role;
use crate::event::{Event, EventKind};
use crate::{DomainError, Id, text};

/// A token's last use is recorded at most this often, to keep reads free of writes.
const TOUCH_EVERY: SignedDuration = SignedDuration::from_mins(1);
pub const NAME_MAX: usize = 200;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Token {
    pub id: Id,
    pub name: String,
    pub role: Role,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// A new token named for what uses it, with its audit event.
pub fn create(
    id: Id,
    name: &str,
    role: Role,
    now: Timestamp,
) -> Result<(Token, Event), DomainError> {
    text::required("name", name, NAME_MAX)?;
    let token = Token {
        id,
        name: name.trim().to_string(),
        role,
        created_at: now,
        last_used_at: None,
        revoked_at: None,
    };
    let event = Event::new(EventKind::TokenCreated, &token.id, None, Some(&token));
    Ok((token, event))
}

/// The token revoked now, with its audit event; None when it already was.
pub fn revoke(token: &Token, now: Timestamp) -> Option<(Token, Event)> {
    if token.revoked_at.is_some() {
        return None;
    }
    let after = Token {
        revoked_at: Some(now),
        ..token.clone()
    };
    let event = Event::new(
        EventKind::TokenRevoked,
        &token.id,
        Some(token),
        Some(&after),
    );
    Some((after, event))
}

/// Whether this use of the token should be recorded as its last.
pub fn needs_touch(token: &Token, now: Timestamp) -> bool {
    token
        .last_used_at
        .is_none_or(|last| now.duration_since(last) >= TOUCH_EVERY)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        let base: Timestamp = "2026-03-01T12:00:00Z".parse().unwrap();
        base + SignedDuration::from_secs(seconds)
    }

    #[test]
    fn a_token_needs_a_visible_name_and_is_audited_without_its_secret() {
        let (token, event) = create("t1".into(), "  deploy bot ", Role::Responder, at(0)).unwrap();
        assert_eq!(
            (token.name.as_str(), token.revoked_at),
            ("deploy bot", None)
        );
        assert_eq!(event.kind, EventKind::TokenCreated);
        assert_eq!(event.after, Some(serde_json::to_value(&token).unwrap()));
        for blank in ["", "   ", "\u{202e}"] {
            let refused = create("t2".into(), blank, Role::Viewer, at(0)).unwrap_err();
            assert!(
                matches!(refused, DomainError::Invalid { field: "name", .. }),
                "{blank:?}"
            );
        }
        let long = "x".repeat(NAME_MAX + 1);
        assert!(create("t3".into(), &long, Role::Viewer, at(0)).is_err());
    }

    #[test]
    fn revoking_happens_once() {
        let (token, _) = create("t1".into(), "ci", Role::Admin, at(0)).unwrap();
        let (revoked, event) = revoke(&token, at(5)).expect("revoked");
        assert_eq!(revoked.revoked_at, Some(at(5)));
        assert_eq!(event.kind, EventKind::TokenRevoked);
        assert_eq!(event.before, Some(serde_json::to_value(&token).unwrap()));
        assert_eq!(revoke(&revoked, at(6)), None);
    }

    #[test]
    fn a_token_records_its_use_at_most_once_a_minute() {
        let (mut token, _) = create("t1".into(), "ci", Role::Admin, at(0)).unwrap();
        assert!(needs_touch(&token, at(0)));
        token.last_used_at = Some(at(0));
        assert!(!needs_touch(&token, at(59)));
        assert!(needs_touch(&token, at(60)));
    }
}
