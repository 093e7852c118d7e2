//! The responder console over HTTP: signing in (password, emailed link), sessions that end and
//! survive a restart, CSRF on every form, roles, and running an incident from the forms with
//! the public page following each step.
mod common;

use common::console::{Browser, PASSWORD, add_user};
use common::receiver::Receiver;
use common::*;
use herald_core::access::Role;
use serde_json::json;

/// Every console route, with its method. Paths use a page and incident that need not exist:
/// without a session nothing is looked up.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/console"),
    ("GET", "/console/pages/main/incidents/new"),
    ("POST", "/console/pages/main/incidents"),
    ("GET", "/console/pages/main/incidents/x"),
    ("POST", "/console/pages/main/incidents/x/updates"),
    ("POST", "/console/pages/main/incidents/x/postmortem"),
    ("POST", "/console/pages/main/incidents/x/edit"),
    ("POST", "/console/pages/main/incidents/x/updates/y/correct"),
    ("GET", "/console/pages/main/broadcasts/x/recipients"),
    ("POST", "/console/pages/main/incidents/x/snooze"),
    ("POST", "/console/pages/main/incidents/x/lead"),
    ("POST", "/console/pages/main/incidents/x/checklist"),
    ("POST", "/console/pages/main/preview"),
    ("GET", "/console/pages/main/incidents"),
    ("GET", "/console/pages/main/maintenance"),
    ("POST", "/console/pages/main/maintenance"),
    ("POST", "/console/pages/main/maintenance/preview"),
    ("GET", "/console/pages/main/maintenance/x"),
    ("POST", "/console/pages/main/maintenance/x/updates"),
    ("POST", "/console/pages/main/maintenance/x/schedule"),
    ("POST", "/console/pages/main/maintenance/x/reminders"),
    ("POST", "/console/pages/main/maintenance/x/automation"),
    ("GET", "/console/pages/main/templates"),
    ("POST", "/console/pages/main/templates"),
    ("GET", "/console/pages/main/checklist"),
    ("POST", "/console/pages/main/checklist"),
    ("POST", "/console/nudges/seen"),
    ("POST", "/console/sign-out"),
    ("GET", "/console/pages"),
    ("POST", "/console/pages"),
    ("GET", "/console/pages/main"),
    ("POST", "/console/pages/main"),
    ("POST", "/console/pages/main/cadence"),
    ("GET", "/console/pages/main/templates"),
    ("POST", "/console/pages/main/templates"),
    ("GET", "/console/pages/main/components"),
    ("POST", "/console/pages/main/components"),
    ("POST", "/console/pages/main/groups"),
    ("GET", "/console/pages/main/components/x"),
    ("POST", "/console/pages/main/components/x"),
    ("POST", "/console/pages/main/components/x/delete"),
    ("POST", "/console/pages/main/components/x/locations"),
    ("POST", "/console/pages/main/locations/x/override"),
    ("GET", "/console/pages/main/subscribers"),
    ("POST", "/console/pages/main/subscribers"),
    ("POST", "/console/pages/main/subscribers/x/delete"),
    ("POST", "/console/pages/main/subscribers/x/enable"),
    ("POST", "/console/pages/main/subscribers/x/rotate-secret"),
    ("GET", "/console/users"),
    ("POST", "/console/users"),
    ("GET", "/console/users/x"),
    ("POST", "/console/users/x/role"),
    ("POST", "/console/users/x/disable"),
    ("POST", "/console/users/x/enable"),
    ("POST", "/console/users/x/nudge-channels"),
];

#[tokio::test]
async fn every_console_route_refuses_without_a_session() {
    let s = Server::start().await;
    let mut b = Browser::new(&s);
    for (method, path) in ROUTES {
        let answer = match *method {
            "GET" => b.get(path).await,
            _ => b.post(path, &[("_csrf", "x")]).await,
        };
        if *method == "GET" {
            assert_eq!(answer.status, 303, "{method} {path}: {answer:#?}");
            let to = answer.location.unwrap();
            assert!(to.starts_with("/console/sign-in?next="), "{to}");
        } else {
            assert_eq!(answer.status, 401, "{method} {path}: {answer:#?}");
            assert!(answer.body.contains("Sign in first"), "{}", answer.body);
        }
    }
    // A forged or ended session is no session.
    b.cookies
        .insert("herald_session".into(), "hrld_forged".into());
    assert_eq!(b.get("/console").await.status, 303);
}

/// Every console answer, signed in or not, a page, a redirect, a refusal or an asset, forbids
/// framing and content sniffing and runs only the console's own script and stylesheet.
#[tokio::test]
async fn every_console_answer_carries_the_security_headers() {
    let s = Server::start().await;
    s.fixture("main").await;
    add_user(&s, "lead@example.com", Role::Responder, Some(PASSWORD)).await;
    let mut lead = Browser::new(&s);
    lead.sign_in("lead@example.com", PASSWORD).await;
    let outside = [
        ("GET", "/console/sign-in"),
        ("GET", "/console/sign-in/link?token=x"),
        ("POST", "/console/sign-in"),
        ("GET", "/console/assets/console.css"),
        ("GET", "/console/assets/console.js"),
    ];
    for mut b in [Browser::new(&s), lead] {
        for (method, path) in ROUTES.iter().chain(&outside) {
            let answer = match *method {
                "GET" => b.get(path).await,
                _ => b.post(path, &[("_csrf", "x")]).await,
            };
            let header = |name: &str| {
                answer
                    .headers
                    .get(name)
                    .map(|v| v.to_str().unwrap().to_string())
                    .unwrap_or_else(|| panic!("{method} {path}: no {name}: {answer:#?}"))
            };
            let csp = header("content-security-policy");
            for directive in [
                "default-src 'none'",
                "script-src 'self';",
                "style-src 'self';",
                "connect-src 'self'",
                "frame-ancestors 'none'",
            ] {
                assert!(csp.contains(directive), "{method} {path}: {csp}");
            }
            assert!(!csp.contains("unsafe"), "{method} {path}: {csp}");
            assert_eq!(header("x-frame-options"), "DENY", "{method} {path}");
            assert_eq!(
                header("x-content-type-options"),
                "nosniff",
                "{method} {path}"
            );
        }
    }
}

#[tokio::test]
async fn a_password_signs_in_and_wrong_ones_are_refused_then_braked() {
    let s = Server::start().await;
    add_user(&s, "lead@example.com", Role::Responder, Some(PASSWORD)).await;
    let mut b = Browser::new(&s);

    let wrong = b
        .try_sign_in("lead@example.com", "not the password at all")
        .await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("do not match"), "{}", wrong.body);
    assert!(
        wrong.body.contains("value=\"lead@example.com\""),
        "the address is kept"
    );
    assert!(!b.cookies.contains_key("herald_session"));
    let nobody = b.try_sign_in("nobody@example.com", PASSWORD).await;
    assert_eq!(
        nobody.status, 401,
        "an unknown address gets the same answer"
    );

    b.sign_in("Lead@Example.com", PASSWORD).await;
    let dashboard = b.get("/console").await;
    assert_eq!(dashboard.status, 200);
    assert!(
        dashboard.body.contains("responder person"),
        "{}",
        dashboard.body
    );

    // Five wrong passwords lock the address, even against the right one, for a while.
    let mut other = Browser::new(&s);
    for _ in 0..5 {
        other
            .try_sign_in("lead@example.com", "wrong wrong wrong")
            .await;
    }
    let locked = other.try_sign_in("lead@example.com", PASSWORD).await;
    assert_eq!(locked.status, 401);
    assert!(
        locked.body.contains("Too many wrong passwords"),
        "{}",
        locked.body
    );
}

