//! The rules of scheduled maintenance windows: scheduling, the state transitions, rescheduling,
//! automation, what a window holds, and which windows are upcoming, active or past. Examples
//! first, then a property test over random command sequences.
//!
//! Every time is a fixed `jiff::Timestamp`; nothing here reads a clock.
use herald_core::DomainError;
use herald_core::component::{Component, Location};
use herald_core::event::EventKind;
use herald_core::incident::{AffectedLocation, Channels, DETAILS_MAX, PageContext, TITLE_MAX};
use herald_core::maintenance::{
    self, Decision, Maintenance, MaintenanceDraft, MaintenanceState, MaintenanceUpdate,
    NewMaintenance, Reschedule, START_GRACE,
};
use herald_core::page::{Page, PageSettings};
use herald_core::status::StatusLevel::{
    self, DegradedPerformance, Operational, ServiceDisruption, UnderMaintenance,
};
use herald_core::status::page_status;
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

use MaintenanceState::{Cancelled, Completed, InProgress, Scheduled, Verifying};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const A: &str = "loc-a";
const B: &str = "loc-b";
const C: &str = "loc-c";
const ACTOR: &str = "cli:tester";

/// A page in Berlin (so times on the timeline show the zone) with three locations.
struct Fixture {
    page: Page,
    locations: Vec<Location>,
}

impl Fixture {
    fn new() -> Fixture {
        let created = at(-1000);
        let page = Page {
            id: "page-1".into(),
            slug: "acme".into(),
            name: "Acme Cloud".into(),
            time_zone: "Europe/Berlin".into(),
            settings: PageSettings::default(),
            created_at: created,
            updated_at: created,
        };
        let location = |id: &str, position: i64| Location {
            id: id.into(),
            component_id: "comp-db".into(),
            name: format!("Database {position}"),
            position,
            override_level: None,
        };
        let locations = vec![location(A, 0), location(B, 1), location(C, 2)];
        Fixture { page, locations }
    }

    fn ctx(&self) -> PageContext<'_> {
        PageContext {
            page: &self.page,
            locations: &self.locations,
        }
    }

    fn schedule(&self, input: NewMaintenance, now: Timestamp) -> Result<Decision, DomainError> {
        maintenance::schedule(
            self.ctx(),
            "mnt-1".into(),
            "upd-1".into(),
            input,
            ACTOR,
            now,
        )
    }

    /// A window over A and B from 60 to 120 minutes, scheduled at minute 0.
    fn window(&self) -> Maintenance {
        self.schedule(new_window(&[A, B], 60, 120), at(0))
            .expect("the window is valid")
            .maintenance
    }

    fn reschedule(
        &self,
        current: &Maintenance,
        input: Reschedule,
        now: Timestamp,
    ) -> Result<Decision, DomainError> {
        maintenance::reschedule(current, &self.page, next_id(current), input, ACTOR, now)
    }
}

/// 2026-03-28 12:00 UTC (the day before Berlin moves to summer time) plus `minutes`.
fn at(minutes: i64) -> Timestamp {
    let base: Timestamp = "2026-03-28T12:00:00Z".parse().expect("a valid instant");
    base + SignedDuration::from_mins(minutes)
}

fn ts(s: &str) -> Timestamp {
    s.parse().expect("a valid instant")
}

fn new_window(affected: &[&str], start: i64, end: i64) -> NewMaintenance {
    NewMaintenance {
        title: "Database upgrade".into(),
        details: "We will upgrade the **database**; writes pause for a few minutes.".into(),
        affected: affected.iter().map(|id| id.to_string()).collect(),
        starts_at: at(start),
        ends_at: at(end),
        automation: true,
        reminders: None,
        channels: Channels::default(),
    }
}

fn next_id(current: &Maintenance) -> String {
    format!("upd-{}", current.updates.len() + 1)
}

fn draft(state: Option<MaintenanceState>, details: &str) -> MaintenanceDraft {
    MaintenanceDraft {
        state,
        details: details.into(),
        channels: Channels::default(),
        // The reminder rule has examples of its own.
        confirm_duplicate_email: true,
    }
}

fn post(
    current: &Maintenance,
    state: Option<MaintenanceState>,
    now: Timestamp,
) -> Result<Decision, DomainError> {
    let details = format!("Now {state:?}.");
    maintenance::post_update(
        current,
        next_id(current),
        draft(state, &details),
        ACTOR,
        now,
    )
}

