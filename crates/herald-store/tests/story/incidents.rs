use herald_core::DomainError;
use herald_core::incident::{
    Channels, Incident, IncidentEdit, IncidentState, NewIncident, StatusChange, Update, UpdateDraft,
};
use herald_core::lint::{MONITORING_NO_DURATION, RESOLVE_OVERRIDE_LEFT};
use herald_core::status::StatusLevel::{
    DegradedPerformance, Operational, PartialServiceDisruption, ServiceDisruption,
};
use herald_store::{IncidentFilter, IncidentQuery, IncidentSearch, Store};
use jiff::SignedDuration;

use super::*;

/// An incident from declaration to deletion: what each command returns is what a later read
/// returns, and what the rules refuse leaves nothing behind.
pub async fn incident_lifecycle(store: &dyn Store) {
    let page = new_page(store, "acme", t(0)).await;
    let api = new_component(store, "acme", "API", &["US East", "EU"], t(0)).await;
    let (us, eu) = (api.locations[0].id.clone(), api.locations[1].id.clone());

    // Declare.
    let mut new = incident(
        " Elevated API errors ",
        2,
        vec![held(&us, ServiceDisruption)],
    );
    new.details = "We are investigating elevated error rates.".into();
    new.channels.sms = false;
    let created = store
        .create_incident(RESPONDER, "acme", new, t(10))
        .await
        .unwrap();
    assert!(is_id(&created.id) && is_id(&created.updates[0].id));
    assert_ne!(created.id, created.updates[0].id);
    let first = Update {
        id: created.updates[0].id.clone(),
        state: IncidentState::Investigating,
        details: "We are investigating elevated error rates.".into(),
        levels: vec![held(&us, ServiceDisruption)],
        subject: "Service status update".into(),
        channels: Channels {
            sms: false,
            ..Channels::default()
        },
        author: RESPONDER.into(),
        at: t(10),
        next_update_in: None,
        edited_at: None,
    };
    assert_eq!(
        created,
        Incident {
            id: created.id.clone(),
            page_id: page.id.clone(),
            title: "Elevated API errors".into(),
            severity: sev(2),
            severity_reason: None,
            state: IncidentState::Investigating,
            affected: vec![held(&us, ServiceDisruption)],
            updates: vec![first.clone()],
            postmortem_url: None,
            recurrences: 0,
            created_at: t(10),
            updated_at: t(10),
            resolved_at: None,
            issue_link: None,
        }
    );
    assert_eq!(store.incident("acme", &created.id).await.unwrap(), created);
    assert_eq!(
        store.incident(&page.id, &created.id).await.unwrap(),
        created
    );

    // Update: the EU joins, with its own subject and a promised next update.
    let update = UpdateDraft {
        subject: Some("API errors".into()),
        next_update_in: Some(20),
        ..draft(
            IncidentState::Identified,
            "The cause is a bad deploy.",
            StatusChange::Each(vec![held(&eu, DegradedPerformance)]),
        )
    };
    let identified = store
        .post_update(RESPONDER, "acme", &created.id, update, t(20))
        .await
        .unwrap();
    let levels = vec![held(&us, ServiceDisruption), held(&eu, DegradedPerformance)];
    let second = Update {
        id: identified.updates[1].id.clone(),
        state: IncidentState::Identified,
        details: "The cause is a bad deploy.".into(),
        levels: levels.clone(),
        subject: "API errors".into(),
        channels: Channels::default(),
        author: RESPONDER.into(),
        at: t(20),
        next_update_in: Some(20),
        edited_at: None,
    };
    assert_eq!(
        identified,
        Incident {
            state: IncidentState::Identified,
            affected: levels,
            updates: vec![first.clone(), second.clone()],
            updated_at: t(20),
            ..created.clone()
        }
    );
    assert_eq!(
        store.incident("acme", &created.id).await.unwrap(),
        identified
    );

    // Resolve: every location returns to operational.
    let resolved = resolve(store, "acme", &created.id, t(30)).await;
    assert_eq!(resolved.state, IncidentState::Resolved);
    assert_eq!(resolved.resolved_at, Some(t(30)));
    assert_eq!(
        resolved.closed_at(),
        Some(t(60)),
        "severity 2 closes 30 minutes after resolution"
    );
    assert_eq!(
        resolved.affected,
        vec![held(&us, Operational), held(&eu, Operational)]
    );
    assert_eq!(resolved.updates.len(), 3);
    assert_eq!(resolved.updates[..2], [first.clone(), second.clone()]);
    assert_eq!(store.incident("acme", &created.id).await.unwrap(), resolved);
    let again = draft(
        IncidentState::Resolved,
        "Still resolved.",
        StatusChange::Keep,
    );
    let err = refused(
        store,
        store.post_update(RESPONDER, "acme", &created.id, again, t(31)),
    )
    .await;
    assert_domain(&err, DomainError::AlreadyResolved);

    // Edit title and severity, without a new update.
    let edit = IncidentEdit {
        title: Some("API errors in US East and EU".into()),
        severity: Some(sev(3)),
        affected: None,
        issue_link: None,
    };
    let edited = store
        .edit_incident(ADMIN, "acme", &created.id, edit, t(40))
        .await
        .unwrap();
    assert_eq!(
        edited,
        Incident {
            title: "API errors in US East and EU".into(),
            severity: sev(3),
            updated_at: t(40),
            ..resolved.clone()
        }
    );
    assert_eq!(store.incident("acme", &created.id).await.unwrap(), edited);
    let empty = IncidentEdit {
        affected: Some(vec![]),
        ..IncidentEdit::default()
    };
    let err = refused(
        store,
        store.edit_incident(ADMIN, "acme", &created.id, empty, t(41)),
    )
    .await;
    assert_domain(&err, DomainError::NoAffectedLocations);
    let unknown = IncidentEdit {
        affected: Some(vec!["nowhere".into()]),
        ..IncidentEdit::default()
    };
    let err = refused(
        store,
        store.edit_incident(ADMIN, "acme", &created.id, unknown, t(41)),
    )
    .await;
    assert_domain(&err, DomainError::UnknownLocation("nowhere".into()));

    // The post-mortem.
    let url = "https://example.com/postmortems/42";
    let linked = store
        .set_postmortem(ADMIN, "acme", &created.id, url.into(), t(50))
        .await
        .unwrap();
    assert_eq!(
        linked,
        Incident {
            postmortem_url: Some(url.into()),
            updated_at: t(50),
            ..edited.clone()
        }
    );
    assert_eq!(store.incident("acme", &created.id).await.unwrap(), linked);
    let err = refused(
        store,
        store.set_postmortem(ADMIN, "acme", &created.id, "postmortem.doc".into(), t(51)),
    )
    .await;
    assert_invalid(&err, "url");

    // A second incident: no post-mortem while active; resolved and reopened inside the close
    // window, it counts a recurrence and gets its levels back.
    let outage = new_incident(
        store,
        "acme",
        incident("EU outage", 1, vec![held(&eu, ServiceDisruption)]),
        t(70),
    )
    .await;
    let err = refused(
        store,
        store.set_postmortem(ADMIN, "acme", &outage.id, url.into(), t(71)),
    )
    .await;
    assert_domain(&err, DomainError::PostmortemBeforeResolved);
    resolve(store, "acme", &outage.id, t(80)).await;
    let reopen = draft(
        IncidentState::Investigating,
        "It is back.",
        StatusChange::Keep,
    );
    let reopened = store
        .post_update(RESPONDER, "acme", &outage.id, reopen, t(90))
        .await
        .unwrap();
    assert_eq!(reopened.state, IncidentState::Investigating);
    assert_eq!((reopened.recurrences, reopened.resolved_at), (1, None));
    assert_eq!(reopened.affected, vec![held(&eu, ServiceDisruption)]);
    assert_eq!(store.incident("acme", &outage.id).await.unwrap(), reopened);
    let event = only(events_after(store, store.last_event_id().await.unwrap() - 1).await);
    assert_eq!(event.kind, "incident.recurred");

    // Declarations the rules refuse.
    let refusals = [
        (
            incident("Nowhere", 2, vec![held("nowhere", ServiceDisruption)]),
            DomainError::UnknownLocation("nowhere".into()),
        ),
        (
            incident("Nothing", 2, vec![]),
            DomainError::NoAffectedLocations,
        ),
        (
            incident("All fine", 2, vec![held(&us, Operational)]),
            DomainError::AllOperational,
        ),
        (
            NewIncident {
                state: IncidentState::Resolved,
                ..incident("Already over", 2, vec![held(&us, ServiceDisruption)])
            },
            DomainError::CreatedResolved,
        ),
    ];
    for (new, expected) in refusals {
        assert_domain(
            &refused(store, store.create_incident(RESPONDER, "acme", new, t(100))).await,
            expected,
        );
    }
    let blank = incident("  ", 2, vec![held(&us, ServiceDisruption)]);
    assert_invalid(
        &refused(
            store,
            store.create_incident(RESPONDER, "acme", blank, t(100)),
        )
        .await,
        "title",
    );

    // Incidents belong to their page.
    new_page(store, "beta", t(100)).await;
    assert_not_found(
        &store.incident("beta", &created.id).await.unwrap_err(),
        "incident",
        &created.id,
    );
    let update = draft(IncidentState::Identified, "Found it.", StatusChange::Keep);
    let err = refused(
        store,
        store.post_update(RESPONDER, "beta", &outage.id, update, t(101)),
    )
    .await;
    assert_not_found(&err, "incident", &outage.id);

    // Delete.
    store
        .delete_incident(ADMIN, "acme", &created.id, t(110))
        .await
        .unwrap();
    assert_not_found(
        &store.incident("acme", &created.id).await.unwrap_err(),
        "incident",
        &created.id,
    );
    let err = store
        .incident_by_update("acme", &first.id)
        .await
        .unwrap_err();
    assert_not_found(&err, "message", &first.id);
    let listed = store
        .incidents("acme", IncidentQuery::default())
        .await
        .unwrap();
    assert_eq!(listed, vec![reopened]);
    let err = refused(
        store,
        store.delete_incident(ADMIN, "acme", &created.id, t(111)),
    )
    .await;
    assert_not_found(&err, "incident", &created.id);

    // The incident's whole history, in the audit log.
    let history: Vec<_> = all_events(store)
        .await
        .into_iter()
        .filter(|e| e.subject_id == created.id)
        .collect();
    assert_eq!(
        kinds(&history),
        [
            "incident.created",
            "incident.updated",
            "incident.resolved",
            "incident.edited",
            "incident.postmortem_linked",
            "incident.deleted"
        ]
    );
    assert_eq!(history[5].before, Some(json(&linked)));
    assert_eq!(history[5].after, None);
}

