use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use herald_core::access::Role;
use herald_core::component::{Component, Group};
use herald_core::status::StatusLevel;
use herald_store::{ComponentPatch, NewComponent};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::problem::Body;
use crate::{ApiError, AppState};

type Result<T> = std::result::Result<T, ApiError>;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Named {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideRequest {
    /// The level to hold the location at by hand, or `null` to clear the override.
    pub level: Option<StatusLevel>,
}

#[utoipa::path(get, path = "/api/v1/pages/{page}/groups", tag = "components", params(("page" = String, Path)),
    responses((status = 200, body = Vec<Group>), (status = 404)))]
pub async fn list_groups(
    State(state): State<AppState>,
    who: Principal,
    Path(page): Path<String>,
) -> Result<Json<Vec<Group>>> {
    who.require(Role::Viewer)?;
    Ok(Json(state.store.groups(&page).await?))
}

/// Creates a component group (admin).
#[utoipa::path(post, path = "/api/v1/pages/{page}/groups", tag = "components", params(("page" = String, Path)), request_body = Named,
    responses((status = 201, body = Group), (status = 409), (status = 422)))]
pub async fn create_group(
    State(state): State<AppState>,
    who: Principal,
    Path(page): Path<String>,
    Body(body): Body<Named>,
) -> Result<(StatusCode, Json<Group>)> {
    who.require(Role::Admin)?;
    let group = state
        .store
        .create_group(&who.actor(), &page, body.name, state.now())
        .await?;
    Ok((StatusCode::CREATED, Json(group)))
}

#[utoipa::path(get, path = "/api/v1/pages/{page}/components", tag = "components", params(("page" = String, Path)),
    responses((status = 200, body = Vec<Component>), (status = 404)))]
pub async fn list(
    State(state): State<AppState>,
    who: Principal,
    Path(page): Path<String>,
) -> Result<Json<Vec<Component>>> {
    who.require(Role::Viewer)?;
    Ok(Json(state.store.components(&page).await?))
}

/// Creates a component with its locations (admin); without named locations it gets one.
#[utoipa::path(post, path = "/api/v1/pages/{page}/components", tag = "components", params(("page" = String, Path)), request_body = NewComponent,
    responses((status = 201, body = Component), (status = 404), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    who: Principal,
    Path(page): Path<String>,
    Body(new): Body<NewComponent>,
) -> Result<(StatusCode, Json<Component>)> {
    who.require(Role::Admin)?;
    let component = state
        .store
        .create_component(&who.actor(), &page, new, state.now())
        .await?;
    Ok((StatusCode::CREATED, Json(component)))
}

#[utoipa::path(get, path = "/api/v1/pages/{page}/components/{component}", tag = "components", params(("page" = String, Path), ("component" = String, Path)),
    responses((status = 200, body = Component), (status = 404)))]
pub async fn get(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
) -> Result<Json<Component>> {
    who.require(Role::Viewer)?;
    Ok(Json(state.store.component(&page, &id).await?))
}

#[utoipa::path(patch, path = "/api/v1/pages/{page}/components/{component}", tag = "components", params(("page" = String, Path), ("component" = String, Path)),
    request_body = ComponentPatch, responses((status = 200, body = Component), (status = 404), (status = 422)))]
pub async fn update(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
    Body(patch): Body<ComponentPatch>,
) -> Result<Json<Component>> {
    who.require(Role::Admin)?;
    Ok(Json(
        state
            .store
            .update_component(&who.actor(), &page, &id, patch, state.now())
            .await?,
    ))
}

/// Deletes a component no incident refers to (admin).
#[utoipa::path(delete, path = "/api/v1/pages/{page}/components/{component}", tag = "components", params(("page" = String, Path), ("component" = String, Path)),
    responses((status = 204), (status = 404), (status = 409, description = "an incident refers to it")))]
pub async fn delete(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
) -> Result<StatusCode> {
    who.require(Role::Admin)?;
    state
        .store
        .delete_component(&who.actor(), &page, &id, state.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds a location (Status.io: container) to a component (admin).
#[utoipa::path(post, path = "/api/v1/pages/{page}/components/{component}/locations", tag = "components",
    params(("page" = String, Path), ("component" = String, Path)), request_body = Named,
    responses((status = 201, body = Component), (status = 404), (status = 422)))]
pub async fn add_location(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
    Body(body): Body<Named>,
) -> Result<(StatusCode, Json<Component>)> {
    who.require(Role::Admin)?;
    let component = state
        .store
        .add_location(&who.actor(), &page, &id, body.name, state.now())
        .await?;
    Ok((StatusCode::CREATED, Json(component)))
}

/// Holds a location at a level by hand, or clears that (responder). The displayed level is
/// the worst of the override and what incidents hold it at.
#[utoipa::path(put, path = "/api/v1/pages/{page}/locations/{location}/override", tag = "components",
    params(("page" = String, Path), ("location" = String, Path)), request_body = OverrideRequest,
    responses((status = 200, body = Component), (status = 404), (status = 422)))]
pub async fn set_override(
    State(state): State<AppState>,
    who: Principal,
    Path((page, location)): Path<(String, String)>,
    Body(body): Body<OverrideRequest>,
) -> Result<Json<Component>> {
    who.require(Role::Responder)?;
    Ok(Json(
        state
            .store
            .set_override(&who.actor(), &page, &location, body.level, state.now())
            .await?,
    ))
}
