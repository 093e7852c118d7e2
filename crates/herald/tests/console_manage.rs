//! Managing Herald from the console: pages and their update cadence, components, groups and
//! locations, subscribers, and users. Every change goes through the store the admin API uses,
//! so each test checks the result there (or in the store itself, for users); refused forms come
//! back with 422, what was typed, and why.
mod common;

use common::console::{Answer, Browser, PASSWORD, add_user};
use common::*;
use herald_core::access::Role;
use herald_store::Store;
use serde_json::Value;

/// An admin signed in, and the session's form token.
async fn admin(s: &Server) -> (Browser<'_>, String) {
    add_user(s, "boss@example.com", Role::Admin, Some(PASSWORD)).await;
    let mut b = Browser::new(s);
    b.sign_in("boss@example.com", PASSWORD).await;
    let csrf = b.csrf().await;
    (b, csrf)
}

/// Asserts a form went through, to `to`.
#[track_caller]
fn went_to(answer: &Answer, to: &str) {
    assert_eq!(answer.status, 303, "{answer:#?}");
    assert_eq!(answer.location.as_deref(), Some(to), "{answer:#?}");
}

/// Asserts a form was refused with 422, shows `typed` again and says `why`.
#[track_caller]
fn refused(answer: &Answer, typed: &str, why: &str) {
    assert_eq!(answer.status, 422, "{answer:#?}");
    assert!(
        answer.body.contains(typed),
        "{typed} is kept: {}",
        answer.body
    );
    assert!(answer.body.contains(why), "{why} is said: {}", answer.body);
    assert!(
        answer.body.contains("aria-invalid=\"true\""),
        "{}",
        answer.body
    );
}

/// Holds location `eu` of component `id` at `level` by hand ("" lets it go), as the component
/// page's form does.
async fn hold(b: &mut Browser<'_>, csrf: &str, id: &str, eu: &str, level: &str) -> Answer {
    let field = format!("level.{eu}");
    let fields = [("_csrf", csrf), ("component", id), (field.as_str(), level)];
    let path = format!("/console/pages/shop/locations/{eu}/override");
    b.post(&path, &fields).await
}

/// The twelve cells of the default cadence table and the nudge settings, as a form.
fn cadence_form(csrf: &str) -> Vec<(String, String)> {
    let mut fields = vec![("_csrf".to_string(), csrf.to_string())];
    for sev in ["sev1", "sev2", "sev3", "sev4"] {
        for (state, minutes) in [
            ("investigating", 15),
            ("identified", 30),
            ("monitoring", 60),
        ] {
            fields.push((format!("cadence.{sev}.{state}"), minutes.to_string()));
        }
    }
    fields.push(("before_mins".into(), "2".into()));
    fields.push(("grace_mins".into(), "5".into()));
    fields
}

fn set(fields: &mut [(String, String)], name: &str, value: &str) {
    let field = fields.iter_mut().find(|(k, _)| k == name).unwrap();
    field.1 = value.to_string();
}

fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

