//! Example-based tests of the incident workflow's rules: creation, updates, edits, resolution,
//! reopening, post-mortems, closing, the repeat-severity rule, the update cadence and previews.
//!
//! Every time is a fixed `jiff::Timestamp`; nothing here reads a clock.
use herald_core::DomainError;
use herald_core::broadcast;
use herald_core::cadence::{MAX_INTERVAL_MINUTES, next_update_due};
use herald_core::component::Location;
use herald_core::event::EventKind;
use herald_core::incident::{
    self, AffectedLocation, CLOSE_WINDOW, Channels, DETAILS_MAX, Decision, EditedLocation,
    Incident, IncidentEdit, IncidentState, NewIds, NewIncident, PageContext, REPEAT_WINDOW,
    RecentIncident, SUBJECT_MAX, Severity, StatusChange, TITLE_MAX, UpdateCorrection, UpdateDraft,
};
use herald_core::lint::{MONITORING_NO_DURATION, RESOLVE_OVERRIDE_LEFT};
use herald_core::page::{Page, PageSettings};
use herald_core::preview;
use herald_core::status::StatusLevel::{
    self, DegradedPerformance, Operational, PartialServiceDisruption, SecurityEvent,
    ServiceDisruption,
};
use jiff::{SignedDuration, Timestamp};

use IncidentState::{Identified, Investigating, Monitoring, Resolved};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const A: &str = "loc-a";
const B: &str = "loc-b";
const C: &str = "loc-c";
const D: &str = "loc-d";
const ACTOR: &str = "cli:tester";

/// A page with four locations over two components. `loc-d` carries a manual override.
struct Fixture {
    page: Page,
    locations: Vec<Location>,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture::with_settings(PageSettings::default())
    }

    fn with_settings(settings: PageSettings) -> Fixture {
        let created = ts("2025-12-01T00:00:00Z");
        let page = Page {
            id: "page-1".into(),
            slug: "acme".into(),
            name: "Acme Cloud".into(),
            time_zone: "UTC".into(),
            settings,
            created_at: created,
            updated_at: created,
        };
        let location = |id: &str, component: &str, name: &str, position: i64| Location {
            id: id.into(),
            component_id: component.into(),
            name: name.into(),
            position,
            override_level: None,
        };
        let mut locations = vec![
            location(A, "comp-api", "API (US East)", 0),
            location(B, "comp-api", "API (EU)", 1),
            location(C, "comp-web", "Web (Default)", 0),
            location(D, "comp-web", "Web (APAC)", 1),
        ];
        locations[3].override_level = Some(DegradedPerformance);
        Fixture { page, locations }
    }

    fn ctx(&self) -> PageContext<'_> {
        PageContext {
            page: &self.page,
            locations: &self.locations,
        }
    }

    fn create(&self, input: NewIncident, now: Timestamp) -> Result<Decision, DomainError> {
        self.create_after(&[], input, now)
    }

    fn create_after(
        &self,
        recent: &[RecentIncident],
        input: NewIncident,
        now: Timestamp,
    ) -> Result<Decision, DomainError> {
        incident::create(self.ctx(), recent, new_ids(), input, ACTOR, now)
    }

    /// A created incident; panics if the rules refuse it.
    fn incident(
        &self,
        severity: u8,
        state: IncidentState,
        affected: &[(&str, StatusLevel)],
        now: Timestamp,
    ) -> Incident {
        self.create(new_incident(severity, state, affected), now)
            .expect("the incident is valid")
            .incident
    }

    fn post(
        &self,
        current: &Incident,
        draft: UpdateDraft,
        now: Timestamp,
    ) -> Result<Decision, DomainError> {
        let id = format!("upd-{}", current.updates.len() + 1);
        incident::post_update(current, self.ctx(), id, draft, ACTOR, now)
    }

    /// Posts an update; panics if the rules refuse it.
    fn posted(
        &self,
        current: &Incident,
        state: IncidentState,
        status: StatusChange,
        now: Timestamp,
    ) -> Decision {
        self.post(current, draft(state, status), now)
            .expect("the update is valid")
    }

    fn edit(&self, current: &Incident, edit: IncidentEdit, now: Timestamp) -> Decision {
        incident::edit(current, self.ctx(), edit, now).expect("the edit is valid")
    }

    fn edit_err(&self, current: &Incident, edit: IncidentEdit) -> DomainError {
        incident::edit(current, self.ctx(), edit, at(1)).expect_err("the edit is refused")
    }
}

fn ts(s: &str) -> Timestamp {
    s.parse().expect("a valid timestamp")
}

/// `2026-01-01T00:00:00Z` plus `minutes`.
fn at(minutes: i64) -> Timestamp {
    ts("2026-01-01T00:00:00Z")
        .checked_add(SignedDuration::from_mins(minutes))
        .expect("in range")
}

fn sev(n: u8) -> Severity {
    Severity::new(n).expect("a valid severity")
}

fn new_ids() -> NewIds {
    NewIds {
        incident: "inc-1".into(),
        update: "upd-1".into(),
    }
}

fn affected(list: &[(&str, StatusLevel)]) -> Vec<AffectedLocation> {
    list.iter()
        .map(|(id, level)| AffectedLocation {
            location_id: (*id).to_string(),
            level: *level,
        })
        .collect()
}

fn new_incident(severity: u8, state: IncidentState, list: &[(&str, StatusLevel)]) -> NewIncident {
    NewIncident {
        title: "API errors".into(),
        severity: sev(severity),
        state,
        details: "We are investigating elevated error rates.".into(),
        affected: affected(list),
        channels: Channels::default(),
        subject: None,
        next_update_in: None,
        issue_link: None,
    }
}

fn draft(state: IncidentState, status: StatusChange) -> UpdateDraft {
    UpdateDraft {
        state,
        details: "An update on the incident.".into(),
        status,
        channels: Channels::default(),
        subject: None,
        next_update_in: None,
        issue_link: None,
    }
}

fn levels(incident: &Incident) -> Vec<(&str, StatusLevel)> {
    incident
        .affected
        .iter()
        .map(|a| (a.location_id.as_str(), a.level))
        .collect()
}

fn invalid_field(err: &DomainError) -> &'static str {
    match err {
        DomainError::Invalid { field, .. } => field,
        other => panic!("expected DomainError::Invalid, got {other:?}"),
    }
}

fn after(decision: &Decision) -> Incident {
    assert_eq!(decision.events.len(), 1, "{:?}", decision.events);
    let value = decision.events[0].after.clone().expect("an after state");
    serde_json::from_value(value).expect("the after state is an incident")
}

fn before(decision: &Decision) -> Incident {
    let value = decision.events[0].before.clone().expect("a before state");
    serde_json::from_value(value).expect("the before state is an incident")
}

/// What the audit log records of an incident on one side of a change: every field, and of the
/// timeline only the updates the change added or corrected (the ids given).
fn audited(full: &Incident, changed: &[&str]) -> Incident {
    let mut incident = full.clone();
    incident
        .updates
        .retain(|u| changed.contains(&u.id.as_str()));
    incident
}

/// The id of the incident's newest update.
fn newest(incident: &Incident) -> &str {
    &incident.updates.last().expect("an update").id
}

fn recent(id: &str, severity: u8, closed_at: Timestamp) -> RecentIncident {
    RecentIncident {
        id: id.into(),
        severity: sev(severity),
        closed_at,
    }
}

// ---------------------------------------------------------------------------------------------
// Creating an incident
// ---------------------------------------------------------------------------------------------

