//! The update cadence end to end, on a running server whose clock the test moves by hand:
//! nudges to the lead before and at each deadline and the escalation after the grace period,
//! for each severity and state; snoozes before and after a deadline; the "next update in N"
//! override; no stale nudge once an update is posted; adherence; a maintenance window run by
//! hand on the page's maintenance cadence; the console's list of unseen nudges; and the metrics.
//!
//! Nudges are observed with a real HTTP receiver (Slack, Teams and webhook channels) and the
//! email spool; the worker looks at its jobs every 20 ms of real time.
mod common;

use std::path::Path;

use common::receiver::{Received, Receiver};
use common::*;
use herald_core::access::Role;
use serde_json::{Value, json};

async fn server() -> Server {
    Server::start_configured(|c| {
        c.delivery.allow_private_targets = true;
        c.delivery.timeout_secs = 3;
        c.delivery.poll_ms = 20;
    })
    .await
}

/// A console user without a password, named after its address; its id.
async fn user(s: &Server, email: &str, role: Role) -> String {
    let name = email.split('@').next().unwrap();
    common::console::create_user(s, email, name, role, None)
        .await
        .id
}

/// Names the incident's lead and manager; the incident's cadence as answered.
async fn roles(s: &Server, f: &Fixture, id: &str, roles: Value) -> Value {
    s.put(
        &f.path(&format!("/incidents/{id}/roles")),
        &s.responder,
        roles,
    )
    .await
    .ok(200)
}

/// Sets where the user is nudged; the secret their webhook nudges are signed with.
async fn channels(s: &Server, user: &str, channels: Value) -> String {
    let path = format!("/api/v1/users/{user}/nudge-channels");
    let set = s
        .put(&path, &s.admin, json!({"channels": channels}))
        .await
        .ok(200);
    set["webhook_secret"].as_str().unwrap().to_string()
}

async fn incident(s: &Server, f: &Fixture, severity: u8, state: &str) -> String {
    let mut new = f.new_incident("API <b>errors</b>", severity);
    new["state"] = json!(state);
    new["channels"] = json!({"email": false, "webhook": false, "slack": false, "teams": false,
                             "social": false, "irc": false, "sms": false});
    let created = s
        .post(&f.path("/incidents"), &s.responder, new)
        .await
        .ok(201);
    created["id"].as_str().unwrap().to_string()
}

async fn get_incident(s: &Server, f: &Fixture, id: &str) -> Value {
    s.get(&f.path(&format!("/incidents/{id}")), &s.viewer)
        .await
        .ok(200)
}

async fn update(s: &Server, f: &Fixture, id: &str, body: Value) -> Value {
    s.post(
        &f.path(&format!("/incidents/{id}/updates")),
        &s.responder,
        body,
    )
    .await
    .ok(201)
}

async fn adherence(s: &Server, f: &Fixture, id: &str) -> Value {
    s.get(&f.path(&format!("/incidents/{id}/adherence")), &s.viewer)
        .await
        .ok(200)
}

