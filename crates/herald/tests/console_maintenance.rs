//! Maintenance windows run from the console: the page's windows (upcoming, in progress, past),
//! scheduling in a named zone with the times shown back in UTC and in the page's zone, bad
//! times refused beside their field with nothing written, reminders, rescheduling, updates
//! that start, finish or only inform, taking over from the automation and handing back, the
//! preview, and the dashboard's links.
mod common;

use common::console::{Answer, Browser, PASSWORD, add_user};
use common::*;
use herald_core::access::Role;
use serde_json::{Value, json};

const LIST: &str = "/console/pages/main/maintenance";

/// A page in Berlin with a responder signed in; the fixture and the browser.
async fn signed_in(s: &Server) -> (Fixture, Browser<'_>) {
    let f = s.fixture("main").await;
    s.patch(&f.path(""), &s.admin, json!({"time_zone": "Europe/Berlin"}))
        .await
        .ok(200);
    add_user(s, "lead@example.com", Role::Responder, Some(PASSWORD)).await;
    let mut b = Browser::new(s);
    b.sign_in("lead@example.com", PASSWORD).await;
    (f, b)
}

async fn windows(s: &Server, f: &Fixture) -> Vec<Value> {
    let list = s.get(&f.path("/maintenance"), &s.viewer).await.ok(200);
    list.as_array().unwrap().clone()
}

/// The schedule form's fields: a window over US East, `starts` to `ends` in `zone`.
fn schedule_fields<'a>(
    csrf: &'a str,
    f: &'a Fixture,
    (starts, ends, zone): (&'a str, &'a str, &'a str),
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("_csrf", csrf),
        ("title", "Database upgrade <b>now</b>"),
        (
            "details",
            "We will upgrade the database; writes pause for a minute.",
        ),
        ("locations", f.us_east.as_str()),
        ("starts_at", starts),
        ("ends_at", ends),
        ("time_zone", zone),
        ("reminders", "1440, 60"),
        ("automation", "on"),
        ("channels", "email"),
    ]
}

/// The error shown beside `field`, and that the field points at it.
fn error_beside(answer: &Answer, field: &str) -> String {
    assert_eq!(answer.status, 422, "{answer:#?}");
    let marker = format!("<p class=\"error\" id=\"error-{field}\">");
    let at = answer
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("no error beside {field}: {}", answer.body));
    let rest = &answer.body[at + marker.len()..];
    assert!(
        answer
            .body
            .contains(&format!("aria-describedby=\"error-{field}\"")),
        "{field} points at its error"
    );
    // As a person reads it.
    rest[..rest.find("</p>").unwrap()]
        .replace("&#x2f;", "/")
        .replace("&quot;", "\"")
}

/// Posts an update on the window at `at`, leaving it in `state`.
async fn update(
    b: &mut Browser<'_>,
    at: &str,
    csrf: &str,
    (state, details): (&str, &str),
) -> Answer {
    let fields = [("_csrf", csrf), ("state", state), ("details", details)];
    b.post(&format!("{at}/updates"), &fields).await
}