#[tokio::test]
async fn sign_in_forms_need_their_token() {
    let s = Server::start().await;
    add_user(&s, "lead@example.com", Role::Responder, Some(PASSWORD)).await;
    let mut b = Browser::new(&s);
    b.get("/console/sign-in").await;
    let fields = [
        ("_csrf", "guessed"),
        ("email", "lead@example.com"),
        ("password", PASSWORD),
    ];
    let forged = b.post("/console/sign-in", &fields).await;
    assert_eq!(forged.status, 403, "{forged:#?}");
    assert!(!b.cookies.contains_key("herald_session"));
}

#[tokio::test]
async fn csrf_is_enforced_on_every_form_and_a_viewer_cannot_publish() {
    let s = Server::start().await;
    let f = s.fixture("main").await;
    add_user(&s, "lead@example.com", Role::Responder, Some(PASSWORD)).await;
    add_user(&s, "watcher@example.com", Role::Viewer, Some(PASSWORD)).await;
    let mut lead = Browser::new(&s);
    lead.sign_in("lead@example.com", PASSWORD).await;
    let csrf = lead.csrf().await;
    let incident = s.create_incident(&f, "Errors", 2).await;
    let form = |token: &'static str| {
        vec![
            ("_csrf", token),
            ("state", "identified"),
            ("details", "Found it."),
        ]
    };
    let writes = [
        "/console/pages/main/incidents".to_string(),
        format!("/console/pages/main/incidents/{incident}/updates"),
        format!("/console/pages/main/incidents/{incident}/postmortem"),
        format!("/console/pages/main/incidents/{incident}/snooze"),
        format!("/console/pages/main/incidents/{incident}/lead"),
        format!("/console/pages/main/incidents/{incident}/checklist"),
        "/console/pages/main/preview".to_string(),
        "/console/pages/main/templates".to_string(),
        "/console/pages/main/checklist".to_string(),
        "/console/nudges/seen".to_string(),
        "/console/sign-out".to_string(),
    ];
    for path in &writes {
        let missing = lead.post(path, &form("")[1..]).await;
        assert_eq!(missing.status, 403, "{path} without a token: {missing:#?}");
        let wrong = lead.post(path, &form("hrld_wrong")).await;
        assert_eq!(wrong.status, 403, "{path} with a wrong token");
    }
    // The right token from another site's page is refused too.
    let mut fields = form("");
    fields[0].1 = &csrf;
    let path = format!("/console/pages/main/incidents/{incident}/updates");
    let cross = lead.post_from(&path, &fields, "https://evil.example").await;
    assert_eq!(cross.status, 403);
    let ok = lead.post(&path, &fields).await;
    assert_eq!(ok.status, 303, "{ok:#?}");

    // A viewer sees the dashboard and the incident but cannot publish.
    let mut viewer = Browser::new(&s);
    viewer.sign_in("watcher@example.com", PASSWORD).await;
    let token = viewer.csrf().await;
    let dashboard = viewer.get("/console").await;
    assert!(
        !dashboard.body.contains("New incident"),
        "no publish link for a viewer"
    );
    assert_eq!(
        viewer.get("/console/pages/main/incidents/new").await.status,
        403
    );
    let mut fields = form("");
    fields[0].1 = &token;
    let refused = viewer.post(&path, &fields).await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("responder role"), "{}", refused.body);
    let shown = viewer
        .get(&format!("/console/pages/main/incidents/{incident}"))
        .await;
    assert_eq!(shown.status, 200);
    assert!(!shown.body.contains("Publish update"));
    let incident_now = s
        .get(&f.path(&format!("/incidents/{incident}")), &s.viewer)
        .await
        .ok(200);
    assert_eq!(
        incident_now["updates"].as_array().unwrap().len(),
        2,
        "only the lead's update"
    );
}

#[tokio::test]
async fn an_emailed_link_signs_in_once() {
    let s = Server::start().await;
    add_user(&s, "lead@example.com", Role::Responder, None).await;
    let mut b = Browser::new(&s);
    let form = b.get("/console/sign-in").await;
    let csrf = form.csrf();
    let asked = b
        .post(
            "/console/sign-in/email",
            &[("_csrf", &csrf), ("email", "lead@example.com")],
        )
        .await;
    assert_eq!(asked.status, 200);
    assert!(asked.body.contains("Check your email"));
    // An unknown address gets the same page, and no email.
    let unknown = b
        .post(
            "/console/sign-in/email",
            &[("_csrf", &csrf), ("email", "nobody@example.com")],
        )
        .await;
    assert_eq!(unknown.body, asked.body);

    // Quoted-printable: soft line breaks joined, `=` restored.
    let mail = spooled(&s, 1)
        .await
        .pop()
        .unwrap()
        .replace("=\r\n", "")
        .replace("=3D", "=");
    assert!(mail.contains("To: lead@example.com"), "{mail}");
    let link = regex::Regex::new(r"https?://\S+?/console/sign-in/link\?token=(hrld_[0-9a-f]+)")
        .unwrap()
        .captures(&mail)
        .unwrap_or_else(|| panic!("no link in {mail}"))[1]
        .to_string();

    // Opening the link (as a mail scanner would) does not use it up.
    let page = b.get(&format!("/console/sign-in/link?token={link}")).await;
    assert_eq!(page.status, 200);
    let csrf = page.csrf();
    let used = b
        .post(
            "/console/sign-in/link",
            &[("_csrf", &csrf), ("token", &link)],
        )
        .await;
    assert_eq!(used.status, 303, "{used:#?}");
    assert_eq!(b.get("/console").await.status, 200);

    let mut again = Browser::new(&s);
    let page = again
        .get(&format!("/console/sign-in/link?token={link}"))
        .await;
    let csrf = page.csrf();
    let reused = again
        .post(
            "/console/sign-in/link",
            &[("_csrf", &csrf), ("token", &link)],
        )
        .await;
    assert_eq!(reused.status, 400);
    assert!(!again.cookies.contains_key("herald_session"));
}

