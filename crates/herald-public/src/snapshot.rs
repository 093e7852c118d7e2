//! A page's public files at one moment: immutable once built, swapped in whole.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use herald_core::page::Page;
use jiff::Timestamp;

use crate::asset::Asset;
use crate::data::{PageData, View};
use crate::render::{self, RenderError, Renderer};

pub struct PageSnapshot {
    pub page: Page,
    pub base_url: String,
    pub built_at: Timestamp,
    data: Arc<PageData>,
    renderer: Arc<Renderer>,
    files: HashMap<String, Arc<Asset>>,
    /// The long tail, rendered from `data` on first request and kept for this snapshot's life.
    lazy: Mutex<HashMap<String, Arc<Asset>>>,
}

impl PageSnapshot {
    pub fn build(
        renderer: Arc<Renderer>,
        data: Arc<PageData>,
        shared: &HashMap<String, Arc<Asset>>,
        base_url: String,
        now: Timestamp,
    ) -> Result<PageSnapshot, RenderError> {
        let view = View::new(&data, now, base_url.clone());
        let mut files: HashMap<String, Arc<Asset>> = shared.clone();
        for (key, asset) in render::eager(&renderer, &view)? {
            files.insert(key, Arc::new(asset));
        }
        Ok(PageSnapshot {
            page: data.page.clone(),
            base_url,
            built_at: now,
            data,
            renderer,
            files,
            lazy: Mutex::new(HashMap::new()),
        })
    }

    pub fn get(&self, key: &str) -> Option<Arc<Asset>> {
        if let Some(asset) = self.files.get(key) {
            return Some(asset.clone());
        }
        let mut lazy = self
            .lazy
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(asset) = lazy.get(key) {
            return Some(asset.clone());
        }
        let view = View::new(&self.data, self.built_at, self.base_url.clone());
        match render::lazy(&self.renderer, &view, key)? {
            Ok(asset) => {
                let asset = Arc::new(asset);
                lazy.insert(key.to_string(), asset.clone());
                Some(asset)
            }
            Err(err) => {
                tracing::error!(%err, key, "could not render a public file");
                None
            }
        }
    }

    /// Whether `key` names a directory of this page (served as `key/`).
    pub fn has_dir(&self, key: &str) -> bool {
        self.get(&format!("{key}/{}", crate::paths::INDEX))
            .is_some()
    }

    /// Every file of the page: for the static export.
    pub fn all_keys(&self) -> Vec<String> {
        let view = View::new(&self.data, self.built_at, self.base_url.clone());
        let mut keys: Vec<String> = self.files.keys().cloned().collect();
        keys.extend(render::all_keys(&view));
        keys.sort();
        keys.dedup();
        keys
    }
}
