//! The admin API under `/api/v1`, driven over HTTP against a real server and SQLite file.
//!
//! Every route is exercised on its happy path, refused without (or with too weak, or a
//! revoked) token, and fed bad input; every refused write is checked to have written nothing.
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use common::{Fixture, Server, Tok, is_id, plus_mins, ts};
use reqwest::Method;
use serde_json::{Value, json};

/// Everything a write could have touched, read back through the API.
async fn snapshot(s: &Server, slugs: &[&str]) -> Value {
    let mut pages = BTreeMap::new();
    for slug in slugs {
        let base = format!("/api/v1/pages/{slug}");
        let incidents = s
            .get(&format!("{base}/incidents?limit=500"), &s.admin)
            .await
            .ok(200);
        let maintenance = s
            .get(&format!("{base}/maintenance?limit=500"), &s.admin)
            .await
            .ok(200);
        pages.insert(
            slug.to_string(),
            json!({
                "page": s.get(&base, &s.admin).await.ok(200),
                "groups": s.get(&format!("{base}/groups"), &s.admin).await.ok(200),
                "components": s.get(&format!("{base}/components"), &s.admin).await.ok(200),
                "status": s.get(&format!("{base}/status"), &s.admin).await.ok(200),
                "incidents": incidents,
                "maintenance": maintenance,
            }),
        );
    }
    let mut tokens = s.get("/api/v1/tokens", &s.admin).await.ok(200);
    // Using a token refreshes its last use, which is not a write anyone asked for.
    for token in tokens.as_array_mut().unwrap() {
        token.as_object_mut().unwrap().remove("last_used_at");
    }
    json!({
        "events": s.events().await,
        "pages": s.get("/api/v1/pages", &s.admin).await.ok(200),
        "tokens": tokens,
        "per_page": pages,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Need {
    Viewer,
    Responder,
    Admin,
}

#[derive(Clone, Debug)]
struct Route {
    method: Method,
    path: String,
    body: Option<Value>,
    need: Need,
}

fn route(method: Method, path: impl Into<String>, body: Option<Value>, need: Need) -> Route {
    Route {
        method,
        path: path.into(),
        body,
        need,
    }
}

/// A page "acme" with an active incident, a resolved one, a scheduled maintenance window, a
/// spare component, a spare token and a webhook subscriber, and every route of the admin API
/// with a body it would accept.
struct World {
    f: Fixture,
    active: String,
    /// The active incident's first update.
    first_update: String,
    /// The broadcast of the active incident's declaration.
    broadcast: String,
    resolved: String,
    planned: String,
    spare_component: String,
    spare_token: String,
    subscriber: String,
    user: String,
    routes: Vec<Route>,
}

async fn world(s: &Server) -> World {
    let f = s.fixture("acme").await;
    let active = s.create_incident(&f, "API errors", 2).await;
    let first_update = s
        .get(&f.path(&format!("/incidents/{active}")), &s.viewer)
        .await
        .ok(200)["updates"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let broadcast = s
        .get(
            &f.path(&format!("/incidents/{active}/deliveries")),
            &s.viewer,
        )
        .await
        .ok(200)[0]["broadcast_id"]
        .as_str()
        .unwrap()
        .to_string();
    let resolved = s.create_incident(&f, "Earlier API errors", 3).await;
    s.resolve_incident(&f, &resolved).await;
    let spare_component = s
        .post(&f.path("/components"), &s.admin, json!({"name": "Spare"}))
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let spare_token = s.create_token("spare", "viewer").await.id;
    let (starts_at, ends_at) = (plus_mins(s.now(), 60), plus_mins(s.now(), 120));
    let times = json!({"starts_at": starts_at.to_string(), "ends_at": ends_at.to_string()});
    let new_window = json!({
        "title": "Upgrade",
        "details": "Writes pause.",
        "affected": [f.apac],
        "starts_at": starts_at.to_string(),
        "ends_at": ends_at.to_string(),
    });
    let planned = s
        .post(&f.path("/maintenance"), &s.responder, new_window.clone())
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let subscriber = s
        .post(
            &f.path("/subscribers"),
            &s.responder,
            json!({"webhook": "https://example.com/hook"}),
        )
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();

    use herald_store::Store as _;
    let store = herald::server::open_store(s.data_dir()).unwrap();
    let new_user = herald_core::user::NewUser {
        email: "lead@example.com".into(),
        name: "Lead".into(),
        role: herald_core::access::Role::Responder,
    };
    let user = store
        .create_user("test", new_user, None, s.now())
        .await
        .unwrap()
        .id;
    drop(store);

    use Need::*;
    let p = |rest: &str| f.path(rest);
    let routes = vec![
        route(Method::GET, "/api/v1/pages", None, Viewer),
        route(
            Method::POST,
            "/api/v1/pages",
            Some(json!({"slug": "other", "name": "Other"})),
            Admin,
        ),
        route(Method::GET, p(""), None, Viewer),
        route(
            Method::PATCH,
            p(""),
            Some(json!({"name": "Renamed"})),
            Admin,
        ),
        route(Method::GET, p("/status"), None, Viewer),
        route(Method::GET, p("/groups"), None, Viewer),
        route(
            Method::POST,
            p("/groups"),
            Some(json!({"name": "Core"})),
            Admin,
        ),
        route(Method::GET, p("/components"), None, Viewer),
        route(
            Method::POST,
            p("/components"),
            Some(json!({"name": "CDN"})),
            Admin,
        ),
        route(
            Method::GET,
            p(&format!("/components/{}", f.api)),
            None,
            Viewer,
        ),
        route(
            Method::PATCH,
            p(&format!("/components/{}", f.api)),
            Some(json!({"description": "The public API"})),
            Admin,
        ),
        route(
            Method::DELETE,
            p(&format!("/components/{spare_component}")),
            None,
            Admin,
        ),
        route(
            Method::POST,
            p(&format!("/components/{}/locations", f.api)),
            Some(json!({"name": "EU West"})),
            Admin,
        ),
        route(
            Method::PUT,
            p(&format!("/locations/{}/override", f.apac)),
            Some(json!({"level": "degraded_performance"})),
            Responder,
        ),
        route(Method::GET, p("/incidents"), None, Viewer),
        route(
            Method::POST,
            p("/incidents"),
            Some(f.new_incident("New", 2)),
            Responder,
        ),
        route(
            Method::POST,
            p("/incidents/preview"),
            Some(f.new_incident("New", 2)),
            Responder,
        ),
        route(
            Method::GET,
            p(&format!("/incidents/{active}")),
            None,
            Viewer,
        ),
        route(
            Method::PATCH,
            p(&format!("/incidents/{active}")),
            Some(json!({"title": "Edited"})),
            Responder,
        ),
        route(
            Method::DELETE,
            p(&format!("/incidents/{active}")),
            None,
            Responder,
        ),
        route(
            Method::POST,
            p(&format!("/incidents/{active}/updates")),
            Some(json!({"state": "identified", "details": "Found it."})),
            Responder,
        ),
        route(
            Method::PATCH,
            p(&format!("/incidents/{active}/updates/{first_update}")),
            Some(json!({"details": "We are investigating elevated API error rates."})),
            Responder,
        ),
        route(
            Method::POST,
            p(&format!("/incidents/{active}/preview")),
            Some(json!({"state": "identified", "details": "Found it."})),
            Responder,
        ),
        route(
            Method::PUT,
            p(&format!("/incidents/{resolved}/postmortem")),
            Some(json!({"url": "https://example.com/pm/1"})),
            Responder,
        ),
        route(
            Method::GET,
            p(&format!("/incidents/{active}/checklist")),
            None,
            Viewer,
        ),
        route(
            Method::POST,
            p(&format!("/incidents/{active}/checklist")),
            Some(json!({"item": "Acknowledge the page", "ticked": true})),
            Responder,
        ),
        route(Method::GET, p("/maintenance"), None, Viewer),
        route(Method::POST, p("/maintenance"), Some(new_window), Responder),
        route(
            Method::GET,
            p(&format!("/maintenance/{planned}")),
            None,
            Viewer,
        ),
        route(
            Method::DELETE,
            p(&format!("/maintenance/{planned}")),
            None,
            Admin,
        ),
        route(
            Method::PUT,
            p(&format!("/maintenance/{planned}/reminders")),
            Some(json!({"reminders": [1440, 60]})),
            Responder,
        ),
        route(
            Method::POST,
            p(&format!("/maintenance/{planned}/updates")),
            Some(json!({"state": "in_progress", "details": "Starting."})),
            Responder,
        ),
        route(
            Method::POST,
            p(&format!("/maintenance/{planned}/preview")),
            Some(json!({"details": "Still on plan."})),
            Responder,
        ),
        route(
            Method::PUT,
            p(&format!("/maintenance/{planned}/schedule")),
            Some(times),
            Responder,
        ),
        route(
            Method::PUT,
            p(&format!("/maintenance/{planned}/automation")),
            Some(json!({"enabled": false})),
            Responder,
        ),
        route(
            Method::GET,
            p(&format!("/maintenance/{planned}/deliveries")),
            None,
            Viewer,
        ),
        route(
            Method::GET,
            p(&format!("/incidents/{active}/deliveries")),
            None,
            Viewer,
        ),
        route(
            Method::GET,
            p(&format!("/broadcasts/{broadcast}/recipients")),
            None,
            Responder,
        ),
        route(Method::GET, p("/subscribers"), None, Responder),
        route(
            Method::POST,
            p("/subscribers"),
            Some(json!({"webhook": "https://example.com/other-hook"})),
            Responder,
        ),
        route(
            Method::GET,
            p(&format!("/subscribers/{subscriber}")),
            None,
            Responder,
        ),
        route(
            Method::PATCH,
            p(&format!("/subscribers/{subscriber}")),
            Some(json!({"components": [f.api]})),
            Responder,
        ),
        route(
            Method::DELETE,
            p(&format!("/subscribers/{subscriber}")),
            None,
            Responder,
        ),
        route(
            Method::POST,
            p(&format!("/subscribers/{subscriber}/rotate-secret")),
            None,
            Responder,
        ),
        route(
            Method::POST,
            p(&format!("/subscribers/{subscriber}/enable")),
            None,
            Responder,
        ),
        route(
            Method::POST,
            p(&format!("/incidents/{active}/snooze")),
            Some(json!({"minutes": 5})),
            Responder,
        ),
        route(
            Method::POST,
            p(&format!("/maintenance/{planned}/snooze")),
            Some(json!({"minutes": 5})),
            Responder,
        ),
        route(
            Method::PUT,
            p(&format!("/incidents/{active}/roles")),
            Some(json!({"lead": user, "manager": null})),
            Responder,
        ),
        route(
            Method::PUT,
            p(&format!("/maintenance/{planned}/roles")),
            Some(json!({"lead": null, "manager": user})),
            Responder,
        ),
        route(
            Method::GET,
            p(&format!("/incidents/{active}/adherence")),
            None,
            Viewer,
        ),
        route(
            Method::GET,
            p(&format!("/maintenance/{planned}/adherence")),
            None,
            Viewer,
        ),
        route(Method::GET, p("/adherence"), None, Viewer),
        route(Method::GET, p("/nudges"), None, Viewer),
        route(
            Method::PUT,
            format!("/api/v1/users/{user}/nudge-channels"),
            Some(json!({"channels": [{"channel": "email", "address": "pager@example.com"}]})),
            Admin,
        ),
        route(
            Method::GET,
            format!("/api/v1/users/{user}/nudge-channels"),
            None,
            Admin,
        ),
        route(
            Method::PUT,
            format!("/api/v1/users/{user}/role"),
            Some(json!({"role": "responder"})),
            Admin,
        ),
        route(Method::GET, "/api/v1/users", None, Admin),
        route(
            Method::POST,
            "/api/v1/users",
            Some(json!({"email": "new@example.com", "name": "New", "role": "viewer"})),
            Admin,
        ),
        route(
            Method::POST,
            format!("/api/v1/users/{user}/disable"),
            None,
            Admin,
        ),
        route(
            Method::POST,
            format!("/api/v1/users/{user}/enable"),
            None,
            Admin,
        ),
        route(Method::GET, "/api/v1/tokens", None, Admin),
        route(
            Method::POST,
            "/api/v1/tokens",
            Some(json!({"name": "ci", "role": "responder"})),
            Admin,
        ),
        route(
            Method::DELETE,
            format!("/api/v1/tokens/{spare_token}"),
            None,
            Admin,
        ),
        route(Method::GET, "/api/v1/events", None, Admin),
    ];
    World {
        f,
        active,
        first_update,
        broadcast,
        resolved,
        planned,
        spare_component,
        spare_token,
        subscriber,
        user,
        routes,
    }
}

async fn call(s: &Server, r: &Route, tok: Option<&Tok>) -> common::Resp {
    s.call(r.method.clone(), &r.path, tok, r.body.as_ref())
        .await
}

#[tokio::test]
async fn every_route_needs_a_live_token_of_the_right_role() {
    let s = Server::start().await;
    let w = world(&s).await;
    let revoked = s.create_token("former employee", "admin").await;
    s.delete(&format!("/api/v1/tokens/{}", revoked.id), &s.admin)
        .await
        .ok(204);
    let forged = Tok {
        secret: format!("{}x", s.admin.secret),
        ..s.admin.clone()
    };
    let before = snapshot(&s, &["acme"]).await;

    for r in &w.routes {
        let what = format!("{} {}", r.method, r.path);
        let none = call(&s, r, None).await;
        none.assert_problem(401, "unauthorized");
        assert_eq!(none.www_authenticate.as_deref(), Some("Bearer"), "{what}");
        call(&s, r, Some(&revoked))
            .await
            .assert_problem(401, "unauthorized");
        call(&s, r, Some(&forged))
            .await
            .assert_problem(401, "unauthorized");
        let mut basic = s
            .client
            .request(r.method.clone(), s.url(&r.path))
            .header("authorization", "Basic YWRtaW46YWRtaW4=");
        if let Some(body) = &r.body {
            basic = basic.json(body);
        }
        common::send(basic)
            .await
            .assert_problem(401, "unauthorized");
        if r.need > Need::Viewer {
            let refused = call(&s, r, Some(&s.viewer)).await;
            refused.assert_problem(403, "forbidden");
            let detail = refused.body["detail"].as_str().unwrap();
            assert!(detail.contains("viewer"), "{what}: {detail}");
        }
        if r.need > Need::Responder {
            call(&s, r, Some(&s.responder))
                .await
                .assert_problem(403, "forbidden");
        }
    }
    assert_eq!(
        snapshot(&s, &["acme"]).await,
        before,
        "a refused request wrote something"
    );

    // The reads succeed for the weakest role allowed.
    for r in w.routes.iter().filter(|r| r.method == Method::GET) {
        let tok = match r.need {
            Need::Viewer => &s.viewer,
            Need::Responder => &s.responder,
            Need::Admin => &s.admin,
        };
        let got = call(&s, r, Some(tok)).await;
        assert_eq!(got.status, 200, "{} {}: {got:#?}", r.method, r.path);
        assert!(got.content_type.starts_with("application/json"));
        if r.need == Need::Viewer {
            call(&s, r, Some(&s.responder)).await.ok(200);
        }
    }

    // Status.io-style credentials work on the admin API too, but only as a matching pair.
    let pair = s
        .client
        .get(s.url("/api/v1/pages"))
        .header("x-api-id", &s.viewer.id)
        .header("x-api-key", &s.viewer.secret);
    assert_eq!(common::send(pair).await.status, 200);
    let mismatched = s
        .client
        .get(s.url("/api/v1/pages"))
        .header("x-api-id", &s.admin.id)
        .header("x-api-key", &s.viewer.secret);
    common::send(mismatched)
        .await
        .assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn pages_are_created_listed_read_changed_and_report_status() {
    let s = Server::start().await;
    let start = s.last_event_id().await;
    let created = s
        .post(
            "/api/v1/pages",
            &s.admin,
            json!({"slug": "acme", "name": " Acme Cloud ", "time_zone": "Europe/Berlin"}),
        )
        .await
        .ok(201);
    let id = created["id"].as_str().unwrap().to_string();
    assert!(is_id(&created["id"]), "{created}");
    assert_eq!(created["slug"], "acme");
    assert_eq!(created["name"], "Acme Cloud");
    assert_eq!(created["time_zone"], "Europe/Berlin");
    assert_eq!(
        created["settings"]["default_subject"],
        "Service status update"
    );
    assert_eq!(created["settings"]["cadence"]["sev1"]["investigating"], 10);
    assert_eq!(ts(&created["created_at"]), s.now());

    let list = s.get("/api/v1/pages", &s.viewer).await.ok(200);
    assert_eq!(list, json!([created.clone()]));
    assert_eq!(
        s.get(&format!("/api/v1/pages/{id}"), &s.viewer)
            .await
            .ok(200),
        created
    );
    assert_eq!(
        s.get("/api/v1/pages/acme", &s.viewer).await.ok(200),
        created
    );

    s.advance_mins(5);
    let patched = s
        .patch(
            &format!("/api/v1/pages/{id}"),
            &s.admin,
            json!({"name": "Acme", "settings": {"default_subject": "Acme status"}}),
        )
        .await
        .ok(200);
    assert_eq!(patched["name"], "Acme");
    assert_eq!(patched["slug"], "acme");
    assert_eq!(patched["time_zone"], "Europe/Berlin");
    assert_eq!(patched["settings"]["default_subject"], "Acme status");
    assert_eq!(patched["created_at"], created["created_at"]);
    assert_eq!(ts(&patched["updated_at"]), s.now());

    let renamed = s
        .patch(
            "/api/v1/pages/acme",
            &s.admin,
            json!({"slug": "acme-cloud"}),
        )
        .await
        .ok(200);
    assert_eq!(renamed["slug"], "acme-cloud");
    s.get("/api/v1/pages/acme", &s.viewer)
        .await
        .assert_problem(404, "not-found");
    assert_eq!(
        s.get("/api/v1/pages/acme-cloud", &s.viewer).await.ok(200)["id"],
        json!(id)
    );

    let status = s
        .get("/api/v1/pages/acme-cloud/status", &s.viewer)
        .await
        .ok(200);
    assert_eq!(status, json!({"level": "operational", "components": []}));

    let events = s
        .assert_events_after(
            start,
            &[
                ("page.created", s.admin.actor()),
                ("page.updated", s.admin.actor()),
                ("page.updated", s.admin.actor()),
            ],
        )
        .await;
    for event in &events {
        assert_eq!(event["page_id"], json!(id));
        assert_eq!(event["subject_type"], "page");
        assert_eq!(event["subject_id"], json!(id));
    }
    assert_eq!(events[0]["before"], Value::Null);
    assert_eq!(events[0]["after"]["name"], "Acme Cloud");
    assert_eq!(events[1]["before"]["name"], "Acme Cloud");
    assert_eq!(events[1]["after"]["name"], "Acme");
    assert_eq!(events[2]["after"]["slug"], "acme-cloud");
}

#[tokio::test]
async fn groups_and_components_are_managed_and_overridden() {
    let s = Server::start().await;
    s.post(
        "/api/v1/pages",
        &s.admin,
        json!({"slug": "acme", "name": "Acme"}),
    )
    .await
    .ok(201);
    let start = s.last_event_id().await;
    let page = |rest: &str| format!("/api/v1/pages/acme{rest}");

    // Groups.
    assert_eq!(s.get(&page("/groups"), &s.viewer).await.ok(200), json!([]));
    let core = s
        .post(&page("/groups"), &s.admin, json!({"name": "Core"}))
        .await
        .ok(201);
    assert!(is_id(&core["id"]));
    assert_eq!(core["name"], "Core");
    assert_eq!(core["position"], 1);
    assert_eq!(
        s.get(&page("/groups"), &s.viewer).await.ok(200),
        json!([core.clone()])
    );

    // Components: with named locations in a group, and with the one default location.
    let api = s
        .post(
            &page("/components"),
            &s.admin,
            json!({"name": "API", "description": "REST API", "group_id": core["id"], "locations": ["US East", "APAC"]}),
        )
        .await
        .ok(201);
    assert!(is_id(&api["id"]));
    assert_eq!(api["name"], "API");
    assert_eq!(api["description"], "REST API");
    assert_eq!(api["group_id"], core["id"]);
    let names: Vec<&str> = api["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["US East", "APAC"]);
    for location in api["locations"].as_array().unwrap() {
        assert!(is_id(&location["id"]));
        assert_eq!(location["component_id"], api["id"]);
        assert_eq!(location["override_level"], Value::Null);
    }
    let api_id = api["id"].as_str().unwrap().to_string();
    let apac = api["locations"][1]["id"].as_str().unwrap().to_string();

    let website = s
        .post(
            &page("/components"),
            &s.admin,
            json!({"name": "Website", "group_name": "Edge"}),
        )
        .await
        .ok(201);
    assert_eq!(website["locations"].as_array().unwrap().len(), 1);
    assert_eq!(website["locations"][0]["name"], "Default");
    let groups = s.get(&page("/groups"), &s.viewer).await.ok(200);
    assert_eq!(groups.as_array().unwrap().len(), 2);
    assert_eq!(groups[1]["name"], "Edge");
    assert_eq!(website["group_id"], groups[1]["id"]);
    let website_id = website["id"].as_str().unwrap().to_string();

    let list = s.get(&page("/components"), &s.viewer).await.ok(200);
    assert_eq!(list, json!([api.clone(), website.clone()]));
    assert_eq!(
        s.get(&page(&format!("/components/{api_id}")), &s.viewer)
            .await
            .ok(200),
        api
    );

    // Patch: rename, and take it out of its group with an explicit null.
    s.advance_mins(1);
    let patched = s
        .patch(
            &page(&format!("/components/{api_id}")),
            &s.admin,
            json!({"name": "Public API", "group_id": null}),
        )
        .await
        .ok(200);
    assert_eq!(patched["name"], "Public API");
    assert_eq!(patched["description"], "REST API");
    assert_eq!(patched["group_id"], Value::Null);
    assert_eq!(patched["locations"], api["locations"]);

    // Add a location.
    let grown = s
        .post(
            &page(&format!("/components/{api_id}/locations")),
            &s.admin,
            json!({"name": "EU West"}),
        )
        .await
        .ok(201);
    assert_eq!(grown["locations"].as_array().unwrap().len(), 3);
    assert_eq!(grown["locations"][2]["name"], "EU West");

    // Override: a responder holds APAC at a level; the derived status follows; then clears it.
    let held = s
        .put(
            &page(&format!("/locations/{apac}/override")),
            &s.responder,
            json!({"level": "degraded_performance"}),
        )
        .await
        .ok(200);
    assert_eq!(held["id"], json!(api_id));
    assert_eq!(
        held["locations"][1]["override_level"],
        "degraded_performance"
    );
    let status = s.get(&page("/status"), &s.viewer).await.ok(200);
    assert_eq!(status["level"], "degraded_performance");
    assert_eq!(status["components"][0]["component_id"], json!(api_id));
    assert_eq!(status["components"][0]["level"], "degraded_performance");
    assert_eq!(
        status["components"][0]["locations"][0]["level"],
        "operational"
    );
    assert_eq!(
        status["components"][0]["locations"][1],
        json!({"location_id": apac, "level": "degraded_performance", "override_level": "degraded_performance"})
    );
    assert_eq!(status["components"][1]["level"], "operational");
    let cleared = s
        .put(
            &page(&format!("/locations/{apac}/override")),
            &s.responder,
            json!({"level": null}),
        )
        .await
        .ok(200);
    assert_eq!(cleared["locations"][1]["override_level"], Value::Null);
    assert_eq!(
        s.get(&page("/status"), &s.viewer).await.ok(200)["level"],
        "operational"
    );

    // Delete the unreferenced component.
    assert_eq!(
        s.delete(&page(&format!("/components/{website_id}")), &s.admin)
            .await
            .status,
        204
    );
    s.get(&page(&format!("/components/{website_id}")), &s.viewer)
        .await
        .assert_problem(404, "not-found");
    s.delete(&page(&format!("/components/{website_id}")), &s.admin)
        .await
        .assert_problem(404, "not-found");
    let left = s.get(&page("/components"), &s.viewer).await.ok(200);
    assert_eq!(left.as_array().unwrap().len(), 1);

    let admin = s.admin.actor();
    let events = s
        .assert_events_after(
            start,
            &[
                ("group.created", admin.clone()),
                ("component.created", admin.clone()),
                ("group.created", admin.clone()),
                ("component.created", admin.clone()),
                ("component.updated", admin.clone()),
                ("component.location_added", admin.clone()),
                ("location.override_set", s.responder.actor()),
                ("location.override_cleared", s.responder.actor()),
                ("component.deleted", admin.clone()),
            ],
        )
        .await;
    assert_eq!(events[4]["before"]["name"], "API");
    assert_eq!(events[4]["after"]["name"], "Public API");
    assert_eq!(events[8]["subject_id"], json!(website_id));
    assert_eq!(events[8]["after"], Value::Null);
}

#[tokio::test]
async fn component_writes_that_break_a_rule_write_nothing() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let core = s
        .post(&f.path("/groups"), &s.admin, json!({"name": "Core"}))
        .await
        .ok(201);
    s.post(
        &f.path("/incidents"),
        &s.responder,
        f.new_incident("Errors", 2),
    )
    .await
    .ok(201);
    s.post(
        "/api/v1/pages",
        &s.admin,
        json!({"slug": "other", "name": "Other"}),
    )
    .await
    .ok(201);
    let before = snapshot(&s, &["acme", "other"]).await;

    s.post(&f.path("/groups"), &s.admin, json!({"name": "Core"}))
        .await
        .assert_problem(409, "conflict");
    s.post(&f.path("/groups"), &s.admin, json!({"name": "  "}))
        .await
        .assert_problem(422, "invalid-field");
    s.post(
        &f.path("/components"),
        &s.admin,
        json!({"name": "Dup", "locations": ["EU", "eu"]}),
    )
    .await
    .assert_problem(422, "invalid-field");
    s.post(&f.path("/components"), &s.admin, json!({"name": ""}))
        .await
        .assert_problem(422, "invalid-field");
    s.post(
        &f.path("/components"),
        &s.admin,
        json!({"name": "X", "group_id": "000000000000000000000000"}),
    )
    .await
    .assert_problem(404, "not-found");
    s.patch(
        &f.path(&format!("/components/{}", f.api)),
        &s.admin,
        json!({"group_id": "000000000000000000000000"}),
    )
    .await
    .assert_problem(404, "not-found");
    s.post(
        &f.path(&format!("/components/{}/locations", f.api)),
        &s.admin,
        json!({"name": "us east"}),
    )
    .await
    .assert_problem(422, "invalid-field");
    // An incident refers to the API component: its history keeps its meaning.
    let refused = s
        .delete(&f.path(&format!("/components/{}", f.api)), &s.admin)
        .await;
    refused.assert_problem(409, "conflict");
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("cannot be deleted")
    );
    s.put(
        &f.path("/locations/000000000000000000000000/override"),
        &s.responder,
        json!({"level": "degraded_performance"}),
    )
    .await
    .assert_problem(404, "not-found");
    s.put(
        &f.path(&format!("/locations/{}/override", f.apac)),
        &s.responder,
        json!({"level": "on_fire"}),
    )
    .await
    .assert_problem(422, "invalid-body");
    // A location of one page cannot be overridden through another.
    s.put(
        &format!("/api/v1/pages/other/locations/{}/override", f.apac),
        &s.responder,
        json!({"level": "degraded_performance"}),
    )
    .await
    .assert_problem(404, "not-found");
    assert_eq!(core["name"], "Core");
    assert_eq!(snapshot(&s, &["acme", "other"]).await, before);
}

#[tokio::test]
async fn an_incident_runs_its_course_on_the_cadence() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let start = s.last_event_id().await;
    let t0 = s.now();

    // Preview first: lints and due time, and nothing written.
    let before = snapshot(&s, &["acme"]).await;
    let preview = s
        .post(
            &f.path("/incidents/preview"),
            &s.responder,
            f.new_incident("API errors", 1),
        )
        .await
        .ok(200);
    assert_eq!(preview["lints"], json!([]));
    assert_eq!(ts(&preview["next_update_due"]), plus_mins(t0, 10));
    assert_eq!(preview["incident"]["title"], "API errors");
    assert_eq!(preview["incident"]["state"], "investigating");
    assert_eq!(snapshot(&s, &["acme"]).await, before, "a preview wrote");

    // Declare: severity 1, investigating, so the next update is due in 10 minutes.
    let created = s
        .post(
            &f.path("/incidents"),
            &s.responder,
            f.new_incident("API errors", 1),
        )
        .await
        .ok(201);
    let id = created["id"].as_str().unwrap().to_string();
    assert!(is_id(&created["id"]));
    assert_eq!(created["page_id"], json!(f.page_id));
    assert_eq!(created["title"], "API errors");
    assert_eq!(created["severity"], 1);
    assert_eq!(created["state"], "investigating");
    assert_eq!(created["level"], "partial_service_disruption");
    assert_eq!(
        created["affected"],
        json!([{"location_id": f.us_east, "level": "partial_service_disruption"}])
    );
    assert_eq!(ts(&created["created_at"]), t0);
    assert_eq!(ts(&created["next_update_due"]), plus_mins(t0, 10));
    assert_eq!(created["closed_at"], Value::Null);
    assert_eq!(created["resolved_at"], Value::Null);
    let first = &created["updates"][0];
    assert_eq!(created["updates"].as_array().unwrap().len(), 1);
    assert!(is_id(&first["id"]));
    assert_eq!(first["author"], json!(s.responder.actor()));
    assert_eq!(first["subject"], "Service status update");
    assert_eq!(
        first["channels"],
        json!({"email": true, "webhook": true, "slack": true, "teams": true, "social": true, "irc": true, "sms": true})
    );
    assert_eq!(ts(&first["at"]), t0);
    assert_eq!(
        s.get(&f.path(&format!("/incidents/{id}")), &s.viewer)
            .await
            .ok(200),
        created
    );
    let status = s.get(&f.path("/status"), &s.viewer).await.ok(200);
    assert_eq!(status["level"], "partial_service_disruption");
    assert_eq!(
        status["components"][0]["locations"][0]["level"],
        "partial_service_disruption"
    );
    assert_eq!(
        status["components"][0]["locations"][1]["level"],
        "operational"
    );

    // Identified four minutes later: due ten minutes after that update.
    let t1 = s.advance_mins(4);
    let identified = s
        .post(
            &f.path(&format!("/incidents/{id}/updates")),
            &s.responder,
            json!({"state": "identified", "details": "A bad deploy.", "status": {"mode": "all", "levels": "degraded_performance"}, "channels": {"social": false}}),
        )
        .await
        .ok(201);
    assert_eq!(identified["state"], "identified");
    assert_eq!(identified["level"], "degraded_performance");
    assert_eq!(ts(&identified["next_update_due"]), plus_mins(t1, 10));
    assert_eq!(ts(&identified["updated_at"]), t1);
    assert_eq!(identified["updates"].as_array().unwrap().len(), 2);
    assert_eq!(identified["updates"][1]["channels"]["social"], false);
    assert_eq!(identified["updates"][1]["channels"]["email"], true);

    // Monitoring: severity 1 waits 30 minutes; an explicit interval wins (previewed only).
    let t2 = s.advance_mins(6);
    let monitoring = s
        .post(
            &f.path(&format!("/incidents/{id}/updates")),
            &s.responder,
            json!({"state": "monitoring", "details": "Rolled back; we will monitor for 30 minutes."}),
        )
        .await
        .ok(201);
    assert_eq!(ts(&monitoring["next_update_due"]), plus_mins(t2, 30));
    let before = snapshot(&s, &["acme"]).await;
    let t3 = s.advance_mins(1);
    let preview = s
        .post(
            &f.path(&format!("/incidents/{id}/preview")),
            &s.responder,
            json!({"state": "monitoring", "details": "Still watching.", "next_update_in": 45}),
        )
        .await
        .ok(200);
    assert_eq!(ts(&preview["next_update_due"]), plus_mins(t3, 45));
    assert_eq!(preview["lints"][0]["id"], "monitoring.no_duration");
    assert_eq!(preview["incident"]["updates"].as_array().unwrap().len(), 4);
    assert_eq!(snapshot(&s, &["acme"]).await, before, "a preview wrote");

    // Edit: title and affected locations, no new update, so the due time stays. US East
    // keeps its level, APAC joins at the level given.
    let quiet = s.last_event_id().await;
    let edited = s
        .patch(
            &f.path(&format!("/incidents/{id}")),
            &s.responder,
            json!({"title": "API errors in two regions", "affected": [
                {"location_id": f.us_east},
                {"location_id": f.apac, "level": "service_disruption"},
            ]}),
        )
        .await
        .ok(200);
    assert_eq!(edited["title"], "API errors in two regions");
    assert_eq!(
        edited["affected"],
        json!([
            {"location_id": f.us_east, "level": "degraded_performance"},
            {"location_id": f.apac, "level": "service_disruption"},
        ])
    );
    assert_eq!(edited["level"], "service_disruption");
    let events = s
        .assert_events_after(quiet, &[("incident.edited", s.responder.actor())])
        .await;
    assert_eq!(
        events[0]["before"]["affected"][0]["level"], "degraded_performance",
        "the audit log keeps what the levels were"
    );
    assert_eq!(edited["updates"].as_array().unwrap().len(), 3);
    assert_eq!(edited["next_update_due"], monitoring["next_update_due"]);
    // An edit that changes nothing records nothing.
    let quiet = s.last_event_id().await;
    s.patch(
        &f.path(&format!("/incidents/{id}")),
        &s.responder,
        json!({"title": "API errors in two regions"}),
    )
    .await
    .ok(200);
    assert_eq!(s.last_event_id().await, quiet);

    // Resolve: nothing more is due; severity 1 closes 30 minutes after resolution.
    let t4 = s.advance_mins(20);
    let resolved = s
        .post(
            &f.path(&format!("/incidents/{id}/updates")),
            &s.responder,
            json!({"state": "resolved", "details": "Fixed."}),
        )
        .await
        .ok(201);
    assert_eq!(resolved["state"], "resolved");
    assert_eq!(resolved["level"], "operational");
    assert_eq!(resolved["next_update_due"], Value::Null);
    assert_eq!(ts(&resolved["resolved_at"]), t4);
    assert_eq!(ts(&resolved["closed_at"]), plus_mins(t4, 30));
    assert_eq!(
        s.get(&f.path("/status"), &s.viewer).await.ok(200)["level"],
        "operational"
    );

    // The post-mortem link, once resolved.
    let linked = s
        .put(
            &f.path(&format!("/incidents/{id}/postmortem")),
            &s.responder,
            json!({"url": "https://example.com/postmortems/1"}),
        )
        .await
        .ok(200);
    assert_eq!(
        linked["postmortem_url"],
        "https://example.com/postmortems/1"
    );
    assert_eq!(linked["closed_at"], resolved["closed_at"]);

    // A severity 4 incident closes at its resolution.
    let minor = s
        .post(
            &f.path("/incidents"),
            &s.responder,
            f.new_incident("Slow", 4),
        )
        .await
        .ok(201);
    assert_eq!(ts(&minor["next_update_due"]), plus_mins(t4, 15));
    let minor_id = minor["id"].as_str().unwrap().to_string();
    let t5 = s.advance_mins(3);
    let minor = s
        .post(
            &f.path(&format!("/incidents/{minor_id}/updates")),
            &s.responder,
            json!({"state": "resolved", "details": "Fine now."}),
        )
        .await
        .ok(201);
    assert_eq!(ts(&minor["closed_at"]), t5);

    // Delete: gone from the API, kept in the audit log.
    assert_eq!(
        s.delete(&f.path(&format!("/incidents/{id}")), &s.responder)
            .await
            .status,
        204
    );
    s.get(&f.path(&format!("/incidents/{id}")), &s.viewer)
        .await
        .assert_problem(404, "not-found");
    s.delete(&f.path(&format!("/incidents/{id}")), &s.responder)
        .await
        .assert_problem(404, "not-found");
    let list = s.get(&f.path("/incidents"), &s.viewer).await.ok(200);
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [minor_id.as_str()]);

    let r = s.responder.actor();
    let events = s
        .assert_events_after(
            start,
            &[
                ("incident.created", r.clone()),
                ("incident.updated", r.clone()),
                ("incident.updated", r.clone()),
                ("incident.edited", r.clone()),
                ("incident.resolved", r.clone()),
                ("incident.postmortem_linked", r.clone()),
                ("incident.created", r.clone()),
                ("incident.resolved", r.clone()),
                ("incident.deleted", r.clone()),
            ],
        )
        .await;
    for event in &events {
        assert_eq!(event["page_id"], json!(f.page_id));
        assert_eq!(event["subject_type"], "incident");
    }
    assert_eq!(events[0]["subject_id"], json!(id));
    assert_eq!(ts(&events[0]["at"]), t0);
    assert_eq!(events[8]["before"]["title"], "API errors in two regions");
    assert_eq!(events[8]["after"], Value::Null);
}

/// A published update's typo is corrected in place: marked edited, the old text kept in the
/// audit log, told to nobody unless asked, and the public page, feeds and JSON carry the new
/// text. Bad corrections are refused with nothing written.
#[tokio::test]
async fn a_published_update_is_corrected_without_a_new_one() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let id = s.create_incident(&f, "API errors", 2).await;
    s.advance_mins(5);
    let incident = s
        .post(
            &f.path(&format!("/incidents/{id}/updates")),
            &s.responder,
            json!({"state": "identified", "details": "A bad deploy; rolling back."}),
        )
        .await
        .ok(201);
    let first = incident["updates"][0]["id"].as_str().unwrap().to_string();
    let path = f.path(&format!("/incidents/{id}/updates/{first}"));
    let deliveries = f.path(&format!("/incidents/{id}/deliveries"));
    let broadcasts = s
        .get(&deliveries, &s.viewer)
        .await
        .ok(200)
        .as_array()
        .unwrap()
        .len();
    let before = s.last_event_id().await;

    // Refused, with nothing written: empty text, a template variable left unfilled, an
    // unknown update, and a field the correction does not have.
    for (body, code) in [
        (json!({"details": "  "}), "invalid-field"),
        (
            json!({"details": "Details in {issue_link}"}),
            "invalid-field",
        ),
        (
            json!({"details": "Fine.", "state": "resolved"}),
            "invalid-body",
        ),
    ] {
        s.patch(&path, &s.responder, body)
            .await
            .assert_problem(422, code);
    }
    s.patch(
        &f.path(&format!("/incidents/{id}/updates/000000000000000000000000")),
        &s.responder,
        json!({"details": "Fine."}),
    )
    .await
    .assert_problem(404, "not-found");
    s.patch(&path, &s.viewer, json!({"details": "Fine."}))
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(
        s.last_event_id().await,
        before,
        "a refused correction wrote"
    );

    let t = s.advance_mins(2);
    let corrected = s
        .patch(
            &path,
            &s.responder,
            json!({"details": "We are investigating elevated error rates on {title}."}),
        )
        .await
        .ok(200);
    let updates = corrected["updates"].as_array().unwrap();
    assert_eq!(updates.len(), 2, "no new update");
    assert_eq!(
        updates[0]["details"],
        "We are investigating elevated error rates on API errors."
    );
    assert_eq!(ts(&updates[0]["edited_at"]), t);
    assert_eq!(updates[0]["at"], incident["updates"][0]["at"]);
    assert_eq!(updates[1]["edited_at"], Value::Null);
    assert_eq!(corrected["next_update_due"], incident["next_update_due"]);
    let events = s
        .assert_events_after(
            before,
            &[("incident.update_corrected", s.responder.actor())],
        )
        .await;
    assert_eq!(
        events[0]["before"]["updates"][0]["details"], "We are investigating elevated error rates.",
        "the audit log keeps the old text"
    );
    let told = s.get(&deliveries, &s.viewer).await.ok(200);
    assert_eq!(told.as_array().unwrap().len(), broadcasts, "told to nobody");
    let page = s
        .public_eventually("/", |b| b.contains("elevated error rates on API errors"))
        .await;
    assert!(page.contains("Edited"), "{page}");
    for feed in ["/history.rss", "/history.atom"] {
        s.public_eventually(feed, |b| b.contains("elevated error rates on API errors"))
            .await;
    }
    let json = common::json_when(&s, "/api/v2/incidents.json", |v| {
        v["incidents"][0]["incident_updates"]
            .as_array()
            .is_some_and(|u| u.len() == 2)
    })
    .await;
    assert_eq!(
        json["incidents"][0]["incident_updates"][1]["body"],
        "We are investigating elevated error rates on API errors."
    );

    // Told again, as a correction, when the lead asks.
    let again = s
        .patch(
            &path,
            &s.responder,
            json!({"details": "We are investigating elevated error rates.", "rebroadcast": true}),
        )
        .await
        .ok(200);
    assert_eq!(
        again["updates"][0]["details"],
        "We are investigating elevated error rates."
    );
    let reports = s.get(&deliveries, &s.viewer).await.ok(200);
    let newest = reports.as_array().unwrap().last().unwrap();
    assert_eq!(newest["event"], "incident.corrected");
    assert_eq!(newest["update_id"], first.as_str());
}

#[tokio::test]
async fn incidents_are_listed_newest_first_by_state_and_page() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let mut ids = Vec::new();
    for n in 0..5 {
        s.advance_mins(1);
        let created = s
            .post(
                &f.path("/incidents"),
                &s.responder,
                f.new_incident(&format!("Incident {n}"), 4),
            )
            .await
            .ok(201);
        ids.push(created["id"].as_str().unwrap().to_string());
    }
    // Resolve incidents 1 and 3.
    for n in [1, 3] {
        s.post(
            &f.path(&format!("/incidents/{}/updates", ids[n])),
            &s.responder,
            json!({"state": "resolved", "details": "Fixed."}),
        )
        .await
        .ok(201);
    }
    let listed = |v: Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    };
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    let all = s.get(&f.path("/incidents"), &s.viewer).await.ok(200);
    assert_eq!(listed(all.clone()), newest_first);
    assert!(all[0].get("next_update_due").is_some() && all[0].get("level").is_some());
    let all_explicit = s
        .get(&f.path("/incidents?state=all"), &s.viewer)
        .await
        .ok(200);
    assert_eq!(all_explicit, all);
    let active = s
        .get(&f.path("/incidents?state=active"), &s.viewer)
        .await
        .ok(200);
    assert_eq!(listed(active), [ids[4].as_str(), &ids[2], &ids[0]]);
    let resolved = s
        .get(&f.path("/incidents?state=resolved"), &s.viewer)
        .await
        .ok(200);
    assert_eq!(listed(resolved), [ids[3].as_str(), &ids[1]]);

    // Pages of two, following `before`.
    let first = listed(
        s.get(&f.path("/incidents?limit=2"), &s.viewer)
            .await
            .ok(200),
    );
    assert_eq!(first, [ids[4].as_str(), &ids[3]]);
    let second = listed(
        s.get(
            &f.path(&format!("/incidents?limit=2&before={}", first[1])),
            &s.viewer,
        )
        .await
        .ok(200),
    );
    assert_eq!(second, [ids[2].as_str(), &ids[1]]);
    let third = listed(
        s.get(
            &f.path(&format!("/incidents?limit=2&before={}", second[1])),
            &s.viewer,
        )
        .await
        .ok(200),
    );
    assert_eq!(third, [ids[0].as_str()]);
    let past_the_end = s
        .get(
            &f.path(&format!("/incidents?limit=2&before={}", ids[0])),
            &s.viewer,
        )
        .await
        .ok(200);
    assert_eq!(past_the_end, json!([]));
    let active_before = listed(
        s.get(
            &f.path(&format!("/incidents?state=active&before={}", ids[4])),
            &s.viewer,
        )
        .await
        .ok(200),
    );
    assert_eq!(active_before, [ids[2].as_str(), &ids[0]]);

    // Bad queries.
    s.get(
        &f.path("/incidents?before=000000000000000000000000"),
        &s.viewer,
    )
    .await
    .assert_problem(404, "not-found");
    s.get(&f.path("/incidents?state=open"), &s.viewer)
        .await
        .assert_problem(400, "invalid-query");
    s.get(&f.path("/incidents?limit=many"), &s.viewer)
        .await
        .assert_problem(400, "invalid-query");
    s.get(&f.path("/incidents?sort=asc"), &s.viewer)
        .await
        .assert_problem(400, "invalid-query");
    s.get("/api/v1/pages/nope/incidents", &s.viewer)
        .await
        .assert_problem(404, "not-found");
}

