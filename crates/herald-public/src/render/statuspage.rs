//! Atlassian Statuspage's public API v2 (`/api/v2/*.json`), with Statuspage's field names and
//! enum values, so widgets, aggregators and exporters written for Statuspage read Herald as is.
//! Shapes follow public responses of Statuspage pages (Discord, HashiCorp, GitHub) and
//! Atlassian's "Top-level status and incident impact calculations"; `docs/api.md` lists them.
//!
//! How Herald's model maps onto Statuspage's:
//! - A Herald component is one Statuspage component, with the status of its worst location.
//!   Statuspage has one level of nesting and Herald already uses it for groups, so locations
//!   cannot become child components; a client that needs them reads Status.io's containers.
//! - A Herald group is a Statuspage group component (`"group": true`, `"components"`: the ids
//!   of its children) with the status of its worst child. Empty groups are left out, as on the
//!   HTML page.
//! - `position` is the place on the page, from 1, among the top-level entries (ungrouped
//!   components, then groups) or among a group's children, as Statuspage numbers them.
//! - Times are in the page's time zone with milliseconds, as Statuspage writes them:
//!   `2022-02-15T13:37:37.407-08:00`, or `…Z` for a UTC page.
use std::sync::Arc;

use foldhash::HashMap;
use herald_core::component::{Component, Group, Location};
use herald_core::incident::{AffectedLocation, Incident, IncidentState, Update};
use herald_core::maintenance::Maintenance;
use herald_core::status::{StatusLevel, worst};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::data::View;
use crate::memo::ByAddress;
use crate::paths;

/// How many incidents `incidents.json` (and maintenances `scheduled-maintenances.json`) list.
const RECENT: usize = 50;

/// Statuspage's impact of an incident: the worst level it ever held, whatever it holds now,
/// mapped as Statuspage maps component statuses (degraded → minor, partial → major, major
/// outage → critical). A security event counts as a major outage; an incident that only held
/// locations under maintenance has no impact (Statuspage keeps `maintenance` for windows).
pub fn impact(incident: &Incident) -> &'static str {
    impact_of(worst_held(incident))
}

fn worst_held(incident: &Incident) -> StatusLevel {
    let held = incident
        .updates
        .iter()
        .flat_map(|u| &u.levels)
        .chain(&incident.affected)
        .map(|a| a.level);
    worst(held)
}

fn impact_of(level: StatusLevel) -> &'static str {
    match level {
        StatusLevel::Operational | StatusLevel::UnderMaintenance => "none",
        StatusLevel::DegradedPerformance => "minor",
        StatusLevel::PartialServiceDisruption => "major",
        StatusLevel::ServiceDisruption | StatusLevel::SecurityEvent => "critical",
    }
}

