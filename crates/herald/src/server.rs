//! `herald serve`: opens the store, follows its changes, keeps the public page's snapshots
//! current, and serves the HTTP routes.
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::serve::ListenerExt;
use herald_notify::email::Emails;
use herald_notify::http::HttpOptions;
use herald_notify::mail;
use herald_notify::progress::Progress;
use herald_notify::retry::RetryPolicy;
use herald_notify::worker::{Worker, WorkerOptions};
use herald_public::{PublishOptions, Publisher, Site};
use herald_store::{Store, watch_changes};
use herald_store_sqlite::SqliteStore;
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

/// [`open_store`] for a data directory that must already hold Herald's database.
pub fn open_existing_store(data_dir: &Path) -> anyhow::Result<SqliteStore> {
    if !data_dir.join(DATABASE_FILE).is_file() {
        anyhow::bail!(
            "there is no Herald data in {} (no {DATABASE_FILE} there). Point at your data directory with --data-dir DIR or HERALD_DATA_DIR=DIR (herald serve uses ./herald-data unless told otherwise), or create a page first with herald page create",
            data_dir.display()
        );
    }
    open_store(data_dir)
}

pub fn publish_options(config: &Config, base_url: &str) -> PublishOptions {
    let public = &config.public;
    PublishOptions {
        base_url: base_url.to_string(),
        default_page: Some(public.default_page.clone()).filter(|slug| !slug.is_empty()),
        templates_dir: public.templates_dir.clone(),
        assets_dir: public.assets_dir.clone(),
    }
}

/// The delivery worker as configured: SMTP or the `mail` spool under the data directory,
/// the email templates (overridable beside the page's), the retry policy.
pub async fn delivery_worker(
    config: &Config,
    base_url: &str,
    store: Arc<dyn Store>,
    clock: Clock,
) -> anyhow::Result<Arc<Worker>> {
    let spool = config.data_dir.join("mail");
    let mailer = mail::mailer(config.smtp.url.as_deref(), &spool)?;
    let emails = Emails::new(config.public.templates_dir.as_deref())?;
    let d = &config.delivery;
    let options = WorkerOptions {
        http: HttpOptions {
            timeout: Duration::from_secs(d.timeout_secs.max(1)),
            allow_private_targets: d.allow_private_targets,
        },
        base_url: base_url.to_string(),
        from: config.smtp.from.clone(),
        retry: RetryPolicy {
            first_delay: Duration::from_secs(d.first_retry_secs.max(1)),
            max_delay: Duration::from_secs(d.max_retry_secs.max(1)),
            disable_after: Duration::from_secs(d.disable_after_hours * 3600),
        },
        max_in_flight: d.concurrency.max(1),
        poll: Duration::from_millis(d.poll_ms.max(1)),
        ..WorkerOptions::default()
    };
    Ok(Worker::new(store, clock, mailer, emails, options).await?)
}

/// Serves until `shutdown` completes.
pub async fn serve(
    config: &Config,
    listener: TcpListener,
    clock: Clock,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    serve_watched(config, listener, clock, shutdown, |_| {}).await
}

/// [`serve`], handing `watch` the delivery worker's progress once it runs: for tests, which
/// move the clock by hand and wait for the worker to have done all that came due.
pub async fn serve_watched(
    config: &Config,
    listener: TcpListener,
    clock: Clock,
    shutdown: impl Future<Output = ()> + Send + 'static,
    watch: impl FnOnce(Progress),
) -> anyhow::Result<()> {
    let trusted_proxies = herald_web::client::TrustedProxies::parse(&config.server.trusted_proxies)
        .map_err(anyhow::Error::msg)?;
    let listening = listener.local_addr()?;
    let base_url = config.public.base_url_or(listening);
    if config.public.base_url.is_none() && !listening.ip().is_loopback() {
        tracing::warn!(
            %listening,
            %base_url,
            "public.base_url is unset, so links in emails, nudges and feeds point at the address Herald listens on; behind a reverse proxy or load balancer, set public.base_url to the address people use"
        );
    }
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
        publish_options(config, &base_url),
        clock(),
    )
    .await
    .context("cannot render the public page")?;
    tokio::spawn(herald_public::publisher::run(
        publisher,
        changes.clone(),
        clock.clone(),
    ));
    let worker = delivery_worker(config, &base_url, store.clone(), clock.clone())
        .await
        .context("cannot start delivery")?;
    watch(worker.progress());
    tokio::spawn(worker.run(changes.clone()));
    if let Some(address) = config.metrics.address()? {
        let metrics = TcpListener::bind(address).await.with_context(|| {
            format!("cannot listen for metrics on {address}; set [metrics] listen to a free address, or to \"\" to turn metrics off")
        })?;
        tracing::info!(%address, "serving metrics at /metrics");
        tokio::spawn(crate::metrics::serve(metrics, store.clone(), clock.clone()));
    }
    let key = store
        .link_key()
        .await
        .context("cannot read the key that signs subscribers' links")?;
    let links = herald_notify::links::Links::new(key);
    let console = herald_web::console::Console::new(
        mail::mailer(config.smtp.url.as_deref(), &config.data_dir.join("mail"))?,
        Emails::new(config.public.templates_dir.as_deref())?,
        config.smtp.from.clone(),
        base_url.clone(),
    );
    let app = herald_web::router(AppState {
        store,
        clock,
        changes,
        nudge,
        site,
        links,
        console,
        allow_private_targets: config.delivery.allow_private_targets,
        trusted_proxies,
    })
    .layer(tower_http::trace::TraceLayer::new_for_http());
    tracing::info!(address = %listening, %base_url, data_dir = %config.data_dir.display(), "Herald is serving");
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    // Each response leaves at once: without it, the last segment of a large file can wait for
    // the reader's delayed acknowledgement.
    let listener = listener.tap_io(|tcp| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!(%err, "could not set TCP_NODELAY on a connection");
        }
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .context("the server stopped with an error")
}
