//! Status.io's maintenance calls: schedule, start, update, finish, delete and list. Planned
//! times come as UTC dates (MM/DD/YYYY) and times (HH:MM); Herald's own workflow rules apply
//! (a window is started before it is finished, and planned ahead).
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use herald_core::access::Role;
use herald_core::maintenance::{Maintenance, MaintenanceState};
use herald_store::{MAX_LIST_LIMIT, MaintenanceFilter, MaintenanceQuery};
use serde_json::{Value, json};

use super::requests::{DeleteMaintenance, MaintenanceStep, ScheduleMaintenance};
use super::{Caller, CompatError, CompatJson, Reply, message_in, ok, page_with_components, shapes};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v2/maintenance/list/{statuspage_id}", get(list))
        .route("/v2/maintenances/{statuspage_id}", get(ids))
        .route(
            "/v2/maintenance/{statuspage_id}/{maintenance_id}",
            get(single),
        )
        .route(
            "/v2/maintenance/message/{statuspage_id}/{message_id}",
            get(message),
        )
        .route("/v2/maintenance/schedule", post(schedule))
        .route("/v2/maintenance/start", post(start))
        .route("/v2/maintenance/update", post(update))
        .route("/v2/maintenance/finish", post(finish))
        .route("/v2/maintenance/delete", post(delete))
}

/// A page's windows of one kind, latest planned start first, at most `limit`.
pub(super) async fn windows(
    state: &AppState,
    page_id: &str,
    filter: MaintenanceFilter,
    limit: u32,
) -> Result<Vec<Maintenance>, CompatError> {
    let query = MaintenanceQuery {
        filter,
        limit,
        before: None,
    };
    Ok(state
        .store
        .maintenances(page_id, query, state.now())
        .await?)
}

/// Every active and upcoming window (the upcoming soonest first), and the 100 resolved ones
/// with the latest planned start, as Status.io lists at most 100 incidents.
async fn list(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(page): Path<String>,
) -> Reply {
    who.require(Role::Viewer)?;
    let page = state.store.page(&page).await?;
    let components = state.store.components(&page.id).await?;
    let active = windows(&state, &page.id, MaintenanceFilter::Active, MAX_LIST_LIMIT).await?;
    let upcoming = windows(
        &state,
        &page.id,
        MaintenanceFilter::Upcoming,
        MAX_LIST_LIMIT,
    )
    .await?;
    let resolved = windows(&state, &page.id, MaintenanceFilter::Past, 100).await?;
    let shape = |list: Vec<&Maintenance>| -> Vec<Value> {
        list.into_iter()
            .map(|w| shapes::maintenance(&page, &components, w))
            .collect()
    };
    ok(
        "OK",
        json!({
            "active_maintenances": shape(active.iter().collect()),
            "upcoming_maintenances": shape(upcoming.iter().rev().collect()),
            "resolved_maintenances": shape(resolved.iter().collect()),
        }),
    )
}

/// The list "by ID": the ids of every active, upcoming (soonest first) and resolved window.
async fn ids(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(page): Path<String>,
) -> Reply {
    who.require(Role::Viewer)?;
    let page = state.store.page(&page).await?;
    let ids = |filter| state.store.maintenance_ids(&page.id, filter, state.now());
    let active = ids(MaintenanceFilter::Active).await?;
    let mut upcoming = ids(MaintenanceFilter::Upcoming).await?;
    upcoming.reverse();
    let resolved = ids(MaintenanceFilter::Past).await?;
    ok(
        "OK",
        json!({
            "active_maintenances": active,
            "upcoming_maintenances": upcoming,
            "resolved_maintenances": resolved,
        }),
    )
}

/// One window with its messages, as `maintenance/list` shows each.
async fn single(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path((page, id)): Path<(String, String)>,
) -> Reply {
    who.require(Role::Viewer)?;
    let (page, components) = page_with_components(&state, &page).await?;
    let window = state.store.maintenance(&page.id, &id).await?;
    ok("OK", shapes::maintenance(&page, &components, &window))
}

async fn message(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path((page, message)): Path<(String, String)>,
) -> Reply {
    who.require(Role::Viewer)?;
    let (page, components) = page_with_components(&state, &page).await?;
    let window = state
        .store
        .maintenance_by_update(&page.id, &message)
        .await?;
    let update = message_in(&window.updates, &message, |u| &u.id)?;
    let shape = shapes::maintenance_message(&page, &components, &window, update);
    ok("OK", shape)
}

/// Answers with the new window's id, as Status.io does.
async fn schedule(
    State(state): State<AppState>,
    Caller(who): Caller,
    CompatJson(body): CompatJson<ScheduleMaintenance>,
) -> Reply {
    who.require(Role::Responder)?;
    let components = state.store.components(&body.statuspage_id).await?;
    let new = body.to_new_maintenance(&components)?;
    let window = state
        .store
        .schedule_maintenance(&who.actor(), &body.statuspage_id, new, state.now())
        .await?;
    ok("OK", json!(window.id))
}

async fn start(state: State<AppState>, who: Caller, body: CompatJson<MaintenanceStep>) -> Reply {
    step(state, who, body, Some(MaintenanceState::InProgress)).await
}

/// Informs without changing the state.
async fn update(state: State<AppState>, who: Caller, body: CompatJson<MaintenanceStep>) -> Reply {
    step(state, who, body, None).await
}

async fn finish(state: State<AppState>, who: Caller, body: CompatJson<MaintenanceStep>) -> Reply {
    step(state, who, body, Some(MaintenanceState::Completed)).await
}

async fn step(
    State(state): State<AppState>,
    Caller(who): Caller,
    CompatJson(body): CompatJson<MaintenanceStep>,
    to: Option<MaintenanceState>,
) -> Reply {
    who.require(Role::Responder)?;
    state
        .store
        .post_maintenance_update(
            &who.actor(),
            &body.statuspage_id,
            &body.maintenance_id,
            body.draft(to),
            state.now(),
        )
        .await?;
    ok("OK", json!(true))
}

/// Takes the admin role, as deleting a window does on the admin API.
async fn delete(
    State(state): State<AppState>,
    Caller(who): Caller,
    CompatJson(body): CompatJson<DeleteMaintenance>,
) -> Reply {
    who.require(Role::Admin)?;
    state
        .store
        .delete_maintenance(
            &who.actor(),
            &body.statuspage_id,
            &body.maintenance_id,
            state.now(),
        )
        .await?;
    ok("Successfully deleted maintenance", json!(true))
}
