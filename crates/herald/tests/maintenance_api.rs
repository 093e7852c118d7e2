//! Scheduled maintenance windows through the admin API, against a real server and SQLite
//! file: every route, the roles, bad input as problem documents, the audit log, and the page
//! status while a window runs. (`admin_api.rs` also runs these routes through its checks of
//! every route: tokens, unknown pages, malformed bodies, the OpenAPI document.)
mod common;

use common::{Fixture, Server, is_id, plus_mins, ts};
use serde_json::{Value, json};

/// The instant `minutes` after the test clock's current time, as RFC 3339.
fn at(s: &Server, minutes: i64) -> String {
    plus_mins(s.now(), minutes).to_string()
}

/// A valid new window over the API's US East location and the website, planned `start` to
/// `end` minutes from now.
fn new_window(s: &Server, f: &Fixture, title: &str, start: i64, end: i64) -> Value {
    json!({
        "title": title,
        "details": "We will upgrade the **database**; writes pause for a minute.",
        "affected": [f.us_east, f.website_default],
        "starts_at": at(s, start),
        "ends_at": at(s, end),
    })
}

/// Schedules a window as the responder; its id.
async fn schedule(s: &Server, f: &Fixture, title: &str, start: i64, end: i64) -> String {
    let created = s
        .post(
            &f.path("/maintenance"),
            &s.responder,
            new_window(s, f, title, start, end),
        )
        .await
        .ok(201);
    created["id"].as_str().unwrap().to_string()
}

/// Posts an update as the responder, moving the window to `state`.
async fn move_to(s: &Server, f: &Fixture, id: &str, state: &str) -> Value {
    let body = json!({"state": state, "details": format!("Now {state}.")});
    s.post(
        &f.path(&format!("/maintenance/{id}/updates")),
        &s.responder,
        body,
    )
    .await
    .ok(201)
}

/// The levels of US East, APAC and the website, and the page's.
async fn levels(s: &Server, f: &Fixture) -> (Vec<Value>, Value) {
    let status = s.get(&f.path("/status"), &s.viewer).await.ok(200);
    let location = |c: usize, l: usize| status["components"][c]["locations"][l]["level"].clone();
    (
        vec![location(0, 0), location(0, 1), location(1, 0)],
        status["level"].clone(),
    )
}

fn titles(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|m| m["title"].as_str().unwrap().to_string())
        .collect()
}

/// Everything a refused write could have touched.
async fn snapshot(s: &Server, f: &Fixture) -> Value {
    json!({
        "events": s.events().await,
        "maintenance": s.get(&f.path("/maintenance?limit=500"), &s.admin).await.ok(200),
        "status": s.get(&f.path("/status"), &s.admin).await.ok(200),
        "components": s.get(&f.path("/components"), &s.admin).await.ok(200),
    })
}

