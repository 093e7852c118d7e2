use herald_core::component::{Component, DEFAULT_LOCATION_NAME, Group, Location};
use herald_core::incident::IncidentEdit;
use herald_core::status::StatusLevel::{DegradedPerformance, ServiceDisruption};
use herald_store::{ComponentPatch, NewComponent, Store};

use super::*;

/// Groups, components and locations: defaults, reuse of groups by name, additions,
/// overrides, updates, and what is refused.
pub async fn components(store: &dyn Store) {
    let page = new_page(store, "acme", t(0)).await;
    let other = new_page(store, "other", t(0)).await;

    // No locations given: one default location, whose id is stable.
    let api = store
        .create_component(
            ADMIN,
            "acme",
            NewComponent {
                name: " API ".into(),
                description: "Public REST API".into(),
                ..NewComponent::default()
            },
            t(1),
        )
        .await
        .unwrap();
    assert!(is_id(&api.id));
    assert_eq!(api.locations.len(), 1);
    let default = api.locations[0].clone();
    assert!(is_id(&default.id));
    assert_eq!(
        api,
        Component {
            id: api.id.clone(),
            page_id: page.id.clone(),
            group_id: None,
            name: "API".into(),
            description: "Public REST API".into(),
            position: 1,
            locations: vec![Location {
                id: default.id.clone(),
                component_id: api.id.clone(),
                name: DEFAULT_LOCATION_NAME.into(),
                position: 0,
                override_level: None,
            }],
            created_at: t(1),
            updated_at: t(1),
        }
    );
    assert_eq!(DEFAULT_LOCATION_NAME, "Default");
    assert_eq!(store.component("acme", &api.id).await.unwrap(), api);
    assert_eq!(store.component(&page.id, &api.id).await.unwrap(), api);
    assert_eq!(store.components("acme").await.unwrap(), vec![api.clone()]);

    // Named locations, trimmed, in the order given.
    let web = new_component(store, "acme", "Web", &["US East", " EU "], t(2)).await;
    let names: Vec<_> = web
        .locations
        .iter()
        .map(|l| (l.name.as_str(), l.position))
        .collect();
    assert_eq!(names, [("US East", 0), ("EU", 1)]);
    assert!(
        web.locations
            .iter()
            .all(|l| l.component_id == web.id && is_id(&l.id))
    );
    assert_ne!(web.locations[0].id, web.locations[1].id);
    assert_eq!(web.position, 2);
    assert_eq!(store.component("acme", &web.id).await.unwrap(), web);

    // A group by name: created with the component, in the same transaction.
    let last = store.last_event_id().await.unwrap();
    let mut new = component("Database", &[]);
    new.group_name = Some("Backend".into());
    let db = store
        .create_component(ADMIN, "acme", new, t(3))
        .await
        .unwrap();
    let backend = Group {
        id: db.group_id.clone().expect("a group"),
        page_id: page.id.clone(),
        name: "Backend".into(),
        position: 1,
        created_at: t(3),
        updated_at: t(3),
    };
    assert_eq!(store.groups("acme").await.unwrap(), vec![backend.clone()]);
    let appended = events_after(store, last).await;
    assert_eq!(kinds(&appended), ["group.created", "component.created"]);
    assert_eq!(appended[0].subject_id, backend.id);
    assert_eq!(appended[1].subject_id, db.id);

    // ... and reused when the page has one of that name.
    let last = store.last_event_id().await.unwrap();
    let mut new = component("Cache", &[]);
    new.group_name = Some(" Backend ".into());
    let cache = store
        .create_component(ADMIN, "acme", new, t(4))
        .await
        .unwrap();
    assert_eq!(cache.group_id.as_deref(), Some(backend.id.as_str()));
    assert_eq!(store.groups("acme").await.unwrap(), vec![backend.clone()]);
    assert_eq!(
        kinds(&events_after(store, last).await),
        ["component.created"]
    );

    // Groups by id; a group of another page is not this page's.
    let frontend = store
        .create_group(ADMIN, "acme", "Frontend".into(), t(5))
        .await
        .unwrap();
    assert_eq!((frontend.name.as_str(), frontend.position), ("Frontend", 2));
    assert_eq!(
        store.groups("acme").await.unwrap(),
        vec![backend.clone(), frontend.clone()]
    );
    let elsewhere = store
        .create_group(ADMIN, "other", "Elsewhere".into(), t(5))
        .await
        .unwrap();
    let mut new = component("Queue", &[]);
    new.group_id = Some(elsewhere.id.clone());
    let err = refused(store, store.create_component(ADMIN, "acme", new, t(5))).await;
    assert_not_found(&err, "group", &elsewhere.id);
    assert_conflict(
        &refused(
            store,
            store.create_group(ADMIN, "acme", "Backend".into(), t(5)),
        )
        .await,
    );
    assert_invalid(
        &refused(store, store.create_group(ADMIN, "acme", " ".into(), t(5))).await,
        "name",
    );

    // Invalid components.
    assert_invalid(
        &refused(
            store,
            store.create_component(ADMIN, "acme", component("  ", &[]), t(5)),
        )
        .await,
        "name",
    );
    assert_invalid(
        &refused(
            store,
            store.create_component(ADMIN, "acme", component("Mail", &["EU", "eu"]), t(5)),
        )
        .await,
        "locations",
    );
    let err = refused(
        store,
        store.create_component(ADMIN, "nope", component("Mail", &[]), t(5)),
    )
    .await;
    assert_not_found(&err, "page", "nope");

    // Adding a location keeps the existing ones, ids and all.
    let api2 = store
        .add_location(ADMIN, "acme", &api.id, "EU".into(), t(6))
        .await
        .unwrap();
    assert_eq!(api2.locations.len(), 2);
    assert_eq!(api2.locations[0], default);
    assert_eq!(
        (api2.locations[1].name.as_str(), api2.locations[1].position),
        ("EU", 1)
    );
    assert_eq!(store.component("acme", &api.id).await.unwrap(), api2);
    let event = only(events_after(store, store.last_event_id().await.unwrap() - 1).await);
    assert_eq!(event.kind, "component.location_added");
    assert_eq!(event.before, Some(json(&api)));
    assert_eq!(event.after, Some(json(&api2)));
    for taken in ["EU", "eu", " EU "] {
        let err = refused(
            store,
            store.add_location(ADMIN, "acme", &web.id, taken.into(), t(6)),
        )
        .await;
        assert_invalid(&err, "locations");
    }
    let err = refused(
        store,
        store.add_location(ADMIN, "other", &web.id, "APAC".into(), t(6)),
    )
    .await;
    assert_not_found(&err, "component", &web.id);
    assert_eq!(store.component("acme", &web.id).await.unwrap(), web);

    // Manual overrides: set, then clear.
    let eu = web.locations[1].id.clone();
    let set = store
        .set_override(RESPONDER, "acme", &eu, Some(DegradedPerformance), t(7))
        .await
        .unwrap();
    assert_eq!(set.locations[1].override_level, Some(DegradedPerformance));
    assert_eq!(set.locations[0].override_level, None);
    assert_eq!(
        Component {
            locations: web.locations.clone(),
            ..set.clone()
        },
        web
    );
    assert_eq!(store.component("acme", &web.id).await.unwrap(), set);
    let event = only(events_after(store, store.last_event_id().await.unwrap() - 1).await);
    assert_eq!(
        (event.kind.as_str(), event.actor.as_str()),
        ("location.override_set", RESPONDER)
    );
    let cleared = store
        .set_override(RESPONDER, "acme", &eu, None, t(8))
        .await
        .unwrap();
    assert_eq!(cleared, web);
    assert_eq!(store.component("acme", &web.id).await.unwrap(), web);
    let event = only(events_after(store, store.last_event_id().await.unwrap() - 1).await);
    assert_eq!(event.kind, "location.override_cleared");
    let err = refused(
        store,
        store.set_override(RESPONDER, "acme", "nope", Some(ServiceDisruption), t(8)),
    )
    .await;
    assert_not_found(&err, "location", "nope");
    let err = refused(
        store,
        store.set_override(RESPONDER, "other", &eu, Some(ServiceDisruption), t(8)),
    )
    .await;
    assert_not_found(&err, "location", &eu);

    // Updates.
    let patch = ComponentPatch {
        name: Some("Website".into()),
        description: Some("Marketing site".into()),
        group_id: Some(Some(frontend.id.clone())),
        position: Some(10),
    };
    let website = store
        .update_component(ADMIN, "acme", &web.id, patch, t(9))
        .await
        .unwrap();
    assert_eq!(
        website,
        Component {
            name: "Website".into(),
            description: "Marketing site".into(),
            group_id: Some(frontend.id.clone()),
            position: 10,
            updated_at: t(9),
            ..web.clone()
        }
    );
    assert_eq!(store.component("acme", &web.id).await.unwrap(), website);
    let patch = ComponentPatch {
        group_id: Some(None),
        ..ComponentPatch::default()
    };
    let ungrouped = store
        .update_component(ADMIN, "acme", &db.id, patch, t(10))
        .await
        .unwrap();
    assert_eq!(ungrouped.group_id, None);
    assert_eq!(store.component("acme", &db.id).await.unwrap(), ungrouped);
    let names: Vec<_> = store
        .components("acme")
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["API", "Database", "Cache", "Website"]);
    let patch = ComponentPatch {
        group_id: Some(Some(elsewhere.id.clone())),
        ..ComponentPatch::default()
    };
    let err = refused(
        store,
        store.update_component(ADMIN, "acme", &db.id, patch, t(11)),
    )
    .await;
    assert_not_found(&err, "group", &elsewhere.id);
    let patch = ComponentPatch {
        name: Some(String::new()),
        ..ComponentPatch::default()
    };
    assert_invalid(
        &refused(
            store,
            store.update_component(ADMIN, "acme", &db.id, patch, t(11)),
        )
        .await,
        "name",
    );
    let err = refused(
        store,
        store.update_component(ADMIN, "acme", "nope", ComponentPatch::default(), t(11)),
    )
    .await;
    assert_not_found(&err, "component", "nope");

    // Nothing of one page shows on another.
    assert_eq!(store.components("other").await.unwrap(), vec![]);
    assert_eq!(store.groups("other").await.unwrap(), vec![elsewhere]);
    assert_eq!(store.components(&other.id).await.unwrap(), vec![]);
}

