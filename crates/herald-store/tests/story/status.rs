use herald_core::incident::IncidentState;
use herald_core::status::StatusLevel::{
    self, DegradedPerformance, Operational, PartialServiceDisruption, ServiceDisruption,
};
use herald_core::status::{ComponentStatus, LocationStatus, PageStatus};
use herald_store::Store;

use super::*;

fn location(id: &str, level: StatusLevel, override_level: Option<StatusLevel>) -> LocationStatus {
    LocationStatus {
        location_id: id.into(),
        level,
        override_level,
    }
}

fn of(id: &str, level: StatusLevel, locations: Vec<LocationStatus>) -> ComponentStatus {
    ComponentStatus {
        component_id: id.into(),
        level,
        locations,
    }
}

/// The displayed level of every location is derived from what holds it: the worst of the
/// active incidents holding it and its override. Resolving an incident releases its
/// locations in one step.
pub async fn derived_status(store: &dyn Store) {
    new_page(store, "acme", t(0)).await;
    let api = new_component(store, "acme", "API", &["US East", "EU"], t(0)).await;
    let web = new_component(store, "acme", "Web", &[], t(0)).await;
    let (us, eu, site) = (
        api.locations[0].id.as_str(),
        api.locations[1].id.as_str(),
        web.locations[0].id.as_str(),
    );
    let status = |level,
                  api_level,
                  us_level,
                  eu_level,
                  web_level,
                  site_level,
                  overrides: [Option<StatusLevel>; 3]| PageStatus {
        level,
        components: vec![
            of(
                &api.id,
                api_level,
                vec![
                    location(us, us_level, overrides[0]),
                    location(eu, eu_level, overrides[1]),
                ],
            ),
            of(
                &web.id,
                web_level,
                vec![location(site, site_level, overrides[2])],
            ),
        ],
    };

    let all_fine = status(
        Operational,
        Operational,
        Operational,
        Operational,
        Operational,
        Operational,
        [None; 3],
    );
    assert_eq!(store.page_status("acme").await.unwrap(), all_fine);

    // Two incidents hold US East; the worse level shows.
    let a = new_incident(
        store,
        "acme",
        incident("A", 1, vec![held(us, PartialServiceDisruption)]),
        t(1),
    )
    .await;
    let b = new_incident(
        store,
        "acme",
        incident(
            "B",
            2,
            vec![held(us, DegradedPerformance), held(site, ServiceDisruption)],
        ),
        t(2),
    )
    .await;
    assert_eq!(
        store.page_status("acme").await.unwrap(),
        status(
            ServiceDisruption,
            PartialServiceDisruption,
            PartialServiceDisruption,
            Operational,
            ServiceDisruption,
            ServiceDisruption,
            [None; 3]
        )
    );

    // Overrides: a worse one shows; a better one does not hide what an incident holds.
    store
        .set_override(RESPONDER, "acme", eu, Some(DegradedPerformance), t(3))
        .await
        .unwrap();
    store
        .set_override(RESPONDER, "acme", us, Some(Operational), t(3))
        .await
        .unwrap();
    let overrides = [Some(Operational), Some(DegradedPerformance), None];
    assert_eq!(
        store.page_status("acme").await.unwrap(),
        status(
            ServiceDisruption,
            PartialServiceDisruption,
            PartialServiceDisruption,
            DegradedPerformance,
            ServiceDisruption,
            ServiceDisruption,
            overrides
        )
    );

    // Resolving B releases the site at once; US East stays held by A.
    let resolved = resolve(store, "acme", &b.id, t(4)).await;
    assert_eq!(
        resolved.affected,
        vec![held(us, Operational), held(site, Operational)]
    );
    assert_eq!(
        store.page_status("acme").await.unwrap(),
        status(
            PartialServiceDisruption,
            PartialServiceDisruption,
            PartialServiceDisruption,
            DegradedPerformance,
            Operational,
            Operational,
            overrides
        )
    );

    // Resolving A releases US East; the EU override still holds the EU.
    resolve(store, "acme", &a.id, t(5)).await;
    assert_eq!(
        store.page_status("acme").await.unwrap(),
        status(
            DegradedPerformance,
            DegradedPerformance,
            Operational,
            DegradedPerformance,
            Operational,
            Operational,
            overrides
        )
    );

    // Reopening B holds its locations again, at their levels from before the resolution.
    let reopen = draft(
        IncidentState::Identified,
        "It is back.",
        herald_core::incident::StatusChange::Keep,
    );
    store
        .post_update(RESPONDER, "acme", &b.id, reopen, t(6))
        .await
        .unwrap();
    assert_eq!(
        store.page_status("acme").await.unwrap(),
        status(
            ServiceDisruption,
            DegradedPerformance,
            DegradedPerformance,
            DegradedPerformance,
            ServiceDisruption,
            ServiceDisruption,
            overrides
        )
    );
    resolve(store, "acme", &b.id, t(7)).await;

    // Clearing the overrides: everything operational again.
    store
        .set_override(RESPONDER, "acme", eu, None, t(8))
        .await
        .unwrap();
    store
        .set_override(RESPONDER, "acme", us, None, t(8))
        .await
        .unwrap();
    assert_eq!(store.page_status("acme").await.unwrap(), all_fine);
    assert_not_found(
        &store.page_status("nope").await.unwrap_err(),
        "page",
        "nope",
    );
}

