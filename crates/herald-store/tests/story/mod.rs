//! The store's behaviour as stories that run against any backend.
//!
//! Every function here takes the store as a `&dyn Store` (or `Arc<dyn Store>`) and knows
//! nothing of the backend behind it; a runner per backend (`tests/sqlite.rs`, later
//! `tests/postgres.rs`) opens a fresh database and calls each story from a `#[tokio::test]`.
//! Checks that need to look under the trait (raw SQL on the tables) stay in the runner; stories
//! return what such a check needs (token secrets, say).
//!
//! Time is driven explicitly: every `now` is a fixed instant from [`t`]. Only the change
//! watcher in [`handles`] waits on the wall clock, because polling is what it does.

mod audit;
mod cadence;
mod components;
mod handles;
mod incidents;
mod jobs;
mod maintenance;
mod pages;
mod status;
mod subscribers;
mod tokens;
mod users;

use std::fmt::Debug;
use std::future::Future;

use herald_core::DomainError;
use herald_core::component::Component;
use herald_core::incident::{
    AffectedLocation, Channels, Incident, IncidentState, NewIncident, Severity, StatusChange,
    UpdateDraft,
};
use herald_core::page::{Page, PageFields, PageSettings};
use herald_core::status::StatusLevel;
use herald_store::{EventQuery, EventRecord, NewComponent, Store, StoreError};
use jiff::{SignedDuration, Timestamp};

pub use audit::audit_log;
pub use cadence::cadence_and_checklist;
pub use components::{component_deletion, components};
pub use handles::{durability_check, durability_fill, two_handles};
pub use incidents::{
    incident_corrections, incident_lifecycle, incident_listing, incident_search,
    preview_writes_nothing,
};
pub use jobs::job_leases;
pub use maintenance::{
    maintenance_automation, maintenance_holds, maintenance_lifecycle, maintenance_listing,
};
pub use pages::pages;
pub use status::{derived_status, repeat_severity};
pub use subscribers::subscribers;
pub use tokens::tokens;
pub use users::{user_enabling, user_roles, users};

/// Actors as the audit log records them.
pub const ADMIN: &str = "cli:alice";
pub const RESPONDER: &str = "token:0123456789abcdef01234567";

/// The story clock: `minutes` after 2026-03-01 12:00 UTC.
pub fn t(minutes: i64) -> Timestamp {
    let base: Timestamp = "2026-03-01T12:00:00Z".parse().expect("a valid instant");
    base + SignedDuration::from_mins(minutes)
}

pub fn sev(n: u8) -> Severity {
    Severity::new(n).expect("a valid severity")
}