/// Posts an update moving the window to `state`; panics if the rules refuse it.
fn moved(current: &Maintenance, state: MaintenanceState, now: Timestamp) -> Maintenance {
    post(current, Some(state), now)
        .unwrap_or_else(|e| panic!("{:?} -> {state:?} is refused: {e}", current.state))
        .maintenance
}

/// A window in `state`, reached the ordinary way from [`Fixture::window`].
fn window_in(fx: &Fixture, state: MaintenanceState) -> Maintenance {
    let scheduled = fx.window();
    match state {
        Scheduled => scheduled,
        InProgress | Cancelled => moved(&scheduled, state, at(60)),
        Verifying | Completed => moved(&moved(&scheduled, InProgress, at(60)), state, at(100)),
    }
}

fn times(starts: i64, ends: i64) -> Reschedule {
    Reschedule {
        starts_at: at(starts),
        ends_at: at(ends),
        details: None,
        channels: Channels::default(),
    }
}

#[track_caller]
fn invalid_field(result: Result<Decision, DomainError>) -> &'static str {
    match result {
        Err(DomainError::Invalid { field, .. }) => field,
        other => panic!("expected an invalid field, got {other:?}"),
    }
}

fn holds(m: &Maintenance) -> Vec<(String, StatusLevel)> {
    m.holds().map(|a| (a.location_id, a.level)).collect()
}

// ---------------------------------------------------------------------------------------------
// Scheduling
// ---------------------------------------------------------------------------------------------

#[test]
fn scheduling_records_the_window_and_its_announcement() {
    let fx = Fixture::new();
    let mut input = new_window(&[B, A], 60, 120);
    input.title = "  Database upgrade ".into();
    input.automation = false;
    input.channels.sms = false;
    let decision = fx.schedule(input, at(0)).unwrap();
    let expected = Maintenance {
        id: "mnt-1".into(),
        page_id: "page-1".into(),
        title: "Database upgrade".into(),
        affected: vec![B.into(), A.into()],
        starts_at: at(60),
        ends_at: at(120),
        state: Scheduled,
        automation: false,
        sequence: 0,
        reminders: vec![4320, 1440, 60],
        updates: vec![MaintenanceUpdate {
            id: "upd-1".into(),
            state: Scheduled,
            details: "We will upgrade the **database**; writes pause for a few minutes.".into(),
            channels: Channels {
                sms: false,
                ..Channels::default()
            },
            author: ACTOR.into(),
            at: at(0),
        }],
        created_at: at(0),
        updated_at: at(0),
        started_at: None,
        ended_at: None,
    };
    assert_eq!(decision.maintenance, expected);
    assert_eq!(decision.events.len(), 1);
    let event = &decision.events[0];
    assert_eq!(
        (event.kind, event.subject_type(), event.subject_id.as_str()),
        (EventKind::MaintenanceScheduled, "maintenance", "mnt-1")
    );
    assert_eq!(event.before, None);
    assert_eq!(event.after, Some(serde_json::to_value(&expected).unwrap()));
}

#[test]
fn reminders_come_from_the_page_unless_the_window_chooses() {
    let mut fx = Fixture::new();
    let window = fx.window();
    assert_eq!(window.reminders, vec![4320, 1440, 60]);
    // The window starts at minute 60: reminders 72 h, 24 h and 1 h before.
    let due: Vec<(u32, Timestamp)> = window.reminders_due().collect();
    assert_eq!(
        due,
        vec![(4320, at(60 - 4320)), (1440, at(60 - 1440)), (60, at(0))]
    );

    fx.page.settings.maintenance_reminders = vec![30];
    assert_eq!(fx.window().reminders, vec![30]);

    let mut input = new_window(&[A], 60, 120);
    input.reminders = Some(vec![60, 1440, 60]);
    let chosen = fx.schedule(input, at(0)).unwrap().maintenance;
    assert_eq!(
        chosen.reminders,
        vec![1440, 60],
        "furthest first, each once"
    );

    let mut input = new_window(&[A], 60, 120);
    input.reminders = Some(vec![]);
    let none = fx.schedule(input, at(0)).unwrap().maintenance;
    assert_eq!(none.reminders_due().count(), 0);

    for bad in [vec![0], vec![30 * 24 * 60 + 1], vec![1; 11]] {
        let mut input = new_window(&[A], 60, 120);
        input.reminders = Some(bad);
        assert_eq!(invalid_field(fx.schedule(input, at(0))), "reminders");
    }
}

