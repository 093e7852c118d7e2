//! Maintenance windows through the Status.io-compatible API under `/v2`, called as Status.io's
//! clients call it: `x-api-id`/`x-api-key`, planned times as MM/DD/YYYY and HH:MM in UTC, flags
//! as "0"/"1", and the `{"status":{"error","message"},"result"}` envelope. What the calls wrote
//! is read back through the admin API.
mod common;

use common::{Fixture, Resp, Server, Tok, is_id};
use serde_json::{Value, json};

async fn sio(
    s: &Server,
    method: reqwest::Method,
    path: &str,
    tok: &Tok,
    body: Option<Value>,
) -> Resp {
    let mut builder = s
        .client
        .request(method, s.url(path))
        .header("x-api-id", &tok.id)
        .header("x-api-key", &tok.secret);
    if let Some(body) = body {
        builder = builder.json(&body);
    }
    common::send(builder).await
}

async fn post(s: &Server, path: &str, tok: &Tok, body: Value) -> Resp {
    sio(s, reqwest::Method::POST, path, tok, Some(body)).await
}

/// Asserts a success envelope with this message and returns `result`.
#[track_caller]
fn result(resp: Resp, message: &str) -> Value {
    assert_eq!(resp.status, 200, "{resp:#?}");
    assert_eq!(
        resp.body["status"],
        json!({"error": "no", "message": message}),
        "{resp:#?}"
    );
    resp.body["result"].clone()
}

/// Asserts an error envelope with this HTTP status and returns its message.
#[track_caller]
fn error(resp: &Resp, status: u16) -> String {
    assert_eq!(resp.status, status, "{resp:#?}");
    assert_eq!(resp.body["status"]["error"], "yes", "{resp:#?}");
    assert!(resp.body.get("result").is_none(), "{resp:#?}");
    resp.body["status"]["message"].as_str().unwrap().to_string()
}

/// A window on the API's two containers, 10 June 2025 14:30 to 16:00 UTC (the test clock
/// starts on 2 June), announced now and reminded 72 hours and 1 hour ahead.
fn schedule_body(f: &Fixture) -> Value {
    json!({
        "statuspage_id": f.page_id,
        "maintenance_name": "Database upgrade",
        "maintenance_details": "Writes pause for a minute.",
        "infrastructure_affected": [format!("{}-{}", f.api, f.us_east), format!("{}-{}", f.api, f.apac)],
        "all_infrastructure_affected": "0",
        "date_planned_start": "06/10/2025",
        "time_planned_start": "14:30",
        "date_planned_end": "06/10/2025",
        "time_planned_end": "16:00",
        "automation": "1",
        "maintenance_notify_now": "1",
        "maintenance_notify_72_hr": "1",
        "maintenance_notify_24_hr": "0",
        "maintenance_notify_1_hr": true,
        "message_subject": "Planned work",
    })
}

fn with(mut body: Value, changes: Value) -> Value {
    for (key, value) in changes.as_object().unwrap() {
        body[key] = value.clone();
    }
    body
}

/// Schedules `body` as the responder; the new window's id.
async fn schedule(s: &Server, body: Value) -> String {
    let id = result(
        post(s, "/v2/maintenance/schedule", &s.responder, body).await,
        "OK",
    );
    assert!(is_id(&id), "{id}");
    id.as_str().unwrap().to_string()
}

async fn window(s: &Server, f: &Fixture, id: &str) -> Value {
    s.get(&f.path(&format!("/maintenance/{id}")), &s.admin)
        .await
        .ok(200)
}

/// The ids in each of `maintenance/list`'s buckets.
async fn buckets(s: &Server, f: &Fixture) -> (Value, [Vec<String>; 3]) {
    let path = format!("/v2/maintenance/list/{}", f.page_id);
    let list = result(
        sio(s, reqwest::Method::GET, &path, &s.viewer, None).await,
        "OK",
    );
    let ids = |key: &str| -> Vec<String> {
        list[key]
            .as_array()
            .unwrap_or_else(|| panic!("no {key} in {list}"))
            .iter()
            .map(|w| w["_id"].as_str().unwrap().to_string())
            .collect()
    };
    let ids = [
        ids("upcoming_maintenances"),
        ids("active_maintenances"),
        ids("resolved_maintenances"),
    ];
    (list, ids)
}

fn channels(email_webhook_slack_teams: bool) -> Value {
    let on = email_webhook_slack_teams;
    json!({"email": on, "webhook": on, "slack": on, "teams": on, "social": false, "irc": false, "sms": false})
}