#[test]
fn a_new_incident_records_its_first_update_and_one_created_event() {
    let fx = Fixture::new();
    let mut input = new_incident(2, Identified, &[(A, ServiceDisruption), (B, Operational)]);
    input.title = "  API errors  ".into();
    let decision = fx.create(input, at(0)).unwrap();
    let inc = &decision.incident;

    assert_eq!(inc.id, "inc-1");
    assert_eq!(inc.page_id, "page-1");
    assert_eq!(inc.title, "API errors", "the title is trimmed");
    assert_eq!(inc.severity, sev(2));
    assert_eq!(inc.severity_reason, None);
    assert_eq!(inc.state, Identified);
    assert_eq!(levels(inc), [(A, ServiceDisruption), (B, Operational)]);
    assert_eq!(inc.level(), ServiceDisruption);
    assert_eq!(inc.recurrences, 0);
    assert_eq!(inc.postmortem_url, None);
    assert_eq!(inc.resolved_at, None);
    assert_eq!((inc.created_at, inc.updated_at), (at(0), at(0)));
    assert!(inc.is_active());
    assert_eq!(inc.holds().count(), 2);

    assert_eq!(inc.updates.len(), 1);
    let first = &inc.updates[0];
    assert_eq!(first.id, "upd-1");
    assert_eq!(first.state, Identified);
    assert_eq!(first.levels, inc.affected);
    assert_eq!(first.at, at(0));
    assert_eq!(first.author, ACTOR);
    assert_eq!(
        first.subject, "Service status update",
        "the page's default subject"
    );

    let event = &decision.events[0];
    assert_eq!(event.kind, EventKind::IncidentCreated);
    assert_eq!(event.subject_type(), "incident");
    assert_eq!(event.subject_id, "inc-1");
    assert_eq!(event.before, None);
    assert_eq!(event.note, None);
    assert_eq!(&after(&decision), inc);
}

#[test]
fn an_explicit_subject_is_trimmed_and_used() {
    let fx = Fixture::new();
    let mut input = new_incident(3, Investigating, &[(A, DegradedPerformance)]);
    input.subject = Some("  Slow API  ".into());
    let inc = fx.create(input, at(0)).unwrap().incident;
    assert_eq!(inc.updates[0].subject, "Slow API");

    let mut input = new_incident(3, Investigating, &[(A, DegradedPerformance)]);
    input.subject = Some("x".repeat(SUBJECT_MAX + 1));
    let err = fx.create(input, at(0)).unwrap_err();
    assert_eq!(invalid_field(&err), "subject");
}

#[test]
fn an_incident_is_never_created_with_every_location_operational() {
    let fx = Fixture::new();
    for list in [
        &[(A, Operational)][..],
        &[(A, Operational), (B, Operational), (C, Operational)][..],
    ] {
        let err = fx
            .create(new_incident(2, Investigating, list), at(0))
            .unwrap_err();
        assert_eq!(err, DomainError::AllOperational);
        assert_eq!(err.code(), "all-operational");
    }
    // One location that is not operational is enough.
    assert!(
        fx.create(
            new_incident(
                2,
                Investigating,
                &[(A, Operational), (B, DegradedPerformance)]
            ),
            at(0)
        )
        .is_ok()
    );
}

#[test]
fn an_incident_needs_affected_locations() {
    let fx = Fixture::new();
    let err = fx
        .create(new_incident(2, Investigating, &[]), at(0))
        .unwrap_err();
    assert_eq!(err, DomainError::NoAffectedLocations);
}

#[test]
fn an_incident_cannot_affect_a_location_of_another_page() {
    let fx = Fixture::new();
    let err = fx
        .create(
            new_incident(
                2,
                Investigating,
                &[(A, ServiceDisruption), ("elsewhere", ServiceDisruption)],
            ),
            at(0),
        )
        .unwrap_err();
    assert_eq!(err, DomainError::UnknownLocation("elsewhere".into()));
}

#[test]
fn an_incident_cannot_list_a_location_twice() {
    let fx = Fixture::new();
    let err = fx
        .create(
            new_incident(
                2,
                Investigating,
                &[
                    (A, ServiceDisruption),
                    (B, Operational),
                    (A, DegradedPerformance),
                ],
            ),
            at(0),
        )
        .unwrap_err();
    assert_eq!(invalid_field(&err), "affected");
    assert!(err.to_string().contains(A), "{err}");
}

#[test]
fn an_incident_cannot_start_resolved() {
    let fx = Fixture::new();
    let err = fx
        .create(new_incident(2, Resolved, &[(A, ServiceDisruption)]), at(0))
        .unwrap_err();
    assert_eq!(err, DomainError::CreatedResolved);
    // Every active state is a valid start.
    for state in [Investigating, Identified, Monitoring] {
        let inc = fx.incident(2, state, &[(A, ServiceDisruption)], at(0));
        assert_eq!(inc.state, state);
    }
}

#[test]
fn titles_must_be_present_and_at_most_200_characters() {
    let fx = Fixture::new();
    for bad in [String::new(), "   ".into(), "é".repeat(TITLE_MAX + 1)] {
        let mut input = new_incident(2, Investigating, &[(A, ServiceDisruption)]);
        input.title = bad.clone();
        let err = fx.create(input, at(0)).unwrap_err();
        assert_eq!(invalid_field(&err), "title", "{bad:?}");
    }
    let mut input = new_incident(2, Investigating, &[(A, ServiceDisruption)]);
    input.title = "é".repeat(TITLE_MAX);
    assert_eq!(
        fx.create(input, at(0))
            .unwrap()
            .incident
            .title
            .chars()
            .count(),
        TITLE_MAX
    );
}

#[test]
fn details_must_be_present_and_at_most_20000_characters() {
    let fx = Fixture::new();
    for bad in [String::new(), " \n ".into(), "x".repeat(DETAILS_MAX + 1)] {
        let mut input = new_incident(2, Investigating, &[(A, ServiceDisruption)]);
        input.details = bad;
        let err = fx.create(input, at(0)).unwrap_err();
        assert_eq!(invalid_field(&err), "details");
    }
    let mut input = new_incident(2, Investigating, &[(A, ServiceDisruption)]);
    input.details = "x".repeat(DETAILS_MAX);
    assert!(fx.create(input, at(0)).is_ok());

    // The same limits apply to later updates.
    let inc = fx.incident(2, Investigating, &[(A, ServiceDisruption)], at(0));
    let mut d = draft(Identified, StatusChange::Keep);
    d.details = "x".repeat(DETAILS_MAX + 1);
    assert_eq!(
        invalid_field(&fx.post(&inc, d, at(5)).unwrap_err()),
        "details"
    );
    let mut d = draft(Identified, StatusChange::Keep);
    d.details = "  ".into();
    assert_eq!(
        invalid_field(&fx.post(&inc, d, at(5)).unwrap_err()),
        "details"
    );
}

#[test]
fn next_update_in_must_be_between_one_minute_and_one_week() {
    let fx = Fixture::new();
    for bad in [0, MAX_INTERVAL_MINUTES + 1, u32::MAX] {
        let mut input = new_incident(2, Investigating, &[(A, ServiceDisruption)]);
        input.next_update_in = Some(bad);
        let err = fx.create(input, at(0)).unwrap_err();
        assert_eq!(invalid_field(&err), "next_update_in", "{bad}");
    }
    for good in [1, MAX_INTERVAL_MINUTES] {
        let mut input = new_incident(2, Investigating, &[(A, ServiceDisruption)]);
        input.next_update_in = Some(good);
        let inc = fx.create(input, at(0)).unwrap().incident;
        assert_eq!(inc.updates[0].next_update_in, Some(good));
    }
    let inc = fx.incident(2, Investigating, &[(A, ServiceDisruption)], at(0));
    let mut d = draft(Identified, StatusChange::Keep);
    d.next_update_in = Some(0);
    assert_eq!(
        invalid_field(&fx.post(&inc, d, at(5)).unwrap_err()),
        "next_update_in"
    );
}

