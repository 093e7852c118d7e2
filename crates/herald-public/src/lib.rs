//! Herald's public status page. After each change a page's public files (HTML, Statuspage
//! and Status.io JSON, feeds, calendar) are rendered once into immutable bytes with strong
//! ETags, each compressed at most once, and swapped in; requests read those bytes and never
//! touch the database.
#![forbid(unsafe_code)]

pub mod asset;
pub mod data;
#[cfg(test)]
mod fixtures;
pub mod memo;
pub mod paths;
pub mod publisher;
pub mod render;
pub mod site;
pub mod snapshot;

pub use asset::{Asset, Encoding};
pub use publisher::{PublishError, PublishOptions, Publisher};
pub use site::{Site, SitePages};
pub use snapshot::PageSnapshot;

/// A poisoned lock only means a render panicked; what it guards is still consistent.
pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
