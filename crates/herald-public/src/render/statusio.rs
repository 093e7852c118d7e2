//! Status.io's public status API, `GET /1.0/status/{page_id}`, as Status.io documents it
//! (kb.status.io/developers/public-status-api): `{"result": {status_overall, status[],
//! incidents[], maintenance{active, upcoming}}}`.
//!
//! The same inner object is the `result` of the authenticated `GET /v2/status/summary/{id}`
//! (Status.io answers that call with "Get public api status successfully"), so [`summary`]
//! serves both: herald-web calls it with what it reads from the store, [`status`] with the
//! public snapshot's [`View`].
use std::sync::Arc;

use foldhash::HashMap;
use herald_core::component::Component;
use herald_core::incident::{Incident, Update};
use herald_core::maintenance::Maintenance;
use herald_core::status::{PageStatus, StatusLevel, worst};
use jiff::Timestamp;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::data::View;

/// Status.io's time format: ISO 8601 in UTC with milliseconds.
pub fn iso(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The public status file: [`summary`] in Status.io's `result` envelope, each message
/// serialised once while its update stays as it is.
pub fn status(view: &View) -> Vec<u8> {
    #[derive(Serialize)]
    struct Envelope {
        result: Summary,
    }
    let maintenance = Windows {
        active: view.active_maintenance(),
        upcoming: view.upcoming_maintenance(),
    };
    let kept = Kept(view);
    let result = summary(
        &view.data.components,
        &view.status,
        view.active_incidents(),
        &maintenance,
        &kept,
    );
    serde_json::to_vec(&Envelope { result }).expect("JSON values always serialise")
}

/// Where the summary takes the parts that rarely change: made afresh ([`Fresh`]), or kept
/// from one public snapshot to the next.
pub trait Parts {
    /// An incident update as a Status.io message.
    fn message(&self, u: &Update) -> Arc<RawValue>;
    /// A component's entry, made by `make` unless one was kept for `key`.
    fn component(&self, key: ComponentKey, make: &dyn Fn() -> Arc<RawValue>) -> Arc<RawValue>;
}

/// Every part made afresh, for a summary read once.
pub struct Fresh;

impl Parts for Fresh {
    fn message(&self, u: &Update) -> Arc<RawValue> {
        message(u)
    }

    fn component(&self, _: ComponentKey, make: &dyn Fn() -> Arc<RawValue>) -> Arc<RawValue> {
        make()
    }
}

/// The parts kept in a snapshot's memos.
struct Kept<'v, 'a>(&'v View<'a>);

impl Parts for Kept<'_, '_> {
    fn message(&self, u: &Update) -> Arc<RawValue> {
        let key = MessageKey {
            update_id: u.id.clone(),
            edited_at: u.edited_at,
        };
        self.0.memos().statusio_messages.get(key, |_| message(u))
    }

    fn component(&self, key: ComponentKey, make: &dyn Fn() -> Arc<RawValue>) -> Arc<RawValue> {
        let key = (self.0.layout(), key);
        self.0.memos().statusio_components.get(key, |_| make())
    }
}

/// What a message is made from that can change once it is published: its text, through the
/// time it was corrected.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MessageKey {
    update_id: String,
    edited_at: Option<Timestamp>,
}

/// What a component's entry shows besides its names: each location's level and when it last
/// changed, then the component's.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ComponentKey {
    component_id: String,
    levels: Vec<StatusLevel>,
    updated: Vec<Timestamp>,
}

/// An incident update as a Status.io message, serialised.
pub fn message(u: &Update) -> Arc<RawValue> {
    let status = worst(u.levels.iter().map(|l| l.level)).statusio_code();
    let message = json!({"details": u.details, "datetime": iso(u.at),
                         "state": u.state.statusio_code(), "status": status});
    serde_json::value::to_raw_value(&message)
        .expect("JSON values always serialise")
        .into()
}

/// The inner object of both the public status and `status/summary`. Its fields are in the
/// order Status.io's (and `serde_json`'s) sorted keys give.
#[derive(Serialize)]
pub struct Summary {
    incidents: Vec<IncidentEntry>,
    maintenance: Value,
    status: Vec<Arc<RawValue>>,
    status_overall: Value,
}

/// An active incident, its fields in sorted order.
#[derive(Serialize)]
struct IncidentEntry {
    _id: String,
    components_affected: Vec<Value>,
    containers_affected: Vec<Value>,
    datetime_open: String,
    messages: Vec<Arc<RawValue>>,
    name: String,
}