pub fn is_id(id: &str) -> bool {
    id.len() == 24
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

pub fn page_fields(slug: &str, name: &str) -> PageFields {
    PageFields {
        slug: slug.into(),
        name: name.into(),
        time_zone: "UTC".into(),
        settings: PageSettings::default(),
    }
}

pub async fn new_page(store: &dyn Store, slug: &str, now: Timestamp) -> Page {
    store
        .create_page(ADMIN, page_fields(slug, &format!("Page {slug}")), now)
        .await
        .expect("page created")
}

pub fn component(name: &str, locations: &[&str]) -> NewComponent {
    NewComponent {
        name: name.into(),
        description: format!("The {name} service"),
        locations: locations.iter().map(|l| l.to_string()).collect(),
        ..NewComponent::default()
    }
}

pub async fn new_component(
    store: &dyn Store,
    page: &str,
    name: &str,
    locations: &[&str],
    now: Timestamp,
) -> Component {
    store
        .create_component(ADMIN, page, component(name, locations), now)
        .await
        .expect("component created")
}

pub fn held(location: &str, level: StatusLevel) -> AffectedLocation {
    AffectedLocation {
        location_id: location.into(),
        level,
    }
}

pub fn incident(title: &str, severity: u8, affected: Vec<AffectedLocation>) -> NewIncident {
    NewIncident {
        title: title.into(),
        severity: sev(severity),
        state: IncidentState::Investigating,
        details: format!("We are investigating: {title}."),
        affected,
        channels: Channels::default(),
        subject: None,
        next_update_in: None,
        issue_link: None,
    }
}

pub async fn new_incident(
    store: &dyn Store,
    page: &str,
    new: NewIncident,
    now: Timestamp,
) -> Incident {
    store
        .create_incident(RESPONDER, page, new, now)
        .await
        .expect("incident created")
}

pub fn draft(state: IncidentState, details: &str, status: StatusChange) -> UpdateDraft {
    UpdateDraft {
        state,
        details: details.into(),
        status,
        channels: Channels::default(),
        subject: None,
        next_update_in: None,
        issue_link: None,
    }
}

pub async fn resolve(store: &dyn Store, page: &str, incident: &str, now: Timestamp) -> Incident {
    store
        .post_update(
            RESPONDER,
            page,
            incident,
            draft(
                IncidentState::Resolved,
                "This is resolved.",
                StatusChange::Keep,
            ),
            now,
        )
        .await
        .expect("incident resolved")
}

/// The whole audit log, oldest first.
pub async fn all_events(store: &dyn Store) -> Vec<EventRecord> {
    events_after(store, 0).await
}

/// The audit events with an id larger than `after`, oldest first.
pub async fn events_after(store: &dyn Store, after: i64) -> Vec<EventRecord> {
    store
        .events(EventQuery {
            page_id: None,
            after,
            limit: 10_000,
        })
        .await
        .expect("events read")
}

/// Asserts that exactly one event was appended since `after`, and returns it.
#[track_caller]
pub fn only(events: Vec<EventRecord>) -> EventRecord {
    assert_eq!(
        events.len(),
        1,
        "expected exactly one new event, got {events:#?}"
    );
    events.into_iter().next().expect("one event")
}

pub fn kinds(events: &[EventRecord]) -> Vec<&str> {
    events.iter().map(|e| e.kind.as_str()).collect()
}

pub fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).expect("serialisable")
}

/// Runs a command that must be refused, and checks it wrote nothing to the audit log (every
/// write appends to it in the same transaction, so an unchanged log means nothing committed).
pub async fn refused<T: Debug>(
    store: &dyn Store,
    command: impl Future<Output = herald_store::Result<T>>,
) -> StoreError {
    let last = store.last_event_id().await.expect("last event id");
    let count = all_events(store).await.len();
    let err = match command.await {
        Ok(value) => panic!("the command should have been refused, but returned {value:#?}"),
        Err(err) => err,
    };
    assert_eq!(
        store.last_event_id().await.expect("last event id"),
        last,
        "a refused command ({err}) appended to the audit log"
    );
    assert_eq!(all_events(store).await.len(), count);
    err
}

#[track_caller]
/// A clash with what is stored (a taken slug) or with the thing's state (a component the
/// history refers to): the API answers 409 to both.
pub fn assert_conflict(err: &StoreError) {
    assert!(
        matches!(
            err,
            StoreError::Conflict(_) | StoreError::Domain(DomainError::Conflict(_))
        ),
        "expected a conflict, got {err:?}"
    );
}

#[track_caller]
pub fn assert_not_found(err: &StoreError, what: &str, id: &str) {
    match err {
        StoreError::NotFound { what: w, id: i } if *w == what && i == id => {}
        other => panic!("expected {what} {id:?} not found, got {other:?}"),
    }
}

#[track_caller]
pub fn assert_invalid(err: &StoreError, field: &str) {
    match err {
        StoreError::Domain(DomainError::Invalid { field: f, .. }) if *f == field => {}
        other => panic!("expected an invalid {field}, got {other:?}"),
    }
}

#[track_caller]
pub fn assert_domain(err: &StoreError, expected: DomainError) {
    match err {
        StoreError::Domain(found) => assert_eq!(*found, expected),
        other => panic!("expected {expected:?}, got {other:?}"),
    }
}
