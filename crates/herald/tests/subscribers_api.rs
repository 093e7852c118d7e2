//! Subscribers through the admin API and the Status.io-compatible API, and the delivery report
//! of what was broadcast to them, against a real server, store and delivery worker.
mod common;

use std::time::{Duration, Instant};

use common::{Fixture, Resp, Server, Tok, is_id, plus_mins, ts};
use reqwest::Method;
use serde_json::{Value, json};

const GHOST: &str = "000000000000000000000000";

/// Adds a subscriber as the responder and returns what came back.
async fn add(s: &Server, f: &Fixture, body: Value) -> Value {
    s.post(&f.path("/subscribers"), &s.responder, body)
        .await
        .ok(201)
}

/// Every subscriber of the page, as the admin lists them.
async fn listed(s: &Server, f: &Fixture) -> Value {
    s.get(&f.path("/subscribers?limit=500"), &s.admin)
        .await
        .ok(200)
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect()
}

/// Polls an authenticated GET until its body satisfies `seen` (delivery runs in the
/// background); fails after ten seconds with the last answer.
async fn poll(
    s: &Server,
    path: &str,
    tok: &Tok,
    what: &str,
    seen: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let body = s.get(path, tok).await.ok(200);
        if seen(&body) {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: not within 10 s; last answer {body:#}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn each_channel_is_added_and_only_a_webhook_gets_a_secret_once() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let start = s.last_event_id().await;

    let pending = add(&s, &f, json!({"email": " ops@example.com "})).await;
    assert!(is_id(&pending["id"]), "{pending}");
    assert_eq!(pending["page_id"], json!(f.page_id));
    assert_eq!(pending["channel"], "email");
    assert_eq!(pending["address"], "ops@example.com");
    assert_eq!(pending["state"], "pending");
    assert_eq!(pending["confirmed_at"], Value::Null);
    assert_eq!(pending["components"], json!([]));
    assert_eq!(ts(&pending["created_at"]), s.now());
    assert!(pending.get("secret").is_none(), "{pending}");

    let trusted = add(
        &s,
        &f,
        json!({"email": "cto@example.com", "confirmed": true}),
    )
    .await;
    assert_eq!(trusted["state"], "active");
    assert_eq!(ts(&trusted["confirmed_at"]), s.now());

    let webhook = add(
        &s,
        &f,
        json!({"webhook": "https://hooks.example.com/herald", "format": "statuspage"}),
    )
    .await;
    assert_eq!(webhook["channel"], "webhook");
    assert_eq!(webhook["format"], "statuspage");
    assert_eq!(webhook["state"], "active");
    let secret = webhook["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert!(secret.len() > "whsec_".len() + 20, "{secret}");

    let slack = add(
        &s,
        &f,
        json!({"slack": "https://hooks.slack.com/services/T/B/x"}),
    )
    .await;
    assert_eq!(slack["channel"], "slack");
    assert_eq!(slack["format"], "herald");
    assert!(slack.get("secret").is_none(), "{slack}");
    let teams = add(
        &s,
        &f,
        json!({"teams": "https://example.webhook.office.com/x"}),
    )
    .await;
    assert_eq!(teams["channel"], "teams");
    assert!(teams.get("secret").is_none(), "{teams}");

    // The secret is never shown again: not by GET, not in the list, not in the audit log.
    let got = s
        .get(
            &f.path(&format!("/subscribers/{}", webhook["id"].as_str().unwrap())),
            &s.responder,
        )
        .await
        .ok(200);
    assert!(got.get("secret").is_none(), "{got}");
    assert_eq!(got["address"], "https://hooks.example.com/herald");
    let all = listed(&s, &f).await;
    let created = [&pending, &trusted, &webhook, &slack, &teams];
    let mut expected: Vec<&str> = created.iter().map(|c| c["id"].as_str().unwrap()).collect();
    expected.sort();
    assert_eq!(ids(&all), expected, "oldest first, by id");
    assert!(!all.to_string().contains(&secret));
    assert!(!json!(s.events().await).to_string().contains(&secret));

    // Filtered by channel, and paged by keyset.
    let webhooks = s
        .get(&f.path("/subscribers?channel=webhook"), &s.responder)
        .await
        .ok(200);
    assert_eq!(ids(&webhooks), [webhook["id"].as_str().unwrap()]);
    let first = s
        .get(&f.path("/subscribers?limit=2"), &s.responder)
        .await
        .ok(200);
    assert_eq!(ids(&first), expected[..2]);
    let next = s
        .get(
            &f.path(&format!("/subscribers?limit=2&after={}", expected[1])),
            &s.responder,
        )
        .await
        .ok(200);
    assert_eq!(ids(&next), expected[2..4]);
    s.get(&f.path("/subscribers?channel=sms"), &s.responder)
        .await
        .assert_problem(400, "invalid-query");

    let created_events = vec![("subscriber.created", s.responder.actor()); 5];
    let events = s.assert_events_after(start, &created_events).await;
    assert_eq!(events[0]["subject_id"], pending["id"]);
    assert_eq!(events[0]["after"]["address"], "ops@example.com");
}

#[tokio::test]
async fn components_are_checked_against_the_page() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let other = s.fixture("other").await;

    let limited = add(
        &s,
        &f,
        json!({"email": "api@example.com", "components": [f.api, f.api]}),
    )
    .await;
    assert_eq!(limited["components"], json!([f.api]));

    let before = (listed(&s, &f).await, s.events().await);
    for components in [json!([GHOST]), json!([other.api]), json!([f.us_east])] {
        let got = s
            .post(
                &f.path("/subscribers"),
                &s.responder,
                json!({"email": "new@example.com", "components": components}),
            )
            .await;
        got.assert_problem(422, "invalid-field");
        assert_eq!(got.body["field"], "components", "{got:#?}");
    }
    assert_eq!((listed(&s, &f).await, s.events().await), before);
}

#[tokio::test]
async fn the_same_address_twice_is_a_conflict() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let first = add(&s, &f, json!({"email": "ops@example.com"})).await;
    let before = (listed(&s, &f).await, s.events().await);

    let again = s
        .post(
            &f.path("/subscribers"),
            &s.admin,
            json!({"email": "ops@example.com", "confirmed": true}),
        )
        .await;
    again.assert_problem(409, "conflict");
    let detail = again.body["detail"].as_str().unwrap();
    assert!(detail.contains(first["id"].as_str().unwrap()), "{detail}");
    assert_eq!((listed(&s, &f).await, s.events().await), before);

    // The same URL on another channel is another subscriber.
    add(&s, &f, json!({"slack": "https://example.com/hook"})).await;
    add(&s, &f, json!({"webhook": "https://example.com/hook"})).await;
}

#[tokio::test]
async fn bad_bodies_are_refused_and_write_nothing() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    add(&s, &f, json!({"email": "ops@example.com"})).await;
    let before = (listed(&s, &f).await, s.events().await);
    let path = f.path("/subscribers");
    let post = |body: Value| s.post(&path, &s.responder, body);

    // Which channel is meant is the body's shape: none or several is refused, naming the keys.
    for body in [
        json!({"email": "a@example.com", "webhook": "https://example.com/h"}),
        json!({"components": []}),
        json!({}),
    ] {
        let got = post(body.clone()).await;
        got.assert_problem(422, "invalid-body");
        let detail = got.body["detail"].as_str().unwrap();
        for key in ["\"email\"", "\"webhook\"", "\"slack\"", "\"teams\""] {
            assert!(detail.contains(key), "{body}: {detail}");
        }
    }
    let got = post(json!({"email": "a@example.com", "slack": "https://example.com/s"})).await;
    let detail = got.body["detail"].as_str().unwrap();
    assert!(detail.ends_with("has email and slack"), "{detail}");

    let unknown = post(json!({"email": "a@example.com", "sms": "+15550100"})).await;
    unknown.assert_problem(422, "invalid-body");
    assert!(
        unknown.body["detail"].as_str().unwrap().contains("sms"),
        "{unknown:#?}"
    );
    let wrong_type = post(json!({"email": "a@example.com", "confirmed": "yes"})).await;
    wrong_type.assert_problem(422, "invalid-body");
    assert!(
        wrong_type.body["detail"]
            .as_str()
            .unwrap()
            .contains("confirmed")
    );
    post(json!({"webhook": "https://example.com/h", "format": "xml"}))
        .await
        .assert_problem(422, "invalid-body");

    // Well-formed, but refused by the rules: each names its field.
    for (body, field) in [
        (json!({"email": "not an address"}), "address"),
        (json!({"email": "ops@localhost"}), "address"),
        (json!({"webhook": "ftp://example.com/h"}), "address"),
        (json!({"slack": "hooks.slack.com/services/x"}), "address"),
        (
            json!({"slack": "https://hooks.slack.com/services/x", "format": "statuspage"}),
            "format",
        ),
    ] {
        let got = post(body.clone()).await;
        got.assert_problem(422, "invalid-field");
        assert_eq!(got.body["field"], field, "{body}: {got:#?}");
    }
    assert_eq!((listed(&s, &f).await, s.events().await), before);
}