/// Listing: filters, newest first, keyset pagination; and finding an incident by one of its
/// updates.
pub async fn incident_listing(store: &dyn Store) {
    new_page(store, "acme", t(0)).await;
    let api = new_component(store, "acme", "API", &[], t(0)).await;
    let loc = api.locations[0].id.clone();
    let mut made = Vec::new();
    for i in 0..5 {
        let new = incident(
            &format!("Incident {i}"),
            4,
            vec![held(&loc, DegradedPerformance)],
        );
        made.push(new_incident(store, "acme", new, t(10 * i)).await);
    }
    made[1] = resolve(store, "acme", &made[1].id.clone(), t(50)).await;
    made[3] = resolve(store, "acme", &made[3].id.clone(), t(51)).await;

    let query = |filter, limit, before: Option<&Incident>| IncidentQuery {
        filter,
        limit,
        before: before.map(|i| i.id.clone()),
    };
    let titles = |list: Vec<Incident>| list.into_iter().map(|i| i.title).collect::<Vec<_>>();
    use IncidentFilter::{Active, All, Resolved};

    let all = store
        .incidents("acme", IncidentQuery::default())
        .await
        .unwrap();
    let expected: Vec<Incident> = made.iter().rev().cloned().collect();
    assert_eq!(all, expected, "newest first, as stored");
    let active = store
        .incidents("acme", query(Active, 50, None))
        .await
        .unwrap();
    assert_eq!(titles(active), ["Incident 4", "Incident 2", "Incident 0"]);
    let resolved = store
        .incidents("acme", query(Resolved, 50, None))
        .await
        .unwrap();
    assert_eq!(titles(resolved), ["Incident 3", "Incident 1"]);

    // Pages of two, each continuing after the last incident of the one before.
    let first = store.incidents("acme", query(All, 2, None)).await.unwrap();
    assert_eq!(titles(first.clone()), ["Incident 4", "Incident 3"]);
    let second = store
        .incidents("acme", query(All, 2, first.last()))
        .await
        .unwrap();
    assert_eq!(titles(second.clone()), ["Incident 2", "Incident 1"]);
    let third = store
        .incidents("acme", query(All, 2, second.last()))
        .await
        .unwrap();
    assert_eq!(titles(third.clone()), ["Incident 0"]);
    assert_eq!(
        store
            .incidents("acme", query(All, 2, third.last()))
            .await
            .unwrap(),
        vec![]
    );
    let active = store
        .incidents("acme", query(Active, 1, Some(&made[4])))
        .await
        .unwrap();
    assert_eq!(titles(active), ["Incident 2"]);
    let resolved = store
        .incidents("acme", query(Resolved, 5, Some(&made[4])))
        .await
        .unwrap();
    assert_eq!(titles(resolved), ["Incident 3", "Incident 1"]);
    let unknown = IncidentQuery {
        before: Some("nope".into()),
        ..IncidentQuery::default()
    };
    let err = store.incidents("acme", unknown).await.unwrap_err();
    assert_not_found(&err, "incident", "nope");

    // Two incidents declared in the same instant: the cursor still visits each exactly once.
    let same = [
        new_incident(
            store,
            "acme",
            incident("Tie A", 4, vec![held(&loc, DegradedPerformance)]),
            t(100),
        )
        .await,
        new_incident(
            store,
            "acme",
            incident("Tie B", 4, vec![held(&loc, DegradedPerformance)]),
            t(100),
        )
        .await,
    ];
    let one = store.incidents("acme", query(All, 1, None)).await.unwrap();
    let two = store
        .incidents("acme", query(All, 1, one.last()))
        .await
        .unwrap();
    let three = store
        .incidents("acme", query(All, 1, two.last()))
        .await
        .unwrap();
    let mut seen = titles([one, two].concat());
    seen.sort();
    assert_eq!(seen, ["Tie A", "Tie B"]);
    assert_eq!(titles(three), ["Incident 4"]);
    assert_eq!(
        store
            .incidents("acme", IncidentQuery::default())
            .await
            .unwrap()
            .len(),
        7
    );
    assert!(same.iter().all(|i| i.created_at == t(100)));

    // Another page lists only its own.
    new_page(store, "beta", t(0)).await;
    let beta_loc = new_component(store, "beta", "Web", &[], t(0))
        .await
        .locations[0]
        .id
        .clone();
    let beta = new_incident(
        store,
        "beta",
        incident("Beta", 4, vec![held(&beta_loc, ServiceDisruption)]),
        t(200),
    )
    .await;
    assert_eq!(
        store
            .incidents("beta", IncidentQuery::default())
            .await
            .unwrap(),
        vec![beta.clone()]
    );
    let acme = store
        .incidents("acme", IncidentQuery::default())
        .await
        .unwrap();
    assert!(acme.iter().all(|i| i.id != beta.id));
    let err = store
        .incidents("acme", query(All, 2, Some(&beta)))
        .await
        .unwrap_err();
    assert_not_found(&err, "incident", &beta.id);

    // By update id: any of the incident's updates finds it.
    let one = &made[1];
    assert_eq!(one.updates.len(), 2);
    for update in &one.updates {
        assert_eq!(
            store.incident_by_update("acme", &update.id).await.unwrap(),
            *one
        );
    }
    assert_eq!(
        store
            .incident_by_update("beta", &beta.updates[0].id)
            .await
            .unwrap(),
        beta
    );
    let err = store
        .incident_by_update("acme", &beta.updates[0].id)
        .await
        .unwrap_err();
    assert_not_found(&err, "message", &beta.updates[0].id);
    let err = store.incident_by_update("acme", &one.id).await.unwrap_err();
    assert_not_found(&err, "message", &one.id);
}

