//! Console sessions and one-time sign-in links: how long they last, who may have one, and
//! what the audit log says of them. Their secrets are the store's business (it keeps only
//! hashes); the rules are here.
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::event::{Event, EventKind};
use crate::user::User;
use crate::{DomainError, Id};

/// A session unused this long ends: longer than the longest shift.
pub const IDLE_FOR: SignedDuration = SignedDuration::from_hours(12);
/// Every session ends this long after sign-in, used or not.
pub const LASTS_AT_MOST: SignedDuration = SignedDuration::from_hours(7 * 24);
/// How long an emailed sign-in link works, in minutes (the email says so).
pub const LINK_MINUTES: i64 = 15;
const LINK_WORKS_FOR: SignedDuration = SignedDuration::from_mins(LINK_MINUTES);
/// At most one link per user in this time, so the form cannot be used to flood an inbox.
const LINK_EVERY: SignedDuration = SignedDuration::from_mins(1);
/// A session's last use is recorded at most this often, so most page views write nothing.
const TOUCH_EVERY: SignedDuration = SignedDuration::from_mins(1);

/// How a console session was signed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInMethod {
    Password,
    /// A one-time link sent by email.
    Link,
}

impl SignInMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            SignInMethod::Password => "password",
            SignInMethod::Link => "link",
        }
    }

    pub fn parse(name: &str) -> Option<SignInMethod> {
        [SignInMethod::Password, SignInMethod::Link]
            .into_iter()
            .find(|m| m.as_str() == name)
    }
}

/// A signed-in console user. The cookie's secret is not here: the store keeps only its hash.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Session {
    pub id: Id,
    pub user: User,
    /// The token every console form sends back, proving it came from a page Herald served.
    pub csrf: String,
    pub method: SignInMethod,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

impl Session {
    /// How the audit log names this person.
    pub fn actor(&self) -> String {
        format!("user:{} ({})", self.user.id, self.user.email)
    }
}

/// A session for the user from now, with its audit event (`from`: the client's address), or
/// the refusal of a disabled user.
pub fn start(
    user: User,
    id: Id,
    csrf: String,
    method: SignInMethod,
    from: &str,
    now: Timestamp,
) -> Result<(Session, Event), DomainError> {
    if !user.is_active() {
        return Err(DomainError::UserDisabled(user.email));
    }
    let session = Session {
        id,
        user,
        csrf,
        method,
        created_at: now,
        expires_at: now.checked_add(LASTS_AT_MOST).unwrap_or(now),
    };
    let detail = json!({"session": session.id, "method": method.as_str(), "from": from});
    let kind = EventKind::UserSignedIn;
    let event = Event::new(kind, &session.user.id, None, Some(&detail));
    Ok((session, event))
}

/// Whether a session not signed out still opens the console: used within [`IDLE_FOR`],
/// before its hard expiry, and its user not disabled.
pub fn is_live(session: &Session, last_seen: Timestamp, now: Timestamp) -> bool {
    let idle_until = last_seen.checked_add(IDLE_FOR).unwrap_or(last_seen);
    now < session.expires_at && now < idle_until && session.user.is_active()
}

/// Whether this use of a session should be recorded as its last.
pub fn needs_touch(last_seen: Timestamp, now: Timestamp) -> bool {
    now.duration_since(last_seen) >= TOUCH_EVERY
}

pub fn signed_out(session: &Session) -> Event {
    let detail = json!({"session": session.id});
    Event::new(
        EventKind::UserSignedOut,
        &session.user.id,
        Some(&detail),
        None,
    )
}

/// Whether a new sign-in link may go to the user: an active one, with no link sent within
/// the last minute (`last_sent`: when the newest was).
pub fn may_send_link(user: &User, last_sent: Option<Timestamp>, now: Timestamp) -> bool {
    let recent = last_sent.is_some_and(|at| now.duration_since(at) < LINK_EVERY);
    user.is_active() && !recent
}

/// When a link sent now stops working.
pub fn link_expires(now: Timestamp) -> Timestamp {
    now.checked_add(LINK_WORKS_FOR).unwrap_or(now)
}

pub fn link_sent(user: &User) -> Event {
    Event::new(EventKind::UserSignInLinkSent, &user.id, None, None::<&()>)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;

    fn at(minutes: i64) -> Timestamp {
        let base: Timestamp = "2026-03-01T12:00:00Z".parse().unwrap();
        base + SignedDuration::from_mins(minutes)
    }

    fn bob() -> User {
        User {
            id: "b0b".into(),
            email: "bob@example.com".into(),
            name: "Bob".into(),
            role: Role::Responder,
            has_password: true,
            disabled_at: None,
            created_at: at(0),
            updated_at: at(0),
        }
    }

    fn session() -> Session {
        let method = SignInMethod::Password;
        start(bob(), "s1".into(), "c".into(), method, "192.0.2.1", at(0))
            .unwrap()
            .0
    }

    #[test]
    fn a_session_starts_for_an_active_user_and_says_from_where() {
        let (session, event) = start(
            bob(),
            "s1".into(),
            "csrf".into(),
            SignInMethod::Link,
            "192.0.2.1",
            at(0),
        )
        .unwrap();
        assert_eq!(session.expires_at, at(7 * 24 * 60));
        assert_eq!(session.actor(), "user:b0b (bob@example.com)");
        assert_eq!(
            (event.kind, event.subject_id.as_str()),
            (EventKind::UserSignedIn, "b0b")
        );
        let detail = serde_json::json!({"session": "s1", "method": "link", "from": "192.0.2.1"});
        assert_eq!(event.after, Some(detail));
    }

    #[test]
    fn a_disabled_user_gets_no_session() {
        let off = bob().disabled(at(0));
        let refused = start(off, "s".into(), "c".into(), SignInMethod::Link, "x", at(1));
        assert_eq!(
            refused.unwrap_err(),
            DomainError::UserDisabled("bob@example.com".into())
        );
    }

    #[test]
    fn a_session_ends_when_idle_at_its_expiry_or_when_its_user_is_disabled() {
        let s = session();
        let idle = 12 * 60;
        assert!(is_live(&s, at(0), at(idle - 1)));
        assert!(!is_live(&s, at(0), at(idle)));
        // Used every few hours, it still ends a week after sign-in.
        let week = 7 * 24 * 60;
        assert!(is_live(&s, at(week - 60), at(week - 1)));
        assert!(!is_live(&s, at(week - 60), at(week)));
        let mut off = session();
        off.user = off.user.disabled(at(1));
        assert!(!is_live(&off, at(1), at(2)));
    }

    #[test]
    fn a_session_records_its_use_at_most_once_a_minute() {
        assert!(!needs_touch(at(0), at(0) + SignedDuration::from_secs(59)));
        assert!(needs_touch(at(0), at(1)));
    }

    #[test]
    fn links_go_to_active_users_at_most_once_a_minute_and_work_for_a_quarter_hour() {
        let now = at(10);
        assert!(may_send_link(&bob(), None, now));
        let just_now = now - SignedDuration::from_secs(59);
        assert!(!may_send_link(&bob(), Some(just_now), now));
        assert!(may_send_link(&bob(), Some(at(9)), now));
        assert!(!may_send_link(&bob().disabled(at(0)), None, now));
        assert_eq!(link_expires(now), at(25));
        assert_eq!(link_sent(&bob()).kind, EventKind::UserSignInLinkSent);
    }

    #[test]
    fn signing_out_is_audited_with_the_session() {
        let event = signed_out(&session());
        assert_eq!(event.kind, EventKind::UserSignedOut);
        assert_eq!(event.before, Some(serde_json::json!({"session": "s1"})));
    }
}
