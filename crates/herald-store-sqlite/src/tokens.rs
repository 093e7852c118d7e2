//! API tokens, as `herald_core::token` rules them: an id (shown as Status.io's `x-api-id`)
//! and a secret (`x-api-key`) stored only as a hash.
use herald_core::access::Role;
use herald_core::token;
use herald_store::ids::new_secret;
use herald_store::sql::{Row, Tx};
use herald_store::{NewToken, Result, StoreError, Token, args, hash_secret, new_id};
use jiff::Timestamp;

use super::codec::{from_opt_ts, from_ts, ts};
use super::events;

const COLUMNS: &str = "id, name, role, created_at, last_used_at, revoked_at";

pub fn create(
    tx: &dyn Tx,
    actor: &str,
    name: &str,
    role: Role,
    now: Timestamp,
) -> Result<NewToken> {
    let (token, event) = token::create(new_id(), name, role, now)?;
    let secret = new_secret();
    tx.execute(
        "INSERT INTO tokens (id, name, role, secret_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        args![
            token.id,
            token.name,
            role.as_str(),
            hash_secret(&secret),
            ts(now)
        ],
    )?;
    events::append(tx, None, actor, now, &event)?;
    Ok(NewToken { token, secret })
}

pub fn list(tx: &dyn Tx) -> Result<Vec<Token>> {
    let sql = format!("SELECT {COLUMNS} FROM tokens ORDER BY created_at, id");
    tx.query(&sql, args![], read)
}

fn get(tx: &dyn Tx, id: &str) -> Result<Token> {
    let sql = format!("SELECT {COLUMNS} FROM tokens WHERE id = ?1");
    tx.query_opt(&sql, args![id], read)?
        .ok_or_else(|| StoreError::not_found("token", id))
}

pub fn revoke(tx: &dyn Tx, actor: &str, id: &str, now: Timestamp) -> Result<()> {
    let Some((after, event)) = token::revoke(&get(tx, id)?, now) else {
        return Ok(());
    };
    tx.execute(
        "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1",
        args![id, after.revoked_at.map(ts)],
    )?;
    events::append(tx, None, actor, now, &event)
}

pub fn find_live(tx: &dyn Tx, id: Option<&str>, secret: &str) -> Result<Option<Token>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM tokens WHERE (?1 IS NULL OR id = ?1) AND secret_hash = ?2 AND revoked_at IS NULL"
    );
    tx.query_opt(&sql, args![id, hash_secret(secret)], read)
}

pub fn touch(tx: &dyn Tx, id: &str, now: Timestamp) -> Result<()> {
    tx.execute(
        "UPDATE tokens SET last_used_at = ?2 WHERE id = ?1",
        args![id, ts(now)],
    )?;
    Ok(())
}

fn read(row: &dyn Row) -> Result<Token> {
    let role: String = row.get(2)?;
    Ok(Token {
        id: row.get(0)?,
        name: row.get(1)?,
        role: Role::parse(&role)
            .ok_or_else(|| StoreError::Internal(format!("unknown role {role:?}")))?,
        created_at: from_ts(row.get(3)?)?,
        last_used_at: from_opt_ts(row.get(4)?)?,
        revoked_at: from_opt_ts(row.get(5)?)?,
    })
}
