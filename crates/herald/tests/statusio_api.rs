//! The Status.io-compatible API under `/v2`, called the way Status.io's published clients call
//! it: `x-api-id` and `x-api-key` headers, Status.io's field names, flags as "0"/"1", and the
//! `{"status":{"error","message"},"result"}` envelope.
mod common;

use common::{Fixture, Resp, Server, Tok, is_id};
use reqwest::Method;
use serde_json::{Value, json};

/// A call with Status.io's credentials: the token id as `x-api-id`, its secret as `x-api-key`.
async fn sio(
    s: &Server,
    method: Method,
    path: &str,
    tok: Option<&Tok>,
    body: Option<Value>,
) -> Resp {
    let mut builder = s.client.request(method, s.url(path));
    if let Some(tok) = tok {
        builder = builder
            .header("x-api-id", &tok.id)
            .header("x-api-key", &tok.secret);
    }
    if let Some(body) = body {
        builder = builder.json(&body);
    }
    common::send(builder).await
}

async fn get(s: &Server, path: &str, tok: &Tok) -> Resp {
    sio(s, Method::GET, path, Some(tok), None).await
}

async fn post(s: &Server, path: &str, tok: &Tok, body: Value) -> Resp {
    sio(s, Method::POST, path, Some(tok), Some(body)).await
}

/// Asserts a success envelope with this message and returns `result`.
#[track_caller]
fn result(resp: Resp, message: &str) -> Value {
    assert_eq!(resp.status, 200, "{resp:#?}");
    assert!(
        resp.content_type.starts_with("application/json"),
        "{resp:#?}"
    );
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
    assert!(
        resp.content_type.starts_with("application/json"),
        "{resp:#?}"
    );
    assert_eq!(resp.body["status"]["error"], "yes", "{resp:#?}");
    let keys: Vec<&String> = resp.body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["status"], "an error carries no result: {resp:#?}");
    let message = resp.body["status"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(!message.is_empty(), "{resp:#?}");
    message
}

/// Status.io's times: `YYYY-MM-DDTHH:MM:SS.mmmZ`.
fn is_statusio_time(value: &Value) -> bool {
    let Some(s) = value.as_str() else {
        return false;
    };
    let shape = "dddd-dd-ddTdd:dd:dd.dddZ";
    s.len() == shape.len()
        && s.bytes().zip(shape.bytes()).all(|(c, p)| match p {
            b'd' => c.is_ascii_digit(),
            other => c == other,
        })
}

/// Everything the compatible API could write, read back through the admin API.
async fn state(s: &Server, f: &Fixture) -> Value {
    json!({
        "events": s.events().await,
        "components": s.get(&f.path("/components"), &s.admin).await.ok(200),
        "incidents": s.get(&f.path("/incidents"), &s.admin).await.ok(200),
    })
}

fn container_status(summary: &Value, location: &str) -> Value {
    summary["status"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["containers"].as_array().unwrap())
        .find(|c| c["id"] == json!(location))
        .unwrap_or_else(|| panic!("no container {location} in {summary}"))["status_code"]
        .clone()
}

fn create_body(f: &Fixture) -> Value {
    json!({
        "statuspage_id": f.page_id,
        "incident_name": "API errors",
        "incident_details": "We are investigating elevated error rates.",
        "infrastructure_affected": [format!("{}-{}", f.api, f.us_east), format!("{}-{}", f.api, f.apac)],
        "all_infrastructure_affected": "0",
        "current_status": 400,
        "current_state": 100,
        "notify_email": "1",
        "notify_sms": "0",
        "notify_webhook": 0,
        "social": "0",
        "irc": "0",
        "msteams": "1",
        "slack": 1,
        "message_subject": "API trouble",
    })
}

/// Every call of the compatible API, as `docs/statusio-compatibility.md` lists them, with this
/// page for `{statuspage_id}` and an id that exists nowhere for the other parameters.
fn documented_calls(f: &Fixture) -> Vec<(Method, String)> {
    let doc = include_str!("../../../docs/statusio-compatibility.md");
    doc.lines()
        .filter_map(|line| line.strip_prefix("| `")?.split('`').next())
        .map(|call| {
            let (method, path) = call.split_once(' ').unwrap();
            let mut path = format!("/v2/{}", path.replace("{statuspage_id}", &f.page_id));
            while let Some(start) = path.find('{') {
                let end = path[start..].find('}').unwrap() + start;
                path.replace_range(start..=end, "000000000000000000000000");
            }
            (Method::from_bytes(method.as_bytes()).unwrap(), path)
        })
        .collect()
}

