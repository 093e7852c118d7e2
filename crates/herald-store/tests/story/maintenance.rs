use herald_core::DomainError;
use herald_core::incident::Channels;
use herald_core::maintenance::{
    Maintenance, MaintenanceDraft, MaintenanceState, MaintenanceUpdate, NewMaintenance, Reschedule,
};
use herald_core::status::StatusLevel::{
    self, DegradedPerformance, Operational, ServiceDisruption, UnderMaintenance,
};
use herald_store::{MaintenanceFilter, MaintenanceQuery, Store};
use jiff::{SignedDuration, Timestamp};

use super::*;

use MaintenanceState::{Cancelled, Completed, InProgress, Scheduled, Verifying};

fn window(
    title: &str,
    affected: &[&str],
    starts_at: Timestamp,
    ends_at: Timestamp,
) -> NewMaintenance {
    NewMaintenance {
        title: title.into(),
        details: format!("We will carry out: {title}."),
        affected: affected.iter().map(|id| id.to_string()).collect(),
        starts_at,
        ends_at,
        automation: true,
        reminders: None,
        channels: Channels::default(),
    }
}

async fn new_window(
    store: &dyn Store,
    page: &str,
    new: NewMaintenance,
    now: Timestamp,
) -> Maintenance {
    store
        .schedule_maintenance(RESPONDER, page, new, now)
        .await
        .expect("window scheduled")
}

fn step(state: Option<MaintenanceState>, details: &str) -> MaintenanceDraft {
    MaintenanceDraft {
        state,
        details: details.into(),
        channels: Channels::default(),
        confirm_duplicate_email: true,
    }
}

async fn moved(
    store: &dyn Store,
    page: &str,
    id: &str,
    state: MaintenanceState,
    now: Timestamp,
) -> Maintenance {
    store
        .post_maintenance_update(RESPONDER, page, id, step(Some(state), "Moving on."), now)
        .await
        .expect("update posted")
}

fn times(starts_at: Timestamp, ends_at: Timestamp) -> Reschedule {
    Reschedule {
        starts_at,
        ends_at,
        details: None,
        channels: Channels::default(),
    }
}

fn query(filter: MaintenanceFilter, limit: u32, before: Option<&Maintenance>) -> MaintenanceQuery {
    MaintenanceQuery {
        filter,
        limit,
        before: before.map(|m| m.id.clone()),
    }
}