/// Every Statuspage file of the page, serialised. Upcoming maintenance is the scheduled
/// windows still ahead, active the ones in progress or verifying; the summary lists both.
/// Each part (the page, the components, every incident and window) is serialised once and
/// written as is into every file that carries it.
pub fn files(view: &View) -> Vec<(&'static str, Vec<u8>)> {
    let r = Render::new(view);
    let page = raw(&r.page());
    let status = raw(&r.status());
    let entries = r.components();
    let components = raw(&entries.list);
    let unresolved: Vec<Arc<RawValue>> = view
        .data
        .active()
        .iter()
        .map(|i| r.incident_raw(i, &entries))
        .collect();
    let recent: Vec<Arc<RawValue>> = view
        .data
        .incidents
        .iter()
        .take(RECENT)
        .map(|i| r.incident_raw(i, &entries))
        .collect();
    let window = |w: &Maintenance| raw(&r.maintenance(w, &entries));
    let active: Vec<Box<RawValue>> = view.active_maintenance().into_iter().map(window).collect();
    let upcoming: Vec<Box<RawValue>> = view
        .upcoming_maintenance()
        .into_iter()
        .map(window)
        .collect();
    let all: Vec<Box<RawValue>> = view
        .data
        .maintenance
        .iter()
        .take(RECENT)
        .map(|w| window(w))
        .collect();
    let (unresolved, recent) = (refs(&unresolved), refs(&recent));
    let (active, upcoming, all) = (refs(&active), refs(&upcoming), refs(&all));
    let current: Vec<&RawValue> = active.iter().chain(&upcoming).copied().collect();
    let (page, status, components) = (Part::One(&page), Part::One(&status), Part::One(&components));
    let incidents = |list| document(&[("page", page), ("incidents", Part::List(list))]);
    let maintenances =
        |list| document(&[("page", page), ("scheduled_maintenances", Part::List(list))]);
    vec![
        (
            paths::STATUSPAGE_SUMMARY,
            document(&[
                ("page", page),
                ("components", components),
                ("incidents", Part::List(&unresolved)),
                ("scheduled_maintenances", Part::List(&current)),
                ("status", status),
            ]),
        ),
        (
            paths::STATUSPAGE_STATUS,
            document(&[("page", page), ("status", status)]),
        ),
        (
            paths::STATUSPAGE_COMPONENTS,
            document(&[("page", page), ("components", components)]),
        ),
        (paths::STATUSPAGE_INCIDENTS, incidents(&recent)),
        (paths::STATUSPAGE_UNRESOLVED, incidents(&unresolved)),
        (paths::STATUSPAGE_MAINTENANCES, maintenances(&all)),
        (paths::STATUSPAGE_UPCOMING, maintenances(&upcoming)),
        (paths::STATUSPAGE_ACTIVE, maintenances(&active)),
    ]
}

/// `value` serialised, to be written as is wherever it appears.
fn raw(value: &(impl Serialize + ?Sized)) -> Box<RawValue> {
    serde_json::value::to_raw_value(value).expect("JSON values always serialise")
}

fn refs<T: AsRef<RawValue>>(items: &[T]) -> Vec<&RawValue> {
    items.iter().map(AsRef::as_ref).collect()
}

/// A document's field: a value serialised already, or a list of them.
#[derive(Clone, Copy)]
enum Part<'a> {
    One(&'a RawValue),
    List(&'a [&'a RawValue]),
}

impl Part<'_> {
    fn len(&self) -> usize {
        match self {
            Part::One(value) => value.get().len(),
            Part::List(items) => {
                let commas = items.len().saturating_sub(1);
                2 + commas + items.iter().map(|v| v.get().len()).sum::<usize>()
            }
        }
    }

    fn write_to(&self, out: &mut Vec<u8>) {
        match self {
            Part::One(value) => out.extend_from_slice(value.get().as_bytes()),
            Part::List(items) => {
                out.push(b'[');
                for (n, item) in items.iter().enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(item.get().as_bytes());
                }
                out.push(b']');
            }
        }
    }
}

/// A JSON object of parts already serialised, in the order given, written straight into one
/// buffer of the right size: the big parts (the incidents with their timelines) are copied
/// once. The names are fixed identifiers, which need no escaping.
fn document(fields: &[(&'static str, Part)]) -> Vec<u8> {
    let commas = fields.len().saturating_sub(1);
    let size: usize = fields
        .iter()
        .map(|(name, part)| name.len() + 3 + part.len())
        .sum();
    let mut out = Vec::with_capacity(2 + commas + size);
    out.push(b'{');
    for (n, (name, part)) in fields.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":");
        part.write_to(&mut out);
    }
    out.push(b'}');
    out
}

/// What Atlassian Statuspage sends its webhook subscribers about an incident or a maintenance
/// window (both under `incident`), less the per-recipient `meta`.
pub fn webhook(view: &View, item: WebhookItem) -> Value {
    let r = Render::new(view);
    let status = r.status();
    let components = r.components();
    let incident = match item {
        WebhookItem::Incident(i) => json!(r.incident(i, &components)),
        WebhookItem::Maintenance(w) => r.maintenance(w, &components),
    };
    json!({
        "page": {
            "id": view.page().id,
            "status_indicator": status["indicator"],
            "status_description": status["description"],
        },
        "incident": incident,
    })
}

