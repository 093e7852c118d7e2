//! The embedded default backend: one SQLite file in WAL mode. Writes are serialised on one
//! connection, each command in one IMMEDIATE transaction; reads use a small pool.
mod cadence;
mod checklist;
mod codec;
mod components;
mod delivery;
mod events;
mod incidents;
mod listing;
mod maintenance;
mod migrations;
mod pages;
mod sessions;
mod status;
mod subscribers;
mod tokens;
mod users;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use herald_core::Id;
use herald_core::access::Role;
use herald_core::broadcast::Subject;
use herald_core::component::{Component, Group};
use herald_core::incident::{Incident, IncidentEdit, NewIncident, UpdateCorrection, UpdateDraft};
use herald_core::maintenance::{Maintenance, MaintenanceDraft, NewMaintenance, Reschedule};
use herald_core::nudge::NudgeChannel;
use herald_core::page::{Page, PageFields};
use herald_core::preview::Preview;
use herald_core::status::{PageStatus, StatusLevel};
use herald_core::subscriber::{NewSubscriber, Subscriber};
use herald_core::user::{NewUser, User};
use jiff::Timestamp;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

pub use migrations::SCHEMA_VERSION;

use herald_store::{
    BatchRecord, Broadcast, Change, ComponentPatch, CreatedSubscriber, DeliveryReport, EventQuery,
    EventRecord, IncidentFilter, IncidentQuery, IncidentSearch, Job, Lease, MaintenanceFilter,
    MaintenanceQuery, NewComponent, NewSession, NewToken, PagePatch, RecipientPage, RecipientQuery,
    Result, Session, Settled, SignInMethod, Store, StoreError, SubscribeRequest, SubscriberPatch,
    SubscriberQuery, Target, Token,
};
use herald_store::{
    Cadence, ChecklistEntry, NudgeDelivery, NudgeQuery, NudgeRecord, NudgeToSend, PageAdherence,
    Roles, SubjectAdherence, Tick,
};

const READERS: usize = 4;
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Prepared statements kept per connection: more than Herald has.
const STATEMENT_CACHE: usize = 256;

#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    /// The file the connections opened, as it was then.
    file: DatabaseFile,
}

/// The database file by its path and its identity on disk (device and inode). SQLite keeps
/// writing to a file that was deleted or replaced under it, and those writes vanish at the
/// next start; so before each write transaction the path is looked at again (one `stat`).
struct DatabaseFile {
    path: PathBuf,
    identity: Option<(u64, u64)>,
}

impl DatabaseFile {
    fn new(path: &Path) -> DatabaseFile {
        DatabaseFile {
            path: path.to_path_buf(),
            identity: identity(path),
        }
    }

    /// Refuses the write when the path no longer names the file that was opened.
    fn check(&self) -> Result<()> {
        let problem = match (std::fs::metadata(&self.path), self.identity) {
            (Err(_), _) => "is gone",
            (Ok(_), Some(opened)) if identity(&self.path) != Some(opened) => {
                "has been replaced by another file"
            }
            _ => return Ok(()),
        };
        let message = format!(
            "the database file {} {problem} since Herald opened it; writes are refused so that none is lost. Restore the file (or the backup) and restart Herald",
            self.path.display()
        );
        tracing::error!("{message}");
        Err(StoreError::FileChanged(message))
    }
}

