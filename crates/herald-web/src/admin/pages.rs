use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use herald_core::access::Role;
use herald_core::page::{Page, PageFields};
use herald_core::status::PageStatus;
use herald_store::PagePatch;

use crate::auth::Principal;
use crate::problem::Body;
use crate::{ApiError, AppState};

type Result<T> = std::result::Result<T, ApiError>;

/// Every page.
#[utoipa::path(get, path = "/api/v1/pages", tag = "pages", responses((status = 200, body = Vec<Page>)))]
pub async fn list(State(state): State<AppState>, who: Principal) -> Result<Json<Vec<Page>>> {
    who.require(Role::Viewer)?;
    Ok(Json(state.store.pages().await?))
}

/// Creates a page (admin).
#[utoipa::path(post, path = "/api/v1/pages", tag = "pages", request_body = PageFields,
    responses((status = 201, body = Page), (status = 409, description = "slug taken"), (status = 422, description = "invalid field")))]
pub async fn create(
    State(state): State<AppState>,
    who: Principal,
    Body(fields): Body<PageFields>,
) -> Result<(StatusCode, Json<Page>)> {
    who.require(Role::Admin)?;
    let page = state
        .store
        .create_page(&who.actor(), fields, state.now())
        .await?;
    Ok((StatusCode::CREATED, Json(page)))
}

/// One page, by id or slug.
#[utoipa::path(get, path = "/api/v1/pages/{page}", tag = "pages", params(("page" = String, Path, description = "page id or slug")),
    responses((status = 200, body = Page), (status = 404)))]
pub async fn get(
    State(state): State<AppState>,
    who: Principal,
    Path(page): Path<String>,
) -> Result<Json<Page>> {
    who.require(Role::Viewer)?;
    Ok(Json(state.store.page(&page).await?))
}

/// Changes a page's slug, name, time zone or settings (admin).
#[utoipa::path(patch, path = "/api/v1/pages/{page}", tag = "pages", params(("page" = String, Path)), request_body = PagePatch,
    responses((status = 200, body = Page), (status = 404), (status = 409), (status = 422)))]
pub async fn update(
    State(state): State<AppState>,
    who: Principal,
    Path(page): Path<String>,
    Body(patch): Body<PagePatch>,
) -> Result<Json<Page>> {
    who.require(Role::Admin)?;
    Ok(Json(
        state
            .store
            .update_page(&who.actor(), &page, patch, state.now())
            .await?,
    ))
}

/// The derived level of every location and component, and of the page.
#[utoipa::path(get, path = "/api/v1/pages/{page}/status", tag = "pages", params(("page" = String, Path)),
    responses((status = 200, body = PageStatus), (status = 404)))]
pub async fn status(
    State(state): State<AppState>,
    who: Principal,
    Path(page): Path<String>,
) -> Result<Json<PageStatus>> {
    who.require(Role::Viewer)?;
    Ok(Json(state.store.page_status(&page).await?))
}
