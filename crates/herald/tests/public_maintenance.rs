//! Maintenance windows everywhere the public page shows them: the home page and the window's
//! own page, history, Statuspage and Status.io JSON, the feeds and the calendar.
mod common;

use common::{Server, json_when, plus_mins};
use serde_json::{Value, json};

async fn calendar(s: &Server) -> Value {
    common::python_json("calendar_ics.py", vec![s.url("/maintenance.ics")]).await
}

#[tokio::test]
async fn a_window_is_announced_rescheduled_run_and_remembered() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let at = |minutes: i64| plus_mins(s.now(), minutes).to_string();
    let window = json!({
        "title": "Database upgrade <script>x</script>",
        "details": "We upgrade the **primary** cluster. Writes pause for a minute.",
        "affected": [f.us_east],
        "starts_at": at(120),
        "ends_at": at(240),
    });
    let created = s
        .post(&f.path("/maintenance"), &s.responder, window)
        .await
        .ok(201);
    let id = created["id"].as_str().unwrap().to_string();

    // Upcoming: on the home page, its own page, the JSON, the calendar.
    let home = s
        .public_eventually("/", |b| b.contains("Database upgrade"))
        .await;
    assert!(home.contains("Database upgrade &lt;script&gt;"), "{home}");
    assert!(home.contains("All systems operational"), "{home}");
    let page = s
        .public_eventually(&format!("/maintenance/{id}/"), |b| b.contains("primary"))
        .await;
    assert!(
        page.contains("<strong>primary</strong>") && page.contains("API (US East)"),
        "{page}"
    );
    let upcoming = json_when(&s, "/api/v2/scheduled-maintenances/upcoming.json", |v| {
        v["scheduled_maintenances"]
            .as_array()
            .is_some_and(|l| l.len() == 1)
    })
    .await;
    let listed = &upcoming["scheduled_maintenances"][0];
    assert_eq!(listed["status"], "scheduled");
    assert_eq!(listed["impact"], "maintenance");
    assert_eq!(listed["name"], "Database upgrade <script>x</script>");
    assert!(
        listed["scheduled_for"]
            .as_str()
            .unwrap()
            .starts_with(&at(120)[..16]),
        "{listed}"
    );
    let statusio = json_when(&s, &format!("/1.0/status/{}", f.page_id), |v| {
        v["result"]["maintenance"]["upcoming"]
            .as_array()
            .is_some_and(|l| l.len() == 1)
    })
    .await;
    assert_eq!(
        statusio["result"]["maintenance"]["upcoming"][0]["_id"],
        id.as_str()
    );
    let first = calendar(&s).await;
    let event = &first["events"][0];
    assert_eq!(event["sequence"], 0);
    assert_eq!(event["dtstart"], format!("{}Z", &at(120)[..19]));

    // Rescheduled: the same calendar entry, a higher SEQUENCE, the new times.
    let later = json!({"starts_at": at(180), "ends_at": at(300)});
    s.put(
        &f.path(&format!("/maintenance/{id}/schedule")),
        &s.responder,
        later,
    )
    .await
    .ok(200);
    s.public_eventually("/maintenance.ics", |b| b.contains("SEQUENCE:1"))
        .await;
    let moved = calendar(&s).await;
    let moved_event = &moved["events"][0];
    assert_eq!(moved_event["uid"], event["uid"]);
    assert_eq!(moved_event["sequence"], 1);
    assert_eq!(moved_event["dtstart"], format!("{}Z", &at(180)[..19]));
    assert_eq!(moved_event["dtend"], format!("{}Z", &at(300)[..19]));

    // Started: its location is under maintenance everywhere.
    let start = json!({"state": "in_progress", "details": "The upgrade has begun."});
    s.post(
        &f.path(&format!("/maintenance/{id}/updates")),
        &s.responder,
        start,
    )
    .await
    .ok(201);
    let home = s
        .public_eventually("/", |b| b.contains("Maintenance in progress"))
        .await;
    assert!(
        home.contains("<span>US East</span><span class=\"badge under_maintenance\">"),
        "{home}"
    );
    let active = json_when(&s, "/api/v2/scheduled-maintenances/active.json", |v| {
        v["scheduled_maintenances"]
            .as_array()
            .is_some_and(|l| l.len() == 1)
    })
    .await;
    assert_eq!(active["scheduled_maintenances"][0]["status"], "in_progress");
    let summary = json_when(&s, "/api/v2/summary.json", |v| {
        v["status"]["indicator"] == "maintenance"
    })
    .await;
    assert_eq!(summary["scheduled_maintenances"][0]["id"], id.as_str());
    let statusio = json_when(&s, &format!("/1.0/status/{}", f.page_id), |v| {
        v["result"]["maintenance"]["active"]
            .as_array()
            .is_some_and(|l| l.len() == 1)
    })
    .await;
    assert_eq!(statusio["result"]["status_overall"]["status_code"], 200);

    // Completed: operational again, and in the history and the feeds.
    let done = json!({"state": "completed", "details": "The upgrade is complete."});
    s.post(
        &f.path(&format!("/maintenance/{id}/updates")),
        &s.responder,
        done,
    )
    .await
    .ok(201);
    let home = s
        .public_eventually("/", |b| b.contains("All systems operational"))
        .await;
    assert!(!home.contains("Database upgrade"), "{home}");
    let history = s
        .public_eventually("/history/", |b| b.contains("Database upgrade"))
        .await;
    assert!(history.contains("Maintenance"), "{history}");
    let rss = s
        .public_eventually("/history.rss", |b| {
            b.contains("Maintenance: Database upgrade")
        })
        .await;
    assert!(rss.contains("The upgrade is complete."), "{rss}");
    let all = json_when(&s, "/api/v2/scheduled-maintenances.json", |v| {
        v["scheduled_maintenances"][0]["status"] == "completed"
    })
    .await;
    assert!(
        all["scheduled_maintenances"][0]["resolved_at"].is_string(),
        "{all}"
    );
}
