//! The public HTML pages checked by the real tools: the Nu Html Checker (vnu) for validity and
//! axe-core in Chromium for WCAG 2 A/AA, on the demo page and on one holding hostile text.
mod common;

use common::Server;
use serde_json::json;

// The checkers block this thread while the server answers them from another.
#[tokio::test(flavor = "multi_thread")]
async fn pages_are_valid_accessible_small_and_self_contained() {
    let dir = tempfile::tempdir().unwrap();
    let store = herald::server::open_store(dir.path()).unwrap();
    let now: jiff::Timestamp = common::START.parse().unwrap();
    assert!(herald::demo::seed(&store, now).await.unwrap());
    drop(store);
    let s = Server::start_on(dir.path()).await;

    // A second page whose lead wrote HTML and script into every field.
    let f = s.fixture("hostile").await;
    let mut incident = f.new_incident("<script>alert('title')</script> & <b>bold</b>", 2);
    incident["details"] = json!(
        "<script>alert(1)</script> <iframe src=x></iframe> **ok** [link](javascript:alert(2))"
    );
    let id = s
        .post(&f.path("/incidents"), &s.responder, incident)
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let hostile_page = format!("/p/hostile/incidents/{id}/");
    s.public_eventually(&hostile_page, |b| b.contains("alert(1)"))
        .await;

    let demo = s
        .public_eventually("/", |b| b.contains("Delayed email notifications"))
        .await;
    let incident_path = demo
        .split("href=\".&#x2f;incidents&#x2f;")
        .nth(1)
        .and_then(|rest| rest.split('&').next())
        .expect("the home page links its active incident");
    let window = demo
        .split("href=\".&#x2f;maintenance&#x2f;")
        .nth(1)
        .and_then(|rest| rest.split('&').next())
        .expect("the home page links its upcoming maintenance");
    let urls: Vec<String> = [
        "/".to_string(),
        "/history/".into(),
        format!("/incidents/{incident_path}/"),
        format!("/maintenance/{window}/"),
        "/p/hostile/".into(),
        hostile_page,
    ]
    .iter()
    .map(|path| s.url(path))
    .collect();
    let args: Vec<&str> = urls.iter().map(String::as_str).collect();
    let report = common::node("html_checks.mjs", &args);
    assert!(report.contains("\"violations\": []"), "{report}");

    // The home page of a realistic page stays small on the wire.
    let compressed = s
        .client
        .get(s.url("/"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(
        compressed.len() < 30 * 1024,
        "{} bytes gzipped",
        compressed.len()
    );
}
