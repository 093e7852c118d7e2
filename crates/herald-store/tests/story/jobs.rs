//! Job leases: a worker whose lease ran out, and whose job another claimed, writes nothing.
use herald_core::status::StatusLevel;
use herald_core::subscriber::{Channel, NewSubscriber, WebhookFormat};
use herald_store::{BatchRecord, Job, JobKind, Lease, Outcome, Settled, Store, StoreError};
use jiff::Timestamp;

use super::{ADMIN, held, incident, new_component, new_incident, new_page, t};

/// Claims every job due at `now`, each leased for a minute.
async fn claim(store: &dyn Store, now: Timestamp) -> Vec<Job> {
    store
        .claim_jobs(now, 100, now + jiff::SignedDuration::from_mins(1))
        .await
        .expect("jobs claimed")
}

async fn claim_one(store: &dyn Store, now: Timestamp, kind: JobKind) -> Job {
    let jobs = claim(store, now).await;
    let mut of_kind = jobs.into_iter().filter(|j| j.kind == kind);
    let job = of_kind.next().expect("a job of the kind is due");
    assert!(of_kind.next().is_none(), "one job of the kind");
    job
}

#[track_caller]
fn assert_lost(result: herald_store::Result<()>, lease: Lease) {
    match result {
        Err(StoreError::LeaseLost { job }) => assert_eq!(job, lease.job),
        other => panic!("a stale lease must write nothing, got {other:?}"),
    }
}

async fn pending_email(store: &dyn Store, page: &str, address: &str) -> String {
    let new = NewSubscriber {
        channel: Channel::Email,
        address: address.into(),
        format: WebhookFormat::default(),
        components: vec![],
        confirmed: false,
    };
    let created = store
        .create_subscriber(ADMIN, page, new, t(0))
        .await
        .expect("subscriber created");
    created.subscriber.id
}

pub async fn job_leases(store: &dyn Store) {
    let page = new_page(store, "leases", t(0)).await;
    let first = pending_email(store, &page.id, "first@example.com").await;

    // Claimed, then claimed again once the first lease ran out: a new lease on the same row.
    let stale = claim_one(store, t(1), JobKind::Confirmation).await;
    assert!(
        claim(store, t(1)).await.is_empty(),
        "a leased job is not due"
    );
    let current = claim_one(store, t(3), JobKind::Confirmation).await;
    assert_eq!(current.lease.job, stale.lease.job);
    assert_ne!(current.lease.token, stale.lease.token);

    // The stale worker can neither finish nor postpone it; the current one can.
    assert_lost(store.finish_job(stale.lease).await, stale.lease);
    let retried = store.retry_job(stale.lease, t(4), "stale".into()).await;
    assert_lost(retried, stale.lease);
    let postponed = store.retry_job(current.lease, t(10), "421 try later".into());
    postponed.await.expect("the holder postpones its job");
    assert!(claim(store, t(9)).await.is_empty(), "due again at t(10)");
    let again = claim_one(store, t(10), JobKind::Confirmation).await;
    assert_eq!(
        (again.attempts, again.subscriber_id.as_deref()),
        (1, Some(first.as_str()))
    );
    store.finish_job(again.lease).await.expect("finished");
    assert_lost(store.finish_job(again.lease).await, again.lease);

    // A new job may take the finished one's id (SQLite reuses the largest rowid): a late
    // write under the old lease still leaves it alone.
    let second = pending_email(store, &page.id, "second@example.com").await;
    assert_lost(store.finish_job(again.lease).await, again.lease);
    let next = claim_one(store, t(11), JobKind::Confirmation).await;
    assert_eq!(next.subscriber_id.as_deref(), Some(second.as_str()));
    store.finish_job(next.lease).await.expect("finished");

    // A fan-out: a stale worker moves neither its cursor nor its counters.
    let api = new_component(store, &page.id, "API", &[], t(20)).await;
    let hit = vec![held(&api.locations[0].id, StatusLevel::DegradedPerformance)];
    let declared = new_incident(store, &page.id, incident("Queue backlog", 2, hit), t(20)).await;
    let stale = claim_one(store, t(20), JobKind::Fanout).await;
    let current = claim_one(store, t(22), JobKind::Fanout).await;
    let broadcast_id = current.broadcast_id.clone().expect("a fan-out's broadcast");
    let batch = |lease: Lease, cursor: &str| BatchRecord {
        lease,
        broadcast_id: broadcast_id.clone(),
        cursor: Some(cursor.into()),
        settled: vec![Settled {
            subscriber_id: cursor.into(),
            channel: Channel::Webhook,
            outcome: Outcome::Delivered,
            failing: false,
        }],
        handed_off: vec![],
        lease_until: Some(t(30)),
    };
    let recorded = store.record_batch(batch(stale.lease, "stale-cursor"), t(22));
    assert_lost(recorded.await, stale.lease);
    let settled = Settled {
        subscriber_id: "someone".into(),
        channel: Channel::Webhook,
        outcome: Outcome::Delivered,
        failing: false,
    };
    let booked = store.settle_delivery(Some(stale.lease), &broadcast_id, settled, t(22));
    assert_lost(booked.await, stale.lease);
    let report = store.delivery_report(&page.id, &declared.id).await;
    let delivered: u64 = report
        .expect("a delivery report")
        .iter()
        .flat_map(|b| b.channels.iter().map(|c| c.delivered))
        .sum();
    assert_eq!(delivered, 0, "nothing booked under a stale lease");

    let recorded = store.record_batch(batch(current.lease, "current-cursor"), t(22));
    recorded.await.expect("the holder records its batch");
    let resumed = claim_one(store, t(30), JobKind::Fanout).await;
    assert_eq!(resumed.cursor.as_deref(), Some("current-cursor"));
    assert_lost(
        store
            .record_batch(batch(current.lease, "late"), t(30))
            .await,
        current.lease,
    );
}
