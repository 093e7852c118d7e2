//! Console sessions and one-time sign-in links, as `herald_core::session` rules them. Their
//! secrets are random and stored only as hashes.
use herald_core::DomainError;
use herald_core::session::{self, Session, SignInMethod};
use herald_core::user::{User, normalize_email};
use jiff::Timestamp;

use super::codec::{from_opt_ts, from_ts, ts};
use super::{events, users};
use herald_store::ids::new_secret;
use herald_store::sql::Tx;
use herald_store::{NewSession, Result, StoreError, args, hash_secret, new_id};

pub fn start(
    tx: &dyn Tx,
    user_id: &str,
    method: SignInMethod,
    from: &str,
    now: Timestamp,
) -> Result<NewSession> {
    let user = users::get(tx, user_id)?;
    let (session, event) = session::start(user, new_id(), new_secret(), method, from, now)?;
    let secret = new_secret();
    tx.execute("INSERT INTO sessions (id, secret_hash, user_id, csrf, method, created_at, last_seen_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)", args![
        session.id,
        hash_secret(&secret),
        session.user.id,
        session.csrf,
        method.as_str(),
        ts(now),
        ts(session.expires_at)
    ])?;
    events::append(tx, None, &session.actor(), now, &event)?;
    Ok(NewSession { session, secret })
}

/// The live session this secret opens, or `None` (unknown, signed out, expired, or its user
/// disabled). Whether `last_seen_at` needs refreshing is returned beside it.
pub fn find(tx: &dyn Tx, secret: &str, now: Timestamp) -> Result<Option<(Session, bool)>> {
    let row = tx.query_opt(
        "SELECT id, user_id, csrf, method, created_at, last_seen_at, expires_at FROM sessions
         WHERE secret_hash = ?1 AND ended_at IS NULL",
        args![hash_secret(secret)],
        |row| {
            Ok((
                row.get::<String>(0)?,
                row.get::<String>(1)?,
                row.get::<String>(2)?,
                row.get::<String>(3)?,
                row.get::<i64>(4)?,
                row.get::<i64>(5)?,
                row.get::<i64>(6)?,
            ))
        },
    )?;
    let Some((id, user_id, csrf, method, created, seen, expires)) = row else {
        return Ok(None);
    };
    let method = SignInMethod::parse(&method)
        .ok_or_else(|| StoreError::Internal(format!("unknown sign-in method {method:?}")))?;
    let seen = from_ts(seen)?;
    let session = Session {
        id,
        user: users::get(tx, &user_id)?,
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

pub fn touch(tx: &dyn Tx, session_id: &str, now: Timestamp) -> Result<()> {
    tx.execute(
        "UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1",
        args![session_id, ts(now)],
    )?;
    Ok(())
}

/// Signs out the session this secret opens; signing out twice is not an error.
pub fn end(tx: &dyn Tx, secret: &str, now: Timestamp) -> Result<()> {
    let Some((session, _)) = find(tx, secret, now)? else {
        return Ok(());
    };
    tx.execute(
        "UPDATE sessions SET ended_at = ?2 WHERE id = ?1",
        args![session.id, ts(now)],
    )?;
    events::append(
        tx,
        None,
        &session.actor(),
        now,
        &session::signed_out(&session),
    )
}

/// Ends every session of the user and every sign-in link not yet used.
pub fn end_all(tx: &dyn Tx, user_id: &str, now: Timestamp) -> Result<()> {
    tx.execute(
        "UPDATE sessions SET ended_at = ?2 WHERE user_id = ?1 AND ended_at IS NULL",
        args![user_id, ts(now)],
    )?;
    tx.execute("UPDATE sign_in_links SET expires_at = ?2 WHERE user_id = ?1 AND used_at IS NULL AND expires_at > ?2", args![user_id, ts(now)])?;
    Ok(())
}

/// A new one-time sign-in link's secret for the active user with this address, or `None` when
/// there is no such user or one was issued within the last minute. The caller answers the same
/// either way, so the form does not tell who has an account.
pub fn issue_link(tx: &dyn Tx, email: &str, now: Timestamp) -> Result<Option<(User, String)>> {
    let Some((user, _)) = users::credentials(tx, &normalize_email(email))? else {
        return Ok(None);
    };
    let last_sent: Option<i64> = tx.query_one(
        "SELECT MAX(created_at) FROM sign_in_links WHERE user_id = ?1",
        args![user.id],
        |row| row.get(0),
    )?;
    if !session::may_send_link(&user, from_opt_ts(last_sent)?, now) {
        return Ok(None);
    }
    let secret = new_secret();
    tx.execute("INSERT INTO sign_in_links (secret_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)", args![
        hash_secret(&secret),
        user.id,
        ts(now),
        ts(session::link_expires(now))
    ])?;
    events::append(tx, None, "herald:sign-in", now, &session::link_sent(&user))?;
    Ok(Some((user, secret)))
}

/// Uses a sign-in link: a session for its user, once, while it is fresh.
pub fn redeem_link(
    tx: &dyn Tx,
    secret: &str,
    from: &str,
    now: Timestamp,
) -> Result<Option<NewSession>> {
    let used: Option<String> = tx.query_opt(
        "UPDATE sign_in_links SET used_at = ?2
         WHERE secret_hash = ?1 AND used_at IS NULL AND expires_at > ?2
         RETURNING user_id",
        args![hash_secret(secret), ts(now)],
        |row| row.get(0),
    )?;
    let Some(user_id) = used else {
        return Ok(None);
    };
    match start(tx, &user_id, SignInMethod::Link, from, now) {
        Ok(started) => Ok(Some(started)),
        // A link sent before its user was disabled opens nothing.
        Err(StoreError::Domain(DomainError::UserDisabled(_))) => Ok(None),
        Err(err) => Err(err),
    }
}