#[tokio::test]
async fn a_window_runs_its_course_and_holds_its_locations_meanwhile() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let start = s.last_event_id().await;
    let t0 = s.now();
    let operational = (vec![json!("operational"); 3], json!("operational"));

    // Schedule.
    let mut body = new_window(&s, &f, " Database upgrade ", 60, 120);
    body["channels"] = json!({"sms": false});
    let created = s
        .post(&f.path("/maintenance"), &s.responder, body)
        .await
        .ok(201);
    let id = created["id"].as_str().unwrap().to_string();
    assert!(is_id(&created["id"]), "{created}");
    assert_eq!(created["page_id"], json!(f.page_id));
    assert_eq!(created["title"], "Database upgrade");
    assert_eq!(created["affected"], json!([f.us_east, f.website_default]));
    assert_eq!(ts(&created["starts_at"]), plus_mins(t0, 60));
    assert_eq!(ts(&created["ends_at"]), plus_mins(t0, 120));
    assert_eq!(created["state"], "scheduled");
    assert_eq!(created["automation"], true);
    assert_eq!(created["sequence"], 0);
    assert_eq!(created["started_at"], Value::Null);
    assert_eq!(created["ended_at"], Value::Null);
    let first = &created["updates"][0];
    assert_eq!(created["updates"].as_array().unwrap().len(), 1);
    assert!(is_id(&first["id"]));
    assert_eq!(first["state"], "scheduled");
    assert_eq!(
        first["details"],
        "We will upgrade the **database**; writes pause for a minute."
    );
    assert_eq!(first["author"], json!(s.responder.actor()));
    assert_eq!(ts(&first["at"]), t0);
    assert_eq!(
        first["channels"],
        json!({"email": true, "webhook": true, "slack": true, "teams": true, "social": true, "irc": true, "sms": false})
    );
    let path = f.path(&format!("/maintenance/{id}"));
    assert_eq!(s.get(&path, &s.viewer).await.ok(200), created);
    assert_eq!(
        levels(&s, &f).await,
        operational,
        "a scheduled window holds nothing"
    );

    // An update without starting.
    s.advance_mins(10);
    let noted = s
        .post(
            &format!("{path}/updates"),
            &s.responder,
            json!({"details": "A reminder: this starts in 50 minutes."}),
        )
        .await
        .ok(201);
    assert_eq!(noted["state"], "scheduled");
    assert_eq!(noted["updates"].as_array().unwrap().len(), 2);

    // Start early: the page shows the window's locations under maintenance.
    let t1 = s.advance_mins(20);
    let started = move_to(&s, &f, &id, "in_progress").await;
    assert_eq!(started["state"], "in_progress");
    assert_eq!(ts(&started["started_at"]), t1);
    assert_eq!(
        ts(&started["starts_at"]),
        plus_mins(t0, 60),
        "the plan stays"
    );
    let under = json!("under_maintenance");
    let held = (
        vec![under.clone(), json!("operational"), under.clone()],
        under.clone(),
    );
    assert_eq!(levels(&s, &f).await, held);
    let status = s.get(&f.path("/status"), &s.viewer).await.ok(200);
    assert_eq!(status["components"][0]["level"], under);
    assert_eq!(status["components"][1]["level"], under);

    // Verifying still holds; completing releases.
    s.advance_mins(30);
    move_to(&s, &f, &id, "verifying").await;
    assert_eq!(levels(&s, &f).await, held);
    let t2 = s.advance_mins(5);
    let completed = move_to(&s, &f, &id, "completed").await;
    assert_eq!(completed["state"], "completed");
    assert_eq!(ts(&completed["ended_at"]), t2);
    let states: Vec<&str> = completed["updates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        [
            "scheduled",
            "scheduled",
            "in_progress",
            "verifying",
            "completed"
        ]
    );
    assert_eq!(levels(&s, &f).await, operational);
    assert_eq!(s.get(&path, &s.viewer).await.ok(200), completed);

    // Finished is final.
    let refused = s
        .post(
            &format!("{path}/updates"),
            &s.responder,
            json!({"state": "in_progress", "details": "Once more."}),
        )
        .await;
    refused.assert_problem(422, "maintenance-finished");
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("Schedule a new window"),
        "{refused:#?}"
    );

    let r = s.responder.actor();
    let events = s
        .assert_events_after(
            start,
            &[
                ("maintenance.scheduled", r.clone()),
                ("maintenance.updated", r.clone()),
                ("maintenance.updated", r.clone()),
                ("maintenance.updated", r.clone()),
                ("maintenance.updated", r.clone()),
            ],
        )
        .await;
    for event in &events {
        assert_eq!(event["page_id"], json!(f.page_id));
        assert_eq!(event["subject_type"], "maintenance");
        assert_eq!(event["subject_id"], json!(id));
    }
    assert_eq!(events[0]["before"], Value::Null);
    assert_eq!(events[0]["after"], created);
    assert_eq!(events[2]["before"]["state"], "scheduled");
    assert_eq!(events[2]["after"]["state"], "in_progress");
    assert_eq!(events[4]["after"], completed);
}

