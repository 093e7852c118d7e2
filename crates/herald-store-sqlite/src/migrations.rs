//! Schema migrations. Each is applied once, in order, and never edited after release: a data
//! file written by one version of Herald opens in the next. `PRAGMA user_version` records how
//! many have been applied; `schema_compat` which older Heralds may still run on the file.
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use herald_store::{Result, StoreError};

/// A migration, and whether it takes away what older Heralds rely on (a dropped column, a
/// changed meaning). Those come a release after the code stopped using what they remove.
struct Migration {
    sql: &'static str,
    breaks_older: bool,
}

impl Migration {
    const fn adds(sql: &'static str) -> Migration {
        Migration {
            sql,
            breaks_older: false,
        }
    }
}

const MIGRATIONS: &[Migration] = &[
    Migration::adds(include_str!("migrations/0001_foundation.sql")),
    Migration::adds(include_str!("migrations/0002_maintenance.sql")),
    Migration::adds(include_str!("migrations/0003_delivery.sql")),
    Migration::adds(include_str!("migrations/0004_maintenance_automation.sql")),
    Migration::adds(include_str!("migrations/0005_users.sql")),
    Migration::adds(include_str!("migrations/0006_sessions.sql")),
    Migration::adds(include_str!("migrations/0007_cadence.sql")),
    Migration::adds(include_str!("migrations/0008_checklist_and_nudge_keys.sql")),
    Migration::adds(include_str!("migrations/0009_issue_link.sql")),
    Migration::adds(include_str!("migrations/0010_update_corrections.sql")),
    Migration::adds(include_str!("migrations/0011_delivery_outcomes.sql")),
    Migration::adds(include_str!("migrations/0012_ordered_active_indexes.sql")),
    Migration::adds(include_str!(
        "migrations/0013_disabled_subscribers_index.sql"
    )),
    Migration::adds(include_str!("migrations/0014_job_leases.sql")),
    Migration::adds(include_str!("migrations/0015_schema_compat.sql")),
];

pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub fn migrate(conn: &mut Connection) -> Result<()> {
    migrate_to(conn, MIGRATIONS.len())
}

/// Applies the first `target` migrations that are not applied yet, each in its own transaction.
pub(crate) fn migrate_to(conn: &mut Connection, target: usize) -> Result<()> {
    let applied: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if applied > SCHEMA_VERSION {
        // A newer Herald migrated the file (a rolling upgrade under way): this one runs on
        // it unless a migration it does not know took away what it relies on.
        let oldest = oldest_reader(conn)?;
        if oldest.is_none_or(|oldest| oldest > SCHEMA_VERSION) {
            return Err(StoreError::Conflict(format!(
                "the data directory was written by a newer Herald (schema version {applied}; this one knows {SCHEMA_VERSION}) that older ones cannot run on; upgrade Herald or restore a backup"
            )));
        }
        return Ok(());
    }
    for (index, migration) in MIGRATIONS
        .iter()
        .enumerate()
        .take(target)
        .skip(applied as usize)
    {
        apply(conn, index, migration)?;
    }
    Ok(())
}

/// Applies the migration at `index` in its own transaction, and returns the schema version
/// after it. IMMEDIATE, and checked again inside: another process (the CLI beside a starting
/// server) may have applied it since the version was read.
fn apply(conn: &mut Connection, index: usize, migration: &Migration) -> Result<i64> {
    let version = index as i64 + 1;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let now_applied: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if now_applied >= version {
        return Ok(now_applied);
    }
    tx.execute_batch(migration.sql)?;
    if migration.breaks_older {
        tx.execute("UPDATE schema_compat SET oldest_reader = ?1", [version])?;
    }
    tx.pragma_update(None, "user_version", version)?;
    tx.commit()?;
    tracing::info!(version, "applied database migration");
    Ok(version)
}

/// The oldest schema version a Herald may know and still run on this file; none for a file
/// from before the marker (any older Herald refuses it).
fn oldest_reader(conn: &Connection) -> Result<Option<i64>> {
    let marked = conn
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_compat'")?
        .exists([])?;
    if !marked {
        return Ok(None);
    }
    let oldest = conn.query_row("SELECT oldest_reader FROM schema_compat", [], |row| {
        row.get(0)
    });
    Ok(oldest.optional()?)
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

    /// The file as a newer Herald leaves it: `ahead` migrations this one does not know, the
    /// last of which let Heralds from `oldest_reader` on run on it.
    fn written_by_a_newer_herald(ahead: i64, oldest_reader: i64) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("herald.db");
        drop(crate::SqliteStore::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.execute("ALTER TABLE pages ADD COLUMN from_the_future TEXT", [])
            .unwrap();
        conn.execute(
            "UPDATE schema_compat SET oldest_reader = ?1",
            [oldest_reader],
        )
        .unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + ahead)
            .unwrap();
        dir
    }

    #[test]
    fn a_newer_herald_that_only_added_leaves_the_file_open_to_this_one() {
        let dir = written_by_a_newer_herald(2, SCHEMA_VERSION - 3);
        let path = dir.path().join("herald.db");
        drop(crate::SqliteStore::open(&path).expect("opens beside the newer Herald"));
        let conn = Connection::open(&path).unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(
            version,
            SCHEMA_VERSION + 2,
            "the newer schema is left as it is"
        );
    }

    #[test]
    fn a_file_a_newer_herald_marked_as_breaking_older_ones_is_refused_clearly() {
        let dir = written_by_a_newer_herald(1, SCHEMA_VERSION + 1);
        let err = crate::SqliteStore::open(&dir.path().join("herald.db"))
            .err()
            .unwrap();
        assert!(err.to_string().contains("newer Herald"), "{err}");
        assert!(err.to_string().contains("upgrade Herald"), "{err}");
    }

    #[test]
    fn a_newer_file_without_the_marker_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("herald.db");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(conn);
        let err = crate::SqliteStore::open(&path).err().unwrap();
        assert!(err.to_string().contains("newer Herald"), "{err}");
    }

    #[test]
    fn a_migration_that_breaks_older_heralds_raises_the_mark() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("herald.db")).unwrap();
        migrate(&mut conn).unwrap();
        let breaking = Migration {
            sql: "ALTER TABLE pages DROP COLUMN time_zone",
            breaks_older: true,
        };
        let version = apply(&mut conn, SCHEMA_VERSION as usize, &breaking).unwrap();
        assert_eq!(oldest_reader(&conn).unwrap(), Some(version));
        assert_eq!(version, SCHEMA_VERSION + 1);
    }
}
