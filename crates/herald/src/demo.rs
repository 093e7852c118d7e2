//! `herald serve --demo`: a realistic sample page in an empty data directory, so a newcomer
//! sees a complete status page at once: groups, components with locations, 90 days of
//! history, a resolved incident with its whole timeline and post-mortem, an active one, a
//! past maintenance window and an upcoming one.
use herald_core::branding::Link;
use herald_core::incident::{
    AffectedLocation, Channels, IncidentState, NewIncident, Severity, StatusChange, UpdateDraft,
};
use herald_core::maintenance::{MaintenanceDraft, MaintenanceState, NewMaintenance};
use herald_core::page::{PageFields, PageSettings};
use herald_core::status::StatusLevel::{self, *};
use herald_store::{NewComponent, Store};
use jiff::{SignedDuration, Timestamp};

const ACTOR: &str = "demo";
pub const DEMO_SLUG: &str = "demo";

/// One past or present incident: where, how bad, and its timeline as (minutes after the
/// start, state, text).
struct Story {
    title: &'static str,
    severity: u8,
    /// (component, location index) and the level it is held at.
    affected: &'static [(&'static str, usize, StatusLevel)],
    days_ago: i64,
    /// Minutes into the day (UTC) it started.
    at_minute: i64,
    timeline: &'static [(i64, IncidentState, &'static str)],
    postmortem: Option<&'static str>,
}

use IncidentState::{Identified, Investigating, Monitoring, Resolved};

const COMPONENTS: &[(&str, &str, &[&str], &str)] = &[
    (
        "Platform",
        "API",
        &["US East", "EU West", "Asia Pacific"],
        "The public REST API.",
    ),
    ("Platform", "Dashboard", &[], "The web console."),
    (
        "Platform",
        "Authentication",
        &[],
        "Sign-in and single sign-on.",
    ),
    (
        "Data",
        "Database",
        &["US East", "EU West"],
        "Managed PostgreSQL clusters.",
    ),
    ("Data", "Object storage", &[], ""),
    ("Delivery", "Email notifications", &[], ""),
    ("Delivery", "Webhooks", &[], ""),
    ("Delivery", "CDN", &[], "Static assets and the edge cache."),
];