#[tokio::test]
async fn viewers_may_not_see_subscribers_and_strangers_nothing() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let id = add(&s, &f, json!({"email": "ops@example.com"})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let incident = s.create_incident(&f, "API errors", 2).await;
    let before = (listed(&s, &f).await, s.events().await);
    let one = f.path(&format!("/subscribers/{id}"));
    let cases = [
        (Method::GET, f.path("/subscribers"), None),
        (
            Method::POST,
            f.path("/subscribers"),
            Some(json!({"email": "new@example.com"})),
        ),
        (Method::GET, one.clone(), None),
        (Method::PATCH, one.clone(), Some(json!({"components": []}))),
        (Method::DELETE, one.clone(), None),
        (Method::POST, format!("{one}/rotate-secret"), None),
        (Method::POST, format!("{one}/enable"), None),
    ];
    for (method, path, body) in &cases {
        let refused = s
            .call(method.clone(), path, Some(&s.viewer), body.as_ref())
            .await;
        refused.assert_problem(403, "forbidden");
        assert!(
            refused.body["detail"]
                .as_str()
                .unwrap()
                .contains("responder")
        );
        s.call(method.clone(), path, None, body.as_ref())
            .await
            .assert_problem(401, "unauthorized");
    }
    // The delivery report holds counts, not addresses: viewers may read it.
    let report = f.path(&format!("/incidents/{incident}/deliveries"));
    s.call(Method::GET, &report, None, None)
        .await
        .assert_problem(401, "unauthorized");
    assert!(s.get(&report, &s.viewer).await.ok(200).is_array());
    assert_eq!((listed(&s, &f).await, s.events().await), before);
}

