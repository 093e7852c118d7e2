//! Where each public file lives, relative to a page's root. The same names are the snapshot's
//! keys and the static export's files; pages are directories so that relative links work
//! whether the site is served by Herald under `/`, `/p/{slug}/`, or from object storage.
pub const HOME: &str = "index.html";
pub const INDEX: &str = "index.html";
pub const RSS: &str = "history.rss";
pub const ATOM: &str = "history.atom";
pub const CALENDAR: &str = "maintenance.ics";
pub const STYLESHEET: &str = "assets/herald.css";
pub const SCRIPT: &str = "assets/herald.js";

/// Atlassian Statuspage's public API v2, file by file.
pub const STATUSPAGE_SUMMARY: &str = "api/v2/summary.json";
pub const STATUSPAGE_STATUS: &str = "api/v2/status.json";
pub const STATUSPAGE_COMPONENTS: &str = "api/v2/components.json";
pub const STATUSPAGE_INCIDENTS: &str = "api/v2/incidents.json";
pub const STATUSPAGE_UNRESOLVED: &str = "api/v2/incidents/unresolved.json";
pub const STATUSPAGE_MAINTENANCES: &str = "api/v2/scheduled-maintenances.json";
pub const STATUSPAGE_UPCOMING: &str = "api/v2/scheduled-maintenances/upcoming.json";
pub const STATUSPAGE_ACTIVE: &str = "api/v2/scheduled-maintenances/active.json";

/// Subscribers' own pages, served by Herald beside the page (not part of the snapshot).
pub const SUBSCRIBE: &str = "subscribe";
pub const SUBSCRIPTION_CONFIRM: &str = "subscription/confirm";
pub const SUBSCRIPTION_MANAGE: &str = "subscription/manage";
pub const SUBSCRIPTION_UNSUBSCRIBE: &str = "subscription/unsubscribe";

/// Where a page can always be reached, ending in `/`: its bound host, or `/p/{slug}/` under
/// the base URL.
pub fn page_url(page: &herald_core::page::Page, base_url: &str) -> String {
    match &page.settings.host {
        Some(host) => format!("https://{host}/"),
        None => format!("{}/p/{}/", base_url.trim_end_matches('/'), page.slug),
    }
}

pub fn history_dir(number: usize) -> String {
    if number <= 1 {
        "history/".into()
    } else {
        format!("history/{number}/")
    }
}

pub fn incident_dir(id: &str) -> String {
    format!("incidents/{id}/")
}

pub fn maintenance_dir(id: &str) -> String {
    format!("maintenance/{id}/")
}

/// Status.io's public status API names the page by id.
pub fn statusio_status(page_id: &str) -> String {
    format!("1.0/status/{page_id}")
}

/// The snapshot key a request path names: directories are served by their `index.html`.
pub fn key_for(path: &str) -> String {
    let path = path.trim_start_matches('/');
    if path.is_empty() || path.ends_with('/') {
        format!("{path}{INDEX}")
    } else {
        path.to_string()
    }
}