/// The maintenance windows the summary lists.
pub struct Windows<'m> {
    pub active: Vec<&'m Maintenance>,
    pub upcoming: Vec<&'m Maintenance>,
}

fn window(components: &[Component], w: &Maintenance) -> Value {
    let locations: Vec<&str> = w.affected.iter().map(String::as_str).collect();
    let (touched, containers) = affected(components, &locations);
    let messages: Vec<Value> = w
        .updates
        .iter()
        .map(|u| json!({"details": u.details, "datetime": iso(u.at)}))
        .collect();
    json!({"_id": w.id, "name": w.title, "datetime_open": iso(w.created_at),
           "datetime_planned_start": iso(w.starts_at), "datetime_planned_end": iso(w.ends_at),
           "messages": messages, "components_affected": touched, "containers_affected": containers})
}

/// A location's level in `status`, operational when it is not there.
pub fn level_of(status: &PageStatus, location_id: &str) -> StatusLevel {
    status
        .components
        .iter()
        .flat_map(|c| &c.locations)
        .find(|l| l.location_id == location_id)
        .map_or(StatusLevel::Operational, |l| l.level)
}

/// The components and containers an incident or update touches, as `{_id, name}` pairs.
pub fn affected(components: &[Component], location_ids: &[&str]) -> (Vec<Value>, Vec<Value>) {
    let mut touched_components = Vec::new();
    let mut containers = Vec::new();
    for component in components {
        let hit: Vec<_> = component
            .locations
            .iter()
            .filter(|l| location_ids.contains(&l.id.as_str()))
            .collect();
        if hit.is_empty() {
            continue;
        }
        touched_components.push(json!({"_id": component.id, "name": component.name}));
        containers.extend(hit.iter().map(|l| json!({"_id": l.id, "name": l.name})));
    }
    (touched_components, containers)
}

/// The inner object of both the public status and `status/summary`: every component with its
/// containers, the active incidents, and the active and upcoming maintenance; the messages and
/// the component entries come through `parts`.
pub fn summary<'i>(
    components: &[Component],
    status: &PageStatus,
    active: impl IntoIterator<Item = &'i Incident>,
    maintenance: &Windows,
    parts: &dyn Parts,
) -> Summary {
    let active: Vec<&Incident> = active.into_iter().collect();
    // When a location last changed: its component's last edit or an active incident's update.
    let updated = |location_ids: &[&str], since: Timestamp| -> Timestamp {
        active
            .iter()
            .filter(|i| {
                i.affected
                    .iter()
                    .any(|a| location_ids.contains(&a.location_id.as_str()))
            })
            .map(|i| i.updated_at)
            .fold(since, Timestamp::max)
    };
    // Looked up once per location and again per component: a map, not a scan of the page.
    let levels: HashMap<&str, StatusLevel> = status
        .components
        .iter()
        .flat_map(|c| &c.locations)
        .map(|l| (l.location_id.as_str(), l.level))
        .collect();
    let level_of = |id: &str| levels.get(id).copied().unwrap_or(StatusLevel::Operational);
    let mut overall_updated = Timestamp::UNIX_EPOCH;
    let entries = components
        .iter()
        .map(|c| {
            let ids: Vec<&str> = c.locations.iter().map(|l| l.id.as_str()).collect();
            let mut changed: Vec<Timestamp> =
                ids.iter().map(|id| updated(&[id], c.updated_at)).collect();
            let component_updated = updated(&ids, c.updated_at);
            changed.push(component_updated);
            overall_updated = overall_updated.max(component_updated);
            let key = ComponentKey {
                component_id: c.id.clone(),
                levels: ids.iter().map(|id| level_of(id)).collect(),
                updated: changed.clone(),
            };
            let make = || {
                let containers: Vec<Value> = c
                    .locations
                    .iter()
                    .zip(&changed)
                    .map(|(l, &at)| {
                        let level = level_of(&l.id);
                        json!({"id": l.id, "name": l.name, "updated": iso(at),
                               "status": level.statusio_label(), "status_code": level.statusio_code()})
                    })
                    .collect();
                let level = worst(c.locations.iter().map(|l| level_of(&l.id)));
                let entry = json!({"id": c.id, "name": c.name, "updated": iso(component_updated),
                                   "status": level.statusio_label(), "status_code": level.statusio_code(),
                                   "containers": containers});
                serde_json::value::to_raw_value(&entry)
                    .expect("JSON values always serialise")
                    .into()
            };
            parts.component(key, &make)
        })
        .collect();
    let incidents = active
        .iter()
        .map(|i| {
            let locations: Vec<&str> = i.affected.iter().map(|a| a.location_id.as_str()).collect();
            let (touched, containers) = affected(components, &locations);
            IncidentEntry {
                _id: i.id.clone(),
                components_affected: touched,
                containers_affected: containers,
                datetime_open: iso(i.created_at),
                messages: i.updates.iter().map(|u| parts.message(u)).collect(),
                name: i.title.clone(),
            }
        })
        .collect();
    let windows = |list: &[&Maintenance]| -> Vec<Value> {
        list.iter().map(|w| window(components, w)).collect()
    };
    Summary {
        incidents,
        maintenance: json!({
            "active": windows(&maintenance.active),
            "upcoming": windows(&maintenance.upcoming),
        }),
        status: entries,
        status_overall: json!({"updated": iso(overall_updated), "status": status.level.statusio_label(),
                               "status_code": status.level.statusio_code()}),
    }
}