#[tokio::test]
async fn rescheduling_raises_the_sequence_and_automation_switches() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    // Timeline text shows times in the page's zone.
    // No reminders: this test is about the lead's own steps (maintenance_automation.rs has
    // Herald's).
    let settings = json!({"maintenance_reminders": []});
    s.patch(
        &f.path(""),
        &s.admin,
        json!({"time_zone": "Europe/Berlin", "settings": settings}),
    )
    .await
    .ok(200);
    let id = schedule(&s, &f, "Upgrade", 60, 120).await;
    let path = f.path(&format!("/maintenance/{id}"));
    let start = s.last_event_id().await;
    let t0 = s.now();

    // Move it later, saying why.
    let moved = s
        .put(
            &format!("{path}/schedule"),
            &s.responder,
            json!({"starts_at": at(&s, 90), "ends_at": at(&s, 180), "details": "The vendor asked for a later slot.", "channels": {"email": false}}),
        )
        .await
        .ok(200);
    assert_eq!(ts(&moved["starts_at"]), plus_mins(t0, 90));
    assert_eq!(ts(&moved["ends_at"]), plus_mins(t0, 180));
    assert_eq!(moved["sequence"], 1);
    assert_eq!(moved["state"], "scheduled");
    let update = &moved["updates"][1];
    assert_eq!(
        update["details"],
        "Rescheduled: now planned from 2025-06-02 12:30 CEST to 2025-06-02 14:00 CEST.\n\nThe vendor asked for a later slot."
    );
    assert_eq!(update["channels"]["email"], false);
    assert_eq!(update["author"], json!(s.responder.actor()));

    // The same times again: unchanged, nothing recorded. An offset other than Z is the same
    // instant.
    let quiet = s.last_event_id().await;
    // 10:30 UTC, the new start, written with Berlin's summer offset.
    let berlin_start = "2025-06-02T12:30:00+02:00";
    let same = s
        .put(
            &format!("{path}/schedule"),
            &s.responder,
            json!({"starts_at": berlin_start, "ends_at": at(&s, 180)}),
        )
        .await
        .ok(200);
    assert_eq!(same, moved);
    assert_eq!(s.last_event_id().await, quiet);

    // Automation: off to run it by hand, and back on; the same value twice records once.
    let auto = format!("{path}/automation");
    let manual = s
        .put(&auto, &s.responder, json!({"enabled": false}))
        .await
        .ok(200);
    assert_eq!(manual["automation"], false);
    assert_eq!(manual["updates"], moved["updates"], "no broadcast");
    s.put(&auto, &s.responder, json!({"enabled": false}))
        .await
        .ok(200);
    let back = s
        .put(&auto, &s.responder, json!({"enabled": true}))
        .await
        .ok(200);
    assert_eq!(back["automation"], true);

    // Started by hand ten minutes early (before Herald's automation would), the end moves and
    // the start does not.
    s.advance_mins(80);
    move_to(&s, &f, &id, "in_progress").await;
    let extended = s
        .put(
            &format!("{path}/schedule"),
            &s.responder,
            json!({"starts_at": moved["starts_at"], "ends_at": plus_mins(t0, 240).to_string()}),
        )
        .await
        .ok(200);
    assert_eq!(extended["sequence"], 2);
    assert_eq!(extended["state"], "in_progress");
    assert_eq!(
        extended["updates"][3]["details"],
        "Now planned to end at 2025-06-02 15:00 CEST."
    );
    let refused = s
        .put(
            &format!("{path}/schedule"),
            &s.responder,
            json!({"starts_at": at(&s, 20), "ends_at": plus_mins(t0, 240).to_string()}),
        )
        .await;
    refused.assert_problem(422, "invalid-field");
    assert_eq!(refused.body["field"], "starts_at");
    let refused = s
        .put(
            &format!("{path}/schedule"),
            &s.responder,
            json!({"starts_at": moved["starts_at"], "ends_at": at(&s, -1)}),
        )
        .await;
    refused.assert_problem(422, "invalid-field");
    assert_eq!(refused.body["field"], "ends_at");
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("post an update with the state completed")
    );

    // Once completed, neither the times nor automation change.
    move_to(&s, &f, &id, "completed").await;
    s.put(
        &format!("{path}/schedule"),
        &s.responder,
        json!({"starts_at": at(&s, 60), "ends_at": at(&s, 120)}),
    )
    .await
    .assert_problem(422, "maintenance-finished");
    s.put(&auto, &s.responder, json!({"enabled": false}))
        .await
        .assert_problem(422, "maintenance-finished");

    let r = s.responder.actor();
    let events = s
        .assert_events_after(
            start,
            &[
                ("maintenance.rescheduled", r.clone()),
                ("maintenance.automation_changed", r.clone()),
                ("maintenance.automation_changed", r.clone()),
                ("maintenance.updated", r.clone()),
                ("maintenance.rescheduled", r.clone()),
                ("maintenance.updated", r.clone()),
            ],
        )
        .await;
    assert_eq!(events[0]["before"]["sequence"], 0);
    assert_eq!(events[0]["after"]["sequence"], 1);
    assert_eq!(events[1]["before"]["automation"], true);
    assert_eq!(events[1]["after"]["automation"], false);
}