/// The `.eml` files in the spool once there are `count`.
async fn spooled(s: &Server, count: usize) -> Vec<String> {
    let spool = s.data_dir().join("mail");
    for _ in 0..100 {
        let mails: Vec<String> = std::fs::read_dir(&spool)
            .map(|dir| {
                dir.filter_map(|e| e.ok())
                    .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                    .map(|e| std::fs::read_to_string(e.path()).unwrap())
                    .collect()
            })
            .unwrap_or_default();
        if mails.len() >= count {
            return mails;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("fewer than {count} emails in {spool:?}");
}

#[tokio::test]
async fn sessions_end_on_sign_out_and_for_disabled_users_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_on(dir.path()).await;
    add_user(&s, "lead@example.com", Role::Responder, Some(PASSWORD)).await;
    add_user(&s, "gone@example.com", Role::Responder, Some(PASSWORD)).await;
    let mut lead = Browser::new(&s);
    lead.sign_in("lead@example.com", PASSWORD).await;
    let mut gone = Browser::new(&s);
    gone.sign_in("gone@example.com", PASSWORD).await;
    let (cookies, gone_cookies) = (lead.cookies.clone(), gone.cookies.clone());
    drop((lead, gone));
    drop(s);

    let s = Server::start_on(dir.path()).await;
    let mut lead = Browser::new(&s);
    lead.cookies = cookies;
    assert_eq!(
        lead.get("/console").await.status,
        200,
        "the session survived"
    );

    let store = herald::server::open_store(s.data_dir()).unwrap();
    use herald_store::Store;
    store
        .disable_user("test", "gone@example.com", s.now())
        .await
        .unwrap();
    let mut gone = Browser::new(&s);
    gone.cookies = gone_cookies;
    assert_eq!(
        gone.get("/console").await.status,
        303,
        "a disabled user is out"
    );

    // Idle for longer than a shift: signed out.
    let mut idle = Browser::new(&s);
    idle.cookies = lead.cookies.clone();
    s.advance_mins(13 * 60);
    assert_eq!(idle.get("/console").await.status, 303);

    let mut fresh = Browser::new(&s);
    fresh.sign_in("lead@example.com", PASSWORD).await;
    let csrf = fresh.csrf().await;
    let out = fresh.post("/console/sign-out", &[("_csrf", &csrf)]).await;
    assert_eq!(out.status, 303);
    assert!(!fresh.cookies.contains_key("herald_session"));
    let kinds: Vec<String> = s
        .events()
        .await
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect();
    assert!(kinds.contains(&"user.signed_in".to_string()));
    assert!(kinds.contains(&"user.signed_out".to_string()));
}

#[tokio::test]
async fn a_lead_runs_an_incident_from_the_forms() {
    let s = Server::start().await;
    let f = s.fixture("main").await;
    add_user(&s, "lead@example.com", Role::Responder, Some(PASSWORD)).await;
    let mut b = Browser::new(&s);
    b.sign_in("lead@example.com", PASSWORD).await;
    let form = b.get("/console/pages/main/incidents/new").await;
    assert_eq!(form.status, 200);
    for channel in ["email", "webhook", "slack", "teams"] {
        assert!(
            form.body.contains(&format!("value=\"{channel}\" checked")),
            "{channel} is ticked by default"
        );
    }
    let csrf = form.csrf();

    // A refusal keeps what was typed and says why beside the field.
    let refused = b
        .post(
            "/console/pages/main/incidents",
            &[
                ("_csrf", &csrf),
                ("title", "API errors <script>"),
                ("severity", "2"),
                ("state", "investigating"),
                ("details", "We are investigating."),
                ("level", "partial_service_disruption"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("id=\"error-locations\""),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("API errors &lt;script&gt;"),
        "kept, escaped"
    );

    // The preview counts, lints and renders before anything is published.
    let long = format!("{} https://example.com/issue/1", "x".repeat(230));
    let preview_fields = [
        ("_csrf", csrf.as_str()),
        ("title", "API errors"),
        ("severity", "2"),
        ("state", "investigating"),
        ("details", long.as_str()),
        ("level", "partial_service_disruption"),
        ("locations", f.us_east.as_str()),
        ("channels", "email"),
        ("channels", "slack"),
        ("channels", "teams"),
    ];
    let preview = b.post("/console/pages/main/preview", &preview_fields).await;
    assert_eq!(preview.status, 200, "{preview:#?}");
    let p: serde_json::Value = serde_json::from_str(&preview.body).unwrap();
    assert_eq!(p["ok"], true, "{p:#}");
    assert_eq!(p["counters"]["social"]["length"], 231 + 23);
    assert_eq!(p["counters"]["before_link"]["length"], 231);
    let lints: Vec<&str> = p["lints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert!(lints.contains(&"social.link_late"), "{lints:?}");
    assert!(
        p["channels"]["email"]["subject"]
            .as_str()
            .unwrap()
            .contains("API errors")
    );
    // Slack and Teams drawn as their apps show the message, and the social post counted.
    let drawn = |channel: &str| p["channels"][channel].as_str().unwrap().to_string();
    assert!(
        drawn("slack").starts_with("<div class=\"msg msg-slack\"><p class=\"msg-header\">"),
        "{}",
        drawn("slack")
    );
    assert!(drawn("slack").contains("View on the status page</a>"));
    assert!(
        drawn("teams").contains("<dl class=\"msg-facts\">"),
        "{}",
        drawn("teams")
    );
    let social = p["social_html"].as_str().unwrap();
    assert!(
        social.contains("254 of 280 characters; a link counts as 23"),
        "{social}"
    );
    assert_eq!(
        p["next_update_due"],
        plus_mins(s.now(), 15).to_string(),
        "severity 2 investigating: 15 minutes"
    );
    let before = s
        .public("/api/v2/incidents.json")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !before.contains("API errors"),
        "a preview publishes nothing"
    );

    let mut publish = preview_fields.to_vec();
    publish[4].1 = "We are investigating elevated API errors.";
    let created = b.post("/console/pages/main/incidents", &publish).await;
    assert_eq!(created.status, 303, "{created:#?}");
    let at = created.location.unwrap();
    s.public_eventually("/", |page| {
        page.contains("We are investigating elevated API errors.")
    })
    .await;
    let shown = b.get(&at).await;
    assert!(shown.body.contains("due in 15 min"), "{}", shown.body);

    // Monitoring, then resolved, then the post-mortem: the public page follows each step.
    let id = at.rsplit('/').next().unwrap().to_string();
    for (state, details) in [
        (
            "monitoring",
            "A fix is out; we will monitor for 30 minutes.",
        ),
        ("resolved", "Resolved: errors are back to normal."),
    ] {
        let posted = b
            .post(
                &format!("{at}/updates"),
                &[
                    ("_csrf", &csrf),
                    ("state", state),
                    ("details", details),
                    ("level", "keep"),
                    ("channels", "email"),
                ],
            )
            .await;
        assert_eq!(posted.status, 303, "{posted:#?}");
        s.public_eventually("/", |page| page.contains(details) || state == "resolved")
            .await;
    }
    let postmortem = b
        .post(
            &format!("{at}/postmortem"),
            &[
                ("_csrf", &csrf),
                ("postmortem_url", "https://example.com/pm/1"),
            ],
        )
        .await;
    assert_eq!(postmortem.status, 303, "{postmortem:#?}");
    s.public_eventually(&format!("/incidents/{id}"), |page| {
        page.contains("Read the post-mortem")
    })
    .await;
    let incident = s
        .get(&f.path(&format!("/incidents/{id}")), &s.viewer)
        .await
        .ok(200);
    assert_eq!(incident["state"], "resolved");
    let authors: Vec<String> = s
        .events()
        .await
        .iter()
        .filter(|e| {
            e["kind"]
                .as_str()
                .is_some_and(|k| k.starts_with("incident."))
        })
        .map(|e| e["actor"].as_str().unwrap().to_string())
        .collect();
    assert!(
        authors
            .iter()
            .all(|a| a.starts_with("user:") && a.contains("lead@example.com")),
        "{authors:?}"
    );
}

/// The same walk in a real browser (Debian's Chromium, driven by Playwright), then an admin's
/// tour of the management pages, with axe-core on every page it sees.
// The browser blocks this thread while the server answers it from another.
#[tokio::test(flavor = "multi_thread")]
async fn a_lead_walks_an_incident_in_chromium() {
    let s = Server::start_configured(|c| c.delivery.allow_private_targets = true).await;
    let f = s.fixture("main").await;
    // Someone to tell, so the walk can read who was told.
    let rx = Receiver::start().await;
    s.post(
        &f.path("/subscribers"),
        &s.responder,
        json!({"webhook": rx.url("/ok/walk")}),
    )
    .await
    .ok(201);
    // Last week's incident, for the walk to find by a word of its resolution.
    let past = s
        .post(
            &f.path("/incidents"),
            &s.responder,
            json!({"title": "Database latency", "severity": 3, "details": "Investigating.",
                   "affected": [{"location_id": f.apac, "level": "degraded_performance"}]}),
        )
        .await
        .ok(201);
    let resolved = format!("/incidents/{}/updates", past["id"].as_str().unwrap());
    s.post(
        &f.path(&resolved),
        &s.responder,
        json!({"state": "resolved", "details": "The read replica lagged; it has caught up."}),
    )
    .await
    .ok(201);
    s.advance_mins(7 * 24 * 60);
    add_user(&s, "lead@example.com", Role::Responder, Some(PASSWORD)).await;
    add_user(&s, "boss@example.com", Role::Admin, Some(PASSWORD)).await;
    let base = s.url("");
    let report = common::node(
        "console_walk.mjs",
        &[
            &base,
            "lead@example.com",
            PASSWORD,
            "main",
            "US East",
            "boss@example.com",
            "replica",
            "Database latency",
        ],
    );
    assert!(report.contains("\"violations\": []"), "{report}");
    for audited in [
        "maintenance, refused time",
        "rescheduled maintenance window",
        "incidents search",
        "pages, refused form",
        "settings and cadence, refused cell",
        "incident, edited",
        "recipients",
        "user",
    ] {
        let page = format!("\"page\": \"{audited}\"");
        assert!(report.contains(&page), "{audited} is audited: {report}");
    }
}

#[tokio::test]
async fn templates_fill_the_forms_and_admins_edit_the_library() {
    let s = Server::start().await;
    s.fixture("main").await;
    add_user(&s, "lead@example.com", Role::Responder, Some(PASSWORD)).await;
    add_user(&s, "boss@example.com", Role::Admin, Some(PASSWORD)).await;
    let mut lead = Browser::new(&s);
    lead.sign_in("lead@example.com", PASSWORD).await;

    // The reference workflow's library, with the monitoring duration and issue link filled.
    let form = lead.get("/console/pages/main/incidents/new").await;
    for name in [
        "First update: elevated errors",
        "No material updates: handover",
        "Monitoring",
        "Resolved",
    ] {
        assert!(form.body.contains(name), "{name} is offered");
    }
    let filled = lead
        .get("/console/pages/main/incidents/new?template=5&issue_link=https%3A%2F%2Fissues.example.com%2F7&monitoring_minutes=45")
        .await;
    assert!(
        filled.body.contains("We will monitor for 45 minutes"),
        "{}",
        filled.body
    );
    assert!(
        filled
            .body
            .contains("https:&#x2f;&#x2f;issues.example.com&#x2f;7")
    );
    assert!(
        filled
            .body
            .contains("<option value=\"monitoring\" selected>")
    );
    // A responder may use the library but not change it.
    assert_eq!(lead.get("/console/pages/main/templates").await.status, 403);

    let mut boss = Browser::new(&s);
    boss.sign_in("boss@example.com", PASSWORD).await;
    let library = boss.get("/console/pages/main/templates").await;
    assert_eq!(library.status, 200);
    let csrf = library.csrf();
    let count = s.get("/api/v1/pages/main", &s.viewer).await.ok(200)["settings"]["templates"]
        .as_array()
        .unwrap()
        .len();
    let new = count.to_string();
    let (name_field, body_field, state_field) = (
        format!("name.{new}"),
        format!("body.{new}"),
        format!("state.{new}"),
    );
    // A twin name is refused, and what was typed is shown again.
    let twin = boss
        .post(
            "/console/pages/main/templates",
            &[
                ("_csrf", &csrf),
                ("name.0", "Monitoring"),
                ("state.0", "monitoring"),
                ("body.0", "Watching it."),
                ("name.1", "Monitoring"),
                ("state.1", "monitoring"),
                ("body.1", "Watching again."),
            ],
        )
        .await;
    assert_eq!(twin.status, 422);
    assert!(twin.body.contains("names must differ") && twin.body.contains("Watching again."));
    let saved = boss
        .post(
            "/console/pages/main/templates",
            &[
                ("_csrf", &csrf),
                ("name.0", "Database failover"),
                ("state.0", "identified"),
                ("body.0", "We are failing over the database: {issue_link}"),
                ("remove.1", "on"),
                ("name.1", "Gone"),
                ("body.1", "Removed."),
                (&name_field, ""),
                (&body_field, ""),
                (&state_field, "investigating"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{saved:#?}");
    let page = s.get("/api/v1/pages/main", &s.viewer).await.ok(200);
    let names: Vec<&str> = page["settings"]["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Database failover"]);
    let kinds: Vec<String> = s
        .events()
        .await
        .iter()
        .map(|e| e["actor"].as_str().unwrap_or("").to_string() + " " + e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds
            .iter()
            .any(|k| k.contains("boss@example.com") && k.ends_with("page.updated")),
        "{kinds:?}"
    );
}

#[tokio::test]
async fn the_console_leads_snoozes_and_counts_adherence() {
    let s = Server::start().await;
    s.fixture("main").await;
    let f = s.fixture("other").await;
    add_user(&s, "lead@example.com", Role::Responder, Some(PASSWORD)).await;
    let mut b = Browser::new(&s);
    b.sign_in("lead@example.com", PASSWORD).await;
    let csrf = b.csrf().await;
    let created = b
        .post(
            "/console/pages/other/incidents",
            &[
                ("_csrf", &csrf),
                ("title", "Slow pages"),
                ("severity", "1"),
                ("state", "investigating"),
                ("details", "We are investigating slow pages."),
                ("level", "degraded_performance"),
                ("locations", &f.website_default),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{created:#?}");
    let at = created.location.unwrap();
    let shown = b.get(&at).await;
    assert!(
        shown.body.contains("Communications lead: responder person"),
        "the declarer leads"
    );
    assert!(
        shown.body.contains("due in 10 min"),
        "severity 1 investigating"
    );

    // Twelve minutes on, the update is overdue; a snooze after the deadline counts it late.
    s.advance_mins(12);
    let dashboard = b.get("/console").await;
    assert!(dashboard.body.contains("due-overdue") && dashboard.body.contains("overdue by 2 min"));
    let bad = b
        .post(
            &format!("{at}/snooze"),
            &[("_csrf", &csrf), ("minutes", "soon")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"error-minutes\""), "{}", bad.body);
    let snoozed = b
        .post(
            &format!("{at}/snooze"),
            &[("_csrf", &csrf), ("minutes", "20")],
        )
        .await;
    assert_eq!(snoozed.status, 303, "{snoozed:#?}");
    let shown = b.get(&at).await;
    assert!(shown.body.contains("due in 20 min"), "{}", shown.body);
    assert!(
        shown.body.contains("updates on time: 0 of 1 (late: 2 min)"),
        "{}",
        shown.body
    );
    let dashboard = b.get("/console").await;
    assert!(
        dashboard.body.contains("Updates on time: 0 of 1 due."),
        "{}",
        dashboard.body
    );
}

#[tokio::test]
async fn the_checklist_ticks_itself_and_by_hand_with_an_audit_trail() {
    let s = Server::start().await;
    let f = s.fixture("main").await;
    let lead = add_user(&s, "lead@example.com", Role::Responder, Some(PASSWORD)).await;
    add_user(&s, "watcher@example.com", Role::Viewer, Some(PASSWORD)).await;
    let incident = s.create_incident(&f, "Errors", 2).await;
    let at = format!("/console/pages/main/incidents/{incident}");
    let mut b = Browser::new(&s);
    b.sign_in("lead@example.com", PASSWORD).await;
    let csrf = b.csrf().await;

    // Herald saw the incident created; nothing else is done yet.
    let shown = b.get(&at).await;
    assert!(
        shown
            .body
            .contains("Engage <span class=\"hint\">(1 of 5 done)</span>"),
        "{}",
        shown.body
    );
    assert!(
        shown
            .body
            .contains("done: Herald saw the incident is created")
    );
    let api = f.path(&format!("/incidents/{incident}/checklist"));
    let entries = s.get(&api, &s.viewer).await.ok(200);
    let entry = |entries: &serde_json::Value, label: &str| {
        entries
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["label"] == label)
            .unwrap_or_else(|| panic!("no item {label:?} in {entries:#}"))
            .clone()
    };
    assert_eq!(
        entry(&entries, "Create the status-page incident")["ticked_by"],
        "herald"
    );
    assert_eq!(entry(&entries, "Acknowledge the page")["ticked"], false);

    // The lead ticks an item: audited under their name, shown with who and when.
    let before = s.last_event_id().await;
    let ticked = tick(&mut b, &at, &csrf, "Acknowledge the page", "true").await;
    assert_eq!(ticked.status, 303, "{ticked:#?}");
    assert_eq!(ticked.location.unwrap(), format!("{at}#checklist"));
    // Ticking it again changes nothing and records nothing more.
    assert_eq!(
        tick(&mut b, &at, &csrf, "Acknowledge the page", "true")
            .await
            .status,
        303
    );
    let actor = format!("user:{} (lead@example.com)", lead.id);
    let events = s
        .assert_events_after(before, &[("incident.checklist_ticked", actor.clone())])
        .await;
    assert_eq!(events[0]["after"]["item"], "Acknowledge the page");
    let shown = b.get(&at).await;
    assert!(shown.body.contains("(2 of 5 done)"), "{}", shown.body);
    // The tick's time in the page's zone, and how long ago (the test clock stands still).
    assert!(
        shown.body.contains("ticked by lead@example.com, <time datetime=\"2025-06-02T09:00:00Z\">Mon 2 Jun 09:00 UTC</time> <span class=\"hint\">(just now)</span>"),
        "{}",
        shown.body
    );
    let entries = s.get(&api, &s.viewer).await.ok(200);
    assert_eq!(entry(&entries, "Acknowledge the page")["ticked_by"], actor);

    // Unticking is audited too; an item Herald sees done, or one not on the list, is refused
    // beside the checklist.
    let unticked = tick(&mut b, &at, &csrf, "Acknowledge the page", "false").await;
    assert_eq!(unticked.status, 303);
    let refused = tick(
        &mut b,
        &at,
        &csrf,
        "Create the status-page incident",
        "false",
    )
    .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("so it stays ticked"),
        "{}",
        refused.body
    );
    let unknown = tick(&mut b, &at, &csrf, "Water the plants", "true").await;
    assert_eq!(unknown.status, 422);
    assert!(
        unknown
            .body
            .contains("is not an item of this page&#x27;s checklist"),
        "{}",
        unknown.body
    );
    s.assert_events_after(
        before,
        &[
            ("incident.checklist_ticked", actor.clone()),
            ("incident.checklist_unticked", actor.clone()),
        ],
    )
    .await;

    // A viewer sees the checklist but cannot tick it.
    let mut viewer = Browser::new(&s);
    viewer.sign_in("watcher@example.com", PASSWORD).await;
    let token = viewer.csrf().await;
    let seen = viewer.get(&at).await;
    assert!(seen.body.contains("Acknowledge the page") && !seen.body.contains("aria-pressed"));
    let path = format!("{at}/checklist");
    let fields = [
        ("_csrf", token.as_str()),
        ("item", "Acknowledge the page"),
        ("ticked", "true"),
    ];
    assert_eq!(viewer.post(&path, &fields).await.status, 403);

    // Monitoring, resolving and the post-mortem tick their items by themselves.
    let updates = f.path(&format!("/incidents/{incident}/updates"));
    let monitoring = json!({"state": "monitoring", "details": "Fixed; watching for 30 minutes."});
    s.post(&updates, &s.responder, monitoring).await.ok(201);
    s.resolve_incident(&f, &incident).await;
    let postmortem = f.path(&format!("/incidents/{incident}/postmortem"));
    let link = json!({"url": "https://example.com/pm/1"});
    s.put(&postmortem, &s.responder, link).await.ok(200);
    let entries = s.get(&api, &s.viewer).await.ok(200);
    for label in [
        "Move to Monitoring, saying how long monitoring lasts",
        "Resolve the incident once the incident manager gives the all-clear",
        "Add the post-mortem link",
    ] {
        assert_eq!(entry(&entries, label)["ticked_by"], "herald", "{label}");
    }
    assert_eq!(
        entry(&entries, "Check the public page looks right")["ticked"],
        false
    );

    // An administrator replaces the page's checklist from the console; twin labels are
    // refused with what was typed kept.
    add_user(&s, "boss@example.com", Role::Admin, Some(PASSWORD)).await;
    let mut boss = Browser::new(&s);
    boss.sign_in("boss@example.com", PASSWORD).await;
    assert!(
        boss.get("/console")
            .await
            .body
            .contains("/console/pages/main/checklist")
    );
    assert_eq!(b.get("/console/pages/main/checklist").await.status, 403);
    let editor = boss.get("/console/pages/main/checklist").await;
    assert!(
        editor.body.contains("Label the incident issue"),
        "{}",
        editor.body
    );
    let csrf = editor.csrf();
    let mut fields = vec![
        ("_csrf", csrf.as_str()),
        ("stage.0", "Start"),
        ("label.0", "Open the bridge"),
        ("done_when.0", ""),
        ("stage.1", "End"),
        ("label.1", "Open the bridge"),
        ("done_when.1", "postmortem_added"),
    ];
    let twin = boss.post("/console/pages/main/checklist", &fields).await;
    assert_eq!(twin.status, 422);
    assert!(twin.body.contains("labels must differ"), "{}", twin.body);
    assert!(
        twin.body.contains("value=\"End\""),
        "what was typed is kept"
    );
    fields[5].1 = "Post-mortem linked";
    let saved = boss.post("/console/pages/main/checklist", &fields).await;
    assert_eq!(saved.status, 303, "{saved:#?}");
    let entries = s.get(&api, &s.viewer).await.ok(200);
    let labels: Vec<&str> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["Open the bridge", "Post-mortem linked"]);
    assert_eq!(entry(&entries, "Post-mortem linked")["ticked_by"], "herald");
    let shown = b.get(&at).await;
    assert!(
        shown
            .body
            .contains("End <span class=\"hint\">(1 of 1 done)</span>")
    );
}

/// Ticks (`"true"`) or unticks an item of the incident page `at`'s checklist.
async fn tick(
    b: &mut Browser<'_>,
    at: &str,
    csrf: &str,
    item: &str,
    ticked: &str,
) -> common::console::Answer {
    let fields = [("_csrf", csrf), ("item", item), ("ticked", ticked)];
    b.post(&format!("{at}/checklist"), &fields).await
}

#[tokio::test]
async fn the_issue_link_fills_templates_and_the_incident_is_edited_without_an_update() {
    const ISSUE: &str = "https://issues.example.com/ops/42";
    let s = Server::start().await;
    let f = s.fixture("main").await;
    add_user(&s, "lead@example.com", Role::Responder, Some(PASSWORD)).await;
    let mut b = Browser::new(&s);
    b.sign_in("lead@example.com", PASSWORD).await;

    // Channels this installation cannot deliver on are shown so, and never ticked.
    let form = b.get("/console/pages/main/incidents/new?template=0").await;
    for channel in ["social", "irc", "sms"] {
        assert!(
            form.body
                .contains(&format!("value=\"{channel}\" disabled> ")),
            "{channel} is offered unticked: {}",
            form.body
        );
    }
    assert!(form.body.contains("(not configured)"));
    let details = "We're seeing elevated error rates, investigation is underway in: {issue_link}";
    assert!(
        form.body
            .contains("investigation is underway in: {issue_link}")
    );
    let csrf = form.csrf();
    let mut fields = vec![
        ("_csrf", csrf.as_str()),
        ("title", "API errors"),
        ("severity", "2"),
        ("state", "investigating"),
        ("details", details),
        ("level", "partial_service_disruption"),
        ("locations", f.us_east.as_str()),
        ("channels", "email"),
    ];
    // Without an issue link the variable would be published as written: refused, beside the
    // text, with what was typed kept.
    let refused = b.post("/console/pages/main/incidents", &fields).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("id=\"error-details\""),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("give the incident its issue link"));
    assert!(s.get(&f.path("/incidents"), &s.viewer).await.ok(200) == json!([]));

    fields.push(("issue_link", ISSUE));
    let created = b.post("/console/pages/main/incidents", &fields).await;
    assert_eq!(created.status, 303, "{}", created.body);
    let incidents = s.get(&f.path("/incidents"), &s.viewer).await.ok(200);
    let id = incidents[0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        incidents[0]["updates"][0]["details"],
        format!("We're seeing elevated error rates, investigation is underway in: {ISSUE}")
    );

    // A template used on the incident's page takes the incident's own link.
    let path = format!("/console/pages/main/incidents/{id}");
    let page = b
        .get(&format!("{path}?template=5&monitoring_minutes=20"))
        .await;
    assert!(
        page.body
            .contains("We will monitor for 20 minutes to make sure the issue does not recur. Details in: https:&#x2f;&#x2f;issues.example.com&#x2f;ops&#x2f;42"),
        "{}",
        page.body
    );

    // The edit panel changes the title, severity and link: audited, no update, nobody told.
    let before = s.last_event_id().await;
    let moved = "https://issues.example.com/ops/43";
    let bad = b
        .post(
            &format!("{path}/edit"),
            &[
                ("_csrf", &csrf),
                ("title", "  "),
                ("severity", "3"),
                ("issue_link", moved),
                ("locations", &f.us_east),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"error-edit_title\""), "{}", bad.body);
    let edited = b
        .post(
            &format!("{path}/edit"),
            &[
                ("_csrf", &csrf),
                ("title", "API errors in US East"),
                ("severity", "3"),
                ("issue_link", moved),
                ("locations", &f.us_east),
            ],
        )
        .await;
    assert_eq!(edited.status, 303, "{}", edited.body);
    let incident = s
        .get(&f.path(&format!("/incidents/{id}")), &s.viewer)
        .await
        .ok(200);
    assert_eq!(
        (
            &incident["title"],
            &incident["severity"],
            &incident["issue_link"]
        ),
        (&json!("API errors in US East"), &json!(3), &json!(moved))
    );
    assert_eq!(incident["updates"].as_array().unwrap().len(), 1);
    assert_eq!(s.kinds_after(before).await, ["incident.edited"]);
    let shown = b.get(&path).await;
    assert!(
        shown
            .body
            .contains("issue <a href=\"https:&#x2f;&#x2f;issues.example.com&#x2f;ops&#x2f;43\"")
    );
}

/// Asks for sign-in links for `count` unknown addresses; the last answer.
async fn ask_for_links(b: &mut Browser<'_>, count: usize) -> common::console::Answer {
    let csrf = b.get("/console/sign-in").await.csrf();
    let mut last = None;
    for i in 0..count {
        let email = format!("nobody-{i}@example.com");
        let fields = [("_csrf", csrf.as_str()), ("email", email.as_str())];
        last = Some(b.post("/console/sign-in/email", &fields).await);
    }
    last.unwrap()
}

#[tokio::test]
async fn sign_ins_are_limited_per_client_and_trusted_proxies_name_the_client() {
    let s =
        Server::start_configured(|c| c.server.trusted_proxies = vec!["127.0.0.0/8".into()]).await;
    add_user(&s, "lead@example.com", Role::Responder, Some(PASSWORD)).await;
    let mut noisy = Browser::new(&s);
    noisy.forwarded_for = Some("203.0.113.1".into());
    assert_eq!(ask_for_links(&mut noisy, 30).await.status, 200);
    let refused = noisy.try_sign_in("lead@example.com", PASSWORD).await;
    assert_eq!(refused.status, 429, "{refused:#?}");
    assert!(
        refused
            .body
            .contains("Too many sign-in attempts from your address")
    );
    // With when to come back: the window is five minutes.
    let retry: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=300).contains(&retry), "{retry}");
    assert_eq!(ask_for_links(&mut noisy, 1).await.status, 429);

    // Another client behind the same proxy is not locked out with it, and the audit log
    // names the client, not the proxy.
    let mut other = Browser::new(&s);
    other.forwarded_for = Some("203.0.113.2".into());
    other.sign_in("lead@example.com", PASSWORD).await;
    let events = s.events().await;
    let signed_in = events
        .iter()
        .rev()
        .find(|e| e["kind"] == "user.signed_in")
        .unwrap();
    assert_eq!(signed_in["after"]["from"], "203.0.113.2", "{signed_in}");
}

#[tokio::test]
async fn forwarding_headers_from_anyone_but_a_trusted_proxy_are_ignored() {
    let s = Server::start().await;
    add_user(&s, "lead@example.com", Role::Responder, Some(PASSWORD)).await;
    let mut b = Browser::new(&s);
    for i in 0..30 {
        b.forwarded_for = Some(format!("198.51.100.{i}"));
        assert_eq!(ask_for_links(&mut b, 1).await.status, 200);
    }
    // A new header each time changed nothing: it is all one client, 127.0.0.1.
    b.forwarded_for = Some("198.51.100.99".into());
    assert_eq!(ask_for_links(&mut b, 1).await.status, 429);
    let events = s.events().await;
    assert!(events.iter().all(|e| e["kind"] != "user.signed_in"));
}

/// Choosing a template without the console's script keeps everything typed on the form, and
/// only the details and the state come from the template.
#[tokio::test]
async fn a_template_chosen_without_script_keeps_what_was_typed() {
    let s = Server::start().await;
    let f = s.fixture("main").await;
    add_user(&s, "lead@example.com", Role::Responder, Some(PASSWORD)).await;
    let mut b = Browser::new(&s);
    b.sign_in("lead@example.com", PASSWORD).await;
    let csrf = b.get("/console/pages/main/incidents/new").await.csrf();
    let fields = [
        ("_csrf", csrf.as_str()),
        ("title", "Checkout is slow"),
        ("severity", "1"),
        ("issue_link", "https://issues.example.com/9"),
        ("template", "5"),
        ("monitoring_minutes", "25"),
        ("details", "typed before choosing"),
        ("whole", f.api.as_str()),
        ("locations", f.website_default.as_str()),
        ("channels", "webhook"),
    ];
    let form = b.post("/console/pages/main/incidents/new", &fields).await;
    assert_eq!(form.status, 200, "{}", form.body);
    for kept in [
        "value=\"Checkout is slow\"",
        "<option value=\"1\" selected>",
        &format!("value=\"{}\" checked> Whole component", f.api),
        &format!("value=\"{}\" checked>", f.website_default),
        "value=\"webhook\" checked>",
        "We will monitor for 25 minutes",
        "<option value=\"monitoring\" selected>",
    ] {
        assert!(form.body.contains(kept), "{kept} is kept: {}", form.body);
    }
    assert!(!form.body.contains("typed before choosing"));
    assert!(s.get(&f.path("/incidents"), &s.viewer).await.ok(200) == json!([]));
}

/// A whole component ticked stands for all its locations, and each component may have its own
/// level; the others take the form's.
#[tokio::test]
async fn the_affected_list_takes_whole_components_and_a_level_each() {
    let s = Server::start().await;
    let f = s.fixture("main").await;
    add_user(&s, "lead@example.com", Role::Responder, Some(PASSWORD)).await;
    let mut b = Browser::new(&s);
    b.sign_in("lead@example.com", PASSWORD).await;
    let form = b.get("/console/pages/main/incidents/new").await;
    assert!(form.body.contains("Whole component"), "{}", form.body);
    let csrf = form.csrf();
    let api_level = format!("level:{}", f.api);
    let fields = [
        ("_csrf", csrf.as_str()),
        ("title", "Outage"),
        ("severity", "1"),
        ("state", "investigating"),
        ("details", "We are investigating."),
        ("level", "degraded_performance"),
        ("whole", f.api.as_str()),
        (api_level.as_str(), "service_disruption"),
        ("locations", f.website_default.as_str()),
        ("channels", "webhook"),
    ];
    let created = b.post("/console/pages/main/incidents", &fields).await;
    assert_eq!(created.status, 303, "{}", created.body);
    let incident = &s.get(&f.path("/incidents"), &s.viewer).await.ok(200)[0];
    let mut affected: Vec<(String, String)> = incident["affected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let field = |k: &str| a[k].as_str().unwrap().to_string();
            (field("location_id"), field("level"))
        })
        .collect();
    affected.sort();
    let mut expected = vec![
        (f.us_east.clone(), "service_disruption".to_string()),
        (f.apac.clone(), "service_disruption".to_string()),
        (
            f.website_default.clone(),
            "degraded_performance".to_string(),
        ),
    ];
    expected.sort();
    assert_eq!(affected, expected);
}

/// The edit panel adds a component with its level, changes a level and removes a location,
/// without an update; the incident page lists what is affected at the top; a level that is not
/// one of the choices and an empty list are refused beside the picker, with nothing written.
#[tokio::test]
async fn the_edit_panel_changes_what_is_affected_and_at_which_level() {
    let s = Server::start().await;
    let f = s.fixture("main").await;
    add_user(&s, "lead@example.com", Role::Responder, Some(PASSWORD)).await;
    let id = s.create_incident(&f, "API errors", 2).await;
    let mut b = Browser::new(&s);
    b.sign_in("lead@example.com", PASSWORD).await;
    let path = format!("/console/pages/main/incidents/{id}");
    let page = b.get(&path).await;
    // The panel starts from the incident as it is: US East ticked, the API at its level.
    assert!(
        page.body.contains(&format!(
            "name=\"locations\" value=\"{}\" checked>",
            f.us_east
        )),
        "{}",
        page.body
    );
    assert!(page.body.contains("Keep each location&#x27;s level"));
    let affected_at_top =
        |body: &str| body[..body.find("Communications lead").unwrap()].to_string();
    assert!(
        affected_at_top(&page.body).contains(
            "API · US East: <span class=\"level level-partial_service_disruption\">Partial Service Disruption</span>"
        ),
        "{}",
        page.body
    );
    let csrf = page.csrf();
    let api_level = format!("level:{}", f.api);
    let website_level = format!("level:{}", f.website);
    let edit = |extra: &[(&str, &str)]| {
        let mut fields = vec![
            ("_csrf".to_string(), csrf.clone()),
            ("title".to_string(), "API and website errors".to_string()),
            ("severity".to_string(), "2".to_string()),
            ("issue_link".to_string(), String::new()),
        ];
        fields.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        fields
    };
    let post = async |b: &mut Browser<'_>, fields: Vec<(String, String)>| {
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        b.post(&format!("{path}/edit"), &fields).await
    };
    let incident = async || {
        s.get(&f.path(&format!("/incidents/{id}")), &s.viewer)
            .await
            .ok(200)
    };
    let before = s.last_event_id().await;
    let unchanged = incident().await;
    for fields in [
        edit(&[]),
        edit(&[("whole", &f.website), (&website_level, "on_fire")]),
    ] {
        let refused = post(&mut b, fields).await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(
            refused.body.contains("id=\"error-locations\""),
            "{}",
            refused.body
        );
    }
    assert_eq!(s.last_event_id().await, before, "a refused edit wrote");
    assert_eq!(incident().await, unchanged);

    // Website joins as a whole at its own level; US East goes to a service disruption; APAC
    // is not ticked, so it stays out.
    let fields = edit(&[
        ("whole", &f.website),
        ("locations", &f.us_east),
        (&website_level, "degraded_performance"),
        (&api_level, "service_disruption"),
    ]);
    let edited = post(&mut b, fields).await;
    assert_eq!(edited.status, 303, "{}", edited.body);
    let now = incident().await;
    assert_eq!(now["title"], "API and website errors");
    assert_eq!(
        now["affected"],
        json!([
            {"location_id": f.website_default, "level": "degraded_performance"},
            {"location_id": f.us_east, "level": "service_disruption"},
        ])
    );
    assert_eq!(now["updates"].as_array().unwrap().len(), 1, "no update");
    assert_eq!(s.kinds_after(before).await, ["incident.edited"]);
    let top = affected_at_top(&b.get(&path).await.body);
    assert!(top.contains("<li>Website: <span"), "{top}");
    assert!(
        top.contains("<li>API · US East: <span class=\"level level-service_disruption\">"),
        "{top}"
    );
    assert!(!top.contains("APAC"), "{top}");
    s.public_eventually("/", |html| html.contains("API and website errors"))
        .await;

    // Removing the website: untick it. US East keeps its level when none is chosen.
    let removed = post(&mut b, edit(&[("locations", &f.us_east)])).await;
    assert_eq!(removed.status, 303, "{}", removed.body);
    assert_eq!(
        incident().await["affected"],
        json!([{"location_id": f.us_east, "level": "service_disruption"}])
    );
}

/// Each update in the timeline has its correction form: the text changes in place, marked
/// edited, nobody told unless the box is ticked; empty text comes back beside that update's
/// form, an unknown update is 404, and neither writes.
#[tokio::test]
async fn a_published_update_is_corrected_from_the_timeline() {
    let s = Server::start().await;
    let f = s.fixture("main").await;
    add_user(&s, "lead@example.com", Role::Responder, Some(PASSWORD)).await;
    let id = s.create_incident(&f, "API errors", 2).await;
    let incident = s
        .get(&f.path(&format!("/incidents/{id}")), &s.viewer)
        .await
        .ok(200);
    let update = incident["updates"][0]["id"].as_str().unwrap().to_string();
    let mut b = Browser::new(&s);
    b.sign_in("lead@example.com", PASSWORD).await;
    let path = format!("/console/pages/main/incidents/{id}");
    let page = b.get(&path).await;
    let action = format!("{path}/updates/{update}/correct");
    assert!(
        page.body.contains(&format!("action=\"{action}\"")),
        "{}",
        page.body
    );
    let csrf = page.csrf();
    let before = s.last_event_id().await;
    let refused = b.post(&action, &[("_csrf", &csrf), ("details", " ")]).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("id=\"error-correct\""),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("<details class=\"correct\" open>"));
    let unknown = b
        .post(
            &format!("{path}/updates/000000000000000000000000/correct"),
            &[("_csrf", &csrf), ("details", "Fine.")],
        )
        .await;
    assert_eq!(unknown.status, 404, "{}", unknown.body);
    assert_eq!(
        s.last_event_id().await,
        before,
        "a refused correction wrote"
    );

    let corrected = b
        .post(
            &action,
            &[
                ("_csrf", &csrf),
                ("details", "We are investigating elevated API error rates."),
            ],
        )
        .await;
    assert_eq!(corrected.status, 303, "{}", corrected.body);
    let now = s
        .get(&f.path(&format!("/incidents/{id}")), &s.viewer)
        .await
        .ok(200);
    assert_eq!(
        now["updates"][0]["details"],
        "We are investigating elevated API error rates."
    );
    assert!(now["updates"][0]["edited_at"].is_string());
    assert_eq!(s.kinds_after(before).await, ["incident.update_corrected"]);
    let shown = b.get(&path).await;
    assert!(shown.body.contains(" · edited <time"), "{}", shown.body);
    s.public_eventually("/", |html| {
        html.contains("elevated API error rates") && html.contains("Edited")
    })
    .await;
}

