//! Scheduled-maintenance automation end to end, on a running server whose clock the test moves
//! by hand: reminders before the start, the start and the completion at the planned instants,
//! reschedules, manual takeover, the duplicate-reminder rule, planned times in a named zone
//! across a DST change, and catching up after Herald was down.
//!
//! The worker looks at the job table every `poll_ms` of real time, against the injected clock;
//! with 20 ms it reacts within milliseconds of the test moving the clock. Broadcasts are
//! observed with a real webhook receiver (and the email spool), the delivery report and the
//! audit log.
mod common;

use std::path::Path;
use std::time::Duration;

use common::receiver::Receiver;
use common::*;
use herald_core::subscriber::{Channel, NewSubscriber, WebhookFormat};
use herald_store::Store;
use jiff::Timestamp;
use serde_json::{Value, json};

const HOUR: i64 = 60;
const DAY: i64 = 24 * HOUR;
const AUTOMATION: &str = "herald:automation";
const HOOK: &str = "/ok/hook";

/// A server whose worker looks at its jobs every 20 ms, delivering to loopback receivers.
async fn server() -> Server {
    Server::start_configured(|c| {
        c.delivery.allow_private_targets = true;
        c.delivery.timeout_secs = 3;
        c.delivery.poll_ms = 20;
    })
    .await
}

/// Broadcasts to this webhook subscriber only (no other channel has subscribers anyway).
fn webhook_only() -> Value {
    json!({"email": false, "webhook": true, "slack": false, "teams": false,
           "social": false, "irc": false, "sms": false})
}

/// A confirmed subscriber, added through the store as an operator's trusted add.
async fn subscribe(s: &Server, f: &Fixture, channel: Channel, address: &str) {
    let store = herald::server::open_store(s.data_dir()).unwrap();
    let new = NewSubscriber {
        channel,
        address: address.into(),
        format: WebhookFormat::Herald,
        components: vec![],
        confirmed: true,
    };
    store
        .create_subscriber("test", &f.slug, new, s.now())
        .await
        .expect("the subscriber is added");
}

/// Schedules a window over the fixture's US East location as the responder; the response.
async fn schedule(
    s: &Server,
    f: &Fixture,
    starts: impl std::fmt::Display,
    ends: impl std::fmt::Display,
    extra: Value,
) -> Value {
    let mut body = json!({
        "title": "Database upgrade",
        "details": "We will upgrade the **database**; writes pause for a minute.",
        "affected": [f.us_east],
        "starts_at": starts.to_string(),
        "ends_at": ends.to_string(),
        "channels": webhook_only(),
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    s.post(&f.path("/maintenance"), &s.responder, body)
        .await
        .ok(201)
}

fn id_of(window: &Value) -> String {
    window["id"].as_str().unwrap().to_string()
}

async fn window(s: &Server, f: &Fixture, id: &str) -> Value {
    s.get(&f.path(&format!("/maintenance/{id}")), &s.viewer)
        .await
        .ok(200)
}

/// Waits until the window is in `state`; the window.
async fn window_in(s: &Server, f: &Fixture, id: &str, state: &str) -> Value {
    eventually(&format!("the window gets {state}"), async || {
        let w = window(s, f, id).await;
        match w["state"] == state {
            true => Ok(w),
            false => Err(format!("{w:#}")),
        }
    })
    .await
}

/// The audit events about the window, oldest first.
async fn window_events(s: &Server, id: &str) -> Vec<Value> {
    s.events()
        .await
        .into_iter()
        .filter(|e| e["subject_id"] == id)
        .collect()
}

/// Each event's kind and who caused it.
fn kinds_and_actors(events: &[Value]) -> Vec<(&str, &str)> {
    events
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["actor"].as_str().unwrap()))
        .collect()
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["kind"].as_str().unwrap()).collect()
}

fn of_kind<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["kind"] == kind).collect()
}

/// Waits until the window has `n` audit events of `kind`; all its events.
async fn events_when(s: &Server, id: &str, kind: &str, n: usize) -> Vec<Value> {
    eventually(&format!("{n} {kind} events"), async || {
        let events = window_events(s, id).await;
        match of_kind(&events, kind).len() == n {
            true => Ok(events),
            false => Err(format!("{events:#?}")),
        }
    })
    .await
}

/// What the webhook subscriber received, in arrival order.
fn hooks(rx: &Receiver) -> Vec<Value> {
    rx.at(HOOK).iter().map(|r| r.json()).collect()
}

fn types(hooks: &[Value]) -> Vec<&str> {
    hooks.iter().map(|h| h["type"].as_str().unwrap()).collect()
}

/// Waits until the window's `n` broadcasts are fanned out and settled (so that no delivery
/// job is left to run again once the test moves the clock past its lease), each to the webhook
/// subscriber; what that received, exactly `n` requests.
async fn heard(s: &Server, f: &Fixture, id: &str, rx: &Receiver, n: usize) -> Vec<Value> {
    deliveries(s, f, id, n).await;
    let got = hooks(rx);
    assert_eq!(got.len(), n, "{:#}", json!(got));
    got
}