/// A window from scheduling to deletion: what each command returns is what a later read
/// returns, every change is in the audit log, and what the rules refuse leaves nothing behind.
pub async fn maintenance_lifecycle(store: &dyn Store) {
    let page = new_page(store, "acme", t(0)).await;
    let db = new_component(store, "acme", "Database", &["Primary", "Replica"], t(0)).await;
    let (primary, replica) = (db.locations[0].id.clone(), db.locations[1].id.clone());

    // Schedule.
    let mut new = window(" Database upgrade ", &[&replica, &primary], t(60), t(120));
    new.details = "We will upgrade the **database**.".into();
    new.channels.sms = false;
    let scheduled = store
        .schedule_maintenance(RESPONDER, "acme", new, t(0))
        .await
        .unwrap();
    assert!(is_id(&scheduled.id) && is_id(&scheduled.updates[0].id));
    let first = MaintenanceUpdate {
        id: scheduled.updates[0].id.clone(),
        state: Scheduled,
        details: "We will upgrade the **database**.".into(),
        channels: Channels {
            sms: false,
            ..Channels::default()
        },
        author: RESPONDER.into(),
        at: t(0),
    };
    assert_eq!(
        scheduled,
        Maintenance {
            id: scheduled.id.clone(),
            page_id: page.id.clone(),
            title: "Database upgrade".into(),
            affected: vec![replica.clone(), primary.clone()],
            starts_at: t(60),
            ends_at: t(120),
            state: Scheduled,
            automation: true,
            sequence: 0,
            reminders: vec![4320, 1440, 60],
            updates: vec![first.clone()],
            created_at: t(0),
            updated_at: t(0),
            started_at: None,
            ended_at: None,
        }
    );
    let id = scheduled.id.clone();
    assert_eq!(store.maintenance("acme", &id).await.unwrap(), scheduled);
    assert_eq!(store.maintenance(&page.id, &id).await.unwrap(), scheduled);

    // An update that does not start it.
    let noted = store
        .post_maintenance_update(RESPONDER, "acme", &id, step(None, "A reminder."), t(10))
        .await
        .unwrap();
    assert_eq!(noted.state, Scheduled);
    assert_eq!(noted.updates.len(), 2);
    assert_eq!(noted.updates[1].details, "A reminder.");
    assert_eq!(store.maintenance("acme", &id).await.unwrap(), noted);

    // Reschedule: the sequence rises and the timeline says the new time.
    let later = store
        .reschedule_maintenance(RESPONDER, "acme", &id, times(t(90), t(150)), t(20))
        .await
        .unwrap();
    assert_eq!(
        (later.starts_at, later.ends_at, later.sequence),
        (t(90), t(150), 1)
    );
    assert_eq!(
        later.updates[2].details,
        "Rescheduled: now planned from 2026-03-01 13:30 UTC to 2026-03-01 14:30 UTC."
    );
    assert_eq!(later.updates[..2], noted.updates[..]);
    assert_eq!(store.maintenance("acme", &id).await.unwrap(), later);

    // The same times, or the same automation, again: nothing changes, nothing is recorded.
    let last = store.last_event_id().await.unwrap();
    let same = store
        .reschedule_maintenance(RESPONDER, "acme", &id, times(t(90), t(150)), t(21))
        .await
        .unwrap();
    assert_eq!(same, later);
    let manual = store
        .set_maintenance_automation(ADMIN, "acme", &id, false, t(25))
        .await
        .unwrap();
    assert_eq!(
        manual,
        Maintenance {
            automation: false,
            updated_at: t(25),
            ..later.clone()
        }
    );
    assert_eq!(last + 1, store.last_event_id().await.unwrap());
    store
        .set_maintenance_automation(ADMIN, "acme", &id, false, t(26))
        .await
        .unwrap();
    assert_eq!(last + 1, store.last_event_id().await.unwrap());
    assert_eq!(store.maintenance("acme", &id).await.unwrap(), manual);

    // Start early, extend, verify, complete.
    let started = moved(store, "acme", &id, InProgress, t(85)).await;
    assert_eq!(
        (started.started_at, started.starts_at),
        (Some(t(85)), t(90))
    );
    let extended = store
        .reschedule_maintenance(RESPONDER, "acme", &id, times(t(90), t(180)), t(100))
        .await
        .unwrap();
    assert_eq!(
        (extended.ends_at, extended.sequence, extended.state),
        (t(180), 2, InProgress)
    );
    let err = refused(
        store,
        store.reschedule_maintenance(RESPONDER, "acme", &id, times(t(95), t(180)), t(101)),
    )
    .await;
    assert_invalid(&err, "starts_at");
    moved(store, "acme", &id, Verifying, t(150)).await;
    let completed = moved(store, "acme", &id, Completed, t(160)).await;
    assert_eq!(
        (completed.state, completed.ended_at),
        (Completed, Some(t(160)))
    );
    assert_eq!(completed.updates.len(), 7);
    assert_eq!(store.maintenance("acme", &id).await.unwrap(), completed);

    // A finished window does not change any more.
    let finished = DomainError::MaintenanceFinished(Completed);
    let again = step(Some(InProgress), "Once more.");
    let err = refused(
        store,
        store.post_maintenance_update(RESPONDER, "acme", &id, again, t(170)),
    )
    .await;
    assert_domain(&err, finished.clone());
    let err = refused(
        store,
        store.reschedule_maintenance(RESPONDER, "acme", &id, times(t(300), t(360)), t(170)),
    )
    .await;
    assert_domain(&err, finished.clone());
    let err = refused(
        store,
        store.set_maintenance_automation(ADMIN, "acme", &id, true, t(170)),
    )
    .await;
    assert_domain(&err, finished);

    // Schedules and updates the rules refuse.
    let refusals = [
        (window(" ", &[&primary], t(200), t(260)), "title"),
        (window("Empty", &[], t(200), t(260)), "affected"),
        (
            window("Twice", &[&primary, &primary], t(200), t(260)),
            "affected",
        ),
        (window("Backwards", &[&primary], t(200), t(190)), "ends_at"),
        (
            window("Yesterday", &[&primary], t(100), t(260)),
            "starts_at",
        ),
    ];
    for (new, field) in refusals {
        let err = refused(
            store,
            store.schedule_maintenance(RESPONDER, "acme", new, t(170)),
        )
        .await;
        assert_invalid(&err, field);
    }
    let nowhere = window("Nowhere", &["nowhere"], t(200), t(260));
    let err = refused(
        store,
        store.schedule_maintenance(RESPONDER, "acme", nowhere, t(170)),
    )
    .await;
    assert_domain(&err, DomainError::UnknownLocation("nowhere".into()));
    let next = new_window(
        store,
        "acme",
        window("Next", &[&primary], t(200), t(260)),
        t(170),
    )
    .await;
    let finish = step(Some(Completed), "Done before it began?");
    let err = refused(
        store,
        store.post_maintenance_update(RESPONDER, "acme", &next.id, finish, t(171)),
    )
    .await;
    assert_domain(
        &err,
        DomainError::MaintenanceTransition {
            from: Scheduled,
            to: Completed,
        },
    );
    let err = refused(
        store,
        store.post_maintenance_update(RESPONDER, "acme", &next.id, step(None, " "), t(171)),
    )
    .await;
    assert_invalid(&err, "details");

    // Windows belong to their page, and name only its locations.
    new_page(store, "beta", t(172)).await;
    assert_not_found(
        &store.maintenance("beta", &id).await.unwrap_err(),
        "maintenance window",
        &id,
    );
    let err = refused(
        store,
        store.post_maintenance_update(RESPONDER, "beta", &next.id, step(None, "Hi."), t(173)),
    )
    .await;
    assert_not_found(&err, "maintenance window", &next.id);
    let foreign = window("Foreign", &[&primary], t(200), t(260));
    let err = refused(
        store,
        store.schedule_maintenance(RESPONDER, "beta", foreign, t(173)),
    )
    .await;
    assert_domain(&err, DomainError::UnknownLocation(primary.clone()));

    // Times finer than the store keeps read back as returned.
    let fine = t(300) + SignedDuration::from_nanos(123_456_789);
    let precise = new_window(
        store,
        "acme",
        window("Fine", &[&primary], fine, t(360)),
        t(174),
    )
    .await;
    assert_eq!(
        store.maintenance("acme", &precise.id).await.unwrap(),
        precise
    );

    // Delete.
    store
        .delete_maintenance(ADMIN, "acme", &id, t(180))
        .await
        .unwrap();
    assert_not_found(
        &store.maintenance("acme", &id).await.unwrap_err(),
        "maintenance window",
        &id,
    );
    let err = refused(store, store.delete_maintenance(ADMIN, "acme", &id, t(181))).await;
    assert_not_found(&err, "maintenance window", &id);
    let listed = store
        .maintenances("acme", MaintenanceQuery::default(), t(181))
        .await
        .unwrap();
    assert_eq!(listed, vec![precise, next]);

    // The window's whole history, in the audit log.
    let history: Vec<_> = all_events(store)
        .await
        .into_iter()
        .filter(|e| e.subject_id == id)
        .collect();
    assert_eq!(
        kinds(&history),
        [
            "maintenance.scheduled",
            "maintenance.updated",
            "maintenance.rescheduled",
            "maintenance.automation_changed",
            "maintenance.updated",
            "maintenance.rescheduled",
            "maintenance.updated",
            "maintenance.updated",
            "maintenance.deleted",
        ]
    );
    for event in &history {
        assert_eq!(event.subject_type, "maintenance");
        assert_eq!(event.page_id.as_deref(), Some(page.id.as_str()));
    }
    assert_eq!(history[0].before, None);
    assert_eq!(history[0].after, Some(json(&scheduled)));
    assert_eq!(history[3].actor, ADMIN);
    assert_eq!(history[3].before, Some(json(&later)));
    assert_eq!(history[3].after, Some(json(&manual)));
    assert_eq!(history[8].before, Some(json(&completed)));
    assert_eq!(history[8].after, None);
}

