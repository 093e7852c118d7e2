//! Every page's current snapshot, and how a request finds its page: by host name, by
//! `/p/{slug}/`, or as the default page at `/`.
use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::snapshot::PageSnapshot;

#[derive(Default)]
pub struct SitePages {
    pub by_slug: HashMap<String, Arc<PageSnapshot>>,
    /// Host name (lowercase, no port) to slug.
    pub hosts: HashMap<String, String>,
    /// The slug served at `/` on any other host.
    pub default: Option<String>,
}

impl SitePages {
    pub fn by_slug(&self, slug: &str) -> Option<&Arc<PageSnapshot>> {
        self.by_slug.get(slug)
    }

    pub fn by_id(&self, id: &str) -> Option<&Arc<PageSnapshot>> {
        self.by_slug.values().find(|p| p.page.id == id)
    }

    /// The page served at the root of `host` (a `Host` header, port allowed).
    pub fn for_host(&self, host: Option<&str>) -> Option<&Arc<PageSnapshot>> {
        let bound = host
            .map(|h| {
                h.rsplit_once(':')
                    .map_or(h, |(name, _)| name)
                    .to_ascii_lowercase()
            })
            .and_then(|name| self.hosts.get(&name));
        bound
            .or(self.default.as_ref())
            .and_then(|slug| self.by_slug.get(slug))
    }
}

/// What the public routes read: swapped whole, read without locks. The server publishes the
/// first snapshots before it accepts a request.
#[derive(Default)]
pub struct Site {
    current: ArcSwap<SitePages>,
}

impl Site {
    pub fn pages(&self) -> Arc<SitePages> {
        self.current.load_full()
    }

    pub fn publish(&self, pages: SitePages) {
        self.current.store(Arc::new(pages));
    }
}