/// The item a Statuspage webhook is about.
pub enum WebhookItem<'a> {
    Incident(&'a Incident),
    Maintenance(&'a Maintenance),
}

/// Statuspage's top-level status of a page whose components have these levels, as Atlassian
/// documents it: all operational reads "All Systems Operational"; otherwise the worst status
/// decides, and whether every component shares it (a single degraded component reads
/// "Partially Degraded Service", as Atlassian's one-component table says).
pub fn rollup(levels: &[StatusLevel]) -> (&'static str, &'static str) {
    let worst_status = worst(levels.iter().copied()).statuspage_component_status();
    let all = levels
        .iter()
        .all(|l| l.statuspage_component_status() == worst_status);
    match worst_status {
        "under_maintenance" => ("maintenance", "Service Under Maintenance"),
        "degraded_performance" if all && levels.len() > 1 => ("minor", "Degraded System Service"),
        "degraded_performance" => ("minor", "Partially Degraded Service"),
        "partial_outage" if all => ("major", "Partial System Outage"),
        "partial_outage" => ("minor", "Minor Service Outage"),
        "major_outage" if all => ("critical", "Major System Outage"),
        "major_outage" => ("major", "Partial System Outage"),
        _ => ("none", "All Systems Operational"),
    }
}

/// The words Statuspage shows for an indicator set by an incident rather than by components.
fn indicator_words(indicator: &str) -> &'static str {
    match indicator {
        "minor" => "Minor Service Outage",
        "major" => "Partial System Outage",
        "critical" => "Major System Outage",
        _ => "All Systems Operational",
    }
}

/// Statuspage's time format in `tz`: milliseconds and the offset, `Z` for UTC as Rails writes it.
pub fn time(tz: &TimeZone, t: Timestamp) -> String {
    let zoned = t.to_zoned(tz.clone());
    let offset = if zoned.strftime("%Z").to_string() == "UTC" {
        "Z".to_string()
    } else {
        zoned.strftime("%:z").to_string()
    };
    format!("{}{offset}", zoned.strftime("%Y-%m-%dT%H:%M:%S%.3f"))
}

fn state_name(state: IncidentState) -> &'static str {
    match state {
        IncidentState::Investigating => "investigating",
        IncidentState::Identified => "identified",
        IncidentState::Monitoring => "monitoring",
        IncidentState::Resolved => "resolved",
    }
}

struct Render<'v, 'a> {
    view: &'v View<'a>,
    tz: TimeZone,
}

impl<'v, 'a> Render<'v, 'a> {
    fn new(view: &'v View<'a>) -> Self {
        // The zone was validated when the page was saved; UTC keeps a bad row renderable.
        let tz = TimeZone::get(&view.page().time_zone).unwrap_or(TimeZone::UTC);
        Render { view, tz }
    }

    fn time(&self, t: Timestamp) -> String {
        time(&self.tz, t)
    }

    fn page(&self) -> Value {
        let page = self.view.page();
        json!({
            "id": page.id,
            "name": page.name,
            "url": self.view.base_url,
            "time_zone": page.time_zone,
            "updated_at": self.time(self.view.updated_at()),
        })
    }

    fn status(&self) -> Value {
        let view = self.view;
        let levels: Vec<StatusLevel> = view
            .data
            .components
            .iter()
            .map(|c| view.level(&c.id))
            .collect();
        let (mut indicator, mut description) = rollup(&levels);
        // "All Systems Operational (unless there is an active incident)": when no component
        // is degraded, an open incident (say, monitoring after levels returned) still counts.
        if matches!(indicator, "none" | "maintenance") {
            let open = worst(view.active_incidents().map(worst_held));
            if impact_of(open) != "none" {
                indicator = impact_of(open);
                description = indicator_words(indicator);
            }
        }
        json!({"indicator": indicator, "description": description})
    }

    /// When a component's status last changed: its own last edit, or the last update that set
    /// a level on one of its locations.
    fn updated_at(&self, component: &Component) -> Timestamp {
        component
            .locations
            .iter()
            .filter_map(|l| self.view.data.last_set(&l.id))
            .fold(component.updated_at, Timestamp::max)
    }

