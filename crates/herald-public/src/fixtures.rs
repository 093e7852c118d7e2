//! Test data shared by the unit tests.
use herald_core::component::{Component, Location};
use herald_core::incident::{
    AffectedLocation, Channels, Incident, IncidentState, Severity, Update,
};
use herald_core::page::{Page, PageSettings};
use herald_core::status::StatusLevel;
use jiff::Timestamp;

use crate::data::PageData;

/// An incident whose updates set the given locations' levels at the given times; resolved
/// at `resolved`, or still active.
pub fn incident(
    id: &str,
    updates: Vec<(Timestamp, Vec<(&str, StatusLevel)>)>,
    resolved: Option<Timestamp>,
) -> Incident {
    let update = |n: usize, state, at, levels: Vec<(&str, StatusLevel)>| Update {
        id: format!("{id}u{n}"),
        state,
        details: String::new(),
        levels: levels
            .into_iter()
            .map(|(location, level)| AffectedLocation {
                location_id: location.into(),
                level,
            })
            .collect(),
        subject: String::new(),
        channels: Channels::default(),
        author: "test".into(),
        at,
        next_update_in: None,
        edited_at: None,
    };
    let start = updates[0].0;
    let mut timeline: Vec<Update> = updates
        .into_iter()
        .enumerate()
        .map(|(n, (at, levels))| update(n, IncidentState::Investigating, at, levels))
        .collect();
    if let Some(at) = resolved {
        timeline.push(update(
            timeline.len(),
            IncidentState::Resolved,
            at,
            Vec::new(),
        ));
    }
    let (state, updated_at) = timeline.last().map(|u| (u.state, u.at)).unwrap();
    Incident {
        id: id.into(),
        page_id: "p".into(),
        title: id.into(),
        severity: Severity::new(3).unwrap(),
        severity_reason: None,
        state,
        affected: Vec::new(),
        updates: timeline,
        postmortem_url: None,
        recurrences: 0,
        created_at: start,
        updated_at,
        resolved_at: resolved,
        issue_link: None,
    }
}

pub const LOCATIONS: [&str; 3] = ["east", "west", "south"];

/// A page whose one component, "api", has the first `locations` of [`LOCATIONS`].
pub fn page_with(locations: usize, created: Timestamp, incidents: Vec<Incident>) -> PageData {
    let component = Component {
        id: "api".into(),
        page_id: "p".into(),
        group_id: None,
        name: "API".into(),
        description: String::new(),
        position: 0,
        locations: LOCATIONS[..locations]
            .iter()
            .enumerate()
            .map(|(i, id)| Location {
                id: (*id).into(),
                component_id: "api".into(),
                name: (*id).into(),
                position: i as i64,
                override_level: None,
            })
            .collect(),
        created_at: created,
        updated_at: created,
    };
    let mut data = PageData::new(
        Page {
            id: "p".into(),
            slug: "p".into(),
            name: "P".into(),
            time_zone: "UTC".into(),
            settings: PageSettings::default(),
            created_at: created,
            updated_at: created,
        },
        Vec::new(),
        vec![component],
        Vec::new(),
        Vec::new(),
    );
    for incident in incidents {
        data.upsert_incident(incident);
    }
    data
}