#[tokio::test]
async fn subscribers_are_changed_rotated_and_removed_on_the_record() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let webhook = add(&s, &f, json!({"webhook": "https://example.com/hook"})).await;
    let id = webhook["id"].as_str().unwrap().to_string();
    let email = add(
        &s,
        &f,
        json!({"email": "ops@example.com", "confirmed": true}),
    )
    .await;
    let email_id = email["id"].as_str().unwrap().to_string();
    let path = f.path(&format!("/subscribers/{id}"));
    let start = s.last_event_id().await;

    s.advance_mins(5);
    let patched = s
        .patch(
            &path,
            &s.admin,
            json!({"components": [f.website], "format": "statuspage", "address": "https://example.com/v2"}),
        )
        .await
        .ok(200);
    assert_eq!(patched["components"], json!([f.website]));
    assert_eq!(patched["format"], "statuspage");
    assert_eq!(patched["address"], "https://example.com/v2");
    assert_eq!(patched["state"], "active");
    assert_eq!(ts(&patched["updated_at"]), s.now());
    assert_eq!(s.get(&path, &s.responder).await.ok(200), patched);
    // A new email address is its new owner's to confirm.
    let moved = s
        .patch(
            &f.path(&format!("/subscribers/{email_id}")),
            &s.responder,
            json!({"address": "noc@example.com"}),
        )
        .await
        .ok(200);
    assert_eq!(moved["state"], "pending");
    assert_eq!(moved["confirmed_at"], Value::Null);
    // Patches are checked like new subscribers.
    let bad = s
        .patch(&path, &s.responder, json!({"components": [GHOST]}))
        .await;
    bad.assert_problem(422, "invalid-field");
    s.patch(&path, &s.responder, json!({"secret": "mine"}))
        .await
        .assert_problem(422, "invalid-body");

    let rotated = s
        .post(&format!("{path}/rotate-secret"), &s.responder, json!({}))
        .await
        .ok(200);
    let new_secret = rotated["secret"].as_str().unwrap();
    assert!(new_secret.starts_with("whsec_"), "{rotated}");
    assert_ne!(new_secret, webhook["secret"].as_str().unwrap());
    assert_eq!(rotated["id"], json!(id));
    assert_eq!(rotated["address"], "https://example.com/v2");
    // Only webhooks sign.
    s.post(
        &f.path(&format!("/subscribers/{email_id}/rotate-secret")),
        &s.responder,
        json!({}),
    )
    .await
    .assert_problem(409, "conflict");
    // Enabling one that is not disabled changes nothing, and is not recorded.
    let enabled = s
        .post(&format!("{path}/enable"), &s.responder, json!({}))
        .await
        .ok(200);
    assert_eq!(enabled, patched);

    s.delete(&path, &s.admin).await.ok(204);
    s.get(&path, &s.responder)
        .await
        .assert_problem(404, "not-found");
    s.delete(&path, &s.admin)
        .await
        .assert_problem(404, "not-found");
    assert_eq!(ids(&listed(&s, &f).await), [email_id.as_str()]);

    let events = s
        .assert_events_after(
            start,
            &[
                ("subscriber.updated", s.admin.actor()),
                ("subscriber.updated", s.responder.actor()),
                ("subscriber.secret_rotated", s.responder.actor()),
                ("subscriber.deleted", s.admin.actor()),
            ],
        )
        .await;
    assert_eq!(events[0]["subject_id"], json!(id));
    assert_eq!(events[0]["before"]["address"], "https://example.com/hook");
    assert_eq!(events[0]["after"]["address"], "https://example.com/v2");
    assert_eq!(events[2]["subject_id"], json!(id));
    assert_eq!(events[3]["before"]["id"], json!(id));
    assert_eq!(events[3]["after"], Value::Null);
    assert!(!json!(events).to_string().contains(new_secret));
}

