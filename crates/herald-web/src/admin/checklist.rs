//! An incident's stage checklist (docs/responders.md): reading it, and ticking items.
use axum::Json;
use axum::extract::{Path, State};
use herald_core::access::Role;
use herald_store::{ChecklistEntry, Tick};

use crate::auth::Principal;
use crate::problem::Body;
use crate::{ApiError, AppState};

type Result<T> = std::result::Result<T, ApiError>;

/// The incident's checklist: the page's items in stage order, each ticked by a person or seen
/// done by Herald (viewer).
#[utoipa::path(get, path = "/api/v1/pages/{page}/incidents/{incident}/checklist", tag = "incidents",
    params(("page" = String, Path), ("incident" = String, Path)),
    responses((status = 200, body = Vec<ChecklistEntry>), (status = 404)))]
pub async fn get(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
) -> Result<Json<Vec<ChecklistEntry>>> {
    who.require(Role::Viewer)?;
    Ok(Json(state.store.checklist(&page, &id).await?))
}

/// Ticks or unticks one item, named by its label; audited. An item Herald sees done stays
/// ticked (responder).
#[utoipa::path(post, path = "/api/v1/pages/{page}/incidents/{incident}/checklist", tag = "incidents",
    params(("page" = String, Path), ("incident" = String, Path)), request_body = Tick,
    responses((status = 200, body = Vec<ChecklistEntry>), (status = 404), (status = 422)))]
pub async fn tick(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
    Body(tick): Body<Tick>,
) -> Result<Json<Vec<ChecklistEntry>>> {
    who.require(Role::Responder)?;
    let entries = state
        .store
        .tick(&who.actor(), &page, &id, tick, state.now())
        .await?;
    Ok(Json(entries))
}
