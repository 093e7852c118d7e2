//! Console users: the people who sign in to run incidents, each with a role.
//!
//! A user's password hash is a credential, not part of the user: it is kept by the store beside
//! the user and never appears here, in an audit event, or in any listing.
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::access::Role;
use crate::event::{Event, EventKind};
use crate::subscriber::email_address;
use crate::{DomainError, Id, text};

pub const NAME_MAX: usize = 200;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: Id,
    /// Lower-cased; unique among users.
    pub email: String,
    pub name: String,
    pub role: Role,
    /// Whether the user can sign in with a password (otherwise only by an emailed link).
    pub has_password: bool,
    /// Set once the user may no longer sign in.
    pub disabled_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl User {
    pub fn is_active(&self) -> bool {
        self.disabled_at.is_none()
    }

    /// The user as disabled at `now`.
    pub fn disabled(&self, now: Timestamp) -> User {
        User {
            disabled_at: Some(now),
            updated_at: now,
            ..self.clone()
        }
    }

    /// The user with `role` from `now`.
    pub fn with_role(&self, role: Role, now: Timestamp) -> User {
        User {
            role,
            updated_at: now,
            ..self.clone()
        }
    }
}

/// A user as asked for, before checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
}

impl NewUser {
    /// Checks the fields; returns the user as it will be stored (email trimmed and
    /// lower-cased, name trimmed).
    pub fn checked(self) -> Result<NewUser, DomainError> {
        let email = normalize_email(&self.email);
        email_address(&email).map_err(|err| match err {
            DomainError::Invalid { message, .. } => DomainError::invalid("email", message),
            other => other,
        })?;
        text::required("name", &self.name, NAME_MAX)?;
        Ok(NewUser {
            email,
            name: self.name.trim().to_string(),
            role: self.role,
        })
    }
}

/// How an email address is compared and stored: trimmed and lower-cased, so that
/// `Alice@Example.com` and `alice@example.com` are one user.
pub fn normalize_email(address: &str) -> String {
    address.trim().to_lowercase()
}

/// `user.created`, with the user as created (which holds no password hash).
pub fn created(user: &User) -> Event {
    Event::new(EventKind::UserCreated, &user.id, None, Some(user))
}

/// A change to a user: the user afterwards, and its audit events (none when nothing changed).
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub user: User,
    pub events: Vec<Event>,
}

impl Decision {
    fn unchanged(user: &User) -> Decision {
        Decision {
            user: user.clone(),
            events: vec![],
        }
    }
}

/// Someone must still be able to manage users: the only active admin keeps the role and stays
/// enabled. `active_admins` counts the active admins, `user` among them if it is one.
fn keep_an_admin(user: &User, active_admins: usize) -> Result<(), DomainError> {
    if user.role == Role::Admin && user.is_active() && active_admins <= 1 {
        return Err(DomainError::LastAdmin(user.email.clone()));
    }
    Ok(())
}

/// Stops `user` from signing in; a user already disabled is left as it is.
pub fn disable(user: &User, active_admins: usize, now: Timestamp) -> Result<Decision, DomainError> {
    if !user.is_active() {
        return Ok(Decision::unchanged(user));
    }
    keep_an_admin(user, active_admins)?;
    let after = user.disabled(now);
    Ok(Decision {
        events: vec![disabled(user, &after)],
        user: after,
    })
}

/// Lets a disabled `user` sign in again; an active user is left as it is.
pub fn enable(user: &User, now: Timestamp) -> Decision {
    if user.is_active() {
        return Decision::unchanged(user);
    }
    let after = User {
        disabled_at: None,
        updated_at: now,
        ..user.clone()
    };
    Decision {
        events: vec![enabled(user, &after)],
        user: after,
    }
}

/// Gives `user` another role; the same role changes nothing.
pub fn set_role(
    user: &User,
    role: Role,
    active_admins: usize,
    now: Timestamp,
) -> Result<Decision, DomainError> {
    if user.role == role {
        return Ok(Decision::unchanged(user));
    }
    keep_an_admin(user, active_admins)?;
    let after = user.with_role(role, now);
    Ok(Decision {
        events: vec![role_changed(user, &after)],
        user: after,
    })
}

/// `user.disabled`, with the user before and after.
fn disabled(before: &User, after: &User) -> Event {
    Event::new(
        EventKind::UserDisabled,
        &before.id,
        Some(before),
        Some(after),
    )
}

/// `user.enabled`, with the user before and after.
fn enabled(before: &User, after: &User) -> Event {
    Event::new(
        EventKind::UserEnabled,
        &before.id,
        Some(before),
        Some(after),
    )
}