/// A component is deleted only while no incident refers to it.
pub async fn component_deletion(store: &dyn Store) {
    new_page(store, "acme", t(0)).await;
    let api = new_component(store, "acme", "API", &[], t(1)).await;
    let cache = new_component(store, "acme", "Cache", &[], t(1)).await;
    let web = new_component(store, "acme", "Web", &["US", "EU"], t(1)).await;

    // Nothing refers to the cache.
    store
        .delete_component(ADMIN, "acme", &cache.id, t(2))
        .await
        .unwrap();
    assert_not_found(
        &store.component("acme", &cache.id).await.unwrap_err(),
        "component",
        &cache.id,
    );
    assert_eq!(
        store.components("acme").await.unwrap(),
        vec![api.clone(), web.clone()]
    );
    let event = only(events_after(store, store.last_event_id().await.unwrap() - 1).await);
    assert_eq!(event.kind, "component.deleted");
    assert_eq!(
        (event.subject_type.as_str(), event.subject_id.as_str()),
        ("component", cache.id.as_str())
    );
    assert_eq!(event.before, Some(json(&cache)));
    assert_eq!(event.after, None);
    let err = refused(
        store,
        store.delete_component(ADMIN, "acme", &cache.id, t(2)),
    )
    .await;
    assert_not_found(&err, "component", &cache.id);

    // An incident holds the API: refused, while active and after resolution alike.
    let held_api = held(&api.locations[0].id, ServiceDisruption);
    let outage = new_incident(store, "acme", incident("API down", 1, vec![held_api]), t(3)).await;
    assert_conflict(&refused(store, store.delete_component(ADMIN, "acme", &api.id, t(4))).await);
    resolve(store, "acme", &outage.id, t(5)).await;
    let err = refused(store, store.delete_component(ADMIN, "acme", &api.id, t(6))).await;
    assert_conflict(&err);
    assert!(err.to_string().contains("\"API\""), "{err}");
    assert_eq!(store.component("acme", &api.id).await.unwrap(), api);

    // Once the incident is gone, nothing refers to the API any more.
    store
        .delete_incident(ADMIN, "acme", &outage.id, t(7))
        .await
        .unwrap();
    store
        .delete_component(ADMIN, "acme", &api.id, t(8))
        .await
        .unwrap();
    assert_eq!(store.components("acme").await.unwrap(), vec![web.clone()]);

    // An incident moved off a location still tells, in its timeline, that it held it.
    let us = web.locations[0].id.clone();
    let other = new_component(store, "acme", "Mail", &[], t(9)).await;
    let mail = other.locations[0].id.clone();
    let moved = new_incident(
        store,
        "acme",
        incident("Wrong place", 1, vec![held(&us, ServiceDisruption)]),
        t(10),
    )
    .await;
    let edit = IncidentEdit {
        affected: Some(vec![mail.as_str().into()]),
        ..IncidentEdit::default()
    };
    let edited = store
        .edit_incident(RESPONDER, "acme", &moved.id, edit, t(11))
        .await
        .unwrap();
    assert_eq!(edited.affected, vec![held(&mail, ServiceDisruption)]);
    assert_eq!(edited.updates[0].levels, vec![held(&us, ServiceDisruption)]);
    let err = refused(store, store.delete_component(ADMIN, "acme", &web.id, t(12))).await;
    assert_conflict(&err);

    assert_conflict(
        &refused(
            store,
            store.delete_component(ADMIN, "acme", &other.id, t(13)),
        )
        .await,
    );
    assert_eq!(store.components("acme").await.unwrap(), vec![web, other]);

    let err = refused(store, store.delete_component(ADMIN, "acme", "nope", t(14))).await;
    assert_not_found(&err, "component", "nope");
}