/// Addresses Herald will never deliver to are refused when they are given: literal private,
/// loopback and link-local addresses and names that resolve only to them, on every URL channel.
/// A name that does not resolve is accepted with a warning.
#[tokio::test]
async fn private_addresses_are_refused_when_a_subscriber_is_added() {
    let s = Server::start_configured(|c| c.delivery.allow_private_targets = false).await;
    let f = s.fixture("acme").await;
    let before = s.last_event_id().await;
    for body in [
        json!({"webhook": "http://127.0.0.1:9/hook"}),
        json!({"webhook": "https://localhost/hook"}),
        json!({"webhook": "http://[::1]:8080/"}),
        json!({"slack": "https://169.254.169.254/latest/meta-data"}),
        json!({"teams": "https://10.1.2.3/webhook"}),
    ] {
        let refused = s
            .post(&f.path("/subscribers"), &s.responder, body.clone())
            .await;
        refused.assert_problem(422, "invalid-field");
        let detail = refused.body["detail"].as_str().unwrap();
        assert!(detail.contains("allow_private_targets"), "{body}: {detail}");
    }
    assert!(s.events_after(before).await.is_empty(), "nothing was added");
    assert_eq!(listed(&s, &f).await, json!([]));

    let unresolved = add(&s, &f, json!({"webhook": "https://hooks.invalid/herald"})).await;
    let warning = unresolved["warnings"][0].as_str().unwrap();
    assert!(
        warning.contains("hooks.invalid does not resolve"),
        "{warning}"
    );

    // The operator may allow them, as for delivery.
    let open = Server::start_configured(|c| c.delivery.allow_private_targets = true).await;
    let g = open.fixture("acme").await;
    add(&open, &g, json!({"webhook": "http://127.0.0.1:9/hook"})).await;
}

