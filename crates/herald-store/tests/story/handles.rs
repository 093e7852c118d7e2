use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use herald_core::access::Role;
use herald_core::component::{Component, Group};
use herald_core::incident::{Incident, IncidentState, StatusChange};
use herald_core::page::{Page, PageFields, PageSettings};
use herald_core::status::PageStatus;
use herald_core::status::StatusLevel::{
    DegradedPerformance, PartialServiceDisruption, ServiceDisruption,
};
use herald_store::{EventRecord, IncidentQuery, NewComponent, Store, Token, watch_changes};
use tokio::sync::Notify;
use tokio::time::timeout;

use super::*;

/// How long the change watcher may take to report a change it polls for every 100 ms.
const WITHIN: Duration = Duration::from_secs(1);

/// Two handles on one database, as the CLI and a running server hold them: what one writes,
/// the other reads at once, and the other's change watcher reports it.
pub async fn two_handles(one: Arc<dyn Store>, other: Arc<dyn Store>) {
    let page = new_page(&*one, "acme", t(0)).await;
    assert_eq!(other.page("acme").await.unwrap(), page);
    let first = one.last_event_id().await.unwrap();
    assert_eq!(first, 1);
    assert_eq!(other.last_event_id().await.unwrap(), first);

    let mut changes = watch_changes(
        other.clone(),
        Duration::from_millis(100),
        Arc::new(Notify::new()),
    );
    let caught_up = timeout(WITHIN, changes.wait_for(|id| *id == first)).await;
    drop(
        caught_up
            .expect("the watcher reads the log")
            .expect("the watcher runs"),
    );

    // One writes; the other's watcher and reads see it.
    let api = new_component(&*one, "acme", "API", &["US East", "EU"], t(1)).await;
    let second = one.last_event_id().await.unwrap();
    assert_eq!(second, first + 1);
    let seen = timeout(WITHIN, changes.changed()).await;
    seen.expect("the change is seen within a second")
        .expect("the watcher runs");
    assert_eq!(*changes.borrow_and_update(), second);
    assert_eq!(other.last_event_id().await.unwrap(), second);
    assert_eq!(other.components("acme").await.unwrap(), vec![api.clone()]);

    // And the other way round.
    let us = api.locations[0].id.clone();
    let outage = new_incident(
        &*other,
        "acme",
        incident("Outage", 1, vec![held(&us, ServiceDisruption)]),
        t(2),
    )
    .await;
    assert_eq!(one.incident("acme", &outage.id).await.unwrap(), outage);
    assert_eq!(
        one.page_status("acme").await.unwrap().level,
        ServiceDisruption
    );
    let seen = timeout(WITHIN, changes.changed()).await;
    seen.expect("the change is seen within a second")
        .expect("the watcher runs");
    assert_eq!(*changes.borrow_and_update(), second + 1);
    assert_eq!(one.last_event_id().await.unwrap(), second + 1);

    // A watcher that polls rarely still sees a change at once when nudged after a write.
    let nudge = Arc::new(Notify::new());
    let mut nudged = watch_changes(one.clone(), Duration::from_secs(3600), nudge.clone());
    drop(
        timeout(WITHIN, nudged.wait_for(|id| *id == second + 1))
            .await
            .expect("first look"),
    );
    new_component(&*one, "acme", "Nudged", &[], t(2)).await;
    nudge.notify_one();
    let seen = timeout(WITHIN, nudged.changed()).await;
    seen.expect("the nudge wakes the watcher")
        .expect("the watcher runs");
    assert_eq!(*nudged.borrow_and_update(), second + 2);
    drop(
        timeout(WITHIN, changes.changed())
            .await
            .expect("the poller sees it too"),
    );

    // Both writing at once: every write lands whole, one after another.
    let before = one.last_event_id().await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = if i % 2 == 0 {
            one.clone()
        } else {
            other.clone()
        };
        tasks.push(tokio::spawn(async move {
            new_component(&*store, "acme", &format!("Component {i}"), &[], t(3)).await
        }));
    }
    for task in tasks {
        task.await.expect("the write task ran");
    }
    assert_eq!(one.last_event_id().await.unwrap(), before + 20);
    assert_eq!(other.last_event_id().await.unwrap(), before + 20);
    let ids: Vec<i64> = events_after(&*other, before)
        .await
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(ids, (before + 1..=before + 20).collect::<Vec<_>>());
    let listed = other.components("acme").await.unwrap();
    assert_eq!(listed, one.components("acme").await.unwrap());
    let positions: BTreeSet<i64> = listed.iter().map(|c| c.position).collect();
    assert_eq!(
        positions,
        (1..=22).collect::<BTreeSet<_>>(),
        "each write saw the one before"
    );
    let seen = timeout(WITHIN, changes.wait_for(|id| *id == before + 20)).await;
    drop(
        seen.expect("the writes are seen within a second")
            .expect("the watcher runs"),
    );
}

/// Everything readable about a database, to compare before and after it is reopened.
#[derive(Debug, PartialEq)]
pub struct Contents {
    pages: Vec<Page>,
    groups: Vec<Vec<Group>>,
    components: Vec<Vec<Component>>,
    statuses: Vec<PageStatus>,
    incidents: Vec<Vec<Incident>>,
    tokens: Vec<Token>,
    events: Vec<EventRecord>,
    last_event_id: i64,
}