#[tokio::test]
async fn a_window_is_scheduled_in_a_named_zone_and_bad_times_are_refused_beside_their_field() {
    let s = Server::start().await;
    let (f, mut b) = signed_in(&s).await;
    let form = b.get(LIST).await;
    assert_eq!(form.status, 200, "{form:#?}");
    assert!(form.body.contains("No window is planned."), "{}", form.body);
    assert!(
        form.body.contains("value=\"Europe&#x2f;Berlin\""),
        "the page's zone by default"
    );
    assert!(
        form.body.contains("value=\"4320, 1440, 60\""),
        "the page's reminders"
    );
    let csrf = form.csrf();

    // Each bad time is refused beside its field, keeps what was typed, and writes nothing.
    let cases = [
        (
            ("2026-03-29T02:30", "2026-03-29T04:00", "Europe/Berlin"),
            "starts_at",
            "2026-03-29 02:30 does not exist in Europe/Berlin",
        ),
        (
            ("2025-06-10T22:00", "2025-06-11T00:00", "Mars/Olympus"),
            "time_zone",
            "\"Mars/Olympus\" is not an IANA time zone",
        ),
        (
            ("2025-06-10T22:00", "2025-06-10T21:00", "America/New_York"),
            "ends_at",
            "is not after starts_at",
        ),
        (
            ("2025-06-10T22:00", "", "America/New_York"),
            "ends_at",
            "Give a date and time",
        ),
    ];
    for (times, field, says) in cases {
        let refused = b.post(LIST, &schedule_fields(&csrf, &f, times)).await;
        let error = error_beside(&refused, field);
        assert!(error.contains(says), "{field}: {error}");
        assert!(
            refused
                .body
                .contains("value=\"Database upgrade &lt;b&gt;now&lt;&#x2f;b&gt;\""),
            "the title is kept, escaped"
        );
        assert!(windows(&s, &f).await.is_empty(), "{field}: nothing written");
    }
    let mut bad_reminders = schedule_fields(
        &csrf,
        &f,
        ("2025-06-10T22:00", "2025-06-11T00:00", "America/New_York"),
    );
    bad_reminders[7].1 = "a day";
    let refused = b.post(LIST, &bad_reminders).await;
    assert!(error_beside(&refused, "reminders").contains("\"a day\" is not a whole number"));
    bad_reminders[7].1 = "0";
    let refused = b.post(LIST, &bad_reminders).await;
    assert!(error_beside(&refused, "reminders").contains("0 is not a reminder offset"));
    assert!(windows(&s, &f).await.is_empty());

    // 22:00 in New York (EDT) is 02:00 UTC, 04:00 in Berlin (CEST).
    let fields = schedule_fields(
        &csrf,
        &f,
        ("2025-06-10T22:00", "2025-06-11T00:00", "America/New_York"),
    );
    let scheduled = b.post(LIST, &fields).await;
    assert_eq!(scheduled.status, 303, "{scheduled:#?}");
    let at = scheduled.location.unwrap();
    let id = at.rsplit('/').next().unwrap().to_string();
    let stored = windows(&s, &f).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["starts_at"], "2025-06-11T02:00:00Z");
    assert_eq!(stored[0]["ends_at"], "2025-06-11T04:00:00Z");
    assert_eq!(stored[0]["reminders"], json!([1440, 60]));
    assert_eq!(stored[0]["automation"], true);
    let shown = b.get(&at).await;
    assert_eq!(shown.status, 200);
    for text in [
        "<td>2025-06-11 02:00 UTC</td>",
        ">Wed 11 Jun 04:00 CEST</time>",
        "<td>2025-06-11 04:00 UTC</td>",
        "Database upgrade &lt;b&gt;now&lt;&#x2f;b&gt;",
        "Affects: API: US East",
        "1 day 0 h before: 2025-06-10 02:00 UTC",
        "Take over from the automation",
    ] {
        assert!(shown.body.contains(text), "{text}: {}", shown.body);
    }
    assert!(!shown.body.contains("<b>now</b>"), "escaped");

    // Listed as upcoming, and linked from the dashboard.
    let list = b.get(LIST).await;
    assert!(
        list.body.contains(&format!("href=\"{at}\"")),
        "{}",
        list.body
    );
    assert!(list.body.contains("2025-06-11 02:00 UTC"), "{}", list.body);
    let dashboard = b.get("/console").await;
    assert!(
        dashboard.body.contains(&format!("<a href=\"{at}\">")),
        "{}",
        dashboard.body
    );
    let events = s.events().await;
    let scheduled = events
        .iter()
        .find(|e| e["kind"] == "maintenance.scheduled" && e["subject_id"] == id.as_str())
        .expect("audited");
    assert!(
        scheduled["actor"]
            .as_str()
            .unwrap()
            .contains("lead@example.com"),
        "{scheduled:#}"
    );
}