// ---------------------------------------------------------------------------------------------
// Updates and edits
// ---------------------------------------------------------------------------------------------

#[test]
fn an_update_changes_state_and_levels_and_appends_to_the_timeline() {
    let fx = Fixture::new();
    let inc = fx.incident(
        1,
        Investigating,
        &[(A, ServiceDisruption), (B, DegradedPerformance)],
        at(0),
    );

    let decision = fx.posted(
        &inc,
        Identified,
        StatusChange::All(PartialServiceDisruption),
        at(7),
    );
    let next = &decision.incident;
    assert_eq!(next.state, Identified);
    assert_eq!(
        levels(next),
        [(A, PartialServiceDisruption), (B, PartialServiceDisruption)]
    );
    assert_eq!(next.updates.len(), 2);
    assert_eq!(
        next.updates[0], inc.updates[0],
        "earlier updates are untouched"
    );
    assert_eq!(next.updates[1].state, Identified);
    assert_eq!(next.updates[1].levels, next.affected);
    assert_eq!(next.updates[1].at, at(7));
    assert_eq!(next.updated_at, at(7));
    assert_eq!(next.created_at, at(0));
    assert_eq!(decision.events[0].kind, EventKind::IncidentUpdated);
    assert_eq!(decision.events[0].subject_id, inc.id);
    assert_eq!(
        before(&decision),
        audited(&inc, &[]),
        "the timeline is in earlier events"
    );
    assert_eq!(after(&decision), audited(next, &[newest(next)]));

    // Keep leaves the levels alone.
    let kept = fx
        .posted(next, Monitoring, StatusChange::Keep, at(20))
        .incident;
    assert_eq!(kept.state, Monitoring);
    assert_eq!(kept.affected, next.affected);

    // Each changes the named locations, and a location not yet affected joins the incident.
    let each = fx
        .posted(
            &kept,
            Identified,
            StatusChange::Each(affected(&[(B, Operational), (C, SecurityEvent)])),
            at(30),
        )
        .incident;
    assert_eq!(
        levels(&each),
        [
            (A, PartialServiceDisruption),
            (B, Operational),
            (C, SecurityEvent)
        ]
    );
    assert_eq!(each.level(), SecurityEvent);
}

#[test]
fn an_update_cannot_name_a_location_of_another_page() {
    let fx = Fixture::new();
    let inc = fx.incident(2, Investigating, &[(A, ServiceDisruption)], at(0));
    let err = fx
        .post(
            &inc,
            draft(
                Identified,
                StatusChange::Each(affected(&[("nowhere", DegradedPerformance)])),
            ),
            at(5),
        )
        .unwrap_err();
    assert_eq!(err, DomainError::UnknownLocation("nowhere".into()));
}

#[test]
fn the_timeline_never_runs_backwards() {
    let fx = Fixture::new();
    let inc = fx.incident(2, Investigating, &[(A, ServiceDisruption)], at(10));
    let next = fx
        .posted(&inc, Identified, StatusChange::Keep, at(5))
        .incident;
    assert_eq!(next.updates[1].at, at(10));
    assert_eq!(next.updated_at, at(10));
}

#[test]
fn edit_changes_title_severity_and_locations_without_an_update() {
    let fx = Fixture::new();
    let inc = fx.incident(
        3,
        Identified,
        &[(A, ServiceDisruption), (B, DegradedPerformance)],
        at(0),
    );
    let decision = fx.edit(
        &inc,
        IncidentEdit {
            title: Some("  Database failover  ".into()),
            severity: Some(sev(1)),
            affected: Some(vec![B.into(), C.into()]),
            issue_link: None,
        },
        at(12),
    );
    let next = &decision.incident;
    assert_eq!(next.title, "Database failover");
    assert_eq!(next.severity, sev(1));
    assert_eq!(next.state, Identified, "an edit never changes the state");
    assert_eq!(next.updates, inc.updates, "an edit adds no update");
    assert_eq!(next.updated_at, at(12));
    assert_eq!(decision.events[0].kind, EventKind::IncidentEdited);
    assert_eq!(decision.events[0].subject_id, inc.id);
    assert_eq!(after(&decision), audited(next, &[]));
    // B keeps its level; C is new and takes the incident's worst level at the time (A's).
    assert_eq!(
        levels(next),
        [(B, DegradedPerformance), (C, ServiceDisruption)]
    );
}

#[test]
fn an_edit_lists_each_location_once() {
    let fx = Fixture::new();
    let inc = fx.incident(2, Identified, &[(A, ServiceDisruption)], at(0));
    let next = fx
        .edit(
            &inc,
            IncidentEdit {
                affected: Some(vec![A.into(), B.into(), A.into(), B.into()]),
                ..IncidentEdit::default()
            },
            at(1),
        )
        .incident;
    assert_eq!(
        levels(&next),
        [(A, ServiceDisruption), (B, ServiceDisruption)]
    );
}

#[test]
fn an_edit_sets_levels_adds_and_removes_locations() {
    let fx = Fixture::new();
    let inc = fx.incident(
        2,
        Identified,
        &[(A, ServiceDisruption), (B, DegradedPerformance)],
        at(0),
    );
    let located = |id: &str, level| EditedLocation {
        location_id: id.into(),
        level,
    };
    let decision = fx.edit(
        &inc,
        IncidentEdit {
            // A changes level, B is removed, C joins at the level given.
            affected: Some(vec![
                located(A, Some(PartialServiceDisruption)),
                located(C, Some(DegradedPerformance)),
            ]),
            ..IncidentEdit::default()
        },
        at(3),
    );
    assert_eq!(
        levels(&decision.incident),
        [(A, PartialServiceDisruption), (C, DegradedPerformance)]
    );
    assert_eq!(
        decision.incident.updates, inc.updates,
        "no update is posted"
    );
    assert_eq!(decision.events[0].kind, EventKind::IncidentEdited);
    assert_eq!(
        before(&decision),
        audited(&inc, &[]),
        "the audit event keeps the old levels"
    );
    // A location listed twice (a component, then one of its locations) takes the last level.
    let twice = fx.edit(
        &inc,
        IncidentEdit {
            affected: Some(vec![
                located(A, Some(DegradedPerformance)),
                located(B, None),
                located(A, Some(ServiceDisruption)),
                located(B, None),
            ]),
            ..IncidentEdit::default()
        },
        at(3),
    );
    assert_eq!(
        levels(&twice.incident),
        [(A, ServiceDisruption), (B, DegradedPerformance)]
    );
    assert!(
        twice.events.is_empty(),
        "the same levels again change nothing"
    );
}

#[test]
fn a_resolved_incident_takes_no_level_but_operational() {
    let fx = Fixture::new();
    let inc = fx.incident(4, Identified, &[(A, ServiceDisruption)], at(0));
    let resolved = fx
        .posted(&inc, Resolved, StatusChange::Keep, at(1))
        .incident;
    let err = fx.edit_err(
        &resolved,
        IncidentEdit {
            affected: Some(vec![EditedLocation {
                location_id: B.into(),
                level: Some(ServiceDisruption),
            }]),
            ..IncidentEdit::default()
        },
    );
    assert_eq!(invalid_field(&err), "affected");
    let next = fx
        .edit(
            &resolved,
            IncidentEdit {
                affected: Some(vec![A.into(), B.into()]),
                ..IncidentEdit::default()
            },
            at(2),
        )
        .incident;
    assert_eq!(levels(&next), [(A, Operational), (B, Operational)]);
}

