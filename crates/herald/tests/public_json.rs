//! The public JSON APIs over HTTP: Atlassian Statuspage's `/api/v2/*.json` and Status.io's
//! `/1.0/status/{page_id}`, as the clients written for those products read them.
mod common;

use common::{Fixture, Server, Tok, json_when};
use serde_json::{Value, json};

/// The entry named `name` in a list of Statuspage components or incidents.
fn find<'v>(list: &'v Value, name: &str) -> Option<&'v Value> {
    list.as_array()?.iter().find(|e| e["name"] == name)
}

fn named<'v>(list: &'v Value, name: &str) -> &'v Value {
    find(list, name).unwrap_or_else(|| panic!("no {name} in {list:#}"))
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect()
}

fn status_of(body: &Value, name: &str) -> Value {
    named(&body["components"], name)["status"].clone()
}

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    keys.sort();
    keys
}

async fn update(s: &Server, f: &Fixture, id: &str, body: Value) {
    let path = f.path(&format!("/incidents/{id}/updates"));
    s.post(&path, &s.responder, body).await.ok(201);
}

/// Status.io's authenticated call, with its credentials in `x-api-id` and `x-api-key`.
async fn statusio_get(s: &Server, path: &str, tok: &Tok) -> Value {
    let response = s
        .client
        .get(s.url(path))
        .header("x-api-id", &tok.id)
        .header("x-api-key", &tok.secret)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

const LEAF_KEYS: [&str; 13] = [
    "created_at",
    "description",
    "group",
    "group_id",
    "id",
    "name",
    "only_show_if_degraded",
    "page_id",
    "position",
    "showcase",
    "start_date",
    "status",
    "updated_at",
];

#[tokio::test]
async fn components_and_groups_read_as_statuspage_components() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let core = s
        .post(&f.path("/groups"), &s.admin, json!({"name": "Core"}))
        .await
        .ok(201);
    let db = s
        .post(
            &f.path("/components"),
            &s.admin,
            json!({"name": "Database", "description": "Primary store", "group_id": core["id"], "locations": ["EU"]}),
        )
        .await
        .ok(201);
    let db_location = db["locations"][0]["id"].as_str().unwrap().to_string();
    // A group without components is left out, as on the HTML page.
    s.post(&f.path("/groups"), &s.admin, json!({"name": "Empty"}))
        .await
        .ok(201);

    let body = json_when(&s, "/api/v2/components.json", |v| {
        v["components"].as_array().is_some_and(|c| c.len() == 4)
    })
    .await;
    assert_eq!(
        body["page"],
        json!({"id": f.page_id, "name": "acme status", "url": format!("{}/", s.base),
               "time_zone": "UTC", "updated_at": "2025-06-02T09:00:00.000Z"})
    );
    let shape: Vec<(Value, Value, Value, Value)> = body["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].clone(),
                c["position"].clone(),
                c["group"].clone(),
                c["group_id"].clone(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            (json!("API"), json!(1), json!(false), json!(null)),
            (json!("Website"), json!(2), json!(false), json!(null)),
            (json!("Core"), json!(3), json!(true), json!(null)),
            (
                json!("Database"),
                json!(1),
                json!(false),
                core["id"].clone()
            ),
        ]
    );
    let components = &body["components"];
    assert_eq!(
        named(components, "API"),
        &json!({
            "id": f.api, "name": "API", "status": "operational",
            "created_at": "2025-06-02T09:00:00.000Z", "updated_at": "2025-06-02T09:00:00.000Z",
            "position": 1, "description": null, "showcase": true, "start_date": "2025-06-02",
            "group_id": null, "page_id": f.page_id, "group": false, "only_show_if_degraded": false,
        })
    );
    assert_eq!(
        named(components, "Database")["description"],
        "Primary store"
    );
    assert_eq!(keys(named(components, "Database")), LEAF_KEYS);
    let group = named(components, "Core");
    assert_eq!(group["components"], json!([db["id"]]));
    assert_eq!(group["page_id"], json!(f.page_id));
    let mut group_keys = LEAF_KEYS.to_vec();
    group_keys.push("components");
    group_keys.sort();
    assert_eq!(keys(group), group_keys);
    let status = s
        .public("/api/v2/status.json")
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(
        status["status"],
        json!({"indicator": "none", "description": "All Systems Operational"})
    );

    // One location of a two-location component: the component shows it, the page a minor outage.
    s.advance_mins(5);
    let id = s.create_incident(&f, "API errors", 2).await;
    let body = json_when(&s, "/api/v2/summary.json", |v| {
        v["incidents"].as_array().is_some_and(|i| i.len() == 1)
    })
    .await;
    assert_eq!(status_of(&body, "API"), "partial_outage");
    assert_eq!(status_of(&body, "Website"), "operational");
    assert_eq!(status_of(&body, "Core"), "operational");
    assert_eq!(
        named(&body["components"], "API")["updated_at"],
        "2025-06-02T09:05:00.000Z"
    );
    assert_eq!(
        body["status"],
        json!({"indicator": "minor", "description": "Minor Service Outage"})
    );
    assert_eq!(body["scheduled_maintenances"], json!([]));
    assert_eq!(body["page"]["updated_at"], "2025-06-02T09:05:00.000Z");

    // A grouped component in a major outage: its group follows, the page a partial outage.
    s.advance_mins(5);
    update(
        &s,
        &f,
        &id,
        json!({"state": "identified", "details": "The database is down.",
               "status": {"mode": "each", "levels": [{"location_id": db_location, "level": "service_disruption"}]}}),
    )
    .await;
    let body = json_when(&s, "/api/v2/summary.json", |v| {
        find(&v["components"], "Database").is_some_and(|c| c["status"] == "major_outage")
    })
    .await;
    assert_eq!(status_of(&body, "Core"), "major_outage");
    assert_eq!(status_of(&body, "API"), "partial_outage");
    assert_eq!(
        body["status"],
        json!({"indicator": "major", "description": "Partial System Outage"})
    );
    let status = s
        .public("/api/v2/status.json")
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(status["status"], body["status"]);
    assert_eq!(status["page"], body["page"]);

    let incident = &body["incidents"][0];
    assert_eq!(incident["id"], json!(id));
    assert_eq!(incident["status"], "identified");
    assert_eq!(incident["impact"], "critical");
    assert_eq!(incident["created_at"], "2025-06-02T09:05:00.000Z");
    assert_eq!(incident["started_at"], "2025-06-02T09:05:00.000Z");
    assert_eq!(incident["updated_at"], "2025-06-02T09:10:00.000Z");
    assert_eq!(incident["monitoring_at"], Value::Null);
    assert_eq!(incident["resolved_at"], Value::Null);
    assert_eq!(incident["shortlink"], format!("{}/incidents/{id}/", s.base));
    let affected: Vec<&Value> = incident["components"].as_array().unwrap().iter().collect();
    assert_eq!(
        affected,
        [
            named(&body["components"], "API"),
            named(&body["components"], "Database")
        ]
    );
    // Newest first; each update says what it changed, component by component.
    let updates = incident["incident_updates"].as_array().unwrap();
    assert_eq!(updates.len(), 2);
    assert_eq!(
        updates[0],
        json!({
            "id": updates[0]["id"], "status": "identified", "body": "The database is down.",
            "incident_id": id, "created_at": "2025-06-02T09:10:00.000Z",
            "updated_at": "2025-06-02T09:10:00.000Z", "display_at": "2025-06-02T09:10:00.000Z",
            "affected_components": [
                {"code": f.api, "name": "API", "old_status": "partial_outage", "new_status": "partial_outage"},
                {"code": db["id"], "name": "Database", "old_status": "operational", "new_status": "major_outage"},
            ],
            "deliver_notifications": true, "custom_tweet": null, "tweet_id": null,
        })
    );
    assert_eq!(updates[1]["status"], "investigating");
    assert_eq!(
        updates[1]["affected_components"],
        json!([{"code": f.api, "name": "API", "old_status": "operational", "new_status": "partial_outage"}])
    );
    assert!(common::is_id(&updates[1]["id"]));
}

