//! The update cadence of an incident: its deadline, its roles, snoozes with and without
//! penalty, the nudges a deadline sends and their record, adherence, and the stage checklist.
use herald_core::DomainError;
use herald_core::access::Role;
use herald_core::broadcast::Subject;
use herald_core::nudge::NudgeKind;
use herald_core::status::StatusLevel;
use herald_core::user::NewUser;
use herald_store::{
    JobKind, NudgeDelivery, NudgeOutcome, NudgeQuery, Roles, Store, StoreError, Tick,
};
use jiff::{SignedDuration, Timestamp};

use super::{
    ADMIN, RESPONDER, events_after, held, incident, kinds, new_component, new_incident, new_page,
    only, refused, t,
};

async fn user(store: &dyn Store, email: &str, role: Role) -> herald_core::user::User {
    let new = NewUser {
        email: email.into(),
        name: email.split('@').next().unwrap_or(email).into(),
        role,
    };
    store
        .create_user(ADMIN, new, None, t(0))
        .await
        .expect("user created")
}

fn all_nudges(user: Option<&str>, unseen: bool) -> NudgeQuery {
    NudgeQuery {
        user: user.map(str::to_string),
        since: None,
        unseen,
        limit: 50,
    }
}

pub async fn cadence_and_checklist(store: &dyn Store) {
    let page = new_page(store, "cadence", t(0)).await;
    let lena = user(store, "lena@example.com", Role::Responder).await;
    let max = user(store, "max@example.com", Role::Admin).await;
    let api = new_component(store, &page.id, "API", &[], t(0)).await;
    let hit = vec![held(
        &api.locations[0].id,
        StatusLevel::PartialServiceDisruption,
    )];
    let outage = new_incident(store, &page.id, incident("Slow API", 2, hit), t(0)).await;
    let id = outage.id.as_str();

    // A severity 2 incident under investigation owes its next update in 15 minutes.
    let cadence = store
        .cadence(&page.id, Subject::Incident, id)
        .await
        .unwrap();
    assert_eq!(
        (cadence.next_update_due, cadence.lead.clone()),
        (Some(t(15)), None)
    );

    // The lead and the manager, named by email address or id; a stranger is refused.
    let last = store.last_event_id().await.unwrap();
    let roles = Roles {
        lead: Some("LENA@example.com".into()),
        manager: Some(max.id.clone()),
    };
    let named = store
        .set_roles(RESPONDER, &page.id, Subject::Incident, id, roles, t(1))
        .await;
    let named = named.unwrap();
    assert_eq!(
        named.lead.as_ref().map(|u| u.id.as_str()),
        Some(lena.id.as_str())
    );
    assert_eq!(
        named.manager.as_ref().map(|u| u.email.as_str()),
        Some("max@example.com")
    );
    assert_eq!(
        kinds(&events_after(store, last).await),
        ["incident.roles_changed"]
    );
    let stranger = Roles {
        lead: Some("nobody@example.com".into()),
        manager: None,
    };
    let err = refused(
        store,
        store.set_roles(RESPONDER, &page.id, Subject::Incident, id, stranger, t(1)),
    )
    .await;
    assert!(
        matches!(
            err,
            StoreError::Domain(DomainError::Invalid { field: "lead", .. })
        ),
        "{err:?}"
    );

    // Snoozed before the deadline: moved, no penalty. The nudges follow the new deadline.
    let last = store.last_event_id().await.unwrap();
    let snoozed = store
        .snooze(RESPONDER, &page.id, Subject::Incident, id, 10, t(2))
        .await;
    assert_eq!(snoozed.unwrap().next_update_due, Some(t(12)));
    let event = only(events_after(store, last).await);
    assert_eq!(event.kind, "incident.snoozed");
    assert!(
        event
            .note
            .as_deref()
            .unwrap_or_default()
            .ends_with("no penalty"),
        "{event:?}"
    );
    let early = store
        .claim_jobs(t(9), 10, t(9) + SignedDuration::from_mins(1))
        .await
        .unwrap();
    assert!(
        early.iter().all(|j| j.kind != JobKind::CadenceNudge),
        "{early:?}"
    );

    // Two minutes before it, the lead is reminded, once.
    let jobs = store.claim_jobs(t(10), 10, t(11)).await.unwrap();
    let job = jobs
        .into_iter()
        .find(|j| j.kind == JobKind::CadenceNudge)
        .expect("a nudge");
    let base = "https://status.example.com";
    let to_send = store.run_cadence_job(job.lease, base, t(10)).await.unwrap();
    let to_send = to_send.expect("the reminder applies");
    assert_eq!((to_send.kind, to_send.due_at), (NudgeKind::Before, t(12)));
    let [recipient] = to_send.recipients.as_slice() else {
        panic!("the lead alone is reminded: {:?}", to_send.recipients);
    };
    assert_eq!(recipient.user.id, lena.id);
    assert!(to_send.text.url.starts_with(base), "{:?}", to_send.text);
    let channel = recipient
        .channels
        .first()
        .expect("a channel to nudge on")
        .clone();
    let delivered = NudgeDelivery {
        channel: channel.channel,
        address: channel.address.clone(),
        outcome: NudgeOutcome::Delivered,
        error: None,
        at: t(10),
    };
    let settled = vec![(recipient.nudge_id, delivered.clone())];
    store.settle_nudge(job.lease, settled, None).await.unwrap();
    let left = store.claim_jobs(t(11), 10, t(12)).await.unwrap();
    assert!(
        left.iter().all(|j| j.kind != JobKind::CadenceNudge),
        "the reminder is done"
    );

    // The console's record of it, read and then marked seen.
    let records = store
        .nudges(&page.id, all_nudges(Some(&lena.email), true))
        .await
        .unwrap();
    let [record] = records.as_slice() else {
        panic!("one nudge for the lead: {records:?}");
    };
    assert_eq!(
        (record.kind, record.subject_id.as_str()),
        (NudgeKind::Before, id)
    );
    assert_eq!(record.deliveries, [delivered]);
    assert_eq!(
        store
            .mark_nudges_seen(&lena.email, &lena.id, t(11))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .mark_nudges_seen(&lena.email, &lena.id, t(11))
            .await
            .unwrap(),
        0
    );
    let unseen = store
        .nudges(&page.id, all_nudges(Some(&lena.id), true))
        .await
        .unwrap();
    assert!(unseen.is_empty(), "{unseen:?}");
    assert_eq!(
        store
            .nudges(&page.id, all_nudges(None, false))
            .await
            .unwrap()
            .len(),
        1
    );
    let secret = store.nudge_secret(&lena.email).await.unwrap();
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert_eq!(store.nudge_secret(&lena.id).await.unwrap(), secret);

    // Snoozed after the deadline: the missed deadline counts late.
    let snoozed = store
        .snooze(RESPONDER, &page.id, Subject::Incident, id, 5, t(14))
        .await;
    assert_eq!(snoozed.unwrap().next_update_due, Some(t(19)));
    let mine = store
        .subject_adherence(&page.id, Subject::Incident, id, t(14))
        .await
        .unwrap();
    assert_eq!((mine.adherence.due, mine.adherence.on_time), (1, 0));
    assert_eq!(mine.adherence.late.len(), 1);
    let all = store.page_adherence(&page.id, t(14)).await.unwrap();
    assert_eq!(
        (all.total.due, all.total.on_time, all.subjects.len()),
        (1, 0, 1)
    );
    let nothing = store
        .page_adherence(&new_page(store, "quiet", t(0)).await.id, t(14))
        .await;
    assert_eq!(nothing.unwrap().total.ratio, None);

    checklist(store, &page.id, id, t(20)).await;
}