#[cfg(unix)]
fn identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn identity(_path: &Path) -> Option<(u64, u64)> {
    None
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        let mut writer = connect(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        )?;
        enable_wal(&writer)?;
        migrations::migrate(&mut writer)?;
        let readers = (0..READERS)
            .map(|_| connect(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map(Mutex::new))
            .collect::<Result<Vec<_>>>()?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                writer: Mutex::new(writer),
                readers,
                next_reader: AtomicUsize::new(0),
                file: DatabaseFile::new(path),
            }),
        })
    }

    /// Runs `f` in one IMMEDIATE transaction on the writer: all of it commits, or none.
    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction) -> Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        blocking(move || {
            let mut conn = inner.writer.lock().unwrap_or_else(|e| e.into_inner());
            inner.file.check()?;
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
        .await
    }

    /// Runs `f` in one read transaction on a pooled reader, so it sees one consistent state.
    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction) -> Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        blocking(move || {
            let start = inner.next_reader.fetch_add(1, Ordering::Relaxed);
            let slot =
                (0..READERS).find_map(|i| inner.readers[(start + i) % READERS].try_lock().ok());
            let mut conn = match slot {
                Some(conn) => conn,
                None => inner.readers[start % READERS]
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()),
            };
            let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
            f(&tx)
        })
        .await
    }

    /// Writes a consistent copy of the whole database to `to`, a new file, while the store
    /// stays open for reads and writes: everything committed when the copy began, compacted,
    /// and checked before this returns its size in bytes.
    pub async fn backup(&self, to: &Path) -> Result<u64> {
        let target = to
            .to_str()
            .ok_or_else(|| {
                StoreError::Conflict(format!(
                    "{} is not a UTF-8 path; choose another",
                    to.display()
                ))
            })?
            .to_string();
        if to.exists() {
            return Err(StoreError::Conflict(format!(
                "{target} already exists; a backup goes to a new file"
            )));
        }
        let inner = self.inner.clone();
        blocking(move || {
            let conn = inner.readers[0].lock().unwrap_or_else(|e| e.into_inner());
            conn.execute("VACUUM INTO ?1", [&target])?;
            let copy = Connection::open_with_flags(&target, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
            let verdict: String = copy.query_row("PRAGMA quick_check", [], |row| row.get(0))?;
            if verdict != "ok" {
                return Err(StoreError::Internal(format!(
                    "the backup in {target} failed its check: {verdict}"
                )));
            }
            let size =
                std::fs::metadata(&target).map_err(|e| StoreError::Unavailable(e.to_string()))?;
            Ok(size.len())
        })
        .await
    }
}

/// Switches the file to WAL (a no-op once it is). SQLite refuses the switch at once, without
/// waiting, while another connection has a brand-new file open, as when the CLI and a server
/// start together on an empty data directory; so wait for it like for any other lock.
fn enable_wal(conn: &Connection) -> Result<()> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(err)
                if err.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            other => return Ok(other?),
        }
    }
}

fn connect(path: &Path, flags: OpenFlags) -> Result<Connection> {
    let conn = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Every statement Herald runs stays prepared: with the default of 16, a reader serving
    // the web, the publisher and a fan-out at once would prepare its queries again and again.
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Internal(format!("database task failed: {e}")))?
}

/// Time in the store has microsecond precision; commands round `now` to it up front so what a
/// command returns equals what a later read returns.
fn micros(now: Timestamp) -> Timestamp {
    Timestamp::from_microsecond(now.as_microsecond()).unwrap_or(now)
}

