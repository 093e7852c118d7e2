use herald_core::access::Role;
use herald_core::incident::{IncidentEdit, IncidentState, StatusChange};
use herald_core::status::StatusLevel::{DegradedPerformance, ServiceDisruption};
use herald_store::{Change, EventQuery, EventRecord, IncidentQuery, PagePatch, Store};

use super::*;

/// Checks that exactly one event was appended since `last`, with these fields, and returns it.
async fn one_event(
    store: &dyn Store,
    last: i64,
    kind: &str,
    actor: &str,
    at: jiff::Timestamp,
    subject: (&str, &str),
) -> EventRecord {
    let event = only(events_after(store, last).await);
    assert_eq!(event.id, last + 1, "event ids follow one another");
    assert_eq!(store.last_event_id().await.unwrap(), event.id);
    assert_eq!(event.kind, kind);
    assert_eq!(event.actor, actor);
    assert_eq!(event.at, at);
    assert_eq!(
        (event.subject_type.as_str(), event.subject_id.as_str()),
        subject
    );
    let change = Change {
        id: event.id,
        page_id: event.page_id.clone(),
        kind: event.kind.clone(),
        subject_type: event.subject_type.clone(),
        subject_id: event.subject_id.clone(),
    };
    assert_eq!(store.changes(last, 10).await.unwrap(), [change]);
    assert_eq!(
        store.changes(last - 1, 1).await.unwrap().len(),
        1,
        "at most the limit"
    );
    event
}

/// What the audit log records of an incident on one side of a change: every field, and of its
/// timeline only the `newest` updates (the ones the change added).
fn changed(incident: &herald_core::incident::Incident, newest: usize) -> serde_json::Value {
    let mut incident = incident.clone();
    incident.updates.drain(..incident.updates.len() - newest);
    json(&incident)
}