#[tokio::test]
async fn windows_are_listed_by_filter_latest_start_first() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let soon = schedule(&s, &f, "Soon", 100, 160).await;
    schedule(&s, &f, "Ahead", 200, 260).await;
    let running = schedule(&s, &f, "Running", 60, 120).await;
    let dropped = schedule(&s, &f, "Dropped", 30, 40).await;
    move_to(&s, &f, &running, "in_progress").await;
    move_to(&s, &f, &dropped, "cancelled").await;
    let list = |query: &str| {
        let (s, path) = (&s, f.path(&format!("/maintenance{query}")));
        async move { titles(&s.get(&path, &s.viewer).await.ok(200)) }
    };

    assert_eq!(list("").await, ["Ahead", "Soon", "Running", "Dropped"]);
    assert_eq!(list("?filter=all").await, list("").await);
    assert_eq!(list("?filter=upcoming").await, ["Ahead", "Soon"]);
    assert_eq!(list("?filter=active").await, ["Running"]);
    assert_eq!(list("?filter=past").await, ["Dropped"]);

    // Past its planned end, a window nobody started is past, no longer upcoming.
    s.advance_mins(170);
    assert_eq!(list("?filter=upcoming").await, ["Ahead"]);
    assert_eq!(list("?filter=past").await, ["Soon", "Dropped"]);
    assert_eq!(
        list("?filter=active").await,
        ["Running"],
        "until someone ends it"
    );

    // Pages of two, following `before`.
    assert_eq!(list("?limit=2").await, ["Ahead", "Soon"]);
    let next = list(&format!("?limit=2&before={soon}")).await;
    assert_eq!(next, ["Running", "Dropped"]);
    assert!(list(&format!("?before={dropped}")).await.is_empty());
    assert_eq!(
        list(&format!("?filter=past&before={soon}")).await,
        ["Dropped"]
    );

    // Bad queries.
    for query in ["?filter=soon", "?limit=many", "?sort=asc", "?state=active"] {
        s.get(&f.path(&format!("/maintenance{query}")), &s.viewer)
            .await
            .assert_problem(400, "invalid-query");
    }
    s.get(
        &f.path("/maintenance?before=000000000000000000000000"),
        &s.viewer,
    )
    .await
    .assert_problem(404, "not-found");
    s.get("/api/v1/pages/nope/maintenance", &s.viewer)
        .await
        .assert_problem(404, "not-found");
}