    /// Ungrouped components, then each group followed by its children.
    fn components(&self) -> Entries<'a> {
        let data = self.view.data;
        let mut entries = Entries::default();
        let mut top = 0;
        for component in data.components.iter().filter(|c| c.group_id.is_none()) {
            top += 1;
            entries.push(&component.id, self.component(component, top));
        }
        for group in &data.groups {
            let children: Vec<&Component> = data
                .components
                .iter()
                .filter(|c| c.group_id.as_deref() == Some(group.id.as_str()))
                .collect();
            if children.is_empty() {
                continue;
            }
            top += 1;
            entries.push(&group.id, raw(&self.group(group, &children, top)).into());
            for (k, child) in children.iter().enumerate() {
                entries.push(&child.id, self.component(child, k + 1));
            }
        }
        entries
    }

    /// A component's entry, serialised once while its place, level and last change stay.
    fn component(&self, c: &Component, position: usize) -> Arc<RawValue> {
        let key = ComponentKey {
            layout: self.view.layout(),
            component_id: c.id.clone(),
            position,
            level: self.view.level(&c.id),
            updated_at: self.updated_at(c),
        };
        let make = |_: &ComponentKey| raw(&self.component_json(c, position)).into();
        self.view.memos().statuspage_components.get(key, make)
    }

    fn component_json(&self, c: &Component, position: usize) -> Value {
        json!({
            "id": c.id,
            "name": c.name,
            "status": self.view.level(&c.id).statuspage_component_status(),
            "created_at": self.time(c.created_at),
            "updated_at": self.time(self.updated_at(c)),
            "position": position,
            "description": (!c.description.is_empty()).then_some(&c.description),
            // Every Herald component shows its uptime bar, counted from the day it was made.
            "showcase": true,
            "start_date": c.created_at.to_zoned(TimeZone::UTC).date().to_string(),
            "group_id": c.group_id,
            "page_id": c.page_id,
            "group": false,
            "only_show_if_degraded": false,
        })
    }

    fn group(&self, g: &Group, children: &[&Component], position: usize) -> Value {
        let level = worst(children.iter().map(|c| self.view.level(&c.id)));
        let updated = children
            .iter()
            .map(|c| self.updated_at(c))
            .fold(g.updated_at, Timestamp::max);
        json!({
            "id": g.id,
            "name": g.name,
            "status": level.statuspage_component_status(),
            "created_at": self.time(g.created_at),
            "updated_at": self.time(updated),
            "position": position,
            "description": null,
            "showcase": false,
            "start_date": null,
            "group_id": null,
            "page_id": g.page_id,
            "group": true,
            "only_show_if_degraded": false,
            "components": children.iter().map(|c| &c.id).collect::<Vec<_>>(),
        })
    }

    /// [`Render::incident`] serialised, once while the incident, the layout and the entries
    /// of the components it affects stay the same.
    fn incident_raw(&self, i: &'a Arc<Incident>, entries: &Entries) -> Arc<RawValue> {
        let key = IncidentKey {
            incident: ByAddress(i.clone()),
            layout: self.view.layout(),
            components: self
                .affected(i, entries)
                .into_iter()
                .map(ByAddress)
                .collect(),
        };
        let make = |_: &IncidentKey| raw(&self.incident(i, entries)).into();
        let memos = self.view.memos();
        let json = memos.statuspage_incidents.get(key, make);
        // Taken over whole, it used none of its updates: they are kept for when it changes.
        for u in &i.updates {
            memos.statuspage_updates.keep(self.update_key(u));
        }
        json
    }

    /// The entries of the components an incident affects now, in page order.
    fn affected(&self, i: &Incident, entries: &Entries) -> Vec<Arc<RawValue>> {
        let locations = i.affected.iter().map(|a| a.location_id.as_str());
        entries.of(self.view.components_of(locations))
    }

    /// `entries`: the page's, whose affected ones the incident repeats.
    fn incident(&self, i: &'a Incident, entries: &Entries) -> IncidentJson<'a> {
        let view = self.view;
        let status = match i.state {
            // Statuspage's last stage, once a post-mortem is out.
            IncidentState::Resolved if i.postmortem_url.is_some() => "postmortem",
            state => state_name(state),
        };
        // Statuspage lists updates newest first.
        let incident_updates = (0..i.updates.len())
            .rev()
            .map(|k| self.update(i, k))
            .collect();
        let affected = self.affected(i, entries);
        let monitoring_at = i
            .updates
            .iter()
            .rev()
            .find(|u| u.state == IncidentState::Monitoring)
            .map(|u| self.time(u.at));
        IncidentJson {
            id: &i.id,
            name: &i.title,
            status,
            created_at: self.time(i.created_at),
            updated_at: self.time(i.updated_at),
            monitoring_at,
            resolved_at: i.resolved_at.map(|t| self.time(t)),
            impact: impact(i),
            shortlink: format!("{}{}", view.base_url, paths::incident_dir(&i.id)),
            started_at: self.time(i.created_at),
            page_id: &i.page_id,
            incident_updates,
            components: affected,
        }
    }

    /// A maintenance window: an incident's fields with Statuspage's maintenance status and
    /// impact, and its planned times.
    fn maintenance(&self, w: &Maintenance, entries: &Entries) -> Value {
        let view = self.view;
        let affected = entries.of(view.components_of(w.affected.iter().map(String::as_str)));
        let updates: Vec<Value> = w
            .updates
            .iter()
            .rev()
            .map(|u| {
                let at = self.time(u.at);
                json!({
                    "id": u.id,
                    "status": u.state.statuspage_status(),
                    "body": u.details,
                    "incident_id": w.id,
                    "created_at": at,
                    "updated_at": at,
                    "display_at": at,
                    "affected_components": null,
                    "deliver_notifications": u.channels.email || u.channels.webhook,
                    "custom_tweet": null,
                    "tweet_id": null,
                })
            })
            .collect();
        json!({
            "id": w.id,
            "name": w.title,
            "status": w.state.statuspage_status(),
            "created_at": self.time(w.created_at),
            "updated_at": self.time(w.updated_at),
            "monitoring_at": null,
            "resolved_at": w.ended_at.map(|t| self.time(t)),
            "impact": "maintenance",
            "shortlink": format!("{}{}", view.base_url, paths::maintenance_dir(&w.id)),
            "started_at": self.time(w.started_at.unwrap_or(w.starts_at)),
            "page_id": w.page_id,
            "incident_updates": updates,
            "components": affected,
            "scheduled_for": self.time(w.starts_at),
            "scheduled_until": self.time(w.ends_at),
        })
    }

    /// The `k`th update, serialised. `affected_components` names each component the update
    /// sets a level on, with the level this incident held it at before (operational before
    /// the first update) and after; Herald does not record what other incidents held at that
    /// moment. Made once while the layout stays: an update changes only by a correction,
    /// which stamps `edited_at`, and the update before it never changes its levels.
    fn update(&self, i: &Incident, k: usize) -> Arc<RawValue> {
        let key = self.update_key(&i.updates[k]);
        let make = |_: &UpdateKey| raw(&self.update_json(i, k)).into();
        self.view.memos().statuspage_updates.get(key, make)
    }

    fn update_key(&self, u: &Update) -> UpdateKey {
        UpdateKey {
            layout: self.view.layout(),
            update_id: u.id.clone(),
            edited_at: u.edited_at,
        }
    }

    fn update_json(&self, i: &Incident, k: usize) -> Value {
        let u = &i.updates[k];
        let before: &[AffectedLocation] = match k.checked_sub(1) {
            Some(previous) => &i.updates[previous].levels,
            None => &[],
        };
        let held = |c: &Component, levels: &[AffectedLocation]| {
            worst(levels.iter().filter(|l| holds(c, l)).map(|l| l.level))
                .statuspage_component_status()
        };
        let affected: Vec<Value> = self
            .view
            .components_of(u.levels.iter().map(|l| l.location_id.as_str()))
            .into_iter()
            .map(|(c, _)| {
                json!({
                    "code": c.id,
                    "name": c.name,
                    "old_status": held(c, before),
                    "new_status": held(c, &u.levels),
                })
            })
            .collect();
        let c = &u.channels;
        let at = self.time(u.at);
        json!({
            "id": u.id,
            "status": state_name(u.state),
            "body": u.details,
            "incident_id": i.id,
            "created_at": at,
            "updated_at": at,
            "display_at": at,
            // Statuspage writes null, not [], when an update names no component.
            "affected_components": (!affected.is_empty()).then_some(affected),
            "deliver_notifications": c.email || c.webhook || c.slack || c.teams || c.social || c.irc || c.sms,
            "custom_tweet": null,
            "tweet_id": null,
        })
    }
}