/// The level of US East and APAC on the admin API.
async fn levels(s: &Server, f: &Fixture) -> (Value, Value) {
    let status = s.get(&f.path("/status"), &s.viewer).await.ok(200);
    let level = |location: &str| {
        status["components"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["locations"].as_array().unwrap())
            .find(|l| l["location_id"] == location)
            .unwrap_or_else(|| panic!("{location} is not in {status:#}"))["level"]
            .clone()
    };
    (level(&f.us_east), level(&f.apac))
}

/// The window's delivery report, once every broadcast in it is fanned out and settled.
async fn deliveries(s: &Server, f: &Fixture, id: &str, n: usize) -> Vec<Value> {
    let path = f.path(&format!("/maintenance/{id}/deliveries"));
    eventually(&format!("{n} settled broadcasts"), async || {
        let report = s.get(&path, &s.viewer).await.ok(200);
        let report = report.as_array().unwrap().clone();
        let settled = report.iter().all(|b| {
            b["fanned_out"] == true
                && b["channels"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|c| c["queued"] == 0 && c["retrying"] == 0)
        });
        match report.len() == n && settled {
            true => Ok(report),
            false => Err(format!("{:#}", json!(report))),
        }
    })
    .await
}

fn webhook_channel(broadcast: &Value) -> &Value {
    broadcast["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"] == "webhook")
        .unwrap_or_else(|| panic!("no webhook channel: {broadcast:#}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_window_is_announced_reminded_three_times_and_started_and_completed_on_time() {
    let s = server().await;
    let f = s.fixture("acme").await;
    let rx = Receiver::start().await;
    subscribe(&s, &f, Channel::Webhook, &rx.url(HOOK)).await;
    let t0 = s.now();
    let starts = plus_mins(t0, 5 * DAY);
    let ends = plus_mins(starts, 2 * HOUR);

    // Announced now; the page's reminders by default, automation on.
    let created = schedule(&s, &f, starts, ends, json!({})).await;
    let id = id_of(&created);
    assert_eq!(created["reminders"], json!([4320, 1440, 60]));
    assert_eq!(created["automation"], true);
    let got = heard(&s, &f, &id, &rx, 1).await;
    assert_eq!(types(&got), ["maintenance.scheduled"]);
    assert_eq!(got[0]["data"]["maintenance"]["id"], json!(id));

    // Each reminder at its instant, not a minute before.
    for (n, mins) in [4320, 1440, 60].into_iter().enumerate() {
        let due = minus_mins(starts, mins);
        advance_when_idle(&s, minus_mins(due, 1)).await;
        s.idle().await;
        assert_eq!(
            rx.all().len(),
            n + 1,
            "nothing a minute before the {mins} min reminder"
        );
        advance_when_idle(&s, due).await;
        let got = heard(&s, &f, &id, &rx, n + 2).await;
        let reminder = &got[n + 1];
        assert_eq!(reminder["type"], "maintenance.reminder", "{reminder:#}");
        assert_eq!(ts(&reminder["timestamp"]), due, "{reminder:#}");
        let m = &reminder["data"]["maintenance"];
        assert_eq!(m["id"], json!(id));
        assert_eq!(m["state"], "scheduled");
        assert_eq!(ts(&m["starts_at"]), starts);
        assert_eq!(window(&s, &f, &id).await["state"], "scheduled");
    }
    let events = window_events(&s, &id).await;
    let reminded = of_kind(&events, "maintenance.reminded");
    assert_eq!(reminded.len(), 3, "{events:#?}");
    for (event, mins) in reminded.iter().zip([4320, 1440, 60]) {
        assert_eq!(event["actor"], AUTOMATION);
        assert_eq!(ts(&event["at"]), minus_mins(starts, mins));
        let note = event["note"].as_str().unwrap();
        assert!(note.contains(&starts.to_string()), "{note}");
    }

    // The start, at the planned instant.
    advance_when_idle(&s, minus_mins(starts, 1)).await;
    s.idle().await;
    assert_eq!(window(&s, &f, &id).await["state"], "scheduled");
    assert_eq!(levels(&s, &f).await.0, "operational");
    advance_when_idle(&s, starts).await;
    let started = window_in(&s, &f, &id, "in_progress").await;
    assert_eq!(ts(&started["started_at"]), starts);
    let last = started["updates"].as_array().unwrap().last().unwrap();
    assert_eq!(last["author"], AUTOMATION);
    assert_eq!(last["state"], "in_progress");
    assert_eq!(
        levels(&s, &f).await,
        (json!("under_maintenance"), json!("operational"))
    );
    json_when(&s, "/api/v2/summary.json", |v| {
        v["status"]["indicator"] == "maintenance"
    })
    .await;
    let events = events_when(&s, &id, "maintenance.started", 1).await;
    let event = of_kind(&events, "maintenance.started")[0];
    assert_eq!(event["actor"], AUTOMATION);
    assert_eq!(ts(&event["at"]), starts);
    assert_eq!(
        event["note"],
        json!(format!("on time, as planned for {starts}"))
    );
    let got = heard(&s, &f, &id, &rx, 5).await;
    assert_eq!(got[4]["type"], "maintenance.updated");
    assert_eq!(got[4]["data"]["maintenance"]["state"], "in_progress");

    // The lead informs, half way through.
    advance_when_idle(&s, plus_mins(starts, HOUR)).await;
    let update =
        json!({"details": "Half way: the schema migration is done.", "channels": webhook_only()});
    let informed = s
        .post(
            &f.path(&format!("/maintenance/{id}/updates")),
            &s.responder,
            update,
        )
        .await
        .ok(201);
    assert_eq!(informed["state"], "in_progress");
    let got = heard(&s, &f, &id, &rx, 6).await;
    assert_eq!(got[5]["type"], "maintenance.updated");
    assert_eq!(
        got[5]["data"]["maintenance"]["update"]["body"],
        "Half way: the schema migration is done."
    );

    // The completion, at the planned end.
    advance_when_idle(&s, minus_mins(ends, 1)).await;
    s.idle().await;
    assert_eq!(window(&s, &f, &id).await["state"], "in_progress");
    advance_when_idle(&s, ends).await;
    let completed = window_in(&s, &f, &id, "completed").await;
    assert_eq!(ts(&completed["ended_at"]), ends);
    assert_eq!(
        levels(&s, &f).await,
        (json!("operational"), json!("operational"))
    );
    json_when(&s, "/api/v2/summary.json", |v| {
        v["status"]["indicator"] == "none"
    })
    .await;
    let got = heard(&s, &f, &id, &rx, 7).await;
    assert_eq!(got[6]["type"], "maintenance.updated");
    assert_eq!(got[6]["data"]["maintenance"]["state"], "completed");

    // Each broadcast reached the subscriber exactly once, and nothing else happened.
    advance_when_idle(&s, plus_mins(ends, DAY)).await;
    s.idle().await;
    assert_eq!(
        types(&hooks(&rx)),
        [
            "maintenance.scheduled",
            "maintenance.reminder",
            "maintenance.reminder",
            "maintenance.reminder",
            "maintenance.updated",
            "maintenance.updated",
            "maintenance.updated",
        ]
    );
    let report = deliveries(&s, &f, &id, 7).await;
    let events_reported: Vec<&str> = report
        .iter()
        .map(|b| b["event"].as_str().unwrap())
        .collect();
    assert_eq!(events_reported, types(&hooks(&rx)));
    for b in &report {
        assert_eq!(webhook_channel(b)["delivered"], 1, "{b:#}");
    }
    let events = window_events(&s, &id).await;
    let log = kinds_and_actors(&events);
    let responder = s.responder.actor();
    assert_eq!(
        log,
        [
            ("maintenance.scheduled", responder.as_str()),
            ("maintenance.reminded", AUTOMATION),
            ("maintenance.reminded", AUTOMATION),
            ("maintenance.reminded", AUTOMATION),
            ("maintenance.started", AUTOMATION),
            ("maintenance.updated", responder.as_str()),
            ("maintenance.completed", AUTOMATION),
        ]
    );
    let completion = &events[6];
    assert_eq!(ts(&completion["at"]), ends);
    assert_eq!(
        completion["note"],
        json!(format!("on time, as planned for {ends}"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rescheduled_window_reminds_and_starts_on_its_new_plan_only() {
    let s = server().await;
    let f = s.fixture("acme").await;
    let rx = Receiver::start().await;
    subscribe(&s, &f, Channel::Webhook, &rx.url(HOOK)).await;
    let t0 = s.now();
    let old_start = plus_mins(t0, 5 * DAY);
    let created = schedule(&s, &f, old_start, plus_mins(old_start, HOUR), json!({})).await;
    let id = id_of(&created);
    heard(&s, &f, &id, &rx, 1).await;

    // The first plan's 72 h reminder.
    advance_when_idle(&s, minus_mins(old_start, 3 * DAY)).await;
    let got = heard(&s, &f, &id, &rx, 2).await;
    assert_eq!(got[1]["type"], "maintenance.reminder");

    // Two days later.
    advance_when_idle(&s, plus_mins(s.now(), 10)).await;
    let new_start = plus_mins(old_start, 2 * DAY);
    let new_end = plus_mins(new_start, HOUR);
    let moved = s
        .put(
            &f.path(&format!("/maintenance/{id}/schedule")),
            &s.responder,
            json!({"starts_at": new_start.to_string(), "ends_at": new_end.to_string(),
                   "details": "The vendor moved the upgrade.", "channels": webhook_only()}),
        )
        .await
        .ok(200);
    assert_eq!(moved["sequence"], 1);
    assert_eq!(moved["state"], "scheduled");
    assert_eq!(ts(&moved["starts_at"]), new_start);
    let got = heard(&s, &f, &id, &rx, 3).await;
    assert_eq!(got[2]["type"], "maintenance.rescheduled");
    assert_eq!(ts(&got[2]["data"]["maintenance"]["starts_at"]), new_start);

    // The old 24 h reminder and the new 72 h one fall on the same instant: one reminder goes
    // out, the new plan's.
    let instant = minus_mins(new_start, 3 * DAY);
    assert_eq!(instant, minus_mins(old_start, DAY));
    advance_when_idle(&s, instant).await;
    let got = heard(&s, &f, &id, &rx, 4).await;
    assert_eq!(got[3]["type"], "maintenance.reminder");
    assert_eq!(ts(&got[3]["data"]["maintenance"]["starts_at"]), new_start);
    s.idle().await;
    assert_eq!(rx.all().len(), 4, "one reminder at {instant}");

    // The old 1 h reminder and the old start: nothing.
    advance_when_idle(&s, minus_mins(old_start, HOUR)).await;
    s.idle().await;
    advance_when_idle(&s, old_start).await;
    s.idle().await;
    advance_when_idle(&s, plus_mins(old_start, 30)).await;
    s.idle().await;
    assert_eq!(rx.all().len(), 4, "nothing at the old plan's times");
    assert_eq!(window(&s, &f, &id).await["state"], "scheduled");
    let events = window_events(&s, &id).await;
    assert!(
        of_kind(&events, "maintenance.started").is_empty(),
        "{events:#?}"
    );

    // The new plan's 24 h and 1 h reminders, then its start.
    for (n, mins) in [(5, DAY), (6, HOUR)] {
        advance_when_idle(&s, minus_mins(new_start, mins)).await;
        let got = heard(&s, &f, &id, &rx, n).await;
        assert_eq!(got[n - 1]["type"], "maintenance.reminder");
    }
    advance_when_idle(&s, minus_mins(new_start, 1)).await;
    s.idle().await;
    assert_eq!(window(&s, &f, &id).await["state"], "scheduled");
    advance_when_idle(&s, new_start).await;
    let started = window_in(&s, &f, &id, "in_progress").await;
    assert_eq!(ts(&started["started_at"]), new_start);
    heard(&s, &f, &id, &rx, 7).await;

    let events = window_events(&s, &id).await;
    assert_eq!(
        kinds(&events),
        [
            "maintenance.scheduled",
            "maintenance.reminded",
            "maintenance.rescheduled",
            "maintenance.reminded",
            "maintenance.reminded",
            "maintenance.reminded",
            "maintenance.started",
        ]
    );
    let reminded = of_kind(&events, "maintenance.reminded");
    let at: Vec<Timestamp> = reminded.iter().map(|e| ts(&e["at"])).collect();
    assert_eq!(
        at,
        [
            minus_mins(old_start, 3 * DAY),
            minus_mins(new_start, 3 * DAY),
            minus_mins(new_start, DAY),
            minus_mins(new_start, HOUR),
        ]
    );
    for event in &reminded[1..] {
        let note = event["note"].as_str().unwrap();
        assert!(note.contains(&new_start.to_string()), "{note}");
    }
    let start = of_kind(&events, "maintenance.started")[0];
    assert_eq!(ts(&start["at"]), new_start);
    assert_eq!(
        start["note"],
        json!(format!("on time, as planned for {new_start}"))
    );
    assert_eq!(
        types(&hooks(&rx)),
        [
            "maintenance.scheduled",
            "maintenance.reminder",
            "maintenance.rescheduled",
            "maintenance.reminder",
            "maintenance.reminder",
            "maintenance.reminder",
            "maintenance.updated",
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn with_automation_off_the_lead_runs_the_window_and_on_again_it_completes_by_itself() {
    let s = server().await;
    let f = s.fixture("acme").await;
    let rx = Receiver::start().await;
    subscribe(&s, &f, Channel::Webhook, &rx.url(HOOK)).await;
    let t0 = s.now();
    let starts = plus_mins(t0, 2 * HOUR);
    let ends = plus_mins(starts, 2 * HOUR);
    let created = schedule(&s, &f, starts, ends, json!({"reminders": []})).await;
    let id = id_of(&created);
    let automation = f.path(&format!("/maintenance/{id}/automation"));
    heard(&s, &f, &id, &rx, 1).await;

    // Off: the planned start passes and nothing happens.
    let off = s
        .put(&automation, &s.responder, json!({"enabled": false}))
        .await
        .ok(200);
    assert_eq!(off["automation"], false);
    advance_when_idle(&s, starts).await;
    s.idle().await;
    advance_when_idle(&s, plus_mins(starts, 10)).await;
    s.idle().await;
    let w = window(&s, &f, &id).await;
    assert_eq!(w["state"], "scheduled");
    assert_eq!(levels(&s, &f).await.0, "operational");

    // The lead starts it by hand.
    let start = json!({"state": "in_progress", "details": "Starting now, ten minutes late.",
                       "channels": webhook_only()});
    let started = s
        .post(
            &f.path(&format!("/maintenance/{id}/updates")),
            &s.responder,
            start,
        )
        .await
        .ok(201);
    assert_eq!(ts(&started["started_at"]), plus_mins(starts, 10));
    assert_eq!(levels(&s, &f).await.0, "under_maintenance");
    heard(&s, &f, &id, &rx, 2).await;

    // On again: no effect until the planned end, then the automation completes it.
    advance_when_idle(&s, plus_mins(starts, 20)).await;
    let on = s
        .put(&automation, &s.responder, json!({"enabled": true}))
        .await
        .ok(200);
    assert_eq!(on["automation"], true);
    advance_when_idle(&s, minus_mins(ends, 1)).await;
    s.idle().await;
    assert_eq!(window(&s, &f, &id).await["state"], "in_progress");
    advance_when_idle(&s, ends).await;
    let completed = window_in(&s, &f, &id, "completed").await;
    assert_eq!(ts(&completed["ended_at"]), ends);
    assert_eq!(levels(&s, &f).await.0, "operational");
    let got = heard(&s, &f, &id, &rx, 3).await;
    assert_eq!(got[2]["data"]["maintenance"]["state"], "completed");

    let events = window_events(&s, &id).await;
    let log = kinds_and_actors(&events);
    let responder = s.responder.actor();
    assert_eq!(
        log,
        [
            ("maintenance.scheduled", responder.as_str()),
            ("maintenance.automation_changed", responder.as_str()),
            ("maintenance.updated", responder.as_str()),
            ("maintenance.automation_changed", responder.as_str()),
            ("maintenance.completed", AUTOMATION),
        ]
    );
    assert_eq!(
        events[4]["note"],
        json!(format!("on time, as planned for {ends}"))
    );
    // Switching automation is no news: three broadcasts in all.
    s.idle().await;
    assert_eq!(
        types(&hooks(&rx)),
        [
            "maintenance.scheduled",
            "maintenance.updated",
            "maintenance.updated"
        ]
    );
}

/// The emails in the spool (`.eml` files, no SMTP server being configured), by name.
fn mails(data_dir: &Path) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(data_dir.join("mail")) else {
        return vec![];
    };
    let mut paths: Vec<_> = dir
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manual_email_just_before_a_reminder_is_held_back_unless_confirmed() {
    let s = server().await;
    let f = s.fixture("acme").await;
    let rx = Receiver::start().await;
    subscribe(&s, &f, Channel::Webhook, &rx.url(HOOK)).await;
    subscribe(&s, &f, Channel::Email, "ops@example.com").await;
    let t0 = s.now();
    let starts = plus_mins(t0, 3 * HOUR);
    let email_and_webhook = json!({"email": true, "webhook": true, "slack": false, "teams": false,
                                   "social": false, "irc": false, "sms": false});
    let created = schedule(
        &s,
        &f,
        starts,
        plus_mins(starts, HOUR),
        json!({"channels": email_and_webhook}),
    )
    .await;
    let id = id_of(&created);
    let updates = f.path(&format!("/maintenance/{id}/updates"));
    heard(&s, &f, &id, &rx, 1).await;
    let reminder_at = minus_mins(starts, HOUR);

    // Half an hour before the 1 h reminder, an email is refused, and says what to do.
    advance_when_idle(&s, minus_mins(reminder_at, 30)).await;
    let before = s.last_event_id().await;
    let mut update =
        json!({"details": "Preparations are on track.", "channels": email_and_webhook});
    let refused = s.post(&updates, &s.responder, update.clone()).await;
    refused.assert_problem(422, "invalid-field");
    let detail = refused.body["detail"].as_str().unwrap();
    assert!(detail.contains(&reminder_at.to_string()), "{detail}");
    assert!(detail.contains("in 30 minutes"), "{detail}");
    assert!(detail.contains("untick email"), "{detail}");
    assert!(detail.contains("confirm_duplicate_email"), "{detail}");
    assert_eq!(refused.body["field"], "channels.email");
    assert!(
        s.events_after(before).await.is_empty(),
        "a refusal records nothing"
    );

    // Without email: accepted.
    update["channels"]["email"] = json!(false);
    s.post(&updates, &s.responder, update.clone()).await.ok(201);
    // With email, confirmed: accepted.
    update["channels"]["email"] = json!(true);
    update["confirm_duplicate_email"] = json!(true);
    update["details"] = json!("Preparations are on track; we confirm the time.");
    let sent = s.post(&updates, &s.responder, update).await.ok(201);
    assert_eq!(sent["updates"].as_array().unwrap().len(), 3);
    heard(&s, &f, &id, &rx, 3).await;

    // The reminder still goes out, once, by email and webhook.
    advance_when_idle(&s, reminder_at).await;
    let got = heard(&s, &f, &id, &rx, 4).await;
    assert_eq!(got[3]["type"], "maintenance.reminder");
    let emails = eventually("three emails", async || {
        let all = mails(s.data_dir());
        match all.len() == 3 {
            true => Ok(all),
            false => Err(format!("{all:#?}")),
        }
    })
    .await;
    assert!(
        emails.iter().filter(|m| m.contains("Reminder")).count() == 1,
        "{emails:#?}"
    );

    // With the reminder past, an email needs no confirmation.
    advance_when_idle(&s, plus_mins(reminder_at, 10)).await;
    let later = json!({"details": "Starting in 50 minutes.", "channels": email_and_webhook});
    s.post(&updates, &s.responder, later).await.ok(201);
    heard(&s, &f, &id, &rx, 5).await;
    advance_when_idle(&s, minus_mins(starts, 1)).await;
    s.idle().await;
    let events = window_events(&s, &id).await;
    assert_eq!(
        of_kind(&events, "maintenance.reminded").len(),
        1,
        "{events:#?}"
    );
    assert_eq!(
        types(&hooks(&rx)),
        [
            "maintenance.scheduled",
            "maintenance.updated",
            "maintenance.updated",
            "maintenance.reminder",
            "maintenance.updated",
        ]
    );
    assert_eq!(mails(s.data_dir()).len(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_window_in_local_time_across_a_dst_change_runs_at_the_instants_it_names() {
    let s = server().await;
    let f = s.fixture("acme").await;

    // The clocks jump from 02:00 to 03:00 in Berlin that night: one real hour.
    let created = schedule(
        &s,
        &f,
        "2026-03-29 01:30 Europe/Berlin",
        "2026-03-29 03:30 Europe/Berlin",
        json!({"reminders": []}),
    )
    .await;
    let id = id_of(&created);
    let starts: Timestamp = "2026-03-29T00:30:00Z".parse().unwrap();
    let ends: Timestamp = "2026-03-29T01:30:00Z".parse().unwrap();
    assert_eq!(created["starts_at"], "2026-03-29T00:30:00Z");
    assert_eq!(created["ends_at"], "2026-03-29T01:30:00Z");
    assert_eq!(ts(&window(&s, &f, &id).await["starts_at"]), starts);

    advance_when_idle(&s, minus_mins(starts, 1)).await;
    s.idle().await;
    assert_eq!(window(&s, &f, &id).await["state"], "scheduled");
    advance_when_idle(&s, starts).await;
    let started = window_in(&s, &f, &id, "in_progress").await;
    assert_eq!(ts(&started["started_at"]), starts);
    advance_when_idle(&s, minus_mins(ends, 1)).await;
    s.idle().await;
    assert_eq!(window(&s, &f, &id).await["state"], "in_progress");
    advance_when_idle(&s, ends).await;
    let completed = window_in(&s, &f, &id, "completed").await;
    assert_eq!(ts(&completed["ended_at"]), ends);
    let events = window_events(&s, &id).await;
    assert_eq!(
        kinds(&events),
        [
            "maintenance.scheduled",
            "maintenance.started",
            "maintenance.completed"
        ]
    );
    assert_eq!(ts(&events[1]["at"]), starts);
    assert_eq!(ts(&events[2]["at"]), ends);

    // A local time the zone skips, or repeats, names two instants: refused, naming both.
    let refused_with = async |at: &str, first: &str, second: &str| {
        let body = json!({
            "title": "Ambiguous", "details": "Which one?", "affected": [f.us_east],
            "starts_at": at, "ends_at": "2027-01-01T00:00:00Z",
        });
        let refused = s.post(&f.path("/maintenance"), &s.responder, body).await;
        assert_eq!(refused.status, 422, "{refused:#?}");
        let detail = refused.body["detail"].as_str().unwrap();
        assert!(detail.contains("starts_at"), "{detail}");
        assert!(detail.contains(first), "{detail}");
        assert!(detail.contains(second), "{detail}");
    };
    // Spring 2027 gap (the clock is past 2026's by now).
    refused_with(
        "2027-03-28 02:30 Europe/Berlin",
        "2027-03-28T00:30:00Z",
        "2027-03-28T01:30:00Z",
    )
    .await;
    // Autumn 2026 fold.
    refused_with(
        "2026-10-25 02:30 Europe/Berlin",
        "2026-10-25T00:30:00Z",
        "2026-10-25T01:30:00Z",
    )
    .await;
    // And the spring 2026 one, though it has passed by now: the time is refused before the
    // date is checked against the clock.
    refused_with(
        "2026-03-29 02:30 Europe/Berlin",
        "2026-03-29T00:30:00Z",
        "2026-03-29T01:30:00Z",
    )
    .await;
}

/// A server over `dir` after the previous one stopped. Its clock starts again at `START`, so
/// the test moves it past what was missed while "down". (`herald::server::serve` leaves its
/// delivery worker running after shutdown, with the stopped server's clock frozen; each test
/// stops a server at an instant where nothing more is due, so that worker has nothing to do.)
async fn restart(previous: Server, dir: &Path) -> Server {
    drop(previous);
    tokio::time::sleep(Duration::from_millis(100)).await;
    Server::start_on(dir).await
}

/// The catch-up cases run on servers started with `Server::start_on`, which keeps the default
/// configuration: the worker polls every 500 ms, so waits are a little longer.
#[tokio::test(flavor = "multi_thread")]
async fn a_start_missed_while_herald_was_down_runs_once_late_on_restart() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_on(dir.path()).await;
    let f = s.fixture("acme").await;
    let t0 = s.now();
    let starts = plus_mins(t0, 3 * HOUR);
    let ends = plus_mins(starts, 2 * HOUR);
    // Its 1 h reminder comes due while Herald is down, too.
    let created = schedule(&s, &f, starts, ends, json!({})).await;
    let id = id_of(&created);
    advance_when_idle(&s, minus_mins(starts, 2 * HOUR)).await;

    // Down from here until 17 minutes after the planned start. (Each server's clock starts at
    // the harness's START.)
    let s = restart(s, dir.path()).await;
    assert_eq!(s.now(), t0);
    advance_when_idle(&s, plus_mins(starts, 17)).await;
    let started = window_in(&s, &f, &id, "in_progress").await;
    assert_eq!(ts(&started["started_at"]), plus_mins(starts, 17));
    let events = events_when(&s, &id, "maintenance.started", 1).await;
    let event = of_kind(&events, "maintenance.started")[0];
    assert_eq!(event["actor"], AUTOMATION);
    assert_eq!(
        event["note"],
        json!(format!(
            "1020 s late: planned for {starts}, Herald was not running then"
        ))
    );
    assert!(
        of_kind(&events, "maintenance.reminded").is_empty(),
        "no reminder once the window has started: {events:#?}"
    );
    assert_eq!(levels(&s, &f).await.0, "under_maintenance");

    // Another restart, past the start again: it is not started twice.
    let s = restart(s, dir.path()).await;
    advance_when_idle(&s, plus_mins(starts, 30)).await;
    s.idle().await;
    let events = window_events(&s, &id).await;
    assert_eq!(
        kinds(&events),
        ["maintenance.scheduled", "maintenance.started"],
        "{events:#?}"
    );
    // Its end is still armed.
    advance_when_idle(&s, ends).await;
    window_in(&s, &f, &id, "completed").await;
    let events = window_events(&s, &id).await;
    assert_eq!(
        kinds(&events),
        [
            "maintenance.scheduled",
            "maintenance.started",
            "maintenance.completed"
        ]
    );
    assert_eq!(
        events[2]["note"],
        json!(format!("on time, as planned for {ends}"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_window_missed_entirely_while_down_is_started_quietly_and_completed_once() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_on(dir.path()).await;
    let f = s.fixture("acme").await;
    let t0 = s.now();
    let starts = plus_mins(t0, 3 * HOUR);
    let ends = plus_mins(starts, 2 * HOUR);
    let id = id_of(&schedule(&s, &f, starts, ends, json!({})).await);

    // Down through the whole window; back an hour after its end.
    let s = restart(s, dir.path()).await;
    advance_when_idle(&s, plus_mins(ends, HOUR)).await;
    let done = window_in(&s, &f, &id, "completed").await;
    assert_eq!(ts(&done["started_at"]), plus_mins(ends, HOUR));
    assert_eq!(ts(&done["ended_at"]), plus_mins(ends, HOUR));
    assert_eq!(levels(&s, &f).await.0, "operational");
    let events = window_events(&s, &id).await;
    assert_eq!(
        kinds(&events),
        [
            "maintenance.scheduled",
            "maintenance.started",
            "maintenance.completed"
        ]
    );
    assert_eq!(
        events[1]["note"],
        json!(format!(
            "10800 s late: planned for {starts}, Herald was not running then"
        ))
    );
    assert_eq!(
        events[2]["note"],
        json!(format!(
            "3600 s late: planned for {ends}, Herald was not running then"
        ))
    );
    // The start was posted without a broadcast (to no channel); the completion is the news.
    let updates = done["updates"].as_array().unwrap();
    let path = f.path(&format!("/maintenance/{id}/deliveries"));
    let report = eventually("the completion's broadcast", async || {
        let report = s.get(&path, &s.viewer).await.ok(200);
        let all = report.as_array().unwrap().clone();
        match all.len() >= 2 && all.iter().all(|b| b["fanned_out"] == true) {
            true => Ok(all),
            false => Err(format!("{report:#}")),
        }
    })
    .await;
    let told: Vec<(&str, &Value)> = report
        .iter()
        .filter(|b| !b["channels"].as_array().unwrap().is_empty())
        .map(|b| (b["event"].as_str().unwrap(), &b["update_id"]))
        .collect();
    assert_eq!(
        told,
        [
            ("maintenance.scheduled", &updates[0]["id"]),
            ("maintenance.updated", &updates[2]["id"]),
        ],
        "{report:#?}"
    );
    let quiet = updates[1]["channels"].as_object().unwrap();
    assert!(quiet.values().all(|ticked| ticked == false), "{quiet:?}");
    assert_eq!(updates[1]["state"], "in_progress");
    assert_eq!(updates[2]["state"], "completed");

    // And after a further restart, nothing runs again.
    let s = restart(s, dir.path()).await;
    advance_when_idle(&s, plus_mins(ends, 2 * HOUR)).await;
    s.idle().await;
    assert_eq!(window_events(&s, &id).await.len(), 3);
    assert_eq!(
        window(&s, &f, &id).await["updates"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn of_the_reminders_missed_while_down_only_the_latest_goes_out_once() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_on(dir.path()).await;
    let f = s.fixture("acme").await;
    let starts = plus_mins(s.now(), 5 * DAY);
    let id = id_of(&schedule(&s, &f, starts, plus_mins(starts, HOUR), json!({})).await);

    // Down through all three reminders; back half an hour before the start.
    let s = restart(s, dir.path()).await;
    let back = minus_mins(starts, 30);
    advance_when_idle(&s, back).await;
    let events = events_when(&s, &id, "maintenance.reminded", 1).await;
    let reminded = of_kind(&events, "maintenance.reminded")[0];
    assert_eq!(reminded["actor"], AUTOMATION);
    assert_eq!(ts(&reminded["at"]), back);
    let note = reminded["note"].as_str().unwrap();
    assert!(note.starts_with("reminder 1h before"), "{note}");

    // Not again, after another restart either; the start still comes.
    let s = restart(s, dir.path()).await;
    advance_when_idle(&s, minus_mins(starts, 1)).await;
    s.idle().await;
    advance_when_idle(&s, starts).await;
    window_in(&s, &f, &id, "in_progress").await;
    let events = window_events(&s, &id).await;
    assert_eq!(
        kinds(&events),
        [
            "maintenance.scheduled",
            "maintenance.reminded",
            "maintenance.started"
        ]
    );
    let path = f.path(&format!("/maintenance/{id}/deliveries"));
    let report = s.get(&path, &s.viewer).await.ok(200);
    let reminders = report
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["event"] == "maintenance.reminder")
        .count();
    assert_eq!(reminders, 1, "{report:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn changed_reminders_go_out_at_their_new_offsets_only() {
    let s = server().await;
    let f = s.fixture("acme").await;
    let rx = Receiver::start().await;
    subscribe(&s, &f, Channel::Webhook, &rx.url(HOOK)).await;
    let starts = plus_mins(s.now(), 5 * DAY);
    let created = schedule(&s, &f, starts, plus_mins(starts, HOUR), json!({})).await;
    let id = id_of(&created);
    heard(&s, &f, &id, &rx, 1).await;
    let path = f.path(&format!("/maintenance/{id}/reminders"));

    // Refused: an offset out of range, and nothing changes.
    let refused = s
        .put(&path, &s.responder, json!({"reminders": [0, 60]}))
        .await
        .ok(422);
    assert_eq!(refused["field"], "reminders", "{refused:#}");
    assert_eq!(
        window(&s, &f, &id).await["reminders"],
        json!([4320, 1440, 60])
    );

    let changed = s
        .put(&path, &s.responder, json!({"reminders": [30, 2 * HOUR]}))
        .await
        .ok(200);
    assert_eq!(changed["reminders"], json!([120, 30]));
    assert_eq!(changed["updates"].as_array().unwrap().len(), 1, "no update");
    let events = window_events(&s, &id).await;
    assert_eq!(
        kinds(&events),
        ["maintenance.scheduled", "maintenance.reminders_changed"]
    );

    // The old offsets are quiet; the new ones remind.
    for mins in [3 * DAY, DAY] {
        advance_when_idle(&s, minus_mins(starts, mins)).await;
        s.idle().await;
        assert_eq!(rx.all().len(), 1, "no reminder {mins} min before");
    }
    advance_when_idle(&s, minus_mins(starts, 2 * HOUR)).await;
    let got = heard(&s, &f, &id, &rx, 2).await;
    assert_eq!(got[1]["type"], "maintenance.reminder");
    advance_when_idle(&s, minus_mins(starts, HOUR)).await;
    s.idle().await;
    assert_eq!(rx.all().len(), 2, "no reminder an hour before");
    advance_when_idle(&s, minus_mins(starts, 30)).await;
    heard(&s, &f, &id, &rx, 3).await;

    // Once started, there is nothing to remind of.
    advance_when_idle(&s, starts).await;
    window_in(&s, &f, &id, "in_progress").await;
    let late = s
        .put(&path, &s.responder, json!({"reminders": [15]}))
        .await
        .ok(422);
    assert!(
        late["detail"]
            .as_str()
            .unwrap()
            .contains("only before it starts"),
        "{late:#}"
    );
}