/// Previews say what publishing would do (lints, next update due, the incident after) and
/// write nothing.
pub async fn preview_writes_nothing(store: &dyn Store) {
    new_page(store, "acme", t(0)).await;
    let api = new_component(store, "acme", "API", &["US East", "EU"], t(0)).await;
    let (us, eu) = (api.locations[0].id.clone(), api.locations[1].id.clone());
    let current = new_incident(
        store,
        "acme",
        incident("API errors", 2, vec![held(&us, PartialServiceDisruption)]),
        t(10),
    )
    .await;
    let last = store.last_event_id().await.unwrap();

    // Monitoring without saying for how long: one lint; the table's 60 minutes for severity 2.
    let monitoring = draft(
        IncidentState::Monitoring,
        "A fix is deployed and we are watching it.",
        StatusChange::Keep,
    );
    let preview = store
        .preview_update(RESPONDER, "acme", &current.id, monitoring, t(20))
        .await
        .unwrap();
    let lints: Vec<_> = preview.lints.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(lints, [MONITORING_NO_DURATION]);
    assert_eq!(preview.next_update_due, Some(t(80)));
    assert_eq!(preview.incident.state, IncidentState::Monitoring);
    assert_eq!(preview.incident.updates.len(), 2);
    assert_eq!(preview.incident.updates[1].at, t(20));
    assert_eq!(preview.incident.updates[..1], current.updates[..]);

    // Saying so, with an explicit next update: no lint, and the explicit time wins.
    let monitoring = UpdateDraft {
        next_update_in: Some(25),
        ..draft(
            IncidentState::Monitoring,
            "We will monitor for 30 minutes.",
            StatusChange::Keep,
        )
    };
    let preview = store
        .preview_update(RESPONDER, "acme", &current.id, monitoring, t(20))
        .await
        .unwrap();
    assert_eq!(preview.lints, vec![]);
    assert_eq!(preview.next_update_due, Some(t(45)));

    // A refused draft is refused in preview too.
    let worse = draft(
        IncidentState::Resolved,
        "Done.",
        StatusChange::All(ServiceDisruption),
    );
    let err = store
        .preview_update(RESPONDER, "acme", &current.id, worse, t(20))
        .await
        .unwrap_err();
    assert_invalid(&err, "status");
    let err = store
        .preview_update(
            RESPONDER,
            "acme",
            "nope",
            draft(IncidentState::Identified, "x", StatusChange::Keep),
            t(20),
        )
        .await
        .unwrap_err();
    assert_not_found(&err, "incident", "nope");

    // Nothing was written.
    assert_eq!(store.last_event_id().await.unwrap(), last);
    assert_eq!(store.incident("acme", &current.id).await.unwrap(), current);

    // Resolving while an override still marks an affected location: the lint names it.
    store
        .set_override(RESPONDER, "acme", &us, Some(DegradedPerformance), t(30))
        .await
        .unwrap();
    let last = store.last_event_id().await.unwrap();
    let resolving = draft(IncidentState::Resolved, "All good.", StatusChange::Keep);
    let preview = store
        .preview_update(RESPONDER, "acme", &current.id, resolving, t(40))
        .await
        .unwrap();
    assert_eq!(preview.lints.len(), 1);
    assert_eq!(preview.lints[0].id, RESOLVE_OVERRIDE_LEFT);
    assert!(
        preview.lints[0].message.contains("US East"),
        "{}",
        preview.lints[0].message
    );
    assert_eq!(preview.next_update_due, None);
    assert_eq!(preview.incident.resolved_at, Some(t(40)));

    // A new incident's preview: the first update's due time, and no incident stored.
    let new = incident("EU errors", 2, vec![held(&eu, DegradedPerformance)]);
    let preview = store
        .preview_incident(RESPONDER, "acme", new, t(50))
        .await
        .unwrap();
    assert_eq!(preview.lints, vec![]);
    assert_eq!(
        preview.next_update_due,
        Some(t(50) + SignedDuration::from_mins(15))
    );
    assert_eq!(preview.incident.title, "EU errors");
    assert_eq!(
        store
            .incidents("acme", IncidentQuery::default())
            .await
            .unwrap(),
        vec![current.clone()]
    );
    assert_eq!(store.last_event_id().await.unwrap(), last);
    assert_eq!(store.incident("acme", &current.id).await.unwrap(), current);
}

