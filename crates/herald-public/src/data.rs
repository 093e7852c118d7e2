//! What a public page shows, held in memory: the page, its groups and components, and every
//! incident. Rendering reads only this, never the database.
use foldhash::HashMap;
use std::cmp::Ordering;
use std::sync::{Arc, OnceLock};

use herald_core::component::{Component, Group, Location};
use herald_core::incident::Incident;
use herald_core::maintenance::Maintenance;
use herald_core::page::Page;
use herald_core::status::{PageStatus, StatusLevel, page_status};
use jiff::Timestamp;

use crate::memo::Memos;
use crate::render::{self, markdown};

#[derive(Clone, Debug)]
pub struct PageData {
    pub page: Page,
    pub groups: Vec<Group>,
    pub components: Vec<Component>,
    /// Newest first. Shared, so a change copies pointers rather than every timeline.
    /// Changed only through [`PageData::upsert_incident`] and [`PageData::remove_incident`],
    /// which keep what is kept of the incidents below (`active`, `last_set`, `touching`) true.
    pub(crate) incidents: Vec<Arc<Incident>>,
    /// Latest planned start first.
    pub maintenance: Vec<Arc<Maintenance>>,
    /// The active incidents, newest first: the few most files show, kept so that no build
    /// walks the whole history to find them.
    active: Vec<Arc<Incident>>,
    /// When an incident last changed, kept as incidents come and go for the same reason.
    incidents_updated_at: Timestamp,
    /// When an update last set a level on each location, by location id: kept as incidents
    /// come and go, so that no build reads every timeline of the history for it.
    last_set: HashMap<String, Timestamp>,
    /// The incidents whose updates set a level on each location, newest first, by location
    /// id: a component's history reads its own incidents, not the whole history's, and a
    /// change replaces only the lists of the locations it touched, so a list that is the same
    /// `Arc` as before holds the same incidents.
    touching: HashMap<String, Arc<Touching>>,
}

/// The incidents whose updates set a level on one location, newest first.
#[derive(Clone, Debug, Default)]
pub struct Touching {
    pub incidents: Vec<Arc<Incident>>,
    /// When the last of them was resolved; `None` while one of them is active.
    pub ended: Option<Timestamp>,
}

impl Touching {
    fn count_ended(&mut self) {
        let ends = self.incidents.iter().map(|i| i.resolved_at);
        self.ended = ends
            .reduce(|a, b| a.zip(b).map(|(a, b)| a.max(b)))
            .flatten();
    }
}

/// Incidents newest first, as the store lists them.
pub(crate) fn newest_first(a: &Incident, b: &Incident) -> Ordering {
    (b.created_at, &b.id).cmp(&(a.created_at, &a.id))
}

/// Where `incident` goes in `list`, newest first: found by a binary search.
fn place(list: &[Arc<Incident>], incident: &Incident) -> usize {
    list.partition_point(|i| newest_first(i, incident).is_lt())
}

fn insert_in_place(list: &mut Vec<Arc<Incident>>, incident: &Arc<Incident>) {
    list.insert(place(list, incident), incident.clone());
}

impl PageData {
    /// `incidents` newest first, `maintenance` latest planned start first, as the store
    /// lists them.
    pub fn new(
        page: Page,
        groups: Vec<Group>,
        components: Vec<Component>,
        incidents: Vec<Arc<Incident>>,
        maintenance: Vec<Arc<Maintenance>>,
    ) -> PageData {
        let active = incidents
            .iter()
            .filter(|i| i.is_active())
            .cloned()
            .collect();
        let mut data = PageData {
            page,
            groups,
            components,
            incidents,
            maintenance,
            active,
            incidents_updated_at: Timestamp::UNIX_EPOCH,
            last_set: HashMap::default(),
            touching: HashMap::default(),
        };
        data.recount();
        for incident in data.incidents.clone() {
            data.touch(&incident);
        }
        data
    }

    /// The incidents whose updates set a level on the location, newest first.
    pub fn touching(&self, location_id: &str) -> Option<&Arc<Touching>> {
        self.touching.get(location_id)
    }

    fn touch(&mut self, incident: &Arc<Incident>) {
        for location in levelled_locations(incident) {
            let list = self.touching.entry(location.to_string()).or_default();
            let list = Arc::make_mut(list);
            insert_in_place(&mut list.incidents, incident);
            list.count_ended();
        }
    }

    fn untouch(&mut self, incident: &Incident) {
        for location in levelled_locations(incident) {
            if let Some(list) = self.touching.get_mut(location) {
                let list = Arc::make_mut(list);
                list.incidents.retain(|i| i.id != incident.id);
                list.count_ended();
                if list.incidents.is_empty() {
                    self.touching.remove(location);
                }
            }
        }
    }