/// Delivery to a loopback address is refused (private targets are not allowed here) even for
/// a subscriber that got past the check at adding (one added before it, or a name that
/// resolved elsewhere then): the report shows the webhook channel failed and why, the
/// subscriber is disabled until an admin re-enables it, and every later report says so.
#[tokio::test(flavor = "multi_thread")]
async fn the_delivery_report_shows_a_refused_webhook_and_the_subscriber_is_disabled() {
    let s = Server::start_configured(|c| c.delivery.allow_private_targets = false).await;
    let f = s.fixture("acme").await;
    let store = herald::server::open_store(s.data_dir()).unwrap();
    let new = herald_core::subscriber::NewSubscriber {
        channel: herald_core::subscriber::Channel::Webhook,
        address: "http://127.0.0.1:9/".into(),
        format: Default::default(),
        components: vec![],
        confirmed: true,
    };
    let hook = herald_store::Store::create_subscriber(&store, "test", "acme", new, s.now())
        .await
        .unwrap();
    let hook = json!({"id": hook.subscriber.id});
    let hook_path = f.path(&format!("/subscribers/{}", hook["id"].as_str().unwrap()));
    let incident = s.create_incident(&f, "API errors", 2).await;
    let report_path = f.path(&format!("/incidents/{incident}/deliveries"));

    let webhook_of = |report: &Value| -> Option<Value> {
        report[0]["channels"]
            .as_array()?
            .iter()
            .find(|c| c["channel"] == "webhook")
            .cloned()
    };
    let report = poll(&s, &report_path, &s.viewer, "the webhook fails", |r| {
        webhook_of(r).is_some_and(|c| c["status"] == "failed")
    })
    .await;
    assert_eq!(report.as_array().unwrap().len(), 1, "{report:#}");
    assert_eq!(report[0]["event"], "incident.created");
    assert_eq!(report[0]["subject_id"], json!(incident));
    let webhook = webhook_of(&report).unwrap();
    assert_eq!(webhook["matched"], 1, "{webhook:#}");
    assert_eq!(webhook["failed"], 1, "{webhook:#}");
    assert_eq!(webhook["delivered"], 0, "{webhook:#}");
    let error = webhook["last_error"].as_str().unwrap();
    assert!(error.contains("private address"), "{error}");
    let email = report[0]["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"] == "email")
        .cloned()
        .unwrap();
    assert_eq!(email["matched"], 0, "{email:#}");

    let disabled = poll(
        &s,
        &hook_path,
        &s.responder,
        "the subscriber is disabled",
        |sub| sub["state"] == "disabled",
    )
    .await;
    let reason = disabled["disabled_reason"].as_str().unwrap();
    assert!(reason.contains("private address"), "{reason}");

    // The next broadcast does not pretend the page has no webhook subscribers.
    let second = s.create_incident(&f, "Website errors", 3).await;
    let second_path = f.path(&format!("/incidents/{second}/deliveries"));
    let later = poll(&s, &second_path, &s.viewer, "the walk ends", |r| {
        r[0]["fanned_out"] == true
    })
    .await;
    let webhook = webhook_of(&later).unwrap();
    assert_eq!(
        (
            &webhook["status"],
            &webhook["disabled"],
            &webhook["matched"]
        ),
        (&json!("disabled"), &json!(1), &json!(0)),
        "{webhook:#}"
    );

    // An admin who has fixed the receiver turns it back on; that is on the record.
    let start = s.last_event_id().await;
    let enabled = s
        .post(&format!("{hook_path}/enable"), &s.admin, json!({}))
        .await
        .ok(200);
    assert_eq!(enabled["state"], "active");
    assert_eq!(enabled["disabled_reason"], Value::Null);
    s.assert_events_after(start, &[("subscriber.enabled", s.admin.actor())])
        .await;
}