#[tokio::test]
async fn an_admin_creates_a_page_and_edits_its_cadence_table() {
    let s = Server::start().await;
    let (mut b, csrf) = admin(&s).await;
    let list = b.get("/console/pages").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("New page"), "{}", list.body);

    let new = [
        ("_csrf", csrf.as_str()),
        ("slug", "acme"),
        ("name", "Acme <Cloud>"),
    ];
    went_to(&b.post("/console/pages", &new).await, "/console/pages/acme");
    let page = s.get("/api/v1/pages/acme", &s.viewer).await.ok(200);
    assert_eq!(page["name"], "Acme <Cloud>");
    let listed = b.get("/console/pages").await;
    assert!(
        listed.body.contains("Acme &lt;Cloud&gt;"),
        "escaped: {}",
        listed.body
    );

    // A taken slug and a bad one come back with what was typed and why.
    let twin = [
        ("_csrf", csrf.as_str()),
        ("slug", "acme"),
        ("name", "Second Acme"),
    ];
    refused(
        &b.post("/console/pages", &twin).await,
        "value=\"Second Acme\"",
        "already exists",
    );
    let bad = [
        ("_csrf", csrf.as_str()),
        ("slug", "Not A Slug"),
        ("name", "X"),
    ];
    refused(
        &b.post("/console/pages", &bad).await,
        "value=\"Not A Slug\"",
        "not a valid slug",
    );
    let zone = [
        ("_csrf", csrf.as_str()),
        ("slug", "mars"),
        ("name", "Mars"),
        ("time_zone", "Mars/Olympus"),
    ];
    refused(
        &b.post("/console/pages", &zone).await,
        "Mars&#x2f;Olympus",
        "not a known IANA time zone",
    );
    assert_eq!(
        s.get("/api/v1/pages", &s.viewer)
            .await
            .ok(200)
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // The cadence table, cell by cell, and the nudges.
    let settings = b.get("/console/pages/acme").await;
    assert_eq!(settings.status, 200);
    assert!(
        settings
            .body
            .contains("name=\"cadence.sev1.investigating\" inputmode=\"numeric\" value=\"10\""),
        "{}",
        settings.body
    );
    let mut form = cadence_form(&csrf);
    set(&mut form, "cadence.sev1.investigating", "5");
    set(&mut form, "cadence.sev4.monitoring", "240");
    set(&mut form, "before_mins", "3");
    went_to(
        &b.post("/console/pages/acme/cadence", &pairs(&form)).await,
        "/console/pages/acme",
    );
    let page = s.get("/api/v1/pages/acme", &s.viewer).await.ok(200);
    let cadence = &page["settings"]["cadence"];
    assert_eq!(cadence["sev1"]["investigating"], 5);
    assert_eq!(cadence["sev2"]["identified"], 30);
    assert_eq!(cadence["sev4"]["monitoring"], 240);
    assert_eq!(page["settings"]["cadence_nudges"]["before_mins"], 3);
    assert_eq!(page["settings"]["cadence_nudges"]["grace_mins"], 5);
    let events = s.events().await;
    assert!(
        events.iter().any(|e| e["kind"] == "page.updated"
            && e["actor"].as_str().unwrap().contains("boss@example.com")),
        "{events:?}"
    );

    // Negative, zero and too many minutes are refused where they were typed; nothing changes.
    for (cell, typed, why) in [
        ("cadence.sev2.identified", "-5", "whole number of minutes"),
        ("cadence.sev3.monitoring", "0", "out of range"),
        ("grace_mins", "99999", "out of range"),
        ("before_mins", "soon", "whole number of minutes"),
    ] {
        let mut form = cadence_form(&csrf);
        set(&mut form, cell, typed);
        let answer = b.post("/console/pages/acme/cadence", &pairs(&form)).await;
        refused(&answer, &format!("value=\"{typed}\""), why);
        assert!(
            answer.body.contains(&format!("id=\"error-{cell}\"")),
            "{}",
            answer.body
        );
    }
    let after = s.get("/api/v1/pages/acme", &s.viewer).await.ok(200);
    assert_eq!(after["settings"], page["settings"]);

    // The main settings.
    let mut settings = vec![
        ("_csrf", csrf.as_str()),
        ("name", "Acme Cloud"),
        ("time_zone", "Europe/Berlin"),
        ("default_subject", "Acme service status"),
        ("admin_emails", "ops@example.com, not-an-address"),
        ("maintenance_reminders", "1440, 60"),
        ("maintenance_cadence", ""),
        ("host", ""),
        ("logo", ""),
        ("accent", "#112233"),
        ("background", "#ffffff"),
        ("text", "#000000"),
    ];
    let answer = b.post("/console/pages/acme", &settings).await;
    refused(&answer, "not-an-address", "is not an email address");
    assert!(answer.body.contains("id=\"error-admin_emails\""));
    settings[4].1 = "ops@example.com, lead@example.com";
    went_to(
        &b.post("/console/pages/acme", &settings).await,
        "/console/pages/acme",
    );
    let page = s.get("/api/v1/pages/acme", &s.viewer).await.ok(200);
    assert_eq!(page["name"], "Acme Cloud");
    assert_eq!(page["time_zone"], "Europe/Berlin");
    assert_eq!(page["settings"]["default_subject"], "Acme service status");
    assert_eq!(
        page["settings"]["admin_emails"],
        serde_json::json!(["ops@example.com", "lead@example.com"])
    );
    assert_eq!(
        page["settings"]["maintenance_reminders"],
        serde_json::json!([1440, 60])
    );
    assert_eq!(page["settings"]["branding"]["colors"]["accent"], "#112233");
    assert_eq!(
        page["settings"]["cadence"]["sev1"]["investigating"], 5,
        "the cadence stays"
    );
}