#[tokio::test]
async fn incidents_come_newest_first_and_unresolved_lists_only_open_ones() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let first = s.create_incident(&f, "First", 3).await;
    s.advance_mins(10);
    let second = s.create_incident(&f, "Second", 3).await;
    s.advance_mins(10);
    let third = s.create_incident(&f, "Third", 3).await;
    s.advance_mins(5);
    s.resolve_incident(&f, &second).await;

    let all = json_when(&s, "/api/v2/incidents.json", |v| {
        find(&v["incidents"], "Second").is_some_and(|i| i["status"] == "resolved")
    })
    .await;
    assert_eq!(ids(&all["incidents"]), [&third, &second, &first]);
    let unresolved = s
        .public("/api/v2/incidents/unresolved.json")
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(ids(&unresolved["incidents"]), [&third, &first]);
    assert_eq!(unresolved["page"], all["page"]);
    let summary = s
        .public("/api/v2/summary.json")
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(summary["incidents"], unresolved["incidents"]);

    // A resolved incident keeps the impact it had, and its last update shows the way back.
    let resolved = named(&all["incidents"], "Second");
    assert_eq!(resolved["resolved_at"], "2025-06-02T09:25:00.000Z");
    assert_eq!(resolved["impact"], "major");
    assert_eq!(
        resolved["incident_updates"][0]["affected_components"],
        json!([{"code": f.api, "name": "API", "old_status": "partial_outage", "new_status": "operational"}])
    );
    assert_eq!(resolved["incident_updates"][0]["status"], "resolved");
    // The others still hold US East.
    assert_eq!(status_of(&summary, "API"), "partial_outage");

    // A linked post-mortem is Statuspage's last stage.
    s.put(
        &f.path(&format!("/incidents/{second}/postmortem")),
        &s.responder,
        json!({"url": "https://example.com/postmortem"}),
    )
    .await
    .ok(200);
    json_when(&s, "/api/v2/incidents.json", |v| {
        find(&v["incidents"], "Second").is_some_and(|i| i["status"] == "postmortem")
    })
    .await;

    // Only the 50 most recent.
    for n in 0..48 {
        s.advance_mins(1);
        s.create_incident(&f, &format!("More {n}"), 4).await;
    }
    let all = json_when(&s, "/api/v2/incidents.json", |v| {
        v["incidents"][0]["name"] == "More 47"
    })
    .await;
    let listed = ids(&all["incidents"]);
    assert_eq!(listed.len(), 50);
    assert_eq!(listed[49], second);
    assert!(!listed.contains(&first.as_str()));
    let unresolved = s
        .public("/api/v2/incidents/unresolved.json")
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(unresolved["incidents"].as_array().unwrap().len(), 50);
}

