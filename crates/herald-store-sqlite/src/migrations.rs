//! Schema migrations. Each is applied once, in order, and never edited after release: a data
//! file written by one version of Herald opens in the next. `PRAGMA user_version` records how
//! many have been applied.
use rusqlite::{Connection, TransactionBehavior};

use herald_store::{Result, StoreError};

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_foundation.sql"),
    include_str!("migrations/0002_maintenance.sql"),
    include_str!("migrations/0003_delivery.sql"),
    include_str!("migrations/0004_maintenance_automation.sql"),
    include_str!("migrations/0005_users.sql"),
    include_str!("migrations/0006_sessions.sql"),
    include_str!("migrations/0007_cadence.sql"),
    include_str!("migrations/0008_checklist_and_nudge_keys.sql"),
    include_str!("migrations/0009_issue_link.sql"),
    include_str!("migrations/0010_update_corrections.sql"),
    include_str!("migrations/0011_delivery_outcomes.sql"),
    include_str!("migrations/0012_ordered_active_indexes.sql"),
    include_str!("migrations/0013_disabled_subscribers_index.sql"),
    include_str!("migrations/0014_job_leases.sql"),
];

pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub fn migrate(conn: &mut Connection) -> Result<()> {
    migrate_to(conn, MIGRATIONS.len())
}

/// Applies the first `target` migrations that are not applied yet, each in its own transaction.
pub(crate) fn migrate_to(conn: &mut Connection, target: usize) -> Result<()> {
    let applied: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if applied > SCHEMA_VERSION {
        return Err(StoreError::Conflict(format!(
            "the data directory was written by a newer Herald (schema version {applied}; this one knows {SCHEMA_VERSION}); upgrade Herald or restore a backup"
        )));
    }
    for (index, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .take(target)
        .skip(applied as usize)
    {
        // IMMEDIATE, and checked again inside: another process (the CLI beside a starting
        // server) may have applied this migration since `applied` was read.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now_applied: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
        if now_applied > index as i64 {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
        tracing::info!(version = index + 1, "applied database migration");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_at_an_older_schema_opens_and_upgrades() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("herald.db");
        let mut conn = Connection::open(&path).unwrap();
        migrate_to(&mut conn, 0).unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, 0);
        drop(conn);
        let store = crate::SqliteStore::open(&path).unwrap();
        drop(store);
        let conn = Connection::open(&path).unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
    }

    #[test]
    fn a_file_from_a_newer_herald_is_refused_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("herald.db");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(conn);
        let err = crate::SqliteStore::open(&path).err().unwrap();
        assert!(err.to_string().contains("newer Herald"), "{err}");
    }
}