#[tokio::test]
async fn an_admin_builds_components_and_the_public_page_shows_them() {
    let s = Server::start().await;
    let (mut b, csrf) = admin(&s).await;
    let new = [
        ("_csrf", csrf.as_str()),
        ("slug", "shop"),
        ("name", "Shop status"),
    ];
    went_to(&b.post("/console/pages", &new).await, "/console/pages/shop");

    let group = [("_csrf", csrf.as_str()), ("group_name", "Backend")];
    went_to(
        &b.post("/console/pages/shop/groups", &group).await,
        "/console/pages/shop/components",
    );
    refused(
        &b.post("/console/pages/shop/groups", &group).await,
        "value=\"Backend\"",
        "already has a group",
    );
    let groups = s.get("/api/v1/pages/shop/groups", &s.viewer).await.ok(200);
    let group_id = groups[0]["id"].as_str().unwrap().to_string();

    // A component without a name is refused, keeping the rest.
    let nameless = [
        ("_csrf", csrf.as_str()),
        ("name", " "),
        ("description", "Takes the money"),
        ("group", &group_id),
        ("locations", "EU West, US East"),
    ];
    refused(
        &b.post("/console/pages/shop/components", &nameless).await,
        "Takes the money",
        "Must not be empty",
    );
    let mut component = nameless;
    component[1].1 = "Checkout API";
    let created = b.post("/console/pages/shop/components", &component).await;
    assert_eq!(created.status, 303, "{created:#?}");
    let path = created.location.unwrap();
    let id = path.rsplit('/').next().unwrap().to_string();
    let stored = s
        .get(&format!("/api/v1/pages/shop/components/{id}"), &s.viewer)
        .await
        .ok(200);
    assert_eq!(stored["group_id"], group_id.as_str());
    let names: Vec<&str> = stored["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["EU West", "US East"]);

    // A location more, a new name, and a level held by hand.
    let location = [("_csrf", csrf.as_str()), ("location_name", "APAC")];
    went_to(
        &b.post(&format!("{path}/locations"), &location).await,
        &path,
    );
    let blank = [("_csrf", csrf.as_str()), ("location_name", "")];
    refused(
        &b.post(&format!("{path}/locations"), &blank).await,
        "id=\"error-location_name\"",
        "Must not be empty",
    );
    let edit = [
        ("_csrf", csrf.as_str()),
        ("name", "Checkout"),
        ("description", "Takes the money"),
        ("group", ""),
    ];
    went_to(&b.post(&path, &edit).await, &path);
    let stored = s
        .get(&format!("/api/v1/pages/shop/components/{id}"), &s.viewer)
        .await
        .ok(200);
    assert_eq!(stored["name"], "Checkout");
    assert_eq!(stored["group_id"], Value::Null);
    assert_eq!(stored["locations"].as_array().unwrap().len(), 3);
    let eu = stored["locations"][0]["id"].as_str().unwrap().to_string();
    let level_field = format!("level.{eu}");
    went_to(
        &hold(&mut b, &csrf, &id, &eu, "degraded_performance").await,
        &path,
    );
    let status = s.get("/api/v1/pages/shop/status", &s.viewer).await.ok(200);
    assert_eq!(status["components"][0]["level"], "degraded_performance");
    let shown = b.get(&path).await;
    assert!(
        shown
            .body
            .contains("<option value=\"degraded_performance\" selected>"),
        "{}",
        shown.body
    );
    refused(
        &hold(&mut b, &csrf, &id, &eu, "on_fire").await,
        &format!("id=\"error-{level_field}\""),
        "Choose a level",
    );

    // The public page follows.
    s.public_eventually("/p/shop/", |body| {
        body.contains("Checkout") && body.contains("Degraded Performance")
    })
    .await;
    let listed = b.get("/console/pages/shop/components").await;
    assert!(
        listed.body.contains("Checkout") && listed.body.contains("held by hand"),
        "{}",
        listed.body
    );

    // Cleared, then deleted.
    went_to(&hold(&mut b, &csrf, &id, &eu, "").await, &path);
    let status = s.get("/api/v1/pages/shop/status", &s.viewer).await.ok(200);
    assert_eq!(status["components"][0]["level"], "operational");
    went_to(
        &b.post(&format!("{path}/delete"), &[("_csrf", csrf.as_str())])
            .await,
        "/console/pages/shop/components",
    );
    assert_eq!(
        s.get("/api/v1/pages/shop/components", &s.viewer)
            .await
            .ok(200),
        serde_json::json!([])
    );
    s.public_eventually("/p/shop/", |body| !body.contains("Checkout"))
        .await;
}

#[tokio::test]
async fn a_component_an_incident_names_is_not_deleted() {
    let s = Server::start().await;
    let f = s.fixture("main").await;
    s.create_incident(&f, "Errors", 2).await;
    let (mut b, csrf) = admin(&s).await;
    let path = format!("/console/pages/main/components/{}", f.api);
    let answer = b
        .post(&format!("{path}/delete"), &[("_csrf", csrf.as_str())])
        .await;
    assert_eq!(answer.status, 422, "{answer:#?}");
    assert!(
        answer.body.contains("id=\"error-delete\""),
        "{}",
        answer.body
    );
    s.get(
        &format!("/api/v1/pages/main/components/{}", f.api),
        &s.viewer,
    )
    .await
    .ok(200);
}

#[tokio::test]
async fn subscribers_are_added_removed_and_a_secret_is_shown_once() {
    let s = Server::start().await;
    let f = s.fixture("main").await;
    add_user(&s, "lead@example.com", Role::Responder, Some(PASSWORD)).await;
    let mut b = Browser::new(&s);
    b.sign_in("lead@example.com", PASSWORD).await;
    let csrf = b.csrf().await;
    let list = b.get("/console/pages/main/subscribers").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("No subscribers yet"));

    let bad = [
        ("_csrf", csrf.as_str()),
        ("channel", "email"),
        ("address", "not an address"),
        ("components", f.api.as_str()),
    ];
    let answer = b.post("/console/pages/main/subscribers", &bad).await;
    refused(
        &answer,
        "value=\"not an address\"",
        "is not an email address",
    );
    assert!(
        answer
            .body
            .contains(&format!("value=\"{}\" checked", f.api)),
        "the ticked component stays ticked"
    );

    let email = [
        ("_csrf", csrf.as_str()),
        ("channel", "email"),
        ("address", "reader@example.com"),
        ("components", f.api.as_str()),
        ("confirmed", "on"),
    ];
    went_to(
        &b.post("/console/pages/main/subscribers", &email).await,
        "/console/pages/main/subscribers",
    );
    refused(
        &b.post("/console/pages/main/subscribers", &email).await,
        "reader@example.com",
        "already subscribed",
    );
    let pending = [
        ("_csrf", csrf.as_str()),
        ("channel", "email"),
        ("address", "maybe@example.com"),
    ];
    went_to(
        &b.post("/console/pages/main/subscribers", &pending).await,
        "/console/pages/main/subscribers",
    );

    let hook = [
        ("_csrf", csrf.as_str()),
        ("channel", "webhook"),
        ("address", "https://hooks.example.com/herald"),
        ("format", "statuspage"),
    ];
    let created = b.post("/console/pages/main/subscribers", &hook).await;
    assert_eq!(created.status, 201, "{created:#?}");
    assert!(
        created.body.contains("whsec_") && created.body.contains("never shows it again"),
        "{}",
        created.body
    );
    let list = b.get("/console/pages/main/subscribers").await;
    assert!(
        !list.body.contains("whsec_"),
        "the secret is shown once only"
    );
    for shown in [
        "reader@example.com",
        "active",
        "maybe@example.com",
        "pending",
        "https:&#x2f;&#x2f;hooks.example.com&#x2f;herald",
        "API",
    ] {
        assert!(list.body.contains(shown), "{shown}: {}", list.body);
    }

    let subscribers = s.get(&f.path("/subscribers"), &s.responder).await.ok(200);
    let find = |address: &str| {
        subscribers
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["address"] == address)
            .unwrap()
            .clone()
    };
    let reader = find("reader@example.com");
    assert_eq!(reader["state"], "active");
    assert_eq!(reader["components"], serde_json::json!([f.api]));
    let webhook = find("https://hooks.example.com/herald");
    assert_eq!(webhook["format"], "statuspage");
    let webhook_id = webhook["id"].as_str().unwrap();

    let rotated = b
        .post(
            &format!("/console/pages/main/subscribers/{webhook_id}/rotate-secret"),
            &[("_csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(rotated.status, 201);
    assert!(rotated.body.contains("whsec_"));
    let reader_id = reader["id"].as_str().unwrap();
    let not_a_hook = b
        .post(
            &format!("/console/pages/main/subscribers/{reader_id}/rotate-secret"),
            &[("_csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(not_a_hook.status, 422, "{not_a_hook:#?}");
    assert!(
        not_a_hook
            .body
            .contains(&format!("id=\"error-row.{reader_id}\""))
    );
    went_to(
        &b.post(
            &format!("/console/pages/main/subscribers/{reader_id}/enable"),
            &[("_csrf", csrf.as_str())],
        )
        .await,
        "/console/pages/main/subscribers",
    );
    went_to(
        &b.post(
            &format!("/console/pages/main/subscribers/{reader_id}/delete"),
            &[("_csrf", csrf.as_str())],
        )
        .await,
        "/console/pages/main/subscribers",
    );
    let after = s.get(&f.path("/subscribers"), &s.responder).await.ok(200);
    assert!(
        after
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["id"] != reader_id),
        "{after}"
    );
    let gone = b
        .post(
            &format!("/console/pages/main/subscribers/{reader_id}/delete"),
            &[("_csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(gone.status, 404);

    // Addresses are personal data: viewers do not see them.
    add_user(&s, "watcher@example.com", Role::Viewer, Some(PASSWORD)).await;
    let mut viewer = Browser::new(&s);
    viewer.sign_in("watcher@example.com", PASSWORD).await;
    assert_eq!(
        viewer.get("/console/pages/main/subscribers").await.status,
        403
    );
}

/// The users as the store has them.
async fn stored_users(s: &Server) -> Vec<herald_core::user::User> {
    herald::server::open_store(s.data_dir())
        .unwrap()
        .users()
        .await
        .unwrap()
}

#[tokio::test]
async fn users_are_created_given_roles_and_nudge_channels_and_disabled() {
    let s = Server::start().await;
    let (mut b, csrf) = admin(&s).await;
    assert_eq!(b.get("/console/users").await.status, 200);

    let mut new = vec![
        ("_csrf", csrf.as_str()),
        ("email", "bob@example.com"),
        ("name", "Bob <b>"),
        ("role", "viewer"),
        ("password", "short"),
    ];
    let answer = b.post("/console/users", &new).await;
    refused(&answer, "value=\"Bob &lt;b&gt;\"", "at least 12");
    assert!(
        !answer.body.contains("value=\"short\""),
        "a password is never shown again"
    );
    new[1].1 = "bob at example";
    new[4].1 = PASSWORD;
    refused(
        &b.post("/console/users", &new).await,
        "value=\"bob at example\"",
        "not an email address",
    );
    new[1].1 = "boss@example.com";
    refused(
        &b.post("/console/users", &new).await,
        "value=\"boss@example.com\"",
        "already exists",
    );
    new[1].1 = "Bob@Example.com";
    let created = b.post("/console/users", &new).await;
    assert_eq!(created.status, 303, "{created:#?}");
    let bob = stored_users(&s)
        .await
        .into_iter()
        .find(|u| u.email == "bob@example.com")
        .unwrap();
    assert_eq!(
        (bob.role, bob.has_password, bob.name.as_str()),
        (Role::Viewer, true, "Bob <b>")
    );
    assert_eq!(
        created.location.unwrap(),
        format!("/console/users/{}", bob.id)
    );
    let mut bobs = Browser::new(&s);
    bobs.sign_in("bob@example.com", PASSWORD).await;

    let page = format!("/console/users/{}", bob.id);
    assert_eq!(b.get(&page).await.status, 200);
    went_to(
        &b.post(
            &format!("{page}/role"),
            &[("_csrf", csrf.as_str()), ("role", "responder")],
        )
        .await,
        &page,
    );
    let answer = b
        .post(
            &format!("{page}/role"),
            &[("_csrf", csrf.as_str()), ("role", "root")],
        )
        .await;
    assert_eq!(answer.status, 422);
    assert!(answer.body.contains("Choose a role"));
    assert!(
        bobs.get("/console").await.body.contains("(responder)"),
        "the role applies at once"
    );

    // The only admin cannot step down.
    let boss = stored_users(&s)
        .await
        .into_iter()
        .find(|u| u.email == "boss@example.com")
        .unwrap();
    let answer = b
        .post(
            &format!("/console/users/{}/role", boss.id),
            &[("_csrf", csrf.as_str()), ("role", "viewer")],
        )
        .await;
    assert_eq!(answer.status, 422);
    assert!(answer.body.contains("only active admin"), "{}", answer.body);
    // Nor disable themselves.
    let answer = b
        .post(
            &format!("/console/users/{}/disable", boss.id),
            &[("_csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(answer.status, 422, "{answer:#?}");
    assert!(answer.body.contains("only active admin"), "{}", answer.body);
    assert_eq!(b.get("/console").await.status, 200, "still signed in");

    // Nudge channels: refused with the address kept, then saved.
    let channels = format!("{page}/nudge-channels");
    let bad = [
        ("_csrf", csrf.as_str()),
        ("channel.0", "email"),
        ("address.0", "nope"),
    ];
    refused(
        &b.post(&channels, &bad).await,
        "value=\"nope\"",
        "not an email address",
    );
    let good = [
        ("_csrf", csrf.as_str()),
        ("channel.0", "slack"),
        ("address.0", "https://hooks.slack.example.com/bob"),
        ("channel.1", "email"),
        ("address.1", "bob.pager@example.com"),
        ("channel.2", "email"),
        ("address.2", ""),
    ];
    went_to(&b.post(&channels, &good).await, &page);
    let saved = s
        .get(
            &format!("/api/v1/users/{}/nudge-channels", bob.id),
            &s.admin,
        )
        .await
        .ok(200);
    assert_eq!(
        saved["channels"],
        serde_json::json!([
            {"channel": "slack", "address": "https://hooks.slack.example.com/bob"},
            {"channel": "email", "address": "bob.pager@example.com"},
        ])
    );
    let shown = b.get(&page).await;
    assert!(
        shown.body.contains("value=\"bob.pager@example.com\""),
        "{}",
        shown.body
    );

    went_to(
        &b.post(&format!("{page}/disable"), &[("_csrf", csrf.as_str())])
            .await,
        &page,
    );
    let bob = stored_users(&s)
        .await
        .into_iter()
        .find(|u| u.id == bob.id)
        .unwrap();
    assert!(!bob.is_active());
    assert_eq!(
        bobs.get("/console").await.status,
        303,
        "a disabled user's session ends"
    );
    let answer = bobs.try_sign_in("bob@example.com", PASSWORD).await;
    assert_ne!(
        answer.status, 303,
        "a disabled user cannot sign in: {answer:#?}"
    );

    // Enabled again: Bob signs in afresh; the session he had stays ended.
    let disabled_page = b.get(&page).await.body;
    assert!(
        disabled_page.contains(&format!("action=\"{page}/enable\""))
            && !disabled_page.contains(&format!("action=\"{page}/disable\"")),
        "{disabled_page}"
    );
    went_to(
        &b.post(&format!("{page}/enable"), &[("_csrf", csrf.as_str())])
            .await,
        &page,
    );
    let enabled_page = b.get(&page).await.body;
    assert!(
        enabled_page.contains(&format!("action=\"{page}/disable\"")),
        "{enabled_page}"
    );
    assert_eq!(
        bobs.get("/console").await.status,
        303,
        "the old session stays ended"
    );
    bobs.sign_in("bob@example.com", PASSWORD).await;
    assert_eq!(bobs.get("/console").await.status, 200);
    let kinds: Vec<String> = s
        .events()
        .await
        .iter()
        .filter(|e| e["subject_type"] == "user")
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect();
    for kind in [
        "user.created",
        "user.role_changed",
        "user.nudge_channels_changed",
        "user.disabled",
        "user.enabled",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "{kind}: {kinds:?}");
    }
}

/// The pages only admins see, and a form of each only admins send.
const ADMIN_PAGES: &[&str] = &["/console/pages", "/console/pages/main", "/console/users"];

#[tokio::test]
async fn a_responder_is_refused_what_only_admins_do() {
    let s = Server::start().await;
    let f = s.fixture("main").await;
    add_user(&s, "lead@example.com", Role::Responder, Some(PASSWORD)).await;
    let mut b = Browser::new(&s);
    b.sign_in("lead@example.com", PASSWORD).await;
    let csrf = b.csrf().await;
    let dashboard = b.get("/console").await;
    assert!(
        !dashboard.body.contains("href=\"/console/users\""),
        "no admin links"
    );
    assert!(
        dashboard
            .body
            .contains("href=\"/console/pages/main/components\"")
    );
    for path in ADMIN_PAGES {
        let answer = b.get(path).await;
        assert_eq!(answer.status, 403, "{path}: {answer:#?}");
        assert!(answer.body.contains("admin role"));
    }
    let components = b.get("/console/pages/main/components").await;
    assert_eq!(components.status, 200);
    assert!(components.body.contains("API") && !components.body.contains("New component"));
    let writes = [
        "/console/pages".to_string(),
        "/console/pages/main".to_string(),
        "/console/pages/main/cadence".to_string(),
        "/console/pages/main/groups".to_string(),
        "/console/pages/main/components".to_string(),
        format!("/console/pages/main/components/{}", f.api),
        format!("/console/pages/main/components/{}/delete", f.api),
        format!("/console/pages/main/components/{}/locations", f.api),
        "/console/users".to_string(),
    ];
    for path in &writes {
        let answer = b
            .post(
                path,
                &[("_csrf", csrf.as_str()), ("name", "X"), ("slug", "x")],
            )
            .await;
        assert_eq!(answer.status, 403, "{path}: {answer:#?}");
    }
    assert_eq!(
        s.get("/api/v1/pages", &s.viewer)
            .await
            .ok(200)
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Holding a location at a level is a responder's job, as in the admin API.
    let field = format!("level.{}", f.us_east);
    let hold = [
        ("_csrf", csrf.as_str()),
        ("component", f.api.as_str()),
        (field.as_str(), "under_maintenance"),
    ];
    let answer = b
        .post(
            &format!("/console/pages/main/locations/{}/override", f.us_east),
            &hold,
        )
        .await;
    went_to(
        &answer,
        &format!("/console/pages/main/components/{}", f.api),
    );
}

#[tokio::test]
async fn every_management_form_needs_the_sessions_token() {
    let s = Server::start().await;
    let f = s.fixture("main").await;
    let (mut b, _) = admin(&s).await;
    let user = stored_users(&s).await[0].id.clone();
    let writes = [
        "/console/pages".to_string(),
        "/console/pages/main".to_string(),
        "/console/pages/main/cadence".to_string(),
        "/console/pages/main/groups".to_string(),
        "/console/pages/main/components".to_string(),
        format!("/console/pages/main/components/{}", f.api),
        format!("/console/pages/main/components/{}/delete", f.api),
        format!("/console/pages/main/components/{}/locations", f.api),
        format!("/console/pages/main/locations/{}/override", f.us_east),
        "/console/pages/main/subscribers".to_string(),
        "/console/pages/main/subscribers/x/delete".to_string(),
        "/console/pages/main/subscribers/x/enable".to_string(),
        "/console/pages/main/subscribers/x/rotate-secret".to_string(),
        "/console/users".to_string(),
        format!("/console/users/{user}/role"),
        format!("/console/users/{user}/disable"),
        format!("/console/users/{user}/enable"),
        format!("/console/users/{user}/nudge-channels"),
    ];
    let last = s.last_event_id().await;
    for path in &writes {
        let fields = [
            ("name", "X"),
            ("slug", "x"),
            ("group_name", "G"),
            ("role", "viewer"),
        ];
        let missing = b.post(path, &fields).await;
        assert_eq!(missing.status, 403, "{path} without a token: {missing:#?}");
        let mut forged = fields.to_vec();
        forged.push(("_csrf", "hrld_wrong"));
        assert_eq!(
            b.post(path, &forged).await.status,
            403,
            "{path} with a wrong token"
        );
    }
    assert_eq!(s.last_event_id().await, last, "nothing changed");
}