#[tokio::test]
async fn incident_writes_that_break_a_rule_write_nothing() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let active = s.create_incident(&f, "Errors", 2).await;
    let resolved = s.create_incident(&f, "Old", 3).await;
    s.resolve_incident(&f, &resolved).await;
    let before = snapshot(&s, &["acme"]).await;

    let new = |affected: Value| json!({"title": "T", "severity": 2, "details": "D", "affected": affected});
    let operational = new(json!([{"location_id": f.us_east, "level": "operational"}]));
    for path in ["/incidents", "/incidents/preview"] {
        s.post(&f.path(path), &s.responder, operational.clone())
            .await
            .assert_problem(422, "all-operational");
        s.post(&f.path(path), &s.responder, new(json!([])))
            .await
            .assert_problem(422, "no-affected-locations");
        s.post(
            &f.path(path),
            &s.responder,
            new(
                json!([{"location_id": "000000000000000000000000", "level": "service_disruption"}]),
            ),
        )
        .await
        .assert_problem(422, "unknown-location");
    }
    let mut starts_resolved = f.new_incident("T", 2);
    starts_resolved["state"] = json!("resolved");
    s.post(&f.path("/incidents"), &s.responder, starts_resolved)
        .await
        .assert_problem(422, "created-resolved");
    let mut blank = f.new_incident(" ", 2);
    blank["details"] = json!("D");
    let refused = s.post(&f.path("/incidents"), &s.responder, blank).await;
    refused.assert_problem(422, "invalid-field");
    assert_eq!(refused.body["field"], "title");
    let mut too_often = f.new_incident("T", 2);
    too_often["next_update_in"] = json!(0);
    let refused = s.post(&f.path("/incidents"), &s.responder, too_often).await;
    refused.assert_problem(422, "invalid-field");
    assert_eq!(refused.body["field"], "next_update_in");

    let pm = s
        .put(
            &f.path(&format!("/incidents/{active}/postmortem")),
            &s.responder,
            json!({"url": "https://example.com/pm"}),
        )
        .await;
    pm.assert_problem(422, "postmortem-before-resolved");
    s.put(
        &f.path(&format!("/incidents/{resolved}/postmortem")),
        &s.responder,
        json!({"url": "javascript:alert(1)"}),
    )
    .await
    .assert_problem(422, "invalid-field");
    for path in ["updates", "preview"] {
        s.post(
            &f.path(&format!("/incidents/{resolved}/{path}")),
            &s.responder,
            json!({"state": "resolved", "details": "Again."}),
        )
        .await
        .assert_problem(422, "already-resolved");
        let refused = s
            .post(
                &f.path(&format!("/incidents/{active}/{path}")),
                &s.responder,
                json!({"state": "resolved", "details": "Done", "status": {"mode": "all", "levels": "service_disruption"}}),
            )
            .await;
        refused.assert_problem(422, "invalid-field");
        assert_eq!(refused.body["field"], "status");
        s.post(
            &f.path(&format!("/incidents/{active}/{path}")),
            &s.responder,
            json!({"state": "identified", "details": ""}),
        )
        .await
        .assert_problem(422, "invalid-field");
    }
    s.patch(
        &f.path(&format!("/incidents/{active}")),
        &s.responder,
        json!({"affected": []}),
    )
    .await
    .assert_problem(422, "no-affected-locations");
    s.patch(
        &f.path(&format!("/incidents/{active}")),
        &s.responder,
        json!({"affected": [{"location_id": "000000000000000000000000"}]}),
    )
    .await
    .assert_problem(422, "unknown-location");
    s.patch(
        &f.path(&format!("/incidents/{active}")),
        &s.responder,
        json!({"affected": [{"location_id": f.us_east, "level": "on_fire"}]}),
    )
    .await
    .assert_problem(422, "invalid-body");
    s.patch(
        &f.path(&format!("/incidents/{active}")),
        &s.responder,
        json!({"severity": 5}),
    )
    .await
    .assert_problem(422, "invalid-body");

    // Duplicate slugs, on create and on rename; and a slug that is another page's id.
    s.post(
        "/api/v1/pages",
        &s.admin,
        json!({"slug": "acme", "name": "Again"}),
    )
    .await
    .assert_problem(409, "conflict");
    s.post(
        "/api/v1/pages",
        &s.admin,
        json!({"slug": f.page_id, "name": "Sneaky"}),
    )
    .await
    .assert_problem(409, "conflict");
    s.post(
        "/api/v1/pages",
        &s.admin,
        json!({"slug": "Not A Slug", "name": "Bad"}),
    )
    .await
    .assert_problem(422, "invalid-field");
    s.post(
        "/api/v1/pages",
        &s.admin,
        json!({"slug": "mars", "name": "Mars", "time_zone": "Mars/Olympus"}),
    )
    .await
    .assert_problem(422, "invalid-field");
    assert_eq!(snapshot(&s, &["acme"]).await, before);

    s.post(
        "/api/v1/pages",
        &s.admin,
        json!({"slug": "other", "name": "Other"}),
    )
    .await
    .ok(201);
    let before = snapshot(&s, &["acme", "other"]).await;
    s.patch("/api/v1/pages/other", &s.admin, json!({"slug": "acme"}))
        .await
        .assert_problem(409, "conflict");
    s.patch(
        "/api/v1/pages/other",
        &s.admin,
        json!({"settings": {"cadence": {"sev1": {"investigating": 0, "identified": 10, "monitoring": 30}, "sev2": {"investigating": 15, "identified": 30, "monitoring": 60}, "sev3": {"investigating": 15, "identified": 30, "monitoring": 60}, "sev4": {"investigating": 15, "identified": 30, "monitoring": 60}}}}),
    )
    .await
    .assert_problem(422, "invalid-field");
    // A location of another page cannot be named by an incident.
    s.post(
        "/api/v1/pages/other/incidents",
        &s.responder,
        f.new_incident("Cross-page", 2),
    )
    .await
    .assert_problem(422, "unknown-location");
    // An incident of one page is not reachable through another.
    s.get(
        &format!("/api/v1/pages/other/incidents/{active}"),
        &s.viewer,
    )
    .await
    .assert_problem(404, "not-found");
    s.delete(
        &format!("/api/v1/pages/other/incidents/{active}"),
        &s.responder,
    )
    .await
    .assert_problem(404, "not-found");
    assert_eq!(snapshot(&s, &["acme", "other"]).await, before);
}

