//! The announcements the channels' tests render.
use herald_core::incident::{
    AffectedLocation, Channels, Incident, IncidentState, Severity, Update,
};
use herald_core::maintenance::{Maintenance, MaintenanceState, MaintenanceUpdate};
use herald_core::status::StatusLevel;
use jiff::Timestamp;
use serde_json::json;

use crate::announcement::{Announcement, ComponentRef, Item, PageInfo, Recipient};

pub(crate) const TITLE: &str = "API errors";
pub(crate) const DETAILS: &str =
    "A **bad deploy** causes errors. See [the issue](https://example.com/issues/1?a=1&b=2).";

fn at(text: &str) -> Timestamp {
    text.parse().expect("a valid timestamp")
}

fn page() -> PageInfo {
    PageInfo {
        id: "p1".into(),
        name: "Example".into(),
        url: "https://status.example.com/".into(),
        time_zone: "Europe/Berlin".into(),
    }
}

fn components() -> Vec<ComponentRef> {
    ["API", "Website"]
        .into_iter()
        .enumerate()
        .map(|(n, name)| ComponentRef {
            id: format!("c{n}"),
            name: name.into(),
        })
        .collect()
}

/// An incident update: "Identified: API errors".
pub(crate) fn incident() -> Announcement {
    incident_saying(TITLE, DETAILS)
}

pub(crate) fn incident_saying(title: &str, details: &str) -> Announcement {
    let now = at("2024-05-01T12:03:00Z");
    let affected = vec![AffectedLocation {
        location_id: "l1".into(),
        level: StatusLevel::PartialServiceDisruption,
    }];
    let update = Update {
        id: "u1".into(),
        state: IncidentState::Identified,
        details: details.into(),
        levels: affected.clone(),
        subject: "Service incident".into(),
        channels: Channels::default(),
        author: "cli:alice".into(),
        at: now,
        next_update_in: None,
        edited_at: None,
    };
    let incident = Incident {
        id: "i1".into(),
        page_id: "p1".into(),
        title: title.into(),
        severity: Severity::new(2).expect("a severity"),
        severity_reason: None,
        state: IncidentState::Identified,
        affected,
        updates: vec![update],
        postmortem_url: None,
        recurrences: 0,
        created_at: now,
        updated_at: now,
        resolved_at: None,
        issue_link: None,
    };
    Announcement {
        broadcast_id: "b1".into(),
        event: "incident.updated".into(),
        page: page(),
        item: Item::Incident(incident),
        update_id: Some("u1".into()),
        components: components(),
        at: now,
        statuspage: json!({
            "page": {
                "id": "p1",
                "status_indicator": "major",
                "status_description": "Partial System Outage",
            },
            "incident": {"id": "i1", "name": title, "status": "identified"},
        }),
    }
}

/// The post-mortem of the resolved incident.
pub(crate) fn postmortem() -> Announcement {
    let mut a = incident();
    a.event = "incident.postmortem_published".into();
    a.update_id = None;
    if let Item::Incident(incident) = &mut a.item {
        incident.state = IncidentState::Resolved;
        incident.postmortem_url = Some("https://example.com/postmortems/1".into());
    }
    a
}

/// A maintenance window just scheduled.
pub(crate) fn maintenance() -> Announcement {
    let now = at("2024-05-01T09:00:00Z");
    let window = Maintenance {
        id: "m1".into(),
        page_id: "p1".into(),
        title: "Database upgrade".into(),
        affected: vec!["l1".into()],
        starts_at: at("2024-05-02T00:00:00Z"),
        ends_at: at("2024-05-02T02:00:00Z"),
        state: MaintenanceState::Scheduled,
        automation: true,
        sequence: 0,
        reminders: vec![1440, 60],
        updates: vec![MaintenanceUpdate {
            id: "mu1".into(),
            state: MaintenanceState::Scheduled,
            details: "We upgrade the database.".into(),
            channels: Channels::default(),
            author: "cli:alice".into(),
            at: now,
        }],
        created_at: now,
        updated_at: now,
        started_at: None,
        ended_at: None,
    };
    Announcement {
        broadcast_id: "b2".into(),
        event: "maintenance.scheduled".into(),
        page: page(),
        item: Item::Maintenance(window),
        update_id: Some("mu1".into()),
        components: components(),
        at: now,
        statuspage: json!({"page": {"id": "p1"}, "incident": {"id": "m1"}}),
    }
}

pub(crate) fn recipient() -> Recipient {
    Recipient {
        subscriber_id: "s1".into(),
        manage_url: "https://status.example.com/subscription?token=m".into(),
        unsubscribe_url: "https://status.example.com/unsubscribe?token=u".into(),
    }
}