/// Listing: upcoming, active and past as the core defines them at the time asked about,
/// latest planned start first, with keyset pagination.
pub async fn maintenance_listing(store: &dyn Store) {
    new_page(store, "acme", t(0)).await;
    let db = new_component(store, "acme", "Database", &[], t(0)).await;
    let loc = db.locations[0].id.clone();
    let plan = |title: &str, start: i64, end: i64| window(title, &[&loc], t(start), t(end));
    let ahead = new_window(store, "acme", plan("Ahead", 200, 260), t(0)).await;
    let soon = new_window(store, "acme", plan("Soon", 100, 160), t(0)).await;
    let dropped = new_window(store, "acme", plan("Dropped", 70, 80), t(0)).await;
    let running = new_window(store, "acme", plan("Running", 60, 120), t(0)).await;
    let missed = new_window(store, "acme", plan("Missed", 30, 40), t(0)).await;
    let dropped = moved(store, "acme", &dropped.id, Cancelled, t(5)).await;
    let running = moved(store, "acme", &running.id, InProgress, t(10)).await;

    let titles = |list: &[Maintenance]| list.iter().map(|m| m.title.clone()).collect::<Vec<_>>();
    use MaintenanceFilter::{Active, All, Past, Upcoming};
    let list = |filter: MaintenanceFilter, limit: u32, before: Option<&Maintenance>, now| {
        store.maintenances("acme", query(filter, limit, before), now)
    };

    let all = list(All, 50, None, t(50)).await.unwrap();
    assert_eq!(
        all,
        vec![
            ahead.clone(),
            soon.clone(),
            dropped.clone(),
            running.clone(),
            missed.clone()
        ],
        "latest planned start first, as stored"
    );
    assert_eq!(
        titles(&list(Upcoming, 50, None, t(50)).await.unwrap()),
        ["Ahead", "Soon"]
    );
    assert_eq!(
        titles(&list(Active, 50, None, t(50)).await.unwrap()),
        ["Running"]
    );
    assert_eq!(
        titles(&list(Past, 50, None, t(50)).await.unwrap()),
        ["Dropped", "Missed"]
    );

    // Each filter is exactly the core's rule, at any time.
    for minute in [0, 35, 50, 130, 159, 160, 300] {
        let now = t(minute);
        for filter in [Upcoming, Active, Past] {
            let expected: Vec<Maintenance> = all
                .iter()
                .filter(|m| match filter {
                    Upcoming => m.is_upcoming(now),
                    Active => m.is_active(),
                    Past => m.is_past(now),
                    All => true,
                })
                .cloned()
                .collect();
            let got = list(filter, 50, None, now).await.unwrap();
            assert_eq!(got, expected, "{filter:?} at minute {minute}");
        }
    }
    // A start that passed unstarted is upcoming until the planned end, then past.
    assert_eq!(
        titles(&list(Upcoming, 50, None, t(130)).await.unwrap()),
        ["Ahead", "Soon"]
    );
    assert_eq!(
        titles(&list(Upcoming, 50, None, t(160)).await.unwrap()),
        ["Ahead"]
    );

    // Pages of two, each continuing after the last window of the one before.
    let first = list(All, 2, None, t(50)).await.unwrap();
    assert_eq!(titles(&first), ["Ahead", "Soon"]);
    let second = list(All, 2, first.last(), t(50)).await.unwrap();
    assert_eq!(titles(&second), ["Dropped", "Running"]);
    let third = list(All, 2, second.last(), t(50)).await.unwrap();
    assert_eq!(titles(&third), ["Missed"]);
    assert_eq!(list(All, 2, third.last(), t(50)).await.unwrap(), vec![]);
    assert_eq!(
        titles(&list(Past, 1, Some(&soon), t(50)).await.unwrap()),
        ["Dropped"]
    );
    let unknown = MaintenanceQuery {
        before: Some("nope".into()),
        ..MaintenanceQuery::default()
    };
    let err = store
        .maintenances("acme", unknown, t(50))
        .await
        .unwrap_err();
    assert_not_found(&err, "maintenance window", "nope");

    // Two windows planned for the same instant: the cursor still visits each exactly once.
    new_window(store, "acme", plan("Tie A", 500, 560), t(0)).await;
    new_window(store, "acme", plan("Tie B", 500, 560), t(0)).await;
    let one = list(All, 1, None, t(50)).await.unwrap();
    let two = list(All, 1, one.last(), t(50)).await.unwrap();
    let three = list(All, 1, two.last(), t(50)).await.unwrap();
    let mut seen = titles(&[one, two].concat());
    seen.sort();
    assert_eq!(seen, ["Tie A", "Tie B"]);
    assert_eq!(titles(&three), ["Ahead"]);

    // Another page lists only its own, and a window of this one is no cursor there.
    new_page(store, "beta", t(0)).await;
    let web = new_component(store, "beta", "Web", &[], t(0)).await;
    let beta = new_window(
        store,
        "beta",
        window("Beta", &[&web.locations[0].id], t(100), t(110)),
        t(0),
    )
    .await;
    assert_eq!(
        store
            .maintenances("beta", MaintenanceQuery::default(), t(50))
            .await
            .unwrap(),
        vec![beta.clone()]
    );
    let err = store
        .maintenances("beta", query(All, 5, Some(&ahead)), t(50))
        .await
        .unwrap_err();
    assert_not_found(&err, "maintenance window", &ahead.id);
    let acme = list(All, 50, None, t(50)).await.unwrap();
    assert!(acme.iter().all(|m| m.id != beta.id));
}

