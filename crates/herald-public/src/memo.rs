//! What rendering computed for one snapshot, kept for the next: a change leaves nearly every
//! text and every component's history as it was. Each build keeps only what it (or a page
//! rendered from it on request) used, so a memo holds what the page shows now and never grows
//! with the history.
use std::convert::Infallible;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use foldhash::HashMap;
use serde_json::value::RawValue;

use crate::lock;
use crate::render::{feeds, html, statusio, statuspage, uptime};

/// Every memo of a page's snapshot.
#[derive(Default)]
pub struct Memos {
    /// Sanitised HTML of incident text, by the Markdown it came from.
    pub markdown: Memo<String, Arc<str>>,
    /// Each component's 90 days, by what they were computed from.
    pub uptime: Memo<uptime::Inputs, Arc<uptime::Computed>>,
    /// Each update's Statuspage JSON.
    pub statuspage_updates: Memo<statuspage::UpdateKey, Arc<RawValue>>,
    /// Each component's Statuspage entry.
    pub statuspage_components: Memo<statuspage::ComponentKey, Arc<RawValue>>,
    /// Each incident's Statuspage JSON.
    pub statuspage_incidents: Memo<statuspage::IncidentKey, Arc<RawValue>>,
    /// Each component's Status.io entry, by the layout and what it shows.
    pub statusio_components: Memo<(Arc<str>, statusio::ComponentKey), Arc<RawValue>>,
    /// Each update's Status.io message.
    pub statusio_messages: Memo<statusio::MessageKey, Arc<RawValue>>,
    /// Each incident's feed entry.
    pub feed_entries: Memo<feeds::EntryKey, Arc<feeds::Entry>>,
    /// Each update's item on the home page and the incident pages.
    pub update_items: Memo<html::ItemKey, minijinja::Value>,
    /// The home page's cards of the active incidents.
    pub incident_cards: Memo<html::CardKey, html::Piece>,
    /// The home page's subscribe form, by the layout stamp.
    pub subscribe_forms: Memo<Arc<str>, html::Piece>,
    /// The home page's component rows.
    pub component_rows: Memo<html::RowKey, html::Piece>,
}

impl Memos {
    /// Memos that start from what `previous` has used so far.
    pub fn after(previous: &Memos) -> Memos {
        Memos {
            markdown: Memo::after(&previous.markdown),
            uptime: Memo::after(&previous.uptime),
            statuspage_updates: Memo::after(&previous.statuspage_updates),
            statuspage_components: Memo::after(&previous.statuspage_components),
            statuspage_incidents: Memo::after(&previous.statuspage_incidents),
            statusio_components: Memo::after(&previous.statusio_components),
            statusio_messages: Memo::after(&previous.statusio_messages),
            feed_entries: Memo::after(&previous.feed_entries),
            update_items: Memo::after(&previous.update_items),
            incident_cards: Memo::after(&previous.incident_cards),
            subscribe_forms: Memo::after(&previous.subscribe_forms),
            component_rows: Memo::after(&previous.component_rows),
        }
    }
}

/// A shared value as a memo key, the same while it is the same allocation: quick to hash and
/// compare, and right wherever a change makes a new `Arc` rather than changing one in place.
/// The key holds the `Arc`, so its address is not reused while the memo keeps it.
pub struct ByAddress<T: ?Sized>(pub Arc<T>);

impl<T: ?Sized> Clone for ByAddress<T> {
    fn clone(&self) -> Self {
        ByAddress(self.0.clone())
    }
}

impl<T: ?Sized> PartialEq for ByAddress<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl<T: ?Sized> Eq for ByAddress<T> {}

impl<T: ?Sized> Hash for ByAddress<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        Arc::as_ptr(&self.0).hash(state);
    }
}

/// Results of a pure function by its input.
pub struct Memo<K, V> {
    /// What the build before used, to take over from.
    before: HashMap<K, V>,
    used: Mutex<HashMap<K, V>>,
}

impl<K, V> Default for Memo<K, V> {
    fn default() -> Self {
        Memo {
            before: HashMap::default(),
            used: Mutex::default(),
        }
    }
}

impl<K: Hash + Eq, V: Clone> Memo<K, V> {
    fn after(previous: &Memo<K, V>) -> Memo<K, V> {
        Memo {
            before: std::mem::take(&mut *lock(&previous.used)),
            used: Mutex::default(),
        }
    }

    /// The result for `key`: made at most once while it stays in use.
    pub fn get(&self, key: K, make: impl FnOnce(&K) -> V) -> V {
        match self.try_get(key, |key| Ok::<V, Infallible>(make(key))) {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    /// Carries the result for `key` into the next build, if the build before had it, without
    /// asking for it: for what another memo's result, taken over whole, was made from.
    pub fn keep(&self, key: K) {
        if let Some(value) = self.before.get(&key) {
            lock(&self.used).entry(key).or_insert_with(|| value.clone());
        }
    }

    /// [`Memo::get`] for a result that can fail to be made; a failure is not kept.
    pub fn try_get<E>(&self, key: K, make: impl FnOnce(&K) -> Result<V, E>) -> Result<V, E> {
        if let Some(value) = lock(&self.used).get(&key) {
            return Ok(value.clone());
        }
        let value = match self.before.get(&key) {
            Some(value) => value.clone(),
            None => make(&key)?,
        };
        lock(&self.used).insert(key, value.clone());
        Ok(value)
    }
}

#[cfg(test)]
impl<K: Hash + Eq, V> Memo<K, V> {
    /// How many results this build has made rather than taken over.
    pub fn made(&self) -> usize {
        let used = lock(&self.used);
        used.keys()
            .filter(|k| !self.before.contains_key(*k))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_keeps_only_what_it_used() {
        let first: Memo<String, Arc<str>> = Memo::default();
        let made = |text: &String| Arc::from(text.to_uppercase());
        let shown = first.get("down".into(), made);
        first.get("gone next time".into(), made);
        let second = Memo::after(&first);
        let taken_over = |_: &String| unreachable!("taken over from the first build");
        let again = second.get("down".into(), taken_over);
        assert!(Arc::ptr_eq(&again, &shown));
        let third = Memo::after(&second);
        assert_eq!(
            third.before.len(),
            1,
            "only what the second build used is kept"
        );
    }
}
