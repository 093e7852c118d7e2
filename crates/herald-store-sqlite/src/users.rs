//! Console users. The password hash (an Argon2id PHC string made by the caller) is stored
//! beside the user and read back only by [`credentials`], for signing in.
use herald_core::DomainError;
use herald_core::access::Role;
use herald_core::user::{self, NewUser, User, normalize_email};
use herald_store::sql::{Row, Tx};
use herald_store::{Result, StoreError, args, new_id};
use jiff::Timestamp;

use super::codec::{from_opt_ts, from_ts, ts};
use super::{events, sessions};

const COLUMNS: &str =
    "id, email, name, role, password_hash IS NOT NULL, disabled_at, created_at, updated_at";

pub fn create(
    tx: &dyn Tx,
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
    if let Some(taken) = by_email(tx, &new.email)? {
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
    tx.execute(
        "INSERT INTO users (id, email, name, role, password_hash, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        args![
            user.id,
            user.email,
            user.name,
            user.role.as_str(),
            password_hash,
            ts(now)
        ],
    )?;
    events::append(tx, None, actor, now, &user::created(&user))?;
    Ok(user)
}

pub fn list(tx: &dyn Tx) -> Result<Vec<User>> {
    let sql = format!("SELECT {COLUMNS} FROM users ORDER BY created_at, id");
    tx.query(&sql, args![], read)
}

fn by_email(tx: &dyn Tx, email: &str) -> Result<Option<User>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE email = ?1");
    tx.query_opt(&sql, args![normalize_email(email)], read)
}

/// A user by id, or by email address (in any case).
pub(super) fn get(tx: &dyn Tx, id_or_email: &str) -> Result<User> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = ?1 OR email = ?2");
    tx.query_opt(&sql, args![id_or_email, normalize_email(id_or_email)], read)?
        .ok_or_else(|| StoreError::not_found("user", id_or_email))
}

pub fn disable(tx: &dyn Tx, actor: &str, id_or_email: &str, now: Timestamp) -> Result<User> {
    let before = get(tx, id_or_email)?;
    let decision = user::disable(&before, active_admins(tx)?, now)?;
    save(tx, actor, now, decision)
}

pub fn enable(tx: &dyn Tx, actor: &str, id_or_email: &str, now: Timestamp) -> Result<User> {
    let before = get(tx, id_or_email)?;
    let decision = user::enable(&before, now);
    if !decision.events.is_empty() {
        // Whoever held a session or link from before was shut out on purpose; enabling lets
        // the user sign in afresh, and does not let those back in.
        sessions::end_all(tx, &before.id, now)?;
    }
    save(tx, actor, now, decision)
}

pub fn set_role(
    tx: &dyn Tx,
    actor: &str,
    id_or_email: &str,
    role: Role,
    now: Timestamp,
) -> Result<User> {
    let before = get(tx, id_or_email)?;
    let decision = user::set_role(&before, role, active_admins(tx)?, now)?;
    save(tx, actor, now, decision)
}

/// Writes what the core decided about a user: its row and its events.
fn save(tx: &dyn Tx, actor: &str, now: Timestamp, decision: user::Decision) -> Result<User> {
    if decision.events.is_empty() {
        return Ok(decision.user);
    }
    let user = decision.user;
    tx.execute(
        "UPDATE users SET role = ?2, disabled_at = ?3, updated_at = ?4 WHERE id = ?1",
        args![
            user.id,
            user.role.as_str(),
            user.disabled_at.map(ts),
            ts(user.updated_at)
        ],
    )?;
    for event in &decision.events {
        events::append(tx, None, actor, now, event)?;
    }
    Ok(user)
}

fn active_admins(tx: &dyn Tx) -> Result<usize> {
    tx.query_one(
        "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL",
        args![],
        |row| row.get(0),
    )
}

/// The user with this email address (disabled or not; the caller decides) and its password
/// hash, if it has one.
pub fn credentials(tx: &dyn Tx, email: &str) -> Result<Option<(User, Option<String>)>> {
    let sql = format!("SELECT {COLUMNS}, password_hash FROM users WHERE email = ?1");
    tx.query_opt(&sql, args![normalize_email(email)], |row| {
        Ok((read(row)?, row.get(8)?))
    })
}

fn read(row: &dyn Row) -> Result<User> {
    let role: String = row.get(3)?;
    Ok(User {
        id: row.get(0)?,
        email: row.get(1)?,
        name: row.get(2)?,
        role: Role::parse(&role)
            .ok_or_else(|| StoreError::Internal(format!("unknown role {role:?}")))?,
        has_password: row.get(4)?,
        disabled_at: from_opt_ts(row.get(5)?)?,
        created_at: from_ts(row.get(6)?)?,
        updated_at: from_ts(row.get(7)?)?,
    })
}