#[tokio::test]
async fn viewers_read_responders_run_windows_and_admins_delete_them() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let id = schedule(&s, &f, "Upgrade", 60, 120).await;
    let path = f.path(&format!("/maintenance/{id}"));
    let before = snapshot(&s, &f).await;

    s.get(&f.path("/maintenance"), &s.viewer).await.ok(200);
    s.get(&path, &s.viewer).await.ok(200);
    let writes = [
        (
            reqwest::Method::POST,
            f.path("/maintenance"),
            Some(new_window(&s, &f, "More", 60, 120)),
        ),
        (
            reqwest::Method::POST,
            format!("{path}/updates"),
            Some(json!({"details": "Hello."})),
        ),
        (
            reqwest::Method::PUT,
            format!("{path}/schedule"),
            Some(json!({"starts_at": at(&s, 70), "ends_at": at(&s, 130)})),
        ),
        (
            reqwest::Method::PUT,
            format!("{path}/automation"),
            Some(json!({"enabled": false})),
        ),
        (reqwest::Method::DELETE, path.clone(), None),
    ];
    for (method, route, body) in &writes {
        s.call(method.clone(), route, None, body.as_ref())
            .await
            .assert_problem(401, "unauthorized");
        let refused = s
            .call(method.clone(), route, Some(&s.viewer), body.as_ref())
            .await;
        refused.assert_problem(403, "forbidden");
        assert!(refused.body["detail"].as_str().unwrap().contains("viewer"));
    }
    let refused = s.delete(&path, &s.responder).await;
    refused.assert_problem(403, "forbidden");
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("needs the admin role")
    );
    assert_eq!(snapshot(&s, &f).await, before, "a refused request wrote");

    // The responder runs it; the admin deletes it.
    for (method, route, body) in &writes[..4] {
        let got = s
            .call(method.clone(), route, Some(&s.responder), body.as_ref())
            .await;
        assert!(
            matches!(got.status, 200 | 201),
            "{method} {route}: {got:#?}"
        );
    }
    let last = s.get(&path, &s.viewer).await.ok(200);
    let start = s.last_event_id().await;
    assert_eq!(s.delete(&path, &s.admin).await.status, 204);
    s.get(&path, &s.viewer)
        .await
        .assert_problem(404, "not-found");
    s.delete(&path, &s.admin)
        .await
        .assert_problem(404, "not-found");
    let events = s
        .assert_events_after(start, &[("maintenance.deleted", s.admin.actor())])
        .await;
    assert_eq!(events[0]["before"], last);
    assert_eq!(events[0]["after"], Value::Null);
}

