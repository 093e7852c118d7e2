//! Scheduled maintenance windows. Planned times are RFC 3339 instants
//! (`2026-03-01T22:00:00Z`, or with an offset) or local times with an IANA zone
//! (`2026-03-29 01:30 Europe/Berlin`); they are stored and returned in UTC.
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use herald_core::access::Role;
use herald_core::maintenance::{
    self, Maintenance, MaintenanceDraft, MaintenancePreview, NewMaintenance, Reschedule,
};
use herald_store::{MaintenanceFilter, MaintenanceQuery};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Principal;
use crate::bounded::Limit;
use crate::problem::{Body, Query};
use crate::{ApiError, AppState};

type Result<T> = std::result::Result<T, ApiError>;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `upcoming` (scheduled, planned end ahead), `active` (in progress or verifying), `past`
    /// (completed, cancelled, or never started before the planned end) or `all` (the default).
    #[serde(default)]
    #[param(inline)]
    pub filter: MaintenanceFilter,
    /// At most this many, latest planned start first (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    pub limit: Option<Limit>,
    /// The id of the last window of the previous page of results.
    pub before: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutomationRequest {
    /// Whether Herald is to start and complete the window at its planned times; off to run
    /// it by hand.
    pub enabled: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemindersRequest {
    /// Minutes before the planned start at which subscribers are reminded, each from 1 to
    /// 43,200 (30 days); `[]` for none.
    #[schema(max_items = 10)]
    pub reminders: Vec<u32>,
}

/// Maintenance windows, latest planned start first.
#[utoipa::path(get, path = "/api/v1/pages/{page}/maintenance", tag = "maintenance", params(("page" = String, Path), ListParams),
    responses((status = 200, body = Vec<Maintenance>), (status = 404)))]
pub async fn list(
    State(state): State<AppState>,
    who: Principal,
    Path(page): Path<String>,
    Query(params): Query<ListParams>,
) -> Result<Json<Vec<Maintenance>>> {
    who.require(Role::Viewer)?;
    let query = MaintenanceQuery {
        filter: params.filter,
        limit: params
            .limit
            .map_or(MaintenanceQuery::default().limit, Limit::get),
        before: params.before,
    };
    Ok(Json(
        state.store.maintenances(&page, query, state.now()).await?,
    ))
}

/// Schedules a window; its details are the first update (responder).
#[utoipa::path(post, path = "/api/v1/pages/{page}/maintenance", tag = "maintenance", params(("page" = String, Path)), request_body = NewMaintenance,
    responses((status = 201, body = Maintenance), (status = 404), (status = 422, description = "a rule refused it")))]
pub async fn schedule(
    State(state): State<AppState>,
    who: Principal,
    Path(page): Path<String>,
    Body(new): Body<NewMaintenance>,
) -> Result<(StatusCode, Json<Maintenance>)> {
    who.require(Role::Responder)?;
    let window = state
        .store
        .schedule_maintenance(&who.actor(), &page, new, state.now())
        .await?;
    Ok((StatusCode::CREATED, Json(window)))
}

#[utoipa::path(get, path = "/api/v1/pages/{page}/maintenance/{maintenance}", tag = "maintenance", params(("page" = String, Path), ("maintenance" = String, Path)),
    responses((status = 200, body = Maintenance), (status = 404)))]
pub async fn get(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
) -> Result<Json<Maintenance>> {
    who.require(Role::Viewer)?;
    Ok(Json(state.store.maintenance(&page, &id).await?))
}

/// Deletes a window and its timeline; the audit log keeps what it was (admin).
#[utoipa::path(delete, path = "/api/v1/pages/{page}/maintenance/{maintenance}", tag = "maintenance", params(("page" = String, Path), ("maintenance" = String, Path)),
    responses((status = 204), (status = 404)))]