/// `user.role_changed`, with the user before and after.
fn role_changed(before: &User, after: &User) -> Event {
    Event::new(
        EventKind::UserRoleChanged,
        &before.id,
        Some(before),
        Some(after),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(email: &str, name: &str) -> NewUser {
        NewUser {
            email: email.into(),
            name: name.into(),
            role: Role::Responder,
        }
    }

    fn invalid_field(err: DomainError) -> &'static str {
        match err {
            DomainError::Invalid { field, .. } => field,
            other => panic!("expected an invalid field, got {other:?}"),
        }
    }

    #[test]
    fn a_new_user_is_trimmed_and_its_email_lower_cased() {
        let checked = new("  Alice@Example.COM ", " Alice Smith ")
            .checked()
            .unwrap();
        assert_eq!(
            checked,
            NewUser {
                email: "alice@example.com".into(),
                name: "Alice Smith".into(),
                role: Role::Responder,
            }
        );
    }

    #[test]
    fn bad_fields_are_refused_naming_the_field() {
        for email in [
            "",
            "alice",
            "alice@localhost",
            "a b@example.com",
            "<a@example.com>",
        ] {
            let err = new(email, "Alice").checked().unwrap_err();
            assert!(
                err.to_string().starts_with("email: ") && err.to_string().contains("ops@"),
                "{email:?}: {err}"
            );
            assert_eq!(invalid_field(err), "email");
        }
        let err = new("a@example.com", "  ").checked().unwrap_err();
        assert_eq!(err.to_string(), "name: must not be empty");
        let err = new("a@example.com", &"n".repeat(201))
            .checked()
            .unwrap_err();
        assert_eq!(invalid_field(err), "name");
        assert!(new("a@example.com", &"é".repeat(200)).checked().is_ok());
    }

    fn user(role: Role) -> User {
        let t0: Timestamp = "2026-03-01T12:00:00Z".parse().unwrap();
        User {
            id: "0123456789abcdef01234567".into(),
            email: "alice@example.com".into(),
            name: "Alice".into(),
            role,
            has_password: true,
            disabled_at: None,
            created_at: t0,
            updated_at: t0,
        }
    }

    #[test]
    fn the_last_active_admin_is_neither_disabled_nor_demoted() {
        let now: Timestamp = "2026-03-02T12:00:00Z".parse().unwrap();
        let admin = user(Role::Admin);
        let last = DomainError::LastAdmin("alice@example.com".into());
        assert_eq!(disable(&admin, 1, now), Err(last.clone()));
        assert_eq!(set_role(&admin, Role::Responder, 1, now), Err(last.clone()));
        assert_eq!(
            last.to_string(),
            "alice@example.com is the only active admin; make another user an admin first, so someone can still manage users"
        );
        assert_eq!(last.code(), "last-admin");

        // With another active admin, either may go; anyone else may go at any time.
        let off = disable(&admin, 2, now).unwrap();
        assert_eq!(off.user, admin.disabled(now));
        assert_eq!(off.events.len(), 1);
        assert_eq!(off.events[0].kind, EventKind::UserDisabled);
        let demoted = set_role(&admin, Role::Viewer, 2, now).unwrap();
        assert_eq!(demoted.user.role, Role::Viewer);
        assert_eq!(demoted.events[0].kind, EventKind::UserRoleChanged);
        for role in [Role::Viewer, Role::Responder] {
            assert!(disable(&user(role), 1, now).is_ok());
            assert!(disable(&user(role), 0, now).is_ok());
        }
        // Nothing to do is no refusal and no event.
        let unchanged = disable(&off.user, 0, now).unwrap();
        assert_eq!(
            (unchanged.user, unchanged.events),
            (off.user.clone(), vec![])
        );
        let same = set_role(&admin, Role::Admin, 1, now).unwrap();
        assert_eq!((same.user, same.events), (admin.clone(), vec![]));
        // A disabled admin holds nothing up.
        assert!(set_role(&off.user, Role::Viewer, 0, now).is_ok());
    }

    #[test]
    fn a_disabled_user_is_enabled_once() {
        let (then, now): (Timestamp, Timestamp) = (
            "2026-03-02T12:00:00Z".parse().unwrap(),
            "2026-03-03T12:00:00Z".parse().unwrap(),
        );
        let off = user(Role::Admin).disabled(then);
        let on = enable(&off, now);
        assert_eq!(
            on.user,
            User {
                disabled_at: None,
                updated_at: now,
                ..off.clone()
            }
        );
        assert!(on.user.is_active());
        let [event] = on.events.as_slice() else {
            panic!("one event: {:?}", on.events)
        };
        assert_eq!(
            (event.kind, event.subject_type(), event.subject_id.as_str()),
            (EventKind::UserEnabled, "user", off.id.as_str())
        );
        assert!(event.before.as_ref().unwrap()["disabled_at"].is_string());
        assert!(event.after.as_ref().unwrap()["disabled_at"].is_null());
        let again = enable(&on.user, now);
        assert_eq!((again.user, again.events), (on.user, vec![]));
    }

    #[test]
    fn events_carry_the_user_and_nothing_else() {
        let t0: Timestamp = "2026-03-01T12:00:00Z".parse().unwrap();
        let user = User {
            id: "0123456789abcdef01234567".into(),
            email: "alice@example.com".into(),
            name: "Alice".into(),
            role: Role::Admin,
            has_password: true,
            disabled_at: None,
            created_at: t0,
            updated_at: t0,
        };
        let event = created(&user);
        assert_eq!(
            (event.kind, event.subject_type(), event.subject_id.as_str()),
            (EventKind::UserCreated, "user", "0123456789abcdef01234567")
        );
        assert_eq!(event.before, None);
        let after = event.after.unwrap();
        let mut keys: Vec<&str> = after
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "created_at",
                "disabled_at",
                "email",
                "has_password",
                "id",
                "name",
                "role",
                "updated_at"
            ]
        );
        assert_eq!(after["role"], "admin");

        let later = t0 + jiff::SignedDuration::from_mins(5);
        let off = user.disabled(later);
        assert!(!off.is_active() && user.is_active());
        assert_eq!(off.updated_at, later);
        let event = disabled(&user, &off);
        assert_eq!(event.kind, EventKind::UserDisabled);
        assert_eq!(
            event.before.unwrap()["disabled_at"],
            serde_json::Value::Null
        );
        assert!(event.after.unwrap()["disabled_at"].is_string());
    }
}