/// A window in progress or verifying holds its locations under maintenance, beside what
/// incidents and overrides hold; finishing it releases them. Components it names stay.
pub async fn maintenance_holds(store: &dyn Store) {
    new_page(store, "acme", t(0)).await;
    let api = new_component(store, "acme", "API", &["US", "EU"], t(0)).await;
    let web = new_component(store, "acme", "Web", &[], t(0)).await;
    let (us, eu, site) = (
        api.locations[0].id.clone(),
        api.locations[1].id.clone(),
        web.locations[0].id.clone(),
    );
    // The levels of US, EU and the website, and of the page.
    let levels = || async {
        let status = store.page_status("acme").await.unwrap();
        let of = |c: usize, l: usize| status.components[c].locations[l].level;
        ([of(0, 0), of(0, 1), of(1, 0)], status.level)
    };
    let all_fine: ([StatusLevel; 3], StatusLevel) = ([Operational; 3], Operational);

    let upgrade = new_window(
        store,
        "acme",
        window("Upgrade", &[&us, &site], t(60), t(120)),
        t(0),
    )
    .await;
    let other = new_window(store, "acme", window("Other", &[&eu], t(60), t(120)), t(0)).await;
    assert_eq!(levels().await, all_fine, "a scheduled window holds nothing");

    moved(store, "acme", &upgrade.id, InProgress, t(60)).await;
    assert_eq!(
        levels().await,
        (
            [UnderMaintenance, Operational, UnderMaintenance],
            UnderMaintenance
        )
    );

    // An incident worse than maintenance shows over it; an override as well.
    let outage = new_incident(
        store,
        "acme",
        incident("US down", 1, vec![held(&us, ServiceDisruption)]),
        t(70),
    )
    .await;
    store
        .set_override(RESPONDER, "acme", &eu, Some(DegradedPerformance), t(71))
        .await
        .unwrap();
    assert_eq!(
        levels().await,
        (
            [ServiceDisruption, DegradedPerformance, UnderMaintenance],
            ServiceDisruption
        )
    );
    moved(store, "acme", &upgrade.id, Verifying, t(80)).await;
    assert_eq!(
        levels().await.0[2],
        UnderMaintenance,
        "verifying still holds"
    );

    // Completing releases the window's locations; the incident still holds US.
    moved(store, "acme", &upgrade.id, Completed, t(90)).await;
    assert_eq!(
        levels().await,
        (
            [ServiceDisruption, DegradedPerformance, Operational],
            ServiceDisruption
        )
    );
    resolve(store, "acme", &outage.id, t(91)).await;
    store
        .set_override(RESPONDER, "acme", &eu, None, t(92))
        .await
        .unwrap();
    assert_eq!(levels().await, all_fine);

    // Cancelling a window in progress releases its locations too.
    moved(store, "acme", &other.id, InProgress, t(93)).await;
    assert_eq!(levels().await.0[1], UnderMaintenance);
    moved(store, "acme", &other.id, Cancelled, t(94)).await;
    assert_eq!(levels().await, all_fine);

    // A component a window names cannot be deleted, even after the window finished; the
    // incident's own reference is named beside it.
    let err = refused(store, store.delete_component(ADMIN, "acme", &web.id, t(95))).await;
    assert_conflict(&err);
    assert!(err.to_string().contains("1 maintenance window(s)"), "{err}");
    let err = refused(store, store.delete_component(ADMIN, "acme", &api.id, t(95))).await;
    assert!(
        err.to_string()
            .contains("1 incident(s) and 2 maintenance window(s)"),
        "{err}"
    );
    store
        .delete_maintenance(ADMIN, "acme", &upgrade.id, t(96))
        .await
        .unwrap();
    store
        .delete_component(ADMIN, "acme", &web.id, t(97))
        .await
        .unwrap();
    assert_eq!(store.components("acme").await.unwrap().len(), 1);
}

