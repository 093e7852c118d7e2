//! A page's public files at one moment: immutable once built, swapped in whole.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use herald_core::incident::Incident;
use herald_core::page::Page;
use jiff::Timestamp;

use crate::asset::Asset;
use crate::data::{PageData, View};
use crate::lock;
use crate::memo::Memos;
use crate::paths;
use crate::render::{self, RenderError, Renderer};

/// Rendered incident pages by incident id, each with what it was rendered from: the layout
/// stamp and the incident itself (a change reloads an incident into a new `Arc`).
type IncidentPages = HashMap<String, RenderedIncident>;

#[derive(Clone)]
struct RenderedIncident {
    layout: Arc<str>,
    incident: Arc<Incident>,
    page: Arc<Asset>,
}

impl RenderedIncident {
    fn is_current(&self, layout: &str, incident: &Arc<Incident>) -> bool {
        *self.layout == *layout && Arc::ptr_eq(&self.incident, incident)
    }
}

pub struct PageSnapshot {
    pub page: Page,
    pub base_url: String,
    pub built_at: Timestamp,
    data: Arc<PageData>,
    renderer: Arc<Renderer>,
    /// Rendered at build: lock-free reads for what everyone asks for.
    files: HashMap<String, Arc<Asset>>,
    /// Every incident page rendered so far. The hot incidents' pages are carried into the
    /// next snapshot while still current, so a change re-renders only the incidents it
    /// touched; the others were asked for once and are rendered again when asked again, so
    /// the history's pages do not pile up in memory.
    incident_pages: Mutex<IncidentPages>,
    /// History pages past the first and older maintenance pages, rendered on first request.
    lazy: Mutex<HashMap<String, Arc<Asset>>>,
    memos: Arc<Memos>,
}

impl PageSnapshot {
    pub fn build(
        renderer: Arc<Renderer>,
        data: Arc<PageData>,
        shared: &HashMap<String, Arc<Asset>>,
        base_url: String,
        now: Timestamp,
        previous: Option<&PageSnapshot>,
    ) -> Result<PageSnapshot, RenderError> {
        let memos = Arc::new(match previous {
            Some(previous) => Memos::after(&previous.memos),
            None => Memos::default(),
        });
        let view = View::new(&data, now, base_url.clone()).remembering(memos.clone());
        let mut files: HashMap<String, Arc<Asset>> = shared.clone();
        for (key, asset) in render::eager(&renderer, &view)? {
            // A file the change left as it was keeps its compressed variants.
            let asset = match previous.and_then(|p| p.files.get(&key)) {
                Some(old) if old.etag == asset.etag && old.content_type == asset.content_type => {
                    old.clone()
                }
                Some(old) => Arc::new(asset.replacing(old)),
                None => Arc::new(asset),
            };
            files.insert(key, asset);
        }
        let layout = view.layout();
        let mut pages = carried_over(previous, &view, &layout);
        for incident in render::hot_incidents(&view) {
            let key = paths::key_for(&paths::incident_dir(&incident.id));
            let page = match pages.get(&incident.id) {
                Some(kept) if kept.is_current(&layout, incident) => kept.page.clone(),
                _ => {
                    let mut page = render::incident_page(&renderer, &view, incident)?;
                    if let Some(old) = previous.and_then(|p| p.files.get(&key)) {
                        page = page.replacing(old);
                    }
                    let page = Arc::new(page);
                    let rendered = RenderedIncident {
                        layout: layout.clone(),
                        incident: incident.clone(),
                        page: page.clone(),
                    };
                    pages.insert(incident.id.clone(), rendered);
                    page
                }
            };
            files.insert(key, page);
        }
        Ok(PageSnapshot {
            page: data.page.clone(),
            base_url,
            built_at: now,
            data,
            renderer,
            files,
            incident_pages: Mutex::new(pages),
            lazy: Mutex::new(HashMap::new()),
            memos,
        })
    }

    pub fn get(&self, key: &str) -> Option<Arc<Asset>> {
        if let Some(asset) = self.files.get(key) {
            return Some(asset.clone());
        }
        let rendered = match render::incident_of_key(key) {
            Some(id) => self.incident_page(id),
            None => self.lazy_page(key),
        };
        rendered?
            .inspect_err(|err| tracing::error!(%err, key, "could not render a public file"))
            .ok()
    }

    fn incident_page(&self, id: &str) -> Option<Result<Arc<Asset>, RenderError>> {
        let mut pages = lock(&self.incident_pages);
        if let Some(rendered) = pages.get(id) {
            return Some(Ok(rendered.page.clone()));
        }
        let incident = self.data.incidents.iter().find(|i| i.id == id)?;
        let view = self.view();
        Some(
            render::incident_page(&self.renderer, &view, incident).map(|page| {
                let page = Arc::new(page);
                let rendered = RenderedIncident {
                    layout: view.layout(),
                    incident: incident.clone(),
                    page: page.clone(),
                };
                pages.insert(id.to_string(), rendered);
                page
            }),
        )
    }