fn owned(s: &str) -> String {
    s.to_string()
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_page(&self, actor: &str, fields: PageFields, now: Timestamp) -> Result<Page> {
        let actor = owned(actor);
        self.write(move |tx| pages::create(tx, &actor, fields, micros(now)))
            .await
    }

    async fn update_page(
        &self,
        actor: &str,
        page: &str,
        patch: PagePatch,
        now: Timestamp,
    ) -> Result<Page> {
        let (actor, page) = (owned(actor), owned(page));
        self.write(move |tx| pages::update(tx, &actor, &page, patch, micros(now)))
            .await
    }

    async fn pages(&self) -> Result<Vec<Page>> {
        self.read(|tx| pages::list(tx)).await
    }

    async fn page(&self, page: &str) -> Result<Page> {
        let page = owned(page);
        self.read(move |tx| pages::get(tx, &page)).await
    }

    async fn create_group(
        &self,
        actor: &str,
        page: &str,
        name: String,
        now: Timestamp,
    ) -> Result<Group> {
        let (actor, page) = (owned(actor), owned(page));
        self.write(move |tx| {
            let page = pages::get(tx, &page)?;
            components::create_group(tx, &actor, &page.id, &name, micros(now))
        })
        .await
    }

    async fn groups(&self, page: &str) -> Result<Vec<Group>> {
        let page = owned(page);
        self.read(move |tx| components::groups(tx, &pages::get(tx, &page)?.id))
            .await
    }

    async fn create_component(
        &self,
        actor: &str,
        page: &str,
        new: NewComponent,
        now: Timestamp,
    ) -> Result<Component> {
        let (actor, page) = (owned(actor), owned(page));
        self.write(move |tx| {
            let page = pages::get(tx, &page)?;
            components::create(tx, &actor, &page.id, new, micros(now))
        })
        .await
    }

    async fn update_component(
        &self,
        actor: &str,
        page: &str,
        id: &str,
        patch: ComponentPatch,
        now: Timestamp,
    ) -> Result<Component> {
        let (actor, page, id) = (owned(actor), owned(page), owned(id));
        self.write(move |tx| {
            let page = pages::get(tx, &page)?;
            components::update(tx, &actor, &page.id, &id, patch, micros(now))
        })
        .await
    }

    async fn delete_component(
        &self,
        actor: &str,
        page: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<()> {
        let (actor, page, id) = (owned(actor), owned(page), owned(id));
        self.write(move |tx| {
            let page = pages::get(tx, &page)?;
            components::delete(tx, &actor, &page.id, &id, micros(now))
        })
        .await
    }

    async fn add_location(
        &self,
        actor: &str,
        page: &str,
        component: &str,
        name: String,
        now: Timestamp,
    ) -> Result<Component> {
        let (actor, page, component) = (owned(actor), owned(page), owned(component));
        self.write(move |tx| {
            let page = pages::get(tx, &page)?;
            components::add_location(tx, &actor, &page.id, &component, &name, micros(now))
        })
        .await
    }

    async fn set_override(
        &self,
        actor: &str,
        page: &str,
        location: &str,
        level: Option<StatusLevel>,
        now: Timestamp,
    ) -> Result<Component> {
        let (actor, page, location) = (owned(actor), owned(page), owned(location));
        self.write(move |tx| {
            let page = pages::get(tx, &page)?;
            components::set_override(tx, &actor, &page.id, &location, level, micros(now))
        })
        .await
    }

    async fn components(&self, page: &str) -> Result<Vec<Component>> {
        let page = owned(page);
        self.read(move |tx| components::list(tx, &pages::get(tx, &page)?.id))
            .await
    }

    async fn component(&self, page: &str, id: &str) -> Result<Component> {
        let (page, id) = (owned(page), owned(id));
        self.read(move |tx| components::get(tx, &pages::get(tx, &page)?.id, &id))
            .await
    }

    async fn page_status(&self, page: &str) -> Result<PageStatus> {
        let page = owned(page);
        self.read(move |tx| status::page_status(tx, &pages::get(tx, &page)?.id))
            .await
    }

    async fn create_incident(
        &self,
        actor: &str,
        page: &str,
        new: NewIncident,
        now: Timestamp,
    ) -> Result<Incident> {
        let (actor, page) = (owned(actor), owned(page));
        self.write(move |tx| {
            incidents::create(tx, &actor, &pages::get(tx, &page)?, new, micros(now))
        })
        .await
    }

    async fn post_update(
        &self,
        actor: &str,
        page: &str,
        incident: &str,
        draft: UpdateDraft,
        now: Timestamp,
    ) -> Result<Incident> {
        let (actor, page, incident) = (owned(actor), owned(page), owned(incident));
        self.write(move |tx| {
            incidents::post_update(
                tx,
                &actor,
                &pages::get(tx, &page)?,
                &incident,
                draft,
                micros(now),
            )
        })
        .await
    }

    async fn edit_incident(
        &self,
        actor: &str,
        page: &str,
        incident: &str,
        edit: IncidentEdit,
        now: Timestamp,
    ) -> Result<Incident> {
        let (actor, page, incident) = (owned(actor), owned(page), owned(incident));
        self.write(move |tx| {
            incidents::edit(
                tx,
                &actor,
                &pages::get(tx, &page)?,
                &incident,
                edit,
                micros(now),
            )
        })
        .await
    }

    async fn correct_update(
        &self,
        actor: &str,
        page: &str,
        (incident, update): (&str, &str),
        correction: UpdateCorrection,
        now: Timestamp,
    ) -> Result<Incident> {
        let (actor, page) = (owned(actor), owned(page));
        let (incident, update) = (owned(incident), owned(update));
        self.write(move |tx| {
            incidents::correct_update(
                tx,
                &actor,
                &pages::get(tx, &page)?,
                (&incident, &update),
                correction,
                micros(now),
            )
        })
        .await
    }

    async fn set_postmortem(
        &self,
        actor: &str,
        page: &str,
        incident: &str,
        url: String,
        now: Timestamp,
    ) -> Result<Incident> {
        let (actor, page, incident) = (owned(actor), owned(page), owned(incident));
        self.write(move |tx| {
            incidents::set_postmortem(
                tx,
                &actor,
                &pages::get(tx, &page)?,
                &incident,
                &url,
                micros(now),
            )
        })
        .await
    }

    async fn delete_incident(
        &self,
        actor: &str,
        page: &str,
        incident: &str,
        now: Timestamp,
    ) -> Result<()> {
        let (actor, page, incident) = (owned(actor), owned(page), owned(incident));
        self.write(move |tx| {
            incidents::delete(tx, &actor, &pages::get(tx, &page)?, &incident, micros(now))
        })
        .await
    }

    async fn incident(&self, page: &str, incident: &str) -> Result<Incident> {
        let (page, incident) = (owned(page), owned(incident));
        self.read(move |tx| incidents::get(tx, &pages::get(tx, &page)?.id, &incident))
            .await
    }

    async fn incidents(&self, page: &str, query: IncidentQuery) -> Result<Vec<Incident>> {
        let page = owned(page);
        self.read(move |tx| incidents::list(tx, &pages::get(tx, &page)?.id, &query))
            .await
    }

    async fn search_incidents(&self, page: &str, search: IncidentSearch) -> Result<Vec<Incident>> {
        let page = owned(page);
        self.read(move |tx| incidents::search(tx, &pages::get(tx, &page)?.id, &search))
            .await
    }

    async fn incident_ids(&self, page: &str, filter: IncidentFilter) -> Result<Vec<Id>> {
        let page = owned(page);
        self.read(move |tx| incidents::ids(tx, &pages::get(tx, &page)?.id, filter))
            .await
    }

    async fn incident_by_update(&self, page: &str, update: &str) -> Result<Incident> {
        let (page, update) = (owned(page), owned(update));
        self.read(move |tx| incidents::by_update(tx, &pages::get(tx, &page)?.id, &update))
            .await
    }

    async fn preview_incident(
        &self,
        actor: &str,
        page: &str,
        new: NewIncident,
        now: Timestamp,
    ) -> Result<Preview> {
        let (actor, page) = (owned(actor), owned(page));
        self.read(move |tx| {
            incidents::preview_create(tx, &actor, &pages::get(tx, &page)?, new, micros(now))
        })
        .await
    }

    async fn preview_update(
        &self,
        actor: &str,
        page: &str,
        incident: &str,
        draft: UpdateDraft,
        now: Timestamp,
    ) -> Result<Preview> {
        let (actor, page, incident) = (owned(actor), owned(page), owned(incident));
        self.read(move |tx| {
            incidents::preview_update(
                tx,
                &actor,
                &pages::get(tx, &page)?,
                &incident,
                draft,
                micros(now),
            )
        })
        .await
    }

    async fn schedule_maintenance(
        &self,
        actor: &str,
        page: &str,
        new: NewMaintenance,
        now: Timestamp,
    ) -> Result<Maintenance> {
        let (actor, page) = (owned(actor), owned(page));
        // Planned times are instants like `now`, rounded alike.
        let new = NewMaintenance {
            starts_at: micros(new.starts_at),
            ends_at: micros(new.ends_at),
            ..new
        };
        self.write(move |tx| {
            maintenance::schedule(tx, &actor, &pages::get(tx, &page)?, new, micros(now))
        })
        .await
    }

    async fn post_maintenance_update(
        &self,
        actor: &str,
        page: &str,
        id: &str,
        draft: MaintenanceDraft,
        now: Timestamp,
    ) -> Result<Maintenance> {
        let (actor, page, id) = (owned(actor), owned(page), owned(id));
        self.write(move |tx| {
            let page = pages::get(tx, &page)?;
            maintenance::post_update(tx, &actor, &page, &id, draft, micros(now))
        })
        .await
    }

    async fn reschedule_maintenance(
        &self,
        actor: &str,
        page: &str,
        id: &str,
        times: Reschedule,
        now: Timestamp,
    ) -> Result<Maintenance> {
        let (actor, page, id) = (owned(actor), owned(page), owned(id));
        let times = Reschedule {
            starts_at: micros(times.starts_at),
            ends_at: micros(times.ends_at),
            ..times
        };
        self.write(move |tx| {
            let page = pages::get(tx, &page)?;
            maintenance::reschedule(tx, &actor, &page, &id, times, micros(now))
        })
        .await
    }

    async fn set_maintenance_automation(
        &self,
        actor: &str,
        page: &str,
        id: &str,
        enabled: bool,
        now: Timestamp,
    ) -> Result<Maintenance> {
        let (actor, page, id) = (owned(actor), owned(page), owned(id));
        self.write(move |tx| {
            let page = pages::get(tx, &page)?;
            maintenance::set_automation(tx, &actor, &page, &id, enabled, micros(now))
        })
        .await
    }

    async fn set_maintenance_reminders(
        &self,
        actor: &str,
        page: &str,
        id: &str,
        reminders: Vec<u32>,
        now: Timestamp,
    ) -> Result<Maintenance> {
        let (actor, page, id) = (owned(actor), owned(page), owned(id));
        self.write(move |tx| {
            let page = pages::get(tx, &page)?;
            maintenance::set_reminders(tx, &actor, &page, &id, reminders, micros(now))
        })
        .await
    }

    async fn delete_maintenance(
        &self,
        actor: &str,
        page: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<()> {
        let (actor, page, id) = (owned(actor), owned(page), owned(id));
        self.write(move |tx| {
            maintenance::delete(tx, &actor, &pages::get(tx, &page)?, &id, micros(now))
        })
        .await
    }

    async fn maintenance(&self, page: &str, id: &str) -> Result<Maintenance> {
        let (page, id) = (owned(page), owned(id));
        self.read(move |tx| maintenance::get(tx, &pages::get(tx, &page)?.id, &id))
            .await
    }

    async fn maintenances(
        &self,
        page: &str,
        query: MaintenanceQuery,
        now: Timestamp,
    ) -> Result<Vec<Maintenance>> {
        let page = owned(page);
        self.read(move |tx| maintenance::list(tx, &pages::get(tx, &page)?.id, &query, now))
            .await
    }

    async fn maintenance_ids(
        &self,
        page: &str,
        filter: MaintenanceFilter,
        now: Timestamp,
    ) -> Result<Vec<Id>> {
        let page = owned(page);
        self.read(move |tx| maintenance::ids(tx, &pages::get(tx, &page)?.id, filter, now))
            .await
    }

    async fn maintenance_by_update(&self, page: &str, update: &str) -> Result<Maintenance> {
        let (page, update) = (owned(page), owned(update));
        self.read(move |tx| maintenance::by_update(tx, &pages::get(tx, &page)?.id, &update))
            .await
    }

    async fn create_token(
        &self,
        actor: &str,
        name: String,
        role: Role,
        now: Timestamp,
    ) -> Result<NewToken> {
        let actor = owned(actor);
        self.write(move |tx| tokens::create(tx, &actor, &name, role, micros(now)))
            .await
    }

    async fn tokens(&self) -> Result<Vec<Token>> {
        self.read(|tx| tokens::list(tx)).await
    }

    async fn revoke_token(&self, actor: &str, id: &str, now: Timestamp) -> Result<()> {
        let (actor, id) = (owned(actor), owned(id));
        self.write(move |tx| tokens::revoke(tx, &actor, &id, micros(now)))
            .await
    }

    async fn authenticate(
        &self,
        id: Option<&str>,
        secret: &str,
        now: Timestamp,
    ) -> Result<Option<Token>> {
        let (id, secret) = (id.map(owned), owned(secret));
        let found = self
            .read(move |tx| tokens::find_live(tx, id.as_deref(), &secret))
            .await?;
        let Some(token) = found else { return Ok(None) };
        if herald_core::token::needs_touch(&token, now) {
            let id = token.id.clone();
            self.write(move |tx| tokens::touch(tx, &id, micros(now)))
                .await?;
        }
        Ok(Some(token))
    }

    async fn create_user(
        &self,
        actor: &str,
        new: NewUser,
        password_hash: Option<String>,
        now: Timestamp,
    ) -> Result<User> {
        let actor = owned(actor);
        self.write(move |tx| users::create(tx, &actor, new, password_hash, micros(now)))
            .await
    }

    async fn users(&self) -> Result<Vec<User>> {
        self.read(|tx| users::list(tx)).await
    }

    async fn disable_user(&self, actor: &str, id_or_email: &str, now: Timestamp) -> Result<User> {
        let (actor, id) = (owned(actor), owned(id_or_email));
        self.write(move |tx| users::disable(tx, &actor, &id, micros(now)))
            .await
    }

    async fn enable_user(&self, actor: &str, id_or_email: &str, now: Timestamp) -> Result<User> {
        let (actor, id) = (owned(actor), owned(id_or_email));
        self.write(move |tx| users::enable(tx, &actor, &id, micros(now)))
            .await
    }

    async fn set_user_role(
        &self,
        actor: &str,
        id_or_email: &str,
        role: Role,
        now: Timestamp,
    ) -> Result<User> {
        let (actor, id) = (owned(actor), owned(id_or_email));
        self.write(move |tx| users::set_role(tx, &actor, &id, role, micros(now)))
            .await
    }

    async fn user_credentials(&self, email: &str) -> Result<Option<(User, Option<String>)>> {
        let email = owned(email);
        self.read(move |tx| users::credentials(tx, &email)).await
    }

    async fn start_session(
        &self,
        user_id: &str,
        method: SignInMethod,
        from: &str,
        now: Timestamp,
    ) -> Result<NewSession> {
        let (user_id, from) = (owned(user_id), owned(from));
        self.write(move |tx| sessions::start(tx, &user_id, method, &from, micros(now)))
            .await
    }

    async fn session(&self, secret: &str, now: Timestamp) -> Result<Option<Session>> {
        let secret = owned(secret);
        let Some((session, stale)) = self
            .read(move |tx| sessions::find(tx, &secret, micros(now)))
            .await?
        else {
            return Ok(None);
        };
        if stale {
            let id = session.id.clone();
            self.write(move |tx| sessions::touch(tx, &id, micros(now)))
                .await?;
        }
        Ok(Some(session))
    }

    async fn end_session(&self, secret: &str, now: Timestamp) -> Result<()> {
        let secret = owned(secret);
        self.write(move |tx| sessions::end(tx, &secret, micros(now)))
            .await
    }

    async fn issue_sign_in_link(
        &self,
        email: &str,
        now: Timestamp,
    ) -> Result<Option<(User, String)>> {
        let email = owned(email);
        self.write(move |tx| sessions::issue_link(tx, &email, micros(now)))
            .await
    }

    async fn redeem_sign_in_link(
        &self,
        secret: &str,
        from: &str,
        now: Timestamp,
    ) -> Result<Option<NewSession>> {
        let (secret, from) = (owned(secret), owned(from));
        self.write(move |tx| sessions::redeem_link(tx, &secret, &from, micros(now)))
            .await
    }

    async fn create_subscriber(
        &self,
        actor: &str,
        page: &str,
        new: NewSubscriber,
        now: Timestamp,
    ) -> Result<CreatedSubscriber> {
        let (actor, page) = (owned(actor), owned(page));
        self.write(move |tx| {
            subscribers::create(tx, &actor, &pages::get(tx, &page)?, new, micros(now))
        })
        .await
    }

    async fn request_subscription(
        &self,
        page: &str,
        address: String,
        components: Vec<Id>,
        now: Timestamp,
    ) -> Result<SubscribeRequest> {
        let page = owned(page);
        self.write(move |tx| {
            let page = pages::get(tx, &page)?;
            subscribers::request(tx, &page, address, components, micros(now))
        })
        .await
    }

    async fn subscribers(&self, page: &str, query: SubscriberQuery) -> Result<Vec<Subscriber>> {
        let page = owned(page);
        self.read(move |tx| subscribers::list(tx, &pages::get(tx, &page)?.id, &query))
            .await
    }

    async fn subscriber(&self, page: Option<&str>, id: &str) -> Result<Subscriber> {
        let (page, id) = (page.map(owned), owned(id));
        self.read(move |tx| {
            let page_id = page.map(|p| pages::get(tx, &p)).transpose()?.map(|p| p.id);
            subscribers::get(tx, page_id.as_deref(), &id)
        })
        .await
    }

    async fn update_subscriber(
        &self,
        actor: &str,
        page: &str,
        id: &str,
        patch: SubscriberPatch,
        now: Timestamp,
    ) -> Result<Subscriber> {
        let (actor, page, id) = (owned(actor), owned(page), owned(id));
        self.write(move |tx| {
            let page = pages::get(tx, &page)?;
            subscribers::update(tx, &actor, &page.id, &id, patch, micros(now))
        })
        .await
    }

    async fn delete_subscriber(
        &self,
        actor: &str,
        page: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<()> {
        let (actor, page, id) = (owned(actor), owned(page), owned(id));
        self.write(move |tx| {
            subscribers::delete(tx, &actor, &pages::get(tx, &page)?.id, &id, micros(now))
        })
        .await
    }

    async fn confirm_subscriber(&self, id: &str, now: Timestamp) -> Result<Subscriber> {
        let id = owned(id);
        self.write(move |tx| subscribers::confirm(tx, &id, micros(now)))
            .await
    }

    async fn rotate_subscriber_secret(
        &self,
        actor: &str,
        page: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<CreatedSubscriber> {
        let (actor, page, id) = (owned(actor), owned(page), owned(id));
        self.write(move |tx| {
            let page = pages::get(tx, &page)?;
            subscribers::rotate_secret(tx, &actor, &page.id, &id, micros(now))
        })
        .await
    }

    async fn enable_subscriber(
        &self,
        actor: &str,
        page: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<Subscriber> {
        let (actor, page, id) = (owned(actor), owned(page), owned(id));
        self.write(move |tx| {
            subscribers::enable(tx, &actor, &pages::get(tx, &page)?.id, &id, micros(now))
        })
        .await
    }

    async fn delivery_report(&self, page: &str, subject_id: &str) -> Result<Vec<DeliveryReport>> {
        let (page, subject_id) = (owned(page), owned(subject_id));
        self.read(move |tx| delivery::report(tx, &pages::get(tx, &page)?.id, &subject_id))
            .await
    }

    async fn recipients(
        &self,
        page: &str,
        broadcast: &str,
        query: RecipientQuery,
    ) -> Result<RecipientPage> {
        let (page, broadcast) = (owned(page), owned(broadcast));
        self.read(move |tx| {
            delivery::recipients(tx, &pages::get(tx, &page)?.id, &broadcast, &query)
        })
        .await
    }

    async fn link_key(&self) -> Result<Vec<u8>> {
        self.write(|tx| subscribers::link_key(tx)).await
    }

    async fn claim_jobs(
        &self,
        now: Timestamp,
        limit: u32,
        lease_until: Timestamp,
    ) -> Result<Vec<Job>> {
        self.write(move |tx| delivery::claim(tx, now, limit, micros(lease_until)))
            .await
    }

    async fn broadcast(&self, id: &str) -> Result<Broadcast> {
        let id = owned(id);
        self.read(move |tx| delivery::get(tx, &id)).await
    }

    async fn fanout_batch(
        &self,
        broadcast: &Broadcast,
        after: Option<&str>,
        limit: u32,
        now: Timestamp,
    ) -> Result<Vec<Target>> {
        let (broadcast, after) = (broadcast.clone(), after.map(owned));
        self.read(move |tx| delivery::batch(tx, &broadcast, after.as_deref(), limit, now))
            .await
    }

    async fn record_batch(&self, batch: BatchRecord, now: Timestamp) -> Result<()> {
        self.write(move |tx| delivery::record_batch(tx, &batch, micros(now)))
            .await
    }

    async fn target(&self, subscriber_id: &str, now: Timestamp) -> Result<Option<Target>> {
        let id = owned(subscriber_id);
        self.read(move |tx| delivery::target(tx, &id, now)).await
    }

    async fn settle_delivery(
        &self,
        lease: Option<Lease>,
        broadcast_id: &str,
        settled: Settled,
        now: Timestamp,
    ) -> Result<()> {
        let broadcast_id = owned(broadcast_id);
        self.write(move |tx| {
            lease.map(|l| delivery::hold(tx, l)).transpose()?;
            delivery::settle_one(tx, &broadcast_id, &settled, micros(now))
        })
        .await
    }

    async fn finish_job(&self, lease: Lease) -> Result<()> {
        self.write(move |tx| delivery::finish(tx, lease)).await
    }

    async fn retry_job(&self, lease: Lease, at: Timestamp, error: String) -> Result<()> {
        self.write(move |tx| delivery::retry(tx, lease, micros(at), &error))
            .await
    }

    async fn run_maintenance_job(&self, lease: Lease, now: Timestamp) -> Result<bool> {
        self.write(move |tx| maintenance::run_job(tx, lease, micros(now)))
            .await
    }

    async fn snooze(
        &self,
        actor: &str,
        page: &str,
        subject: Subject,
        id: &str,
        minutes: u32,
        now: Timestamp,
    ) -> Result<Cadence> {
        let (actor, page, id) = (owned(actor), owned(page), owned(id));
        self.write(move |tx| {
            let page = pages::get(tx, &page)?;
            cadence::snooze(tx, &actor, &page, subject, &id, minutes, micros(now))
        })
        .await
    }

    async fn set_roles(
        &self,
        actor: &str,
        page: &str,
        subject: Subject,
        id: &str,
        roles: Roles,
        now: Timestamp,
    ) -> Result<Cadence> {
        let (actor, page, id) = (owned(actor), owned(page), owned(id));
        self.write(move |tx| {
            let page = pages::get(tx, &page)?;
            cadence::set_roles(tx, &actor, &page, subject, &id, roles, micros(now))
        })
        .await
    }

    async fn cadence(&self, page: &str, subject: Subject, id: &str) -> Result<Cadence> {
        let (page, id) = (owned(page), owned(id));
        self.read(move |tx| cadence::cadence(tx, &pages::get(tx, &page)?, subject, &id))
            .await
    }

    async fn checklist(&self, page: &str, incident: &str) -> Result<Vec<ChecklistEntry>> {
        let (page, incident) = (owned(page), owned(incident));
        self.read(move |tx| checklist::checklist(tx, &pages::get(tx, &page)?, &incident))
            .await
    }

    async fn tick(
        &self,
        actor: &str,
        page: &str,
        incident: &str,
        tick: Tick,
        now: Timestamp,
    ) -> Result<Vec<ChecklistEntry>> {
        let (actor, page, incident) = (owned(actor), owned(page), owned(incident));
        self.write(move |tx| {
            let page = pages::get(tx, &page)?;
            checklist::tick(tx, &actor, &page, &incident, &tick, micros(now))
        })
        .await
    }

    async fn subject_adherence(
        &self,
        page: &str,
        subject: Subject,
        id: &str,
        now: Timestamp,
    ) -> Result<SubjectAdherence> {
        let (page, id) = (owned(page), owned(id));
        self.read(move |tx| {
            cadence::subject_adherence(tx, &pages::get(tx, &page)?, subject, &id, now)
        })
        .await
    }

    async fn page_adherence(&self, page: &str, now: Timestamp) -> Result<PageAdherence> {
        let page = owned(page);
        self.read(move |tx| cadence::page_adherence(tx, &pages::get(tx, &page)?, now))
            .await
    }

    async fn run_cadence_job(
        &self,
        lease: Lease,
        base_url: &str,
        now: Timestamp,
    ) -> Result<Option<NudgeToSend>> {
        let base_url = owned(base_url);
        self.write(move |tx| cadence::run_job(tx, lease, &base_url, micros(now)))
            .await
    }

    async fn settle_nudge(
        &self,
        lease: Lease,
        deliveries: Vec<(i64, NudgeDelivery)>,
        retry_at: Option<Timestamp>,
    ) -> Result<()> {
        self.write(move |tx| cadence::settle(tx, lease, &deliveries, retry_at.map(micros)))
            .await
    }

    async fn nudges(&self, page: &str, query: NudgeQuery) -> Result<Vec<NudgeRecord>> {
        let page = owned(page);
        self.read(move |tx| cadence::nudges(tx, &pages::get(tx, &page)?, &query))
            .await
    }

    async fn mark_nudges_seen(&self, actor: &str, user: &str, now: Timestamp) -> Result<usize> {
        let (actor, user) = (owned(actor), owned(user));
        self.write(move |tx| cadence::mark_seen(tx, &actor, &user, micros(now)))
            .await
    }

    async fn nudge_secret(&self, user: &str) -> Result<String> {
        let user = owned(user);
        self.read(move |tx| cadence::nudge_secret(tx, &user)).await
    }

    async fn set_nudge_channels(
        &self,
        actor: &str,
        user: &str,
        channels: Vec<NudgeChannel>,
        now: Timestamp,
    ) -> Result<Vec<NudgeChannel>> {
        let (actor, user) = (owned(actor), owned(user));
        self.write(move |tx| cadence::set_channels(tx, &actor, &user, channels, micros(now)))
            .await
    }

    async fn nudge_channels(&self, user: &str) -> Result<Vec<NudgeChannel>> {
        let user = owned(user);
        self.read(move |tx| cadence::channels_of(tx, &user)).await
    }

    async fn events(&self, query: EventQuery) -> Result<Vec<EventRecord>> {
        self.read(move |tx| events::list(tx, &query)).await
    }

    async fn changes(&self, after: i64, limit: u32) -> Result<Vec<Change>> {
        self.read(move |tx| events::changes(tx, after, limit)).await
    }

    async fn last_event_id(&self) -> Result<i64> {
        self.read(|tx| events::last_id(tx)).await
    }
}
