//! Subscribers from sign-up to removal, and the delivery records a fan-out leaves.
use herald_core::broadcast::Subject;
use herald_core::status::StatusLevel;
use herald_core::subscriber::{Channel, NewSubscriber, SubscriberState, WebhookFormat};
use herald_store::{
    BatchRecord, JobKind, Outcome, RecipientOutcome, RecipientQuery, Settled, Store,
    SubscribeRequest, SubscriberPatch, SubscriberQuery,
};
use jiff::SignedDuration;

use super::{
    ADMIN, all_events, assert_conflict, assert_not_found, events_after, held, incident, kinds,
    new_component, new_incident, new_page, only, refused, t,
};

fn new(channel: Channel, address: &str, confirmed: bool) -> NewSubscriber {
    NewSubscriber {
        channel,
        address: address.into(),
        format: WebhookFormat::default(),
        components: vec![],
        confirmed,
    }
}

fn query(channel: Option<Channel>, after: Option<&str>, limit: u32) -> SubscriberQuery {
    SubscriberQuery {
        channel,
        limit,
        after: after.map(str::to_string),
    }
}

/// Whose confirmation emails are queued at `now`, claimed so they are not seen twice.
async fn confirmations(store: &dyn Store, now: jiff::Timestamp) -> Vec<String> {
    let jobs = store
        .claim_jobs(now, 100, now + SignedDuration::from_mins(1))
        .await
        .expect("jobs claimed");
    let mut who = Vec::new();
    for job in jobs.into_iter().filter(|j| j.kind == JobKind::Confirmation) {
        who.extend(job.subscriber_id.clone());
        store.finish_job(job.lease).await.expect("finished");
    }
    who
}