    /// When an update last set a level on the location, if one ever did.
    pub fn last_set(&self, location_id: &str) -> Option<Timestamp> {
        self.last_set.get(location_id).copied()
    }

    /// The active incidents, newest first.
    pub fn active(&self) -> &[Arc<Incident>] {
        &self.active
    }

    /// Counts again what is kept of every incident's timeline.
    fn recount(&mut self) {
        self.last_set.clear();
        self.incidents_updated_at = Timestamp::UNIX_EPOCH;
        for incident in &self.incidents {
            note_levels(&mut self.last_set, incident);
            self.incidents_updated_at = self.incidents_updated_at.max(incident.updated_at);
        }
    }

    /// Every location's level, derived from the active incidents and maintenance windows
    /// and the overrides.
    pub fn status(&self) -> PageStatus {
        let mut holds: Vec<_> = self
            .active
            .iter()
            .flat_map(|i| i.holds())
            .map(|a| (a.location_id.clone(), a.level))
            .collect();
        let windows = self.maintenance.iter().flat_map(|m| m.holds());
        holds.extend(windows.map(|a| (a.location_id, a.level)));
        page_status(&self.components, &holds)
    }

    pub fn upsert_maintenance(&mut self, window: Maintenance) {
        self.maintenance.retain(|m| m.id != window.id);
        let at = self
            .maintenance
            .partition_point(|m| (m.starts_at, &m.id) > (window.starts_at, &window.id));
        self.maintenance.insert(at, Arc::new(window));
    }

    pub fn remove_maintenance(&mut self, id: &str) {
        self.maintenance.retain(|m| m.id != id);
    }

    /// Puts a (re)loaded incident in its place, newest first: found by a binary search, since
    /// an incident keeps its creation time, rather than a pass over the whole history.
    pub fn upsert_incident(&mut self, incident: Incident) {
        let incident = Arc::new(incident);
        let at = place(&self.incidents, &incident);
        let replaced = match self.incidents.get_mut(at) {
            Some(stored) if stored.id == incident.id => {
                Some(std::mem::replace(stored, incident.clone()))
            }
            _ => {
                let moved = self.incidents.iter().position(|i| i.id == incident.id);
                let moved = moved.map(|n| self.incidents.remove(n));
                insert_in_place(&mut self.incidents, &incident);
                moved
            }
        };
        // Updates are only ever added (a correction changes text, not levels or times), so the
        // latest times only grow; a timeline that lost or changed an update, or an incident
        // that moved, is counted again.
        match &replaced {
            Some(old) if !(old.created_at == incident.created_at && extends(old, &incident)) => {
                self.recount()
            }
            _ => {
                note_levels(&mut self.last_set, &incident);
                self.incidents_updated_at = self.incidents_updated_at.max(incident.updated_at);
            }
        }
        self.active.retain(|i| i.id != incident.id);
        if incident.is_active() {
            insert_in_place(&mut self.active, &incident);
        }
        if let Some(old) = &replaced {
            self.untouch(old);
        }
        self.touch(&incident);
    }

    pub fn remove_incident(&mut self, id: &str) {
        let Some(n) = self.incidents.iter().position(|i| i.id == id) else {
            return;
        };
        let removed = self.incidents.remove(n);
        self.active.retain(|i| i.id != id);
        self.untouch(&removed);
        self.recount();
    }
}

/// Whether `next` is `previous` with updates added, every earlier one where it was.
fn extends(previous: &Incident, next: &Incident) -> bool {
    previous.updates.len() <= next.updates.len()
        && previous
            .updates
            .iter()
            .zip(&next.updates)
            .all(|(a, b)| a.id == b.id && a.at == b.at && a.levels == b.levels)
}

/// The locations an incident's updates set a level on, each once.
fn levelled_locations(incident: &Incident) -> Vec<&str> {
    let mut locations: Vec<&str> = incident
        .updates
        .iter()
        .flat_map(|u| u.levels.iter().map(|l| l.location_id.as_str()))
        .collect();
    locations.sort_unstable();
    locations.dedup();
    locations
}

fn note_levels(last_set: &mut HashMap<String, Timestamp>, incident: &Incident) {
    for update in &incident.updates {
        for level in &update.levels {
            match last_set.get_mut(level.location_id.as_str()) {
                Some(seen) => *seen = (*seen).max(update.at),
                None => {
                    last_set.insert(level.location_id.clone(), update.at);
                }
            }
        }
    }
}

