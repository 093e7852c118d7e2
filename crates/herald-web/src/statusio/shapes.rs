//! Status.io's management response shapes: `_id` on objects, times as ISO 8601 UTC with
//! milliseconds, numeric status and state codes. `status/summary` shares the public status
//! API's shape, built by `herald_public::render::statusio::summary`.
use herald_core::component::Component;
use herald_core::incident::{Incident, Update};
use herald_core::maintenance::{Maintenance, MaintenanceUpdate};
use herald_core::page::Page;
use herald_core::status::{PageStatus, worst};
use herald_core::subscriber::{Channel, Subscriber, SubscriberState};
use herald_public::render::statusio::{affected, iso, level_of};
use serde_json::{Value, json};

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

/// A maintenance window as `maintenance/list` lists it.
pub fn maintenance(page: &Page, components: &[Component], window: &Maintenance) -> Value {
    let locations: Vec<&str> = window.affected.iter().map(String::as_str).collect();
    let (touched, containers) = affected(components, &locations);
    let messages: Vec<Value> = window
        .updates
        .iter()
        .map(|u| maintenance_message(page, components, window, u))
        .collect();
    let reminder = |mins: u32| window.reminders.contains(&mins);
    json!({
        "_id": window.id,
        "name": window.title,
        "statuspage": page.id,
        "datetime_open": iso(window.created_at),
        "datetime_planned_start": iso(window.starts_at),
        "datetime_planned_end": iso(window.ends_at),
        "automation": window.automation,
        "reminder_72hr": reminder(72 * 60),
        "reminder_24hr": reminder(24 * 60),
        "reminder_1hr": reminder(60),
        "components_affected": touched,
        "containers_affected": containers,
        "messages": messages,
    })
}

/// One message of a window. Every message touches the window's containers: an update does
/// not change what the work affects.
pub fn maintenance_message(
    page: &Page,
    components: &[Component],
    window: &Maintenance,
    update: &MaintenanceUpdate,
) -> Value {
    let locations: Vec<&str> = window.affected.iter().map(String::as_str).collect();
    let (touched, containers) = affected(components, &locations);
    json!({
        "_id": update.id,
        "details": update.details,
        "datetime": iso(update.at),
        "statuspage": page.id,
        "maintenance": window.id,
        "components": ids(&touched),
        "containers": ids(&containers),
        "user_full_name": update.author,
        "source": "api",
    })
}

/// `subscriber/list`: Status.io's methods only. Slack and Teams subscribers have no Status.io
/// method, and Herald delivers no SMS.
pub fn subscriber_list(components: &[Component], subscribers: &[Subscriber]) -> Value {
    let of = |channel: Channel| -> Vec<Value> {
        subscribers
            .iter()
            .filter(|s| s.channel == channel)
            .map(|s| subscriber(components, s))
            .collect()
    };
    json!({"email": of(Channel::Email), "sms": [], "webhook": of(Channel::Webhook)})
}

pub fn subscriber(components: &[Component], s: &Subscriber) -> Value {
    json!({
        "_id": s.id,
        "address": s.address,
        "method": s.channel.name(),
        "statuspage": s.page_id,
        "granular": granular(components, &s.components),
        "confirmed": s.confirmed_at.is_some(),
        "active": s.state == SubscriberState::Active,
        "join_date": iso(s.created_at),
    })
}

/// Every `"<component id>-<container id>"` pair of the subscriber's components: Herald
/// subscribes to whole components, Status.io to containers. Empty for the whole page.
fn granular(components: &[Component], ids: &[String]) -> Vec<String> {
    components
        .iter()
        .filter(|c| ids.contains(&c.id))
        .flat_map(|c| {
            c.locations
                .iter()
                .map(move |l| format!("{}-{}", c.id, l.id))
        })
        .collect()
}
