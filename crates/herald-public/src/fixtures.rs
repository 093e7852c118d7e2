//! Test data shared by the unit tests.
use herald_core::incident::{
    AffectedLocation, Channels, Incident, IncidentState, Severity, Update,
};
use herald_core::status::StatusLevel;
use jiff::Timestamp;

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