/// Each update in the timeline links to the recipients of its broadcasts: failures first,
/// disabled endpoints marked, every address escaped; a viewer may not read them.
#[tokio::test(flavor = "multi_thread")]
async fn the_recipients_of_each_update_are_read_from_the_timeline() {
    let s = Server::start_configured(|c| c.delivery.allow_private_targets = true).await;
    let f = s.fixture("main").await;
    add_user(&s, "lead@example.com", Role::Responder, Some(PASSWORD)).await;
    add_user(&s, "watcher@example.com", Role::Viewer, Some(PASSWORD)).await;
    let rx = Receiver::start().await;
    for path in ["/ok/a?x=<b>", "/gone/c"] {
        s.post(
            &f.path("/subscribers"),
            &s.responder,
            json!({"webhook": rx.url(path)}),
        )
        .await
        .ok(201);
    }
    let id = s.create_incident(&f, "API errors", 2).await;
    let deliveries = f.path(&format!("/incidents/{id}/deliveries"));
    // Each broadcast settles before the clock moves, so no lease runs out under it.
    let settled = async |broadcasts: usize| {
        eventually("the broadcasts settle", async || {
            let r = s.get(&deliveries, &s.viewer).await.ok(200);
            let done = r
                .as_array()
                .unwrap()
                .iter()
                .all(|b| b["fanned_out"] == true)
                && r.as_array().unwrap().len() == broadcasts
                && r[0]["channels"]
                    .to_string()
                    .contains(r#""delivered":1,"disabled":1,"failed":1"#);
            if done { Ok(()) } else { Err(r.to_string()) }
        })
        .await
    };
    settled(1).await;
    s.advance_mins(1);
    s.post(
        &f.path(&format!("/incidents/{id}/updates")),
        &s.responder,
        json!({"state": "identified", "details": "Found it.", "channels": {"email": false}}),
    )
    .await
    .ok(201);
    settled(2).await;
    let mut b = Browser::new(&s);
    b.sign_in("lead@example.com", PASSWORD).await;
    let page = b.get(&format!("/console/pages/main/incidents/{id}")).await;
    let links: Vec<&str> = page
        .body
        .split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|href| href.ends_with("/recipients"))
        .collect();
    assert_eq!(links.len(), 2, "one link per update: {}", page.body);
    let list = b.get(&links[1].replace("&#x2f;", "/")).await;
    assert_eq!(list.status, 200, "{}", list.body);
    let failed = list
        .body
        .find("Failed")
        .unwrap_or_else(|| panic!("the failure is listed: {}", list.body));
    let delivered = list.body.find("Delivered").expect("the delivery is listed");
    assert!(failed < delivered, "failures first: {}", list.body);
    assert!(
        list.body.contains("<strong>disabled</strong>"),
        "{}",
        list.body
    );
    assert!(
        list.body.contains("x=&lt;b&gt;"),
        "the address is escaped: {}",
        list.body
    );
    assert!(!list.body.contains("x=<b>"));

    let mut viewer = Browser::new(&s);
    viewer.sign_in("watcher@example.com", PASSWORD).await;
    assert_eq!(
        viewer.get(&links[1].replace("&#x2f;", "/")).await.status,
        403
    );
    assert_eq!(
        b.get("/console/pages/main/broadcasts/000000000000000000000000/recipients")
            .await
            .status,
        404
    );
}

