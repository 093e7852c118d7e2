//! Maintenance windows in the console: a page's windows (upcoming, in progress, past) with the
//! form that schedules one, and each window with its times in UTC and in the page's zone, its
//! reminders, and the forms that post an update (starting, finishing or cancelling it, or only
//! informing), reschedule it, change its reminders and take it over from the automation or
//! hand it back. Planned times are typed as a local date and time in a named IANA zone. The
//! update and schedule forms have the incident forms' lints, preview and channel choices.
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use herald_core::broadcast;
use herald_core::component::{self, Component};
use herald_core::event::Event;
use herald_core::incident::PageContext;
use herald_core::lint;
use herald_core::maintenance::{
    self, Maintenance, MaintenanceDraft, MaintenanceState, NewMaintenance, Reschedule,
};
use herald_core::page::Page;
use herald_core::planned_time;
use herald_core::{DomainError, Id};
use herald_notify::announcement::Item;
use herald_public::render::markdown;
use herald_store::{MaintenanceFilter, MaintenanceQuery, StoreError};
use jiff::Timestamp;
use serde_json::{Value, json};

use super::compose::{self, Previewed};
use super::form::FormData;
use super::incidents::{Errors, refused};
use super::manage::items;
use super::session::{Posted, Responder, SignedIn};
use super::view::{self, wire_name};
use super::words;
use crate::AppState;

/// How many windows each list shows; older ones are in the admin API.
const LISTED: u32 = 50;

fn window_path(page: &str, id: &str) -> String {
    format!("/console/pages/{page}/maintenance/{id}")
}

/// What the forms of both pages offer.
fn choices(page: &Page) -> Value {
    compose::channel_choices(&page.settings.lint)
}

/// An instant in UTC and in the page's zone, with how far from now.
fn times(at: Timestamp, zone: &str, now: Timestamp) -> Value {
    json!({
        "utc": at.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        "moment": words::moment(at, zone, now),
    })
}

