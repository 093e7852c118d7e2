//! `herald serve`: opens the store, follows its changes, keeps the public page's snapshots
//! current, and serves the HTTP routes.
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use herald_public::{PublishOptions, Publisher, Site};
use herald_store::sqlite::SqliteStore;
use herald_store::{Store, watch_changes};
use herald_web::{AppState, Clock};
use tokio::net::TcpListener;
use tokio::sync::Notify;

use crate::config::Config;

pub const DATABASE_FILE: &str = "herald.db";

/// Opens (creating on first start) the data directory's database.
pub fn open_store(data_dir: &Path) -> anyhow::Result<SqliteStore> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
    let path = data_dir.join(DATABASE_FILE);
    SqliteStore::open(&path).with_context(|| format!("cannot open the database {}", path.display()))
}

pub fn publish_options(config: &Config) -> PublishOptions {
    let public = &config.public;
    PublishOptions {
        base_url: public.base_url.clone(),
        default_page: Some(public.default_page.clone()).filter(|slug| !slug.is_empty()),
        templates_dir: public.templates_dir.clone(),
        assets_dir: public.assets_dir.clone(),
    }
}

/// Serves until `shutdown` completes.
pub async fn serve(
    config: &Config,
    listener: TcpListener,
    clock: Clock,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let store: Arc<dyn Store> = Arc::new(open_store(&config.data_dir)?);
    let nudge = Arc::new(Notify::new());
    let changes = watch_changes(
        store.clone(),
        Duration::from_millis(config.server.change_poll_ms.max(10)),
        nudge.clone(),
    );
    let site = Arc::new(Site::default());
    let publisher = Publisher::start(
        store.clone(),
        site.clone(),
        publish_options(config),
        clock(),
    )
    .await
    .context("cannot render the public page")?;
    tokio::spawn(herald_public::publisher::run(
        publisher,
        changes.clone(),
        clock.clone(),
    ));
    let app = herald_web::router(AppState {
        store,
        clock,
        changes,
        nudge,
        site,
    })
    .layer(tower_http::trace::TraceLayer::new_for_http());
    tracing::info!(address = %listener.local_addr()?, data_dir = %config.data_dir.display(), "Herald is serving");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .context("the server stopped with an error")
}
