use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use herald_core::access::Role;
use herald_core::broadcast::Subject;
use herald_core::cadence::next_update_due;
use herald_core::incident::{Incident, IncidentEdit, NewIncident, UpdateCorrection, UpdateDraft};
use herald_core::page::Page;
use herald_core::preview::Preview;
use herald_core::status::StatusLevel;
use herald_store::{IncidentFilter, IncidentQuery, UserRef};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Principal;
use crate::bounded::Limit;
use crate::problem::{Body, Query};
use crate::{ApiError, AppState};

type Result<T> = std::result::Result<T, ApiError>;

/// An incident with what Herald derives from it.
#[derive(Serialize, ToSchema)]
pub struct IncidentView {
    #[serde(flatten)]
    pub incident: Incident,
    /// The worst level it holds any location at.
    pub level: StatusLevel,
    /// When the next public update is due (snoozes included); `null` once resolved.
    pub next_update_due: Option<Timestamp>,
    /// The communications lead, nudged before and at each deadline.
    pub lead: Option<UserRef>,
    /// The incident manager, told when a deadline is missed.
    pub manager: Option<UserRef>,
    /// When it counts as closed: resolution plus the quiet period of its severity.
    pub closed_at: Option<Timestamp>,
}

/// The incident with its deadline and roles. An incident from before deadlines were kept has
/// none open until its next change; the rules' time stands in.
async fn view(state: &AppState, page: &Page, incident: Incident) -> Result<IncidentView> {
    let cadence = state
        .store
        .cadence(&page.id, Subject::Incident, &incident.id)
        .await?;
    Ok(IncidentView {
        level: incident.level(),
        next_update_due: cadence
            .next_update_due
            .or_else(|| next_update_due(&page.settings.cadence, &incident)),
        lead: cadence.lead,
        manager: cadence.manager,
        closed_at: incident.closed_at(),
        incident,
    })
}

async fn viewed(state: &AppState, page: &str, incident: Incident) -> Result<Json<IncidentView>> {
    let page = state.store.page(page).await?;
    Ok(Json(view(state, &page, incident).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `active`, `resolved` or `all` (the default).
    #[serde(default)]
    #[param(inline)]
    pub state: IncidentFilter,
    /// At most this many, newest first (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    pub limit: Option<Limit>,
    /// The id of the last incident of the previous page of results.
    pub before: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostmortemRequest {
    pub url: String,
}

/// Incidents, newest first.
#[utoipa::path(get, path = "/api/v1/pages/{page}/incidents", tag = "incidents", params(("page" = String, Path), ListParams),
    responses((status = 200, body = Vec<IncidentView>), (status = 404)))]
pub async fn list(
    State(state): State<AppState>,
    who: Principal,
    Path(page): Path<String>,
    Query(params): Query<ListParams>,
) -> Result<Json<Vec<IncidentView>>> {
    who.require(Role::Viewer)?;
    let query = IncidentQuery {
        filter: params.state,
        limit: params
            .limit
            .map_or(IncidentQuery::default().limit, Limit::get),
        before: params.before,
    };
    let incidents = state.store.incidents(&page, query).await?;
    let page = state.store.page(&page).await?;
    let mut views = Vec::with_capacity(incidents.len());
    for incident in incidents {
        views.push(view(&state, &page, incident).await?);
    }
    Ok(Json(views))
}

/// Declares an incident with its first update (responder).
#[utoipa::path(post, path = "/api/v1/pages/{page}/incidents", tag = "incidents", params(("page" = String, Path)), request_body = NewIncident,
    responses((status = 201, body = IncidentView), (status = 404), (status = 422, description = "a rule refused it")))]
pub async fn create(
    State(state): State<AppState>,
    who: Principal,
    Path(page): Path<String>,
    Body(new): Body<NewIncident>,
) -> Result<(StatusCode, Json<IncidentView>)> {
    who.require(Role::Responder)?;
    let incident = state
        .store
        .create_incident(&who.actor(), &page, new, state.now())
        .await?;
    Ok((StatusCode::CREATED, viewed(&state, &page, incident).await?))
}

/// The lints and next update due of a new incident's first update, without publishing it.
#[utoipa::path(post, path = "/api/v1/pages/{page}/incidents/preview", tag = "incidents", params(("page" = String, Path)), request_body = NewIncident,
    responses((status = 200, body = Preview), (status = 404), (status = 422)))]