/// A severity 3 incident declared within 3 hours after a severity 2 or 3 incident closed is
/// raised to severity 2, with the reason recorded; later, it stays severity 3.
pub async fn repeat_severity(store: &dyn Store) {
    new_page(store, "acme", t(0)).await;
    let loc = new_component(store, "acme", "API", &[], t(0))
        .await
        .locations[0]
        .id
        .clone();
    let affected = || vec![held(&loc, DegradedPerformance)];

    // A severity 3 incident closes when it is resolved.
    let first = new_incident(store, "acme", incident("First", 3, affected()), t(0)).await;
    let first = resolve(store, "acme", &first.id, t(60)).await;
    assert_eq!(first.resolved_at, Some(t(60)));
    assert_eq!(first.closed_at(), first.resolved_at);

    // The preview shows the raise too.
    let preview = store
        .preview_incident(
            RESPONDER,
            "acme",
            incident("Again", 3, affected()),
            t(60 + 179),
        )
        .await
        .unwrap();
    assert_eq!(preview.incident.severity, sev(2));

    // 2 hours 59 minutes after: raised.
    let again = new_incident(store, "acme", incident("Again", 3, affected()), t(60 + 179)).await;
    assert_eq!(again.severity, sev(2));
    let reason = again.severity_reason.clone().expect("a reason");
    assert!(reason.contains("raised from severity 3 to 2"), "{reason}");
    assert!(reason.contains(&first.id), "{reason}");
    assert_eq!(store.incident("acme", &again.id).await.unwrap(), again);
    let event = only(events_after(store, store.last_event_id().await.unwrap() - 1).await);
    assert_eq!(event.kind, "incident.created");
    assert_eq!(event.note.as_deref(), Some(reason.as_str()));

    // 3 hours 1 minute after: stays severity 3 (the raised one is still active, so it does not
    // count either).
    let later = new_incident(store, "acme", incident("Later", 3, affected()), t(60 + 181)).await;
    assert_eq!(
        (later.severity, later.severity_reason.clone()),
        (sev(3), None)
    );
    assert_eq!(store.incident("acme", &later.id).await.unwrap(), later);
    let event = only(events_after(store, store.last_event_id().await.unwrap() - 1).await);
    assert_eq!(event.note, None);

    // Severity 2 closes 30 minutes after resolution, and the window counts from the close.
    new_page(store, "beta", t(0)).await;
    let beta = new_component(store, "beta", "Web", &[], t(0))
        .await
        .locations[0]
        .id
        .clone();
    let major = new_incident(
        store,
        "beta",
        incident("Major", 2, vec![held(&beta, ServiceDisruption)]),
        t(0),
    )
    .await;
    let major = resolve(store, "beta", &major.id, t(60)).await;
    assert_eq!(major.closed_at(), Some(t(90)));
    let repeat = new_incident(
        store,
        "beta",
        incident("Repeat", 3, vec![held(&beta, DegradedPerformance)]),
        t(60 + 200),
    )
    .await;
    assert_eq!(repeat.severity, sev(2));
    assert!(
        repeat
            .severity_reason
            .as_deref()
            .is_some_and(|r| r.contains(&major.id))
    );

    // Another page's history does not count.
    new_page(store, "gamma", t(0)).await;
    let gamma = new_component(store, "gamma", "Docs", &[], t(0))
        .await
        .locations[0]
        .id
        .clone();
    let fresh = new_incident(
        store,
        "gamma",
        incident("Fresh", 3, vec![held(&gamma, DegradedPerformance)]),
        t(61),
    )
    .await;
    assert_eq!((fresh.severity, fresh.severity_reason), (sev(3), None));
}