#[tokio::test]
async fn delivery_reports_are_per_incident_and_window_and_404_for_strangers() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let incident = s.create_incident(&f, "API errors", 2).await;
    let window = s
        .post(
            &f.path("/maintenance"),
            &s.responder,
            json!({
                "title": "Upgrade",
                "details": "Writes pause.",
                "affected": [f.apac],
                "starts_at": plus_mins(s.now(), 60).to_string(),
                "ends_at": plus_mins(s.now(), 120).to_string(),
            }),
        )
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();

    let maintenance = s
        .get(
            &f.path(&format!("/maintenance/{window}/deliveries")),
            &s.viewer,
        )
        .await
        .ok(200);
    assert_eq!(maintenance.as_array().unwrap().len(), 1, "{maintenance:#}");
    assert_eq!(maintenance[0]["event"], "maintenance.scheduled");
    assert_eq!(maintenance[0]["subject_id"], json!(window));
    let incidents = s
        .get(
            &f.path(&format!("/incidents/{incident}/deliveries")),
            &s.viewer,
        )
        .await
        .ok(200);
    assert_eq!(incidents[0]["subject_id"], json!(incident));

    // An id of the other kind, or of nothing, is not found rather than an empty report.
    for path in [
        format!("/incidents/{window}/deliveries"),
        format!("/maintenance/{incident}/deliveries"),
        format!("/incidents/{GHOST}/deliveries"),
        format!("/maintenance/{GHOST}/deliveries"),
    ] {
        s.get(&f.path(&path), &s.viewer)
            .await
            .assert_problem(404, "not-found");
    }
    s.get(
        &format!("/api/v1/pages/nope/incidents/{incident}/deliveries"),
        &s.viewer,
    )
    .await
    .assert_problem(404, "not-found");
}

/// A call with Status.io's credentials: the token id as `x-api-id`, its secret as `x-api-key`.
async fn sio(s: &Server, method: Method, path: &str, tok: &Tok, body: Option<Value>) -> Resp {
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

/// Asserts Status.io's success envelope with this message and returns the whole body.
#[track_caller]
fn sio_ok(resp: Resp, message: &str) -> Value {
    assert_eq!(resp.status, 200, "{resp:#?}");
    assert_eq!(
        resp.body["status"],
        json!({"error": "no", "message": message}),
        "{resp:#?}"
    );
    resp.body
}

/// Asserts Status.io's error envelope with this HTTP status and returns its message.
#[track_caller]
fn sio_error(resp: &Resp, status: u16) -> String {
    assert_eq!(resp.status, status, "{resp:#?}");
    assert_eq!(resp.body["status"]["error"], "yes", "{resp:#?}");
    assert!(resp.body.get("result").is_none(), "{resp:#?}");
    resp.body["status"]["message"].as_str().unwrap().to_string()
}

/// The entry of `address` among the listed subscribers of `method`.
fn entry<'a>(list: &'a Value, method: &str, address: &str) -> &'a Value {
    list["result"][method]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["address"] == address)
        .unwrap_or_else(|| panic!("{address} is not among the {method} subscribers: {list:#}"))
}

