//! Status.io's response shapes: `_id` on management objects, plain `id` in the status summary,
//! times as ISO 8601 UTC with milliseconds, numeric status and state codes.
use herald_core::component::Component;
use herald_core::incident::{Incident, Update};
use herald_core::page::Page;
use herald_core::status::{PageStatus, StatusLevel, worst};
use jiff::Timestamp;
use serde_json::{Value, json};

pub fn iso(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn level_of(status: &PageStatus, location_id: &str) -> StatusLevel {
    status
        .components
        .iter()
        .flat_map(|c| &c.locations)
        .find(|l| l.location_id == location_id)
        .map_or(StatusLevel::Operational, |l| l.level)
}

pub fn component_list(page: &Page, components: &[Component], status: &PageStatus) -> Value {
    components
        .iter()
        .map(|c| {
            let containers: Vec<Value> = c
                .locations
                .iter()
                .map(|l| {
                    let level = level_of(status, &l.id);
                    json!({"_id": l.id, "name": l.name, "status": level.statusio_label(), "status_code": level.statusio_code()})
                })
                .collect();
            json!({
                "_id": c.id,
                "name": c.name,
                "description": c.description,
                "position": c.position,
                "statuspage": page.id,
                "containers": containers,
            })
        })
        .collect()
}

/// The components and containers an update or incident touches.
fn affected(components: &[Component], location_ids: &[&str]) -> (Vec<Value>, Vec<Value>) {
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

fn ids(values: &[Value]) -> Vec<Value> {
    values.iter().map(|v| v["_id"].clone()).collect()
}

pub fn message(page: &Page, components: &[Component], incident_id: &str, update: &Update) -> Value {
    let locations: Vec<&str> = update
        .levels
        .iter()
        .map(|l| l.location_id.as_str())
        .collect();
    let (touched, containers) = affected(components, &locations);
    json!({
        "_id": update.id,
        "details": update.details,
        "state": update.state.statusio_code(),
        "status": worst(update.levels.iter().map(|l| l.level)).statusio_code(),
        "datetime": iso(update.at),
        "statuspage": page.id,
        "incident": incident_id,
        "components": ids(&touched),
        "containers": ids(&containers),
        "message_subject": update.subject,
        "user_full_name": update.author,
        "source": "api",
    })
}

pub fn incident(page: &Page, components: &[Component], incident: &Incident) -> Value {
    let locations: Vec<&str> = incident
        .affected
        .iter()
        .map(|a| a.location_id.as_str())
        .collect();
    let (touched, containers) = affected(components, &locations);
    let messages: Vec<Value> = incident
        .updates
        .iter()
        .map(|u| message(page, components, &incident.id, u))
        .collect();
    json!({
        "_id": incident.id,
        "name": incident.title,
        "statuspage": page.id,
        "datetime_open": iso(incident.created_at),
        "current_status": incident.level().statusio_code(),
        "current_state": incident.state.statusio_code(),
        "severity": incident.severity.get(),
        "components_affected": touched,
        "containers_affected": containers,
        "messages": messages,
    })
}

/// `status/summary`: the same shape as Status.io's public status API.
pub fn summary(components: &[Component], status: &PageStatus, active: &[Incident]) -> Value {
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
    let mut overall_updated = Timestamp::UNIX_EPOCH;
    let entries: Vec<Value> = components
        .iter()
        .map(|c| {
            let containers: Vec<Value> = c
                .locations
                .iter()
                .map(|l| {
                    let level = level_of(status, &l.id);
                    json!({"id": l.id, "name": l.name, "updated": iso(updated(&[&l.id], c.updated_at)),
                           "status": level.statusio_label(), "status_code": level.statusio_code()})
                })
                .collect();
            let ids: Vec<&str> = c.locations.iter().map(|l| l.id.as_str()).collect();
            let component_updated = updated(&ids, c.updated_at);
            overall_updated = overall_updated.max(component_updated);
            let level = worst(c.locations.iter().map(|l| level_of(status, &l.id)));
            json!({"id": c.id, "name": c.name, "updated": iso(component_updated),
                   "status": level.statusio_label(), "status_code": level.statusio_code(), "containers": containers})
        })
        .collect();
    let incidents: Vec<Value> = active
        .iter()
        .map(|i| {
            let locations: Vec<&str> = i.affected.iter().map(|a| a.location_id.as_str()).collect();
            let (touched, containers) = affected(components, &locations);
            let messages: Vec<Value> = i
                .updates
                .iter()
                .map(|u| json!({"details": u.details, "datetime": iso(u.at), "state": u.state.statusio_code(),
                                "status": worst(u.levels.iter().map(|l| l.level)).statusio_code()}))
                .collect();
            json!({"_id": i.id, "name": i.title, "datetime_open": iso(i.created_at), "messages": messages,
                   "components_affected": touched, "containers_affected": containers})
        })
        .collect();
    json!({
        "status_overall": {"updated": iso(overall_updated), "status": status.level.statusio_label(), "status_code": status.level.statusio_code()},
        "status": entries,
        "incidents": incidents,
        "maintenance": {"active": [], "upcoming": []},
    })
}
