//! Console sessions and one-time sign-in links, as `herald_core::session` rules them. Their
//! secrets are random and stored only as hashes.
use herald_core::DomainError;
use herald_core::session::{self, Session, SignInMethod};
use herald_core::user::{User, normalize_email};
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::codec::{from_opt_ts, from_ts, ts};
use super::{events, users};
use herald_store::ids::new_secret;
use herald_store::{NewSession, Result, StoreError, hash_secret, new_id};

pub fn start(
    conn: &Connection,
    user_id: &str,
    method: SignInMethod,
    from: &str,
    now: Timestamp,
) -> Result<NewSession> {
    let user = users::get(conn, user_id)?;
    let (session, event) = session::start(user, new_id(), new_secret(), method, from, now)?;
    let secret = new_secret();
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
    let method = SignInMethod::parse(&method)
        .ok_or_else(|| StoreError::Internal(format!("unknown sign-in method {method:?}")))?;
    let seen = from_ts(seen)?;
    let session = Session {
        id,
        user: users::get(conn, &user_id)?,
        csrf,
        method,
        created_at: from_ts(created)?,
        expires_at: from_ts(expires)?,
    };
    match session::is_live(&session, seen, now) {
        true => Ok(Some((session, session::needs_touch(seen, now)))),
        false => Ok(None),
    }
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
    events::append(
        conn,
        None,
        &session.actor(),
        now,
        &session::signed_out(&session),
    )
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
    let last_sent: Option<i64> = conn
        .prepare_cached("SELECT MAX(created_at) FROM sign_in_links WHERE user_id = ?1")?
        .query_row([&user.id], |row| row.get(0))?;
    if !session::may_send_link(&user, from_opt_ts(last_sent)?, now) {
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
        ts(session::link_expires(now))
    ])?;
    events::append(
        conn,
        None,
        "herald:sign-in",
        now,
        &session::link_sent(&user),
    )?;
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
    let Some(user_id) = used else {
        return Ok(None);
    };
    match start(conn, &user_id, SignInMethod::Link, from, now) {
        Ok(started) => Ok(Some(started)),
        // A link sent before its user was disabled opens nothing.
        Err(StoreError::Domain(DomainError::UserDisabled(_))) => Ok(None),
        Err(err) => Err(err),
    }
}