pub async fn preview_new(
    State(state): State<AppState>,
    who: Principal,
    Path(page): Path<String>,
    Body(new): Body<NewIncident>,
) -> Result<Json<Preview>> {
    who.require(Role::Responder)?;
    Ok(Json(
        state
            .store
            .preview_incident(&who.actor(), &page, new, state.now())
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/pages/{page}/incidents/{incident}", tag = "incidents", params(("page" = String, Path), ("incident" = String, Path)),
    responses((status = 200, body = IncidentView), (status = 404)))]
pub async fn get(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
) -> Result<Json<IncidentView>> {
    who.require(Role::Viewer)?;
    let incident = state.store.incident(&page, &id).await?;
    viewed(&state, &page, incident).await
}

/// Edits the title, severity, affected locations and their levels, or issue link without
/// broadcasting (responder).
#[utoipa::path(patch, path = "/api/v1/pages/{page}/incidents/{incident}", tag = "incidents", params(("page" = String, Path), ("incident" = String, Path)),
    request_body = IncidentEdit, responses((status = 200, body = IncidentView), (status = 404), (status = 422)))]
pub async fn edit(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
    Body(edit): Body<IncidentEdit>,
) -> Result<Json<IncidentView>> {
    who.require(Role::Responder)?;
    let incident = state
        .store
        .edit_incident(&who.actor(), &page, &id, edit, state.now())
        .await?;
    viewed(&state, &page, incident).await
}

/// Deletes an incident and its timeline; the audit log keeps what it was (responder).
#[utoipa::path(delete, path = "/api/v1/pages/{page}/incidents/{incident}", tag = "incidents", params(("page" = String, Path), ("incident" = String, Path)),
    responses((status = 204), (status = 404)))]
pub async fn delete(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
) -> Result<StatusCode> {
    who.require(Role::Responder)?;
    state
        .store
        .delete_incident(&who.actor(), &page, &id, state.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Posts an update: the only way to change an incident's state or levels (responder).
#[utoipa::path(post, path = "/api/v1/pages/{page}/incidents/{incident}/updates", tag = "incidents",
    params(("page" = String, Path), ("incident" = String, Path)), request_body = UpdateDraft,
    responses((status = 201, body = IncidentView), (status = 404), (status = 422)))]
pub async fn post_update(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
    Body(draft): Body<UpdateDraft>,
) -> Result<(StatusCode, Json<IncidentView>)> {
    who.require(Role::Responder)?;
    let incident = state
        .store
        .post_update(&who.actor(), &page, &id, draft, state.now())
        .await?;
    Ok((StatusCode::CREATED, viewed(&state, &page, incident).await?))
}

/// Corrects the text of a published update (a typo, a wrong link): the update is marked
/// edited, the audit log keeps the old text, and subscribers hear of it again only with
/// `rebroadcast` (responder).
#[utoipa::path(patch, path = "/api/v1/pages/{page}/incidents/{incident}/updates/{update}", tag = "incidents",
    params(("page" = String, Path), ("incident" = String, Path), ("update" = String, Path)), request_body = UpdateCorrection,
    responses((status = 200, body = IncidentView), (status = 404), (status = 422)))]
pub async fn correct_update(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id, update)): Path<(String, String, String)>,
    Body(correction): Body<UpdateCorrection>,
) -> Result<Json<IncidentView>> {
    who.require(Role::Responder)?;
    let incident = state
        .store
        .correct_update(&who.actor(), &page, (&id, &update), correction, state.now())
        .await?;
    viewed(&state, &page, incident).await
}

/// The lints and next update due of a draft update, without publishing it.
#[utoipa::path(post, path = "/api/v1/pages/{page}/incidents/{incident}/preview", tag = "incidents",
    params(("page" = String, Path), ("incident" = String, Path)), request_body = UpdateDraft,
    responses((status = 200, body = Preview), (status = 404), (status = 422)))]
pub async fn preview_update(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
    Body(draft): Body<UpdateDraft>,
) -> Result<Json<Preview>> {
    who.require(Role::Responder)?;
    Ok(Json(
        state
            .store
            .preview_update(&who.actor(), &page, &id, draft, state.now())
            .await?,
    ))
}

/// Links the post-mortem of a resolved incident (responder).
#[utoipa::path(put, path = "/api/v1/pages/{page}/incidents/{incident}/postmortem", tag = "incidents",
    params(("page" = String, Path), ("incident" = String, Path)), request_body = PostmortemRequest,
    responses((status = 200, body = IncidentView), (status = 404), (status = 422)))]
pub async fn set_postmortem(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
    Body(body): Body<PostmortemRequest>,
) -> Result<Json<IncidentView>> {
    who.require(Role::Responder)?;
    let incident = state
        .store
        .set_postmortem(&who.actor(), &page, &id, body.url, state.now())
        .await?;
    viewed(&state, &page, incident).await
}
