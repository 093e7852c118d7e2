//! The dashboard: what needs the lead now. The nudges they have not yet seen, active
//! incidents with the time since their last update and the countdown to the next one due,
//! maintenance under way and coming, and the newest broadcast's delivery report with its
//! failures first.
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use herald_core::broadcast::Subject;
use herald_core::cadence::next_update_due;
use herald_core::incident::Incident;
use herald_core::nudge::NudgeKind;
use herald_core::page::Page;
use herald_store::{
    DeliveryReport, IncidentFilter, IncidentQuery, MAX_LIST_LIMIT, MaintenanceFilter,
    MaintenanceQuery, NudgeQuery, StoreError,
};
use jiff::Timestamp;
use serde_json::{Value, json};

use super::session::{Posted, SignedIn};
use super::view;
use super::words;
use crate::AppState;

/// Within this many seconds of the deadline, the countdown turns amber.
pub const SOON_SECS: i64 = 120;
/// The most unseen nudges listed per page; older ones are in the admin API.
const UNSEEN_NUDGES: u32 = 20;

pub async fn show(State(state): State<AppState>, who: SignedIn) -> Response {
    match gather(&state, &who.session.user.id).await {
        Ok(context) => view::page(
            &state,
            Some(&who),
            StatusCode::OK,
            "dashboard.html",
            context,
        ),
        Err(error) => view::failure(&state, Some(&who), error.into()),
    }
}

async fn gather(state: &AppState, user_id: &str) -> Result<Value, StoreError> {
    let now = state.now();
    let mut pages = Vec::new();
    let mut nudges = Vec::new();
    // The newest broadcast of any page, with that page's time zone.
    let mut newest: Option<(DeliveryReport, &str)> = None;
    let all = state.store.pages().await?;
    for page in &all {
        let incidents = state.store.incidents(&page.id, active()).await?;
        let recent = state.store.incidents(&page.id, latest()).await?;
        for incident in incidents.iter().chain(&recent) {
            let reports = state.store.delivery_report(&page.id, &incident.id).await?;
            if let Some(report) = reports.into_iter().max_by_key(|r| r.created_at)
                && newest
                    .as_ref()
                    .is_none_or(|(n, _)| report.created_at > n.created_at)
            {
                newest = Some((report, &page.time_zone));
            }
        }
        let windows = |filter| MaintenanceQuery {
            filter,
            limit: 10,
            ..MaintenanceQuery::default()
        };
        let under_way = state
            .store
            .maintenances(&page.id, windows(MaintenanceFilter::Active), now)
            .await?;
        let upcoming = state
            .store
            .maintenances(&page.id, windows(MaintenanceFilter::Upcoming), now)
            .await?;
        let maintenance: Vec<Value> = under_way
            .iter()
            .chain(&upcoming)
            .map(|m| {
                json!({
                    "id": m.id,
                    "title": m.title,
                    "state": m.state.label(),
                    "starts_at": words::moment(m.starts_at, &page.time_zone, now),
                    "ends_at": words::moment(m.ends_at, &page.time_zone, now),
                })
            })
            .collect();
        let mut rows = Vec::new();
        for incident in &incidents {
            rows.push(incident_row(
                incident,
                due(state, page, incident).await,
                now,
            ));
        }
        let adherence = state.store.page_adherence(&page.id, now).await?;
        let unseen = NudgeQuery {
            user: Some(user_id.to_string()),
            since: None,
            unseen: true,
            limit: UNSEEN_NUDGES,
        };
        for nudge in state.store.nudges(&page.id, unseen).await? {
            nudges.push(json!({
                "page": page.name,
                "headline": nudge.text.headline,
                "body": nudge.text.body,
                "url": nudge.text.url,
                "urgent": nudge.kind != NudgeKind::Before,
                "created_at": words::moment(nudge.created_at, &page.time_zone, now),
            }));
        }
        pages.push(json!({
            "slug": page.slug,
            "name": page.name,
            "incidents": rows,
            "maintenance": maintenance,
            "adherence": {"due": adherence.total.due, "on_time": adherence.total.on_time},
        }));
    }
    Ok(json!({
        "title": "Dashboard",
        "pages": pages,
        "nudges": nudges,
        "report": newest.map(|(r, zone)| report(r, zone, now)),
    }))
}

