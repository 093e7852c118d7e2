//! Broadcast delivery end to end: a running server, real HTTP receivers on 127.0.0.1, a real
//! SMTP server (aiosmtpd), and the official verifiers and parsers of each channel.
mod common;

use std::path::Path;
use std::time::Duration;

use common::receiver::{Received, Receiver};
use common::*;
use herald_core::subscriber::{Channel, NewSubscriber, SubscriberState, WebhookFormat};
use herald_store::{CreatedSubscriber, DeliveryReport, Store};
use serde_json::{Value, json};

/// Receivers in these tests listen on loopback, which is refused unless allowed.
async fn server() -> Server {
    Server::start_configured(|c| {
        c.delivery.allow_private_targets = true;
        c.delivery.timeout_secs = 3;
    })
    .await
}

fn new(channel: Channel, address: &str) -> NewSubscriber {
    NewSubscriber {
        channel,
        address: address.into(),
        format: WebhookFormat::Herald,
        components: vec![],
        confirmed: true,
    }
}

/// Adds a subscriber through the store, as an operator's trusted add.
async fn subscribe(s: &Server, f: &Fixture, new: NewSubscriber) -> CreatedSubscriber {
    let store = herald::server::open_store(s.data_dir()).unwrap();
    store
        .create_subscriber("test", &f.slug, new, s.now())
        .await
        .expect("the subscriber is added")
}

async fn report(s: &Server, f: &Fixture, incident: &str) -> Vec<DeliveryReport> {
    let store = herald::server::open_store(s.data_dir()).unwrap();
    store.delivery_report(&f.slug, incident).await.unwrap()
}

