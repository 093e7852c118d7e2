//! Runs the store stories (`herald-store`'s `tests/story`) against the SQLite backend: a real
//! database file in a temporary directory, fresh for every test.
//!
//! A new backend's crate adds a runner like this one: it opens a fresh database per test,
//! calls every `story::*` function through the `Store` trait, and adds its own raw checks (an
//! append-only audit log, secrets stored only as hashes) in its own dialect.
#[path = "../../herald-store/tests/story/mod.rs"]
mod story;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};

use herald_store::{Store, hash_secret};
use herald_store_sqlite::{SCHEMA_VERSION, SqliteStore};
use rusqlite::Connection;
use rusqlite::types::ValueRef;
use tempfile::TempDir;

/// A database file that lives as long as the test.
struct Db {
    _dir: TempDir,
    path: PathBuf,
}

impl Db {
    fn new() -> Db {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("herald.db");
        Db { _dir: dir, path }
    }

    fn open(&self) -> SqliteStore {
        SqliteStore::open(&self.path).expect("the store opens")
    }

    /// A plain connection to the file, beside the store, as an operator's `sqlite3` would be.
    fn raw(&self) -> Connection {
        Connection::open(&self.path).expect("a raw connection")
    }
}

/// One `#[tokio::test]` per story that needs nothing but a fresh store.
macro_rules! stories {
    ($($story:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $story() {
            let db = Db::new();
            let store = db.open();
            story::$story(&store).await;
        }
    )*};
}

stories!(
    pages,
    components,
    component_deletion,
    incident_lifecycle,
    incident_listing,
    incident_search,
    preview_writes_nothing,
    derived_status,
    repeat_severity,
    maintenance_lifecycle,
    maintenance_listing,
    maintenance_holds,
    audit_log,
    tokens,
    users,
    user_enabling,
    user_roles,
    job_leases,
    subscribers,
    cadence_and_checklist,
    incident_corrections,
    maintenance_automation,
);

/// The CLI and the server: two stores, each with its own connections, on one file.
#[tokio::test]
async fn two_handles() {
    let db = Db::new();
    let one: Arc<dyn Store> = Arc::new(db.open());
    let other: Arc<dyn Store> = Arc::new(db.open());
    story::two_handles(one, other).await;
}

#[tokio::test]
async fn durability() {
    let db = Db::new();
    let store = db.open();
    let durable = story::durability_fill(&store).await;
    drop(store);
    let store = db.open();
    story::durability_check(&store, durable).await;
}

#[tokio::test]
async fn the_audit_log_is_append_only() {
    let db = Db::new();
    let store = db.open();
    story::audit_log(&store).await;
    let before = story::all_events(&store).await;
    assert_eq!(before.len(), 15);

    let raw = db.raw();
    for sql in [
        "UPDATE events SET actor = 'mallory' WHERE id = 1",
        "UPDATE events SET after = NULL",
        "DELETE FROM events WHERE id = 1",
        "DELETE FROM events",
    ] {
        let err = raw.execute(sql, []).expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    let count: i64 = raw
        .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 15);
    assert_eq!(story::all_events(&store).await, before);
}

#[tokio::test]
async fn token_secrets_are_stored_only_as_hashes() {
    let db = Db::new();
    let store = db.open();
    let secrets = story::tokens(&store).await;
    assert_eq!(secrets.len(), 2);

    let raw = db.raw();
    let hashes: Vec<String> = raw
        .prepare("SELECT secret_hash FROM tokens ORDER BY created_at")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let expected: Vec<String> = secrets.iter().map(|s| hash_secret(s)).collect();
    assert_eq!(hashes, expected);

    // No value in any table holds a secret, with or without its prefix.
    let needles: Vec<&str> = secrets
        .iter()
        .flat_map(|s| [s.as_str(), s.strip_prefix("hrld_").unwrap()])
        .collect();
    let mut cells = 0;
    for table in tables(&raw) {
        let mut stmt = raw.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let columns = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for i in 0..columns {
                cells += 1;
                let text = match row.get_ref(i).unwrap() {
                    ValueRef::Text(bytes) | ValueRef::Blob(bytes) => {
                        String::from_utf8_lossy(bytes).into_owned()
                    }
                    _ => continue,
                };
                for needle in &needles {
                    assert!(
                        !text.contains(needle),
                        "{table} stores a token secret: {text}"
                    );
                }
            }
        }
    }
    assert!(cells > 20, "the scan looked at the data ({cells} cells)");

    // Nor do the database's files, free pages and write-ahead log included.
    drop(raw);
    drop(store);
    for file in files(&db.path) {
        let bytes = std::fs::read(&file).unwrap();
        for needle in &needles {
            let found = bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
            assert!(!found, "{} holds a token secret", file.display());
        }
    }
}

/// A user's password hash is kept in its row of `users` and nowhere else in the database.
#[tokio::test]
async fn password_hashes_stay_in_the_users_table() {
    let db = Db::new();
    let store = db.open();
    let hash = story::users(&store).await;

    let raw = db.raw();
    let mut found = Vec::new();
    for table in tables(&raw) {
        let mut stmt = raw.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let names: Vec<String> = stmt.column_names().iter().map(|c| c.to_string()).collect();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for (i, column) in names.iter().enumerate() {
                if let ValueRef::Text(bytes) = row.get_ref(i).unwrap()
                    && String::from_utf8_lossy(bytes).contains(hash)
                {
                    found.push(format!("{table}.{column}"));
                }
            }
        }
    }
    assert_eq!(found, ["users.password_hash"]);
}

/// The file is in WAL mode (readers do not block the writer) and at the current schema.
#[tokio::test]
async fn the_file_is_wal_at_the_current_schema() {
    let db = Db::new();
    let _store = db.open();
    let raw = db.raw();
    let mode: String = raw
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let version: i64 = raw
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    assert!(tables(&raw).contains(&"events".to_string()));
}

/// The CLI and the server may both be the first to open a new file; both must succeed.
#[test]
fn a_new_file_opened_by_several_at_once_is_migrated_once() {
    for _ in 0..20 {
        let db = Db::new();
        let barrier = Arc::new(Barrier::new(4));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let (path, barrier) = (db.path.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    SqliteStore::open(&path).map(drop)
                })
            })
            .collect();
        for handle in handles {
            handle.join().expect("no panic").expect("the store opens");
        }
        let version: i64 = db
            .raw()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
    }
}

fn tables(conn: &Connection) -> Vec<String> {
    conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The database file and whatever SQLite keeps beside it.
fn files(path: &Path) -> Vec<PathBuf> {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(&name))
        .collect()
}