#[tokio::test]
async fn subscribers_through_the_statusio_api() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let sp = f.page_id.clone();
    let list_path = format!("/v2/subscriber/list/{sp}");
    let start = s.last_event_id().await;

    // A silent add is trusted; granular pairs name components by one of their containers,
    // comma separated (with `-` or, as some clients write them, `_`).
    let added = sio_ok(
        sio(
            &s,
            Method::POST,
            "/v2/subscriber/add",
            &s.responder,
            Some(json!({
                "statuspage_id": sp,
                "method": "email",
                "address": "ops@example.com",
                "silent": "1",
                "granular": format!("{}-{}, {}_{}", f.api, f.apac, f.website, f.website_default),
            })),
        )
        .await,
        "OK",
    );
    assert_eq!(added["result"], true);
    assert!(is_id(&added["subscriber_id"]), "{added}");
    assert!(added.get("secret").is_none(), "{added}");
    let ops = added["subscriber_id"].as_str().unwrap().to_string();
    let admin_view = s
        .get(&f.path(&format!("/subscribers/{ops}")), &s.responder)
        .await
        .ok(200);
    assert_eq!(admin_view["state"], "active");
    assert_eq!(admin_view["components"], json!([f.api, f.website]));

    // Not silent: the owner confirms. Granular as an array works too.
    let hook = sio_ok(
        sio(
            &s,
            Method::POST,
            "/v2/subscriber/add",
            &s.responder,
            Some(json!({
                "statuspage_id": sp,
                "method": "webhook",
                "address": "https://example.com/statusio",
                "silent": 0,
                "granular": [format!("{}-{}", f.api, f.us_east)],
            })),
        )
        .await,
        "OK",
    );
    assert!(
        hook["secret"].as_str().unwrap().starts_with("whsec_"),
        "{hook}"
    );
    let pending = sio_ok(
        sio(
            &s,
            Method::POST,
            "/v2/subscriber/add",
            &s.responder,
            Some(json!({
                "statuspage_id": sp, "meth": "email", "address": "new@example.com", "silent": "0",
            })),
        )
        .await,
        "OK",
    );
    // Slack has no Status.io method: it stays out of the list.
    add(
        &s,
        &f,
        json!({"slack": "https://hooks.slack.com/services/x"}),
    )
    .await;

    let list = sio_ok(
        sio(&s, Method::GET, &list_path, &s.responder, None).await,
        "OK",
    );
    let result = list["result"].as_object().unwrap();
    let mut methods: Vec<&String> = result.keys().collect();
    methods.sort();
    assert_eq!(methods, ["email", "sms", "webhook"]);
    assert_eq!(list["result"]["sms"], json!([]));
    assert_eq!(list["result"]["email"].as_array().unwrap().len(), 2);
    assert_eq!(list["result"]["webhook"].as_array().unwrap().len(), 1);
    let e = entry(&list, "email", "ops@example.com");
    assert_eq!(e["_id"], json!(ops));
    assert_eq!(e["confirmed"], true);
    assert_eq!(e["method"], "email");
    assert_eq!(e["statuspage"], json!(sp));
    assert_eq!(
        e["granular"],
        json!([
            format!("{}-{}", f.api, f.us_east),
            format!("{}-{}", f.api, f.apac),
            format!("{}-{}", f.website, f.website_default),
        ])
    );
    let w = entry(&list, "webhook", "https://example.com/statusio");
    assert_eq!(w["_id"], hook["subscriber_id"]);
    assert_eq!(w["confirmed"], true);
    assert_eq!(
        w["granular"],
        json!([
            format!("{}-{}", f.api, f.us_east),
            format!("{}-{}", f.api, f.apac),
        ])
    );
    let n = entry(&list, "email", "new@example.com");
    assert_eq!(n["_id"], pending["subscriber_id"]);
    assert_eq!(n["confirmed"], false);
    assert_eq!(n["granular"], json!([]));

    // Update: the address and the components; an empty granular keeps them.
    let updated = sio_ok(
        sio(
            &s,
            Method::PATCH,
            "/v2/subscriber/update",
            &s.responder,
            Some(json!({
                "statuspage_id": sp,
                "subscriber_id": ops,
                "address": "noc@example.com",
                "granular": format!("{}-{}", f.website, f.website_default),
            })),
        )
        .await,
        "Successfully updated subscriber",
    );
    assert_eq!(updated["result"]["_id"], json!(ops));
    assert_eq!(updated["result"]["address"], "noc@example.com");
    assert_eq!(
        updated["result"]["granular"],
        json!([format!("{}-{}", f.website, f.website_default)])
    );
    let kept = sio_ok(
        sio(
            &s,
            Method::PATCH,
            "/v2/subscriber/update",
            &s.responder,
            Some(json!({
                "statuspage_id": sp, "subscriber_id": ops, "granular": "",
            })),
        )
        .await,
        "Successfully updated subscriber",
    );
    assert_eq!(kept["result"]["granular"], updated["result"]["granular"]);
    assert_eq!(kept["result"]["address"], "noc@example.com");

    let removed = sio_ok(
        sio(
            &s,
            Method::DELETE,
            &format!("/v2/subscriber/remove/{sp}/{ops}"),
            &s.responder,
            None,
        )
        .await,
        "Successfully deleted subscriber",
    );
    assert_eq!(removed["result"], true);
    let list = sio_ok(
        sio(&s, Method::GET, &list_path, &s.responder, None).await,
        "OK",
    );
    assert_eq!(list["result"]["email"].as_array().unwrap().len(), 1);
    assert_eq!(list["result"]["email"][0]["_id"], pending["subscriber_id"]);

    let r = s.responder.actor();
    s.assert_events_after(
        start,
        &[
            ("subscriber.created", r.clone()),
            ("subscriber.created", r.clone()),
            ("subscriber.created", r.clone()),
            ("subscriber.created", r.clone()),
            ("subscriber.updated", r.clone()),
            ("subscriber.updated", r.clone()),
            ("subscriber.deleted", r),
        ],
    )
    .await;
}