#[test]
fn an_edit_that_changes_nothing_yields_no_event() {
    let fx = Fixture::new();
    let inc = fx.incident(
        2,
        Identified,
        &[(A, ServiceDisruption), (B, DegradedPerformance)],
        at(0),
    );
    for edit in [
        IncidentEdit::default(),
        IncidentEdit {
            title: Some(" API errors ".into()),
            severity: Some(sev(2)),
            affected: Some(vec![A.into(), B.into()]),
            issue_link: None,
        },
    ] {
        let decision = fx.edit(&inc, edit, at(9));
        assert!(decision.events.is_empty(), "{:?}", decision.events);
        assert_eq!(decision.incident, inc, "not even updated_at moves");
    }
    // Reordering the locations is a change.
    let decision = fx.edit(
        &inc,
        IncidentEdit {
            affected: Some(vec![B.into(), A.into()]),
            ..IncidentEdit::default()
        },
        at(9),
    );
    assert_eq!(decision.events.len(), 1);
}

#[test]
fn edits_are_checked() {
    let fx = Fixture::new();
    let inc = fx.incident(2, Identified, &[(A, ServiceDisruption)], at(0));
    let err = fx.edit_err(
        &inc,
        IncidentEdit {
            affected: Some(vec![]),
            ..IncidentEdit::default()
        },
    );
    assert_eq!(err, DomainError::NoAffectedLocations);
    let err = fx.edit_err(
        &inc,
        IncidentEdit {
            affected: Some(vec![A.into(), "ghost".into()]),
            ..IncidentEdit::default()
        },
    );
    assert_eq!(err, DomainError::UnknownLocation("ghost".into()));
    for title in ["", "  ", &"t".repeat(TITLE_MAX + 1)] {
        let err = fx.edit_err(
            &inc,
            IncidentEdit {
                title: Some(title.into()),
                ..IncidentEdit::default()
            },
        );
        assert_eq!(invalid_field(&err), "title");
    }
}

// ---------------------------------------------------------------------------------------------
// Resolving
// ---------------------------------------------------------------------------------------------

#[test]
fn resolving_with_keep_returns_every_location_to_operational() {
    let fx = Fixture::new();
    let inc = fx.incident(
        2,
        Monitoring,
        &[(A, ServiceDisruption), (B, DegradedPerformance)],
        at(0),
    );
    assert_eq!(inc.holds().count(), 2);
    let decision = fx.posted(&inc, Resolved, StatusChange::Keep, at(40));
    let done = &decision.incident;
    assert_eq!(done.state, Resolved);
    assert_eq!(levels(done), [(A, Operational), (B, Operational)]);
    assert_eq!(done.updates.last().unwrap().levels, done.affected);
    assert_eq!(done.resolved_at, Some(at(40)));
    assert!(!done.is_active());
    assert_eq!(done.holds().count(), 0, "a resolved incident holds nothing");
    assert_eq!(decision.events[0].kind, EventKind::IncidentResolved);
    assert_eq!(after(&decision), audited(done, &[newest(done)]));
}

#[test]
fn resolving_with_all_operational_works() {
    let fx = Fixture::new();
    let inc = fx.incident(
        2,
        Identified,
        &[(A, ServiceDisruption), (B, DegradedPerformance)],
        at(0),
    );
    let done = fx
        .posted(&inc, Resolved, StatusChange::All(Operational), at(40))
        .incident;
    assert_eq!(levels(&done), [(A, Operational), (B, Operational)]);
    assert_eq!(done.holds().count(), 0);
}

#[test]
fn resolving_with_each_returns_the_unnamed_locations_to_operational_too() {
    let fx = Fixture::new();
    let inc = fx.incident(
        2,
        Identified,
        &[(A, ServiceDisruption), (B, DegradedPerformance)],
        at(0),
    );
    let done = fx
        .posted(
            &inc,
            Resolved,
            StatusChange::Each(affected(&[(A, Operational), (C, Operational)])),
            at(40),
        )
        .incident;
    assert_eq!(done.state, Resolved);
    assert_eq!(
        levels(&done),
        [(A, Operational), (B, Operational), (C, Operational)]
    );
}

#[test]
fn a_resolving_update_with_a_level_that_is_not_operational_is_refused() {
    let fx = Fixture::new();
    let inc = fx.incident(
        2,
        Identified,
        &[(A, ServiceDisruption), (B, DegradedPerformance)],
        at(0),
    );
    for status in [
        StatusChange::All(DegradedPerformance),
        StatusChange::Each(affected(&[(A, Operational), (B, DegradedPerformance)])),
        StatusChange::Each(affected(&[(C, PartialServiceDisruption)])),
    ] {
        let err = fx
            .post(&inc, draft(Resolved, status.clone()), at(40))
            .unwrap_err();
        assert_eq!(invalid_field(&err), "status", "{status:?}");
    }
}

#[test]
fn monitoring_may_be_skipped() {
    let fx = Fixture::new();
    let inc = fx.incident(1, Investigating, &[(A, ServiceDisruption)], at(0));
    let done = fx
        .posted(&inc, Resolved, StatusChange::Keep, at(25))
        .incident;
    assert_eq!(done.state, Resolved);
    assert_eq!(
        done.updates.iter().map(|u| u.state).collect::<Vec<_>>(),
        [Investigating, Resolved]
    );
}

#[test]
fn monitoring_can_go_back_to_identified_or_investigating() {
    let fx = Fixture::new();
    let inc = fx.incident(2, Monitoring, &[(A, DegradedPerformance)], at(0));
    for back in [Identified, Investigating] {
        let decision = fx.posted(&inc, back, StatusChange::All(ServiceDisruption), at(10));
        assert_eq!(decision.incident.state, back);
        assert_eq!(
            decision.incident.recurrences, 0,
            "only reopening counts as recurrence"
        );
        assert_eq!(decision.events[0].kind, EventKind::IncidentUpdated);
    }
}

#[test]
fn a_resolved_incident_cannot_be_resolved_again() {
    let fx = Fixture::new();
    let inc = fx.incident(2, Identified, &[(A, ServiceDisruption)], at(0));
    let done = fx
        .posted(&inc, Resolved, StatusChange::Keep, at(30))
        .incident;
    for when in [at(31), at(500)] {
        let err = fx
            .post(&done, draft(Resolved, StatusChange::Keep), when)
            .unwrap_err();
        assert_eq!(err, DomainError::AlreadyResolved);
    }
}

// ---------------------------------------------------------------------------------------------
// Reopening
// ---------------------------------------------------------------------------------------------

fn resolved(fx: &Fixture, severity: u8, resolved_at: i64) -> Incident {
    let inc = fx.incident(
        severity,
        Investigating,
        &[(A, ServiceDisruption), (B, DegradedPerformance)],
        at(0),
    );
    let inc = fx
        .posted(
            &inc,
            Identified,
            StatusChange::Each(affected(&[(B, PartialServiceDisruption)])),
            at(5),
        )
        .incident;
    let done = fx
        .posted(&inc, Resolved, StatusChange::Keep, at(resolved_at))
        .incident;
    assert_eq!(done.resolved_at, Some(at(resolved_at)));
    done
}

#[test]
fn reopening_a_severe_incident_inside_the_close_window_is_a_recurrence() {
    let fx = Fixture::new();
    for severity in [1, 2] {
        let done = resolved(&fx, severity, 60);
        for minutes_later in [0, 1, 29] {
            let decision = fx.posted(
                &done,
                Investigating,
                StatusChange::Keep,
                at(60 + minutes_later),
            );
            let again = &decision.incident;
            assert_eq!(
                decision.events[0].kind,
                EventKind::IncidentRecurred,
                "sev{severity} +{minutes_later}m"
            );
            assert_eq!(again.recurrences, 1);
            assert_eq!(again.state, Investigating);
            assert_eq!(again.resolved_at, None);
            assert!(again.is_active());
            assert_eq!(again.holds().count(), 2);
            assert_eq!(after(&decision), audited(again, &[newest(again)]));
        }
    }
}