/// A title or name nobody can read (only bidirectional controls, zero-width characters, a byte
/// order mark) or holding a control character is refused, naming the field and what to fix,
/// wherever one is taken; details may hold line breaks and tabs but no other control character.
#[tokio::test]
async fn unreadable_titles_and_names_are_refused_and_write_nothing() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let active = s.create_incident(&f, "Errors", 2).await;
    let before = snapshot(&s, &["acme"]).await;

    let incident = |title: &str| f.new_incident(title, 2);
    let window = |title: &str| {
        json!({
            "title": title,
            "details": "Writes pause.",
            "affected": [f.apac],
            "starts_at": plus_mins(s.now(), 60).to_string(),
            "ends_at": plus_mins(s.now(), 120).to_string(),
        })
    };
    let cases = [
        (
            f.path("/incidents"),
            incident("\u{202E}"),
            "title",
            "invisible",
        ),
        (
            f.path("/incidents"),
            incident("\u{200B}\u{200C}\u{FEFF}"),
            "title",
            "invisible",
        ),
        (f.path("/incidents"), incident("\0"), "title", "U+0000"),
        (
            f.path("/incidents"),
            incident("API\nerrors"),
            "title",
            "one line",
        ),
        (
            f.path("/maintenance"),
            window("\u{2066}\u{2069}"),
            "title",
            "invisible",
        ),
        (
            f.path("/components"),
            json!({"name": "\u{200D}"}),
            "name",
            "invisible",
        ),
        (
            f.path("/groups"),
            json!({"name": "Core\u{1B}[0m"}),
            "name",
            "U+001B",
        ),
        (
            f.path(&format!("/incidents/{active}/updates")),
            json!({"state": "identified", "details": "\u{200B}\n\u{200B}"}),
            "details",
            "invisible",
        ),
        (
            f.path(&format!("/incidents/{active}/updates")),
            json!({"state": "identified", "details": "Found it.\n\0"}),
            "details",
            "U+0000",
        ),
    ];
    for (path, body, field, reason) in cases {
        let refused = s.post(&path, &s.admin, body.clone()).await;
        refused.assert_problem(422, "invalid-field");
        assert_eq!(refused.body["field"], field, "{path} {body}");
        let detail = refused.body["detail"].as_str().unwrap();
        assert!(
            detail.starts_with(&format!("{field}: ")) && detail.contains(reason),
            "{path} {body}: {detail}"
        );
    }
    let renamed = s
        .patch(
            &f.path(&format!("/incidents/{active}")),
            &s.responder,
            json!({"title": "\u{202E}\u{202C}"}),
        )
        .await;
    renamed.assert_problem(422, "invalid-field");
    assert_eq!(snapshot(&s, &["acme"]).await, before);

    // Visible text may carry such characters, and details their line breaks and tabs.
    s.post(
        &f.path("/incidents"),
        &s.responder,
        incident("\u{200F}שגיאות API"),
    )
    .await
    .ok(201);
    s.post(
        &f.path(&format!("/incidents/{active}/updates")),
        &s.responder,
        json!({"state": "identified", "details": "Found it:\r\n\t- the cache."}),
    )
    .await
    .ok(201);
}

