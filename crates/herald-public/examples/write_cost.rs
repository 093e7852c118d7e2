//! The CPU one change costs the public page, without HTTP or the database: a page of 200
//! components (one location each, in groups of 20), PAST resolved incidents and an active
//! incident with 300 updates, then 300 changes to a second active incident, each a new update
//! on its timeline (as `bench/public_page.py` leaves the page), each rebuilt against the last
//! snapshot and compressed as the server does after a change. Prints the CPU per change (user + system, from
//! /proc/self/stat) and the wall-clock time of the fastest.
//!
//! Usage: cargo run --release -p herald-public --example write_cost [PAST]   (PAST: 10000)
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use herald_core::component::{Component, Group, Location};
use herald_core::incident::{
    AffectedLocation, Channels, Incident, IncidentState, Severity, Update,
};
use herald_core::page::{Page, PageSettings};
use herald_core::status::StatusLevel;
use herald_public::PageSnapshot;
use herald_public::data::PageData;
use herald_public::render::Renderer;
use jiff::{SignedDuration, Timestamp};

// The server's allocator: it changes the figure.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const COMPONENTS: usize = 200;
const CHANGES: u32 = 300;

fn main() {
    let past: usize = match std::env::args().nth(1).map(|a| a.parse()) {
        None => 10_000,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            eprintln!("usage: write_cost [PAST], PAST a number of past incidents");
            std::process::exit(2);
        }
    };
    let now: Timestamp = "2026-12-03T12:00:00Z".parse().expect("a valid time");
    let mut data = Arc::new(page(now, past));
    let renderer = Arc::new(Renderer::new(None).expect("the built-in templates"));
    let build = |data: &Arc<PageData>, previous: Option<&PageSnapshot>| {
        let base = "https://status.example.com/".to_string();
        let shared = HashMap::new();
        PageSnapshot::build(renderer.clone(), data.clone(), &shared, base, now, previous)
            .expect("the page renders")
    };
    let mut previous = build(&data, None);
    previous.warm();
    let cpu_before = cpu_ms();
    let mut fastest = f64::MAX;
    let mut changing = incident("active", "l1", now);
    for n in 0..CHANGES {
        let mut next = (*data).clone();
        let at = now + SignedDuration::from_secs(i64::from(n));
        let mut update = update("l1", IncidentState::Identified, at);
        update.details = format!("Update number {n}: still investigating.");
        changing.updates.push(update);
        next.upsert_incident(changing.clone());
        data = Arc::new(next);
        let started = Instant::now();
        let snapshot = build(&data, Some(&previous));
        snapshot.warm();
        fastest = fastest.min(started.elapsed().as_secs_f64() * 1000.0);
        previous = snapshot;
    }
    let per_change = (cpu_ms() - cpu_before) / f64::from(CHANGES);
    println!(
        "{COMPONENTS} components, {past} past incidents: {per_change:.1} ms of CPU per change (fastest {fastest:.1} ms)"
    );
}

/// This process's user and system time so far, in milliseconds.
fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("Linux's /proc");
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    // utime and stime, the 14th and 15th fields, in clock ticks of 10 ms.
    let ticks: f64 = fields[11..13]
        .iter()
        .filter_map(|f| f.parse::<f64>().ok())
        .sum();
    ticks * 10.0
}

fn page(now: Timestamp, past: usize) -> PageData {
    let created = now - SignedDuration::from_hours(1);
    let groups = (0..COMPONENTS / 20)
        .map(|g| Group {
            id: format!("g{g}"),
            page_id: "p".into(),
            name: format!("Group {g}"),
            position: g as i64,
            created_at: created,
            updated_at: created,
        })
        .collect();
    let components = (0..COMPONENTS)
        .map(|i| Component {
            id: format!("c{i}"),
            page_id: "p".into(),
            group_id: Some(format!("g{}", i / 20)),
            name: format!("Service {i}"),
            description: String::new(),
            position: i as i64,
            locations: vec![Location {
                id: format!("l{i}"),
                component_id: format!("c{i}"),
                name: "Default".into(),
                position: 0,
                override_level: None,
            }],
            created_at: created,
            updated_at: created,
        })
        .collect();
    let mut data = PageData::new(
        Page {
            id: "p".into(),
            slug: "bench".into(),
            name: "Bench".into(),
            time_zone: "UTC".into(),
            settings: PageSettings::default(),
            created_at: created,
            updated_at: created,
        },
        groups,
        components,
        Vec::new(),
        Vec::new(),
    );
    for i in 0..past {
        let at = created + SignedDuration::from_millis(i as i64 * 300);
        let location = format!("l{}", i % COMPONENTS);
        let mut incident = incident(&format!("i{i:06}"), &location, at);
        let resolved = at + SignedDuration::from_millis(100);
        incident.state = IncidentState::Resolved;
        incident.resolved_at = Some(resolved);
        incident
            .updates
            .push(update(&location, IncidentState::Resolved, resolved));
        data.upsert_incident(incident);
    }
    data.upsert_incident(long_incident(CHANGES, now));
    data
}

/// An incident still open after a long day: `count` updates.
fn long_incident(count: u32, now: Timestamp) -> Incident {
    let mut incident = incident("long", "l0", now - SignedDuration::from_mins(30));
    for n in 1..count {
        let at = incident.created_at + SignedDuration::from_secs(i64::from(n));
        let mut update = update("l0", IncidentState::Identified, at);
        update.details = format!("Visible marker {n} now");
        incident.updates.push(update);
    }
    incident
}

fn incident(id: &str, location: &str, at: Timestamp) -> Incident {
    Incident {
        id: id.into(),
        page_id: "p".into(),
        title: format!("Incident {id}"),
        severity: Severity::new(3).expect("a valid severity"),
        severity_reason: None,
        state: IncidentState::Investigating,
        affected: vec![degraded(location)],
        updates: vec![update(location, IncidentState::Investigating, at)],
        postmortem_url: None,
        recurrences: 0,
        created_at: at,
        updated_at: at,
        resolved_at: None,
        issue_link: None,
    }
}

static NEXT_UPDATE: AtomicU64 = AtomicU64::new(0);

fn update(location: &str, state: IncidentState, at: Timestamp) -> Update {
    Update {
        id: format!("u{}", NEXT_UPDATE.fetch_add(1, Ordering::Relaxed)),
        state,
        details: "Investigating elevated errors.".into(),
        levels: vec![degraded(location)],
        subject: String::new(),
        channels: Channels::default(),
        author: "bench".into(),
        at,
        next_update_in: None,
        edited_at: None,
    }
}

fn degraded(location: &str) -> AffectedLocation {
    AffectedLocation {
        location_id: location.into(),
        level: StatusLevel::DegradedPerformance,
    }
}