fn active() -> IncidentQuery {
    IncidentQuery {
        filter: IncidentFilter::Active,
        limit: MAX_LIST_LIMIT,
        before: None,
    }
}

fn latest() -> IncidentQuery {
    IncidentQuery {
        filter: IncidentFilter::All,
        limit: 1,
        before: None,
    }
}

/// When the incident's next update is due: the engine's open deadline (which knows about
/// snoozes), or the cadence table's for an incident the engine has not seen change yet.
pub fn due_from(engine: Option<Timestamp>, page: &Page, incident: &Incident) -> Option<Timestamp> {
    engine.or_else(|| next_update_due(&page.settings.cadence, incident))
}

/// [`due_from`], reading the engine's deadline.
async fn due(state: &AppState, page: &Page, incident: &Incident) -> Option<Timestamp> {
    let engine = state
        .store
        .cadence(&page.id, Subject::Incident, &incident.id)
        .await
        .ok()
        .and_then(|cadence| cadence.next_update_due);
    due_from(engine, page, incident)
}

/// An active incident as the dashboard lists it, with its deadline and how close it is.
pub fn incident_row(incident: &Incident, due: Option<Timestamp>, now: Timestamp) -> Value {
    let last = incident.updates.last().map(|u| u.at);
    json!({
        "id": incident.id,
        "title": incident.title,
        "severity": incident.severity.get(),
        "state": incident.state.label(),
        "last_update_at": last.map(|t| t.to_string()),
        "since_last": last.map(|t| words::relative(t, now)),
        "due": due.map(|due| deadline(due, now)),
    })
}

/// A deadline as shown: when, in words, and how urgent (`ok`, `soon`, `overdue`).
pub fn deadline(due: Timestamp, now: Timestamp) -> Value {
    let left = due.duration_since(now).as_secs();
    let (urgency, words) = if left < 0 {
        ("overdue", format!("overdue by {}", words::span(-left)))
    } else if left <= SOON_SECS {
        ("soon", format!("due in {}", words::span(left)))
    } else {
        ("ok", format!("due in {}", words::span(left)))
    };
    json!({"at": due.to_string(), "urgency": urgency, "words": words})
}

/// A delivery report, channels with failures first, its time in the page's zone.
pub fn report(r: DeliveryReport, zone: &str, now: Timestamp) -> Value {
    let mut channels = r.channels;
    channels.sort_by_key(|c| (std::cmp::Reverse(c.failed), std::cmp::Reverse(c.retrying)));
    json!({
        "event": words::event(&r.event),
        "created_at": words::moment(r.created_at, zone, now),
        "fanned_out": r.fanned_out,
        "channels": channels.iter().map(|c| json!({
            "channel": c.channel.name(),
            "status": words::delivery_status(&c.status),
            "matched": c.matched,
            "delivered": c.delivered,
            "retrying": c.retrying,
            "failed": c.failed,
            "queued": c.queued,
            "last_error": c.last_error,
        })).collect::<Vec<_>>(),
        "skipped": r.skipped,
    })
}

/// Marks the signed-in person's nudges seen, so the dashboard stops listing them.
pub async fn nudges_seen(State(state): State<AppState>, Posted { who, .. }: Posted) -> Response {
    let user = who.session.user.id.clone();
    match state
        .store
        .mark_nudges_seen(&who.actor(), &user, state.now())
        .await
    {
        Ok(_) => Redirect::to("/console").into_response(),
        Err(error) => view::failure(&state, Some(&who), error.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_turns_amber_two_minutes_before_and_red_after() {
        let due: Timestamp = "2026-01-01T10:00:00Z".parse().unwrap();
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        assert_eq!(deadline(due, at("2026-01-01T09:57:59Z"))["urgency"], "ok");
        assert_eq!(deadline(due, at("2026-01-01T09:58:00Z"))["urgency"], "soon");
        assert_eq!(deadline(due, at("2026-01-01T10:00:00Z"))["urgency"], "soon");
        let late = deadline(due, at("2026-01-01T10:03:10Z"));
        assert_eq!(late["urgency"], "overdue");
        assert_eq!(late["words"], "overdue by 3 min");
    }
}