#[tokio::test]
async fn unknown_pages_and_incidents_are_404_and_write_nothing() {
    let s = Server::start().await;
    let w = world(&s).await;
    let f = &w.f;
    let before = snapshot(&s, &["acme"]).await;
    let ghost = "000000000000000000000000";

    // Every page route on a page that does not exist.
    for r in &w.routes {
        if !r.path.starts_with(&f.path("")) {
            continue;
        }
        let path = r.path.replacen("/pages/acme", "/pages/nope", 1);
        let got = s
            .call(r.method.clone(), &path, Some(&s.admin), r.body.as_ref())
            .await;
        got.assert_problem(404, "not-found");
        assert!(
            got.body["detail"].as_str().unwrap().contains("nope"),
            "{} {path}: {got:#?}",
            r.method
        );
    }
    // Every incident route on an incident that does not exist.
    for r in &w.routes {
        if !r.path.contains(&w.active) && !r.path.contains(&w.resolved) {
            continue;
        }
        let path = r.path.replace(&w.active, ghost).replace(&w.resolved, ghost);
        s.call(r.method.clone(), &path, Some(&s.admin), r.body.as_ref())
            .await
            .assert_problem(404, "not-found");
    }
    // Components, locations, maintenance windows, tokens and subscribers that do not exist.
    for r in &w.routes {
        let replaced = r
            .path
            .replace(&f.api, ghost)
            .replace(&f.apac, ghost)
            .replace(&w.spare_component, ghost)
            .replace(&w.planned, ghost)
            .replace(&w.first_update, ghost)
            .replace(&w.broadcast, ghost)
            .replace(&w.spare_token, ghost)
            .replace(&w.subscriber, ghost)
            .replace(&w.user, ghost);
        if replaced == r.path {
            continue;
        }
        s.call(r.method.clone(), &replaced, Some(&s.admin), r.body.as_ref())
            .await
            .assert_problem(404, "not-found");
    }
    assert_eq!(snapshot(&s, &["acme"]).await, before);
}