/// An incident as Statuspage writes it; its updates are serialised one by one and kept.
#[derive(Serialize)]
struct IncidentJson<'a> {
    id: &'a str,
    name: &'a str,
    status: &'static str,
    created_at: String,
    updated_at: String,
    monitoring_at: Option<String>,
    resolved_at: Option<String>,
    impact: &'static str,
    shortlink: String,
    started_at: String,
    page_id: &'a str,
    incident_updates: Vec<Arc<RawValue>>,
    components: Vec<Arc<RawValue>>,
}

/// The page's component and group entries, serialised, in page order.
#[derive(Default)]
struct Entries<'a> {
    list: Vec<Arc<RawValue>>,
    /// Each entry's place in `list`, by its id.
    place: HashMap<&'a str, usize>,
}

impl<'a> Entries<'a> {
    fn push(&mut self, id: &'a str, entry: Arc<RawValue>) {
        self.place.insert(id, self.list.len());
        self.list.push(entry);
    }

    /// The entries of `components`.
    fn of(&self, components: Vec<(&Component, Vec<&Location>)>) -> Vec<Arc<RawValue>> {
        components
            .into_iter()
            .filter_map(|(c, _)| self.place.get(c.id.as_str()))
            .map(|&n| self.list[n].clone())
            .collect()
    }
}