/// An instant as a `datetime-local` field shows it, in `zone`.
fn local_field(at: Timestamp, zone: &str) -> String {
    at.in_tz(zone)
        .map(|z| z.strftime("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

fn row(m: &Maintenance, zone: &str, now: Timestamp) -> Value {
    json!({
        "id": m.id,
        "title": m.title,
        "state": m.state.label(),
        "automation": m.automation,
        "starts": times(m.starts_at, zone, now),
        "ends": times(m.ends_at, zone, now),
    })
}

/// Minutes as the reminder fields show them: `1440, 60`.
fn minutes_text(minutes: &[u32]) -> String {
    minutes
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn list(
    State(state): State<AppState>,
    Path(page): Path<String>,
    who: SignedIn,
) -> Response {
    let page = match state.store.page(&page).await {
        Ok(page) => page,
        Err(error) => return view::failure(&state, Some(&who), error.into()),
    };
    let values = json!({
        "time_zone": page.time_zone,
        "channels": compose::configured_channels(),
        "reminders": minutes_text(&page.settings.maintenance_reminders),
        "automation": true,
    });
    list_page(&state, &who, &page, StatusCode::OK, values, Errors::new()).await
}

/// The page's windows and the schedule form, with what was typed and what was wrong with it.
async fn list_page(
    state: &AppState,
    who: &SignedIn,
    page: &Page,
    status: StatusCode,
    values: Value,
    errors: Errors,
) -> Response {
    let now = state.now();
    let listed = |filter| MaintenanceQuery {
        filter,
        limit: LISTED,
        before: None,
    };
    let loaded = async {
        let components = state.store.components(&page.id).await?;
        let mut upcoming = state
            .store
            .maintenances(&page.id, listed(MaintenanceFilter::Upcoming), now)
            .await?;
        // The next window first.
        upcoming.reverse();
        let active = state
            .store
            .maintenances(&page.id, listed(MaintenanceFilter::Active), now)
            .await?;
        let past = state
            .store
            .maintenances(&page.id, listed(MaintenanceFilter::Past), now)
            .await?;
        Ok::<_, StoreError>((components, [active, upcoming, past]))
    };
    let (components, lists) = match loaded.await {
        Ok(found) => found,
        Err(error) => return view::failure(state, Some(who), error.into()),
    };
    let [active, upcoming, past] = lists.map(|l| {
        l.iter()
            .map(|m| row(m, &page.time_zone, now))
            .collect::<Vec<_>>()
    });
    let context = json!({
        "title": format!("Maintenance on {}", page.name),
        "page": {"slug": page.slug, "name": page.name, "time_zone": page.time_zone},
        "components": components_view(&components),
        "active": active,
        "upcoming": upcoming,
        "past": past,
        "values": values,
        "errors": errors,
        "choices": choices(page),
    });
    view::page(state, Some(who), status, "maintenance.html", context)
}

fn components_view(components: &[Component]) -> Value {
    json!(components.iter().map(|c| json!({
        "id": c.id,
        "name": c.name,
        "locations": c.locations.iter().map(|l| json!({"id": l.id, "name": l.name})).collect::<Vec<_>>(),
    })).collect::<Vec<_>>())
}

/// The schedule form's values as the template shows them again after a refusal.
fn sticky(form: &FormData) -> Value {
    json!({
        "title": form.text("title"),
        "details": form.get("details").unwrap_or_default(),
        "locations": form.all("locations"),
        "whole": form.all("whole"),
        "starts_at": form.text("starts_at"),
        "ends_at": form.text("ends_at"),
        "time_zone": form.text("time_zone"),
        "reminders": form.text("reminders"),
        "automation": form.get("automation").is_some(),
        "channels": form.all("channels"),
    })
}

/// Minutes typed into `field`, separated by commas; a note against the field if one is not a
/// whole number.
fn reminders(form: &FormData, field: &'static str, errors: &mut Errors) -> Vec<u32> {
    let mut minutes = Vec::new();
    for item in items(form, field) {
        match item.parse::<u32>() {
            Ok(m) => minutes.push(m),
            Err(_) => {
                errors.insert(
                    field,
                    format!("Give minutes before the start separated by commas, such as 1440, 60; {item:?} is not a whole number of minutes."),
                );
            }
        }
    }
    minutes
}

/// The planned times typed into `start` and `end`, in the zone typed into `zone`; each
/// problem noted against its field.
fn planned(
    form: &FormData,
    [start, end, zone]: [&'static str; 3],
    errors: &mut Errors,
) -> Option<(Timestamp, Timestamp)> {
    let mut read = |field: &'static str| match planned_time::in_zone(
        (field, &form.text(field)),
        (zone, &form.text(zone)),
    ) {
        Ok(at) => Some(at),
        Err(error) => {
            note(errors, error);
            None
        }
    };
    let starts = read(start);
    let ends = read(end);
    Some((starts?, ends?))
}

/// A rule's refusal beside the field it names.
fn note(errors: &mut Errors, error: DomainError) {
    if let Ok(refusal) = refused(StoreError::Domain(error)) {
        errors.extend(refusal);
    }
}

/// The window the schedule form asks for. A "whole component" tick stands for its locations.
fn new_window(form: &FormData, components: &[Component]) -> Result<NewMaintenance, Errors> {
    let mut errors = Errors::new();
    let times = planned(form, ["starts_at", "ends_at", "time_zone"], &mut errors);
    let reminders = reminders(form, "reminders", &mut errors);
    let ticked = [form.all("whole"), form.all("locations")].concat();
    match times {
        Some((starts_at, ends_at)) if errors.is_empty() => Ok(NewMaintenance {
            title: form.text("title"),
            details: form.get("details").unwrap_or_default().to_string(),
            affected: component::locations_named(components, &ticked),
            starts_at,
            ends_at,
            automation: form.get("automation").is_some(),
            reminders: Some(reminders),
            channels: compose::ticked(form),
        }),
        _ => Err(errors),
    }
}

pub async fn schedule(
    State(state): State<AppState>,
    Path(page): Path<String>,
    Responder(Posted { who, form }): Responder,
) -> Response {
    let loaded = async {
        let page = state.store.page(&page).await?;
        let components = state.store.components(&page.id).await?;
        Ok::<_, StoreError>((page, components))
    };
    let (page, components) = match loaded.await {
        Ok(found) => found,
        Err(error) => return view::failure(&state, Some(&who), error.into()),
    };
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    let new = match new_window(&form, &components) {
        Ok(new) => new,
        Err(errors) => return list_page(&state, &who, &page, status, sticky(&form), errors).await,
    };
    let scheduled = state
        .store
        .schedule_maintenance(&who.actor(), &page.slug, new, state.now())
        .await;
    match scheduled.map_err(refused) {
        Ok(window) => {
            state.nudge.notify_one();
            Redirect::to(&window_path(&page.slug, &window.id)).into_response()
        }
        Err(Ok(errors)) => list_page(&state, &who, &page, status, sticky(&form), errors).await,
        Err(Err(failure)) => view::failure(&state, Some(&who), failure),
    }
}

pub async fn show(
    State(state): State<AppState>,
    Path((page, id)): Path<(String, String)>,
    who: SignedIn,
) -> Response {
    let values = json!({"channels": compose::configured_channels()});
    window_page(
        &state,
        &who,
        (&page, &id),
        StatusCode::OK,
        values,
        Errors::new(),
    )
    .await
}

/// The states an update may move the window to, each with what choosing it does.
fn next_states(m: &Maintenance) -> Vec<Value> {
    m.state
        .next_states()
        .iter()
        .map(|&s| {
            let label = match s {
                s if s == m.state => format!("Stay {} (only inform)", s.label().to_lowercase()),
                MaintenanceState::InProgress if m.state == MaintenanceState::Scheduled => {
                    "In progress (start the work)".to_string()
                }
                MaintenanceState::Completed => "Completed (finish)".to_string(),
                MaintenanceState::Cancelled => "Cancelled (call it off)".to_string(),
                s => s.label().to_string(),
            };
            json!({"value": wire_name(&s), "label": label})
        })
        .collect()
}

async fn window_page(
    state: &AppState,
    who: &SignedIn,
    (page, id): (&str, &str),
    status: StatusCode,
    mut values: Value,
    errors: Errors,
) -> Response {
    let loaded = async {
        let page = state.store.page(page).await?;
        let window = state.store.maintenance(&page.id, id).await?;
        let components = state.store.components(&page.id).await?;
        Ok::<_, StoreError>((page, window, components))
    };
    let (page, m, components) = match loaded.await {
        Ok(found) => found,
        Err(error) => return view::failure(state, Some(who), error.into()),
    };
    let now = state.now();
    let zone = page.time_zone.as_str();
    if values.get("state").is_none() {
        values["state"] = json!(wire_name(&m.state));
    }
    if values.get("reschedule").is_none() {
        values["reschedule"] = json!({
            "new_starts_at": local_field(m.starts_at, zone),
            "new_ends_at": local_field(m.ends_at, zone),
            "new_time_zone": zone,
            "channels": compose::configured_channels(),
        });
    }
    if values.get("reminders").is_none() {
        values["reminders"] = json!(minutes_text(&m.reminders));
    }
    let affected: Vec<String> = m
        .affected
        .iter()
        .filter_map(|location| {
            let c = component::component_of(&components, location)?;
            let l = c.locations.iter().find(|l| &l.id == location)?;
            Some(match c.locations.len() {
                1 => c.name.clone(),
                _ => format!("{}: {}", c.name, l.name),
            })
        })
        .collect();
    let mut window = row(&m, zone, now);
    window["final"] = json!(m.state.is_final());
    window["scheduled"] = json!(m.state == MaintenanceState::Scheduled);
    window["affected"] = json!(affected);
    window["started_at"] = json!(m.started_at.map(|t| times(t, zone, now)));
    window["ended_at"] = json!(m.ended_at.map(|t| times(t, zone, now)));
    window["reminders"] = json!(
        m.reminders_due()
            .map(|(mins, at)| json!({
                "before": words::span(i64::from(mins) * 60),
                "at": times(at, zone, now),
                "past": at <= now,
            }))
            .collect::<Vec<_>>()
    );
    window["updates"] = json!(
        m.updates
            .iter()
            .rev()
            .map(|u| json!({
                "state": u.state.label(),
                "at": words::moment(u.at, zone, now),
                "html": markdown::to_html(&u.details),
                "author": u.author,
            }))
            .collect::<Vec<_>>()
    );
    let context = json!({
        "title": m.title,
        "page": {"slug": page.slug, "name": page.name, "time_zone": page.time_zone},
        "window": window,
        "next_states": next_states(&m),
        "values": values,
        "errors": errors,
        "choices": choices(&page),
    });
    view::page(state, Some(who), status, "maintenance_window.html", context)
}

/// The update form's draft.
fn draft(form: &FormData) -> MaintenanceDraft {
    MaintenanceDraft {
        state: serde_json::from_value(json!(form.text("state"))).ok(),
        details: form.get("details").unwrap_or_default().to_string(),
        channels: compose::ticked(form),
        confirm_duplicate_email: form.get("confirm_duplicate_email").is_some(),
    }
}

/// Where a form on the window page ends: back on the window; on it again with the reason
/// beside the field (422) and what was typed kept; or a failure page.
async fn settled<T>(
    state: &AppState,
    who: &SignedIn,
    (page, id): (&str, &str),
    result: Result<Result<T, Errors>, crate::ApiError>,
    values: Value,
) -> Response {
    match result {
        Ok(Ok(_)) => {
            state.nudge.notify_one();
            Redirect::to(&window_path(page, id)).into_response()
        }
        Ok(Err(errors)) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            window_page(state, who, (page, id), status, values, errors).await
        }
        Err(failure) => view::failure(state, Some(who), failure),
    }
}

/// A store call's outcome on the window page: done, refused with the reason beside the field
/// (`rename` moves a rule's field to the form's own name for it), or a failure page.
fn outcome<T>(
    result: Result<T, StoreError>,
    rename: impl Fn(&'static str) -> &'static str,
) -> Result<Result<T, Errors>, crate::ApiError> {
    match result.map_err(refused) {
        Ok(done) => Ok(Ok(done)),
        Err(Ok(errors)) => Ok(Err(errors
            .into_iter()
            .map(|(field, message)| (rename(field), message))
            .collect())),
        Err(Err(failure)) => Err(failure),
    }
}

pub async fn post_update(
    State(state): State<AppState>,
    Path((page, id)): Path<(String, String)>,
    Responder(Posted { who, form }): Responder,
) -> Response {
    let posted = state
        .store
        .post_maintenance_update(&who.actor(), &page, &id, draft(&form), state.now())
        .await;
    let values = json!({
        "state": form.text("state"),
        "details": form.get("details").unwrap_or_default(),
        "channels": form.all("channels"),
        "confirm_duplicate_email": form.get("confirm_duplicate_email").is_some(),
    });
    let result = outcome(posted, |field| field);
    settled(&state, &who, (&page, &id), result, values).await
}

pub async fn reschedule(
    State(state): State<AppState>,
    Path((page, id)): Path<(String, String)>,
    Responder(Posted { who, form }): Responder,
) -> Response {
    let mut errors = Errors::new();
    let fields = ["new_starts_at", "new_ends_at", "new_time_zone"];
    let times = planned(&form, fields, &mut errors);
    let result = match times {
        Some((starts_at, ends_at)) if errors.is_empty() => {
            let times = Reschedule {
                starts_at,
                ends_at,
                details: Some(form.text("reason")),
                channels: compose::ticked(&form),
            };
            let moved = state
                .store
                .reschedule_maintenance(&who.actor(), &page, &id, times, state.now())
                .await;
            outcome(moved, |field| match field {
                "starts_at" => "new_starts_at",
                "ends_at" => "new_ends_at",
                "details" => "reason",
                "channels" => "reschedule_channels",
                other => other,
            })
        }
        _ => Ok(Err(errors)),
    };
    let values = json!({
        "reschedule": {
            "new_starts_at": form.text("new_starts_at"),
            "new_ends_at": form.text("new_ends_at"),
            "new_time_zone": form.text("new_time_zone"),
            "reason": form.text("reason"),
            "channels": form.all("channels"),
        },
    });
    settled(&state, &who, (&page, &id), result, values).await
}

pub async fn set_reminders(
    State(state): State<AppState>,
    Path((page, id)): Path<(String, String)>,
    Responder(Posted { who, form }): Responder,
) -> Response {
    let mut errors = Errors::new();
    let minutes = reminders(&form, "reminders", &mut errors);
    let result = match errors.is_empty() {
        true => {
            let set = state
                .store
                .set_maintenance_reminders(&who.actor(), &page, &id, minutes, state.now())
                .await;
            outcome(set, |_| "reminders")
        }
        false => Ok(Err(errors)),
    };
    let values = json!({"reminders": form.text("reminders")});
    settled(&state, &who, (&page, &id), result, values).await
}

/// Takes the window over from the automation (`enabled=false`) or hands it back.
pub async fn set_automation(
    State(state): State<AppState>,
    Path((page, id)): Path<(String, String)>,
    Responder(Posted { who, form }): Responder,
) -> Response {
    let enabled = form.text("enabled") == "true";
    let set = state
        .store
        .set_maintenance_automation(&who.actor(), &page, &id, enabled, state.now())
        .await;
    let result = outcome(set, |_| "automation");
    settled(&state, &who, (&page, &id), result, json!({})).await
}

/// What the schedule or update form would publish, as the lead types: the counters, the lints
/// (and whether emailing would be held back for a reminder), when the next update would be
/// due, and the message as each channel would show it. JSON, for the console's script.
pub async fn preview(
    State(state): State<AppState>,
    Path(page): Path<String>,
    Responder(Posted { who, form }): Responder,
) -> Response {
    let loaded = async {
        let page = state.store.page(&page).await?;
        let components = state.store.components(&page.id).await?;
        let window = match form.get("maintenance").filter(|id| !id.is_empty()) {
            Some(id) => Some(state.store.maintenance(&page.id, id).await?),
            None => None,
        };
        Ok::<_, StoreError>((page, components, window))
    };
    let (page, components, current) = match loaded.await {
        Ok(found) => found,
        Err(error) => return crate::ApiError::from(error).into_response(),
    };
    let locations: Vec<_> = components
        .iter()
        .flat_map(|c| c.locations.clone())
        .collect();
    let now = state.now();
    let preview_id = || Id::from("preview");
    let decided = match &current {
        Some(current) => {
            let draft = draft(&form);
            maintenance::preview(current, &page.settings, &draft, now).and_then(|p| {
                let lints = p.lints_with_clash();
                // The clash is shown as a lint; the message is drawn as it would go out.
                let draft = MaintenanceDraft {
                    confirm_duplicate_email: true,
                    ..draft
                };
                let decision =
                    maintenance::post_update(current, preview_id(), draft, &who.actor(), now)?;
                Ok((decision, lints, p.next_update_due))
            })
        }
        None => match new_window(&form, &components) {
            Ok(new) => {
                let lints = lint::check_text(&page.settings.lint, &new.details);
                let ctx = PageContext {
                    page: &page,
                    locations: &locations,
                };
                maintenance::schedule(ctx, preview_id(), preview_id(), new, &who.actor(), now)
                    .map(|decision| (decision, lints, None))
            }
            Err(errors) => return Json(json!({"ok": false, "errors": errors})).into_response(),
        },
    };
    let (decision, lints, next_update_due) = match decided {
        Ok(decided) => decided,
        Err(error) => {
            let mut errors = Errors::new();
            note(&mut errors, error);
            return Json(json!({"ok": false, "errors": errors})).into_response();
        }
    };
    let window = decision.maintenance;
    let rules = &page.settings.lint;
    let told = |e: &Event| broadcast::for_maintenance(e.kind, &window, &locations, rules);
    let broadcast = decision.events.first().and_then(told);
    let details = window
        .updates
        .last()
        .map(|u| u.details.clone())
        .unwrap_or_default();
    let previewed = Previewed {
        details: &details,
        rules,
        lints,
        next_update_due,
    };
    match compose::rendered(&state, previewed, Item::Maintenance(window), broadcast).await {
        Ok(body) => Json(body).into_response(),
        Err(failure) => failure.into_response(),
    }
}