#[tokio::test]
async fn bad_bodies_are_refused_with_clear_codes_and_write_nothing() {
    let s = Server::start().await;
    let w = world(&s).await;
    let before = snapshot(&s, &["acme"]).await;
    let with_body: Vec<&Route> = w.routes.iter().filter(|r| r.body.is_some()).collect();
    assert_eq!(with_body.len(), 31);

    for r in &with_body {
        let what = format!("{} {}", r.method, r.path);
        let body = r.body.clone().unwrap();
        let send = |content_type: Option<&'static str>, bytes: Vec<u8>| {
            s.raw(
                r.method.clone(),
                &r.path,
                Some(&s.admin),
                content_type,
                bytes,
            )
        };

        // Not JSON at all.
        for malformed in ["", "{", "[", "{name: \"x\"}", "name=x"] {
            let got = send(Some("application/json"), malformed.into()).await;
            got.assert_problem(400, "malformed-json");
        }

        // JSON of the wrong shape: a field of the wrong type, an unknown field, not an object.
        // (Fields holding an enum are left to `enum_fields_of_the_wrong_type_are_invalid_body`.)
        let plain = body
            .as_object()
            .unwrap()
            .keys()
            .find(|k| !ENUM_FIELDS.contains(&k.as_str()))
            .cloned();
        if let Some(key) = plain {
            let mut wrong = body.clone();
            wrong[&key] = match body[&key].is_array() {
                true => json!("not a list"),
                false => json!([1, 2]),
            };
            let got = s
                .call(r.method.clone(), &r.path, Some(&s.admin), Some(&wrong))
                .await;
            got.assert_problem(422, "invalid-body");
            assert!(
                got.body["detail"].as_str().unwrap().contains(&key),
                "{what}: the detail names the field: {got:#?}"
            );
        }
        let mut unknown = body.clone();
        unknown["colour"] = json!("red");
        let got = s
            .call(r.method.clone(), &r.path, Some(&s.admin), Some(&unknown))
            .await;
        got.assert_problem(422, "invalid-body");
        assert!(
            got.body["detail"].as_str().unwrap().contains("colour"),
            "{what}: {got:#?}"
        );
        for not_an_object in [json!("a string"), json!(42), json!(null)] {
            s.call(
                r.method.clone(),
                &r.path,
                Some(&s.admin),
                Some(&not_an_object),
            )
            .await
            .assert_problem(422, "invalid-body");
        }

        // A JSON body without saying so.
        let bytes = serde_json::to_vec(&body).unwrap();
        send(None, bytes.clone())
            .await
            .assert_problem(415, "not-json");
        send(Some("text/plain"), bytes)
            .await
            .assert_problem(415, "not-json");

        // Over 256 KiB.
        let mut huge = body.clone();
        huge["padding"] = json!("x".repeat(300 * 1024));
        let bytes = serde_json::to_vec(&huge).unwrap();
        let got = send(Some("application/json"), bytes).await;
        got.assert_problem(413, "body-too-large");
        assert!(got.body["detail"].as_str().unwrap().contains("256 KiB"));
    }
    // Just under the limit is read, and judged on its content.
    let mut big = w.f.new_incident("Big", 2);
    big["details"] = json!("x".repeat(250 * 1024));
    let got = s.post(&w.f.path("/incidents"), &s.responder, big).await;
    got.assert_problem(422, "invalid-field");
    assert_eq!(got.body["field"], "details");

    // Bad query strings.
    for path in [
        "/api/v1/events?limit=ten",
        "/api/v1/events?after=x",
        "/api/v1/events?wait=-1",
        "/api/v1/events?colour=red",
    ] {
        s.get(path, &s.admin)
            .await
            .assert_problem(400, "invalid-query");
    }
    assert_eq!(snapshot(&s, &["acme"]).await, before);
}