#[tokio::test]
async fn an_open_incident_counts_after_its_components_recover() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let id = s.create_incident(&f, "API errors", 2).await;
    s.advance_mins(15);
    update(
        &s,
        &f,
        &id,
        json!({"state": "monitoring", "details": "A fix is out.", "status": {"mode": "all", "levels": "operational"}}),
    )
    .await;
    let body = json_when(&s, "/api/v2/summary.json", |v| {
        v["incidents"][0]["status"] == "monitoring"
    })
    .await;
    assert_eq!(status_of(&body, "API"), "operational");
    assert_eq!(
        body["status"],
        json!({"indicator": "major", "description": "Partial System Outage"})
    );
    assert_eq!(
        body["incidents"][0]["monitoring_at"],
        "2025-06-02T09:15:00.000Z"
    );
    assert_eq!(body["incidents"][0]["impact"], "major");

    s.resolve_incident(&f, &id).await;
    let body = json_when(&s, "/api/v2/summary.json", |v| v["incidents"] == json!([])).await;
    assert_eq!(
        body["status"],
        json!({"indicator": "none", "description": "All Systems Operational"})
    );

    // A location held under maintenance by hand.
    s.put(
        &f.path(&format!("/locations/{}/override", f.website_default)),
        &s.responder,
        json!({"level": "under_maintenance"}),
    )
    .await
    .ok(200);
    let body = json_when(&s, "/api/v2/status.json", |v| {
        v["status"]["indicator"] != "none"
    })
    .await;
    assert_eq!(
        body["status"],
        json!({"indicator": "maintenance", "description": "Service Under Maintenance"})
    );
    let components = s
        .public("/api/v2/components.json")
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(status_of(&components, "Website"), "under_maintenance");
}