#[tokio::test]
async fn a_lead_runs_a_window_from_its_page() {
    let s = Server::start().await;
    let (f, mut b) = signed_in(&s).await;
    let csrf = b.get(LIST).await.csrf();
    let fields = schedule_fields(
        &csrf,
        &f,
        ("2025-06-10 22:00", "2025-06-11 00:00", "Europe/Berlin"),
    );
    let at = b.post(LIST, &fields).await.location.unwrap();
    let id = at.rsplit('/').next().unwrap().to_string();
    let api = f.path(&format!("/maintenance/{id}"));
    let window = async || s.get(&api, &s.viewer).await.ok(200);

    // Reminders: shown, changed, and refused beside their field.
    let changed = b
        .post(
            &format!("{at}/reminders"),
            &[("_csrf", &csrf), ("reminders", "120, 30")],
        )
        .await;
    assert_eq!(changed.status, 303, "{changed:#?}");
    assert_eq!(window().await["reminders"], json!([120, 30]));
    let shown = b.get(&at).await;
    assert!(shown.body.contains("value=\"120, 30\""), "{}", shown.body);
    assert!(shown.body.contains("2 h 0 min before"), "{}", shown.body);
    for bad in ["0", "two hours"] {
        let refused = b
            .post(
                &format!("{at}/reminders"),
                &[("_csrf", &csrf), ("reminders", bad)],
            )
            .await;
        error_beside(&refused, "reminders");
        assert!(refused.body.contains(&format!("value=\"{bad}\"")), "kept");
    }
    assert_eq!(window().await["reminders"], json!([120, 30]));

    // Reschedule in another zone; a time in New York's spring gap is refused, nothing moves.
    let gap = b
        .post(
            &format!("{at}/schedule"),
            &[
                ("_csrf", &csrf),
                ("new_starts_at", "2026-03-08T02:15"),
                ("new_ends_at", "2026-03-08T04:00"),
                ("new_time_zone", "America/New_York"),
            ],
        )
        .await;
    assert!(error_beside(&gap, "new_starts_at").contains("does not exist in America/New_York"));
    assert_eq!(window().await["sequence"], 0);
    let moved = b
        .post(
            &format!("{at}/schedule"),
            &[
                ("_csrf", &csrf),
                ("new_starts_at", "2025-06-12T22:00"),
                ("new_ends_at", "2025-06-13T00:00"),
                ("new_time_zone", "America/New_York"),
                ("reason", "The vendor moved the upgrade."),
                ("channels", "email"),
            ],
        )
        .await;
    assert_eq!(moved.status, 303, "{moved:#?}");
    let w = window().await;
    assert_eq!(w["starts_at"], "2025-06-13T02:00:00Z");
    assert_eq!(w["sequence"], 1);
    let shown = b.get(&at).await;
    assert!(
        shown.body.contains("value=\"2025-06-13T04:00\""),
        "the new start in the page's zone: {}",
        shown.body
    );
    assert!(shown.body.contains("The vendor moved the upgrade."));

    // An update without starting.
    let informed = update(
        &mut b,
        &at,
        &csrf,
        ("scheduled", "A reminder: writes pause for a minute."),
    )
    .await;
    assert_eq!(informed.status, 303, "{informed:#?}");
    let w = window().await;
    assert_eq!(w["state"], "scheduled");
    assert_eq!(w["updates"].as_array().unwrap().len(), 3);

    // Take over from the automation, hand back, take over again.
    for enabled in ["false", "true", "false"] {
        let set = b
            .post(
                &format!("{at}/automation"),
                &[("_csrf", &csrf), ("enabled", enabled)],
            )
            .await;
        assert_eq!(set.status, 303, "{set:#?}");
        assert_eq!(window().await["automation"].to_string(), enabled);
    }
    assert!(
        b.get(&at)
            .await
            .body
            .contains("Hand back to the automation")
    );

    // Start, then finish; a move the rules refuse says why and changes nothing.
    let started = update(&mut b, &at, &csrf, ("in_progress", "We have started.")).await;
    assert_eq!(started.status, 303, "{started:#?}");
    assert_eq!(window().await["state"], "in_progress");
    let back = update(&mut b, &at, &csrf, ("scheduled", "Not yet.")).await;
    assert_eq!(back.status, 422, "{back:#?}");
    assert!(back.body.contains("Not yet."), "kept");
    assert_eq!(window().await["state"], "in_progress");
    let finished = update(&mut b, &at, &csrf, ("completed", "All done.")).await;
    assert_eq!(finished.status, 303, "{finished:#?}");
    assert_eq!(window().await["state"], "completed");
    let list = b.get(LIST).await;
    let past = &list.body[list.body.find("id=\"past\"").unwrap()..];
    assert!(past.contains(&format!("href=\"{at}\"")), "{}", list.body);

    // Another window, cancelled.
    let other = b.post(LIST, &fields).await.location.unwrap();
    let cancelled = update(&mut b, &other, &csrf, ("cancelled", "Called off.")).await;
    assert_eq!(cancelled.status, 303, "{cancelled:#?}");
    let other_id = other.rsplit('/').next().unwrap();
    let listed = windows(&s, &f).await;
    let cancelled = listed.iter().find(|w| w["id"] == other_id).unwrap();
    assert_eq!(cancelled["state"], "cancelled");

    let events = s.events().await;
    let kinds = events.iter().filter(|e| e["subject_id"] == id.as_str());
    assert_eq!(
        kinds.map(|e| e["kind"].clone()).collect::<Vec<_>>(),
        [
            "maintenance.scheduled",
            "maintenance.reminders_changed",
            "maintenance.rescheduled",
            "maintenance.updated",
            "maintenance.automation_changed",
            "maintenance.automation_changed",
            "maintenance.automation_changed",
            "maintenance.updated",
            "maintenance.updated",
        ]
    );
}

