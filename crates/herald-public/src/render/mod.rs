//! Every public representation of a page, rendered from a [`View`]. The hot files are rendered
//! when the page changes ([`eager`], [`hot_incidents`]); the long tail (old history pages and
//! incidents) on first request; [`all_keys`] lists every file, for the static export.
pub mod feeds;
pub mod html;
pub mod ics;
pub mod markdown;
pub mod statusio;
pub mod statuspage;
pub mod uptime;

use std::path::Path;
use std::sync::Arc;

use herald_core::incident::Incident;
use herald_core::maintenance::Maintenance;

use crate::asset::Asset;
use crate::data::{PageData, View};
use crate::paths;

pub use statuspage::impact;

const HTML: &str = "text/html; charset=utf-8";
const JSON: &str = "application/json";

/// How many resolved incidents get their page rendered eagerly: the ones visitors follow from
/// the home page, the first history page and the feeds.
pub(crate) const EAGER_RESOLVED: usize = html::HISTORY_PAGE_SIZE;

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("template {0}")]
    Template(#[from] minijinja::Error),
    #[error("the template directory {dir}: {source}")]
    TemplateDir { dir: String, source: std::io::Error },
}

/// The HTML templates: built in, or the operator's copies where an override directory has them.
pub struct Renderer {
    env: minijinja::Environment<'static>,
}

const TEMPLATES: [(&str, &str); 7] = [
    ("base.html", include_str!("../../templates/base.html")),
    ("macros.html", include_str!("../../templates/macros.html")),
    ("home.html", include_str!("../../templates/home.html")),
    ("history.html", include_str!("../../templates/history.html")),
    (
        "incident.html",
        include_str!("../../templates/incident.html"),
    ),
    (
        "maintenance.html",
        include_str!("../../templates/maintenance.html"),
    ),
    (
        "subscription.html",
        include_str!("../../templates/subscription.html"),
    ),
];

pub const WELCOME_HTML: &str = include_str!("../../templates/welcome.html");
pub const STYLESHEET: &str = include_str!("../../assets/herald.css");
pub const SCRIPT: &str = include_str!("../../assets/herald.js");

impl Renderer {
    /// `overrides`: a directory whose files replace the built-in templates of the same name.
    pub fn new(overrides: Option<&Path>) -> Result<Renderer, RenderError> {
        let mut env = minijinja::Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        for (name, source) in TEMPLATES {
            let custom = match overrides.map(|dir| dir.join(name)) {
                Some(path) if path.exists() => {
                    Some(std::fs::read_to_string(&path).map_err(|source| {
                        RenderError::TemplateDir {
                            dir: path.display().to_string(),
                            source,
                        }
                    })?)
                }
                _ => None,
            };
            match custom {
                Some(text) => env.add_template_owned(name, text)?,
                None => env.add_template(name, source)?,
            }
        }
        Ok(Renderer { env })
    }
}

/// The files rendered every time the page changes.
pub fn eager(renderer: &Renderer, view: &View) -> Result<Vec<(String, Asset)>, RenderError> {
    // The home page is the largest file: it renders on another core beside the rest.
    let (home, files) = std::thread::scope(|scope| {
        let home = scope.spawn(|| html::home(&renderer.env, view));
        let rest = eager_besides_home(renderer, view);
        (home.join().expect("rendering does not panic"), rest)
    });
    let mut files = files?;
    files.push((paths::HOME.to_string(), Asset::new(HTML, home?)));
    Ok(files)
}

fn eager_besides_home(
    renderer: &Renderer,
    view: &View,
) -> Result<Vec<(String, Asset)>, RenderError> {
    let env = &renderer.env;
    let entries = feeds::entries(view);
    let mut files = vec![
        (
            paths::key_for(&paths::history_dir(1)),
            Asset::new(
                HTML,
                html::history(env, view, 1).expect("page 1 always exists")?,
            ),
        ),
        (
            paths::RSS.into(),
            Asset::new(
                "application/rss+xml; charset=utf-8",
                feeds::rss(view, &entries),
            ),
        ),
        (
            paths::ATOM.into(),
            Asset::new(
                "application/atom+xml; charset=utf-8",
                feeds::atom(view, &entries),
            ),
        ),
        (
            paths::CALENDAR.into(),
            Asset::new("text/calendar; charset=utf-8", ics::calendar(view)),
        ),
        (
            paths::statusio_status(&view.page().id),
            Asset::new(JSON, statusio::status(view)),
        ),
    ];
    for (key, body) in statuspage::files(view) {
        files.push((key.to_string(), Asset::new(JSON, body)));
    }
    // Windows people look at: running, coming, and the most recent past ones.
    let hot = view
        .active_maintenance()
        .into_iter()
        .chain(view.upcoming_maintenance())
        .chain(view.past_maintenance().take(EAGER_RESOLVED));
    for window in hot {
        let key = paths::key_for(&paths::maintenance_dir(&window.id));
        files.push((key, maintenance_page(renderer, view, window)?));
    }
    Ok(files)
}