#[tokio::test]
async fn times_are_written_in_the_page_time_zone() {
    let s = Server::start().await;
    s.fixture("acme").await;
    s.patch(
        "/api/v1/pages/acme",
        &s.admin,
        json!({"time_zone": "America/Tijuana"}),
    )
    .await
    .ok(200);
    let body = json_when(&s, "/api/v2/components.json", |v| {
        v["page"]["time_zone"] == "America/Tijuana"
    })
    .await;
    // 09:00 UTC in June is 02:00 Pacific daylight time.
    assert_eq!(body["page"]["updated_at"], "2025-06-02T02:00:00.000-07:00");
    assert_eq!(
        named(&body["components"], "API")["created_at"],
        "2025-06-02T02:00:00.000-07:00"
    );
}

#[tokio::test]
async fn maintenance_lists_are_empty_while_no_window_is_scheduled() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let summary = json_when(&s, "/api/v2/summary.json", |v| {
        v["components"].as_array().is_some_and(|c| c.len() == 2)
    })
    .await;
    for path in [
        "/api/v2/scheduled-maintenances.json",
        "/api/v2/scheduled-maintenances/upcoming.json",
        "/api/v2/scheduled-maintenances/active.json",
    ] {
        let response = s.public(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{path}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body,
            json!({"page": summary["page"], "scheduled_maintenances": []}),
            "{path}"
        );
    }
    assert_eq!(summary["page"]["id"], json!(f.page_id));
}

#[tokio::test]
async fn every_page_has_its_own_files_under_its_slug() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let beta = s.fixture("beta").await;
    let id = s.create_incident(&beta, "Beta trouble", 3).await;

    let default = json_when(&s, "/api/v2/summary.json", |v| {
        v["components"].as_array().is_some_and(|c| c.len() == 2)
    })
    .await;
    let by_slug = json_when(&s, "/p/acme/api/v2/summary.json", |_| true).await;
    assert_eq!(by_slug, default);
    assert_eq!(default["page"]["id"], json!(f.page_id));
    assert_eq!(default["incidents"], json!([]));

    let beta_summary = json_when(&s, "/p/beta/api/v2/summary.json", |v| {
        v["incidents"].as_array().is_some_and(|i| i.len() == 1)
    })
    .await;
    assert_eq!(beta_summary["page"]["id"], json!(beta.page_id));
    assert_eq!(beta_summary["page"]["url"], format!("{}/p/beta/", s.base));
    assert_eq!(
        beta_summary["incidents"][0]["shortlink"],
        format!("{}/p/beta/incidents/{id}/", s.base)
    );
    assert_eq!(status_of(&beta_summary, "API"), "partial_outage");
    assert_eq!(s.public("/p/nope/api/v2/summary.json").await.status(), 404);
}