/// Every write appends to the audit log (one event, or two when creating a component also
/// creates its group) with who, when, what, and the state before and after; reads append
/// nothing; the log can be read by page and from a position.
pub async fn audit_log(store: &dyn Store) {
    assert_eq!(store.last_event_id().await.unwrap(), 0);
    assert_eq!(all_events(store).await, vec![]);

    let page = new_page(store, "acme", t(0)).await;
    let event = one_event(store, 0, "page.created", ADMIN, t(0), ("page", &page.id)).await;
    assert_eq!(
        event,
        EventRecord {
            id: 1,
            page_id: Some(page.id.clone()),
            at: t(0),
            actor: ADMIN.into(),
            kind: "page.created".into(),
            subject_type: "page".into(),
            subject_id: page.id.clone(),
            note: None,
            before: None,
            after: Some(json(&page)),
        }
    );

    // A component with a new group: two events, in one transaction.
    let mut new = component("API", &["US East", "EU"]);
    new.group_name = Some("Backend".into());
    let api = store
        .create_component(RESPONDER, "acme", new, t(1))
        .await
        .unwrap();
    let group = store.groups("acme").await.unwrap().remove(0);
    let appended = events_after(store, 1).await;
    assert_eq!(appended.len(), 2);
    assert_eq!((appended[0].id, appended[1].id), (2, 3));
    assert_eq!(kinds(&appended), ["group.created", "component.created"]);
    assert_eq!(appended[0].subject_id, group.id);
    assert_eq!(appended[0].after, Some(json(&group)));
    assert_eq!(appended[1].subject_id, api.id);
    assert_eq!(
        (appended[1].before.clone(), appended[1].after.clone()),
        (None, Some(json(&api)))
    );
    assert!(
        appended
            .iter()
            .all(|e| e.actor == RESPONDER && e.at == t(1))
    );
    assert!(
        appended
            .iter()
            .all(|e| e.page_id.as_deref() == Some(page.id.as_str()))
    );
    let (us, eu) = (api.locations[0].id.clone(), api.locations[1].id.clone());

    let last = store.last_event_id().await.unwrap();
    let overridden = store
        .set_override(RESPONDER, "acme", &eu, Some(DegradedPerformance), t(2))
        .await
        .unwrap();
    let event = one_event(
        store,
        last,
        "location.override_set",
        RESPONDER,
        t(2),
        ("component", &api.id),
    )
    .await;
    assert_eq!(
        (event.before, event.after),
        (Some(json(&api)), Some(json(&overridden)))
    );

    // Tokens belong to no page; their events never carry the secret.
    let last = store.last_event_id().await.unwrap();
    let token = store
        .create_token(ADMIN, "ci".into(), Role::Responder, t(3))
        .await
        .unwrap();
    let event = one_event(
        store,
        last,
        "token.created",
        ADMIN,
        t(3),
        ("token", &token.token.id),
    )
    .await;
    assert_eq!(event.page_id, None);
    assert_eq!(
        (event.before.clone(), event.after.clone()),
        (None, Some(json(&token.token)))
    );
    assert!(
        !serde_json::to_string(&event)
            .unwrap()
            .contains(&token.secret)
    );
    let last = event.id;
    store
        .revoke_token(ADMIN, &token.token.id, t(4))
        .await
        .unwrap();
    let event = one_event(
        store,
        last,
        "token.revoked",
        ADMIN,
        t(4),
        ("token", &token.token.id),
    )
    .await;
    let revoked = store.tokens().await.unwrap().remove(0);
    assert_eq!(
        (event.before, event.after),
        (Some(json(&token.token)), Some(json(&revoked)))
    );
    assert!(revoked.revoked_at == Some(t(4)));

    // An incident's life, one event per command.
    let last = store.last_event_id().await.unwrap();
    let created = new_incident(
        store,
        "acme",
        incident("Errors", 2, vec![held(&us, ServiceDisruption)]),
        t(5),
    )
    .await;
    let event = one_event(
        store,
        last,
        "incident.created",
        RESPONDER,
        t(5),
        ("incident", &created.id),
    )
    .await;
    assert_eq!(
        (event.before, event.after, event.note),
        (None, Some(json(&created)), None)
    );

    let update = draft(IncidentState::Identified, "Found it.", StatusChange::Keep);
    let updated = store
        .post_update(RESPONDER, "acme", &created.id, update, t(6))
        .await
        .unwrap();
    let event = one_event(
        store,
        last + 1,
        "incident.updated",
        RESPONDER,
        t(6),
        ("incident", &created.id),
    )
    .await;
    assert_eq!(
        (event.before, event.after),
        (Some(changed(&created, 0)), Some(changed(&updated, 1)))
    );

    let resolved = resolve(store, "acme", &created.id, t(7)).await;
    let event = one_event(
        store,
        last + 2,
        "incident.resolved",
        RESPONDER,
        t(7),
        ("incident", &created.id),
    )
    .await;
    assert_eq!(
        (event.before, event.after),
        (Some(changed(&updated, 0)), Some(changed(&resolved, 1)))
    );

    let edit = IncidentEdit {
        title: Some("API errors".into()),
        ..IncidentEdit::default()
    };
    let edited = store
        .edit_incident(ADMIN, "acme", &created.id, edit, t(8))
        .await
        .unwrap();
    let event = one_event(
        store,
        last + 3,
        "incident.edited",
        ADMIN,
        t(8),
        ("incident", &created.id),
    )
    .await;
    assert_eq!(
        (event.before, event.after),
        (Some(changed(&resolved, 0)), Some(changed(&edited, 0)))
    );

    let url = "https://example.com/pm/1".to_string();
    let linked = store
        .set_postmortem(ADMIN, "acme", &created.id, url, t(9))
        .await
        .unwrap();
    let event = one_event(
        store,
        last + 4,
        "incident.postmortem_linked",
        ADMIN,
        t(9),
        ("incident", &created.id),
    )
    .await;
    assert_eq!(
        (event.before, event.after),
        (Some(changed(&edited, 0)), Some(changed(&linked, 0)))
    );

    store
        .delete_incident(ADMIN, "acme", &created.id, t(10))
        .await
        .unwrap();
    let event = one_event(
        store,
        last + 5,
        "incident.deleted",
        ADMIN,
        t(10),
        ("incident", &created.id),
    )
    .await;
    assert_eq!((event.before, event.after), (Some(json(&linked)), None));

    let last = store.last_event_id().await.unwrap();
    let patch = PagePatch {
        name: Some("Acme".into()),
        ..PagePatch::default()
    };
    let renamed = store
        .update_page(ADMIN, "acme", patch, t(11))
        .await
        .unwrap();
    let event = one_event(
        store,
        last,
        "page.updated",
        ADMIN,
        t(11),
        ("page", &page.id),
    )
    .await;
    assert_eq!(
        (event.before, event.after),
        (Some(json(&page)), Some(json(&renamed)))
    );

    // Reads and previews append nothing.
    let last = store.last_event_id().await.unwrap();
    store.pages().await.unwrap();
    store.page("acme").await.unwrap();
    store.components("acme").await.unwrap();
    store.groups("acme").await.unwrap();
    store.page_status("acme").await.unwrap();
    store
        .incidents("acme", IncidentQuery::default())
        .await
        .unwrap();
    store.tokens().await.unwrap();
    let new = incident("Preview", 3, vec![held(&us, DegradedPerformance)]);
    store
        .preview_incident(RESPONDER, "acme", new, t(12))
        .await
        .unwrap();
    assert_eq!(store.last_event_id().await.unwrap(), last);

    // Another page's events, and reading by page and position.
    let beta = new_page(store, "beta", t(13)).await;
    let web = new_component(store, "beta", "Web", &[], t(14)).await;
    let everything = all_events(store).await;
    assert_eq!(
        kinds(&everything),
        [
            "page.created",
            "group.created",
            "component.created",
            "location.override_set",
            "token.created",
            "token.revoked",
            "incident.created",
            "incident.updated",
            "incident.resolved",
            "incident.edited",
            "incident.postmortem_linked",
            "incident.deleted",
            "page.updated",
            "page.created",
            "component.created",
        ]
    );
    let ids: Vec<i64> = everything.iter().map(|e| e.id).collect();
    assert_eq!(ids, (1..=15).collect::<Vec<i64>>());
    assert_eq!(store.last_event_id().await.unwrap(), 15);

    let by_page = |page_id: &str, after, limit| EventQuery {
        page_id: Some(page_id.into()),
        after,
        limit,
    };
    let of_beta = store.events(by_page(&beta.id, 0, 100)).await.unwrap();
    assert_eq!(kinds(&of_beta), ["page.created", "component.created"]);
    assert_eq!(of_beta[1].subject_id, web.id);
    let of_acme = store.events(by_page(&page.id, 0, 100)).await.unwrap();
    let expected: Vec<_> = everything
        .iter()
        .filter(|e| e.page_id.as_deref() == Some(page.id.as_str()))
        .cloned()
        .collect();
    assert_eq!(of_acme, expected);
    assert_eq!(
        of_acme.len(),
        11,
        "all but the two token events and beta's two"
    );
    let acme_later = store.events(by_page(&page.id, 10, 100)).await.unwrap();
    assert_eq!(
        kinds(&acme_later),
        [
            "incident.postmortem_linked",
            "incident.deleted",
            "page.updated"
        ]
    );

    let after = store
        .events(EventQuery {
            page_id: None,
            after: 12,
            limit: 100,
        })
        .await
        .unwrap();
    assert_eq!(after, everything[12..].to_vec());
    let limited = store
        .events(EventQuery {
            page_id: None,
            after: 3,
            limit: 2,
        })
        .await
        .unwrap();
    assert_eq!(limited, everything[3..5].to_vec());
    assert_eq!(
        store
            .events(EventQuery {
                page_id: None,
                after: 15,
                limit: 100,
            })
            .await
            .unwrap(),
        vec![]
    );
    assert_eq!(
        store.events(EventQuery::default()).await.unwrap(),
        everything
    );
}