/// Credentials come first: every call without them, or with wrong ones, is refused with 401
/// whatever its body, before the body is read, and nothing is written.
#[tokio::test]
async fn every_call_checks_credentials_before_the_body() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let calls = documented_calls(&f);
    assert!(calls.len() >= 19, "the table lists every call: {calls:?}");
    let wrong = Tok {
        secret: format!("{}x", s.admin.secret),
        ..s.admin.clone()
    };
    let before = state(&s, &f).await;
    for (method, path) in &calls {
        for tok in [None, Some(&wrong)] {
            for content_type in [Some("application/json"), Some("text/plain"), None] {
                let mut builder = s
                    .client
                    .request(method.clone(), s.url(path))
                    .body("{\"statuspage_id\": ");
                if let Some(tok) = tok {
                    builder = builder
                        .header("x-api-id", &tok.id)
                        .header("x-api-key", &tok.secret);
                }
                if let Some(content_type) = content_type {
                    builder = builder.header("content-type", content_type);
                }
                let answer = common::send(builder).await;
                assert_eq!(
                    answer.status, 401,
                    "{method} {path} {content_type:?}: {answer:#?}"
                );
                error(&answer, 401);
            }
        }
    }
    assert_eq!(state(&s, &f).await, before);
}

#[tokio::test]
async fn credentials_are_the_token_id_and_secret() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let incident = result(
        post(&s, "/v2/incident/create", &s.responder, create_body(&f)).await,
        "OK",
    );
    let incident = incident.as_str().unwrap().to_string();
    let message = s
        .get(&f.path(&format!("/incidents/{incident}")), &s.admin)
        .await
        .ok(200)["updates"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let revoked = s.create_token("revoked bot", "admin").await;
    s.delete(&format!("/api/v1/tokens/{}", revoked.id), &s.admin)
        .await
        .ok(204);
    let before = state(&s, &f).await;

    let sp = &f.page_id;
    let reads = [
        format!("/v2/component/list/{sp}"),
        format!("/v2/incident/list/{sp}"),
        format!("/v2/incident/message/{sp}/{message}"),
        format!("/v2/status/summary/{sp}"),
    ];
    let writes = [
        (
            "/v2/component/status/update",
            json!({"statuspage_id": sp, "component": f.api, "container": f.apac, "details": "x", "current_status": 300}),
        ),
        ("/v2/incident/create", create_body(&f)),
        (
            "/v2/incident/update",
            json!({"statuspage_id": sp, "incident_id": incident, "incident_details": "x", "current_state": 200, "current_status": 300}),
        ),
        (
            "/v2/incident/resolve",
            json!({"statuspage_id": sp, "incident_id": incident, "incident_details": "x"}),
        ),
        (
            "/v2/incident/delete",
            json!({"statuspage_id": sp, "incident_id": incident}),
        ),
    ];
    let wrong_key = Tok {
        secret: "hrld_0000".into(),
        ..s.admin.clone()
    };
    let someone_elses_id = Tok {
        id: s.viewer.id.clone(),
        ..s.admin.clone()
    };
    let refused = [
        None,
        Some(&wrong_key),
        Some(&someone_elses_id),
        Some(&revoked),
    ];
    let all: Vec<(Method, String, Option<Value>)> = reads
        .iter()
        .map(|p| (Method::GET, p.clone(), None))
        .chain(
            writes
                .iter()
                .map(|(p, b)| (Method::POST, p.to_string(), Some(b.clone()))),
        )
        .collect();
    for (method, path, body) in &all {
        for tok in refused {
            let got = sio(&s, method.clone(), path, tok, body.clone()).await;
            error(&got, 401);
        }
        // Only the key, without the id.
        let mut only_key = s.client.request(method.clone(), s.url(path));
        only_key = only_key.header("x-api-key", &s.admin.secret);
        if let Some(body) = body {
            only_key = only_key.json(body);
        }
        let got = common::send(only_key).await;
        let message = error(&got, 401);
        assert!(message.contains("x-api-id"), "{message}");
    }
    // Viewers read but do not write.
    for (path, body) in &writes {
        let got = post(&s, path, &s.viewer, body.clone()).await;
        let message = error(&got, 403);
        assert!(message.contains("responder"), "{message}");
    }
    assert_eq!(state(&s, &f).await, before, "a refused call wrote");
    for path in &reads {
        assert_eq!(get(&s, path, &s.viewer).await.status, 200, "{path}");
    }
}