/// One consistent moment of a page: its data, the levels derived from it, and the time the
/// snapshot was taken (for the uptime history and the feeds' dates).
pub struct View<'a> {
    pub data: &'a PageData,
    pub status: PageStatus,
    pub now: Timestamp,
    /// Where visitors reach the page, absolute, ending in `/`; used where a format needs
    /// absolute links (feeds, the JSON APIs).
    pub base_url: String,
    levels: HashMap<&'a str, StatusLevel>,
    locations: HashMap<&'a str, (&'a Component, &'a Location)>,
    memos: Arc<Memos>,
    /// [`render::layout_stamp`], worked out once per view.
    layout: OnceLock<Arc<str>>,
}

impl<'a> View<'a> {
    pub fn new(data: &'a PageData, now: Timestamp, base_url: String) -> View<'a> {
        let status = data.status();
        let mut levels = HashMap::default();
        for (component, derived) in data.components.iter().zip(&status.components) {
            levels.insert(component.id.as_str(), derived.level);
            for (location, derived) in component.locations.iter().zip(&derived.locations) {
                levels.insert(location.id.as_str(), derived.level);
            }
        }
        let locations = data
            .components
            .iter()
            .flat_map(|c| c.locations.iter().map(move |l| (l.id.as_str(), (c, l))))
            .collect();
        View {
            data,
            status,
            now,
            base_url,
            levels,
            locations,
            memos: Arc::default(),
            layout: OnceLock::new(),
        }
    }

    /// What every incident page shows besides its incident; see [`render::layout_stamp`].
    pub fn layout(&self) -> Arc<str> {
        let stamp = || render::layout_stamp(self.data, &self.base_url);
        self.layout.get_or_init(stamp).clone()
    }

    /// The view, rendering through `memos` (a snapshot's, which the next snapshot takes over)
    /// rather than afresh.
    pub fn remembering(self, memos: Arc<Memos>) -> View<'a> {
        View { memos, ..self }
    }

    pub fn memos(&self) -> &Memos {
        &self.memos
    }

    /// Sanitised HTML of incident text; see [`markdown::to_html`].
    pub fn markdown_html(&self, text: &str) -> Arc<str> {
        let html = |text: &String| markdown::to_html(text).into();
        self.memos.markdown.get(text.to_string(), html)
    }

    /// Keeps the HTML of `text` for the next snapshot without converting it; see
    /// [`crate::memo::Memo::keep`].
    pub fn keep_markdown(&self, text: &str) {
        self.memos.markdown.keep(text.to_string());
    }

    pub fn page(&self) -> &Page {
        &self.data.page
    }

    /// The displayed level of a component or a location, by id.
    pub fn level(&self, id: &str) -> StatusLevel {
        self.levels
            .get(id)
            .copied()
            .unwrap_or(StatusLevel::Operational)
    }

    pub fn location(&self, id: &str) -> Option<(&'a Component, &'a Location)> {
        self.locations.get(id).copied()
    }

    pub fn active_incidents(&self) -> impl Iterator<Item = &'a Incident> + use<'a> {
        self.data.active.iter().map(Arc::as_ref)
    }

    pub fn resolved_incidents(&self) -> impl Iterator<Item = &'a Incident> + use<'a> {
        self.data
            .incidents
            .iter()
            .map(Arc::as_ref)
            .filter(|i| !i.is_active())
    }

    /// In progress or verifying, soonest end first.
    pub fn active_maintenance(&self) -> Vec<&'a Maintenance> {
        let mut windows: Vec<_> = self.maintenance().filter(|m| m.is_active()).collect();
        windows.sort_by_key(|m| m.ends_at);
        windows
    }

    /// Scheduled and still ahead, soonest first.
    pub fn upcoming_maintenance(&self) -> Vec<&'a Maintenance> {
        let mut windows: Vec<_> = self
            .maintenance()
            .filter(|m| m.is_upcoming(self.now))
            .collect();
        windows.sort_by_key(|m| m.starts_at);
        windows
    }

    /// Done, cancelled, or never started in time; latest planned start first.
    pub fn past_maintenance(&self) -> impl Iterator<Item = &'a Maintenance> + use<'a> {
        let now = self.now;
        self.maintenance().filter(move |m| m.is_past(now))
    }

    fn maintenance(&self) -> impl Iterator<Item = &'a Maintenance> + use<'a> {
        self.data.maintenance.iter().map(Arc::as_ref)
    }

    /// When anything on the page last changed.
    pub fn updated_at(&self) -> Timestamp {
        let data = self.data;
        data.components
            .iter()
            .map(|c| c.updated_at)
            .chain(data.groups.iter().map(|g| g.updated_at))
            .chain(data.maintenance.iter().map(|m| m.updated_at))
            .fold(data.page.updated_at, Timestamp::max)
            .max(data.incidents_updated_at)
    }

    /// The components an incident or update names, in page order, each with the ids of its
    /// named locations.
    pub fn components_of<'i>(
        &self,
        location_ids: impl IntoIterator<Item = &'i str>,
    ) -> Vec<(&'a Component, Vec<&'a Location>)> {
        let mut named: Vec<(&'a Component, Vec<&'a Location>)> = Vec::new();
        for id in location_ids {
            let Some((component, location)) = self.location(id) else {
                continue;
            };
            match named.iter_mut().find(|(c, _)| c.id == component.id) {
                Some((_, locations)) => locations.push(location),
                None => named.push((component, vec![location])),
            }
        }
        named.sort_by_key(|(c, _)| (c.position, c.id.clone()));
        named
    }
}