    fn lazy_page(&self, key: &str) -> Option<Result<Arc<Asset>, RenderError>> {
        let mut lazy = lock(&self.lazy);
        if let Some(asset) = lazy.get(key) {
            return Some(Ok(asset.clone()));
        }
        let rendered = render::lazy_page(&self.renderer, &self.view(), key)?;
        Some(rendered.map(|asset| {
            let asset = Arc::new(asset);
            lazy.insert(key.to_string(), asset.clone());
            asset
        }))
    }

    /// A subscriber's own page (subscribe, confirm, manage, unsubscribe) in this page's look,
    /// from `subscription.html`; see [`render::subscription_page`].
    pub fn subscription_page(
        &self,
        root: &str,
        context: impl serde::Serialize,
    ) -> Result<String, RenderError> {
        render::subscription_page(&self.renderer, &self.view(), root, context)
    }

    fn view(&self) -> View<'_> {
        View::new(&self.data, self.built_at, self.base_url.clone()).remembering(self.memos.clone())
    }

    /// Compresses the files rendered at build that readers want compressed; see
    /// [`Asset::warm`].
    pub fn warm(&self) {
        for asset in self.files.values() {
            asset.warm();
        }
    }

    /// Whether `key` names a directory of this page (served as `key/`).
    pub fn has_dir(&self, key: &str) -> bool {
        self.get(&format!("{key}/{}", paths::INDEX)).is_some()
    }

    /// Every file of the page: for the static export.
    pub fn all_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.files.keys().cloned().collect();
        keys.extend(render::all_keys(&self.view()));
        keys.sort();
        keys.dedup();
        keys
    }
}

/// The previous snapshot's pages of the hot incidents that are still current.
fn carried_over(previous: Option<&PageSnapshot>, view: &View, layout: &str) -> IncidentPages {
    let Some(previous) = previous else {
        return IncidentPages::new();
    };
    let rendered = lock(&previous.incident_pages);
    render::hot_incidents(view)
        .filter_map(|incident| {
            let kept = rendered.get(&incident.id)?;
            kept.is_current(layout, incident)
                .then(|| (incident.id.clone(), kept.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use herald_core::page::PageSettings;
    use jiff::SignedDuration;

    use super::*;
    use crate::fixtures::incident;

    fn now() -> Timestamp {
        "2026-12-03T12:00:00Z".parse().unwrap()
    }

    /// A page named `name` with `incidents`, newest first as the store lists them.
    fn page_data(name: &str, incidents: Vec<Incident>) -> Arc<PageData> {
        let mut data = PageData::new(
            Page {
                id: "p".into(),
                slug: "p".into(),
                name: name.into(),
                time_zone: "UTC".into(),
                settings: PageSettings::default(),
                created_at: now(),
                updated_at: now(),
            },
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
        );
        for incident in incidents {
            data.upsert_incident(incident);
        }
        Arc::new(data)
    }

    fn build(data: Arc<PageData>, previous: Option<&PageSnapshot>) -> PageSnapshot {
        let renderer = Arc::new(Renderer::new(None).unwrap());
        let base = "https://s.example/".to_string();
        PageSnapshot::build(renderer, data, &HashMap::new(), base, now(), previous).unwrap()
    }

    #[test]
    fn a_file_the_change_left_alone_keeps_its_compressed_variants() {
        let first = build(page_data("P", Vec::new()), None);
        let same = build(page_data("P", Vec::new()), Some(&first));
        let renamed = build(page_data("Q", Vec::new()), Some(&same));
        let home = paths::HOME;
        assert!(Arc::ptr_eq(
            &first.get(home).unwrap(),
            &same.get(home).unwrap()
        ));
        assert!(!Arc::ptr_eq(
            &same.get(home).unwrap(),
            &renamed.get(home).unwrap()
        ));
    }

    #[test]
    fn only_the_hot_incidents_pages_are_carried_into_the_next_snapshot() {
        let resolved = |n: i64| {
            let start = now() - SignedDuration::from_hours(100 - n);
            let end = start + SignedDuration::from_mins(10);
            incident(&format!("i{n}"), vec![(start, Vec::new())], Some(end))
        };
        let history = (0..render::EAGER_RESOLVED as i64 + 5)
            .map(resolved)
            .collect();
        let data = page_data("P", history);
        let key = |id: &str| paths::key_for(&paths::incident_dir(id));
        let first = build(data.clone(), None);
        let (oldest, newest) = ("i0", format!("i{}", render::EAGER_RESOLVED + 4));
        let newest_page = first.get(&key(&newest)).unwrap();
        first.get(&key(oldest)).expect("rendered on request");
        // A change that leaves the incidents as they were: each is the same `Arc`.
        let next = build(Arc::new(PageData::clone(&data)), Some(&first));
        assert!(Arc::ptr_eq(&next.get(&key(&newest)).unwrap(), &newest_page));
        let carried = lock(&next.incident_pages);
        assert!(carried.contains_key(&newest) && !carried.contains_key(oldest));
    }
}