#[tokio::test]
async fn statusio_subscriber_calls_refuse_sms_bad_pairs_and_viewers() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let sp = f.page_id.clone();
    let ops = add(&s, &f, json!({"email": "ops@example.com"})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let before = (listed(&s, &f).await, s.events().await);
    let add_with = |changes: Value| {
        let mut body =
            json!({"statuspage_id": sp, "method": "email", "address": "new@example.com"});
        for (k, v) in changes.as_object().unwrap() {
            body[k] = v.clone();
        }
        sio(
            &s,
            Method::POST,
            "/v2/subscriber/add",
            &s.responder,
            Some(body),
        )
    };

    let message = sio_error(
        &add_with(json!({"method": "sms", "address": "+15550100"})).await,
        400,
    );
    assert!(message.contains("Herald does not deliver SMS"), "{message}");
    let message = sio_error(&add_with(json!({"method": "pigeon"})).await, 400);
    assert!(message.contains("pigeon"), "{message}");
    // A container of another component, an unknown component, no separator.
    let message = sio_error(
        &add_with(json!({"granular": format!("{}-{}", f.website, f.us_east)})).await,
        400,
    );
    assert!(message.contains("has no container"), "{message}");
    sio_error(
        &add_with(json!({"granular": format!("{GHOST}-{}", f.us_east)})).await,
        400,
    );
    sio_error(&add_with(json!({"granular": "nohyphen"})).await, 400);
    sio_error(&add_with(json!({"granular": 42})).await, 422);
    sio_error(&add_with(json!({"silent": "maybe"})).await, 422);
    // The rules and the uniqueness of an address still apply.
    sio_error(&add_with(json!({"address": "not an address"})).await, 422);
    sio_error(&add_with(json!({"address": "ops@example.com"})).await, 409);
    sio_error(&add_with(json!({"statuspage_id": "nope"})).await, 404);

    let update = |body: Value| {
        sio(
            &s,
            Method::PATCH,
            "/v2/subscriber/update",
            &s.responder,
            Some(body),
        )
    };
    sio_error(
        &update(json!({"statuspage_id": sp, "subscriber_id": ops, "granular": [format!("{}-{}", f.api, f.website_default)]})).await,
        400,
    );
    sio_error(
        &update(json!({"statuspage_id": sp, "subscriber_id": GHOST, "address": "x@example.com"}))
            .await,
        404,
    );
    sio_error(
        &sio(
            &s,
            Method::DELETE,
            &format!("/v2/subscriber/remove/{sp}/{GHOST}"),
            &s.responder,
            None,
        )
        .await,
        404,
    );

    // Addresses are for responders, as on the admin API.
    let list = format!("/v2/subscriber/list/{sp}");
    let message = sio_error(&sio(&s, Method::GET, &list, &s.viewer, None).await, 403);
    assert!(message.contains("responder"), "{message}");
    sio_error(
        &sio(
            &s,
            Method::DELETE,
            &format!("/v2/subscriber/remove/{sp}/{ops}"),
            &s.viewer,
            None,
        )
        .await,
        403,
    );
    let anonymous = common::send(s.client.get(s.url(&list))).await;
    sio_error(&anonymous, 401);
    sio_error(
        &sio(
            &s,
            Method::GET,
            "/v2/subscriber/list/nope",
            &s.responder,
            None,
        )
        .await,
        404,
    );

    assert_eq!((listed(&s, &f).await, s.events().await), before);
}