const HISTORY: &[Story] = &[
    Story {
        title: "Dashboard sign-in failures",
        severity: 2,
        affected: &[
            ("Authentication", 0, ServiceDisruption),
            ("Dashboard", 0, PartialServiceDisruption),
        ],
        days_ago: 83,
        at_minute: 9 * 60 + 12,
        timeline: &[
            (
                0,
                Investigating,
                "Some customers cannot sign in to the dashboard. We are investigating.",
            ),
            (
                18,
                Identified,
                "An expired signing certificate on the identity provider caused the failures. We are rotating it.",
            ),
            (
                41,
                Monitoring,
                "The certificate is rotated and sign-ins succeed again. We are monitoring.",
            ),
            (
                75,
                Resolved,
                "Sign-in has worked normally for half an hour. This incident is resolved.",
            ),
        ],
        postmortem: None,
    },
    Story {
        title: "Slow object uploads",
        severity: 3,
        affected: &[("Object storage", 0, DegradedPerformance)],
        days_ago: 61,
        at_minute: 14 * 60 + 30,
        timeline: &[
            (
                0,
                Investigating,
                "Uploads to object storage are slower than usual.",
            ),
            (
                55,
                Resolved,
                "A noisy storage node was drained; upload times are back to normal.",
            ),
        ],
        postmortem: None,
    },
    Story {
        title: "Webhook deliveries delayed",
        severity: 3,
        affected: &[("Webhooks", 0, DegradedPerformance)],
        days_ago: 44,
        at_minute: 22 * 60 + 5,
        timeline: &[
            (
                0,
                Investigating,
                "Webhook deliveries are running up to 15 minutes late.",
            ),
            (
                30,
                Identified,
                "A queue consumer stalled after a deploy; we are restarting it.",
            ),
            (
                70,
                Resolved,
                "The backlog has drained and deliveries are on time.",
            ),
        ],
        postmortem: None,
    },
    Story {
        title: "Database failover in US East",
        severity: 2,
        affected: &[
            ("Database", 0, ServiceDisruption),
            ("API", 0, PartialServiceDisruption),
        ],
        days_ago: 27,
        at_minute: 3 * 60 + 47,
        timeline: &[
            (
                0,
                Investigating,
                "Writes to databases in US East are failing. We are investigating.",
            ),
            (
                12,
                Identified,
                "A primary failed its health checks; the failover to the replica is in progress.",
            ),
            (
                26,
                Monitoring,
                "The failover completed and writes succeed. We are watching replication lag.",
            ),
            (
                65,
                Resolved,
                "Replication has caught up and everything is operating normally.",
            ),
        ],
        postmortem: Some("https://example.com/postmortems/database-failover"),
    },
    Story {
        title: "CDN cache misses in Asia Pacific",
        severity: 4,
        affected: &[("CDN", 0, DegradedPerformance)],
        days_ago: 12,
        at_minute: 6 * 60 + 20,
        timeline: &[
            (
                0,
                Investigating,
                "Some static assets load slowly for visitors in Asia Pacific.",
            ),
            (
                95,
                Resolved,
                "The edge configuration was corrected; assets are served from cache again.",
            ),
        ],
        postmortem: None,
    },
    Story {
        title: "Elevated API error rates in EU West",
        severity: 1,
        affected: &[("API", 1, ServiceDisruption)],
        days_ago: 2,
        at_minute: 13 * 60 + 2,
        timeline: &[
            (
                0,
                Investigating,
                "API requests in EU West are failing with **5xx errors**. We are investigating and will update within 10 minutes.",
            ),
            (
                9,
                Identified,
                "A configuration change to the EU West load balancers removed healthy backends. We are rolling it back.",
            ),
            (
                21,
                Monitoring,
                "The rollback is complete and error rates are back to normal. We are monitoring.",
            ),
            (
                52,
                Resolved,
                "Error rates have stayed normal for 30 minutes. This incident is resolved; a post-mortem will follow.",
            ),
        ],
        postmortem: Some("https://example.com/postmortems/eu-west-load-balancers"),
    },
];

/// The incident still running when the demo starts.
const ACTIVE: Story = Story {
    title: "Delayed email notifications",
    severity: 3,
    affected: &[("Email notifications", 0, DegradedPerformance)],
    days_ago: 0,
    at_minute: 0,
    timeline: &[
        (
            0,
            Investigating,
            "Some notification emails are arriving up to 20 minutes late. We are investigating.",
        ),
        (
            20,
            Identified,
            "Our email provider is throttling one of our sending domains. We are moving traffic to a second provider.",
        ),
    ],
    postmortem: None,
};

/// Fills an empty store with the demo page. Returns false, changing nothing, when the store
/// already has a page.
pub async fn seed(store: &dyn Store, now: Timestamp) -> anyhow::Result<bool> {
    if !store.pages().await?.is_empty() {
        return Ok(false);
    }
    let created = now - SignedDuration::from_hours(24 * 92);
    let mut settings = PageSettings::default();
    settings.branding.header_links = vec![link("Acme home", "https://example.com/")];
    settings.branding.footer_links = vec![
        link("Contact support", "mailto:support@example.com"),
        link("Terms", "https://example.com/terms"),
    ];
    let fields = PageFields {
        slug: DEMO_SLUG.into(),
        name: "Acme Cloud".into(),
        time_zone: "UTC".into(),
        settings,
    };
    store.create_page(ACTOR, fields, created).await?;
    for (group, name, locations, description) in COMPONENTS {
        let new = NewComponent {
            name: (*name).into(),
            description: (*description).into(),
            group_name: Some((*group).into()),
            locations: locations.iter().map(|l| (*l).to_string()).collect(),
            ..NewComponent::default()
        };
        store
            .create_component(ACTOR, DEMO_SLUG, new, created)
            .await?;
    }
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    for story in HISTORY {
        let day = today - SignedDuration::from_hours(24 * story.days_ago);
        let start = day.to_zoned(jiff::tz::TimeZone::UTC)?.timestamp()
            + SignedDuration::from_mins(story.at_minute);
        tell(store, story, start).await?;
    }
    tell(store, &ACTIVE, now - SignedDuration::from_mins(35)).await?;
    maintenance(store, now).await?;
    Ok(true)
}