/// What a component's entry shows besides its names (which the layout stamp covers).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ComponentKey {
    layout: Arc<str>,
    component_id: String,
    position: usize,
    level: StatusLevel,
    updated_at: Timestamp,
}

/// What an incident's JSON is made from: the incident (a change reloads it into a new `Arc`),
/// the layout, and the entries of the components it affects, as this build made them.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IncidentKey {
    incident: ByAddress<Incident>,
    layout: Arc<str>,
    components: Vec<ByAddress<RawValue>>,
}

/// Which update's JSON, written for which layout.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct UpdateKey {
    layout: Arc<str>,
    update_id: String,
    edited_at: Option<Timestamp>,
}

/// Whether `level` is about one of the component's locations.
fn holds(component: &Component, level: &AffectedLocation) -> bool {
    component
        .locations
        .iter()
        .any(|l| l.id == level.location_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::PageData;
    use crate::fixtures::{incident, page_with};
    use crate::memo::Memos;
    use StatusLevel::*;

    #[test]
    fn a_document_is_the_json_object_of_its_parts_in_a_buffer_of_its_size() {
        let (page, a, b) = (
            raw(&json!({"id": "p"})),
            raw(&json!({"n": 1})),
            raw(&[2, 3]),
        );
        let out = document(&[
            ("page", Part::One(&page)),
            ("incidents", Part::List(&[&a, &b])),
            ("scheduled_maintenances", Part::List(&[])),
        ]);
        let text = r#"{"page":{"id":"p"},"incidents":[{"n":1},[2,3]],"scheduled_maintenances":[]}"#;
        assert_eq!(String::from_utf8(out.clone()).unwrap(), text);
        assert_eq!(
            out.len(),
            out.capacity(),
            "the size is reckoned before writing"
        );
    }

    /// The Statuspage file at `path`, built at `now` through `memos`.
    fn file_at(data: &PageData, now: Timestamp, memos: &Arc<Memos>, path: &str) -> Value {
        let view = View::new(data, now, "https://s.example/".into());
        let files = files(&view.remembering(memos.clone()));
        let (_, body) = files.iter().find(|(p, _)| *p == path).expect("the file");
        serde_json::from_slice(body).expect("the file is JSON")
    }

    /// The bodies and component names of the updates in `incidents.json`, newest first, with
    /// how many updates the build had to serialise afresh.
    fn updates_shown(data: &PageData, memos: &Arc<Memos>) -> (Vec<(String, String)>, usize) {
        let now = "2025-06-02T12:00:00Z".parse().unwrap();
        let json = file_at(data, now, memos, paths::STATUSPAGE_INCIDENTS);
        let shown = json["incidents"][0]["incident_updates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| {
                let body = u["body"].as_str().unwrap().to_string();
                let name = u["affected_components"][0]["name"].as_str().unwrap();
                (body, name.to_string())
            })
            .collect();
        (shown, memos.statuspage_updates.made())
    }

    #[test]
    fn a_zone_changed_in_the_same_instant_writes_every_entry_again() {
        let start: Timestamp = "2025-06-02T09:00:00Z".parse().unwrap();
        let mut data = page_with(1, start, Vec::new());
        let created = |data: &PageData, memos: &Arc<Memos>| {
            let json = file_at(data, start, memos, paths::STATUSPAGE_COMPONENTS);
            json["components"][0]["created_at"].clone()
        };
        let first = Arc::new(Memos::default());
        assert_eq!(created(&data, &first), "2025-06-02T09:00:00.000Z");
        // Saved in the same instant: the page's times say nothing changed.
        data.page.time_zone = "America/Tijuana".into();
        let moved = Arc::new(Memos::after(&first));
        assert_eq!(created(&data, &moved), "2025-06-02T02:00:00.000-07:00");
    }

    #[test]
    fn an_incident_is_serialised_again_only_when_it_or_what_it_affects_changes() {
        let start: Timestamp = "2025-06-02T10:00:00Z".parse().unwrap();
        let on_east = |id: &str, level, minutes| {
            let at = start + jiff::SignedDuration::from_mins(minutes);
            let mut outage = incident(id, vec![(at, vec![("east", level)])], None);
            outage.affected = vec![AffectedLocation {
                location_id: "east".into(),
                level,
            }];
            outage
        };
        let mut data = page_with(1, start, vec![on_east("a", DegradedPerformance, 0)]);
        let incidents = |data: &PageData, memos: &Arc<Memos>| {
            let now = "2025-06-02T12:00:00Z".parse().unwrap();
            file_at(data, now, memos, paths::STATUSPAGE_INCIDENTS)
        };
        let first = Arc::new(Memos::default());
        incidents(&data, &first);
        assert_eq!(first.statuspage_incidents.made(), 1);
        let unchanged = Arc::new(Memos::after(&first));
        incidents(&data, &unchanged);
        assert_eq!(unchanged.statuspage_incidents.made(), 0, "taken over");

        data.upsert_incident(on_east("b", ServiceDisruption, 10));
        let worse = Arc::new(Memos::after(&unchanged));
        let json = incidents(&data, &worse);
        assert_eq!(
            worse.statuspage_incidents.made(),
            2,
            "b is new, and a shows its component's new status"
        );
        assert_eq!(json["incidents"][1]["id"], "a");
        assert_eq!(
            json["incidents"][1]["components"][0]["status"],
            "major_outage"
        );
        assert_eq!(worse.statuspage_updates.made(), 1, "only b's update is new");
    }

    #[test]
    fn an_update_is_serialised_again_only_when_it_or_the_names_it_shows_change() {
        let start: Timestamp = "2025-06-02T10:00:00Z".parse().unwrap();
        let mut outage = incident(
            "i",
            vec![
                (start, vec![("east", ServiceDisruption)]),
                (
                    start + jiff::SignedDuration::from_mins(10),
                    vec![("east", PartialServiceDisruption)],
                ),
            ],
            None,
        );
        outage.updates[0].details = "Down".into();
        outage.updates[1].details = "Recovering".into();
        let mut data = page_with(1, start, vec![outage.clone()]);
        let first = Arc::new(Memos::default());
        let (shown, made) = updates_shown(&data, &first);
        assert_eq!(made, 2);
        assert_eq!(shown[1], ("Down".to_string(), "API".to_string()));

        let unchanged = Arc::new(Memos::after(&first));
        assert_eq!(updates_shown(&data, &unchanged).1, 0, "both taken over");

        outage.updates[0].details = "Down in the east".into();
        outage.updates[0].edited_at = Some(start + jiff::SignedDuration::from_mins(20));
        data.upsert_incident(outage);
        let corrected = Arc::new(Memos::after(&unchanged));
        let (shown, made) = updates_shown(&data, &corrected);
        assert_eq!((made, &shown[1].0[..]), (1, "Down in the east"));

        data.components[0].name = "Public API".into();
        data.components[0].updated_at = start + jiff::SignedDuration::from_mins(30);
        let renamed = Arc::new(Memos::after(&corrected));
        let (shown, made) = updates_shown(&data, &renamed);
        assert_eq!(made, 2);
        assert!(
            shown.iter().all(|(_, name)| name == "Public API"),
            "{shown:?}"
        );
    }

    #[test]
    fn top_level_status_blends_components_as_statuspage_does() {
        let cases: [(&[StatusLevel], (&str, &str)); 14] = [
            (&[], ("none", "All Systems Operational")),
            (
                &[Operational, Operational],
                ("none", "All Systems Operational"),
            ),
            (
                &[UnderMaintenance],
                ("maintenance", "Service Under Maintenance"),
            ),
            (
                &[DegradedPerformance],
                ("minor", "Partially Degraded Service"),
            ),
            (
                &[PartialServiceDisruption],
                ("major", "Partial System Outage"),
            ),
            (&[ServiceDisruption], ("critical", "Major System Outage")),
            (
                &[Operational, DegradedPerformance],
                ("minor", "Partially Degraded Service"),
            ),
            (
                &[DegradedPerformance, DegradedPerformance],
                ("minor", "Degraded System Service"),
            ),
            (
                &[Operational, PartialServiceDisruption],
                ("minor", "Minor Service Outage"),
            ),
            (
                &[PartialServiceDisruption, PartialServiceDisruption],
                ("major", "Partial System Outage"),
            ),
            (
                &[Operational, ServiceDisruption],
                ("major", "Partial System Outage"),
            ),
            (
                &[ServiceDisruption, SecurityEvent],
                ("critical", "Major System Outage"),
            ),
            (
                &[PartialServiceDisruption, ServiceDisruption],
                ("major", "Partial System Outage"),
            ),
            (
                &[UnderMaintenance, DegradedPerformance],
                ("minor", "Partially Degraded Service"),
            ),
        ];
        for (levels, expected) in cases {
            assert_eq!(rollup(levels), expected, "{levels:?}");
        }
    }

    #[test]
    fn impact_follows_statuspage_colours() {
        let impacts: Vec<&str> = StatusLevel::ALL.iter().map(|l| impact_of(*l)).collect();
        assert_eq!(
            impacts,
            ["none", "none", "minor", "major", "critical", "critical"]
        );
    }

    #[test]
    fn times_carry_milliseconds_and_the_page_offset() {
        let t: Timestamp = "2022-02-15T21:37:37.407Z".parse().unwrap();
        assert_eq!(time(&TimeZone::UTC, t), "2022-02-15T21:37:37.407Z");
        let utc = TimeZone::get("Etc/UTC").unwrap();
        assert_eq!(time(&utc, t), "2022-02-15T21:37:37.407Z");
        let tijuana = TimeZone::get("America/Tijuana").unwrap();
        assert_eq!(time(&tijuana, t), "2022-02-15T13:37:37.407-08:00");
        // Zero offset outside UTC is still an offset, as Rails writes it.
        let london = TimeZone::get("Europe/London").unwrap();
        let whole: Timestamp = "2022-02-15T21:37:37Z".parse().unwrap();
        assert_eq!(time(&london, whole), "2022-02-15T21:37:37.000+00:00");
    }
}