#[tokio::test]
async fn components_are_listed_and_set_by_hand() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let sp = &f.page_id;
    let start = s.last_event_id().await;

    let list = result(
        get(&s, &format!("/v2/component/list/{sp}"), &s.viewer).await,
        "OK",
    );
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["_id"], json!(f.api));
    assert_eq!(list[0]["name"], "API");
    assert_eq!(list[0]["statuspage"], json!(sp));
    let containers = list[0]["containers"].as_array().unwrap();
    assert_eq!(containers.len(), 2);
    assert_eq!(containers[0]["_id"], json!(f.us_east));
    assert_eq!(containers[0]["name"], "US East");
    assert_eq!(containers[1]["_id"], json!(f.apac));
    assert_eq!(containers[1]["name"], "APAC");
    assert_eq!(list[1]["_id"], json!(f.website));
    assert_eq!(list[1]["containers"][0]["_id"], json!(f.website_default));
    assert_eq!(list[1]["containers"][0]["name"], "Default");
    // The slug works as the statuspage_id too.
    let by_slug = result(get(&s, "/v2/component/list/acme", &s.viewer).await, "OK");
    assert_eq!(by_slug.as_array().unwrap().len(), 2);

    // The current body: one component, one container.
    let set = post(
        &s,
        "/v2/component/status/update",
        &s.responder,
        json!({"statuspage_id": sp, "component": f.api, "container": f.us_east, "details": "Slow responses", "current_status": 300}),
    )
    .await;
    assert_eq!(result(set, "OK"), json!(true));
    let summary = result(
        get(&s, &format!("/v2/status/summary/{sp}"), &s.viewer).await,
        "Get public api status successfully",
    );
    assert_eq!(container_status(&summary, &f.us_east), 300);
    assert_eq!(container_status(&summary, &f.apac), 100);
    assert_eq!(summary["status"][0]["status_code"], 300);
    assert_eq!(summary["status"][0]["status"], "Degraded Performance");
    assert_eq!(summary["status"][1]["status_code"], 100);
    assert_eq!(summary["status_overall"]["status_code"], 300);
    assert_eq!(summary["status_overall"]["status"], "Degraded Performance");
    let listed = result(
        get(&s, &format!("/v2/component/list/{sp}"), &s.viewer).await,
        "OK",
    );
    assert_eq!(listed[0]["containers"][0]["status_code"], 300);

    // One-element arrays, as the PHP and Ruby clients send, and codes as strings.
    let set = post(
        &s,
        "/v2/component/status/update",
        &s.responder,
        json!({"statuspage_id": sp, "component": [f.api], "container": [f.apac], "details": "Down", "current_status": "500"}),
    )
    .await;
    assert_eq!(result(set, "OK"), json!(true));
    // The legacy plural keys.
    let set = post(
        &s,
        "/v2/component/status/update",
        &s.responder,
        json!({"statuspage_id": sp, "components": [f.website], "containers": [f.website_default], "details": "Maintenance", "current_status": 200}),
    )
    .await;
    assert_eq!(result(set, "OK"), json!(true));
    let summary = result(
        get(&s, &format!("/v2/status/summary/{sp}"), &s.viewer).await,
        "Get public api status successfully",
    );
    assert_eq!(container_status(&summary, &f.apac), 500);
    assert_eq!(container_status(&summary, &f.website_default), 200);
    assert_eq!(summary["status"][1]["status"], "Planned Maintenance");
    assert_eq!(summary["status_overall"]["status_code"], 500);

    // 100 clears the hand-set level.
    let clear = post(
        &s,
        "/v2/component/status/update",
        &s.responder,
        json!({"statuspage_id": sp, "component": f.api, "container": f.us_east, "details": "Recovered", "current_status": 100}),
    )
    .await;
    assert_eq!(result(clear, "OK"), json!(true));
    let status = s.get(&f.path("/status"), &s.admin).await.ok(200);
    assert_eq!(
        status["components"][0]["locations"][0],
        json!({"location_id": f.us_east, "level": "operational", "override_level": null})
    );
    assert_eq!(
        status["components"][0]["locations"][1]["override_level"],
        "service_disruption"
    );
    let summary = result(
        get(&s, &format!("/v2/status/summary/{sp}"), &s.viewer).await,
        "Get public api status successfully",
    );
    assert_eq!(container_status(&summary, &f.us_east), 100);

    let r = s.responder.actor();
    s.assert_events_after(
        start,
        &[
            ("location.override_set", r.clone()),
            ("location.override_set", r.clone()),
            ("location.override_set", r.clone()),
            ("location.override_cleared", r.clone()),
        ],
    )
    .await;

    // Refused: a container of another component, an unknown code, no component, two of them.
    let before = state(&s, &f).await;
    let bad = |body: Value| post(&s, "/v2/component/status/update", &s.responder, body);
    let got = bad(json!({"statuspage_id": sp, "component": f.api, "container": f.website_default, "details": "x", "current_status": 300})).await;
    error(&got, 404);
    let got = bad(json!({"statuspage_id": sp, "component": f.api, "container": f.apac, "details": "x", "current_status": 250})).await;
    assert!(error(&got, 400).contains("250"));
    let got = bad(
        json!({"statuspage_id": sp, "container": f.apac, "details": "x", "current_status": 300}),
    )
    .await;
    assert!(error(&got, 400).contains("component"));
    let got = bad(json!({"statuspage_id": sp, "component": [f.api, f.website], "container": f.apac, "details": "x", "current_status": 300})).await;
    error(&got, 422);
    let got = bad(json!({"statuspage_id": "nope", "component": f.api, "container": f.apac, "details": "x", "current_status": 300})).await;
    error(&got, 404);
    assert_eq!(state(&s, &f).await, before);
}