#[test]
fn recurrences_accumulate() {
    let fx = Fixture::new();
    let done = resolved(&fx, 1, 60);
    let again = fx
        .posted(&done, Identified, StatusChange::Keep, at(70))
        .incident;
    let done = fx
        .posted(&again, Resolved, StatusChange::Keep, at(80))
        .incident;
    let again = fx
        .posted(&done, Monitoring, StatusChange::Keep, at(90))
        .incident;
    assert_eq!(again.recurrences, 2);
}

#[test]
fn reopening_after_the_incident_closed_is_a_reopening() {
    let fx = Fixture::new();
    for severity in [1, 2] {
        let done = resolved(&fx, severity, 60);
        for minutes_later in [30, 31, 24 * 60] {
            let decision = fx.posted(
                &done,
                Identified,
                StatusChange::Keep,
                at(60 + minutes_later),
            );
            assert_eq!(
                decision.events[0].kind,
                EventKind::IncidentReopened,
                "sev{severity} +{minutes_later}m"
            );
            assert_eq!(decision.incident.recurrences, 0);
            assert_eq!(decision.incident.resolved_at, None);
            assert_eq!(decision.incident.state, Identified);
        }
    }
}

#[test]
fn minor_incidents_close_on_resolution_so_reopening_is_never_a_recurrence() {
    let fx = Fixture::new();
    for severity in [3, 4] {
        let done = resolved(&fx, severity, 60);
        for when in [at(60), at(61), at(0)] {
            let decision = fx.posted(&done, Investigating, StatusChange::Keep, when);
            assert_eq!(
                decision.events[0].kind,
                EventKind::IncidentReopened,
                "sev{severity}"
            );
            assert_eq!(decision.incident.recurrences, 0);
        }
    }
}

#[test]
fn keep_on_reopen_restores_the_levels_from_before_the_resolution() {
    let fx = Fixture::new();
    let done = resolved(&fx, 2, 60);
    assert_eq!(levels(&done), [(A, Operational), (B, Operational)]);
    let again = fx
        .posted(&done, Investigating, StatusChange::Keep, at(70))
        .incident;
    assert_eq!(
        levels(&again),
        [(A, ServiceDisruption), (B, PartialServiceDisruption)]
    );
    assert_eq!(again.updates.last().unwrap().levels, again.affected);

    // A location added while resolved has no earlier level and stays operational.
    let edited = fx
        .edit(
            &done,
            IncidentEdit {
                affected: Some(vec![A.into(), B.into(), C.into()]),
                ..IncidentEdit::default()
            },
            at(65),
        )
        .incident;
    assert_eq!(levels(&edited)[2], (C, Operational));
    let again = fx
        .posted(&edited, Investigating, StatusChange::Keep, at(70))
        .incident;
    assert_eq!(
        levels(&again),
        [
            (A, ServiceDisruption),
            (B, PartialServiceDisruption),
            (C, Operational)
        ]
    );

    // An explicit change on reopen wins over the restored levels.
    let again = fx
        .posted(
            &done,
            Investigating,
            StatusChange::All(SecurityEvent),
            at(70),
        )
        .incident;
    assert_eq!(levels(&again), [(A, SecurityEvent), (B, SecurityEvent)]);
}

// ---------------------------------------------------------------------------------------------
// Post-mortems and closing
// ---------------------------------------------------------------------------------------------

#[test]
fn a_postmortem_is_linked_only_to_a_resolved_incident() {
    let fx = Fixture::new();
    let inc = fx.incident(2, Monitoring, &[(A, ServiceDisruption)], at(0));
    let err = incident::set_postmortem(&inc, "https://example.com/pm/1", at(5)).unwrap_err();
    assert_eq!(err, DomainError::PostmortemBeforeResolved);
    assert_eq!(err.code(), "postmortem-before-resolved");

    let done = fx
        .posted(&inc, Resolved, StatusChange::Keep, at(30))
        .incident;
    for url in [
        "https://example.com/pm/1",
        "http://tracker.example.com/issues/42",
    ] {
        let decision = incident::set_postmortem(&done, url, at(90)).unwrap();
        assert_eq!(decision.incident.postmortem_url.as_deref(), Some(url));
        assert_eq!(decision.incident.updated_at, at(90));
        assert_eq!(decision.incident.updates, done.updates);
        assert_eq!(decision.events[0].kind, EventKind::IncidentPostmortemLinked);
        assert_eq!(after(&decision), audited(&decision.incident, &[]));
    }
    for bad in [
        "",
        "example.com/pm",
        "ftp://example.com/pm",
        "javascript:alert(1)",
        "https://",
        "https://a b",
    ] {
        let err = incident::set_postmortem(&done, bad, at(90)).unwrap_err();
        assert_eq!(invalid_field(&err), "url", "{bad:?}");
    }
}

#[test]
fn a_linked_postmortem_survives_a_reopening() {
    let fx = Fixture::new();
    let inc = fx.incident(2, Monitoring, &[(A, ServiceDisruption)], at(0));
    let done = fx
        .posted(&inc, Resolved, StatusChange::Keep, at(30))
        .incident;
    let linked = incident::set_postmortem(&done, "https://example.com/pm/1", at(90))
        .unwrap()
        .incident;
    let again = fx
        .posted(&linked, Investigating, StatusChange::Keep, at(100))
        .incident;
    assert_eq!(
        again.postmortem_url.as_deref(),
        Some("https://example.com/pm/1")
    );
}

#[test]
fn severe_incidents_close_thirty_minutes_after_resolution_minor_ones_at_once() {
    let fx = Fixture::new();
    for severity in [1, 2, 3, 4] {
        let inc = fx.incident(severity, Investigating, &[(A, ServiceDisruption)], at(0));
        assert_eq!(inc.closed_at(), None);
        assert!(
            !inc.is_closed(at(10_000)),
            "an active incident is never closed"
        );

        let done = fx
            .posted(&inc, Resolved, StatusChange::Keep, at(60))
            .incident;
        let expected = if severity <= 2 { at(90) } else { at(60) };
        assert_eq!(done.closed_at(), Some(expected), "sev{severity}");
        assert!(!done.is_closed(at(59)));
        assert_eq!(done.is_closed(at(60)), severity > 2, "sev{severity}");
        assert_eq!(done.is_closed(at(89)), severity > 2, "sev{severity}");
        assert!(done.is_closed(at(90)));
    }
    assert_eq!(CLOSE_WINDOW, SignedDuration::from_mins(30));
}

#[test]
fn deleting_an_incident_records_its_last_state() {
    let fx = Fixture::new();
    let inc = fx.incident(2, Monitoring, &[(A, ServiceDisruption)], at(0));
    let event = incident::delete(&inc);
    assert_eq!(event.kind, EventKind::IncidentDeleted);
    assert_eq!(event.subject_id, inc.id);
    assert_eq!(event.after, None);
    let before: Incident = serde_json::from_value(event.before.unwrap()).unwrap();
    assert_eq!(before, inc);
}

// ---------------------------------------------------------------------------------------------
// The repeat-severity rule
// ---------------------------------------------------------------------------------------------

#[test]
fn a_severity_3_soon_after_a_closed_severity_2_or_3_is_raised_to_2() {
    let fx = Fixture::new();
    let now = at(600);
    for previous in [2, 3] {
        for minutes_ago in [0, 1, 90, 179] {
            let prior = recent("inc-prev", previous, at(600 - minutes_ago));
            let decision = fx
                .create_after(
                    std::slice::from_ref(&prior),
                    new_incident(3, Investigating, &[(A, DegradedPerformance)]),
                    now,
                )
                .unwrap();
            let inc = &decision.incident;
            assert_eq!(
                inc.severity,
                sev(2),
                "prev sev{previous}, {minutes_ago}m ago"
            );
            let reason = inc.severity_reason.as_deref().expect("a reason");
            assert!(reason.contains("inc-prev"), "{reason}");
            assert_eq!(decision.events[0].note.as_deref(), Some(reason));
            assert_eq!(&after(&decision), inc);
        }
    }
}

