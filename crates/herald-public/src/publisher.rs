//! Keeps every page's snapshot current: loads the pages once, then follows the audit log,
//! reloads only what changed, re-renders the pages it touched, and swaps the result in.
//! If the database cannot be read, the last snapshots stay in service.
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use herald_core::event::EventKind;
use herald_store::{Change, IncidentQuery, MaintenanceQuery, Store, StoreError};
use jiff::Timestamp;
use tokio::sync::watch;
use tokio::time::{Instant, Interval, MissedTickBehavior};

use crate::asset::Asset;
use crate::data::PageData;
use crate::paths;
use crate::render::{self, RenderError, Renderer};
use crate::site::{Site, SitePages};
use crate::snapshot::PageSnapshot;

#[derive(Clone, Debug, Default)]
pub struct PublishOptions {
    /// Where visitors reach Herald, such as `https://status.example.com`; feeds and the JSON
    /// APIs need absolute links.
    pub base_url: String,
    /// The slug served at `/`; the first page created when not set.
    pub default_page: Option<String>,
    /// Templates that replace the built-in ones.
    pub templates_dir: Option<PathBuf>,
    /// Files served under `/assets/site/` (a logo, fonts).
    pub assets_dir: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("the assets directory {dir}: {source}")]
    Assets { dir: String, source: std::io::Error },
}

/// Where the time is read; tests inject their own.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// Rebuilt at least this often, so that what depends on the date alone (the uptime bars)
/// moves on without a change.
const REBUILD_EVERY: Duration = Duration::from_secs(60);
const EVENT_BATCH: u32 = 500;

pub struct Publisher {
    store: Arc<dyn Store>,
    site: Arc<Site>,
    renderer: Arc<Renderer>,
    options: PublishOptions,
    shared: Arc<HashMap<String, Arc<Asset>>>,
    data: HashMap<String, Arc<PageData>>,
    snapshots: HashMap<String, Arc<PageSnapshot>>,
    /// The last audit event applied.
    cursor: i64,
}

impl Publisher {
    /// Loads every page and publishes its first snapshot.
    pub async fn start(
        store: Arc<dyn Store>,
        site: Arc<Site>,
        options: PublishOptions,
        now: Timestamp,
    ) -> Result<Publisher, PublishError> {
        let renderer = Arc::new(Renderer::new(options.templates_dir.as_deref())?);
        let shared = Arc::new(shared_assets(options.assets_dir.as_deref())?);
        // Read the cursor first: a change committed while loading is applied again, harmlessly.
        let cursor = store.last_event_id().await?;
        let mut publisher = Publisher {
            store,
            site,
            renderer,
            options,
            shared,
            data: HashMap::new(),
            snapshots: HashMap::new(),
            cursor,
        };
        let ids: Vec<String> = publisher
            .store
            .pages()
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect();
        for id in &ids {
            let data = load_page(publisher.store.as_ref(), id, now).await?;
            publisher.data.insert(id.clone(), Arc::new(data));
        }
        publisher.rebuild(ids.into_iter().collect(), now).await?;
        Ok(publisher)
    }

    /// Applies every change committed since the last call; rebuilds and publishes the pages
    /// they touched. Returns whether anything was rebuilt.
    pub async fn catch_up(&mut self, now: Timestamp) -> Result<bool, PublishError> {
        let mut dirty = BTreeSet::new();
        loop {
            let events = self.store.changes(self.cursor, EVENT_BATCH).await?;
            let Some(last) = events.last().map(|e| e.id) else {
                break;
            };
            // Each changed thing is read once, however many events it has in the batch; what
            // the public page does not show (subscribers, say) is not read at all.
            let changed: BTreeSet<(&str, Shown)> = events
                .iter()
                .filter_map(|e| Some((e.page_id.as_deref()?, shown(e)?)))
                .collect();
            for (page_id, what) in changed {
                self.apply(page_id, what, now).await?;
                dirty.insert(page_id.to_string());
            }
            self.cursor = last;
            if events.len() < EVENT_BATCH as usize {
                break;
            }
        }
        if dirty.is_empty() {
            return Ok(false);
        }
        self.rebuild(dirty, now).await?;
        Ok(true)
    }

    /// Waits for a committed change or the timer, then brings the snapshots up to date:
    /// `Some(Ok(true))` when it republished, `None` once the changes are no longer followed.
    pub async fn refresh_next(
        &mut self,
        changes: &mut watch::Receiver<i64>,
        timer: &mut Interval,
        clock: &Clock,
    ) -> Option<Result<bool, PublishError>> {
        let scheduled = tokio::select! {
            changed = changes.changed() => {
                changed.ok()?;
                false
            }
            _ = timer.tick() => true,
        };
        let now = clock();
        Some(match self.catch_up(now).await {
            Ok(false) if scheduled => self.rebuild_all(now).await.map(|()| true),
            other => other,
        })
    }