/// One field of each lint a preview gives.
fn lint_field<'a>(preview: &'a Value, field: &str) -> Vec<&'a str> {
    let lints = preview["lints"].as_array().unwrap().iter();
    lints.map(|l| l[field].as_str().unwrap()).collect()
}

#[tokio::test]
async fn the_window_forms_preview_and_viewers_only_read() {
    let s = Server::start().await;
    let (f, mut b) = signed_in(&s).await;
    let csrf = b.get(LIST).await.csrf();
    let long = format!("{} https://example.com/plan", "x".repeat(270));
    let mut fields = schedule_fields(
        &csrf,
        &f,
        ("2025-06-10 22:00", "2025-06-11 00:00", "Europe/Berlin"),
    );
    fields[2].1 = &long;
    fields.push(("channels", "slack"));
    let preview = b.post(&format!("{LIST}/preview"), &fields).await;
    assert_eq!(preview.status, 200, "{preview:#?}");
    let p: Value = serde_json::from_str(&preview.body).unwrap();
    assert_eq!(p["ok"], true, "{p:#}");
    assert_eq!(p["counters"]["before_link"]["length"], 271);
    let lints = lint_field(&p, "id");
    assert!(lints.contains(&"social.too_long"), "{lints:?}");
    let subject = p["channels"]["email"]["subject"].as_str().unwrap();
    assert!(subject.contains("Database upgrade"), "{subject}");
    assert!(
        p["channels"]["slack"]
            .as_str()
            .unwrap()
            .contains("msg-slack")
    );
    assert!(windows(&s, &f).await.is_empty(), "a preview writes nothing");

    // A bad time in the preview is a problem, not a window.
    fields[6].1 = "Mars/Olympus";
    let p: Value =
        serde_json::from_str(&b.post(&format!("{LIST}/preview"), &fields).await.body).unwrap();
    assert_eq!(p["ok"], false);
    assert!(
        p["errors"]["time_zone"]
            .as_str()
            .unwrap()
            .contains("Mars/Olympus")
    );

    // An update on a window previews with the reminder clash it would hit.
    // Tomorrow 09:30 UTC: its reminder a day ahead goes out in half an hour.
    fields[6].1 = "Europe/Berlin";
    fields[4].1 = "2025-06-03 11:30";
    fields[5].1 = "2025-06-03 12:30";
    fields[2].1 = "We will upgrade the database.";
    let at = b.post(LIST, &fields).await.location.unwrap();
    let id = at.rsplit('/').next().unwrap();
    let update = [
        ("_csrf", csrf.as_str()),
        ("maintenance", id),
        ("state", "scheduled"),
        ("details", "Tomorrow, as planned."),
        ("channels", "email"),
    ];
    let p: Value =
        serde_json::from_str(&b.post(&format!("{LIST}/preview"), &update).await.body).unwrap();
    assert_eq!(p["ok"], true, "{p:#}");
    let messages = lint_field(&p, "message");
    assert!(
        messages
            .iter()
            .any(|m| m.contains("would get the news twice")),
        "{messages:?}"
    );
    assert_eq!(
        windows(&s, &f).await[0]["updates"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // A viewer reads the windows but gets no forms, and may not post.
    add_user(&s, "viewer@example.com", Role::Viewer, Some(PASSWORD)).await;
    let mut viewer = Browser::new(&s);
    viewer.sign_in("viewer@example.com", PASSWORD).await;
    let list = viewer.get(LIST).await;
    assert_eq!(list.status, 200);
    assert!(!list.body.contains("Schedule the window"), "{}", list.body);
    let page = viewer.get(&at).await;
    assert!(!page.body.contains("Publish update"), "{}", page.body);
    let viewer_csrf = viewer.csrf().await;
    let refused = viewer
        .post(
            &format!("{at}/automation"),
            &[("_csrf", &viewer_csrf), ("enabled", "false")],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(windows(&s, &f).await[0]["automation"], true);
}