#[test]
fn the_reason_names_the_latest_of_several_previous_incidents() {
    let fx = Fixture::new();
    let previous = [
        recent("inc-old", 2, at(480)),
        recent("inc-latest", 3, at(570)),
        recent("inc-mid", 2, at(540)),
    ];
    let inc = fx
        .create_after(
            &previous,
            new_incident(3, Investigating, &[(A, DegradedPerformance)]),
            at(600),
        )
        .unwrap()
        .incident;
    assert_eq!(inc.severity, sev(2));
    assert!(inc.severity_reason.unwrap().contains("inc-latest"));
}

#[test]
fn the_repeat_rule_does_not_apply_after_three_hours() {
    let fx = Fixture::new();
    assert_eq!(REPEAT_WINDOW, SignedDuration::from_hours(3));
    for minutes_ago in [181, 240, 24 * 60] {
        let decision = fx
            .create_after(
                &[recent("inc-prev", 2, at(2000 - minutes_ago))],
                new_incident(3, Investigating, &[(A, DegradedPerformance)]),
                at(2000),
            )
            .unwrap();
        assert_eq!(decision.incident.severity, sev(3), "{minutes_ago}m ago");
        assert_eq!(decision.incident.severity_reason, None);
        assert_eq!(decision.events[0].note, None);
    }
}

#[test]
fn the_repeat_rule_ignores_previous_severity_1_and_4_incidents() {
    let fx = Fixture::new();
    let previous = [recent("inc-1", 1, at(590)), recent("inc-4", 4, at(595))];
    let decision = fx
        .create_after(
            &previous,
            new_incident(3, Investigating, &[(A, DegradedPerformance)]),
            at(600),
        )
        .unwrap();
    assert_eq!(decision.incident.severity, sev(3));
    assert_eq!(decision.incident.severity_reason, None);
    assert_eq!(decision.events[0].note, None);
}

#[test]
fn the_repeat_rule_never_changes_other_severities() {
    let fx = Fixture::new();
    let previous = [recent("inc-2", 2, at(590)), recent("inc-3", 3, at(595))];
    for asked in [1, 2, 4] {
        let decision = fx
            .create_after(
                &previous,
                new_incident(asked, Investigating, &[(A, DegradedPerformance)]),
                at(600),
            )
            .unwrap();
        assert_eq!(decision.incident.severity, sev(asked));
        assert_eq!(decision.incident.severity_reason, None, "sev{asked}");
        assert_eq!(decision.events[0].note, None);
    }
}

#[test]
fn changing_the_severity_by_hand_drops_the_rules_reason() {
    let fx = Fixture::new();
    let raised = fx
        .create_after(
            &[recent("inc-prev", 3, at(590))],
            new_incident(3, Investigating, &[(A, DegradedPerformance)]),
            at(600),
        )
        .unwrap()
        .incident;
    assert!(raised.severity_reason.is_some());
    // Confirming the same severity keeps the reason ...
    let same = fx
        .edit(
            &raised,
            IncidentEdit {
                severity: Some(sev(2)),
                ..IncidentEdit::default()
            },
            at(601),
        )
        .incident;
    assert!(same.severity_reason.is_some());
    // ... choosing another one drops it.
    let lowered = fx
        .edit(
            &raised,
            IncidentEdit {
                severity: Some(sev(3)),
                ..IncidentEdit::default()
            },
            at(601),
        )
        .incident;
    assert_eq!(lowered.severity, sev(3));
    assert_eq!(lowered.severity_reason, None);
}

// ---------------------------------------------------------------------------------------------
// Cadence
// ---------------------------------------------------------------------------------------------

#[test]
fn the_next_update_is_due_by_the_cadence_table() {
    let fx = Fixture::new();
    let table = &fx.page.settings.cadence;
    let expected = [
        (1, Investigating, 10),
        (1, Identified, 10),
        (1, Monitoring, 30),
        (2, Investigating, 15),
        (2, Identified, 30),
        (2, Monitoring, 60),
        (3, Investigating, 15),
        (3, Identified, 30),
        (3, Monitoring, 60),
        (4, Investigating, 15),
        (4, Identified, 30),
        (4, Monitoring, 60),
    ];
    for (severity, state, minutes) in expected {
        let inc = fx.incident(severity, state, &[(A, ServiceDisruption)], at(100));
        assert_eq!(
            next_update_due(table, &inc),
            Some(at(100 + minutes)),
            "sev{severity} {state:?}"
        );
    }
    // Counted from the latest update, in its state.
    let inc = fx.incident(1, Investigating, &[(A, ServiceDisruption)], at(0));
    let next = fx
        .posted(&inc, Monitoring, StatusChange::Keep, at(8))
        .incident;
    assert_eq!(next_update_due(table, &next), Some(at(38)));
}

#[test]
fn the_page_table_is_used() {
    let mut settings = PageSettings::default();
    settings.cadence.sev2.identified = 5;
    let fx = Fixture::with_settings(settings);
    let inc = fx.incident(2, Identified, &[(A, ServiceDisruption)], at(0));
    assert_eq!(
        next_update_due(&fx.page.settings.cadence, &inc),
        Some(at(5))
    );
}

#[test]
fn an_explicit_next_update_in_wins_over_the_table() {
    let fx = Fixture::new();
    let table = &fx.page.settings.cadence;
    let mut input = new_incident(1, Investigating, &[(A, ServiceDisruption)]);
    input.next_update_in = Some(45);
    let inc = fx.create(input, at(0)).unwrap().incident;
    assert_eq!(next_update_due(table, &inc), Some(at(45)));

    let mut d = draft(Monitoring, StatusChange::Keep);
    d.next_update_in = Some(5);
    let next = fx.post(&inc, d, at(20)).unwrap().incident;
    assert_eq!(next_update_due(table, &next), Some(at(25)));

    // An update without one falls back to the table.
    let next = fx
        .posted(&next, Identified, StatusChange::Keep, at(30))
        .incident;
    assert_eq!(next_update_due(table, &next), Some(at(40)));
}

#[test]
fn editing_the_severity_moves_the_next_update() {
    let fx = Fixture::new();
    let table = &fx.page.settings.cadence;
    let inc = fx.incident(3, Investigating, &[(A, ServiceDisruption)], at(0));
    assert_eq!(next_update_due(table, &inc), Some(at(15)));
    let raised = fx
        .edit(
            &inc,
            IncidentEdit {
                severity: Some(sev(1)),
                ..IncidentEdit::default()
            },
            at(3),
        )
        .incident;
    assert_eq!(next_update_due(table, &raised), Some(at(10)));
}

#[test]
fn no_update_is_due_after_resolution() {
    let fx = Fixture::new();
    let table = &fx.page.settings.cadence;
    let inc = fx.incident(1, Investigating, &[(A, ServiceDisruption)], at(0));
    let mut d = draft(Resolved, StatusChange::Keep);
    d.next_update_in = Some(30);
    let done = fx.post(&inc, d, at(20)).unwrap().incident;
    assert_eq!(next_update_due(table, &done), None);
    let again = fx
        .posted(&done, Investigating, StatusChange::Keep, at(25))
        .incident;
    assert_eq!(next_update_due(table, &again), Some(at(35)));
}

// ---------------------------------------------------------------------------------------------
// Previews
// ---------------------------------------------------------------------------------------------