#[tokio::test]
async fn bad_input_is_a_problem_naming_the_field_and_writes_nothing() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let other = s.fixture("other").await;
    let id = schedule(&s, &f, "Upgrade", 60, 120).await;
    let path = f.path(&format!("/maintenance/{id}"));
    let before = snapshot(&s, &f).await;
    let valid = new_window(&s, &f, "Upgrade", 60, 120);
    let with = |key: &str, value: Value| {
        let mut body = valid.clone();
        body[key] = value;
        body
    };

    // Rules: 422 with the field named.
    let invalid = [
        (with("title", json!(" ")), "title"),
        (with("details", json!("")), "details"),
        (with("affected", json!([])), "affected"),
        (with("affected", json!([f.apac, f.apac])), "affected"),
        (with("ends_at", json!(at(&s, 60))), "ends_at"),
        (with("ends_at", json!(at(&s, 30))), "ends_at"),
        (with("starts_at", json!(at(&s, -5))), "starts_at"),
    ];
    for (body, field) in invalid {
        let got = s.post(&f.path("/maintenance"), &s.responder, body).await;
        got.assert_problem(422, "invalid-field");
        assert_eq!(got.body["field"], field, "{got:#?}");
    }
    let got = s
        .post(
            &f.path("/maintenance"),
            &s.responder,
            with("starts_at", json!(at(&s, -60))),
        )
        .await;
    assert!(
        got.body["detail"].as_str().unwrap().contains("in the past"),
        "{got:#?}"
    );
    for location in ["000000000000000000000000", other.us_east.as_str()] {
        s.post(
            &f.path("/maintenance"),
            &s.responder,
            with("affected", json!([location])),
        )
        .await
        .assert_problem(422, "unknown-location");
    }
    let got = s
        .post(
            &format!("{path}/updates"),
            &s.responder,
            json!({"state": "completed", "details": "Done?"}),
        )
        .await;
    got.assert_problem(422, "maintenance-transition");
    assert!(
        got.body["detail"]
            .as_str()
            .unwrap()
            .contains("in progress or cancelled"),
        "{got:#?}"
    );
    let got = s
        .post(
            &format!("{path}/updates"),
            &s.responder,
            json!({"details": " "}),
        )
        .await;
    got.assert_problem(422, "invalid-field");
    assert_eq!(got.body["field"], "details");

    // Shapes: times must be RFC 3339 instants; 422 naming the field.
    let shapes = [
        (
            f.path("/maintenance"),
            with("starts_at", json!("2025-06-02 10:00")),
            "starts_at",
        ),
        (
            f.path("/maintenance"),
            with("starts_at", json!("2025-06-02T10:00:00")),
            "starts_at",
        ),
        (
            f.path("/maintenance"),
            with("ends_at", json!("tomorrow")),
            "ends_at",
        ),
        (
            f.path("/maintenance"),
            with("ends_at", json!(1748858400)),
            "ends_at",
        ),
        (
            format!("{path}/updates"),
            json!({"state": "started", "details": "Go."}),
            "state",
        ),
    ];
    for (route, body, field) in shapes {
        let got = s.post(&route, &s.responder, body).await;
        got.assert_problem(422, "invalid-body");
        assert!(
            got.body["detail"].as_str().unwrap().contains(field),
            "{got:#?}"
        );
    }
    let mut missing = valid.clone();
    missing.as_object_mut().unwrap().remove("ends_at");
    let got = s.post(&f.path("/maintenance"), &s.responder, missing).await;
    got.assert_problem(422, "invalid-body");
    assert!(got.body["detail"].as_str().unwrap().contains("ends_at"));
    for (route, body, field) in [
        (
            format!("{path}/schedule"),
            json!({"starts_at": "next week", "ends_at": at(&s, 120)}),
            "starts_at",
        ),
        (
            format!("{path}/automation"),
            json!({"enabled": "yes"}),
            "enabled",
        ),
    ] {
        let got = s.put(&route, &s.responder, body).await;
        got.assert_problem(422, "invalid-body");
        assert!(
            got.body["detail"].as_str().unwrap().contains(field),
            "{got:#?}"
        );
    }

    // A window of one page is not reachable through another.
    s.get(&format!("/api/v1/pages/other/maintenance/{id}"), &s.viewer)
        .await
        .assert_problem(404, "not-found");
    s.post(
        &format!("/api/v1/pages/other/maintenance/{id}/updates"),
        &s.responder,
        json!({"details": "Hi."}),
    )
    .await
    .assert_problem(404, "not-found");
    assert_eq!(snapshot(&s, &f).await, before);
}

#[tokio::test]
async fn a_component_named_by_a_window_cannot_be_deleted() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let id = schedule(&s, &f, "Upgrade", 60, 120).await;
    let website = f.path(&format!("/components/{}", f.website));
    let refused = s.delete(&website, &s.admin).await;
    refused.assert_problem(409, "conflict");
    let detail = refused.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("1 maintenance window(s)") && detail.contains("cannot be deleted"),
        "{detail}"
    );
    s.get(&website, &s.viewer).await.ok(200);

    s.delete(&f.path(&format!("/maintenance/{id}")), &s.admin)
        .await
        .ok(204);
    assert_eq!(s.delete(&website, &s.admin).await.status, 204);
}