#[tokio::test]
async fn schedule_reads_statusio_dates_and_times_as_utc_and_flags_as_reminders() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let after = s.last_event_id().await;

    let id = schedule(&s, schedule_body(&f)).await;
    let w = window(&s, &f, &id).await;
    assert_eq!(w["title"], "Database upgrade");
    assert_eq!(w["starts_at"], "2025-06-10T14:30:00Z");
    assert_eq!(w["ends_at"], "2025-06-10T16:00:00Z");
    assert_eq!(w["reminders"], json!([4320, 60]));
    assert_eq!(w["automation"], true);
    assert_eq!(w["affected"], json!([f.us_east, f.apac]));
    assert_eq!(w["updates"][0]["details"], "Writes pause for a minute.");
    assert_eq!(w["updates"][0]["channels"], channels(true));
    s.assert_events_after(after, &[("maintenance.scheduled", s.responder.actor())])
        .await;

    // Left out, the flags are off: no reminders, no announcement, no automation; every
    // container with all_infrastructure_affected.
    let quiet = json!({
        "statuspage_id": f.slug,
        "maintenance_name": "Quiet work",
        "maintenance_details": "Nobody will notice.",
        "all_infrastructure_affected": 1,
        "date_planned_start": "07/01/2025",
        "time_planned_start": "00:00",
        "date_planned_end": "07/01/2025",
        "time_planned_end": "23:59",
    });
    let w = window(&s, &f, &schedule(&s, quiet).await).await;
    assert_eq!(w["starts_at"], "2025-07-01T00:00:00Z");
    assert_eq!(w["ends_at"], "2025-07-01T23:59:00Z");
    assert_eq!(w["reminders"], json!([]));
    assert_eq!(w["automation"], false);
    assert_eq!(w["affected"], json!([f.us_east, f.apac, f.website_default]));
    assert_eq!(w["updates"][0]["channels"], channels(false));
}

#[tokio::test]
async fn bad_planned_times_and_affected_sets_are_refused_and_write_nothing() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let before = s.events().await;
    let refused = |changes: Value, status: u16| {
        let body = with(schedule_body(&f), changes);
        let s = &s;
        async move {
            error(
                &post(s, "/v2/maintenance/schedule", &s.responder, body).await,
                status,
            )
        }
    };

    // Day first, as much of the world writes it.
    let message = refused(json!({"date_planned_start": "10-06-2025"}), 400).await;
    assert!(message.contains("date_planned_start"), "{message}");
    assert!(message.contains("MM/DD/YYYY"), "{message}");
    assert!(message.contains("\"10-06-2025\""), "{message}");
    let message = refused(json!({"date_planned_end": "25/06/2025"}), 400).await;
    assert!(message.contains("date_planned_end"), "{message}");
    assert!(message.contains("no month 25"), "{message}");
    let message = refused(json!({"time_planned_start": "2:30 PM"}), 400).await;
    assert!(message.contains("HH:MM"), "{message}");
    refused(json!({"date_planned_start": "2025-06-10"}), 400).await;

    // Well-formed, but against the workflow's rules.
    let message = refused(json!({"date_planned_start": "06/01/2025"}), 422).await;
    assert!(message.contains("in the past"), "{message}");
    let message = refused(json!({"time_planned_end": "14:00"}), 422).await;
    assert!(message.contains("after"), "{message}");
    let message = refused(json!({"infrastructure_affected": []}), 422).await;
    assert!(message.contains("infrastructure_affected"), "{message}");
    let pair = format!("{}-{}", f.website, f.us_east);
    refused(json!({"infrastructure_affected": [pair]}), 400).await;
    refused(json!({"maintenance_notify_now": "yes"}), 422).await;
    refused(json!({"statuspage_id": "nope"}), 404).await;

    let viewer = post(&s, "/v2/maintenance/schedule", &s.viewer, schedule_body(&f)).await;
    error(&viewer, 403);
    assert_eq!(s.events().await, before, "a refused call writes nothing");
}

