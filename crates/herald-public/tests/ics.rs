//! The calendar writer read back by the `icalendar` package (tests/interop/calendar_ics.py):
//! what a calendar client gets must be what Herald meant, through escaping and folding.
use std::path::Path;
use std::process::Command;

use herald_public::render::ics::{self, CalendarEvent, EventStatus};
use jiff::Timestamp;
use serde_json::{Value, json};

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// Runs calendar_ics.py on `file` and returns its JSON; fails with its output when it fails.
fn parse_with_icalendar(file: &Path) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop/calendar_ics.py");
    let output = Command::new("python3")
        .arg(script)
        .arg(file)
        .output()
        .expect("python3 runs (tests/interop/requirements.txt lists what it needs)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "calendar_ics.py failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[test]
fn events_round_trip_through_icalendar() {
    // Long enough to fold many times, with multi-byte characters landing on fold boundaries,
    // and every character TEXT must escape.
    let description = format!(
        "Wartungsfenster für die Datenbank; Größe, Dauer und Ablauf:\n{}\nBackslash \\ bleibt; Komma, auch.\n\n🛠 Ende",
        "Schlüssel, Übergänge; 日本語のテキスト, ".repeat(12)
    );
    let events = [
        CalendarEvent {
            uid: "0f6e1c2a-5b7d-8e3f-9a10-1b2c3d4e5f60".into(),
            sequence: 0,
            // Across the night Europe leaves summer time: UTC must come back untouched.
            start: at("2025-10-26T00:30:00Z"),
            end: at("2025-10-26T03:15:00Z"),
            summary: "Database upgrade, phase 1; read-only".into(),
            description: description.clone(),
            url: "https://status.example.com/maintenance/1/".into(),
            status: EventStatus::Confirmed,
            modified: at("2025-10-01T08:00:00Z"),
        },
        CalendarEvent {
            uid: "7d1a9e40-2c3b-8f5e-a6d7-e8f9a0b1c2d3".into(),
            sequence: 2,
            start: at("2025-11-03T22:00:00Z"),
            end: at("2025-11-04T01:00:00Z"),
            summary: "Network maintenance (cancelled)".into(),
            description: "Cancelled.".into(),
            url: "https://status.example.com/maintenance/2/".into(),
            status: EventStatus::Cancelled,
            modified: at("2025-10-20T12:34:56Z"),
        },
    ];
    let text = ics::write("Acme, Inc.", &events);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("maintenance.ics");
    std::fs::write(&file, &text).unwrap();
    assert!(
        text.lines().count() > 20,
        "the description is folded: {text}"
    );

    let parsed = parse_with_icalendar(&file);
    assert_eq!(parsed["name"], json!("Acme, Inc. maintenance"));
    assert_eq!(parsed["method"], json!("PUBLISH"));
    assert_eq!(parsed["version"], json!("2.0"));
    assert_eq!(parsed["refresh_interval"], json!("PT1H"));
    let got = parsed["events"].as_array().expect("events");
    assert_eq!(got.len(), events.len(), "{parsed:#}");
    for (event, got) in events.iter().zip(got) {
        let expected = json!({
            "uid": event.uid,
            "sequence": event.sequence,
            "dtstart": event.start.to_string(),
            "dtend": event.end.to_string(),
            "dtstamp": event.modified.to_string(),
            "last_modified": event.modified.to_string(),
            "status": match event.status {
                EventStatus::Tentative => "TENTATIVE",
                EventStatus::Confirmed => "CONFIRMED",
                EventStatus::Cancelled => "CANCELLED",
            },
            "summary": event.summary,
            "description": event.description,
            "url": event.url,
        });
        assert_eq!(got, &expected);
    }
}