/// Body fields whose type is an enum (a level, a role, a state).
const ENUM_FIELDS: &[&str] = &["level", "role", "state"];

/// A JSON body that is well-formed but gives a number or a list where a level, role or state
/// belongs is a body of the wrong type (422 `invalid-body`), not malformed JSON.
#[tokio::test]
async fn enum_fields_of_the_wrong_type_are_invalid_body() {
    let s = Server::start().await;
    let w = world(&s).await;
    let before = snapshot(&s, &["acme"]).await;
    let cases = [
        (
            Method::PUT,
            w.f.path(&format!("/locations/{}/override", w.f.apac)),
            json!({"level": 300}),
        ),
        (
            Method::PUT,
            w.f.path(&format!("/locations/{}/override", w.f.apac)),
            json!({"level": ["degraded_performance"]}),
        ),
        (
            Method::POST,
            "/api/v1/tokens".to_string(),
            json!({"name": "ci", "role": 2}),
        ),
        (
            Method::POST,
            w.f.path(&format!("/incidents/{}/updates", w.active)),
            json!({"state": 200, "details": "Found it."}),
        ),
    ];
    let mut wrong = Vec::new();
    for (method, path, body) in cases {
        let got = s
            .call(method.clone(), &path, Some(&s.admin), Some(&body))
            .await;
        if (got.status, got.body["code"].as_str()) != (422, Some("invalid-body")) {
            wrong.push(format!(
                "{method} {path} {body} -> {} {} {}",
                got.status, got.body["code"], got.body["detail"]
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "well-formed JSON refused as malformed:\n{}",
        wrong.join("\n")
    );
    assert_eq!(snapshot(&s, &["acme"]).await, before);
}

/// A body must be a JSON object: a list is not read positionally into the fields (which would
/// let `["bot", "admin"]` create an admin token).
#[tokio::test]
async fn bodies_must_be_json_objects() {
    let s = Server::start().await;
    let w = world(&s).await;
    let before = snapshot(&s, &["acme"]).await;
    let cases = [
        ("/api/v1/tokens".to_string(), json!(["bot", "admin"])),
        ("/api/v1/pages".to_string(), json!(["listed", "Listed"])),
        (w.f.path("/groups"), json!(["Core"])),
    ];
    let mut wrong = Vec::new();
    for (path, body) in cases {
        let got = s.post(&path, &s.admin, body.clone()).await;
        if (got.status, got.body["code"].as_str()) != (422, Some("invalid-body")) {
            wrong.push(format!("POST {path} {body} -> {} {}", got.status, got.body));
        }
    }
    assert!(
        wrong.is_empty(),
        "a list was read as an object:\n{}",
        wrong.join("\n")
    );
    assert_eq!(snapshot(&s, &["acme"]).await, before);
}

/// Console users through the API: created (with a password or without), listed, disabled and
/// enabled again, each once and audited; the only active admin stays enabled.
#[tokio::test]
async fn console_users_are_created_listed_disabled_and_enabled() {
    let s = Server::start().await;
    let start = s.last_event_id().await;
    assert_eq!(s.get("/api/v1/users", &s.admin).await.ok(200), json!([]));

    let password = common::console::PASSWORD;
    let alice = s
        .post(
            "/api/v1/users",
            &s.admin,
            json!({"email": " Alice@Example.com ", "name": " Alice ", "role": "admin", "password": password}),
        )
        .await
        .ok(201);
    assert!(is_id(&alice["id"]), "{alice}");
    for (key, value) in [
        ("email", json!("alice@example.com")),
        ("name", json!("Alice")),
        ("role", json!("admin")),
        ("has_password", json!(true)),
        ("disabled_at", Value::Null),
    ] {
        assert_eq!(alice[key], value, "{key}: {alice}");
    }
    let mut console = common::console::Browser::new(&s);
    console.sign_in("alice@example.com", password).await;
    let bob = s
        .post(
            "/api/v1/users",
            &s.admin,
            json!({"email": "bob@example.com", "name": "Bob", "role": "responder"}),
        )
        .await
        .ok(201);
    assert_eq!(bob["has_password"], false);
    let bob_id = bob["id"].as_str().unwrap();

    // Refused, naming what to fix, and nothing written.
    let written = s.last_event_id().await;
    let new = |email: &str, name: &str, password: Option<&str>| {
        let mut body = json!({"email": email, "name": name, "role": "viewer"});
        if let Some(password) = password {
            body["password"] = json!(password);
        }
        s.post("/api/v1/users", &s.admin, body)
    };
    let taken = new("BOB@example.com", "Bob again", None).await;
    taken.assert_problem(409, "conflict");
    assert!(
        taken.body["detail"]
            .as_str()
            .unwrap()
            .contains("bob@example.com")
    );
    for (refused, field, says) in [
        (
            new("bob", "Bob", None).await,
            "email",
            "not an email address",
        ),
        (
            new("carol@example.com", "\u{200B}", None).await,
            "name",
            "invisible",
        ),
        (
            new("carol@example.com", "Carol", Some("short")).await,
            "password",
            "at least 12",
        ),
    ] {
        refused.assert_problem(422, "invalid-field");
        assert_eq!(refused.body["field"], field, "{refused:#?}");
        let detail = refused.body["detail"].as_str().unwrap();
        assert!(detail.contains(says), "{detail}");
    }
    s.post(
        "/api/v1/users",
        &s.admin,
        json!({"email": "carol@example.com", "name": "Carol", "role": "root"}),
    )
    .await
    .assert_problem(422, "invalid-body");
    assert_eq!(s.last_event_id().await, written);
    assert_eq!(
        s.get("/api/v1/users", &s.admin).await.ok(200),
        json!([alice, bob])
    );

    // Disabled and enabled by email address or id, each once.
    let off = s
        .post("/api/v1/users/BOB@example.com/disable", &s.admin, json!({}))
        .await;
    let off = off.ok(200);
    assert!(off["disabled_at"].is_string(), "{off}");
    let again = s
        .post(
            &format!("/api/v1/users/{bob_id}/disable"),
            &s.admin,
            json!({}),
        )
        .await
        .ok(200);
    assert_eq!(again, off);
    let on = s
        .post(
            &format!("/api/v1/users/{bob_id}/enable"),
            &s.admin,
            json!({}),
        )
        .await
        .ok(200);
    assert_eq!(on["disabled_at"], Value::Null);
    assert_eq!((&on["id"], &on["role"]), (&bob["id"], &bob["role"]));
    let again = s
        .post("/api/v1/users/bob@example.com/enable", &s.admin, json!({}))
        .await
        .ok(200);
    assert_eq!(again, on);

    // The only active admin stays enabled; unknown users are 404.
    let last = s
        .post(
            "/api/v1/users/alice@example.com/disable",
            &s.admin,
            json!({}),
        )
        .await;
    last.assert_problem(422, "last-admin");
    assert!(
        last.body["detail"].as_str().unwrap().starts_with(
            "alice@example.com is the only active admin; make another user an admin first"
        ),
        "{last:#?}"
    );
    assert_eq!(console.get("/console").await.status, 200, "still signed in");
    for action in ["disable", "enable"] {
        s.post(
            &format!("/api/v1/users/nobody@example.com/{action}"),
            &s.admin,
            json!({}),
        )
        .await
        .assert_problem(404, "not-found");
    }

    // The audit log: each change once, by the token, without the password.
    let events = s.events_after(start).await;
    let kinds: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e["subject_type"] == "user" && e["kind"] != "user.signed_in")
        .map(|e| (e["kind"].as_str().unwrap(), e["actor"].as_str().unwrap()))
        .collect();
    let actor = s.admin.actor();
    assert_eq!(
        kinds,
        [
            ("user.created", actor.as_str()),
            ("user.created", actor.as_str()),
            ("user.disabled", actor.as_str()),
            ("user.enabled", actor.as_str()),
        ]
    );
    let logged = serde_json::to_string(&events).unwrap();
    assert!(
        !logged.contains(password) && !logged.contains("argon2"),
        "{logged}"
    );
}

#[tokio::test]
async fn tokens_are_created_listed_and_revoked_by_admins_only() {
    let s = Server::start().await;
    let start = s.last_event_id().await;

    let listed = s.get("/api/v1/tokens", &s.admin).await.ok(200);
    let roles: BTreeMap<&str, &str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap(), t["role"].as_str().unwrap()))
        .collect();
    assert_eq!(
        roles,
        BTreeMap::from([
            ("ops admin", "admin"),
            ("on-call responder", "responder"),
            ("read-only viewer", "viewer"),
        ])
    );
    let by_id = |list: &Value, id: &str| -> Value {
        list.as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == json!(id))
            .cloned()
            .unwrap_or_else(|| panic!("token {id} is not listed"))
    };
    for token in listed.as_array().unwrap() {
        let keys: BTreeSet<&str> = token
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(
            keys,
            BTreeSet::from([
                "id",
                "name",
                "role",
                "created_at",
                "last_used_at",
                "revoked_at"
            ]),
            "no secret, no hash"
        );
    }
    // The admin token was just used, at the test's clock; the viewer's never was.
    assert_eq!(ts(&by_id(&listed, &s.admin.id)["last_used_at"]), s.now());
    assert_eq!(by_id(&listed, &s.viewer.id)["last_used_at"], Value::Null);

    let created = s
        .post(
            "/api/v1/tokens",
            &s.admin,
            json!({"name": "statusio-bot", "role": "responder"}),
        )
        .await
        .ok(201);
    assert!(is_id(&created["id"]));
    assert_eq!(created["name"], "statusio-bot");
    assert_eq!(created["role"], "responder");
    assert_eq!(created["revoked_at"], Value::Null);
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("hrld_") && secret.len() > 40, "{secret}");
    let bot = Tok {
        id: created["id"].as_str().unwrap().into(),
        name: "statusio-bot".into(),
        secret: secret.clone(),
    };
    s.get("/api/v1/pages", &bot).await.ok(200);
    s.get("/api/v1/tokens", &bot)
        .await
        .assert_problem(403, "forbidden");
    let listed = s.get("/api/v1/tokens", &s.admin).await.ok(200);
    assert_eq!(listed.as_array().unwrap().len(), 4);
    assert!(!listed.to_string().contains(&secret));

    // Refused: bad role, blank name, responders and viewers.
    let before = snapshot(&s, &[]).await;
    s.post(
        "/api/v1/tokens",
        &s.admin,
        json!({"name": "x", "role": "root"}),
    )
    .await
    .assert_problem(422, "invalid-body");
    let blank = s
        .post(
            "/api/v1/tokens",
            &s.admin,
            json!({"name": " ", "role": "viewer"}),
        )
        .await;
    blank.assert_problem(422, "invalid-field");
    assert_eq!(blank.body["field"], "name");
    for tok in [&s.responder, &s.viewer, &bot] {
        s.post(
            "/api/v1/tokens",
            tok,
            json!({"name": "escalate", "role": "admin"}),
        )
        .await
        .assert_problem(403, "forbidden");
        s.delete(&format!("/api/v1/tokens/{}", s.admin.id), tok)
            .await
            .assert_problem(403, "forbidden");
        s.get("/api/v1/tokens", tok)
            .await
            .assert_problem(403, "forbidden");
    }
    s.delete("/api/v1/tokens/000000000000000000000000", &s.admin)
        .await
        .assert_problem(404, "not-found");
    assert_eq!(snapshot(&s, &[]).await, before);

    // Revoke: the token stops working at once; revoking again changes nothing.
    s.advance_mins(2);
    assert_eq!(
        s.delete(&format!("/api/v1/tokens/{}", bot.id), &s.admin)
            .await
            .status,
        204
    );
    let refused = s.get("/api/v1/pages", &bot).await;
    refused.assert_problem(401, "unauthorized");
    assert!(refused.body["detail"].as_str().unwrap().contains("revoked"));
    let listed = s.get("/api/v1/tokens", &s.admin).await.ok(200);
    assert_eq!(ts(&by_id(&listed, &bot.id)["revoked_at"]), s.now());
    let after_revoke = s.last_event_id().await;
    assert_eq!(
        s.delete(&format!("/api/v1/tokens/{}", bot.id), &s.admin)
            .await
            .status,
        204
    );
    assert_eq!(s.last_event_id().await, after_revoke);

    let events = s
        .assert_events_after(
            start,
            &[
                ("token.created", s.admin.actor()),
                ("token.revoked", s.admin.actor()),
            ],
        )
        .await;
    assert_eq!(events[0]["subject_id"], json!(bot.id));
    assert_eq!(events[0]["page_id"], Value::Null);
    assert!(
        !Value::Array(events.clone()).to_string().contains(&secret),
        "the audit log never holds a secret"
    );
    assert_eq!(events[1]["before"]["revoked_at"], Value::Null);
    assert_eq!(ts(&events[1]["after"]["revoked_at"]), s.now());
}