/// A window run by Herald: its reminders replaced, then the reminder and the start carried out
/// from their jobs, each once; the window found by id lists and by a message's id.
pub async fn maintenance_automation(store: &dyn Store) {
    new_page(store, "acme", t(0)).await;
    let api = new_component(store, "acme", "API", &[], t(0)).await;
    let planned = window("Database upgrade", &[&api.locations[0].id], t(60), t(120));
    let m = new_window(store, "acme", planned, t(0)).await;

    let last = store.last_event_id().await.unwrap();
    let changed = store.set_maintenance_reminders(RESPONDER, "acme", &m.id, vec![30, 30], t(1));
    let changed = changed.await.unwrap();
    assert_eq!(changed.reminders, [30], "each reminder once");
    assert_eq!(
        kinds(&events_after(store, last).await),
        ["maintenance.reminders_changed"]
    );
    let bad = store.set_maintenance_reminders(RESPONDER, "acme", &m.id, vec![0], t(1));
    refused(store, bad).await;

    let ids = |filter| store.maintenance_ids("acme", filter, t(1));
    assert_eq!(ids(MaintenanceFilter::All).await.unwrap(), [m.id.as_str()]);
    assert_eq!(
        ids(MaintenanceFilter::Upcoming).await.unwrap(),
        [m.id.as_str()]
    );
    assert!(ids(MaintenanceFilter::Past).await.unwrap().is_empty());
    let message = &changed.updates[0].id;
    let found = store.maintenance_by_update("acme", message).await.unwrap();
    assert_eq!(found.id, m.id);
    let err = store
        .maintenance_by_update("acme", "0123456789abcdef01234567")
        .await;
    assert!(matches!(err, Err(StoreError::NotFound { .. })), "{err:?}");

    // Due at t(30): the reminder, with its broadcast; a second run of the job does nothing.
    let claim = |now: Timestamp| store.claim_jobs(now, 10, now + SignedDuration::from_mins(1));
    let jobs = claim(t(30)).await.unwrap();
    let reminder = jobs
        .iter()
        .find(|j| j.kind == herald_store::JobKind::MaintenanceReminder);
    let reminder = reminder.expect("the reminder's job").lease;
    let last = store.last_event_id().await.unwrap();
    assert!(store.run_maintenance_job(reminder, t(30)).await.unwrap());
    assert_eq!(
        kinds(&events_after(store, last).await),
        ["maintenance.reminded"]
    );
    let again = store.run_maintenance_job(reminder, t(30)).await;
    assert!(
        matches!(again, Err(StoreError::LeaseLost { .. })),
        "{again:?}"
    );
    let next = claim(t(31)).await.unwrap();
    assert!(
        next.iter().any(|j| j.kind == herald_store::JobKind::Fanout),
        "{next:?}"
    );

    // Due at t(60): the start.
    let jobs = claim(t(60)).await.unwrap();
    let start = jobs
        .iter()
        .find(|j| j.kind == herald_store::JobKind::MaintenanceStart);
    assert!(
        store
            .run_maintenance_job(start.expect("the start's job").lease, t(60))
            .await
            .unwrap()
    );
    let started = store.maintenance("acme", &m.id).await.unwrap();
    assert_eq!(
        (started.state, started.started_at),
        (InProgress, Some(t(60)))
    );
    assert_eq!(
        ids(MaintenanceFilter::Active).await.unwrap(),
        [m.id.as_str()]
    );
}
