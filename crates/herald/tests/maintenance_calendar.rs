//! The maintenance calendar as calendar clients read it: `/maintenance.ics` parsed by the
//! `icalendar` package (tests/interop/calendar_ics.py, which also fails on any DTSTART or DTEND
//! that is not a UTC date-time). Windows planned as local times with a named zone (across a
//! DST change) or with a UTC offset show at the same instants in UTC; a reschedule or a
//! cancellation keeps the event's UID and raises its SEQUENCE, and leaves the other windows as
//! they were.
mod common;

use common::{Fixture, Server};
use serde_json::{Value, json};

async fn calendar(s: &Server) -> Value {
    common::python_json("calendar_ics.py", vec![s.url("/maintenance.ics")]).await
}

/// The calendar's event for the window titled `title`.
#[track_caller]
fn event<'a>(calendar: &'a Value, title: &str) -> &'a Value {
    let summary = format!("Maintenance: {title}");
    let events = calendar["events"].as_array().expect("events");
    let mut found = events.iter().filter(|e| e["summary"] == summary.as_str());
    let event = found
        .next()
        .unwrap_or_else(|| panic!("no event {summary:?} in {calendar:#}"));
    assert!(
        found.next().is_none(),
        "two events {summary:?} in {calendar:#}"
    );
    event
}

/// Schedules a window as the responder, with its times as given; its id.
async fn schedule(s: &Server, f: &Fixture, title: &str, starts_at: &str, ends_at: &str) -> String {
    let window = json!({
        "title": title,
        "details": "Writes pause for a minute.",
        "affected": [f.us_east],
        "starts_at": starts_at,
        "ends_at": ends_at,
    });
    let created = s
        .post(&f.path("/maintenance"), &s.responder, window)
        .await
        .ok(201);
    created["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn windows_show_in_utc_and_keep_their_uid_through_changes() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    // The night Berlin moves its clocks forward at 02:00: 01:30 (CET) is 00:30 UTC, and 04:00
    // (CEST) is 02:00 UTC, an hour and a half later.
    let night = schedule(
        &s,
        &f,
        "Network upgrade",
        "2026-03-29 01:30 Europe/Berlin",
        "2026-03-29 04:00 Europe/Berlin",
    )
    .await;
    // An RFC 3339 offset: midnight CEST is 22:00 UTC the day before.
    let backup = schedule(
        &s,
        &f,
        "Backup restore drill",
        "2025-06-11T00:00:00+02:00",
        "2025-06-11T01:15:00+02:00",
    )
    .await;
    s.public_eventually("/maintenance.ics", |b| {
        b.matches("BEGIN:VEVENT").count() == 2
    })
    .await;

    let first = calendar(&s).await;
    assert_eq!(first["events"].as_array().unwrap().len(), 2, "{first:#}");
    let upgrade = event(&first, "Network upgrade");
    assert_eq!(upgrade["dtstart"], "2026-03-29T00:30:00Z", "{upgrade:#}");
    assert_eq!(upgrade["dtend"], "2026-03-29T02:00:00Z", "{upgrade:#}");
    assert_eq!(upgrade["sequence"], 0, "{upgrade:#}");
    assert_eq!(upgrade["status"], "CONFIRMED", "{upgrade:#}");
    let uid = upgrade["uid"].as_str().expect("a UID");
    assert!(!uid.is_empty(), "{upgrade:#}");
    let drill = event(&first, "Backup restore drill");
    assert_eq!(drill["dtstart"], "2025-06-10T22:00:00Z", "{drill:#}");
    assert_eq!(drill["dtend"], "2025-06-10T23:15:00Z", "{drill:#}");
    assert_eq!(drill["sequence"], 0, "{drill:#}");
    assert_ne!(drill["uid"], upgrade["uid"], "{first:#}");

    // Rescheduled, in New York time (EDT, UTC-4): the same entry, SEQUENCE 1, new times.
    s.put(
        &f.path(&format!("/maintenance/{night}/schedule")),
        &s.responder,
        json!({
            "starts_at": "2026-04-04 20:00 America/New_York",
            "ends_at": "2026-04-04T22:30:00-04:00",
            "channels": {"email": false},
        }),
    )
    .await
    .ok(200);
    s.public_eventually("/maintenance.ics", |b| b.contains("SEQUENCE:1"))
        .await;
    let second = calendar(&s).await;
    assert_eq!(second["events"].as_array().unwrap().len(), 2, "{second:#}");
    let moved = event(&second, "Network upgrade");
    assert_eq!(moved["uid"], uid, "{moved:#}");
    assert_eq!(moved["sequence"], 1, "{moved:#}");
    assert_eq!(moved["dtstart"], "2026-04-05T00:00:00Z", "{moved:#}");
    assert_eq!(moved["dtend"], "2026-04-05T02:30:00Z", "{moved:#}");
    assert_eq!(moved["status"], "CONFIRMED", "{moved:#}");
    // The other window is untouched: a client has no reason to replace it.
    assert_eq!(event(&second, "Backup restore drill"), drill, "{second:#}");

    // Cancelled: still listed, so subscribed calendars drop it, under the same UID and with
    // SEQUENCE raised again; its times stay as planned.
    s.post(
        &f.path(&format!("/maintenance/{backup}/updates")),
        &s.responder,
        json!({"state": "cancelled", "details": "Not needed after all.", "channels": {"email": false}}),
    )
    .await
    .ok(201);
    s.public_eventually("/maintenance.ics", |b| b.contains("STATUS:CANCELLED"))
        .await;
    let third = calendar(&s).await;
    let cancelled = event(&third, "Backup restore drill");
    assert_eq!(cancelled["uid"], drill["uid"], "{cancelled:#}");
    assert_eq!(cancelled["sequence"], 1, "{cancelled:#}");
    assert_eq!(cancelled["status"], "CANCELLED", "{cancelled:#}");
    assert_eq!(cancelled["dtstart"], drill["dtstart"], "{cancelled:#}");
    assert_eq!(cancelled["dtend"], drill["dtend"], "{cancelled:#}");
    assert_eq!(event(&third, "Network upgrade"), moved, "{third:#}");
}