#[tokio::test]
async fn the_audit_log_filters_pages_and_long_polls() {
    let s = Server::start().await;
    let a = s.fixture("acme").await;
    let b = s.fixture("beta").await;
    let all = s.events().await;
    // Three tokens, then two pages with two components each.
    let kinds: Vec<&str> = all.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "token.created",
            "token.created",
            "token.created",
            "page.created",
            "component.created",
            "component.created",
            "page.created",
            "component.created",
            "component.created",
        ]
    );
    assert_eq!(all[0]["actor"], "test-harness");
    let ids: Vec<i64> = all.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "oldest first: {ids:?}");

    // Page filter.
    let only_b = s
        .get(&format!("/api/v1/events?page={}", b.page_id), &s.admin)
        .await
        .ok(200);
    let only_b = only_b.as_array().unwrap();
    assert_eq!(only_b.len(), 3);
    assert!(only_b.iter().all(|e| e["page_id"] == json!(b.page_id)));
    assert_eq!(only_b[0]["subject_id"], json!(b.page_id));

    // after and limit.
    let two = s.get("/api/v1/events?limit=2", &s.admin).await.ok(200);
    assert_eq!(two, json!(all[..2]));
    let next = s
        .get(
            &format!("/api/v1/events?after={}&limit=3", ids[1]),
            &s.admin,
        )
        .await
        .ok(200);
    assert_eq!(next, json!(all[2..5]));
    let zero = s.get("/api/v1/events?limit=0", &s.admin).await;
    assert_eq!(
        zero.status, 400,
        "limit 0 is refused, not clamped: {zero:?}"
    );
    let end = s
        .get(&format!("/api/v1/events?after={}", ids[8]), &s.admin)
        .await
        .ok(200);
    assert_eq!(end, json!([]));

    // Only admins read it.
    for tok in [&s.viewer, &s.responder] {
        s.get("/api/v1/events", tok)
            .await
            .assert_problem(403, "forbidden");
    }

    // With events to return, `wait` does not wait.
    let started = Instant::now();
    let got = s
        .get("/api/v1/events?after=0&wait=30&limit=1", &s.admin)
        .await
        .ok(200);
    assert_eq!(got, json!(all[..1]));
    assert!(started.elapsed() < Duration::from_secs(10));

    // With nothing newer, it waits the time asked for and returns nothing.
    let last = ids[8];
    let started = Instant::now();
    let got = s
        .get(&format!("/api/v1/events?after={last}&wait=1"), &s.admin)
        .await
        .ok(200);
    assert_eq!(got, json!([]));
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900),
        "returned after {waited:?}"
    );

    // A write during the wait ends it with that write.
    let poll = {
        let request = s.request(
            Method::GET,
            &format!("/api/v1/events?after={last}&wait=20"),
            Some(&s.admin),
        );
        tokio::spawn(common::send(request))
    };
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        !poll.is_finished(),
        "the long poll returned before any write"
    );
    let written = Instant::now();
    s.post(&a.path("/groups"), &s.admin, json!({"name": "Core"}))
        .await
        .ok(201);
    let got = poll.await.unwrap().ok(200);
    let latency = written.elapsed();
    assert!(latency < Duration::from_secs(3), "took {latency:?}");
    let got = got.as_array().unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["kind"], "group.created");
    assert_eq!(got[0]["actor"], json!(s.admin.actor()));
    assert_eq!(got[0]["id"], json!(last + 1));
}