#[cfg(test)]
mod tests {
    use herald_core::status::StatusLevel::ServiceDisruption;

    use super::*;
    use crate::fixtures::{incident, page_with};

    fn at(hour: i64) -> Timestamp {
        Timestamp::from_second(hour * 3600).unwrap()
    }

    #[test]
    fn the_last_time_a_location_was_set_follows_incidents_coming_and_going() {
        let early = incident("a", vec![(at(1), vec![("east", ServiceDisruption)])], None);
        let late = incident("b", vec![(at(5), vec![("east", ServiceDisruption)])], None);
        let mut data = page_with(1, at(0), vec![early.clone(), late.clone()]);
        assert_eq!(data.last_set("east"), Some(at(5)));

        let mut longer = early.clone();
        let mut update = longer.updates[0].clone();
        update.id = "au1".into();
        update.at = at(9);
        longer.updates.push(update);
        data.upsert_incident(longer);
        assert_eq!(data.last_set("east"), Some(at(9)), "an added update counts");

        data.upsert_incident(early);
        assert_eq!(
            data.last_set("east"),
            Some(at(5)),
            "a timeline that lost an update is counted again"
        );
        data.remove_incident("b");
        assert_eq!(data.last_set("east"), Some(at(1)));
        data.remove_incident("a");
        assert_eq!(data.last_set("east"), None);
    }

    /// Each location's incidents by id, as the lists hold them.
    fn touching_ids(data: &PageData) -> Vec<(String, Vec<String>)> {
        let mut lists: Vec<(String, Vec<String>)> = data
            .touching
            .iter()
            .map(|(l, list)| {
                let ids = list.incidents.iter().map(|i| i.id.clone()).collect();
                (l.clone(), ids)
            })
            .collect();
        lists.sort();
        lists
    }

    #[test]
    fn the_incidents_on_each_location_follow_incidents_coming_and_going() {
        let on = |id: &str, hour, locations: &[&'static str]| {
            let levels = locations.iter().map(|&l| (l, ServiceDisruption)).collect();
            incident(id, vec![(at(hour), levels)], None)
        };
        let mut data = page_with(1, at(0), vec![on("a", 1, &["east"]), on("c", 3, &["east"])]);
        data.upsert_incident(on("b", 2, &["east", "west"]));
        let east_before = data.touching("east").unwrap().clone();
        // The incident moves off east; west's list is replaced, and so is east's.
        data.upsert_incident(on("b", 2, &["west"]));
        assert!(!Arc::ptr_eq(&east_before, data.touching("east").unwrap()));
        let west_before = data.touching("west").unwrap().clone();
        data.upsert_incident(on("a", 1, &["east"]));
        assert!(
            Arc::ptr_eq(&west_before, data.touching("west").unwrap()),
            "a list the change did not touch stays the same allocation"
        );
        let ids = |list: &[Arc<Incident>]| list.iter().map(|i| i.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(data.active()), ["c", "b", "a"]);
        let resolved = incident(
            "c",
            vec![(at(3), vec![("east", ServiceDisruption)])],
            Some(at(7)),
        );
        data.upsert_incident(resolved);
        assert_eq!(
            ids(data.active()),
            ["b", "a"],
            "a resolved incident is no longer active"
        );
        assert_eq!(data.incidents_updated_at, at(7));
        assert_eq!(
            data.touching("east").unwrap().ended,
            None,
            "a is still open"
        );
        data.remove_incident("b");
        assert_eq!(ids(data.active()), ["a"]);
        let fresh = PageData::new(
            data.page.clone(),
            Vec::new(),
            data.components.clone(),
            data.incidents.clone(),
            Vec::new(),
        );
        assert_eq!(touching_ids(&data), touching_ids(&fresh));
        assert_eq!(ids(data.active()), ids(fresh.active()));
        assert_eq!(data.incidents_updated_at, fresh.incidents_updated_at);
        assert_eq!(
            touching_ids(&data),
            [("east".to_string(), vec!["c".to_string(), "a".to_string()])],
            "newest first, and a location with none has no list"
        );
        data.remove_incident("a");
        assert_eq!(data.touching("east").unwrap().ended, Some(at(7)));
    }
}