#[test]
fn previewing_a_new_incident_lints_it_and_says_when_the_next_update_is_due() {
    let fx = Fixture::new();
    let mut input = new_incident(2, Monitoring, &[(A, DegradedPerformance)]);
    input.details = "A fix is in place and we are watching it.".into();
    let p = preview::create(fx.ctx(), &[], input.clone(), ACTOR, at(0)).unwrap();
    let ids: Vec<_> = p.lints.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(ids, [MONITORING_NO_DURATION]);
    assert_eq!(p.next_update_due, Some(at(60)));
    assert_eq!(p.incident.state, Monitoring);
    assert_eq!(p.incident.affected, input.affected);

    input.details = "A fix is in place; we will monitor for 30 minutes.".into();
    let p = preview::create(fx.ctx(), &[], input, ACTOR, at(0)).unwrap();
    assert!(p.lints.is_empty(), "{:?}", p.lints);
}

#[test]
fn previewing_a_new_incident_applies_the_repeat_rule() {
    let fx = Fixture::new();
    let p = preview::create(
        fx.ctx(),
        &[recent("inc-prev", 2, at(550))],
        new_incident(3, Investigating, &[(A, DegradedPerformance)]),
        ACTOR,
        at(600),
    )
    .unwrap();
    assert_eq!(p.incident.severity, sev(2));
    // Severity 2, investigating: 15 minutes.
    assert_eq!(p.next_update_due, Some(at(615)));
}

#[test]
fn previews_refuse_what_the_rules_refuse() {
    let fx = Fixture::new();
    let err = preview::create(
        fx.ctx(),
        &[],
        new_incident(2, Investigating, &[(A, Operational)]),
        ACTOR,
        at(0),
    )
    .unwrap_err();
    assert_eq!(err, DomainError::AllOperational);
    let err = preview::create(
        fx.ctx(),
        &[],
        new_incident(2, Resolved, &[(A, ServiceDisruption)]),
        ACTOR,
        at(0),
    )
    .unwrap_err();
    assert_eq!(err, DomainError::CreatedResolved);

    let inc = fx.incident(2, Investigating, &[(A, ServiceDisruption)], at(0));
    let err = preview::update(
        &inc,
        fx.ctx(),
        draft(Resolved, StatusChange::All(DegradedPerformance)),
        ACTOR,
        at(5),
    )
    .unwrap_err();
    assert_eq!(invalid_field(&err), "status");
    let done = fx
        .posted(&inc, Resolved, StatusChange::Keep, at(10))
        .incident;
    let err = preview::update(
        &done,
        fx.ctx(),
        draft(Resolved, StatusChange::Keep),
        ACTOR,
        at(15),
    )
    .unwrap_err();
    assert_eq!(err, DomainError::AlreadyResolved);
}

#[test]
fn previewing_a_resolution_warns_about_overrides_left_in_place() {
    let fx = Fixture::new();
    // D carries a manual override in the fixture; A does not.
    let inc = fx.incident(
        2,
        Monitoring,
        &[(A, ServiceDisruption), (D, ServiceDisruption)],
        at(0),
    );
    let p = preview::update(
        &inc,
        fx.ctx(),
        draft(Resolved, StatusChange::Keep),
        ACTOR,
        at(30),
    )
    .unwrap();
    assert_eq!(p.lints.len(), 1, "{:?}", p.lints);
    assert_eq!(p.lints[0].id, RESOLVE_OVERRIDE_LEFT);
    assert!(
        p.lints[0].message.contains("Web (APAC)"),
        "{}",
        p.lints[0].message
    );
    assert!(!p.lints[0].message.contains("API (US East)"));
    assert_eq!(p.next_update_due, None);
    assert_eq!(p.incident.state, Resolved);

    // Not while the incident stays active.
    let p = preview::update(
        &inc,
        fx.ctx(),
        draft(Identified, StatusChange::Keep),
        ACTOR,
        at(30),
    )
    .unwrap();
    assert!(p.lints.is_empty(), "{:?}", p.lints);
    assert_eq!(p.next_update_due, Some(at(60)));

    // Not when no affected location is overridden, nor for an operational override.
    let mut fx = Fixture::new();
    fx.locations[3].override_level = Some(Operational);
    let inc = fx.incident(
        2,
        Monitoring,
        &[(A, ServiceDisruption), (D, ServiceDisruption)],
        at(0),
    );
    let p = preview::update(
        &inc,
        fx.ctx(),
        draft(Resolved, StatusChange::Keep),
        ACTOR,
        at(30),
    )
    .unwrap();
    assert!(p.lints.is_empty(), "{:?}", p.lints);
}

#[test]
fn a_preview_shows_the_incident_as_posting_would_leave_it() {
    let fx = Fixture::new();
    let inc = fx.incident(1, Investigating, &[(A, ServiceDisruption)], at(0));
    let mut d = draft(Identified, StatusChange::All(PartialServiceDisruption));
    d.next_update_in = Some(20);
    let p = preview::update(&inc, fx.ctx(), d.clone(), ACTOR, at(4)).unwrap();
    let posted = fx.post(&inc, d, at(4)).unwrap().incident;
    assert_eq!(p.next_update_due, Some(at(24)));
    assert_eq!(p.incident.affected, posted.affected);
    assert_eq!(p.incident.state, posted.state);
    assert_eq!(p.incident.updates.len(), posted.updates.len());
}

// ---------------------------------------------------------------------------------------------
// The issue link and template variables
// ---------------------------------------------------------------------------------------------

const ISSUE: &str = "https://tracker.example.com/ops/issues/42";

#[test]
fn the_issue_link_fills_template_variables_when_declared_and_on_each_update() {
    let fx = Fixture::new();
    let mut input = new_incident(2, Investigating, &[(A, ServiceDisruption)]);
    input.details = "{title}: investigation is underway in: {issue_link}".into();
    input.issue_link = Some(format!("  {ISSUE} "));
    let inc = fx.create(input, at(0)).unwrap().incident;
    assert_eq!(inc.issue_link.as_deref(), Some(ISSUE), "trimmed and kept");
    assert_eq!(
        inc.updates[0].details,
        format!("API errors: investigation is underway in: {ISSUE}")
    );
    let mut next = draft(Monitoring, StatusChange::Keep);
    next.details = "Monitoring for 30 minutes. Details in: {issue_link}".into();
    let later = fx.post(&inc, next, at(5)).unwrap().incident;
    assert_eq!(
        later.updates[1].details,
        format!("Monitoring for 30 minutes. Details in: {ISSUE}")
    );
}

#[test]
fn an_update_can_set_the_issue_link_it_fills_in() {
    let fx = Fixture::new();
    let inc = fx.incident(2, Investigating, &[(A, ServiceDisruption)], at(0));
    assert_eq!(inc.issue_link, None);
    let mut next = draft(Identified, StatusChange::Keep);
    next.details = "Found it. Details in: {issue_link}".into();
    next.issue_link = Some(ISSUE.into());
    let decision = fx.post(&inc, next, at(5)).unwrap();
    assert_eq!(decision.incident.issue_link.as_deref(), Some(ISSUE));
    assert_eq!(
        after(&decision).issue_link.as_deref(),
        Some(ISSUE),
        "audited"
    );
    assert!(decision.incident.updates[1].details.ends_with(ISSUE));
}