async fn contents(store: &dyn Store) -> Contents {
    let pages = store.pages().await.unwrap();
    let mut out = Contents {
        pages: pages.clone(),
        groups: vec![],
        components: vec![],
        statuses: vec![],
        incidents: vec![],
        tokens: store.tokens().await.unwrap(),
        events: all_events(store).await,
        last_event_id: store.last_event_id().await.unwrap(),
    };
    for page in &pages {
        out.groups.push(store.groups(&page.id).await.unwrap());
        out.components
            .push(store.components(&page.id).await.unwrap());
        out.statuses
            .push(store.page_status(&page.id).await.unwrap());
        out.incidents.push(
            store
                .incidents(&page.id, IncidentQuery::default())
                .await
                .unwrap(),
        );
    }
    out
}

/// What [`durability_fill`] wrote, for [`durability_check`] to find again.
#[derive(Debug)]
pub struct Durable {
    contents: Contents,
    live: (String, String),
    revoked: (String, String),
}

/// Writes a little of everything.
pub async fn durability_fill(store: &dyn Store) -> Durable {
    let mut settings = PageSettings {
        default_subject: "Acme status".into(),
        ..PageSettings::default()
    };
    settings.cadence.sev2.monitoring = 45;
    let fields = PageFields {
        slug: "acme".into(),
        name: "Acme Cloud".into(),
        time_zone: "America/New_York".into(),
        settings,
    };
    store.create_page(ADMIN, fields, t(0)).await.unwrap();
    new_page(store, "beta", t(1)).await;
    let api = store
        .create_component(
            ADMIN,
            "acme",
            NewComponent {
                group_name: Some("Backend".into()),
                ..component("API", &["US East", "EU"])
            },
            t(1),
        )
        .await
        .unwrap();
    let web = new_component(store, "acme", "Web", &[], t(1)).await;
    new_component(store, "beta", "Docs", &[], t(1)).await;
    let (us, eu, site) = (
        &api.locations[0].id,
        &api.locations[1].id,
        &web.locations[0].id,
    );
    store
        .set_override(RESPONDER, "acme", eu, Some(DegradedPerformance), t(2))
        .await
        .unwrap();

    let active = new_incident(
        store,
        "acme",
        incident("Active", 1, vec![held(us, ServiceDisruption)]),
        t(3),
    )
    .await;
    let update = draft(
        IncidentState::Monitoring,
        "Monitoring for 30 minutes.",
        StatusChange::Each(vec![held(site, PartialServiceDisruption)]),
    );
    store
        .post_update(RESPONDER, "acme", &active.id, update, t(4))
        .await
        .unwrap();
    let done = new_incident(
        store,
        "acme",
        incident("Done", 3, vec![held(site, DegradedPerformance)]),
        t(5),
    )
    .await;
    resolve(store, "acme", &done.id, t(6)).await;
    let url = "https://example.com/pm/done".to_string();
    store
        .set_postmortem(ADMIN, "acme", &done.id, url, t(7))
        .await
        .unwrap();

    let live = store
        .create_token(ADMIN, "live".into(), Role::Admin, t(8))
        .await
        .unwrap();
    let revoked = store
        .create_token(ADMIN, "old".into(), Role::Viewer, t(9))
        .await
        .unwrap();
    store
        .revoke_token(ADMIN, &revoked.token.id, t(9))
        .await
        .unwrap();
    assert!(
        store
            .authenticate(Some(&live.token.id), &live.secret, t(10))
            .await
            .unwrap()
            .is_some()
    );

    let contents = contents(store).await;
    assert_eq!(contents.pages.len(), 2);
    assert_eq!(contents.incidents[0].len(), 2);
    assert_eq!(contents.incidents[0][1].updates.len(), 2);
    assert_eq!(contents.tokens[0].last_used_at, Some(t(10)));
    assert_eq!(contents.pages[0].slug, "acme");
    assert_eq!(contents.last_event_id, 15);
    Durable {
        contents,
        live: (live.token.id, live.secret),
        revoked: (revoked.token.id, revoked.secret),
    }
}

/// Finds everything [`durability_fill`] wrote, through a newly opened store, and goes on.
pub async fn durability_check(store: &dyn Store, durable: Durable) {
    assert_eq!(contents(store).await, durable.contents);
    let (id, secret) = &durable.live;
    let token = store
        .authenticate(Some(id), secret, t(20))
        .await
        .unwrap()
        .expect("the live token");
    assert_eq!(token.name, "live");
    let (id, secret) = &durable.revoked;
    assert_eq!(
        store.authenticate(Some(id), secret, t(20)).await.unwrap(),
        None
    );

    // The log goes on where it stopped.
    let last = durable.contents.last_event_id;
    new_component(store, "beta", "Blog", &[], t(21)).await;
    let event = only(events_after(store, last).await);
    assert_eq!(
        (event.id, event.kind.as_str()),
        (last + 1, "component.created")
    );
}
