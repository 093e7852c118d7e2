//! Console sessions and one-time sign-in links. Their secrets are random and stored only as
//! hashes; a session ends when signed out, after a spell of idleness, or at its hard expiry,
//! and at once for a user who is disabled.
use herald_core::event::{Event, EventKind};
use herald_core::user::{User, normalize_email};
use jiff::{SignedDuration, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;

use super::codec::{from_ts, ts};
use super::{events, users};
use crate::ids::new_secret;
use crate::{NewSession, Result, Session, SignInMethod, StoreError, hash_secret, new_id};

/// A session unused this long ends: longer than the longest shift.
pub const IDLE_FOR: SignedDuration = SignedDuration::from_hours(12);
/// Every session ends this long after sign-in, used or not.
pub const LASTS_AT_MOST: SignedDuration = SignedDuration::from_hours(7 * 24);
/// How long an emailed sign-in link works.
pub const LINK_WORKS_FOR: SignedDuration = SignedDuration::from_mins(crate::SIGN_IN_LINK_MINUTES);
/// At most one link per user in this time, so the form cannot be used to flood an inbox.
const LINK_EVERY: SignedDuration = SignedDuration::from_mins(1);
/// `last_seen_at` is refreshed at most this often, so most page views write nothing.
const TOUCH_EVERY: SignedDuration = SignedDuration::from_mins(1);

pub fn start(
    conn: &Connection,
    user_id: &str,
    method: SignInMethod,
    from: &str,
    now: Timestamp,
) -> Result<NewSession> {
    let user = users::get(conn, user_id)?;
    if !user.is_active() {
        return Err(StoreError::Conflict(format!(
            "user {} is disabled and cannot sign in",
            user.email
        )));
    }
    let secret = new_secret();
    let session = Session {
        id: new_id(),
        user,
        csrf: new_secret(),
        method,
        created_at: now,
        expires_at: now.checked_add(LASTS_AT_MOST).unwrap_or(now),
    };
    conn.prepare_cached(
        "INSERT INTO sessions (id, secret_hash, user_id, csrf, method, created_at, last_seen_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)",
    )?
    .execute(params![
        session.id,
        hash_secret(&secret),
        session.user.id,
        session.csrf,
        method.as_str(),
        ts(now),
        ts(session.expires_at)
    ])?;
    let detail = json!({"session": session.id, "method": method.as_str(), "from": from});
    let event = Event::new(
        EventKind::UserSignedIn,
        &session.user.id,
        None,
        Some(&detail),
    );
    events::append(conn, None, &session.actor(), now, &event)?;
    Ok(NewSession { session, secret })
}

/// The live session this secret opens, or `None` (unknown, signed out, expired, or its user
/// disabled). Whether `last_seen_at` needs refreshing is returned beside it.
pub fn find(conn: &Connection, secret: &str, now: Timestamp) -> Result<Option<(Session, bool)>> {
    let row = conn
        .prepare_cached(
            "SELECT id, user_id, csrf, method, created_at, last_seen_at, expires_at FROM sessions
             WHERE secret_hash = ?1 AND ended_at IS NULL",
        )?
        .query_row([hash_secret(secret)], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, i64>(4)?,
                row.get::<_, i64>(5)?,
                row.get::<_, i64>(6)?,
            ))
        })
        .optional()?;
    let Some((id, user_id, csrf, method, created, seen, expires)) = row else {
        return Ok(None);
    };
    let (seen, expires) = (from_ts(seen)?, from_ts(expires)?);
    let idle_until = seen.checked_add(IDLE_FOR).unwrap_or(seen);
    if now >= expires || now >= idle_until {
        return Ok(None);
    }
    let user = users::get(conn, &user_id)?;
    if !user.is_active() {
        return Ok(None);
    }
    let method = match method.as_str() {
        "link" => SignInMethod::Link,
        _ => SignInMethod::Password,
    };
    let stale = now.duration_since(seen) >= TOUCH_EVERY;
    let session = Session {
        id,
        user,
        csrf,
        method,
        created_at: from_ts(created)?,
        expires_at: expires,
    };
    Ok(Some((session, stale)))
}

pub fn touch(conn: &Connection, session_id: &str, now: Timestamp) -> Result<()> {
    conn.prepare_cached("UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1")?
        .execute(params![session_id, ts(now)])?;
    Ok(())
}

/// Signs out the session this secret opens; signing out twice is not an error.
pub fn end(conn: &Connection, secret: &str, now: Timestamp) -> Result<()> {
    let Some((session, _)) = find(conn, secret, now)? else {
        return Ok(());
    };
    conn.prepare_cached("UPDATE sessions SET ended_at = ?2 WHERE id = ?1")?
        .execute(params![session.id, ts(now)])?;
    let detail = json!({"session": session.id});
    let event = Event::new(
        EventKind::UserSignedOut,
        &session.user.id,
        Some(&detail),
        None,
    );
    events::append(conn, None, &session.actor(), now, &event)
}

/// Ends every session of the user and every sign-in link not yet used.
pub fn end_all(conn: &Connection, user_id: &str, now: Timestamp) -> Result<()> {
    conn.prepare_cached(
        "UPDATE sessions SET ended_at = ?2 WHERE user_id = ?1 AND ended_at IS NULL",
    )?
    .execute(params![user_id, ts(now)])?;
    conn.prepare_cached(
        "UPDATE sign_in_links SET expires_at = ?2 WHERE user_id = ?1 AND used_at IS NULL AND expires_at > ?2",
    )?
    .execute(params![user_id, ts(now)])?;
    Ok(())
}

/// A new one-time sign-in link's secret for the active user with this address, or `None` when
/// there is no such user or one was issued within the last minute. The caller answers the same
/// either way, so the form does not tell who has an account.
pub fn issue_link(
    conn: &Connection,
    email: &str,
    now: Timestamp,
) -> Result<Option<(User, String)>> {
    let Some((user, _)) = users::credentials(conn, &normalize_email(email))? else {
        return Ok(None);
    };
    if !user.is_active() {
        return Ok(None);
    }
    let recent = conn
        .prepare_cached("SELECT 1 FROM sign_in_links WHERE user_id = ?1 AND created_at > ?2")?
        .exists(params![
            user.id,
            ts(now.checked_sub(LINK_EVERY).unwrap_or(now))
        ])?;
    if recent {
        return Ok(None);
    }
    let secret = new_secret();
    conn.prepare_cached(
        "INSERT INTO sign_in_links (secret_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        hash_secret(&secret),
        user.id,
        ts(now),
        ts(now.checked_add(LINK_WORKS_FOR).unwrap_or(now))
    ])?;
    let event = Event::new(EventKind::UserSignInLinkSent, &user.id, None, None::<&()>);
    events::append(conn, None, "herald:sign-in", now, &event)?;
    Ok(Some((user, secret)))
}

/// Uses a sign-in link: a session for its user, once, while it is fresh.
pub fn redeem_link(
    conn: &Connection,
    secret: &str,
    from: &str,
    now: Timestamp,
) -> Result<Option<NewSession>> {
    let used = conn
        .prepare_cached(
            "UPDATE sign_in_links SET used_at = ?2
             WHERE secret_hash = ?1 AND used_at IS NULL AND expires_at > ?2
             RETURNING user_id",
        )?
        .query_row(params![hash_secret(secret), ts(now)], |row| {
            row.get::<_, String>(0)
        })
        .optional()?;
    match used {
        Some(user_id) if users::get(conn, &user_id)?.is_active() => {
            start(conn, &user_id, SignInMethod::Link, from, now).map(Some)
        }
        _ => Ok(None),
    }
}