    /// Re-renders every page, for what depends on the time alone.
    pub async fn rebuild_all(&mut self, now: Timestamp) -> Result<(), PublishError> {
        let ids = self.data.keys().cloned().collect();
        self.rebuild(ids, now).await
    }

    async fn apply(
        &mut self,
        page_id: &str,
        what: Shown<'_>,
        now: Timestamp,
    ) -> Result<(), PublishError> {
        let store = self.store.as_ref();
        let Some(current) = self.data.get_mut(page_id) else {
            let data = load_page(store, page_id, now).await?;
            self.data.insert(page_id.to_string(), Arc::new(data));
            return Ok(());
        };
        let data = Arc::make_mut(current);
        match what {
            Shown::Incident(id) => match store.incident(page_id, id).await {
                Ok(incident) => data.upsert_incident(incident),
                Err(StoreError::NotFound { .. }) => data.remove_incident(id),
                Err(err) => return Err(err.into()),
            },
            Shown::Maintenance(id) => match store.maintenance(page_id, id).await {
                Ok(window) => data.upsert_maintenance(window),
                Err(StoreError::NotFound { .. }) => data.remove_maintenance(id),
                Err(err) => return Err(err.into()),
            },
            Shown::Layout => {
                data.page = store.page(page_id).await?;
                data.groups = store.groups(page_id).await?;
                data.components = store.components(page_id).await?;
            }
        }
        Ok(())
    }