/// Every route the router serves, with its methods.
const ROUTES: &[(&str, &[&str])] = &[
    ("/api/v1/pages", &["get", "post"]),
    ("/api/v1/pages/{page}", &["get", "patch"]),
    ("/api/v1/pages/{page}/status", &["get"]),
    ("/api/v1/pages/{page}/groups", &["get", "post"]),
    ("/api/v1/pages/{page}/components", &["get", "post"]),
    (
        "/api/v1/pages/{page}/components/{component}",
        &["get", "patch", "delete"],
    ),
    (
        "/api/v1/pages/{page}/components/{component}/locations",
        &["post"],
    ),
    (
        "/api/v1/pages/{page}/locations/{location}/override",
        &["put"],
    ),
    ("/api/v1/pages/{page}/incidents", &["get", "post"]),
    ("/api/v1/pages/{page}/incidents/preview", &["post"]),
    (
        "/api/v1/pages/{page}/incidents/{incident}",
        &["get", "patch", "delete"],
    ),
    (
        "/api/v1/pages/{page}/incidents/{incident}/updates",
        &["post"],
    ),
    (
        "/api/v1/pages/{page}/incidents/{incident}/updates/{update}",
        &["patch"],
    ),
    (
        "/api/v1/pages/{page}/incidents/{incident}/preview",
        &["post"],
    ),
    (
        "/api/v1/pages/{page}/incidents/{incident}/postmortem",
        &["put"],
    ),
    ("/api/v1/pages/{page}/maintenance", &["get", "post"]),
    (
        "/api/v1/pages/{page}/maintenance/{maintenance}",
        &["get", "delete"],
    ),
    (
        "/api/v1/pages/{page}/maintenance/{maintenance}/updates",
        &["post"],
    ),
    (
        "/api/v1/pages/{page}/maintenance/{maintenance}/preview",
        &["post"],
    ),
    (
        "/api/v1/pages/{page}/maintenance/{maintenance}/schedule",
        &["put"],
    ),
    (
        "/api/v1/pages/{page}/maintenance/{maintenance}/automation",
        &["put"],
    ),
    (
        "/api/v1/pages/{page}/maintenance/{maintenance}/reminders",
        &["put"],
    ),
    (
        "/api/v1/pages/{page}/maintenance/{maintenance}/deliveries",
        &["get"],
    ),
    (
        "/api/v1/pages/{page}/incidents/{incident}/deliveries",
        &["get"],
    ),
    (
        "/api/v1/pages/{page}/broadcasts/{broadcast}/recipients",
        &["get"],
    ),
    (
        "/api/v1/pages/{page}/incidents/{incident}/checklist",
        &["get", "post"],
    ),
    ("/api/v1/pages/{page}/subscribers", &["get", "post"]),
    (
        "/api/v1/pages/{page}/subscribers/{subscriber}",
        &["get", "patch", "delete"],
    ),
    (
        "/api/v1/pages/{page}/subscribers/{subscriber}/rotate-secret",
        &["post"],
    ),
    (
        "/api/v1/pages/{page}/subscribers/{subscriber}/enable",
        &["post"],
    ),
    (
        "/api/v1/pages/{page}/incidents/{incident}/snooze",
        &["post"],
    ),
    (
        "/api/v1/pages/{page}/maintenance/{maintenance}/snooze",
        &["post"],
    ),
    ("/api/v1/pages/{page}/incidents/{incident}/roles", &["put"]),
    (
        "/api/v1/pages/{page}/maintenance/{maintenance}/roles",
        &["put"],
    ),
    (
        "/api/v1/pages/{page}/incidents/{incident}/adherence",
        &["get"],
    ),
    (
        "/api/v1/pages/{page}/maintenance/{maintenance}/adherence",
        &["get"],
    ),
    ("/api/v1/pages/{page}/adherence", &["get"]),
    ("/api/v1/pages/{page}/nudges", &["get"]),
    ("/api/v1/users/{user}/nudge-channels", &["get", "put"]),
    ("/api/v1/users/{user}/role", &["put"]),
    ("/api/v1/users", &["get", "post"]),
    ("/api/v1/users/{user}/disable", &["post"]),
    ("/api/v1/users/{user}/enable", &["post"]),
    ("/api/v1/tokens", &["get", "post"]),
    ("/api/v1/tokens/{token}", &["delete"]),
    ("/api/v1/events", &["get"]),
];

/// Replaces `{name}` segments with concrete values, to match a route of the world.
fn template_of(path: &str, w: &World) -> String {
    let f = &w.f;
    let mut out = path.to_string();
    for (value, name) in [
        (f.apac.as_str(), "{location}"),
        (f.api.as_str(), "{component}"),
        (w.spare_component.as_str(), "{component}"),
        (w.active.as_str(), "{incident}"),
        (w.first_update.as_str(), "{update}"),
        (w.broadcast.as_str(), "{broadcast}"),
        (w.resolved.as_str(), "{incident}"),
        (w.planned.as_str(), "{maintenance}"),
        (w.spare_token.as_str(), "{token}"),
        (w.subscriber.as_str(), "{subscriber}"),
        (w.user.as_str(), "{user}"),
    ] {
        out = out.replace(value, name);
    }
    out.replacen("/pages/acme", "/pages/{page}", 1)
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let s = Server::start().await;
    let w = world(&s).await;
    // It is public: tooling fetches it before it has a token.
    let doc = s
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert!(doc.content_type.starts_with("application/json"), "{doc:?}");
    let doc = doc.ok(200);
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "Herald admin API");
    assert_eq!(
        doc["components"]["securitySchemes"]["token"],
        json!({"type": "http", "scheme": "bearer"})
    );

    let paths = doc["paths"].as_object().unwrap();
    let documented: BTreeMap<String, BTreeSet<String>> = paths
        .iter()
        .map(|(path, item)| {
            let methods = item
                .as_object()
                .unwrap()
                .keys()
                .filter(|k| ["get", "post", "put", "patch", "delete"].contains(&k.as_str()))
                .cloned()
                .collect();
            (path.clone(), methods)
        })
        .collect();
    let expected: BTreeMap<String, BTreeSet<String>> = ROUTES
        .iter()
        .map(|(path, methods)| {
            (
                path.to_string(),
                methods.iter().map(|m| m.to_string()).collect(),
            )
        })
        .collect();
    assert_eq!(documented, expected);

    // The list above is the router's: every route the tests call is in it, and vice versa.
    let called: BTreeSet<(String, String)> = w
        .routes
        .iter()
        .map(|r| (template_of(&r.path, &w), r.method.as_str().to_lowercase()))
        .collect();
    let listed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .flat_map(|(path, methods)| methods.iter().map(|m| (path.to_string(), m.to_string())))
        .collect();
    assert_eq!(called, listed);

    // Every operation names its path parameters, and every schema it refers to exists.
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let params: BTreeSet<&str> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "path")
                        .map(|p| p["name"].as_str().unwrap())
                        .collect()
                })
                .unwrap_or_default();
            let in_path: BTreeSet<&str> = path
                .split('/')
                .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .collect();
            assert_eq!(params, in_path, "{method} {path}");
        }
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty());
    let dangling: BTreeSet<&str> = refs
        .iter()
        .map(|r| {
            r.strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("unexpected $ref {r}"))
        })
        .filter(|name| !schemas.contains_key(*name))
        .collect();
    assert!(dangling.is_empty(), "dangling $refs: {dangling:?}");
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if key == "$ref" {
                    out.push(v.as_str().unwrap().to_string());
                } else {
                    collect_refs(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn template_variables_are_filled_from_the_issue_link_and_never_published_unfilled() {
    const ISSUE: &str = "https://tracker.example.com/ops/issues/42";
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let mut body = f.new_incident("Elevated errors", 2);
    body["details"] = json!("We're working on it in: {issue_link}");
    let before = s.last_event_id().await;
    let refused = s
        .post(&f.path("/incidents"), &s.responder, body.clone())
        .await;
    refused.assert_problem(422, "invalid-field");
    let detail = refused.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("{issue_link}") && detail.contains("issue_link"),
        "{detail}"
    );
    assert!(
        s.events_after(before).await.is_empty(),
        "nothing is written"
    );

    body["issue_link"] = json!(ISSUE);
    let created = s
        .post(&f.path("/incidents"), &s.responder, body)
        .await
        .ok(201);
    assert_eq!(created["issue_link"], ISSUE);
    let filled = format!("We're working on it in: {ISSUE}");
    assert_eq!(created["updates"][0]["details"], filled);
    let id = created["id"].as_str().unwrap();

    let updates = f.path(&format!("/incidents/{id}/updates"));
    let monitoring = json!({"state": "monitoring",
        "details": "We will monitor for 30 minutes. Details in: {issue_link}"});
    let posted = s.post(&updates, &s.responder, monitoring).await.ok(201);
    assert_eq!(
        posted["updates"][1]["details"],
        format!("We will monitor for 30 minutes. Details in: {ISSUE}")
    );
    let page = s
        .public_eventually("/", |b| b.contains("monitor for 30 minutes"))
        .await;
    assert!(!page.contains("{issue_link}"), "{page}");
    assert!(page.contains(ISSUE));

    // The link is edited without an update; a variable it cannot fill still blocks.
    let moved = "https://tracker.example.com/ops/issues/43";
    let edited = s
        .patch(
            &f.path(&format!("/incidents/{id}")),
            &s.responder,
            json!({"issue_link": moved}),
        )
        .await
        .ok(200);
    assert_eq!(edited["issue_link"], moved);
    assert_eq!(edited["updates"].as_array().unwrap().len(), 2);
    let unfilled =
        json!({"state": "monitoring", "details": "Monitoring for {monitoring_minutes} minutes."});
    s.post(&updates, &s.responder, unfilled)
        .await
        .assert_problem(422, "invalid-field");
    // The preview shows the refusal as a blocking lint.
    let preview = s
        .post(
            &f.path(&format!("/incidents/{id}/preview")),
            &s.responder,
            json!({"state": "monitoring", "details": "Monitoring for {monitoring_minutes} minutes."}),
        )
        .await
        .ok(200);
    assert_eq!(preview["lints"][0]["id"], "template.unfilled");
    assert_eq!(preview["lints"][0]["blocking"], true);
}

/// A write acknowledged after the database file was deleted (or replaced) would be lost at
/// the next start: Herald refuses it with a 503 that says what happened, and keeps serving the
/// public page from its snapshot.
#[tokio::test]
async fn writes_are_refused_once_the_database_file_is_gone_or_replaced() {
    for replace in [false, true] {
        let s = Server::start().await;
        let f = s.fixture("acme").await;
        s.create_incident(&f, "Before", 3).await;
        s.public_eventually("/", |b| b.contains("Before")).await;
        let db = s.data_dir().join("herald.db");
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        if replace {
            std::fs::write(&db, b"another file").unwrap();
        }
        let refused = s
            .post(
                &f.path("/incidents"),
                &s.responder,
                f.new_incident("After", 3),
            )
            .await;
        refused.assert_problem(503, "unavailable");
        let detail = refused.body["detail"].as_str().unwrap();
        let said = if replace {
            "has been replaced"
        } else {
            "is gone"
        };
        assert!(
            detail.contains(said) && detail.contains("herald.db"),
            "{detail}"
        );
        let page = s.public("/").await;
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("Before"));
    }
}

/// Values out of a parameter's range are refused with the range, not clamped to it.
#[tokio::test]
async fn out_of_range_parameters_are_refused_not_clamped() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    for path in [
        f.path("/incidents?limit=0"),
        f.path("/incidents?limit=501"),
        f.path("/maintenance?limit=1000"),
        f.path("/subscribers?limit=0"),
        f.path("/nudges?limit=501"),
        "/api/v1/events?limit=501".to_string(),
        "/api/v1/events?wait=31".to_string(),
    ] {
        let answer = s.get(&path, &s.admin).await;
        answer.assert_problem(400, "invalid-query");
        let detail = answer.body["detail"].as_str().unwrap();
        assert!(detail.contains("must be from"), "{path}: {detail}");
    }
    assert_eq!(
        s.get(&f.path("/incidents?limit=500"), &s.admin)
            .await
            .status,
        200
    );
    for lint in [
        json!({"social_url_length": 0}),
        json!({"social_url_length": 281}),
        json!({"social_limit": 100_001, "social_link_budget": 220}),
    ] {
        s.patch(&f.path(""), &s.admin, json!({"settings": {"lint": lint}}))
            .await
            .assert_problem(422, "invalid-field");
    }
    let component = json!({"name": "Far", "position": 1_000_001});
    s.post(&f.path("/components"), &s.admin, component)
        .await
        .assert_problem(422, "invalid-field");
}