/// Waits until the receiver has exactly `n` requests; them, in arrival order.
async fn received(s: &Server, rx: &Receiver, n: usize) -> Vec<Received> {
    rx.until(5, &format!("{n} nudges"), |all| all.len() >= n)
        .await;
    s.idle().await;
    let all = rx.all();
    assert_eq!(
        all.len(),
        n,
        "{:?}",
        all.iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    all
}

/// Shows that nothing more arrives at this instant.
async fn quiet(s: &Server, rx: &Receiver, n: usize) {
    s.idle().await;
    let all = rx.all();
    assert_eq!(
        all.len(),
        n,
        "no nudge is due: {:?}",
        all.iter().map(|r| &r.path).collect::<Vec<_>>()
    );
}

fn slack_header(r: &Received) -> String {
    r.json()["blocks"][0]["text"]["text"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn sev1_investigating_nudges_the_lead_at_8_and_10_and_escalates_to_the_manager_at_15() {
    let s = server().await;
    let f = s.fixture("acme").await;
    let rx = Receiver::start().await;
    let lead = user(&s, "lead@example.com", Role::Responder).await;
    let manager = user(&s, "manager@example.com", Role::Responder).await;
    channels(
        &s,
        &lead,
        json!([
            {"channel": "slack", "address": rx.url("/ok/lead-slack")},
            {"channel": "webhook", "address": rx.url("/ok/lead-hook")},
        ]),
    )
    .await;
    channels(
        &s,
        &manager,
        json!([{"channel": "teams", "address": rx.url("/ok/manager-teams")}]),
    )
    .await;
    let t0 = s.now();
    let id = incident(&s, &f, 1, "investigating").await;
    let roles = roles(
        &s,
        &f,
        &id,
        json!({"lead": "Lead@Example.com", "manager": manager}),
    )
    .await;
    assert_eq!(roles["lead"]["id"], json!(lead));
    assert_eq!(roles["manager"]["email"], "manager@example.com");
    assert_eq!(ts(&roles["next_update_due"]), plus_mins(t0, 10));
    let shown = get_incident(&s, &f, &id).await;
    assert_eq!(shown["lead"]["email"], "lead@example.com");
    assert_eq!(ts(&shown["next_update_due"]), plus_mins(t0, 10));

    advance_when_idle(&s, plus_mins(t0, 7)).await;
    quiet(&s, &rx, 0).await;
    advance_when_idle(&s, plus_mins(t0, 8)).await;
    let got = received(&s, &rx, 2).await;
    let slack = got.iter().find(|r| r.path == "/ok/lead-slack").unwrap();
    assert_eq!(
        slack_header(slack),
        "Update due in 2 min: API &lt;b&gt;errors&lt;/b&gt;"
    );
    let hook = got.iter().find(|r| r.path == "/ok/lead-hook").unwrap();
    let data = &hook.json()["data"];
    assert_eq!(
        (data["kind"].as_str(), data["subject_id"].as_str()),
        (Some("before"), Some(id.as_str()))
    );
    assert_eq!(ts(&data["due_at"]), plus_mins(t0, 10));
    assert!(
        data["body"]
            .as_str()
            .unwrap()
            .contains("(severity 1, investigating)"),
        "{data}"
    );
    assert_eq!(
        data["url"],
        json!(format!("{}/console/pages/acme/incidents/{id}", s.base))
    );
    assert!(hook.header("webhook-id").starts_with("nudge_"));

    advance_when_idle(&s, plus_mins(t0, 10)).await;
    let got = received(&s, &rx, 4).await;
    assert!(got[2..].iter().all(|r| r.path.starts_with("/ok/lead-")));
    let due = got[2..]
        .iter()
        .find(|r| r.path == "/ok/lead-slack")
        .unwrap();
    assert_eq!(
        slack_header(due),
        "Update due now: API &lt;b&gt;errors&lt;/b&gt;"
    );

    advance_when_idle(&s, plus_mins(t0, 14)).await;
    quiet(&s, &rx, 4).await;
    advance_when_idle(&s, plus_mins(t0, 15)).await;
    let got = received(&s, &rx, 7).await;
    let teams = got[4..]
        .iter()
        .find(|r| r.path == "/ok/manager-teams")
        .expect("the manager hears");
    let card = &teams.json()["attachments"][0]["content"];
    assert_eq!(
        card["body"][0]["text"],
        "Update overdue by 5 min: API <b>errors</b>"
    );
    assert_eq!(
        got[4..]
            .iter()
            .filter(|r| r.path.starts_with("/ok/lead-"))
            .count(),
        2
    );

    // Adherence: one update due, none on time, 5 minutes late so far; then met 6 minutes late.
    let a = adherence(&s, &f, &id).await;
    assert_eq!(
        (
            a["due"].as_u64(),
            a["on_time"].as_u64(),
            a["overdue"].as_u64()
        ),
        (Some(1), Some(0), Some(1))
    );
    assert_eq!(a["late"][0]["lateness_secs"], 300);
    advance_when_idle(&s, plus_mins(t0, 16)).await;
    update(&s, &f, &id, json!({"state": "identified", "details": "Found it.", "channels": {"email": false, "webhook": false, "slack": false, "teams": false, "social": false, "irc": false, "sms": false}})).await;
    let a = adherence(&s, &f, &id).await;
    assert_eq!(
        (
            a["due"].as_u64(),
            a["on_time"].as_u64(),
            a["ratio"].as_f64()
        ),
        (Some(1), Some(0), Some(0.0))
    );
    assert_eq!(a["late"][0]["lateness_secs"], 360);
    assert_eq!(a["late"][0]["met_by"], "update");
    // Severity 1 identified: 10 minutes again.
    assert_eq!(
        ts(&get_incident(&s, &f, &id).await["next_update_due"]),
        plus_mins(t0, 26)
    );

    // The console's list: what went to whom, each channel delivered.
    let nudges = s.get(&f.path("/nudges"), &s.viewer).await.ok(200);
    let nudges = nudges.as_array().unwrap();
    assert_eq!(nudges.len(), 4, "{nudges:#?}");
    let kinds: Vec<(&str, &str)> = nudges
        .iter()
        .rev()
        .map(|n| {
            (
                n["kind"].as_str().unwrap(),
                n["user"]["email"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("before", "lead@example.com"),
            ("due", "lead@example.com"),
            ("escalate", "lead@example.com"),
            ("escalate", "manager@example.com")
        ]
    );
    assert!(
        nudges
            .iter()
            .flat_map(|n| n["deliveries"].as_array().unwrap())
            .all(|d| d["outcome"] == "delivered"),
        "{nudges:#?}"
    );

    let events = s.events().await;
    let roles_changed = events
        .iter()
        .find(|e| e["kind"] == "incident.roles_changed")
        .unwrap();
    assert_eq!(roles_changed["actor"], json!(s.responder.actor()));
    assert!(
        events
            .iter()
            .any(|e| e["kind"] == "user.nudge_channels_changed")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_update_before_the_deadline_cancels_its_nudges_and_arms_the_next() {
    let s = server().await;
    let f = s.fixture("acme").await;
    let rx = Receiver::start().await;
    let lead = user(&s, "lead@example.com", Role::Responder).await;
    channels(
        &s,
        &lead,
        json!([{"channel": "webhook", "address": rx.url("/ok/lead")}]),
    )
    .await;
    let t0 = s.now();
    // Severity 2 identified: 30 minutes.
    let id = incident(&s, &f, 2, "identified").await;
    roles(&s, &f, &id, json!({"lead": lead, "manager": null})).await;
    assert_eq!(
        ts(&get_incident(&s, &f, &id).await["next_update_due"]),
        plus_mins(t0, 30)
    );
    advance_when_idle(&s, plus_mins(t0, 20)).await;
    update(
        &s,
        &f,
        &id,
        json!({"state": "identified", "details": "A fix is rolling out."}),
    )
    .await;
    // The old instants (28, 30, 35) pass in silence.
    for at in [28, 30, 35] {
        advance_when_idle(&s, plus_mins(t0, at)).await;
        quiet(&s, &rx, 0).await;
    }
    advance_when_idle(&s, plus_mins(t0, 48)).await;
    let got = received(&s, &rx, 1).await;
    assert_eq!(got[0].json()["data"]["kind"], "before");
    assert_eq!(ts(&got[0].json()["data"]["due_at"]), plus_mins(t0, 50));
    let a = adherence(&s, &f, &id).await;
    assert_eq!(
        (
            a["due"].as_u64(),
            a["on_time"].as_u64(),
            a["ratio"].as_f64()
        ),
        (Some(1), Some(1), Some(1.0))
    );
    assert_eq!(a["late"], json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn snoozes_before_and_after_the_deadline_and_the_next_update_in_override() {
    let s = server().await;
    let f = s.fixture("acme").await;
    let rx = Receiver::start().await;
    let lead = user(&s, "lead@example.com", Role::Responder).await;
    let manager = user(&s, "manager@example.com", Role::Responder).await;
    channels(
        &s,
        &lead,
        json!([{"channel": "webhook", "address": rx.url("/ok/lead")}]),
    )
    .await;
    channels(
        &s,
        &manager,
        json!([{"channel": "webhook", "address": rx.url("/ok/manager")}]),
    )
    .await;
    let t0 = s.now();
    // Severity 1 monitoring: 30 minutes.
    let id = incident(&s, &f, 1, "monitoring").await;
    roles(&s, &f, &id, json!({"lead": lead, "manager": manager})).await;
    let snooze = f.path(&format!("/incidents/{id}/snooze"));

    // Bad input: a clear 422 naming the field; a viewer may not snooze.
    s.post(&snooze, &s.responder, json!({"minutes": 0}))
        .await
        .assert_problem(422, "invalid-field");
    s.post(&snooze, &s.responder, json!({"minutes": -3}))
        .await
        .assert_problem(422, "invalid-body");
    s.post(&snooze, &s.viewer, json!({"minutes": 5}))
        .await
        .assert_problem(403, "forbidden");

    // Before the deadline: moved, no penalty.
    advance_when_idle(&s, plus_mins(t0, 5)).await;
    let snoozed = s
        .post(&snooze, &s.responder, json!({"minutes": 20}))
        .await
        .ok(200);
    assert_eq!(ts(&snoozed["next_update_due"]), plus_mins(t0, 25));
    advance_when_idle(&s, plus_mins(t0, 23)).await;
    let got = received(&s, &rx, 1).await;
    assert_eq!(ts(&got[0].json()["data"]["due_at"]), plus_mins(t0, 25));
    advance_when_idle(&s, plus_mins(t0, 25)).await;
    received(&s, &rx, 2).await;
    // The first deadline's nudges (28, 30) never come.
    advance_when_idle(&s, plus_mins(t0, 28)).await;
    quiet(&s, &rx, 2).await;

    // After the deadline (at 28): counted late, and a new deadline 10 minutes out.
    let snoozed = s
        .post(&snooze, &s.responder, json!({"minutes": 10}))
        .await
        .ok(200);
    assert_eq!(ts(&snoozed["next_update_due"]), plus_mins(t0, 38));
    let a = adherence(&s, &f, &id).await;
    assert_eq!(
        (a["due"].as_u64(), a["on_time"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(a["late"][0]["met_by"], "snooze");
    assert_eq!(a["late"][0]["lateness_secs"], 180);
    // No escalation for the snoozed deadline at 30.
    advance_when_idle(&s, plus_mins(t0, 30)).await;
    quiet(&s, &rx, 2).await;

    // "Next update in 45 minutes" overrides the table.
    advance_when_idle(&s, plus_mins(t0, 31)).await;
    let updated = update(
        &s,
        &f,
        &id,
        json!({"state": "monitoring", "details": "Holding steady.", "next_update_in": 45}),
    )
    .await;
    assert_eq!(ts(&updated["next_update_due"]), plus_mins(t0, 76));
    let a = adherence(&s, &f, &id).await;
    assert_eq!(
        (a["due"].as_u64(), a["on_time"].as_u64()),
        (Some(2), Some(1))
    );

    // Resolving meets the deadline and arms nothing more.
    advance_when_idle(&s, plus_mins(t0, 40)).await;
    s.resolve_incident(&f, &id).await;
    assert_eq!(
        get_incident(&s, &f, &id).await["next_update_due"],
        Value::Null
    );
    for at in [74, 76, 81] {
        advance_when_idle(&s, plus_mins(t0, at)).await;
        quiet(&s, &rx, 2).await;
    }
    s.post(&snooze, &s.responder, json!({"minutes": 5}))
        .await
        .assert_problem(422, "nothing-due");
    let a = adherence(&s, &f, &id).await;
    assert_eq!(
        (a["due"].as_u64(), a["on_time"].as_u64()),
        (Some(3), Some(2))
    );

    let kinds: Vec<String> = s
        .events()
        .await
        .iter()
        .filter(|e| e["kind"] == "incident.snoozed")
        .map(|e| e["note"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds.len(), 2);
    assert!(
        kinds[0].contains("no penalty") && kinds[1].contains("counted late"),
        "{kinds:?}"
    );
}

/// The emails in the spool, as text.
fn mails(data_dir: &Path) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(data_dir.join("mail")) else {
        return vec![];
    };
    dir.map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn with_nobody_named_nudges_stay_in_the_console_the_escalation_emails_the_admins_and_metrics_show_it()
 {
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let s = Server::start_configured(|c| {
        c.delivery.allow_private_targets = true;
        c.delivery.poll_ms = 20;
        c.metrics.listen = format!("127.0.0.1:{port}");
    })
    .await;
    let f = s.fixture("acme").await;
    user(&s, "root@example.com", Role::Admin).await;
    user(&s, "viewer@example.com", Role::Viewer).await;
    let t0 = s.now();
    // Severity 2 investigating: 15 minutes.
    let id = incident(&s, &f, 2, "investigating").await;
    advance_when_idle(&s, plus_mins(t0, 13)).await;
    // Let the early nudge be recorded before the deadline's, so the list is in their order.
    eventually("the early nudge", async || {
        let recorded = s.get(&f.path("/nudges"), &s.viewer).await.ok(200);
        match recorded.as_array().map(Vec::len) {
            Some(1) => Ok(()),
            other => Err(format!("{other:?} nudges")),
        }
    })
    .await;
    advance_when_idle(&s, plus_mins(t0, 15)).await;
    s.idle().await;
    assert!(mails(s.data_dir()).is_empty());
    advance_when_idle(&s, plus_mins(t0, 20)).await;
    let mail = eventually("the escalation email", async || {
        match mails(s.data_dir()).as_slice() {
            // The spool writes a file, then its contents: an empty one is still being written.
            [one] if !one.is_empty() => Ok(one.clone()),
            other => Err(format!("{} emails", other.len())),
        }
    })
    .await;
    assert!(mail.contains("To: root@example.com"), "{mail}");
    assert!(
        mail.contains("Subject: [acme status] Update overdue by 5 min: API <b>errors</b>"),
        "{mail}"
    );
    assert!(
        mail.contains("&lt;b&gt;errors&lt;&#x2f;b&gt;"),
        "the HTML part escapes: {mail}"
    );

    let nudges = s.get(&f.path("/nudges"), &s.viewer).await.ok(200);
    let users: Vec<(&str, &Value)> = nudges
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|n| (n["kind"].as_str().unwrap(), &n["user"]))
        .collect();
    assert_eq!(users.len(), 3, "{nudges:#}");
    assert_eq!((users[0].0, users[0].1), ("before", &Value::Null));
    assert_eq!((users[1].0, users[1].1), ("due", &Value::Null));
    assert_eq!(
        (users[2].0, users[2].1["email"].as_str()),
        ("escalate", Some("root@example.com"))
    );

    let page = s.get(&f.path("/adherence"), &s.viewer).await.ok(200);
    assert_eq!(
        (
            page["due"].as_u64(),
            page["on_time"].as_u64(),
            page["overdue"].as_u64()
        ),
        (Some(1), Some(0), Some(1))
    );
    assert_eq!(page["subjects"][0]["title"], "API <b>errors</b>");
    assert_eq!(page["subjects"][0]["subject_id"], json!(id));

    let samples = python_json(
        "prometheus_scrape.py",
        vec![format!("http://127.0.0.1:{port}/metrics")],
    )
    .await;
    let value = |name: &str, le: Option<&str>| {
        samples
            .as_array()
            .unwrap()
            .iter()
            .find(|s| {
                s["name"] == name
                    && s["labels"]["page"] == "acme"
                    && s["labels"]["le"].as_str() == le
            })
            .unwrap_or_else(|| panic!("no {name} {le:?} in {samples:#}"))["value"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(value("herald_cadence_updates_due_total", None), 1.0);
    assert_eq!(value("herald_cadence_updates_on_time_total", None), 0.0);
    assert_eq!(value("herald_cadence_adherence_ratio", None), 0.0);
    assert_eq!(value("herald_cadence_overdue_subjects", None), 1.0);
    assert_eq!(
        value("herald_cadence_lateness_seconds_bucket", Some("60")),
        0.0
    );
    assert_eq!(
        value("herald_cadence_lateness_seconds_bucket", Some("300")),
        1.0
    );
    assert_eq!(value("herald_cadence_lateness_seconds_sum", None), 300.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_lead_sees_nudges_on_the_console_until_marking_them_seen() {
    use common::console::{Browser, PASSWORD, add_user};
    let s = server().await;
    let f = s.fixture("acme").await;
    let lead = add_user(&s, "lead@example.com", Role::Responder, Some(PASSWORD)).await;
    let t0 = s.now();
    let id = incident(&s, &f, 1, "investigating").await;
    roles(&s, &f, &id, json!({"lead": lead.id})).await;
    let mut b = Browser::new(&s);
    b.sign_in("lead@example.com", PASSWORD).await;
    assert!(!b.get("/console").await.body.contains("Nudges for you"));

    advance_when_idle(&s, plus_mins(t0, 8)).await;
    let unseen = f.path(&format!("/nudges?user={}&unseen=true", lead.id));
    one_unseen(&s, &unseen).await;
    let dashboard = b.get("/console").await;
    assert!(
        dashboard.body.contains("Nudges for you"),
        "{}",
        dashboard.body
    );
    assert!(
        dashboard
            .body
            .contains("Update due in 2 min: API &lt;b&gt;errors&lt;&#x2f;b&gt;"),
        "{}",
        dashboard.body
    );
    assert!(
        dashboard
            .body
            .contains(&format!("/console/pages/acme/incidents/{id}"))
    );

    let before = s.last_event_id().await;
    let csrf = dashboard.csrf();
    let seen = b.post("/console/nudges/seen", &[("_csrf", &csrf)]).await;
    assert_eq!(seen.status, 303, "{seen:#?}");
    assert!(!b.get("/console").await.body.contains("Nudges for you"));
    let left = s.get(&unseen, &s.viewer).await.ok(200);
    assert_eq!(left, json!([]));
    let all = s.get(&f.path("/nudges"), &s.viewer).await.ok(200);
    assert!(all[0]["seen_at"].is_string(), "{all:#}");
    let actor = format!("user:{} (lead@example.com)", lead.id);
    s.assert_events_after(before, &[("user.nudges_seen", actor)])
        .await;

    // The nudge at the deadline is new, so it is listed again.
    advance_when_idle(&s, plus_mins(t0, 10)).await;
    one_unseen(&s, &unseen).await;
    assert!(b.get("/console").await.body.contains("Update due now"));
}

/// Waits until the nudge list at `path` holds exactly one nudge.
async fn one_unseen(s: &Server, path: &str) {
    eventually("one unseen nudge", async || {
        let nudges = s.get(path, &s.viewer).await.ok(200);
        match nudges.as_array().map(Vec::len) {
            Some(1) => Ok(()),
            _ => Err(nudges.to_string()),
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_window_run_by_hand_keeps_the_maintenance_cadence() {
    let s = server().await;
    let f = s.fixture("acme").await;
    let rx = Receiver::start().await;
    let lead = user(&s, "lead@example.com", Role::Responder).await;
    let manager = user(&s, "manager@example.com", Role::Responder).await;
    let to_lead = json!([{"channel": "webhook", "address": rx.url("/ok/lead")}]);
    let lead_secret = channels(&s, &lead, to_lead).await;
    let to_manager = json!([{"channel": "webhook", "address": rx.url("/ok/manager")}]);
    let manager_secret = channels(&s, &manager, to_manager).await;
    assert_ne!(lead_secret, manager_secret);
    let page = s.get(&f.path(""), &s.admin).await.ok(200);
    let mut settings = page["settings"].clone();
    settings["maintenance_cadence"] = json!(30);
    s.patch(&f.path(""), &s.admin, json!({"settings": settings}))
        .await
        .ok(200);

    // Scheduled and run by hand: nothing is due until the lead starts it.
    let t0 = s.now();
    let silent = json!({"email": false, "webhook": false, "slack": false, "teams": false,
                        "social": false, "irc": false, "sms": false});
    let window = json!({
        "title": "Database upgrade",
        "details": "We will upgrade the database.",
        "affected": [f.us_east],
        "starts_at": plus_mins(t0, 60).to_string(),
        "ends_at": plus_mins(t0, 180).to_string(),
        "automation": false,
        "reminders": [],
        "channels": silent,
    });
    let created = s
        .post(&f.path("/maintenance"), &s.responder, window)
        .await
        .ok(201);
    let id = created["id"].as_str().unwrap().to_string();
    let at = |rest: &str| f.path(&format!("/maintenance/{id}{rest}"));
    let named = json!({"lead": lead, "manager": manager});
    let cadence = s.put(&at("/roles"), &s.responder, named).await.ok(200);
    assert_eq!(cadence["next_update_due"], Value::Null);
    let update = |body: Value| {
        let mut body = body;
        body["channels"] = silent.clone();
        body
    };
    let t1 = plus_mins(t0, 60);
    advance_when_idle(&s, t1).await;
    let start = update(json!({"state": "in_progress", "details": "Starting now."}));
    s.post(&at("/updates"), &s.responder, start).await.ok(201);

    // Every 30 minutes while in progress: the lead at 28 and 30, the manager too at 35.
    advance_when_idle(&s, plus_mins(t1, 27)).await;
    quiet(&s, &rx, 0).await;
    advance_when_idle(&s, plus_mins(t1, 28)).await;
    let got = received(&s, &rx, 1).await;
    let data = &got[0].json()["data"];
    assert_eq!(got[0].path, "/ok/lead");
    assert_eq!(
        (data["subject"].as_str(), data["kind"].as_str()),
        (Some("maintenance"), Some("before"))
    );
    assert_eq!(ts(&data["due_at"]), plus_mins(t1, 30));
    advance_when_idle(&s, plus_mins(t1, 30)).await;
    received(&s, &rx, 2).await;
    advance_when_idle(&s, plus_mins(t1, 35)).await;
    let got = received(&s, &rx, 4).await;
    assert!(got[2..].iter().any(|r| r.path == "/ok/manager"));
    assert!(
        got[2..]
            .iter()
            .all(|r| r.json()["data"]["kind"] == "escalate")
    );

    // An update six minutes late re-arms it; a snooze before the deadline moves it for free.
    advance_when_idle(&s, plus_mins(t1, 36)).await;
    let progress = update(json!({"details": "Half way."}));
    s.post(&at("/updates"), &s.responder, progress)
        .await
        .ok(201);
    advance_when_idle(&s, plus_mins(t1, 40)).await;
    let snoozed = s
        .post(&at("/snooze"), &s.responder, json!({"minutes": 10}))
        .await
        .ok(200);
    assert_eq!(ts(&snoozed["next_update_due"]), plus_mins(t1, 50));
    advance_when_idle(&s, plus_mins(t1, 48)).await;
    received(&s, &rx, 5).await;

    // Completing it before the deadline ends the cadence: no stale nudge fires.
    advance_when_idle(&s, plus_mins(t1, 49)).await;
    let done = update(json!({"state": "completed", "details": "Done."}));
    s.post(&at("/updates"), &s.responder, done).await.ok(201);
    advance_when_idle(&s, plus_mins(t1, 50)).await;
    advance_when_idle(&s, plus_mins(t1, 70)).await;
    quiet(&s, &rx, 5).await;
    let a = s.get(&at("/adherence"), &s.viewer).await.ok(200);
    assert_eq!(
        (a["due"].as_u64(), a["on_time"].as_u64()),
        (Some(2), Some(1)),
        "{a:#}"
    );
    assert_eq!(a["late"][0]["lateness_secs"], 360);

    // Every webhook nudge is signed with its person's secret, as Standard Webhooks checks it.
    let signed: Vec<Value> = rx
        .all()
        .iter()
        .map(|r| {
            let secret = match r.path.as_str() {
                "/ok/lead" => &lead_secret,
                _ => &manager_secret,
            };
            let body = String::from_utf8(r.body.clone()).unwrap();
            json!({"secret": secret, "headers": r.headers, "body": body})
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nudges.json");
    std::fs::write(&file, json!(signed).to_string()).unwrap();
    let checked = python_json("webhooks_verify.py", vec![file.display().to_string()]).await;
    assert_eq!(checked.as_array().unwrap().len(), 5);
    for c in checked.as_array().unwrap() {
        assert_eq!(c["verified"], true, "{c}");
        assert_eq!(c["type"], "cadence.nudge", "{c}");
        assert_eq!(c["tampered_body_rejected"], true, "{c}");
    }
}