#[tokio::test]
async fn start_update_and_finish_move_the_window_through_the_list() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let id = schedule(&s, schedule_body(&f)).await;
    let (list, [upcoming, active, resolved]) = buckets(&s, &f).await;
    assert_eq!(
        (upcoming, active, resolved),
        (vec![id.clone()], vec![], vec![])
    );
    let listed = &list["upcoming_maintenances"][0];
    assert_eq!(listed["name"], "Database upgrade");
    assert_eq!(listed["statuspage"], f.page_id.as_str());
    assert_eq!(listed["datetime_planned_start"], "2025-06-10T14:30:00.000Z");
    assert_eq!(listed["datetime_planned_end"], "2025-06-10T16:00:00.000Z");
    assert_eq!(listed["datetime_open"], "2025-06-02T09:00:00.000Z");
    assert_eq!(
        (
            &listed["reminder_72hr"],
            &listed["reminder_24hr"],
            &listed["reminder_1hr"]
        ),
        (&json!(true), &json!(false), &json!(true))
    );
    assert_eq!(listed["automation"], true);
    assert_eq!(
        listed["components_affected"],
        json!([{"_id": f.api, "name": "API"}])
    );
    let containers: Vec<&Value> = listed["containers_affected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["_id"])
        .collect();
    assert_eq!(containers, [&json!(f.us_east), &json!(f.apac)]);
    let message = &listed["messages"][0];
    assert_eq!(message["details"], "Writes pause for a minute.");
    assert_eq!(message["maintenance"], id.as_str());
    assert_eq!(message["components"], json!([f.api]));
    assert_eq!(message["containers"], json!([f.us_east, f.apac]));

    let step = |details_key: &str, details: &str, flags: Value| {
        with(
            json!({"statuspage_id": f.page_id, "maintenance_id": id, details_key: details}),
            flags,
        )
    };
    let after = s.last_event_id().await;
    let start = step(
        "maintenance_details",
        "Started early.",
        json!({"notify_email": "1", "slack": 1}),
    );
    result(
        post(&s, "/v2/maintenance/start", &s.responder, start).await,
        "OK",
    );
    assert_eq!(window(&s, &f, &id).await["state"], "in_progress");
    let (_, [upcoming, active, _]) = buckets(&s, &f).await;
    assert_eq!((upcoming, active), (vec![], vec![id.clone()]));

    let update = step("maintenance_details", "Halfway.", json!({"hipchat": "1"}));
    result(
        post(&s, "/v2/maintenance/update", &s.responder, update).await,
        "OK",
    );
    let w = window(&s, &f, &id).await;
    assert_eq!(w["state"], "in_progress");
    assert_eq!(w["updates"][2]["details"], "Halfway.");
    assert_eq!(w["updates"][2]["channels"]["email"], false);

    let finish = step("details", "All done.", json!({"notify_webhook": "1"}));
    result(
        post(&s, "/v2/maintenance/finish", &s.responder, finish).await,
        "OK",
    );
    let w = window(&s, &f, &id).await;
    assert_eq!(w["state"], "completed");
    let states: Vec<&Value> = w["updates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| &u["state"])
        .collect();
    assert_eq!(
        states,
        ["scheduled", "in_progress", "in_progress", "completed"]
    );
    assert_eq!(
        w["updates"][1]["channels"],
        json!({"email": true, "webhook": false, "slack": true, "teams": false, "social": false, "irc": false, "sms": false})
    );
    assert_eq!(w["updates"][3]["channels"]["webhook"], true);
    let updated = ("maintenance.updated", s.responder.actor());
    s.assert_events_after(after, &[updated.clone(), updated.clone(), updated])
        .await;
    let (list, [upcoming, active, resolved]) = buckets(&s, &f).await;
    assert_eq!(
        (upcoming, active, resolved),
        (vec![], vec![], vec![id.clone()])
    );
    let messages = list["resolved_maintenances"][0]["messages"]
        .as_array()
        .unwrap();
    assert_eq!(messages.len(), 4);
    assert_eq!(messages[3]["details"], "All done.");

    // A finished window takes no more updates; a window never started cannot be finished
    // (cancel it on the admin API); an unknown id is not found.
    let again = step("details", "Again.", json!({}));
    error(
        &post(&s, "/v2/maintenance/update", &s.responder, again).await,
        422,
    );
    let other = schedule(&s, schedule_body(&f)).await;
    let early = json!({"statuspage_id": f.page_id, "maintenance_id": other, "details": "Done?"});
    error(
        &post(&s, "/v2/maintenance/finish", &s.responder, early).await,
        422,
    );
    let unknown = json!({"statuspage_id": f.page_id, "maintenance_id": "0123456789abcdef01234567", "details": "x"});
    error(
        &post(&s, "/v2/maintenance/start", &s.responder, unknown).await,
        404,
    );
}

#[tokio::test]
async fn delete_takes_the_admin_role_and_removes_the_window() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let id = schedule(&s, schedule_body(&f)).await;
    let body = json!({"statuspage_id": f.page_id, "maintenance_id": id});

    error(
        &post(&s, "/v2/maintenance/delete", &s.responder, body.clone()).await,
        403,
    );
    let after = s.last_event_id().await;
    let deleted = post(&s, "/v2/maintenance/delete", &s.admin, body.clone()).await;
    assert_eq!(result(deleted, "Successfully deleted maintenance"), true);
    s.assert_events_after(after, &[("maintenance.deleted", s.admin.actor())])
        .await;
    s.get(&f.path(&format!("/maintenance/{id}")), &s.admin)
        .await
        .assert_problem(404, "not-found");
    let (_, buckets) = buckets(&s, &f).await;
    assert_eq!(buckets, [vec![], vec![], vec![]] as [Vec<String>; 3]);
    error(
        &post(&s, "/v2/maintenance/delete", &s.admin, body).await,
        404,
    );
}