/// Times on the incident page read in the page's own zone, with how long ago; delivery
/// statuses and event kinds read as words.
#[tokio::test]
async fn the_incident_page_speaks_the_page_zone_and_words() {
    let s = Server::start().await;
    let f = s.fixture("main").await;
    s.patch(&f.path(""), &s.admin, json!({"time_zone": "Europe/Berlin"}))
        .await
        .ok(200);
    let incident = s
        .post(
            &f.path("/incidents"),
            &s.responder,
            json!({"title": "API errors", "severity": 2, "details": "Investigating.",
                   "affected": [{"location_id": f.us_east, "level": "degraded_performance"}]}),
        )
        .await
        .ok(201);
    s.advance_mins(12);
    add_user(&s, "lead@example.com", Role::Responder, Some(PASSWORD)).await;
    let mut b = Browser::new(&s);
    b.sign_in("lead@example.com", PASSWORD).await;
    let id = incident["id"].as_str().unwrap();
    let shown = b.get(&format!("/console/pages/main/incidents/{id}")).await;
    assert!(
        shown.body.contains("<time datetime=\"2025-06-02T09:00:00Z\">Mon 2 Jun 11:00 CEST</time> <span class=\"hint\">(12 min ago)</span>"),
        "{}",
        shown.body
    );
    assert!(
        shown.body.contains("The incident declared, "),
        "{}",
        shown.body
    );
    assert!(!shown.body.contains("incident.created"), "{}", shown.body);
}