/// Searching a page's incidents: words in titles or updates (letter case aside, `%` and `_`
/// meaning themselves), each filter narrowing, newest first a page at a time.
pub async fn incident_search(store: &dyn Store) {
    new_page(store, "acme", t(0)).await;
    new_page(store, "other", t(0)).await;
    let api = new_component(store, "acme", "API", &["US", "EU"], t(0)).await;
    let web = new_component(store, "acme", "Website", &[], t(0)).await;
    let (us, web_loc) = (api.locations[0].id.clone(), web.locations[0].id.clone());
    let declare = async |title: &str, severity: u8, location: &str, at: i64| {
        let new = incident(title, severity, vec![held(location, DegradedPerformance)]);
        new_incident(store, "acme", new, t(at)).await.id
    };
    let latency = declare("Database latency", 2, &us, 0).await;
    let resolved = draft(
        IncidentState::Resolved,
        "The read REPLICA lagged at 100% load_avg.",
        StatusChange::Keep,
    );
    store
        .post_update(RESPONDER, "acme", &latency, resolved, t(5))
        .await
        .unwrap();
    let login = declare("Login failures", 4, &web_loc, 60).await;
    let failover = declare("Database failover", 1, &us, 120).await;
    let elsewhere = incident("Database on another page", 2, vec![]);
    let other_loc = new_component(store, "other", "API", &[], t(0))
        .await
        .locations[0]
        .id
        .clone();
    let elsewhere = NewIncident {
        affected: vec![held(&other_loc, DegradedPerformance)],
        ..elsewhere
    };
    new_incident(store, "other", elsewhere, t(130)).await;

    let (la, lo, fa) = (latency.as_str(), login.as_str(), failover.as_str());
    let found = async |search: IncidentSearch| -> Vec<String> {
        let list = store.search_incidents("acme", search).await.unwrap();
        list.into_iter().map(|i| i.id).collect()
    };
    let words = |text: &str| IncidentSearch {
        text: text.into(),
        ..IncidentSearch::default()
    };
    assert_eq!(found(words("")).await, [fa, lo, la]);
    assert_eq!(found(words("database")).await, [fa, la]);
    assert_eq!(found(words("replica")).await, [la], "an update's words");
    assert_eq!(found(words("DATABASE lagged")).await, [la], "every word");
    assert_eq!(found(words("100%")).await, [la]);
    assert_eq!(
        found(words("10%")).await,
        Vec::<String>::new(),
        "% is itself"
    );
    assert_eq!(found(words("load_avg")).await, [la]);
    assert_eq!(
        found(words("load_av_")).await,
        Vec::<String>::new(),
        "_ is itself"
    );
    let narrowed = [
        (
            IncidentSearch {
                state: Some(IncidentState::Resolved),
                ..IncidentSearch::default()
            },
            vec![la],
        ),
        (
            IncidentSearch {
                severity: Some(sev(4)),
                ..IncidentSearch::default()
            },
            vec![lo],
        ),
        (
            IncidentSearch {
                component: Some(api.id.clone()),
                ..IncidentSearch::default()
            },
            vec![fa, la],
        ),
        (
            IncidentSearch {
                from: Some(t(60)),
                until: Some(t(120)),
                ..IncidentSearch::default()
            },
            vec![lo],
        ),
        (
            IncidentSearch {
                text: "database".into(),
                severity: Some(sev(1)),
                component: Some(api.id.clone()),
                ..IncidentSearch::default()
            },
            vec![fa],
        ),
    ];
    for (search, want) in narrowed {
        let want: Vec<String> = want.into_iter().map(str::to_string).collect();
        assert_eq!(found(search.clone()).await, want, "{search:?}");
    }
    let first = IncidentSearch {
        limit: 2,
        ..IncidentSearch::default()
    };
    assert_eq!(found(first.clone()).await, [fa, lo]);
    let next = IncidentSearch {
        before: Some(login.clone()),
        ..first
    };
    assert_eq!(found(next).await, [la]);
}

