//! The crash test: a fan-out to many subscribers, `herald serve` killed with SIGKILL mid-way,
//! restarted; every subscriber must have the update (duplicates allowed, each with the same
//! `webhook-id`), and the delivery report must count each subscriber once.
mod common;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use common::cli::command;
use common::receiver::Receiver;
use herald_core::incident::{AffectedLocation, Channels, IncidentState, NewIncident, Severity};
use herald_core::page::PageFields;
use herald_core::status::StatusLevel;
use herald_core::subscriber::{Channel, NewSubscriber, WebhookFormat};
use herald_store::{NewComponent, Store};
use jiff::Timestamp;

const SUBSCRIBERS: usize = 3000;

/// `herald serve` as its own process, configured through the environment as an operator
/// would, delivering to loopback slowly (four at a time) so that the kill lands mid-way.
fn serve(data_dir: &Path) -> Child {
    let cwd = data_dir.parent().expect("the data directory's parent");
    command(cwd, data_dir, &["serve", "--listen", "127.0.0.1:0"])
        .env("HERALD__DELIVERY__ALLOW_PRIVATE_TARGETS", "true")
        .env("HERALD__DELIVERY__TIMEOUT_SECS", "2")
        .env("HERALD__DELIVERY__CONCURRENCY", "4")
        .env("HERALD__LOG__LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("herald serve starts")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fan_out_killed_mid_way_resumes_after_restart_and_misses_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let rx = Receiver::start().await;
    let store = herald::server::open_store(&data).unwrap();
    let now = Timestamp::now();
    let page = store
        .create_page(
            "test",
            PageFields {
                slug: "acme".into(),
                name: "Acme".into(),
                time_zone: "UTC".into(),
                settings: Default::default(),
            },
            now,
        )
        .await
        .unwrap();
    let component = NewComponent {
        name: "API".into(),
        ..NewComponent::default()
    };
    let api = store
        .create_component("test", "acme", component, now)
        .await
        .unwrap();
    let mut by_path = HashMap::new();
    for i in 0..SUBSCRIBERS {
        let path = format!("/slow/{i}");
        let new = NewSubscriber {
            channel: Channel::Webhook,
            address: rx.url(&path),
            format: WebhookFormat::Herald,
            components: vec![],
            confirmed: true,
        };
        let created = store
            .create_subscriber("test", "acme", new, now)
            .await
            .unwrap();
        by_path.insert(path, created.subscriber.id);
    }

    let mut server = serve(&data);
    let incident = NewIncident {
        title: "Errors".into(),
        severity: Severity::new(2).unwrap(),
        state: IncidentState::Investigating,
        details: "Looking into it.".into(),
        affected: vec![AffectedLocation {
            location_id: api.locations[0].id.clone(),
            level: StatusLevel::ServiceDisruption,
        }],
        channels: Channels::default(),
        subject: None,
        next_update_in: None,
        issue_link: None,
    };
    let incident = store
        .create_incident("test", &page.id, incident, Timestamp::now())
        .await
        .unwrap();
    // Past the first two batches of 500, so the restart must resume from a recorded cursor.
    rx.until(60, "the fan-out gets going", |all| all.len() >= 1500)
        .await;
    server.kill().expect("SIGKILL");
    server.wait().unwrap();
    let at_kill = rx.all().len();
    assert!(
        at_kill < SUBSCRIBERS,
        "killed mid-way ({at_kill} delivered)"
    );

    let mut server = serve(&data);
    let reached = |all: &[common::receiver::Received]| {
        all.iter()
            .map(|r| r.path.as_str())
            .collect::<HashSet<_>>()
            .len()
            == SUBSCRIBERS
    };
    rx.until(
        120,
        "every subscriber is reached after the restart",
        reached,
    )
    .await;

    // Every delivery to a subscriber carries the same id, whichever process sent it.
    let broadcasts = store.delivery_report("acme", &incident.id).await.unwrap();
    assert_eq!(broadcasts.len(), 1);
    let broadcast = &broadcasts[0].broadcast_id;
    for r in rx.all() {
        let expected = format!("msg_{broadcast}_{}", by_path[&r.path]);
        assert_eq!(r.header("webhook-id"), expected, "{}", r.path);
    }
    // The report counts each subscriber once, duplicates or not.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let report = &store.delivery_report("acme", &incident.id).await.unwrap()[0];
        let webhook = report
            .channels
            .iter()
            .find(|c| c.channel == Channel::Webhook)
            .unwrap();
        if report.fanned_out && webhook.delivered as usize == SUBSCRIBERS {
            assert_eq!(webhook.matched as usize, SUBSCRIBERS, "{report:#?}");
            assert_eq!(
                (webhook.failed, webhook.retrying, webhook.queued),
                (0, 0, 0)
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the report did not settle: {report:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Only the two batches in flight at the kill (one answering, the next starting) are sent
    // again, not the walk from the start, which would repeat all 1,500 and more.
    let duplicates = rx.all().len() - SUBSCRIBERS;
    eprintln!("killed after {at_kill} deliveries; {duplicates} sent twice");
    assert!(
        duplicates <= 1000,
        "{duplicates} duplicates: the walk restarted from the top"
    );
    server.kill().unwrap();
    server.wait().unwrap();
}