pub async fn subscribers(store: &dyn Store) {
    let page = new_page(store, "subs", t(0)).await;
    let other = new_page(store, "other", t(0)).await;
    let hook = store
        .create_subscriber(
            ADMIN,
            &page.id,
            new(Channel::Webhook, "https://hooks.example.com/a", false),
            t(0),
        )
        .await
        .expect("webhook added");
    let first_secret = hook.secret.clone().expect("a webhook's secret, shown once");
    assert!(first_secret.starts_with("whsec_"), "{first_secret}");
    let hook = hook.subscriber;
    assert_eq!(hook.state, SubscriberState::Active);
    let mail = store
        .create_subscriber(
            ADMIN,
            &page.id,
            new(Channel::Email, "ops@example.com", true),
            t(0),
        )
        .await
        .expect("email added")
        .subscriber;
    assert_eq!(
        (mail.state, mail.confirmed_at),
        (SubscriberState::Active, Some(t(0)))
    );
    assert!(
        confirmations(store, t(0)).await.is_empty(),
        "trusted adds are not asked"
    );

    // Listed in id order, by channel, a page at a time; found by id on any page.
    let listed = store
        .subscribers(&page.id, query(None, None, 10))
        .await
        .unwrap();
    let mut ids = vec![hook.id.clone(), mail.id.clone()];
    ids.sort();
    assert_eq!(listed.iter().map(|s| s.id.clone()).collect::<Vec<_>>(), ids);
    let hooks = store
        .subscribers(&page.id, query(Some(Channel::Webhook), None, 10))
        .await;
    assert_eq!(hooks.unwrap(), vec![hook.clone()]);
    let second = store
        .subscribers(&page.id, query(None, Some(&ids[0]), 1))
        .await;
    assert_eq!(
        second.unwrap().iter().map(|s| &s.id).collect::<Vec<_>>(),
        [&ids[1]]
    );
    assert!(
        store
            .subscribers(&other.id, query(None, None, 10))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.subscriber(None, &hook.id).await.unwrap(), hook);
    let elsewhere = store
        .subscriber(Some(&other.id), &hook.id)
        .await
        .unwrap_err();
    assert_not_found(&elsewhere, "subscriber", &hook.id);

    // The public form: a pending subscriber asked to confirm, not asked again within ten
    // minutes, and an active one left alone.
    let asked = store.request_subscription(&page.id, " Visitor@Example.com ".into(), vec![], t(1));
    let SubscribeRequest::Created(visitor) = asked.await.unwrap() else {
        panic!("a new address is a new subscriber");
    };
    assert_eq!(visitor.state, SubscriberState::Pending);
    assert_eq!(confirmations(store, t(1)).await, [visitor.id.as_str()]);
    let again = store.request_subscription(&page.id, visitor.address.clone(), vec![], t(5));
    assert!(matches!(again.await.unwrap(), SubscribeRequest::Pending(_)));
    assert!(
        confirmations(store, t(5)).await.is_empty(),
        "asked five minutes ago"
    );
    let later = store.request_subscription(&page.id, visitor.address.clone(), vec![], t(11));
    assert!(matches!(later.await.unwrap(), SubscribeRequest::Pending(_)));
    assert_eq!(confirmations(store, t(11)).await, [visitor.id.as_str()]);
    let known = store.request_subscription(&page.id, "ops@example.com".into(), vec![], t(11));
    assert!(matches!(known.await.unwrap(), SubscribeRequest::Active(_)));

    // Confirmed once by its owner; the second click changes nothing.
    let last = store.last_event_id().await.unwrap();
    let confirmed = store.confirm_subscriber(&visitor.id, t(12)).await.unwrap();
    assert_eq!(
        (confirmed.state, confirmed.confirmed_at),
        (SubscriberState::Active, Some(t(12)))
    );
    let event = only(events_after(store, last).await);
    assert_eq!(event.kind, "subscriber.confirmed");
    assert_eq!(event.actor, format!("subscriber:{}", visitor.id));
    assert_eq!(
        store.confirm_subscriber(&visitor.id, t(13)).await.unwrap(),
        confirmed
    );
    assert!(events_after(store, event.id).await.is_empty());

    // A changed email address goes back to pending and is asked again; a taken one is refused.
    let patch = |address: &str| SubscriberPatch {
        address: Some(address.into()),
        ..SubscriberPatch::default()
    };
    let moved = store.update_subscriber(
        ADMIN,
        &page.id,
        &visitor.id,
        patch("new@example.com"),
        t(14),
    );
    let moved = moved.await.unwrap();
    assert_eq!(
        (moved.state, moved.confirmed_at),
        (SubscriberState::Pending, None)
    );
    assert_eq!(confirmations(store, t(14)).await, [visitor.id.as_str()]);
    let taken = store.update_subscriber(
        ADMIN,
        &page.id,
        &visitor.id,
        patch("ops@example.com"),
        t(15),
    );
    assert_conflict(&refused(store, taken).await);

    // A webhook's secret rotates; the old one signs on beside it. Email has none.
    let rotated = store
        .rotate_subscriber_secret(ADMIN, &page.id, &hook.id, t(16))
        .await
        .unwrap();
    let new_secret = rotated.secret.expect("the new secret, shown once");
    let target = store
        .target(&hook.id, t(16))
        .await
        .unwrap()
        .expect("a target");
    assert_eq!(target.secrets, [new_secret.clone(), first_secret.clone()]);
    let after_a_day = store
        .target(&hook.id, t(16 + 24 * 60 + 1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after_a_day.secrets, [new_secret]);
    let no_secret = store.rotate_subscriber_secret(ADMIN, &page.id, &mail.id, t(16));
    let err = refused(store, no_secret).await;
    assert_conflict(&err);

    // A fan-out reaches the active subscribers on the broadcast's channels; the pending one
    // waits for its confirmation.
    let api = new_component(store, &page.id, "API", &[], t(20)).await;
    let hit = vec![held(
        &api.locations[0].id,
        StatusLevel::PartialServiceDisruption,
    )];
    let declared = new_incident(store, &page.id, incident("Errors", 2, hit), t(20)).await;
    let jobs = store.claim_jobs(t(20), 10, t(21)).await.unwrap();
    let fanout = jobs
        .into_iter()
        .find(|j| j.kind == JobKind::Fanout)
        .expect("a fan-out");
    let broadcast = store
        .broadcast(fanout.broadcast_id.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(
        (broadcast.subject, broadcast.subject_id.as_str()),
        (Subject::Incident, declared.id.as_str())
    );
    let batch = store
        .fanout_batch(&broadcast, None, 10, t(20))
        .await
        .unwrap();
    let reached: Vec<&str> = batch.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(reached, ids.iter().map(String::as_str).collect::<Vec<_>>());
    let rest = store
        .fanout_batch(&broadcast, Some(&ids[0]), 10, t(20))
        .await
        .unwrap();
    assert_eq!(rest.len(), 1);

    // The webhook answers 410 Gone and is disabled; the email is delivered.
    let settled = |id: &str, channel, outcome| Settled {
        subscriber_id: id.into(),
        channel,
        outcome,
        failing: false,
    };
    let gone = Outcome::Failed {
        error: "410 Gone".into(),
        disable: true,
    };
    let record = BatchRecord {
        lease: fanout.lease,
        broadcast_id: broadcast.id.clone(),
        cursor: Some(ids[1].clone()),
        settled: vec![
            settled(&hook.id, Channel::Webhook, gone),
            settled(&mail.id, Channel::Email, Outcome::Delivered),
        ],
        handed_off: vec![],
        lease_until: None,
    };
    store.record_batch(record, t(20)).await.unwrap();
    let all = RecipientQuery {
        channel: None,
        after: None,
        limit: 10,
    };
    let page_of = store
        .recipients(&page.id, &broadcast.id, all.clone())
        .await
        .unwrap();
    let outcomes: Vec<(&str, RecipientOutcome)> = page_of
        .recipients
        .iter()
        .map(|r| (r.subscriber_id.as_str(), r.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            (hook.id.as_str(), RecipientOutcome::Failed),
            (mail.id.as_str(), RecipientOutcome::Delivered)
        ],
        "failures first"
    );
    assert_eq!(
        page_of.recipients[0].subscriber_state,
        Some(SubscriberState::Disabled)
    );
    assert_eq!(page_of.next, None);
    let off = store.subscriber(Some(&page.id), &hook.id).await.unwrap();
    assert_eq!(
        (off.state, off.disabled_reason.as_deref()),
        (SubscriberState::Disabled, Some("410 Gone"))
    );
    let disabled = all_events(store).await;
    assert_eq!(
        disabled.last().map(|e| (e.kind.as_str(), e.actor.as_str())),
        Some(("subscriber.disabled", "system"))
    );

    // Enabled again, its failure streak forgotten; enabling twice records nothing.
    let on = store
        .enable_subscriber(ADMIN, &page.id, &hook.id, t(30))
        .await
        .unwrap();
    assert_eq!(
        (on.state, on.disabled_reason.as_deref(), on.failing_since),
        (SubscriberState::Active, None, None)
    );
    let last = store.last_event_id().await.unwrap();
    assert_eq!(
        store
            .enable_subscriber(ADMIN, &page.id, &hook.id, t(31))
            .await
            .unwrap(),
        on
    );
    assert_eq!(store.last_event_id().await.unwrap(), last);

    // Removed: gone from lists and deliveries, and audited.
    store
        .delete_subscriber(ADMIN, &page.id, &hook.id, t(32))
        .await
        .unwrap();
    assert_eq!(
        kinds(&events_after(store, last).await),
        ["subscriber.deleted"]
    );
    assert_not_found(
        &store.subscriber(None, &hook.id).await.unwrap_err(),
        "subscriber",
        &hook.id,
    );
    assert_eq!(store.target(&hook.id, t(32)).await.unwrap(), None);
    let err = refused(
        store,
        store.delete_subscriber(ADMIN, &page.id, &hook.id, t(33)),
    )
    .await;
    assert_not_found(&err, "subscriber", &hook.id);
    let after = store
        .recipients(&page.id, &broadcast.id, all)
        .await
        .unwrap();
    assert_eq!(
        after.recipients[0].channel, None,
        "a removed subscriber's record stays"
    );

    // The key that signs subscribers' links is made once and kept.
    let key = store.link_key().await.unwrap();
    assert_eq!(key.len(), 32);
    assert_eq!(store.link_key().await.unwrap(), key);
}