/// The incidents whose pages are rendered with every change, ahead of any request: the
/// active ones and the newest resolved.
pub fn hot_incidents<'a>(view: &View<'a>) -> impl Iterator<Item = &'a Arc<Incident>> {
    let incidents = &view.data.incidents;
    let active = view.data.active().iter();
    active.chain(
        incidents
            .iter()
            .filter(|i| !i.is_active())
            .take(EAGER_RESOLVED),
    )
}

pub fn incident_page(
    renderer: &Renderer,
    view: &View,
    incident: &Incident,
) -> Result<Asset, RenderError> {
    Ok(Asset::new(
        HTML,
        html::incident(&renderer.env, view, incident)?,
    ))
}

/// What every incident page shows besides its incident: the page's address, name, branding,
/// zone, groups and components. While it and the incident stay the same, a page rendered
/// before is right, and so is every piece kept with it as a key (an update's Statuspage JSON,
/// a card, a row). A digest of all of it rather than of the times they were saved: an edit in
/// the same instant as the last one (a clock that stands still) must not read as none.
pub fn layout_stamp(data: &PageData, base_url: &str) -> Arc<str> {
    struct Digest(xxhash_rust::xxh3::Xxh3);
    impl std::io::Write for Digest {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.update(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut digest = Digest(xxhash_rust::xxh3::Xxh3::new());
    let layout = (base_url, &data.page, &data.groups, &data.components);
    serde_json::to_writer(&mut digest, &layout).expect("the page's data serialises");
    format!("{:032x}", digest.0.digest128()).into()
}

/// The incident a page key names (`incidents/{id}/index.html`).
pub fn incident_of_key(key: &str) -> Option<&str> {
    key.strip_prefix("incidents/")?
        .strip_suffix(paths::INDEX)?
        .strip_suffix('/')
}

/// A file outside the eager set, if the key names one.
/// A file of the long tail: a history page past the first, or an older maintenance window's
/// page, if the key names one that exists.
pub fn lazy_page(
    renderer: &Renderer,
    view: &View,
    key: &str,
) -> Option<Result<Asset, RenderError>> {
    let dir = key.strip_suffix(paths::INDEX)?.strip_suffix('/')?;
    if let Some(id) = dir.strip_prefix("maintenance/") {
        let window = view.data.maintenance.iter().find(|m| m.id == id)?;
        return Some(maintenance_page(renderer, view, window));
    }
    let number: usize = dir.strip_prefix("history/")?.parse().ok()?;
    if number < 2 {
        return None;
    }
    html::history(&renderer.env, view, number).map(|result| {
        result
            .map(|body| Asset::new(HTML, body))
            .map_err(Into::into)
    })
}

/// A subscriber's own page, rendered per request (never part of the snapshot): `root` is the
/// relative path back to the page's root, `context` what the template is told.
pub fn subscription_page(
    renderer: &Renderer,
    view: &View,
    root: &str,
    context: impl serde::Serialize,
) -> Result<String, RenderError> {
    let context = minijinja::Value::from_serialize(context);
    Ok(html::subscription(&renderer.env, view, root, context)?)
}

fn maintenance_page(
    renderer: &Renderer,
    view: &View,
    window: &Maintenance,
) -> Result<Asset, RenderError> {
    Ok(Asset::new(
        HTML,
        html::maintenance(&renderer.env, view, window)?,
    ))
}

/// Every file of the page, eager and lazy.
pub fn all_keys(view: &View) -> Vec<String> {
    let mut keys: Vec<String> = (2..=html::history_pages(view))
        .map(|n| paths::key_for(&paths::history_dir(n)))
        .collect();
    let data = view.data;
    keys.extend(
        data.incidents
            .iter()
            .map(|i| paths::key_for(&paths::incident_dir(&i.id))),
    );
    keys.extend(
        data.maintenance
            .iter()
            .map(|m| paths::key_for(&paths::maintenance_dir(&m.id))),
    );
    keys
}