pub async fn delete(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
) -> Result<StatusCode> {
    who.require(Role::Admin)?;
    state
        .store
        .delete_maintenance(&who.actor(), &page, &id, state.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Posts an update: informs, starts (early), moves to verifying, completes (early) or cancels
/// (responder).
#[utoipa::path(post, path = "/api/v1/pages/{page}/maintenance/{maintenance}/updates", tag = "maintenance",
    params(("page" = String, Path), ("maintenance" = String, Path)), request_body = MaintenanceDraft,
    responses((status = 201, body = Maintenance), (status = 404), (status = 422)))]
pub async fn post_update(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
    Body(draft): Body<MaintenanceDraft>,
) -> Result<(StatusCode, Json<Maintenance>)> {
    who.require(Role::Responder)?;
    let window = state
        .store
        .post_maintenance_update(&who.actor(), &page, &id, draft, state.now())
        .await?;
    Ok((StatusCode::CREATED, Json(window)))
}

/// The lints of a draft update, whether emailing it would be refused (a reminder goes out
/// within the hour), and when the next update would be due; nothing is posted.
#[utoipa::path(post, path = "/api/v1/pages/{page}/maintenance/{maintenance}/preview", tag = "maintenance",
    params(("page" = String, Path), ("maintenance" = String, Path)), request_body = MaintenanceDraft,
    responses((status = 200, body = MaintenancePreview), (status = 404), (status = 422)))]
pub async fn preview(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
    Body(draft): Body<MaintenanceDraft>,
) -> Result<Json<MaintenancePreview>> {
    who.require(Role::Responder)?;
    let window = state.store.maintenance(&page, &id).await?;
    let page = state.store.page(&page).await?;
    Ok(Json(maintenance::preview(
        &window,
        &page.settings,
        &draft,
        state.now(),
    )?))
}

/// Moves the planned times, raising the sequence and saying so on the timeline; a window in
/// progress keeps its start and may be extended or shortened (responder).
#[utoipa::path(put, path = "/api/v1/pages/{page}/maintenance/{maintenance}/schedule", tag = "maintenance",
    params(("page" = String, Path), ("maintenance" = String, Path)), request_body = Reschedule,
    responses((status = 200, body = Maintenance), (status = 404), (status = 422)))]
pub async fn reschedule(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
    Body(times): Body<Reschedule>,
) -> Result<Json<Maintenance>> {
    who.require(Role::Responder)?;
    Ok(Json(
        state
            .store
            .reschedule_maintenance(&who.actor(), &page, &id, times, state.now())
            .await?,
    ))
}

/// Switches automation off, to run the window by hand, or back on (responder).
#[utoipa::path(put, path = "/api/v1/pages/{page}/maintenance/{maintenance}/automation", tag = "maintenance",
    params(("page" = String, Path), ("maintenance" = String, Path)), request_body = AutomationRequest,
    responses((status = 200, body = Maintenance), (status = 404), (status = 422)))]
pub async fn set_automation(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
    Body(body): Body<AutomationRequest>,
) -> Result<Json<Maintenance>> {
    who.require(Role::Responder)?;
    Ok(Json(
        state
            .store
            .set_maintenance_automation(&who.actor(), &page, &id, body.enabled, state.now())
            .await?,
    ))
}

/// Replaces the reminders of a window not yet started; those no longer asked for are not sent
/// (responder).
#[utoipa::path(put, path = "/api/v1/pages/{page}/maintenance/{maintenance}/reminders", tag = "maintenance",
    params(("page" = String, Path), ("maintenance" = String, Path)), request_body = RemindersRequest,
    responses((status = 200, body = Maintenance), (status = 404), (status = 422)))]
pub async fn set_reminders(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
    Body(body): Body<RemindersRequest>,
) -> Result<Json<Maintenance>> {
    who.require(Role::Responder)?;
    Ok(Json(
        state
            .store
            .set_maintenance_reminders(&who.actor(), &page, &id, body.reminders, state.now())
            .await?,
    ))
}
