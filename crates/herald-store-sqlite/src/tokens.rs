//! API tokens, as `herald_core::token` rules them: an id (shown as Status.io's `x-api-id`)
//! and a secret (`x-api-key`) stored only as a hash.
use herald_core::access::Role;
use herald_core::token;
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::codec::{from_opt_ts, from_ts, ts};
use super::events;
use herald_store::ids::new_secret;
use herald_store::{NewToken, Result, StoreError, Token, hash_secret, new_id};

const COLUMNS: &str = "id, name, role, created_at, last_used_at, revoked_at";

pub fn create(
    conn: &Connection,
    actor: &str,
    name: &str,
    role: Role,
    now: Timestamp,
) -> Result<NewToken> {
    let (token, event) = token::create(new_id(), name, role, now)?;
    let secret = new_secret();
    conn.execute(
        "INSERT INTO tokens (id, name, role, secret_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            token.id,
            token.name,
            role.as_str(),
            hash_secret(&secret),
            ts(now)
        ],
    )?;
    events::append(conn, None, actor, now, &event)?;
    Ok(NewToken { token, secret })
}

pub fn list(conn: &Connection) -> Result<Vec<Token>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM tokens ORDER BY created_at, id"
    ))?;
    let rows = stmt.query_map([], read)?;
    rows.map(|row| row?).collect()
}

fn get(conn: &Connection, id: &str) -> Result<Token> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM tokens WHERE id = ?1"))?
        .query_row([id], read)
        .optional()?
        .ok_or_else(|| StoreError::not_found("token", id))?
}

pub fn revoke(conn: &Connection, actor: &str, id: &str, now: Timestamp) -> Result<()> {
    let Some((after, event)) = token::revoke(&get(conn, id)?, now) else {
        return Ok(());
    };
    conn.execute(
        "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1",
        params![id, after.revoked_at.map(ts)],
    )?;
    events::append(conn, None, actor, now, &event)
}

pub fn find_live(conn: &Connection, id: Option<&str>, secret: &str) -> Result<Option<Token>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM tokens WHERE (?1 IS NULL OR id = ?1) AND secret_hash = ?2 AND revoked_at IS NULL"
    ))?
    .query_row(params![id, hash_secret(secret)], read)
    .optional()?
    .transpose()
}

pub fn touch(conn: &Connection, id: &str, now: Timestamp) -> Result<()> {
    conn.execute(
        "UPDATE tokens SET last_used_at = ?2 WHERE id = ?1",
        params![id, ts(now)],
    )?;
    Ok(())
}

fn read(row: &Row) -> rusqlite::Result<Result<Token>> {
    let role: String = row.get(2)?;
    let (created, last_used, revoked): (i64, Option<i64>, Option<i64>) =
        (row.get(3)?, row.get(4)?, row.get(5)?);
    let (id, name) = (row.get(0)?, row.get(1)?);
    Ok((|| {
        Ok(Token {
            id,
            name,
            role: Role::parse(&role)
                .ok_or_else(|| StoreError::Internal(format!("unknown role {role:?}")))?,
            created_at: from_ts(created)?,
            last_used_at: from_opt_ts(last_used)?,
            revoked_at: from_opt_ts(revoked)?,
        })
    })())
}