#[tokio::test]
async fn statusio_public_status_and_the_authenticated_summary_agree() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    s.advance_mins(3);
    let id = s.create_incident(&f, "API errors", 2).await;
    let path = format!("/1.0/status/{}", f.page_id);
    let public = json_when(&s, &path, |v| {
        v["result"]["incidents"]
            .as_array()
            .is_some_and(|i| i.len() == 1)
    })
    .await;
    let summary = statusio_get(&s, &format!("/v2/status/summary/{}", f.page_id), &s.viewer).await;
    assert_eq!(
        summary["status"]["message"],
        "Get public api status successfully"
    );
    assert_eq!(public["result"], summary["result"]);

    let result = &public["result"];
    assert_eq!(
        result["status_overall"],
        json!({"updated": "2025-06-02T09:03:00.000Z", "status": "Partial Service Disruption", "status_code": 400})
    );
    let api = &result["status"][0];
    assert_eq!(api["id"], json!(f.api));
    assert_eq!(api["status_code"], 400);
    assert_eq!(
        api["containers"],
        json!([
            {"id": f.us_east, "name": "US East", "updated": "2025-06-02T09:03:00.000Z",
             "status": "Partial Service Disruption", "status_code": 400},
            {"id": f.apac, "name": "APAC", "updated": "2025-06-02T09:00:00.000Z",
             "status": "Operational", "status_code": 100},
        ])
    );
    assert_eq!(result["status"][1]["status_code"], 100);
    assert_eq!(
        result["incidents"][0],
        json!({
            "_id": id, "name": "API errors", "datetime_open": "2025-06-02T09:03:00.000Z",
            "messages": [{"details": "We are investigating elevated error rates.",
                          "datetime": "2025-06-02T09:03:00.000Z", "state": 100, "status": 400}],
            "components_affected": [{"_id": f.api, "name": "API"}],
            "containers_affected": [{"_id": f.us_east, "name": "US East"}],
        })
    );
    assert_eq!(result["maintenance"], json!({"active": [], "upcoming": []}));
    // The page id names the page on any host; an unknown id is not found.
    assert_eq!(
        s.public("/1.0/status/000000000000000000000000")
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn html_in_a_title_stays_a_plain_json_string() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let title = "Errors <script>alert(\"x\")</script> & </b> on API";
    let details = "We are **investigating**. <img src=x onerror=alert(1)>";
    let mut body = f.new_incident(title, 3);
    body["details"] = json!(details);
    let id = s
        .post(&f.path("/incidents"), &s.responder, body)
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();

    let response = s
        .public_eventually("/api/v2/incidents.json", |b| b.contains(&id))
        .await;
    // JSON escapes quotes and nothing else: the text comes back exactly as it was written.
    assert!(
        response.contains("<script>alert(\\\"x\\\")</script>"),
        "{response}"
    );
    let parsed: Value = serde_json::from_str(&response).unwrap();
    assert_eq!(parsed["incidents"][0]["name"], title);
    assert_eq!(
        parsed["incidents"][0]["incident_updates"][0]["body"],
        details
    );
    let public = json_when(&s, &format!("/1.0/status/{}", f.page_id), |v| {
        v["result"]["incidents"]
            .as_array()
            .is_some_and(|i| i.len() == 1)
    })
    .await;
    assert_eq!(public["result"]["incidents"][0]["name"], title);
    assert_eq!(
        public["result"]["incidents"][0]["messages"][0]["details"],
        details
    );
    let headers = s.public("/api/v2/incidents.json").await;
    assert_eq!(headers.headers()["content-type"], "application/json");
    assert_eq!(headers.headers()["x-content-type-options"], "nosniff");
}

/// The real `statuspage-prometheus-exporter`, pointed at Herald's summary, exports the
/// component statuses and the open incident; after resolution, neither.
#[tokio::test(flavor = "multi_thread")]
async fn the_statuspage_prometheus_exporter_reads_herald() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let title = "API errors in US East";
    let id = s.create_incident(&f, title, 2).await;
    s.public_eventually("/api/v2/summary.json", |b| b.contains(&id))
        .await;
    let url = s.url("/api/v2/summary.json");

    let open: Value =
        serde_json::from_str(&common::python("statuspage_exporter.py", &[&url])).unwrap();
    assert_eq!(open["service_status"], 0.0, "{open:#}");
    assert_eq!(open["components"], json!({"API": 0.0, "Website": 1.0}));
    assert_eq!(
        open["incidents"],
        json!([{
            "service_name": "Herald", "incident_id": id, "incident_name": title, "impact": "major",
            "shortlink": format!("{}/incidents/{id}/", s.base),
            "started_at": "2025-06-02T09:00:00Z", "affected_components": "API", "value": 1.0,
        }])
    );
    assert_eq!(open["maintenance"][0]["maintenance_id"], "none");
    assert_eq!(open["maintenance"][0]["value"], 0.0);

    s.resolve_incident(&f, &id).await;
    json_when(&s, "/api/v2/summary.json", |v| v["incidents"] == json!([])).await;
    let resolved: Value =
        serde_json::from_str(&common::python("statuspage_exporter.py", &[&url])).unwrap();
    assert_eq!(resolved["service_status"], 1.0, "{resolved:#}");
    assert_eq!(resolved["components"], json!({"API": 1.0, "Website": 1.0}));
    assert_eq!(resolved["incidents"].as_array().unwrap().len(), 1);
    assert_eq!(resolved["incidents"][0]["incident_id"], "none");
    assert_eq!(resolved["incidents"][0]["value"], 0.0);
}