/// A window run last week, and one announced for the coming weekend.
async fn maintenance(store: &dyn Store, now: Timestamp) -> anyhow::Result<()> {
    let components = store.components(DEMO_SLUG).await?;
    let ids = |name: &str| -> Vec<String> {
        components
            .iter()
            .filter(|c| c.name == name)
            .flat_map(|c| c.locations.iter().map(|l| l.id.clone()))
            .collect()
    };
    let day = SignedDuration::from_hours(24);
    let announced = now - day * 10;
    let past = NewMaintenance {
        title: "Network switch replacement".into(),
        details:
            "We replace the core switches in our EU West data centre. Connections may drop briefly."
                .into(),
        affected: ids("Object storage"),
        starts_at: now - day * 7,
        ends_at: now - day * 7 + SignedDuration::from_hours(2),
        automation: true,
        reminders: None,
        channels: Channels::default(),
    };
    let window = store
        .schedule_maintenance(ACTOR, DEMO_SLUG, past, announced)
        .await?;
    for (minutes, state, text) in [
        (0, MaintenanceState::InProgress, "The work has started."),
        (
            95,
            MaintenanceState::Completed,
            "The switches are replaced and traffic is flowing normally.",
        ),
    ] {
        let draft = MaintenanceDraft {
            state: Some(state),
            details: text.into(),
            channels: Channels::default(),
            confirm_duplicate_email: false,
        };
        let at = window.starts_at + SignedDuration::from_mins(minutes);
        store
            .post_maintenance_update(ACTOR, DEMO_SLUG, &window.id, draft, at)
            .await?;
    }
    let upcoming = NewMaintenance {
        title: "Database version upgrade".into(),
        details: "We upgrade the managed **PostgreSQL** clusters to the next minor version. Each cluster is read-only for up to five minutes during its failover.".into(),
        affected: ids("Database"),
        starts_at: now + day * 3,
        ends_at: now + day * 3 + SignedDuration::from_hours(3),
        automation: true,
        // The reminders still ahead of a demo started now.
        reminders: Some(vec![24 * 60, 60]),
        channels: Channels::default(),
    };
    store
        .schedule_maintenance(ACTOR, DEMO_SLUG, upcoming, now - day)
        .await?;
    Ok(())
}

/// Writes a story through the same store calls a lead's actions make.
async fn tell(store: &dyn Store, story: &Story, start: Timestamp) -> anyhow::Result<()> {
    let components = store.components(DEMO_SLUG).await?;
    let affected = story
        .affected
        .iter()
        .map(|(name, index, level)| {
            let component = components
                .iter()
                .find(|c| c.name == *name)
                .expect("a demo component");
            AffectedLocation {
                location_id: component.locations[*index].id.clone(),
                level: *level,
            }
        })
        .collect();
    let (_, first_state, first_text) = story.timeline[0];
    let new = NewIncident {
        title: story.title.into(),
        severity: Severity::new(story.severity)?,
        state: first_state,
        details: first_text.into(),
        affected,
        channels: Channels::default(),
        subject: None,
        next_update_in: None,
        issue_link: None,
    };
    let incident = store.create_incident(ACTOR, DEMO_SLUG, new, start).await?;
    for (minutes, state, text) in &story.timeline[1..] {
        let draft = UpdateDraft {
            state: *state,
            details: (*text).into(),
            status: StatusChange::Keep,
            channels: Channels::default(),
            subject: None,
            next_update_in: None,
            issue_link: None,
        };
        let at = start + SignedDuration::from_mins(*minutes);
        store
            .post_update(ACTOR, DEMO_SLUG, &incident.id, draft, at)
            .await?;
    }
    if let Some(url) = story.postmortem {
        let at = start + SignedDuration::from_hours(30);
        store
            .set_postmortem(ACTOR, DEMO_SLUG, &incident.id, url.into(), at)
            .await?;
    }
    Ok(())
}

fn link(label: &str, url: &str) -> Link {
    Link {
        label: label.into(),
        url: url.into(),
    }
}