/// The stage checklist: what Herald sees done is ticked already and stays so; a person's ticks
/// are recorded once each.
async fn checklist(store: &dyn Store, page: &str, id: &str, now: Timestamp) {
    let entries = store.checklist(page, id).await.unwrap();
    let created = entries
        .iter()
        .find(|e| e.label == "Create the status-page incident");
    let created = created.expect("the default checklist");
    assert_eq!(
        (created.ticked, created.ticked_by.as_deref()),
        (true, Some("herald"))
    );
    assert!(
        entries
            .iter()
            .filter(|e| e.done_when.is_none())
            .all(|e| !e.ticked)
    );

    let last = store.last_event_id().await.unwrap();
    let tick = |item: &str, ticked| Tick {
        item: item.into(),
        ticked,
    };
    let ack = "Acknowledge the page";
    let after = store
        .tick(RESPONDER, page, id, tick(ack, true), now)
        .await
        .unwrap();
    let entry = after.iter().find(|e| e.label == ack).unwrap();
    assert_eq!(
        (entry.ticked_by.as_deref(), entry.ticked_at),
        (Some(RESPONDER), Some(now))
    );
    store
        .tick(RESPONDER, page, id, tick(ack, true), now)
        .await
        .unwrap();
    store
        .tick(RESPONDER, page, id, tick(ack, false), now)
        .await
        .unwrap();
    let recorded = events_after(store, last).await;
    assert_eq!(
        kinds(&recorded),
        ["incident.checklist_ticked", "incident.checklist_unticked"]
    );
    assert!(
        store
            .checklist(page, id)
            .await
            .unwrap()
            .iter()
            .all(|e| e.label != ack || !e.ticked)
    );

    let seen = tick("Create the status-page incident", false);
    let err = refused(store, store.tick(RESPONDER, page, id, seen, now)).await;
    assert!(err.to_string().contains("stays ticked"), "{err}");
    let unknown = refused(
        store,
        store.tick(RESPONDER, page, id, tick("Dance", true), now),
    )
    .await;
    assert!(unknown.to_string().contains("not an item"), "{unknown}");
}
