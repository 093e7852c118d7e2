//! Console users. The password hash (an Argon2id PHC string made by the caller) is stored
//! beside the user and read back only by [`credentials`], for signing in.
use herald_core::DomainError;
use herald_core::access::Role;
use herald_core::user::{self, NewUser, User, normalize_email};
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::codec::{from_opt_ts, from_ts, ts};
use super::{events, sessions};
use herald_store::{Result, StoreError, new_id};

const COLUMNS: &str =
    "id, email, name, role, password_hash IS NOT NULL, disabled_at, created_at, updated_at";

pub fn create(
    conn: &Connection,
    actor: &str,
    new: NewUser,
    password_hash: Option<String>,
    now: Timestamp,
) -> Result<User> {
    let new = new.checked()?;
    if let Some(hash) = &password_hash
        && !hash.starts_with('$')
    {
        // A guard against storing a password where its hash belongs.
        return Err(DomainError::invalid(
            "password_hash",
            "must be a PHC hash string such as $argon2id$…, never the password itself",
        )
        .into());
    }
    if let Some(taken) = by_email(conn, &new.email)? {
        return Err(StoreError::Conflict(format!(
            "a user with email {} already exists (id {}); choose another address",
            taken.email, taken.id
        )));
    }
    let user = User {
        id: new_id(),
        email: new.email,
        name: new.name,
        role: new.role,
        has_password: password_hash.is_some(),
        disabled_at: None,
        created_at: now,
        updated_at: now,
    };
    conn.execute(
        "INSERT INTO users (id, email, name, role, password_hash, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![
            user.id,
            user.email,
            user.name,
            user.role.as_str(),
            password_hash,
            ts(now)
        ],
    )?;
    events::append(conn, None, actor, now, &user::created(&user))?;
    Ok(user)
}

pub fn list(conn: &Connection) -> Result<Vec<User>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM users ORDER BY created_at, id"
    ))?;
    let rows = stmt.query_map([], read)?;
    rows.map(|row| row?).collect()
}

fn by_email(conn: &Connection, email: &str) -> Result<Option<User>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM users WHERE email = ?1"))?
        .query_row([normalize_email(email)], read)
        .optional()?
        .transpose()
}

/// A user by id, or by email address (in any case).
pub(super) fn get(conn: &Connection, id_or_email: &str) -> Result<User> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM users WHERE id = ?1 OR email = ?2"
    ))?
    .query_row(params![id_or_email, normalize_email(id_or_email)], read)
    .optional()?
    .ok_or_else(|| StoreError::not_found("user", id_or_email))?
}

pub fn disable(conn: &Connection, actor: &str, id_or_email: &str, now: Timestamp) -> Result<User> {
    let before = get(conn, id_or_email)?;
    let decision = user::disable(&before, active_admins(conn)?, now)?;
    save(conn, actor, now, decision)
}

pub fn enable(conn: &Connection, actor: &str, id_or_email: &str, now: Timestamp) -> Result<User> {
    let before = get(conn, id_or_email)?;
    let decision = user::enable(&before, now);
    if !decision.events.is_empty() {
        // Whoever held a session or link from before was shut out on purpose; enabling lets
        // the user sign in afresh, and does not let those back in.
        sessions::end_all(conn, &before.id, now)?;
    }
    save(conn, actor, now, decision)
}

pub fn set_role(
    conn: &Connection,
    actor: &str,
    id_or_email: &str,
    role: Role,
    now: Timestamp,
) -> Result<User> {
    let before = get(conn, id_or_email)?;
    let decision = user::set_role(&before, role, active_admins(conn)?, now)?;
    save(conn, actor, now, decision)
}

/// Writes what the core decided about a user: its row and its events.
fn save(conn: &Connection, actor: &str, now: Timestamp, decision: user::Decision) -> Result<User> {
    if decision.events.is_empty() {
        return Ok(decision.user);
    }
    let user = decision.user;
    conn.execute(
        "UPDATE users SET role = ?2, disabled_at = ?3, updated_at = ?4 WHERE id = ?1",
        params![
            user.id,
            user.role.as_str(),
            user.disabled_at.map(ts),
            ts(user.updated_at)
        ],
    )?;
    for event in &decision.events {
        events::append(conn, None, actor, now, event)?;
    }
    Ok(user)
}

fn active_admins(conn: &Connection) -> Result<usize> {
    let count: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL")?
        .query_row([], |row| row.get(0))?;
    Ok(usize::try_from(count).unwrap_or(0))
}

/// The user with this email address (disabled or not; the caller decides) and its password
/// hash, if it has one.
pub fn credentials(conn: &Connection, email: &str) -> Result<Option<(User, Option<String>)>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS}, password_hash FROM users WHERE email = ?1"
    ))?
    .query_row([normalize_email(email)], |row| {
        let hash: Option<String> = row.get(8)?;
        Ok(read(row)?.map(|user| (user, hash)))
    })
    .optional()?
    .transpose()
}

fn read(row: &Row) -> rusqlite::Result<Result<User>> {
    let role: String = row.get(3)?;
    let (disabled, created, updated): (Option<i64>, i64, i64) =
        (row.get(5)?, row.get(6)?, row.get(7)?);
    let (id, email, name, has_password) = (row.get(0)?, row.get(1)?, row.get(2)?, row.get(4)?);
    Ok((|| {
        Ok(User {
            id,
            email,
            name,
            role: Role::parse(&role)
                .ok_or_else(|| StoreError::Internal(format!("unknown role {role:?}")))?,
            has_password,
            disabled_at: from_opt_ts(disabled)?,
            created_at: from_ts(created)?,
            updated_at: from_ts(updated)?,
        })
    })())
}