#[test]
fn an_unfilled_template_variable_refuses_the_publish_and_says_how_to_fill_it() {
    let mut settings = PageSettings::default();
    // No page setting switches the refusal off: the lint is not among those a page can name.
    settings.lint.disabled = herald_core::lint::ALL_LINTS.map(String::from).to_vec();
    let fx = Fixture::with_settings(settings);
    let mut input = new_incident(2, Investigating, &[(A, ServiceDisruption)]);
    input.details = "We're working on it in: {issue_link}".into();
    let err = fx.create(input.clone(), at(0)).unwrap_err();
    assert_eq!(invalid_field(&err), "details");
    let message = err.to_string();
    assert!(message.contains("{issue_link}"), "{message}");
    assert!(message.contains("issue link"), "{message}");

    let inc = fx.incident(2, Investigating, &[(A, ServiceDisruption)], at(0));
    let mut next = draft(Monitoring, StatusChange::Keep);
    next.details = "We will monitor for {monitoring_minutes} minutes.".into();
    let err = fx.post(&inc, next, at(5)).unwrap_err();
    assert!(err.to_string().contains("{monitoring_minutes}"), "{err}");

    // Braces that are not a template variable are ordinary text.
    let mut next = draft(Identified, StatusChange::Keep);
    next.details = "The {payments} queue and {\"json\": true} are fine.".into();
    fx.post(&inc, next, at(5)).unwrap();
}

#[test]
fn a_preview_shows_an_unfilled_variable_as_a_blocking_lint() {
    let fx = Fixture::new();
    let mut input = new_incident(2, Investigating, &[(A, ServiceDisruption)]);
    input.details = "Details in: {issue_link}".into();
    let p = preview::create(fx.ctx(), &[], input.clone(), ACTOR, at(0)).unwrap();
    let blocking: Vec<_> = p.lints.iter().filter(|l| l.blocking).collect();
    assert_eq!(blocking.len(), 1, "{:?}", p.lints);
    assert_eq!(blocking[0].id, herald_core::lint::TEMPLATE_UNFILLED);
    input.issue_link = Some(ISSUE.into());
    let p = preview::create(fx.ctx(), &[], input, ACTOR, at(0)).unwrap();
    assert!(p.lints.iter().all(|l| !l.blocking), "{:?}", p.lints);
    assert_eq!(
        p.incident.updates[0].details,
        format!("Details in: {ISSUE}")
    );
}

#[test]
fn the_issue_link_is_edited_without_an_update_and_checked() {
    let fx = Fixture::new();
    let inc = fx.incident(2, Investigating, &[(A, ServiceDisruption)], at(0));
    let set = IncidentEdit {
        issue_link: Some(ISSUE.into()),
        ..IncidentEdit::default()
    };
    let decision = fx.edit(&inc, set, at(1));
    assert_eq!(decision.incident.issue_link.as_deref(), Some(ISSUE));
    assert_eq!(decision.incident.updates.len(), 1, "no update is posted");
    assert_eq!(decision.events[0].kind, EventKind::IncidentEdited);
    let cleared = IncidentEdit {
        issue_link: Some(String::new()),
        ..IncidentEdit::default()
    };
    assert_eq!(
        fx.edit(&decision.incident, cleared, at(2))
            .incident
            .issue_link,
        None
    );
    let bad = IncidentEdit {
        issue_link: Some("javascript:alert(1)".into()),
        ..IncidentEdit::default()
    };
    assert_eq!(invalid_field(&fx.edit_err(&inc, bad)), "issue_link");
}

#[test]
fn a_component_id_stands_for_its_locations_each_at_the_level_given_with_it() {
    let component = |id: &str, locations: &[&str]| herald_core::component::Component {
        id: id.into(),
        page_id: "page-1".into(),
        group_id: None,
        name: id.into(),
        description: String::new(),
        position: 0,
        locations: locations
            .iter()
            .map(|l| Location {
                id: (*l).into(),
                component_id: id.into(),
                name: (*l).into(),
                position: 0,
                override_level: None,
            })
            .collect(),
        created_at: at(0),
        updated_at: at(0),
    };
    let components = [component("api", &[A, B]), component("mail", &[C])];
    let edited = incident::edited_locations(
        &components,
        &[
            ("api".into(), Some(DegradedPerformance)),
            (B.into(), Some(ServiceDisruption)),
            (C.into(), None),
            (A.into(), None),
        ],
    );
    let got: Vec<(&str, Option<StatusLevel>)> = edited
        .iter()
        .map(|e| (e.location_id.as_str(), e.level))
        .collect();
    assert_eq!(
        got,
        [
            (A, Some(DegradedPerformance)),
            (B, Some(ServiceDisruption)),
            (C, None)
        ],
        "listed once each, the last level given winning and no level keeping one"
    );
}

// ---------------------------------------------------------------------------------------------
// Correcting a published update
// ---------------------------------------------------------------------------------------------

fn correction(details: &str, rebroadcast: bool) -> UpdateCorrection {
    UpdateCorrection {
        details: details.into(),
        rebroadcast,
    }
}

#[test]
fn a_correction_changes_the_text_in_place_and_keeps_the_old_one_in_the_audit_event() {
    let fx = Fixture::new();
    let inc = fx.incident(2, Investigating, &[(A, ServiceDisruption)], at(0));
    let inc = fx
        .posted(&inc, Identified, StatusChange::Keep, at(5))
        .incident;
    let first = inc.updates[0].id.clone();
    let decision = incident::correct_update(
        &inc,
        &first,
        correction("We are investigating {title}.", false),
        at(9),
    )
    .unwrap();
    let next = &decision.incident;
    assert_eq!(next.updates.len(), 2, "a correction adds no update");
    assert_eq!(next.updates[0].details, "We are investigating API errors.");
    assert_eq!(next.updates[0].edited_at, Some(at(9)));
    assert_eq!(next.updates[0].at, inc.updates[0].at, "it keeps its place");
    assert_eq!(next.updates[1], inc.updates[1]);
    assert_eq!(next.state, inc.state);
    assert_eq!(decision.events.len(), 1);
    assert_eq!(decision.events[0].kind, EventKind::IncidentUpdateCorrected);
    let corrected = inc.updates[0].id.as_str();
    assert_eq!(
        before(&decision),
        audited(&inc, &[corrected]),
        "the old text is kept, and only the corrected update"
    );
    assert_eq!(after(&decision), audited(next, &[corrected]));
    let locations = fx.locations.clone();
    let rules = &fx.page.settings.lint;
    assert_eq!(
        broadcast::for_incident(decision.events[0].kind, next, &locations, rules),
        None,
        "told to nobody unless the lead asks"
    );

    let told =
        incident::correct_update(&inc, &first, correction("Fixed typo.", true), at(10)).unwrap();
    assert_eq!(told.events[0].kind, EventKind::IncidentCorrectionAnnounced);
    let draft = broadcast::for_incident(told.events[0].kind, &told.incident, &locations, rules)
        .expect("a correction broadcast");
    assert_eq!(draft.event, broadcast::CORRECTION);
    assert_eq!(
        draft.update_id.as_deref(),
        Some(first.as_str()),
        "the corrected update, not the newest"
    );
}

#[test]
fn corrections_are_checked_like_new_updates() {
    let fx = Fixture::new();
    let inc = fx.incident(2, Investigating, &[(A, ServiceDisruption)], at(0));
    let first = inc.updates[0].id.clone();
    for text in [
        "",
        "   ",
        &"x".repeat(DETAILS_MAX + 1),
        "Details in: {issue_link}",
    ] {
        let err =
            incident::correct_update(&inc, &first, correction(text, false), at(1)).unwrap_err();
        assert_eq!(invalid_field(&err), "details", "{text:?}");
    }
    let err =
        incident::correct_update(&inc, "ghost", correction("Text.", false), at(1)).unwrap_err();
    assert_eq!(invalid_field(&err), "update");
    let same = inc.updates[0].details.clone();
    let unchanged = incident::correct_update(&inc, &first, correction(&same, true), at(1)).unwrap();
    assert!(
        unchanged.events.is_empty(),
        "the same text again changes nothing"
    );
    assert_eq!(unchanged.incident, inc);
}