#[cfg(test)]
mod tests {
    use herald_core::status::StatusLevel::ServiceDisruption;
    use jiff::SignedDuration;

    use super::*;
    use crate::data::PageData;
    use crate::fixtures::{incident, page_with};
    use crate::memo::Memos;

    #[test]
    fn a_component_entry_is_made_again_only_when_what_it_shows_changes() {
        let start: Timestamp = "2025-06-02T10:00:00Z".parse().unwrap();
        let mut data = page_with(1, start, Vec::new());
        let entry = |data: &PageData, memos: &Arc<Memos>| {
            let view = View::new(data, start, "https://s.example/".into());
            let file: Value = serde_json::from_slice(&status(&view.remembering(memos.clone())))
                .expect("the status is JSON");
            let entry = &file["result"]["status"][0];
            (entry["name"].clone(), entry["status_code"].clone())
        };
        let made = |memos: &Memos| memos.statusio_components.made();
        let first = Arc::new(Memos::default());
        assert_eq!(entry(&data, &first), ("API".into(), 100.into()));
        let unchanged = Arc::new(Memos::after(&first));
        entry(&data, &unchanged);
        assert_eq!(made(&unchanged), 0, "taken over");

        let mut outage = incident("i", vec![(start, vec![("east", ServiceDisruption)])], None);
        outage.affected = outage.updates[0].levels.clone();
        data.upsert_incident(outage);
        let down = Arc::new(Memos::after(&unchanged));
        let code = ServiceDisruption.statusio_code();
        assert_eq!(entry(&data, &down), ("API".into(), code.into()));
        assert_eq!(made(&down), 1);

        data.components[0].name = "Public API".into();
        data.components[0].updated_at = start + SignedDuration::from_mins(5);
        let renamed = Arc::new(Memos::after(&down));
        assert_eq!(entry(&data, &renamed).0, "Public API");
        assert_eq!(made(&renamed), 1);
    }

    #[test]
    fn a_message_is_serialised_again_only_when_its_update_is_corrected() {
        let start: Timestamp = "2025-06-02T10:00:00Z".parse().unwrap();
        let mut outage = incident("i", vec![(start, vec![("east", ServiceDisruption)])], None);
        outage.updates[0].details = "Down".into();
        let mut data = page_with(1, start, vec![outage.clone()]);
        let details = |data: &PageData, memos: &Arc<Memos>| {
            let view = View::new(data, start, "https://s.example/".into());
            let file: Value = serde_json::from_slice(&status(&view.remembering(memos.clone())))
                .expect("the status is JSON");
            file["result"]["incidents"][0]["messages"][0]["details"].clone()
        };
        let first = Arc::new(Memos::default());
        assert_eq!(details(&data, &first), "Down");
        let unchanged = Arc::new(Memos::after(&first));
        details(&data, &unchanged);
        assert_eq!(unchanged.statusio_messages.made(), 0, "taken over");

        outage.updates[0].details = "Down in the east".into();
        outage.updates[0].edited_at = Some(start + SignedDuration::from_mins(10));
        data.upsert_incident(outage);
        let corrected = Arc::new(Memos::after(&unchanged));
        assert_eq!(details(&data, &corrected), "Down in the east");
        assert_eq!(corrected.statusio_messages.made(), 1);
    }
}