#[tokio::test]
async fn an_incident_through_its_statusio_lifecycle() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let sp = &f.page_id;
    let start = s.last_event_id().await;
    let t0 = s.now();

    let created = post(&s, "/v2/incident/create", &s.responder, create_body(&f)).await;
    let id = result(created, "OK");
    assert!(is_id(&id), "the result is the new id as a string: {id}");
    let id = id.as_str().unwrap().to_string();

    // The flags became the update's channels.
    let incident = s
        .get(&f.path(&format!("/incidents/{id}")), &s.admin)
        .await
        .ok(200);
    assert_eq!(incident["title"], "API errors");
    assert_eq!(incident["severity"], 3);
    assert_eq!(incident["state"], "investigating");
    assert_eq!(
        incident["affected"],
        json!([
            {"location_id": f.us_east, "level": "partial_service_disruption"},
            {"location_id": f.apac, "level": "partial_service_disruption"},
        ])
    );
    let first = &incident["updates"][0];
    assert_eq!(
        first["channels"],
        json!({"email": true, "sms": false, "webhook": false, "social": false, "irc": false, "teams": true, "slack": true})
    );
    assert_eq!(first["subject"], "API trouble");
    assert_eq!(first["author"], json!(s.responder.actor()));
    let message_id = first["id"].as_str().unwrap().to_string();

    // incident/list in Status.io's shape.
    let list = result(
        get(&s, &format!("/v2/incident/list/{sp}"), &s.viewer).await,
        "OK",
    );
    assert_eq!(list["resolved_incidents"], json!([]));
    let active = list["active_incidents"].as_array().unwrap();
    assert_eq!(active.len(), 1);
    let listed = &active[0];
    assert_eq!(listed["_id"], json!(id));
    assert_eq!(listed["name"], "API errors");
    assert_eq!(listed["statuspage"], json!(sp));
    assert_eq!(listed["datetime_open"], "2025-06-02T09:00:00.000Z");
    assert_eq!(listed["current_status"], 400);
    assert_eq!(listed["current_state"], 100);
    assert_eq!(
        listed["components_affected"],
        json!([{"_id": f.api, "name": "API"}])
    );
    assert_eq!(
        listed["containers_affected"],
        json!([{"_id": f.us_east, "name": "US East"}, {"_id": f.apac, "name": "APAC"}])
    );
    let messages = listed["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["_id"], json!(message_id));
    assert_eq!(
        messages[0]["details"],
        "We are investigating elevated error rates."
    );
    assert_eq!(messages[0]["state"], 100);
    assert_eq!(messages[0]["status"], 400);
    assert!(
        is_statusio_time(&messages[0]["datetime"]),
        "{}",
        messages[0]
    );
    assert_eq!(messages[0]["incident"], json!(id));

    // incident/message: the same message on its own.
    let message = result(
        get(
            &s,
            &format!("/v2/incident/message/{sp}/{message_id}"),
            &s.viewer,
        )
        .await,
        "OK",
    );
    assert_eq!(message["_id"], json!(message_id));
    assert_eq!(message["incident"], json!(id));
    assert_eq!(message["statuspage"], json!(sp));
    assert_eq!(message["state"], 100);
    assert_eq!(message["status"], 400);
    assert_eq!(message["datetime"], "2025-06-02T09:00:00.000Z");
    assert_eq!(message["components"], json!([f.api]));
    assert_eq!(message["containers"], json!([f.us_east, f.apac]));

    // incident/update: identified, degraded, five minutes later.
    s.advance_mins(5);
    let updated = post(
        &s,
        "/v2/incident/update",
        &s.responder,
        json!({"statuspage_id": sp, "incident_id": id, "incident_details": "Found a bad deploy.", "current_state": 200, "current_status": 300, "notify_email": "0", "social": "1"}),
    )
    .await;
    assert_eq!(result(updated, "OK"), json!(true));
    let incident = s
        .get(&f.path(&format!("/incidents/{id}")), &s.admin)
        .await
        .ok(200);
    assert_eq!(incident["state"], "identified");
    assert_eq!(incident["level"], "degraded_performance");
    assert_eq!(incident["updates"][1]["channels"]["email"], false);
    assert_eq!(incident["updates"][1]["channels"]["social"], true);
    assert_eq!(
        common::ts(&incident["next_update_due"]),
        common::plus_mins(t0, 5 + 30),
        "severity 3 identified: 30 minutes"
    );
    let list = result(
        get(&s, &format!("/v2/incident/list/{sp}"), &s.viewer).await,
        "OK",
    );
    let messages = list["active_incidents"][0]["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1]["state"], 200);
    assert_eq!(messages[1]["status"], 300);
    assert_eq!(messages[1]["details"], "Found a bad deploy.");
    assert_eq!(messages[1]["datetime"], "2025-06-02T09:05:00.000Z");
    assert_eq!(list["active_incidents"][0]["current_state"], 200);
    assert_eq!(list["active_incidents"][0]["current_status"], 300);

    let summary = result(
        get(&s, &format!("/v2/status/summary/{sp}"), &s.viewer).await,
        "Get public api status successfully",
    );
    assert_eq!(summary["status_overall"]["status_code"], 300);
    assert!(is_statusio_time(&summary["status_overall"]["updated"]));
    assert_eq!(container_status(&summary, &f.us_east), 300);
    assert_eq!(container_status(&summary, &f.apac), 300);
    assert_eq!(container_status(&summary, &f.website_default), 100);
    assert_eq!(summary["incidents"][0]["_id"], json!(id));
    assert_eq!(
        summary["incidents"][0]["messages"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    for entry in summary["status"].as_array().unwrap() {
        assert!(is_statusio_time(&entry["updated"]), "{entry}");
        for container in entry["containers"].as_array().unwrap() {
            assert!(is_statusio_time(&container["updated"]), "{container}");
        }
    }

    // incident/resolve, sent as the Python and PHP clients send it (with state and status).
    s.advance_mins(10);
    let resolved = post(
        &s,
        "/v2/incident/resolve",
        &s.responder,
        json!({"statuspage_id": sp, "incident_id": id, "incident_details": "Fixed.", "current_state": 100, "current_status": 400, "notify_email": "1"}),
    )
    .await;
    assert_eq!(result(resolved, "OK"), json!(true));
    let summary = result(
        get(&s, &format!("/v2/status/summary/{sp}"), &s.viewer).await,
        "Get public api status successfully",
    );
    assert_eq!(summary["status_overall"]["status_code"], 100);
    assert_eq!(summary["status_overall"]["status"], "Operational");
    for entry in summary["status"].as_array().unwrap() {
        assert_eq!(entry["status_code"], 100, "{entry}");
        for container in entry["containers"].as_array().unwrap() {
            assert_eq!(container["status_code"], 100, "{container}");
        }
    }
    assert_eq!(summary["incidents"], json!([]));
    let list = result(
        get(&s, &format!("/v2/incident/list/{sp}"), &s.viewer).await,
        "OK",
    );
    assert_eq!(list["active_incidents"], json!([]));
    assert_eq!(list["resolved_incidents"][0]["_id"], json!(id));
    assert_eq!(list["resolved_incidents"][0]["current_state"], 400);
    assert_eq!(list["resolved_incidents"][0]["current_status"], 100);
    let incident = s
        .get(&f.path(&format!("/incidents/{id}")), &s.admin)
        .await
        .ok(200);
    assert_eq!(incident["state"], "resolved");
    assert_eq!(incident["next_update_due"], Value::Null);

    // incident/delete.
    let deleted = post(
        &s,
        "/v2/incident/delete",
        &s.responder,
        json!({"statuspage_id": sp, "incident_id": id}),
    )
    .await;
    assert_eq!(
        result(deleted, "Successfully deleted incident"),
        json!(true)
    );
    let list = result(
        get(&s, &format!("/v2/incident/list/{sp}"), &s.viewer).await,
        "OK",
    );
    assert_eq!(
        list,
        json!({"active_incidents": [], "resolved_incidents": []})
    );
    s.get(&f.path(&format!("/incidents/{id}")), &s.admin)
        .await
        .assert_problem(404, "not-found");
    let got = get(
        &s,
        &format!("/v2/incident/message/{sp}/{message_id}"),
        &s.viewer,
    )
    .await;
    error(&got, 404);

    let r = s.responder.actor();
    s.assert_events_after(
        start,
        &[
            ("incident.created", r.clone()),
            ("incident.updated", r.clone()),
            ("incident.resolved", r.clone()),
            ("incident.deleted", r.clone()),
        ],
    )
    .await;
}

#[tokio::test]
async fn all_infrastructure_affected_takes_every_container() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let body = json!({
        "statuspage_id": f.page_id,
        "incident_name": "Everything is down",
        "incident_details": "Investigating.",
        "all_infrastructure_affected": "1",
        "current_status": 500,
        "current_state": 200,
        "severity": 1,
    });
    let id = result(
        post(&s, "/v2/incident/create", &s.responder, body).await,
        "OK",
    );
    let incident = s
        .get(
            &f.path(&format!("/incidents/{}", id.as_str().unwrap())),
            &s.admin,
        )
        .await
        .ok(200);
    let affected: Vec<&str> = incident["affected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["location_id"].as_str().unwrap())
        .collect();
    assert_eq!(affected, [&f.us_east, &f.apac, &f.website_default]);
    assert_eq!(incident["state"], "identified");
    assert_eq!(incident["severity"], 1);
    assert_eq!(incident["level"], "service_disruption");
    // Flags left out are off, as on Status.io.
    assert_eq!(
        incident["updates"][0]["channels"],
        json!({"email": false, "sms": false, "webhook": false, "social": false, "irc": false, "teams": false, "slack": false})
    );
    let summary = result(
        get(&s, &format!("/v2/status/summary/{}", f.page_id), &s.viewer).await,
        "Get public api status successfully",
    );
    for location in [&f.us_east, &f.apac, &f.website_default] {
        assert_eq!(container_status(&summary, location), 500);
    }
    assert_eq!(summary["status_overall"]["status_code"], 500);
}

#[tokio::test]
async fn bad_calls_get_the_error_envelope_and_write_nothing() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let sp = f.page_id.clone();
    let id = result(
        post(&s, "/v2/incident/create", &s.responder, create_body(&f)).await,
        "OK",
    );
    let id = id.as_str().unwrap().to_string();
    let done = result(
        post(&s, "/v2/incident/create", &s.responder, create_body(&f)).await,
        "OK",
    );
    let done = done.as_str().unwrap().to_string();
    result(
        post(
            &s,
            "/v2/incident/resolve",
            &s.responder,
            json!({"statuspage_id": sp, "incident_id": done, "incident_details": "Fixed."}),
        )
        .await,
        "OK",
    );
    let before = state(&s, &f).await;
    let ghost = "000000000000000000000000";
    let create = |changes: Value| {
        let mut body = create_body(&f);
        for (k, v) in changes.as_object().unwrap() {
            body[k] = v.clone();
        }
        post(&s, "/v2/incident/create", &s.responder, body)
    };

    // Codes out of range.
    let message = error(&create(json!({"current_state": 400})).await, 400);
    assert!(message.contains("current_state 400"), "{message}");
    error(&create(json!({"current_state": 500})).await, 400);
    let message = error(&create(json!({"current_status": 700})).await, 400);
    assert!(message.contains("current_status 700"), "{message}");
    error(&create(json!({"current_status": "high"})).await, 422);
    // Malformed and unknown pairs.
    let message = error(
        &create(json!({"infrastructure_affected": ["nohyphen"]})).await,
        400,
    );
    assert!(message.contains("nohyphen"), "{message}");
    error(
        &create(json!({"infrastructure_affected": [format!("{}-{ghost}", f.api)]})).await,
        400,
    );
    error(
        &create(json!({"infrastructure_affected": [format!("{ghost}-{}", f.us_east)]})).await,
        400,
    );
    error(
        &create(json!({"infrastructure_affected": [format!("{}-{}", f.website, f.us_east)]})).await,
        400,
    );
    error(&create(json!({"notify_email": "yes"})).await, 422);
    // The rules still apply: operational is not an incident.
    error(&create(json!({"current_status": 100})).await, 422);
    error(&create(json!({"incident_name": ""})).await, 422);

    // Unknown status pages.
    for path in [
        "/v2/component/list/nope".to_string(),
        "/v2/incident/list/nope".to_string(),
        "/v2/status/summary/nope".to_string(),
        format!("/v2/incident/message/nope/{ghost}"),
    ] {
        let message = error(&get(&s, &path, &s.viewer).await, 404);
        assert!(message.contains("nope"), "{message}");
    }
    error(&create(json!({"statuspage_id": "nope"})).await, 404);
    // Unknown incidents and messages.
    error(
        &get(&s, &format!("/v2/incident/message/{sp}/{ghost}"), &s.viewer).await,
        404,
    );
    for path in ["/v2/incident/update", "/v2/incident/resolve"] {
        let body = json!({"statuspage_id": sp, "incident_id": ghost, "incident_details": "x", "current_state": 200});
        error(&post(&s, path, &s.responder, body).await, 404);
    }
    error(
        &post(
            &s,
            "/v2/incident/delete",
            &s.responder,
            json!({"statuspage_id": sp, "incident_id": ghost}),
        )
        .await,
        404,
    );
    // Updates need an active state; resolving twice is refused.
    let update = |body: Value| post(&s, "/v2/incident/update", &s.responder, body);
    let message = error(
        &update(json!({"statuspage_id": sp, "incident_id": id, "incident_details": "x", "current_status": 300})).await,
        400,
    );
    assert!(message.contains("current_state"), "{message}");
    error(
        &update(json!({"statuspage_id": sp, "incident_id": id, "incident_details": "x", "current_state": 400})).await,
        400,
    );
    error(
        &update(json!({"statuspage_id": sp, "incident_id": id, "incident_details": "x", "current_state": 200, "current_status": 900})).await,
        400,
    );
    let message = error(
        &post(
            &s,
            "/v2/incident/resolve",
            &s.responder,
            json!({"statuspage_id": sp, "incident_id": done, "incident_details": "Again."}),
        )
        .await,
        422,
    );
    assert!(message.contains("resolved"), "{message}");

    // Bodies that are not JSON, or not said to be.
    for path in [
        "/v2/incident/create",
        "/v2/incident/update",
        "/v2/incident/resolve",
        "/v2/incident/delete",
        "/v2/component/status/update",
    ] {
        let with = |ct: Option<&'static str>, body: &'static str| {
            let mut builder = s
                .client
                .post(s.url(path))
                .header("x-api-id", &s.responder.id)
                .header("x-api-key", &s.responder.secret)
                .body(body);
            if let Some(ct) = ct {
                builder = builder.header("content-type", ct);
            }
            common::send(builder)
        };
        error(
            &with(Some("application/json"), "{\"statuspage_id\": ").await,
            400,
        );
        error(
            &with(Some("application/json"), "{statuspage_id: 1}").await,
            400,
        );
        error(&with(None, "{}").await, 415);
        // A required field missing.
        error(&with(Some("application/json"), "{}").await, 422);
    }
    assert_eq!(state(&s, &f).await, before);
}

#[tokio::test]
async fn the_issue_link_fills_template_variables_and_an_unfilled_one_is_refused() {
    const ISSUE: &str = "https://tracker.example.com/ops/issues/7";
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let mut body = create_body(&f);
    body["incident_details"] = json!("Investigation is underway in: {issue_link}");
    let refused = post(&s, "/v2/incident/create", &s.responder, body.clone()).await;
    assert!(
        error(&refused, 422).contains("{issue_link}"),
        "{refused:#?}"
    );

    body["issue_link"] = json!(ISSUE);
    let id = result(
        post(&s, "/v2/incident/create", &s.responder, body).await,
        "OK",
    )
    .as_str()
    .unwrap()
    .to_string();
    let incident = s
        .get(&f.path(&format!("/incidents/{id}")), &s.admin)
        .await
        .ok(200);
    assert_eq!(incident["issue_link"], ISSUE);
    assert_eq!(
        incident["updates"][0]["details"],
        format!("Investigation is underway in: {ISSUE}")
    );

    let moved = "https://tracker.example.com/ops/issues/8";
    let update = json!({
        "statuspage_id": f.page_id, "incident_id": id, "current_state": 200,
        "incident_details": "Found the cause. Details in: {issue_link}", "issue_link": moved,
    });
    result(
        post(&s, "/v2/incident/update", &s.responder, update).await,
        "OK",
    );
    let incident = s
        .get(&f.path(&format!("/incidents/{id}")), &s.admin)
        .await
        .ok(200);
    assert_eq!(incident["issue_link"], moved);
    assert_eq!(
        incident["updates"][1]["details"],
        format!("Found the cause. Details in: {moved}")
    );
}

/// Status.io's own Python client reads incidents and windows by id: the lists of ids, one of
/// each with its messages, and one message of each.
#[tokio::test]
async fn statusio_python_client_reads_incidents_and_windows_by_id() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let args = vec![
        s.base.clone(),
        s.responder.id.clone(),
        s.responder.secret.clone(),
        f.page_id.clone(),
        format!("{}-{}", f.api, f.us_east),
    ];
    let out = common::python_json("statusio_client.py", args).await;
    let (incident, window) = (&out["incident"], &out["window"]);
    assert!(is_id(incident) && is_id(window), "{out:#}");

    assert_eq!(
        out["incidents"],
        json!({"active_incidents": [incident], "resolved_incidents": []})
    );
    let single = &out["single"];
    assert_eq!(single["_id"], *incident);
    assert_eq!(single["name"], "Checkout errors");
    assert_eq!(single["current_status"], 300);
    assert_eq!(single["current_state"], 200);
    let messages = single["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2, "{single:#}");
    assert_eq!(out["message"], messages[1]);
    assert_eq!(out["message"]["details"], "The cause is found.");
    assert_eq!(out["message"]["incident"], *incident);

    let no_windows = json!([]);
    assert_eq!(
        out["upcoming"],
        json!({"active_maintenances": no_windows, "upcoming_maintenances": [window], "resolved_maintenances": []})
    );
    assert_eq!(
        out["running"],
        json!({"active_maintenances": [window], "upcoming_maintenances": [], "resolved_maintenances": []})
    );
    let maintenance = &out["maintenance"];
    assert_eq!(maintenance["_id"], *window);
    assert_eq!(maintenance["name"], "Database upgrade");
    assert!(is_statusio_time(&maintenance["datetime_planned_start"]));
    let last = maintenance["messages"].as_array().unwrap().last().unwrap();
    assert_eq!(out["maintenance_message"], *last);
    assert_eq!(last["details"], "The upgrade has begun.");
    assert_eq!(last["maintenance"], *window);
    assert_eq!(last["containers"], json!([f.us_east]));
}

/// The reads by id answer 404 for an id the page does not have, a message included, and list
/// a resolved incident as resolved.
#[tokio::test]
async fn reads_by_id_refuse_what_the_page_does_not_have() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let other = s.fixture("other").await;
    let incident = result(
        post(&s, "/v2/incident/create", &s.responder, create_body(&f)).await,
        "OK",
    );
    let single = result(
        get(
            &s,
            &format!("/v2/incident/{}/{}", f.page_id, incident.as_str().unwrap()),
            &s.viewer,
        )
        .await,
        "OK",
    );
    let message = single["messages"][0]["_id"].as_str().unwrap().to_string();
    let incident = incident.as_str().unwrap();
    for path in [
        format!("/v2/incident/{}/{incident}", other.page_id),
        format!("/v2/incident/{}/000000000000000000000000", f.page_id),
        format!("/v2/incident/message/{}/{message}", other.page_id),
        format!("/v2/maintenance/{}/{incident}", f.page_id),
        format!("/v2/maintenance/message/{}/{message}", f.page_id),
        "/v2/incidents/000000000000000000000000".to_string(),
    ] {
        error(&get(&s, &path, &s.viewer).await, 404);
    }
    let resolve = json!({
        "statuspage_id": f.page_id,
        "incident_id": incident,
        "incident_details": "Fixed.",
    });
    result(
        post(&s, "/v2/incident/resolve", &s.responder, resolve).await,
        "OK",
    );
    let ids = result(
        get(&s, &format!("/v2/incidents/{}", f.page_id), &s.viewer).await,
        "OK",
    );
    assert_eq!(
        ids,
        json!({"active_incidents": [], "resolved_incidents": [incident]})
    );
}