/// A published update corrected: the new text is read back and marked edited, the old text
/// kept in the audit log; incidents are listed by id without reading them.
pub async fn incident_corrections(store: &dyn Store) {
    new_page(store, "acme", t(0)).await;
    let api = new_component(store, "acme", "API", &[], t(0)).await;
    let hit = || vec![held(&api.locations[0].id, DegradedPerformance)];
    let old = new_incident(store, "acme", incident("Old", 3, hit()), t(0)).await;
    resolve(store, "acme", &old.id, t(1)).await;
    let open = new_incident(store, "acme", incident("Slow logins", 2, hit()), t(2)).await;

    let ids = |filter| store.incident_ids("acme", filter);
    assert_eq!(
        ids(IncidentFilter::All).await.unwrap(),
        [open.id.clone(), old.id.clone()]
    );
    assert_eq!(
        ids(IncidentFilter::Active).await.unwrap(),
        [open.id.as_str()]
    );
    assert_eq!(
        ids(IncidentFilter::Resolved).await.unwrap(),
        [old.id.as_str()]
    );

    let update = open.updates[0].id.clone();
    let last = store.last_event_id().await.unwrap();
    let fixed = herald_core::incident::UpdateCorrection {
        details: "We are investigating slow sign-ins.".into(),
        rebroadcast: false,
    };
    let corrected = store.correct_update(RESPONDER, "acme", (&open.id, &update), fixed, t(3));
    let corrected = corrected.await.unwrap();
    let first = &corrected.updates[0];
    assert_eq!(
        (first.details.as_str(), first.edited_at),
        ("We are investigating slow sign-ins.", Some(t(3)))
    );
    assert_eq!(store.incident("acme", &open.id).await.unwrap(), corrected);
    let event = only(events_after(store, last).await);
    assert_eq!(event.kind, "incident.update_corrected");
    let before = event.before.expect("the text before");
    assert!(
        before.to_string().contains(&open.updates[0].details),
        "{before}"
    );

    let blank = herald_core::incident::UpdateCorrection {
        details: " ".into(),
        rebroadcast: false,
    };
    refused(
        store,
        store.correct_update(RESPONDER, "acme", (&open.id, &update), blank, t(4)),
    )
    .await;
    let elsewhere = herald_core::incident::UpdateCorrection {
        details: "x".into(),
        rebroadcast: false,
    };
    let err = refused(
        store,
        store.correct_update(RESPONDER, "acme", (&old.id, &update), elsewhere, t(4)),
    )
    .await;
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
}