/// Waits (up to `secs`) until the incident's delivery report satisfies `done`.
async fn report_when(
    s: &Server,
    f: &Fixture,
    incident: &str,
    secs: u64,
    done: impl Fn(&[DeliveryReport]) -> bool,
) -> Vec<DeliveryReport> {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let now = report(s, f, incident).await;
        if done(&now) {
            return now;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the delivery report did not get there within {secs} s: {now:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn channel(r: &DeliveryReport, c: Channel) -> &herald_store::ChannelReport {
    r.channels
        .iter()
        .find(|x| x.channel == c)
        .expect("the channel is in the report")
}

fn write_json(dir: &Path, name: &str, value: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, value.to_string()).unwrap();
    path.to_string_lossy().into_owned()
}

const HOSTILE: &str = "API <script>alert(1)</script> & <!channel> errors";

#[tokio::test(flavor = "multi_thread")]
async fn webhooks_slack_and_teams_get_each_update_in_their_documented_shapes() {
    let s = server().await;
    let f = s.fixture("acme").await;
    let rx = Receiver::start().await;
    let herald = subscribe(&s, &f, new(Channel::Webhook, &rx.url("/ok/herald"))).await;
    let statuspage = subscribe(
        &s,
        &f,
        NewSubscriber {
            format: WebhookFormat::Statuspage,
            ..new(Channel::Webhook, &rx.url("/ok/statuspage"))
        },
    )
    .await;
    subscribe(&s, &f, new(Channel::Slack, &rx.url("/ok/slack"))).await;
    subscribe(&s, &f, new(Channel::Teams, &rx.url("/ok/teams"))).await;
    // Limited to the website: an API incident is none of its business.
    let website_only = NewSubscriber {
        components: vec![f.website.clone()],
        ..new(Channel::Webhook, &rx.url("/ok/website"))
    };
    subscribe(&s, &f, website_only).await;

    let mut incident = f.new_incident(HOSTILE, 2);
    incident["details"] =
        json!("Errors on **checkout**. See [the issue](https://example.com/i/1).");
    let created = s
        .post(&f.path("/incidents"), &s.responder, incident)
        .await
        .ok(201);
    let id = created["id"].as_str().unwrap().to_string();
    rx.until(10, "the first update reaches the four", |all| {
        all.len() >= 4
    })
    .await;
    let update = json!({"state": "identified", "details": "A bad deploy; rolling back."});
    s.post(
        &f.path(&format!("/incidents/{id}/updates")),
        &s.responder,
        update,
    )
    .await
    .ok(201);
    rx.until(10, "the second update reaches the four", |all| {
        all.len() >= 8
    })
    .await;
    // Everything was delivered (the report says so) before anything went to the website-only
    // subscriber: it never does.
    let reports = report_when(&s, &f, &id, 10, |r| {
        r.len() == 2 && r.iter().all(|b| b.fanned_out)
    })
    .await;
    assert!(
        rx.at("/ok/website").is_empty(),
        "{:?}",
        rx.at("/ok/website")
    );

    // Standard Webhooks, checked by the official library; a tampered delivery is rejected.
    let dir = tempfile::tempdir().unwrap();
    let signed: Vec<Value> = [("/ok/herald", &herald), ("/ok/statuspage", &statuspage)]
        .iter()
        .flat_map(|(path, sub)| {
            rx.at(path).into_iter().map(|r| {
                json!({
                    "secret": sub.secret.as_deref().unwrap(),
                    "headers": r.headers,
                    "body": String::from_utf8(r.body.clone()).unwrap(),
                })
            })
        })
        .collect();
    assert_eq!(signed.len(), 4);
    let checked = python_json(
        "webhooks_verify.py",
        vec![write_json(dir.path(), "webhooks.json", &json!(signed))],
    )
    .await;
    for c in checked.as_array().unwrap() {
        assert_eq!(c["verified"], true, "{c}");
        assert_eq!(c["tampered_body_rejected"], true, "{c}");
        assert_eq!(c["forged_signature_rejected"], true, "{c}");
    }
    let types: Vec<&Value> = checked
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["type"])
        .collect();
    assert_eq!(
        types[..2],
        [&json!("incident.created"), &json!("incident.updated")]
    );

    // Herald's payload.
    let first = rx.at("/ok/herald")[0].json();
    assert_eq!(first["data"]["incident"]["id"], json!(id));
    assert_eq!(first["data"]["incident"]["title"], json!(HOSTILE));
    assert_eq!(first["data"]["page"]["id"], json!(f.page_id));
    // One id per broadcast and subscriber.
    let ids: Vec<String> = rx
        .all()
        .iter()
        .map(|r| r.header("webhook-id").to_string())
        .collect();
    let webhook_ids: Vec<&String> = ids.iter().filter(|i| !i.is_empty()).collect();
    let mut distinct = webhook_ids.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), webhook_ids.len(), "{ids:?}");

    // Statuspage's webhook shape, so its receivers work unchanged.
    let sp = rx.at("/ok/statuspage")[1].json();
    assert!(
        sp["meta"]["unsubscribe"]
            .as_str()
            .unwrap()
            .contains("/subscription/unsubscribe?token="),
        "{sp}"
    );
    assert_eq!(sp["page"]["id"], json!(f.page_id));
    // One of two components partly down: Atlassian's roll-up reads "minor".
    assert_eq!(sp["page"]["status_indicator"], json!("minor"), "{sp}");
    assert_eq!(sp["incident"]["id"], json!(id));
    assert_eq!(sp["incident"]["name"], json!(HOSTILE));
    assert_eq!(sp["incident"]["status"], json!("identified"));
    assert_eq!(
        sp["incident"]["incident_updates"][0]["body"],
        json!("A bad deploy; rolling back.")
    );

    // Slack: Block Kit as slack_sdk's models read it; nothing can ping the channel.
    let slack: Vec<Value> = rx.at("/ok/slack").iter().map(Received::json).collect();
    let raw = serde_json::to_string(&slack).unwrap();
    assert!(
        !raw.contains("<!channel>") && !raw.contains("<script>"),
        "{raw}"
    );
    let blocks = python_json(
        "slack_blocks.py",
        vec![write_json(dir.path(), "slack.json", &json!(slack))],
    )
    .await;
    for b in blocks.as_array().unwrap() {
        assert_eq!(b["round_trip"], true, "{b}");
        assert_eq!(b["types"][0], json!("header"), "{b}");
    }

    // Teams: an Adaptive Card Microsoft's own library parses and validates cleanly.
    let teams: Vec<Value> = rx.at("/ok/teams").iter().map(Received::json).collect();
    let path = write_json(dir.path(), "teams.json", &json!(teams));
    let cards: Value = serde_json::from_str(&node("teams_card.mjs", &[&path])).unwrap();
    for card in cards.as_array().unwrap() {
        assert_eq!(
            card["contentType"],
            json!("application/vnd.microsoft.card.adaptive")
        );
        assert_eq!(card["parseErrors"], json!([]), "{card}");
        assert_eq!(card["failures"], json!([]), "{card}");
        assert!(card["elements"].as_u64().unwrap() >= 2, "{card}");
        assert_eq!(card["actions"], json!(1), "{card}");
        assert_eq!(card["rendered"], json!(true), "{card}");
    }

    // The report: per update, per channel.
    for r in &reports {
        let webhook = channel(r, Channel::Webhook);
        assert_eq!(
            (webhook.status.as_str(), webhook.delivered),
            ("delivered", 2),
            "{r:#?}"
        );
        assert_eq!(channel(r, Channel::Slack).delivered, 1);
        assert_eq!(channel(r, Channel::Teams).delivered, 1);
        assert_eq!(channel(r, Channel::Email).status, "no_subscribers");
        let social = r.skipped.iter().find(|x| x.channel == "social").unwrap();
        assert!(social.reason.contains("no social account"), "{social:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn failing_receivers_are_retried_slowed_or_disabled_and_the_others_are_unaffected() {
    let s = server().await;
    let f = s.fixture("acme").await;
    let rx = Receiver::start().await;
    let mut ids = std::collections::HashMap::new();
    for path in ["/ok/a", "/fail/b", "/gone/c", "/busy/d", "/hang/e", "/ok/f"] {
        let sub = subscribe(&s, &f, new(Channel::Webhook, &rx.url(path))).await;
        ids.insert(path, sub.subscriber.id);
    }
    let incident = s.create_incident(&f, "Errors", 2).await;

    // The healthy ones are delivered while one receiver still hangs.
    rx.until(10, "every receiver is tried once", |all| all.len() >= 6)
        .await;
    let r = report_when(&s, &f, &incident, 10, |r| {
        channel(&r[0], Channel::Webhook).delivered == 2
    })
    .await;
    assert_eq!(
        rx.at("/hang/e").len(),
        1,
        "the hanging request is still open"
    );
    assert_eq!(
        channel(&r[0], Channel::Webhook).queued,
        1,
        "the batch was recorded without waiting for the hanging receiver: {r:#?}"
    );

    // 410 Gone: failed for good, the subscriber disabled, and the audit log says why.
    let r = report_when(&s, &f, &incident, 10, |r| {
        let w = channel(&r[0], Channel::Webhook);
        w.failed == 1 && w.retrying == 3
    })
    .await;
    let w = channel(&r[0], Channel::Webhook);
    assert_eq!(w.status, "failed", "the worst news first: {w:?}");
    let store = herald::server::open_store(s.data_dir()).unwrap();
    let gone = store.subscriber(None, &ids["/gone/c"]).await.unwrap();
    assert_eq!(gone.state, SubscriberState::Disabled);
    assert!(gone.disabled_reason.unwrap().contains("410"));
    let disabled: Vec<Value> = s
        .events()
        .await
        .into_iter()
        .filter(|e| e["kind"] == "subscriber.disabled")
        .collect();
    assert_eq!(disabled.len(), 1);
    assert_eq!(disabled[0]["actor"], json!("system"));

    // The hanging receiver timed out last; its retry is booked like the 500's.
    let hang_error = w.last_error.clone().unwrap_or_default();
    assert!(
        hang_error.contains("did not answer within 3 s"),
        "{hang_error}"
    );

    // A minute on, the 500 and the hang are tried again; the 429 asked for two minutes.
    s.advance_mins(1);
    rx.until(10, "the 500 is retried", |_| rx.at("/fail/b").len() == 2)
        .await;
    rx.until(10, "the hang is retried", |_| rx.at("/hang/e").len() == 2)
        .await;
    assert_eq!(rx.at("/busy/d").len(), 1, "Retry-After: 120 is honoured");
    s.advance_mins(2);
    rx.until(10, "the 429 is retried after its wait", |_| {
        rx.at("/busy/d").len() == 2
    })
    .await;
    let r = report_when(&s, &f, &incident, 10, |r| {
        channel(&r[0], Channel::Webhook).delivered == 3
    })
    .await;
    let w = channel(&r[0], Channel::Webhook);
    assert_eq!((w.delivered, w.failed, w.matched), (3, 1, 6), "{w:?}");

    // Retries carry the first attempt's id, so the receiver can drop duplicates.
    let fails = rx.at("/fail/b");
    assert_eq!(fails[0].header("webhook-id"), fails[1].header("webhook-id"));
    assert_ne!(fails[0].header("webhook-timestamp"), "");
    // Nobody healthy got anything twice.
    assert_eq!(rx.at("/ok/a").len(), 1);
    assert_eq!(rx.at("/ok/f").len(), 1);
    assert_eq!(
        rx.at("/gone/c").len(),
        1,
        "a disabled endpoint is not tried again"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delivery_in_a_later_fan_out_ends_a_failure_streak() {
    let s = server().await;
    let f = s.fixture("acme").await;
    // Nothing listens on the address yet: the first delivery is refused.
    let address = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let sub = subscribe(
        &s,
        &f,
        new(Channel::Webhook, &format!("http://{address}/ok/back")),
    )
    .await;
    let incident = s.create_incident(&f, "Errors", 2).await;
    report_when(&s, &f, &incident, 10, |r| {
        channel(&r[0], Channel::Webhook).retrying == 1
    })
    .await;
    let store = herald::server::open_store(s.data_dir()).unwrap();
    let failing = store.subscriber(None, &sub.subscriber.id).await.unwrap();
    assert_eq!(failing.failing_since, Some(s.now()), "the streak began");

    // The receiver is back before the retry is due; the next update's fan-out reaches it.
    let rx = Receiver::start_on(&address.to_string()).await;
    let update = json!({"state": "identified", "details": "Found it."});
    let path = f.path(&format!("/incidents/{incident}/updates"));
    s.post(&path, &s.responder, update).await.ok(201);
    rx.until(10, "the update is delivered", |_| {
        rx.at("/ok/back").len() == 1
    })
    .await;
    report_when(&s, &f, &incident, 10, |r| {
        r.len() == 2
            && r.iter()
                .any(|b| channel(b, Channel::Webhook).delivered == 1)
    })
    .await;
    let back = store.subscriber(None, &sub.subscriber.id).await.unwrap();
    assert_eq!(back.failing_since, None, "a delivery ends the streak");
}

#[tokio::test(flavor = "multi_thread")]
async fn deliveries_waiting_for_a_slot_are_not_started_but_left_for_the_next_batch() {
    // One request at a time, and the first subscriber never answers: the others wait for the
    // slot it holds until it times out (3 s), longer than a batch's patience (2 s).
    let s = Server::start_configured(|c| {
        c.delivery.allow_private_targets = true;
        c.delivery.timeout_secs = 3;
        c.delivery.concurrency = 1;
    })
    .await;
    let f = s.fixture("acme").await;
    let rx = Receiver::start().await;
    for path in ["/hang/a", "/ok/b", "/ok/c"] {
        subscribe(&s, &f, new(Channel::Webhook, &rx.url(path))).await;
    }
    let incident = s.create_incident(&f, "Errors", 2).await;

    // The batch is cut after the hanging one: only it is booked (handed off), and the others
    // are not queued behind it in memory.
    let r = report_when(&s, &f, &incident, 10, |r| {
        channel(&r[0], Channel::Webhook).matched >= 1
    })
    .await;
    let w = channel(&r[0], Channel::Webhook);
    assert_eq!((w.matched, w.queued), (1, 1), "{r:#?}");
    assert!(rx.at("/ok/b").is_empty() && rx.at("/ok/c").is_empty());

    // Once the hang times out, the walk goes on from it and reaches the others once each.
    let r = report_when(&s, &f, &incident, 10, |r| {
        let w = channel(&r[0], Channel::Webhook);
        w.delivered == 2 && w.retrying == 1
    })
    .await;
    assert_eq!(channel(&r[0], Channel::Webhook).matched, 3);
    assert!(r[0].fanned_out);
    assert_eq!((rx.at("/ok/b").len(), rx.at("/ok/c").len()), (1, 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_next_batch_goes_out_while_a_slow_receiver_of_the_one_before_still_answers() {
    let s = server().await;
    let f = s.fixture("acme").await;
    let rx = Receiver::start().await;
    // Ids are time-ordered: the first subscriber heads the walk's first batch of 500.
    subscribe(&s, &f, new(Channel::Webhook, &rx.url("/pause/first"))).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let mut ids = Vec::new();
    for i in 0..599 {
        let path = format!("/ok/{i}");
        let created = subscribe(&s, &f, new(Channel::Webhook, &rx.url(&path))).await;
        ids.push((created.subscriber.id, path));
    }
    ids.sort();
    s.create_incident(&f, "Errors", 2).await;

    rx.until(30, "every subscriber is reached", |all| all.len() == 600)
        .await;
    // The second batch (the last 100 ids) did not wait for the first batch's slow answer.
    let all = rx.all();
    let paused = &rx.at("/pause/first")[0];
    let answered = paused.at + common::receiver::PAUSE;
    let second: Vec<&Received> = ids[499..]
        .iter()
        .map(|(_, path)| all.iter().find(|r| &r.path == path).unwrap())
        .collect();
    assert_eq!(second.len(), 100);
    let late = second.iter().filter(|r| r.at >= answered).count();
    assert_eq!(late, 0, "{late} of the second batch waited for the first");
}

#[tokio::test(flavor = "multi_thread")]
async fn private_addresses_are_refused_unless_allowed() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let rx = Receiver::start().await;
    let sub = subscribe(&s, &f, new(Channel::Webhook, &rx.url("/ok/x"))).await;
    let incident = s.create_incident(&f, "Errors", 2).await;
    let r = report_when(&s, &f, &incident, 10, |r| {
        channel(&r[0], Channel::Webhook).failed == 1
    })
    .await;
    let error = channel(&r[0], Channel::Webhook).last_error.clone().unwrap();
    assert!(error.contains("allow_private_targets"), "{error}");
    assert!(rx.all().is_empty(), "nothing reached the loopback receiver");
    let store = herald::server::open_store(s.data_dir()).unwrap();
    let refused = store.subscriber(None, &sub.subscriber.id).await.unwrap();
    assert_eq!(refused.state, SubscriberState::Disabled);
}

/// aiosmtpd on a free port of 127.0.0.1, writing what it receives into a directory; killed
/// when dropped.
struct SmtpSink {
    port: u16,
    dir: tempfile::TempDir,
    child: std::process::Child,
}

impl SmtpSink {
    fn start(reject: &str) -> SmtpSink {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop/smtp_sink.py");
        let mut child = std::process::Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(dir.path())
            .env("REJECT", reject)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 runs aiosmtpd (.ci/run installs it)");
        let mut ready = String::new();
        use std::io::BufRead;
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut ready)
            .unwrap();
        assert_eq!(ready.trim(), "ready", "aiosmtpd started");
        SmtpSink { port, dir, child }
    }

    fn messages(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path().to_string_lossy().into_owned())
            .filter(|p| p.ends_with(".eml"))
            .collect();
        names.sort();
        names
    }

    async fn until(&self, count: usize) -> Value {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while self.messages().len() < count {
            assert!(
                std::time::Instant::now() < deadline,
                "the SMTP server got {} messages, not {count}",
                self.messages().len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        python_json("mail_check.py", self.messages()).await
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn email_goes_through_a_real_smtp_server_after_double_opt_in() {
    let sink = SmtpSink::start("bounce@example.com");
    let port = sink.port;
    let s = Server::start_configured(|c| {
        c.smtp.url = Some(format!("smtp://127.0.0.1:{port}"));
        c.smtp.from = "Acme Status <status@example.com>".into();
    })
    .await;
    let f = s.fixture("acme").await;
    let store = herald::server::open_store(s.data_dir()).unwrap();
    let asked = store
        .request_subscription(&f.slug, "ada@example.com".into(), vec![], s.now())
        .await
        .unwrap();
    let herald_store::SubscribeRequest::Created(ada) = asked else {
        panic!("a new subscriber: {asked:?}")
    };

    // The confirmation, and nothing else until it is clicked.
    let mails = sink.until(1).await;
    let confirm = &mails[0];
    assert_eq!(confirm["to"], json!("ada@example.com"));
    assert!(
        confirm["subject"].as_str().unwrap().contains("Confirm"),
        "{confirm}"
    );
    let text = confirm["text"].as_str().unwrap();
    assert!(
        text.contains("/p/acme/subscription/confirm?token="),
        "{text}"
    );
    assert_eq!(confirm["defects"], json!([]));
    let first = s.create_incident(&f, HOSTILE, 2).await;
    report_when(&s, &f, &first, 10, |r| r[0].fanned_out).await;
    assert_eq!(
        channel(&report(&s, &f, &first).await[0], Channel::Email).status,
        "no_subscribers",
        "a pending address gets nothing"
    );
    assert_eq!(sink.messages().len(), 1);

    store.confirm_subscriber(&ada.id, s.now()).await.unwrap();
    subscribe(&s, &f, new(Channel::Email, "bounce@example.com")).await;
    let update = json!({"state": "identified", "details": "**Rolled back** <b>the</b> deploy."});
    s.post(
        &f.path(&format!("/incidents/{first}/updates")),
        &s.responder,
        update,
    )
    .await
    .ok(201);
    let mails = sink.until(2).await;
    let mail = &mails[1];
    assert_eq!(mail["from"], json!("Acme Status <status@example.com>"));
    assert_eq!(mail["content_type"], json!("multipart/alternative"));
    assert_eq!(mail["parts"], json!(["text/plain", "text/html"]));
    let unsubscribe = mail["list_unsubscribe"].as_str().unwrap();
    assert!(
        unsubscribe.starts_with(&format!(
            "<{}/p/acme/subscription/unsubscribe?token=",
            s.base
        )),
        "{unsubscribe}"
    );
    assert_eq!(
        mail["list_unsubscribe_post"],
        json!("List-Unsubscribe=One-Click")
    );
    let html = mail["html"].as_str().unwrap();
    assert!(html.contains("&lt;script&gt;"), "escaped: {html}");
    assert!(
        !html.contains("<script>") && !html.contains("<b>the</b>"),
        "{html}"
    );
    assert!(html.contains("<strong>Rolled back</strong>"), "{html}");
    assert!(mail["text"].as_str().unwrap().contains("Rolled back"));
    assert!(
        mail["message_id"].as_str().unwrap().contains(&ada.id),
        "a stable id per delivery: {mail}"
    );
    assert_eq!(mail["defects"], json!([]));

    // The server refused the other address for good: failed, and that subscriber disabled.
    let r = report_when(&s, &f, &first, 10, |r| {
        r.len() == 2 && channel(&r[1], Channel::Email).failed == 1
    })
    .await;
    let email = channel(&r[1], Channel::Email);
    assert_eq!((email.delivered, email.failed), (1, 1), "{email:?}");
    assert!(
        email.last_error.as_deref().unwrap().contains("550"),
        "{email:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rotated_secret_signs_beside_the_old_one_and_admins_hear_of_a_disabled_endpoint() {
    let s = server().await;
    let f = s.fixture("acme").await;
    let settings = json!({"settings": {"admin_emails": ["oncall@example.com"]}});
    s.patch(&f.path(""), &s.admin, settings).await.ok(200);
    let rx = Receiver::start().await;
    let hook = subscribe(&s, &f, new(Channel::Webhook, &rx.url("/ok/rotating"))).await;
    let gone = subscribe(&s, &f, new(Channel::Webhook, &rx.url("/gone/old"))).await;
    let store = herald::server::open_store(s.data_dir()).unwrap();
    let rotated = store
        .rotate_subscriber_secret("test", &f.slug, &hook.subscriber.id, s.now())
        .await
        .unwrap();
    let (old, new_secret) = (hook.secret.unwrap(), rotated.secret.unwrap());
    assert_ne!(old, new_secret);

    s.create_incident(&f, "Errors", 2).await;
    rx.until(10, "the delivery", |_| rx.at("/ok/rotating").len() == 1)
        .await;
    let delivery = &rx.at("/ok/rotating")[0];
    assert_eq!(delivery.header("webhook-signature").split(' ').count(), 2);
    let body = String::from_utf8(delivery.body.clone()).unwrap();
    let both: Vec<Value> = [&old, &new_secret]
        .iter()
        .map(|secret| json!({"secret": secret, "headers": delivery.headers, "body": body}))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let checked = python_json(
        "webhooks_verify.py",
        vec![write_json(dir.path(), "rotation.json", &json!(both))],
    )
    .await;
    for c in checked.as_array().unwrap() {
        assert_eq!(c["verified"], true, "either secret verifies: {c}");
    }

    // The page's admins get an email naming the endpoint and the reason (written to the
    // spool here: no SMTP server is configured).
    let spool = s.data_dir().join("mail");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let notice = loop {
        let found = std::fs::read_dir(&spool)
            .into_iter()
            .flatten()
            .find_map(|e| {
                let text = std::fs::read_to_string(e.ok()?.path()).ok()?;
                text.contains("oncall@example.com").then_some(text)
            });
        if let Some(text) = found {
            break text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no notice in {spool:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(notice.contains(&gone.subscriber.address), "{notice}");
    assert!(notice.contains("410"), "{notice}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_update_goes_only_to_the_channels_chosen_for_it() {
    let s = server().await;
    let f = s.fixture("acme").await;
    let rx = Receiver::start().await;
    subscribe(&s, &f, new(Channel::Webhook, &rx.url("/ok/hook"))).await;
    subscribe(&s, &f, new(Channel::Slack, &rx.url("/ok/slack"))).await;
    let incident = s.create_incident(&f, "Errors", 2).await;
    rx.until(10, "the first update on both", |all| all.len() == 2)
        .await;
    let update =
        json!({"state": "identified", "details": "Found it.", "channels": {"webhook": false}});
    s.post(
        &f.path(&format!("/incidents/{incident}/updates")),
        &s.responder,
        update,
    )
    .await
    .ok(201);
    let r = report_when(&s, &f, &incident, 10, |r| {
        r.len() == 2 && r[1].fanned_out && channel(&r[1], Channel::Slack).delivered == 1
    })
    .await;
    let chosen: Vec<Channel> = r[1].channels.iter().map(|c| c.channel).collect();
    assert_eq!(chosen, [Channel::Email, Channel::Slack, Channel::Teams]);
    assert_eq!(rx.at("/ok/slack").len(), 2);
    assert_eq!(rx.at("/ok/hook").len(), 1, "the webhook was not chosen");
}

/// Every recipient's outcome is kept, successes too, and listed failures first a page at a
/// time: the given-up one (its subscriber disabled), the retrying one with its attempts and
/// next try, then the delivered ones. Bad requests for the list are refused.
#[tokio::test(flavor = "multi_thread")]
async fn each_recipient_of_a_broadcast_is_listed_with_its_outcome_failures_first() {
    let s = server().await;
    let f = s.fixture("acme").await;
    let rx = Receiver::start().await;
    let mut ids = Vec::new();
    for path in ["/ok/a", "/fail/b", "/gone/c", "/ok/d"] {
        ids.push(
            subscribe(&s, &f, new(Channel::Webhook, &rx.url(path)))
                .await
                .subscriber
                .id,
        );
    }
    let incident = s.create_incident(&f, "Errors", 2).await;
    let r = report_when(&s, &f, &incident, 10, |r| {
        let w = channel(&r[0], Channel::Webhook);
        (w.delivered, w.failed, w.retrying) == (2, 1, 1)
    })
    .await;
    let broadcast = &r[0].broadcast_id;
    let path = f.path(&format!("/broadcasts/{broadcast}/recipients"));
    let all = s.get(&path, &s.responder).await.ok(200);
    assert_eq!(all["update_id"], r[0].update_id.as_deref().unwrap());
    assert_eq!(all["next"], Value::Null);
    let list = all["recipients"].as_array().unwrap();
    let order: Vec<(&str, &str)> = list
        .iter()
        .map(|r| {
            (
                r["subscriber_id"].as_str().unwrap(),
                r["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            (ids[2].as_str(), "failed"),
            (ids[1].as_str(), "retrying"),
            (ids[0].as_str(), "delivered"),
            (ids[3].as_str(), "delivered"),
        ]
    );
    assert_eq!(list[0]["subscriber_state"], "disabled");
    assert!(
        list[0]["error"].as_str().unwrap().contains("410"),
        "{}",
        list[0]
    );
    assert_eq!(list[1]["attempts"], 1);
    assert!(list[1]["next_attempt_at"].is_string(), "{}", list[1]);
    assert!(
        list[1]["error"].as_str().unwrap().contains("500"),
        "{}",
        list[1]
    );
    assert_eq!(list[2]["address"], rx.url("/ok/a"));
    assert_eq!(list[2]["channel"], "webhook");
    assert_eq!(list[2]["error"], Value::Null);

    // Two at a time: the cursor carries on where the page before ended.
    let first = s
        .get(&format!("{path}?limit=2"), &s.responder)
        .await
        .ok(200);
    assert_eq!(first["recipients"].as_array().unwrap().len(), 2);
    let next = first["next"].as_str().unwrap();
    let second = s
        .get(&format!("{path}?limit=2&after={next}"), &s.responder)
        .await
        .ok(200);
    assert_eq!(second["recipients"], json!(list[2..]));
    assert_eq!(second["next"], Value::Null);
    let emails = s
        .get(&format!("{path}?channel=email"), &s.responder)
        .await
        .ok(200);
    assert_eq!(emails["recipients"], json!([]));

    // Refused: an unknown broadcast, a cursor the list never gave, a limit out of range, a
    // viewer (the list shows addresses).
    s.get(
        &f.path("/broadcasts/000000000000000000000000/recipients"),
        &s.responder,
    )
    .await
    .assert_problem(404, "not-found");
    s.get(&format!("{path}?after=nonsense"), &s.responder)
        .await
        .assert_problem(422, "invalid-field");
    s.get(&format!("{path}?limit=0"), &s.responder)
        .await
        .assert_problem(400, "invalid-query");
    s.get(&path, &s.viewer)
        .await
        .assert_problem(403, "forbidden");
}