#[test]
fn reminders_stop_once_the_window_is_no_longer_scheduled() {
    let fx = Fixture::new();
    for state in [InProgress, Verifying, Completed, Cancelled] {
        assert_eq!(
            window_in(&fx, state).reminders_due().count(),
            0,
            "{state:?}"
        );
    }
}

#[test]
fn an_email_update_within_the_hour_before_a_reminder_needs_confirming() {
    let fx = Fixture::new();
    // Starts at minute 180, so the 1 h reminder is due at minute 120.
    let window = fx
        .schedule(new_window(&[A], 180, 240), at(0))
        .unwrap()
        .maintenance;
    let emailing = |confirm: bool, email: bool, now| {
        let mut d = draft(None, "Preparations are on track.");
        d.confirm_duplicate_email = confirm;
        d.channels.email = email;
        maintenance::post_update(&window, next_id(&window), d, ACTOR, now)
    };
    match emailing(false, true, at(90)) {
        Err(DomainError::Invalid { field, message }) => {
            assert_eq!(field, "channels.email");
            assert!(
                message.contains("2026-03-28T14:00:00Z (in 30 minutes)")
                    && message.contains("confirm_duplicate_email"),
                "{message}"
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(emailing(true, true, at(90)).is_ok(), "confirmed");
    assert!(emailing(false, false, at(90)).is_ok(), "without email");
    assert!(
        emailing(false, true, at(59)).is_ok(),
        "more than an hour ahead"
    );
    assert!(
        emailing(false, true, at(120)).is_ok(),
        "the reminder is due now: it has gone"
    );
}

#[test]
fn a_preview_shows_lints_the_email_refusal_and_the_cadence() {
    let mut fx = Fixture::new();
    fx.page.settings.maintenance_cadence = Some(30);
    let window = fx
        .schedule(new_window(&[A], 180, 240), at(0))
        .unwrap()
        .maintenance;
    let mut d = draft(None, &"x".repeat(300));
    d.confirm_duplicate_email = false;
    let p = maintenance::preview(&window, &fx.page.settings, &d, at(90)).unwrap();
    let lints: Vec<&str> = p.lints.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(lints, vec!["social.too_long"]);
    assert!(p.email_refused.unwrap().contains("in 30 minutes"));
    assert_eq!(
        p.next_update_due, None,
        "scheduled: the reminders keep people informed"
    );

    // Run by hand and started: the next update is due after the page's cadence.
    let manual = maintenance::set_automation(&window, false, at(90))
        .unwrap()
        .maintenance;
    d.state = Some(InProgress);
    d.channels.email = false;
    let p = maintenance::preview(&manual, &fx.page.settings, &d, at(200)).unwrap();
    assert_eq!((p.email_refused, p.next_update_due), (None, Some(at(230))));
    // With automation on, no cadence applies.
    let p = maintenance::preview(&window, &fx.page.settings, &d, at(200)).unwrap();
    assert_eq!(p.next_update_due, None);
}

#[test]
fn the_automation_starts_and_completes_noting_how_late_it_ran() {
    let fx = Fixture::new();
    let window = fx.window();
    let started = maintenance::auto_start(&window, "upd-2".into(), at(60)).unwrap();
    let m = &started.maintenance;
    assert_eq!((m.state, m.started_at), (InProgress, Some(at(60))));
    let update = m.updates.last().unwrap();
    assert_eq!(update.author, maintenance::AUTOMATION_ACTOR);
    assert_eq!(update.channels, window.updates[0].channels);
    let event = &started.events[0];
    assert_eq!(event.kind, EventKind::MaintenanceStarted);
    assert_eq!(
        event.note.as_deref(),
        Some("on time, as planned for 2026-03-28T13:00:00Z")
    );

    let completed = maintenance::auto_complete(m, "upd-3".into(), at(125)).unwrap();
    assert_eq!(completed.maintenance.state, Completed);
    let event = &completed.events[0];
    assert_eq!(event.kind, EventKind::MaintenanceCompleted);
    assert_eq!(
        event.note.as_deref(),
        Some("300 s late: planned for 2026-03-28T14:00:00Z, Herald was not running then")
    );
}

#[test]
fn a_start_after_the_planned_end_is_not_broadcast() {
    let fx = Fixture::new();
    let window = fx.window();
    let late = maintenance::auto_start(&window, "upd-2".into(), at(130)).unwrap();
    let update = late.maintenance.updates.last().unwrap();
    assert_eq!(late.maintenance.state, InProgress);
    assert!(!update.channels.email && !update.channels.webhook);
}

#[test]
fn automation_is_on_unless_asked_otherwise() {
    let json = serde_json::json!({
        "title": "Upgrade",
        "details": "Details.",
        "affected": [A],
        "starts_at": "2026-03-28T12:30:00Z",
        "ends_at": "2026-03-28T14:00:00+01:00",
    });
    let input: NewMaintenance = serde_json::from_value(json).unwrap();
    assert!(input.automation);
    assert_eq!(input.channels, Channels::default());
    assert_eq!(
        input.ends_at,
        at(60),
        "an offset is an instant like any other"
    );
    let m = Fixture::new().schedule(input, at(0)).unwrap().maintenance;
    assert!(m.automation);
}

#[test]
fn scheduling_refuses_bad_input_naming_the_field() {
    let fx = Fixture::new();
    let with = |change: fn(&mut NewMaintenance)| {
        let mut input = new_window(&[A], 60, 120);
        change(&mut input);
        fx.schedule(input, at(0))
    };
    type Change = fn(&mut NewMaintenance);
    let cases: [(Change, &str); 10] = [
        (|m| m.title = "   ".into(), "title"),
        (|m| m.title = "x".repeat(TITLE_MAX + 1), "title"),
        (|m| m.details = "".into(), "details"),
        (|m| m.details = "x".repeat(DETAILS_MAX + 1), "details"),
        (|m| m.affected.clear(), "affected"),
        (
            |m| m.affected = vec![A.into(), B.into(), A.into()],
            "affected",
        ),
        (|m| m.ends_at = m.starts_at, "ends_at"),
        (|m| m.ends_at = at(30), "ends_at"),
        (|m| m.starts_at = at(-2), "starts_at"),
        (|m| m.starts_at = at(-24 * 60), "starts_at"),
    ];
    for (change, field) in cases {
        assert_eq!(invalid_field(with(change)), field);
    }
    assert_eq!(
        with(|m| m.affected = vec![A.into(), "loc-elsewhere".into()]),
        Err(DomainError::UnknownLocation("loc-elsewhere".into()))
    );

    // The messages say what to do.
    let err = with(|m| m.starts_at = at(-30)).unwrap_err().to_string();
    assert!(
        err.contains("in the past") && err.contains("plan the window ahead"),
        "{err}"
    );
    let err = with(|m| m.affected.clear()).unwrap_err().to_string();
    assert!(err.contains("at least one location"), "{err}");

    // A start a moment ago is within the grace: forms take time to fill in.
    let grace = at(0) - START_GRACE;
    let mut input = new_window(&[A], 0, 60);
    input.starts_at = grace;
    assert_eq!(
        fx.schedule(input, at(0)).unwrap().maintenance.starts_at,
        grace
    );
}

// ---------------------------------------------------------------------------------------------
// Transitions
// ---------------------------------------------------------------------------------------------

/// Every (from, to) pair: allowed exactly as `next_states` says, refused with the right error.
#[test]
fn updates_follow_the_transition_table() {
    let fx = Fixture::new();
    let allowed = [
        (Scheduled, Scheduled),
        (Scheduled, InProgress),
        (Scheduled, Cancelled),
        (InProgress, InProgress),
        (InProgress, Verifying),
        (InProgress, Completed),
        (InProgress, Cancelled),
        (Verifying, Verifying),
        (Verifying, InProgress),
        (Verifying, Completed),
        (Verifying, Cancelled),
    ];
    for from in MaintenanceState::ALL {
        let current = window_in(&fx, from);
        assert_eq!(current.state, from);
        for to in MaintenanceState::ALL {
            let result = post(&current, Some(to), at(110));
            if allowed.contains(&(from, to)) {
                assert!(from.can_move_to(to));
                let next = result.unwrap().maintenance;
                assert_eq!(next.state, to);
                assert_eq!(next.updates.len(), current.updates.len() + 1);
            } else if from.is_final() {
                assert_eq!(result, Err(DomainError::MaintenanceFinished(from)));
            } else {
                assert!(!from.can_move_to(to));
                assert_eq!(
                    result,
                    Err(DomainError::MaintenanceTransition { from, to }),
                    "{from:?} -> {to:?}"
                );
            }
        }
        // Leaving out the state keeps it, where updates are still allowed.
        match post(&current, None, at(110)) {
            Ok(next) => assert_eq!(next.maintenance.state, from),
            Err(err) => assert_eq!(err, DomainError::MaintenanceFinished(from)),
        }
    }

    let err = DomainError::MaintenanceTransition {
        from: Scheduled,
        to: Completed,
    };
    assert_eq!(err.code(), "maintenance-transition");
    assert_eq!(
        err.to_string(),
        "a scheduled maintenance window cannot move to completed; an update can move it to in progress or cancelled, or leave it scheduled"
    );
    let err = DomainError::MaintenanceFinished(Cancelled);
    assert_eq!(err.code(), "maintenance-finished");
    assert!(err.to_string().contains("is cancelled"), "{err}");
    assert!(err.to_string().contains("Schedule a new window"), "{err}");
}

#[test]
fn starting_and_ending_stamp_their_times() {
    let fx = Fixture::new();
    let scheduled = fx.window();

    // Say something without starting.
    let noted = post(&scheduled, None, at(10)).unwrap();
    assert_eq!(noted.maintenance.state, Scheduled);
    assert_eq!(noted.maintenance.started_at, None);
    assert_eq!(noted.events[0].kind, EventKind::MaintenanceUpdated);
    assert_eq!(
        noted.events[0].before,
        Some(serde_json::to_value(&scheduled).unwrap())
    );

    // Start early: the planned times stay; the actual start is recorded.
    let started = moved(&noted.maintenance, InProgress, at(45));
    assert_eq!((started.starts_at, started.ends_at), (at(60), at(120)));
    assert_eq!(started.started_at, Some(at(45)));
    assert_eq!(started.updated_at, at(45));

    // Verifying, back to work, verifying again: the start stays the first one.
    let verifying = moved(&started, Verifying, at(80));
    let again = moved(&moved(&verifying, InProgress, at(85)), Verifying, at(95));
    assert_eq!(again.started_at, Some(at(45)));
    assert_eq!(again.ended_at, None);

    // Finish early.
    let completed = moved(&again, Completed, at(100));
    assert_eq!(completed.ended_at, Some(at(100)));
    let states: Vec<_> = completed.updates.iter().map(|u| u.state).collect();
    assert_eq!(
        states,
        [
            Scheduled, Scheduled, InProgress, Verifying, InProgress, Verifying, Completed
        ]
    );

    // Cancelled before it started: ended, never started.
    let cancelled = moved(&scheduled, Cancelled, at(30));
    assert_eq!(
        (cancelled.started_at, cancelled.ended_at),
        (None, Some(at(30)))
    );
}

#[test]
fn updates_need_details() {
    let fx = Fixture::new();
    let current = fx.window();
    for details in ["", "  \n "] {
        let result = maintenance::post_update(
            &current,
            "upd-2".into(),
            draft(Some(InProgress), details),
            ACTOR,
            at(60),
        );
        assert_eq!(invalid_field(result), "details");
    }
}

#[test]
fn timelines_never_run_backwards() {
    let fx = Fixture::new();
    let started = moved(&fx.window(), InProgress, at(60));
    let late = moved(&started, Completed, at(50));
    assert_eq!(late.updated_at, at(60));
    assert_eq!(late.updates.last().unwrap().at, at(60));
    assert_eq!(late.ended_at, Some(at(60)));
}

// ---------------------------------------------------------------------------------------------
// What a window holds, and when it is upcoming, active or past
// ---------------------------------------------------------------------------------------------

#[test]
fn only_an_active_window_holds_its_locations_under_maintenance() {
    let fx = Fixture::new();
    for state in MaintenanceState::ALL {
        let m = window_in(&fx, state);
        let expected = if state.is_active() {
            vec![
                (A.to_string(), UnderMaintenance),
                (B.to_string(), UnderMaintenance),
            ]
        } else {
            vec![]
        };
        assert_eq!(holds(&m), expected, "{state:?}");
        assert_eq!(m.is_active(), matches!(state, InProgress | Verifying));
    }

    // Derived like incidents: the worst holder or override shows.
    let active = window_in(&fx, InProgress);
    let mut locations = fx.locations.clone();
    locations[1].override_level = Some(Operational);
    locations[2].override_level = Some(DegradedPerformance);
    let component = Component {
        id: "comp-db".into(),
        page_id: "page-1".into(),
        group_id: None,
        name: "Database".into(),
        description: String::new(),
        position: 0,
        locations,
        created_at: at(0),
        updated_at: at(0),
    };
    let incident = AffectedLocation {
        location_id: A.into(),
        level: ServiceDisruption,
    };
    let held: Vec<(String, StatusLevel)> = active
        .holds()
        .chain([incident])
        .map(|a| (a.location_id, a.level))
        .collect();
    let status = page_status(&[component], &held);
    let levels: Vec<StatusLevel> = status.components[0]
        .locations
        .iter()
        .map(|l| l.level)
        .collect();
    assert_eq!(
        levels,
        [ServiceDisruption, UnderMaintenance, DegradedPerformance]
    );
    assert_eq!(status.level, ServiceDisruption);
}

#[test]
fn every_window_is_exactly_one_of_upcoming_active_or_past() {
    let fx = Fixture::new();
    for state in MaintenanceState::ALL {
        let m = window_in(&fx, state);
        for minute in [0, 59, 60, 119, 120, 121, 10_000] {
            let now = at(minute);
            let kinds = [m.is_upcoming(now), m.is_active(), m.is_past(now)];
            assert_eq!(
                kinds.iter().filter(|k| **k).count(),
                1,
                "{state:?} at {minute}"
            );
            let expected = match state {
                // A start that passed unstarted is still upcoming until the planned end.
                Scheduled => [minute < 120, false, minute >= 120],
                InProgress | Verifying => [false, true, false],
                Completed | Cancelled => [false, false, true],
            };
            assert_eq!(kinds, expected, "{state:?} at {minute}");
        }
    }
}

#[test]
fn states_have_names_people_and_other_products_use() {
    let names: Vec<_> = MaintenanceState::ALL
        .iter()
        .map(|s| {
            (
                serde_json::to_value(s).unwrap(),
                s.label(),
                s.statuspage_status(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            (serde_json::json!("scheduled"), "Scheduled", "scheduled"),
            (
                serde_json::json!("in_progress"),
                "In progress",
                "in_progress"
            ),
            (serde_json::json!("verifying"), "Verifying", "verifying"),
            (serde_json::json!("completed"), "Completed", "completed"),
            (serde_json::json!("cancelled"), "Cancelled", "completed"),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Rescheduling, automation, deletion
// ---------------------------------------------------------------------------------------------

#[test]
fn rescheduling_raises_the_sequence_and_states_the_new_times() {
    let fx = Fixture::new();
    let scheduled = fx.window();

    // Across Berlin's change to summer time (01:00 UTC on 29 March 2026): the timeline shows
    // each end of the window in the offset in force then.
    let input = Reschedule {
        starts_at: ts("2026-03-29T00:30:00Z"),
        ends_at: ts("2026-03-29T01:30:00Z"),
        details: Some("  The vendor asked for a quieter hour. ".into()),
        channels: Channels {
            email: false,
            ..Channels::default()
        },
    };
    let decision = fx.reschedule(&scheduled, input, at(5)).unwrap();
    let moved = &decision.maintenance;
    assert_eq!(
        (moved.starts_at, moved.ends_at, moved.sequence, moved.state),
        (
            ts("2026-03-29T00:30:00Z"),
            ts("2026-03-29T01:30:00Z"),
            1,
            Scheduled
        )
    );
    let update = moved.updates.last().unwrap();
    assert_eq!(
        update.details,
        "Rescheduled: now planned from 2026-03-29 01:30 CET to 2026-03-29 03:30 CEST.\n\nThe vendor asked for a quieter hour."
    );
    assert_eq!(
        (update.state, update.at, update.id.as_str()),
        (Scheduled, at(5), "upd-2")
    );
    assert!(!update.channels.email && update.channels.sms);
    assert_eq!(decision.events.len(), 1);
    assert_eq!(decision.events[0].kind, EventKind::MaintenanceRescheduled);

    // Each reschedule raises the sequence again; the same times again change nothing.
    let twice = fx
        .reschedule(moved, times(300, 360), at(6))
        .unwrap()
        .maintenance;
    assert_eq!(twice.sequence, 2);
    assert_eq!(twice.updates.len(), 3);
    let same = fx.reschedule(&twice, times(300, 360), at(7)).unwrap();
    assert_eq!(same.maintenance, twice);
    assert!(same.events.is_empty());

    // A scheduled window moves only ahead, and must still end after it starts.
    assert_eq!(
        invalid_field(fx.reschedule(&twice, times(-10, 60), at(7))),
        "starts_at"
    );
    assert_eq!(
        invalid_field(fx.reschedule(&twice, times(300, 300), at(7))),
        "ends_at"
    );
}

#[test]
fn a_window_in_progress_can_be_extended_or_shortened_but_not_moved() {
    let fx = Fixture::new();
    for state in [InProgress, Verifying] {
        let active = window_in(&fx, state);
        let extended = fx
            .reschedule(&active, times(60, 180), at(110))
            .unwrap()
            .maintenance;
        assert_eq!(
            (extended.ends_at, extended.sequence, extended.state),
            (at(180), 1, state)
        );
        assert_eq!(
            extended.updates.last().unwrap().details,
            "Now planned to end at 2026-03-28 16:00 CET."
        );
        let shortened = fx
            .reschedule(&extended, times(60, 115), at(111))
            .unwrap()
            .maintenance;
        assert_eq!((shortened.ends_at, shortened.sequence), (at(115), 2));

        assert_eq!(
            invalid_field(fx.reschedule(&active, times(90, 180), at(110))),
            "starts_at"
        );
        let err = fx.reschedule(&active, times(60, 105), at(110)).unwrap_err();
        assert!(matches!(
            err,
            DomainError::Invalid {
                field: "ends_at",
                ..
            }
        ));
        assert!(
            err.to_string()
                .contains("post an update with the state completed"),
            "{err}"
        );
    }
    for state in [Completed, Cancelled] {
        let done = window_in(&fx, state);
        assert_eq!(
            fx.reschedule(&done, times(300, 360), at(110)),
            Err(DomainError::MaintenanceFinished(state))
        );
    }
}

#[test]
fn automation_switches_off_and_on_and_records_only_changes() {
    let fx = Fixture::new();
    let on = fx.window();
    assert!(on.automation);
    let off = maintenance::set_automation(&on, false, at(5)).unwrap();
    assert!(!off.maintenance.automation);
    assert_eq!(off.maintenance.updated_at, at(5));
    assert_eq!(off.maintenance.updates, on.updates, "no broadcast");
    assert_eq!(off.events[0].kind, EventKind::MaintenanceAutomationChanged);
    let still_off = maintenance::set_automation(&off.maintenance, false, at(6)).unwrap();
    assert_eq!(still_off.maintenance, off.maintenance);
    assert!(still_off.events.is_empty());
    let back = maintenance::set_automation(&off.maintenance, true, at(7)).unwrap();
    assert!(back.maintenance.automation);

    let active = window_in(&fx, InProgress);
    assert!(maintenance::set_automation(&active, false, at(110)).is_ok());
    let done = window_in(&fx, Completed);
    assert_eq!(
        maintenance::set_automation(&done, false, at(110)),
        Err(DomainError::MaintenanceFinished(Completed))
    );
}

#[test]
fn reminders_change_before_the_start_only_and_are_checked() {
    let fx = Fixture::new();
    let window = fx.window();
    let changed = maintenance::set_reminders(&window, vec![30, 120, 30], at(5)).unwrap();
    assert_eq!(
        changed.maintenance.reminders,
        [120, 30],
        "furthest first, once each"
    );
    assert_eq!(changed.maintenance.updated_at, at(5));
    assert_eq!(changed.maintenance.updates, window.updates, "no broadcast");
    assert_eq!(
        changed.events[0].kind,
        EventKind::MaintenanceRemindersChanged
    );
    let again = maintenance::set_reminders(&changed.maintenance, vec![30, 120], at(6)).unwrap();
    assert!(again.events.is_empty(), "the same offsets change nothing");
    let none = maintenance::set_reminders(&window, vec![], at(5)).unwrap();
    assert!(none.maintenance.reminders.is_empty());

    for bad in [vec![0], vec![30 * 24 * 60 + 1], (1..=11).collect()] {
        let refused = maintenance::set_reminders(&window, bad.clone(), at(5));
        assert!(
            matches!(
                refused,
                Err(DomainError::Invalid {
                    field: "reminders",
                    ..
                })
            ),
            "{bad:?}: {refused:?}"
        );
    }
    let started = window_in(&fx, InProgress);
    let refused = maintenance::set_reminders(&started, vec![30], at(110)).unwrap_err();
    assert!(
        refused.to_string().contains("only before it starts"),
        "{refused}"
    );
    assert_eq!(
        maintenance::set_reminders(&window_in(&fx, Cancelled), vec![30], at(110)),
        Err(DomainError::MaintenanceFinished(Cancelled))
    );
}

#[test]
fn deleting_records_the_window_as_it_was() {
    let fx = Fixture::new();
    let done = window_in(&fx, Completed);
    let event = maintenance::delete(&done);
    assert_eq!(
        (event.kind, event.subject_type()),
        (EventKind::MaintenanceDeleted, "maintenance")
    );
    assert_eq!(event.before, Some(serde_json::to_value(&done).unwrap()));
    assert_eq!(event.after, None);
}

// ---------------------------------------------------------------------------------------------
// Property: random command sequences keep the invariants
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Cmd {
    Update(Option<MaintenanceState>),
    /// Start and length, in minutes from now.
    Reschedule(i64, i64),
    Automation(bool),
}

fn command() -> impl Strategy<Value = Cmd> {
    let state = prop::sample::select(MaintenanceState::ALL.to_vec());
    prop_oneof![
        4 => prop::option::weighted(0.8, state).prop_map(Cmd::Update),
        2 => (-30i64..240, -10i64..240).prop_map(|(s, l)| Cmd::Reschedule(s, l)),
        1 => any::<bool>().prop_map(Cmd::Automation),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_command_sequences_keep_the_invariants(
        steps in prop::collection::vec((-5i64..90, command()), 1..30),
    ) {
        let fx = Fixture::new();
        let mut current = fx.window();
        let mut now = at(0);
        let mut reschedules = 0;
        for (advance, cmd) in steps {
            now += SignedDuration::from_mins(advance);
            let was = current.clone();
            let result = match &cmd {
                Cmd::Update(state) => post(&was, *state, now),
                Cmd::Reschedule(start, length) => {
                    let starts_at = now + SignedDuration::from_mins(*start);
                    let input = Reschedule {
                        starts_at,
                        ends_at: starts_at + SignedDuration::from_mins(*length),
                        details: None,
                        channels: Channels::default(),
                    };
                    fx.reschedule(&was, input, now)
                }
                Cmd::Automation(on) => maintenance::set_automation(&was, *on, now),
            };
            // A finished window refuses everything; an update is refused exactly when the
            // table says so.
            if was.state.is_final() {
                prop_assert_eq!(result, Err(DomainError::MaintenanceFinished(was.state)));
                continue;
            }
            if let Cmd::Update(state) = cmd {
                let target = state.unwrap_or(was.state);
                prop_assert_eq!(result.is_ok(), was.state.can_move_to(target));
            }
            let Ok(decision) = result else { continue };
            let next = decision.maintenance;
            let changed = next != was;
            prop_assert_eq!(decision.events.len(), usize::from(changed));
            if let Some(event) = decision.events.first() {
                let kind = match cmd {
                    Cmd::Update(_) => EventKind::MaintenanceUpdated,
                    Cmd::Reschedule(..) => EventKind::MaintenanceRescheduled,
                    Cmd::Automation(_) => EventKind::MaintenanceAutomationChanged,
                };
                prop_assert_eq!(event.kind, kind);
                prop_assert_eq!(event.before.clone(), Some(serde_json::to_value(&was).unwrap()));
            }
            if matches!(cmd, Cmd::Reschedule(..)) && changed {
                reschedules += 1;
            }

            // The invariants.
            prop_assert_eq!(next.sequence, reschedules);
            prop_assert!(next.ends_at > next.starts_at);
            prop_assert!(!next.updates.is_empty());
            prop_assert_eq!(next.updates.last().unwrap().state, next.state);
            prop_assert!(next.updates.windows(2).all(|w| w[0].at <= w[1].at));
            prop_assert!(next.updated_at >= next.updates.last().unwrap().at);
            prop_assert_eq!(next.updates[..was.updates.len()].to_vec(), was.updates.clone());
            prop_assert_eq!(
                next.started_at.is_some(),
                next.updates.iter().any(|u| u.state == InProgress)
            );
            prop_assert_eq!(next.ended_at.is_some(), next.state.is_final());
            prop_assert_eq!(next.holds().count(), if next.is_active() { 2 } else { 0 });
            if was.is_active() {
                prop_assert_eq!(next.starts_at, was.starts_at, "an active window keeps its start");
            }
            current = next;
        }
    }
}
