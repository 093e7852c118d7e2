//! `herald export`: the whole public site of a page as files, to host on object storage or a
//! CDN far from the infrastructure it reports on. `--watch` keeps the directory current;
//! every file is written beside its place and renamed over it, so a reader never sees half.
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use herald_public::publisher::Clock;
use herald_public::{PageSnapshot, PublishOptions, Publisher, Site};
use herald_store::{Store, watch_changes};
use jiff::Timestamp;
use tokio::sync::Notify;

use crate::config::Config;

/// What a directory holds after an export: each file's ETag, to rewrite only what changed.
type Written = HashMap<String, String>;

pub async fn run(config: &Config, slug: &str, out: &Path, watch: bool) -> anyhow::Result<()> {
    let store: Arc<dyn Store> = Arc::new(crate::server::open_existing_store(&config.data_dir)?);
    let options = PublishOptions {
        // The exported page is the root of its directory.
        default_page: Some(slug.to_string()),
        ..crate::server::publish_options(config, &config.public.base_url_or(config.server.listen))
    };
    let mut publisher = Publisher::start(
        store.clone(),
        Arc::new(Site::default()),
        options,
        Timestamp::now(),
    )
    .await
    .context("cannot render the public page")?;
    let snapshot = current(&publisher, slug)?;
    let mut written = write_site(&snapshot, out, &Written::new())?;
    println!(
        "exported {} files of {slug:?} to {}",
        written.len(),
        out.display()
    );
    if !watch {
        return Ok(());
    }
    let poll = Duration::from_millis(config.server.change_poll_ms.max(10));
    let mut changes = watch_changes(store, poll, Arc::new(Notify::new()));
    let mut timer = herald_public::publisher::rebuild_timer();
    let clock: Clock = Arc::new(Timestamp::now);
    loop {
        let refreshed = tokio::select! {
            next = publisher.refresh_next(&mut changes, &mut timer, &clock) => {
                next.context("stopped following changes")?
            }
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        match refreshed {
            Ok(true) => {
                let snapshot = current(&publisher, slug)?;
                written = write_site(&snapshot, out, &written)?;
                tracing::info!(files = written.len(), "export updated");
            }
            Ok(false) => {}
            Err(err) => {
                tracing::warn!(%err, "could not read the changes; the export stays as it was")
            }
        }
    }
}

fn current(publisher: &Publisher, slug: &str) -> anyhow::Result<Arc<PageSnapshot>> {
    publisher
        .snapshot(slug)
        .with_context(|| format!("there is no page {slug:?}; `herald page list` shows the pages"))
}

/// Writes every file that changed since `before`, and removes the ones that are gone.
fn write_site(snapshot: &PageSnapshot, out: &Path, before: &Written) -> anyhow::Result<Written> {
    let mut written = Written::new();
    for key in snapshot.all_keys() {
        let Some(asset) = snapshot.get(&key) else {
            continue;
        };
        if before.get(&key) != Some(&asset.etag) {
            write_atomically(&out.join(&key), &asset.identity)?;
        }
        written.insert(key, asset.etag.clone());
    }
    for gone in before.keys().filter(|key| !written.contains_key(*key)) {
        let path = out.join(gone);
        std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
    }
    Ok(written)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().context("a file has a directory")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let temporary: PathBuf = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&temporary, bytes)
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    std::fs::rename(&temporary, path)
        .with_context(|| format!("cannot move {} into place", path.display()))
}