    async fn rebuild(
        &mut self,
        page_ids: BTreeSet<String>,
        now: Timestamp,
    ) -> Result<(), PublishError> {
        let default_slug = self.default_slug();
        let jobs: Vec<_> = page_ids
            .iter()
            .filter_map(|id| self.data.get(id))
            .map(|data| {
                let base = self.base_url(data, default_slug.as_deref());
                (
                    data.clone(),
                    base,
                    self.snapshots.get(&data.page.id).cloned(),
                )
            })
            .collect();
        let renderer = self.renderer.clone();
        let shared = self.shared.clone();
        let started = std::time::Instant::now();
        let built = tokio::task::spawn_blocking(move || {
            jobs.into_iter()
                .map(|(data, base, previous)| {
                    PageSnapshot::build(
                        renderer.clone(),
                        data,
                        &shared,
                        base,
                        now,
                        previous.as_deref(),
                    )
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .await
        .expect("rendering does not panic")?;
        let built: Vec<Arc<PageSnapshot>> = built.into_iter().map(Arc::new).collect();
        for snapshot in &built {
            self.snapshots
                .insert(snapshot.page.id.clone(), snapshot.clone());
        }
        self.publish(default_slug);
        tokio::task::spawn_blocking(move || built.iter().for_each(|s| s.warm()));
        tracing::debug!(pages = page_ids.len(), elapsed = ?started.elapsed(), "published the public page");
        Ok(())
    }

    fn publish(&self, default: Option<String>) {
        let mut pages = SitePages {
            default,
            ..SitePages::default()
        };
        for snapshot in self.snapshots.values() {
            if let Some(host) = &snapshot.page.settings.host {
                pages.hosts.insert(host.clone(), snapshot.page.slug.clone());
            }
            pages
                .by_slug
                .insert(snapshot.page.slug.clone(), snapshot.clone());
        }
        self.site.publish(pages);
    }

    /// The configured default page if it exists, else the first page created.
    fn default_slug(&self) -> Option<String> {
        let pages = || self.data.values().map(|d| &d.page);
        self.options
            .default_page
            .as_ref()
            .and_then(|wanted| pages().find(|p| &p.slug == wanted || &p.id == wanted))
            .or_else(|| pages().min_by_key(|p| (p.created_at, p.id.clone())))
            .map(|p| p.slug.clone())
    }

    fn base_url(&self, data: &PageData, default_slug: Option<&str>) -> String {
        let page = &data.page;
        if page.settings.host.is_none() && default_slug == Some(page.slug.as_str()) {
            format!("{}/", self.options.base_url.trim_end_matches('/'))
        } else {
            paths::page_url(page, &self.options.base_url)
        }
    }

    pub fn snapshot(&self, slug: &str) -> Option<Arc<PageSnapshot>> {
        self.snapshots
            .values()
            .find(|s| s.page.slug == slug || s.page.id == slug)
            .cloned()
    }
}

/// The timer for [`Publisher::refresh_next`]: first due one period from now.
pub fn rebuild_timer() -> Interval {
    let mut timer = tokio::time::interval_at(Instant::now() + REBUILD_EVERY, REBUILD_EVERY);
    timer.set_missed_tick_behavior(MissedTickBehavior::Delay);
    timer
}

/// What an audit event changed on the public page.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Shown<'a> {
    Incident(&'a str),
    Maintenance(&'a str),
    /// The page's settings, components or groups.
    Layout,
}

/// What `event` changed on the public page; none when the page does not show its subject
/// (subscribers, tokens, users) or the change (a checklist tick, a snooze), so adding many
/// subscribers or running the checklist re-renders nothing. A kind this build does not know,
/// a newer version's, is taken as shown: building the page again is always safe.
fn shown(event: &Change) -> Option<Shown<'_>> {
    if EventKind::parse(&event.kind).is_some_and(|kind| !kind.is_public()) {
        return None;
    }
    match event.subject_type.as_str() {
        "incident" => Some(Shown::Incident(&event.subject_id)),
        "maintenance" => Some(Shown::Maintenance(&event.subject_id)),
        "page" | "component" | "group" => Some(Shown::Layout),
        _ => None,
    }
}

/// Follows changes until the sender goes away, keeping the snapshots current.
pub async fn run(mut publisher: Publisher, mut changes: watch::Receiver<i64>, clock: Clock) {
    let mut timer = rebuild_timer();
    while let Some(result) = publisher
        .refresh_next(&mut changes, &mut timer, &clock)
        .await
    {
        if let Err(err) = result {
            tracing::warn!(%err, "could not refresh the public page; still serving the last snapshot");
        }
    }
}

async fn load_page(
    store: &dyn Store,
    page_id: &str,
    now: Timestamp,
) -> Result<PageData, StoreError> {
    let limit = herald_store::MAX_LIST_LIMIT;
    let incidents = read_all(
        |before| {
            let query = IncidentQuery {
                limit,
                before,
                ..IncidentQuery::default()
            };
            store.incidents(page_id, query)
        },
        |i| &i.id,
    );
    let maintenance = read_all(
        |before| {
            let query = MaintenanceQuery {
                limit,
                before,
                ..MaintenanceQuery::default()
            };
            store.maintenances(page_id, query, now)
        },
        |m| &m.id,
    );
    Ok(PageData::new(
        store.page(page_id).await?,
        store.groups(page_id).await?,
        store.components(page_id).await?,
        incidents.await?,
        maintenance.await?,
    ))
}

/// A whole list, read one page of results at a time: `fetch` gets the results after the id
/// it is given.
async fn read_all<T, F, Fut>(
    mut fetch: F,
    id: impl Fn(&T) -> &String,
) -> Result<Vec<Arc<T>>, StoreError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Vec<T>, StoreError>>,
{
    let mut all = Vec::new();
    let mut before = None;
    loop {
        let batch = fetch(before.take()).await?;
        let full = batch.len() == herald_store::MAX_LIST_LIMIT as usize;
        before = batch.last().map(|item| id(item).clone());
        all.extend(batch.into_iter().map(Arc::new));
        if !full {
            return Ok(all);
        }
    }
}

/// The stylesheet and script every page uses, and the operator's own files.
fn shared_assets(dir: Option<&Path>) -> Result<HashMap<String, Arc<Asset>>, PublishError> {
    let mut files = HashMap::new();
    files.insert(
        paths::STYLESHEET.to_string(),
        Arc::new(Asset::new("text/css; charset=utf-8", render::STYLESHEET)),
    );
    files.insert(
        paths::SCRIPT.to_string(),
        Arc::new(Asset::new("text/javascript; charset=utf-8", render::SCRIPT)),
    );
    let Some(dir) = dir.filter(|d| d.exists()) else {
        return Ok(files);
    };
    let error = |source| PublishError::Assets {
        dir: dir.display().to_string(),
        source,
    };
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).map_err(error)? {
            let path = entry.map_err(error)?.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let Ok(relative) = path.strip_prefix(dir) else {
                continue;
            };
            let Some(relative) = relative.to_str() else {
                continue;
            };
            let bytes = std::fs::read(&path).map_err(error)?;
            let key = format!("assets/site/{}", relative.replace('\\', "/"));
            files.insert(key, Arc::new(Asset::new(content_type(&path), bytes)));
        }
    }
    Ok(files)
}

fn content_type(path: &Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("webp") => "image/webp",
        Some("gif") => "image/gif",
        Some("ico") => "image/x-icon",
        Some("css") => "text/css; charset=utf-8",
        Some("woff2") => "font/woff2",
        Some("woff") => "font/woff",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use herald_core::broadcast::Subject;
    use herald_core::incident::{
        AffectedLocation, Channels, IncidentState, NewIncident, Severity, StatusChange, UpdateDraft,
    };
    use herald_core::page::{PageFields, PageSettings};
    use herald_core::status::StatusLevel;
    use herald_core::subscriber::{Channel, NewSubscriber, WebhookFormat};
    use herald_store::{NewComponent, Roles, Tick};
    use herald_store_sqlite::SqliteStore;

    use super::*;

    fn at(minutes: i64) -> Timestamp {
        Timestamp::from_second(1_790_000_000 + minutes * 60).expect("a valid instant")
    }

    #[test]
    fn a_kind_this_build_does_not_know_is_taken_as_shown() {
        let change = |kind: &str| Change {
            id: 1,
            page_id: Some("p".into()),
            kind: kind.into(),
            subject_type: "incident".into(),
            subject_id: "i".into(),
        };
        assert!(shown(&change("incident.teleported")).is_some());
        assert!(shown(&change("incident.updated")).is_some());
        assert!(shown(&change("incident.checklist_ticked")).is_none());
    }

    #[tokio::test]
    async fn only_what_the_public_page_shows_republishes_it() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store: Arc<dyn Store> =
            Arc::new(SqliteStore::open(&dir.path().join("herald.db")).expect("a store"));
        let fields = PageFields {
            slug: "acme".into(),
            name: "Acme".into(),
            time_zone: "UTC".into(),
            settings: PageSettings::default(),
        };
        store.create_page("test", fields, at(0)).await.unwrap();
        let site = Arc::new(Site::default());
        let options = PublishOptions::default();
        let mut publisher = Publisher::start(store.clone(), site, options, at(0))
            .await
            .unwrap();

        let subscriber = NewSubscriber {
            channel: Channel::Webhook,
            address: "https://hooks.example.com/acme".into(),
            format: WebhookFormat::Herald,
            components: vec![],
            confirmed: true,
        };
        store
            .create_subscriber("test", "acme", subscriber, at(1))
            .await
            .unwrap();
        assert!(
            !publisher.catch_up(at(1)).await.unwrap(),
            "a subscriber is not on the page"
        );

        let component = NewComponent {
            name: "API".into(),
            ..NewComponent::default()
        };
        let api = store
            .create_component("test", "acme", component, at(2))
            .await
            .unwrap();
        assert!(publisher.catch_up(at(2)).await.unwrap(), "a component is");
        let data = &publisher.data.values().next().expect("the page").components;
        assert_eq!(
            data.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            ["API"]
        );

        let new = NewIncident {
            title: "Slow API".into(),
            severity: Severity::new(2).unwrap(),
            state: IncidentState::Investigating,
            details: "Looking into it.".into(),
            affected: vec![AffectedLocation {
                location_id: api.locations[0].id.clone(),
                level: StatusLevel::DegradedPerformance,
            }],
            channels: Channels::default(),
            subject: None,
            next_update_in: None,
            issue_link: None,
        };
        let incident = store.create_incident("test", "acme", new, at(3)).await;
        let incident = incident.unwrap();
        assert!(publisher.catch_up(at(3)).await.unwrap(), "an incident is");
        let tick = Tick {
            item: "Acknowledge the page".into(),
            ticked: true,
        };
        let (acme, id) = ("acme", incident.id.as_str());
        store.tick("test", acme, id, tick, at(4)).await.unwrap();
        let roles = Roles {
            lead: None,
            manager: None,
        };
        let about = Subject::Incident;
        store
            .snooze("test", acme, about, id, 5, at(4))
            .await
            .unwrap();
        store
            .set_roles("test", acme, about, id, roles, at(4))
            .await
            .unwrap();
        assert!(
            !publisher.catch_up(at(4)).await.unwrap(),
            "the checklist, a snooze and the roles are not on the page"
        );
        let update = UpdateDraft {
            state: IncidentState::Identified,
            details: "Found it.".into(),
            status: StatusChange::Keep,
            channels: Channels::default(),
            subject: None,
            next_update_in: None,
            issue_link: None,
        };
        store
            .post_update("test", acme, id, update, at(5))
            .await
            .unwrap();
        assert!(publisher.catch_up(at(5)).await.unwrap(), "an update is");
    }
}
