//! The update cadence (docs/cadence.md): snoozing a deadline, naming who runs an incident or a
//! window, adherence, the nudges sent, and where a person wants them.
use axum::Json;
use axum::extract::{Path, State};
use herald_core::access::Role;
use herald_core::broadcast::Subject;
use herald_core::nudge::NudgeChannel;
use herald_store::{Cadence, NudgeQuery, NudgeRecord, PageAdherence, Roles, SubjectAdherence};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Principal;
use crate::bounded::Limit;
use crate::problem::{Body, Query};
use crate::{ApiError, AppState};

type Result<T> = std::result::Result<T, ApiError>;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SnoozeRequest {
    /// The next update is due this many minutes from now (1 to 10080).
    pub minutes: u32,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NudgeChannels {
    /// Where the user wants nudges; empty for email to their own address.
    pub channels: Vec<NudgeChannel>,
}

/// Where a user is nudged, and how their webhook nudges are signed.
#[derive(Serialize, ToSchema)]
pub struct NudgeSetup {
    pub channels: Vec<NudgeChannel>,
    /// The Standard Webhooks secret (`whsec_…`) webhook nudges to this user are signed with:
    /// give it to the receiving endpoint to verify `webhook-signature`.
    pub webhook_secret: String,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NudgeParams {
    /// Only this user's nudges (id or email address).
    pub user: Option<String>,
    /// Only nudges created at or after this RFC 3339 instant.
    pub since: Option<Timestamp>,
    /// Only nudges not yet marked seen in the console (default false).
    #[serde(default)]
    pub unseen: bool,
    /// At most this many, newest first (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    pub limit: Option<Limit>,
}

async fn snooze(
    state: &AppState,
    who: &Principal,
    (page, subject, id): (&str, Subject, &str),
    minutes: u32,
) -> Result<Json<Cadence>> {
    who.require(Role::Responder)?;
    let now = state.now();
    let cadence = state
        .store
        .snooze(&who.actor(), page, subject, id, minutes, now)
        .await?;
    Ok(Json(cadence))
}

/// Puts the next public update off: due `minutes` from now. Before the deadline this costs
/// nothing; after it, the missed deadline counts as late (responder).
#[utoipa::path(post, path = "/api/v1/pages/{page}/incidents/{incident}/snooze", tag = "cadence",
    params(("page" = String, Path), ("incident" = String, Path)), request_body = SnoozeRequest,
    responses((status = 200, body = Cadence), (status = 404), (status = 422)))]
pub async fn snooze_incident(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
    Body(body): Body<SnoozeRequest>,
) -> Result<Json<Cadence>> {
    snooze(&state, &who, (&page, Subject::Incident, &id), body.minutes).await
}

/// Puts the next update on a window run by hand off, as for an incident (responder).
#[utoipa::path(post, path = "/api/v1/pages/{page}/maintenance/{maintenance}/snooze", tag = "cadence",
    params(("page" = String, Path), ("maintenance" = String, Path)), request_body = SnoozeRequest,
    responses((status = 200, body = Cadence), (status = 404), (status = 422)))]
pub async fn snooze_maintenance(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
    Body(body): Body<SnoozeRequest>,
) -> Result<Json<Cadence>> {
    snooze(
        &state,
        &who,
        (&page, Subject::Maintenance, &id),
        body.minutes,
    )
    .await
}

async fn set_roles(
    state: &AppState,
    who: &Principal,
    (page, subject, id): (&str, Subject, &str),
    roles: Roles,
) -> Result<Json<Cadence>> {
    who.require(Role::Responder)?;
    let now = state.now();
    let cadence = state
        .store
        .set_roles(&who.actor(), page, subject, id, roles, now)
        .await?;
    Ok(Json(cadence))
}

/// Names the communications lead (nudged before and at each deadline) and the incident
/// manager (told when one is missed): each a user's id or email address, or null (responder).
#[utoipa::path(put, path = "/api/v1/pages/{page}/incidents/{incident}/roles", tag = "cadence",
    params(("page" = String, Path), ("incident" = String, Path)), request_body = Roles,
    responses((status = 200, body = Cadence), (status = 404), (status = 422)))]
pub async fn incident_roles(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
    Body(roles): Body<Roles>,
) -> Result<Json<Cadence>> {
    set_roles(&state, &who, (&page, Subject::Incident, &id), roles).await
}

/// Names who runs a window, as for an incident (responder).
#[utoipa::path(put, path = "/api/v1/pages/{page}/maintenance/{maintenance}/roles", tag = "cadence",
    params(("page" = String, Path), ("maintenance" = String, Path)), request_body = Roles,
    responses((status = 200, body = Cadence), (status = 404), (status = 422)))]
pub async fn maintenance_roles(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
    Body(roles): Body<Roles>,
) -> Result<Json<Cadence>> {
    set_roles(&state, &who, (&page, Subject::Maintenance, &id), roles).await
}

async fn adherence(
    state: &AppState,
    who: &Principal,
    (page, subject, id): (&str, Subject, &str),
) -> Result<Json<SubjectAdherence>> {
    who.require(Role::Viewer)?;
    let now = state.now();
    Ok(Json(
        state
            .store
            .subject_adherence(page, subject, id, now)
            .await?,
    ))
}

/// Of the incident's public updates that came due, how many were on time, and how late the
/// others were (an open deadline already past counts, late by now).
#[utoipa::path(get, path = "/api/v1/pages/{page}/incidents/{incident}/adherence", tag = "cadence",
    params(("page" = String, Path), ("incident" = String, Path)),
    responses((status = 200, body = SubjectAdherence), (status = 404)))]
pub async fn incident_adherence(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
) -> Result<Json<SubjectAdherence>> {
    adherence(&state, &who, (&page, Subject::Incident, &id)).await
}

/// A window's adherence, as for an incident.
#[utoipa::path(get, path = "/api/v1/pages/{page}/maintenance/{maintenance}/adherence", tag = "cadence",
    params(("page" = String, Path), ("maintenance" = String, Path)),
    responses((status = 200, body = SubjectAdherence), (status = 404)))]
pub async fn maintenance_adherence(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
) -> Result<Json<SubjectAdherence>> {
    adherence(&state, &who, (&page, Subject::Maintenance, &id)).await
}

/// The page's adherence over all its incidents and windows, with each one's.
#[utoipa::path(get, path = "/api/v1/pages/{page}/adherence", tag = "cadence",
    params(("page" = String, Path)), responses((status = 200, body = PageAdherence), (status = 404)))]
pub async fn page_adherence(
    State(state): State<AppState>,
    who: Principal,
    Path(page): Path<String>,
) -> Result<Json<PageAdherence>> {
    who.require(Role::Viewer)?;
    Ok(Json(state.store.page_adherence(&page, state.now()).await?))
}

/// The nudges sent about the page's incidents and windows, newest first, with each channel's
/// outcome.
#[utoipa::path(get, path = "/api/v1/pages/{page}/nudges", tag = "cadence",
    params(("page" = String, Path), NudgeParams),
    responses((status = 200, body = Vec<NudgeRecord>), (status = 404)))]
pub async fn nudges(
    State(state): State<AppState>,
    who: Principal,
    Path(page): Path<String>,
    Query(params): Query<NudgeParams>,
) -> Result<Json<Vec<NudgeRecord>>> {
    who.require(Role::Viewer)?;
    let query = NudgeQuery {
        user: params.user,
        since: params.since,
        unseen: params.unseen,
        limit: params.limit.map_or(50, Limit::get),
    };
    Ok(Json(state.store.nudges(&page, query).await?))
}

/// Where a console user (by id or email address) wants nudges; empty for email to their own
/// address (admin).
#[utoipa::path(get, path = "/api/v1/users/{user}/nudge-channels", tag = "cadence",
    params(("user" = String, Path)),
    responses((status = 200, body = NudgeSetup), (status = 404)))]
pub async fn get_nudge_channels(
    State(state): State<AppState>,
    who: Principal,
    Path(user): Path<String>,
) -> Result<Json<NudgeSetup>> {
    who.require(Role::Admin)?;
    let channels = state.store.nudge_channels(&user).await?;
    setup(&state, &user, channels).await
}

async fn setup(
    state: &AppState,
    user: &str,
    channels: Vec<NudgeChannel>,
) -> Result<Json<NudgeSetup>> {
    let webhook_secret = state.store.nudge_secret(user).await?;
    Ok(Json(NudgeSetup {
        channels,
        webhook_secret,
    }))
}

/// Where a console user (by id or email address) wants nudges: email, Slack, Teams or webhook
/// addresses; none for email to their own address (admin).
#[utoipa::path(put, path = "/api/v1/users/{user}/nudge-channels", tag = "cadence",
    params(("user" = String, Path)), request_body = NudgeChannels,
    responses((status = 200, body = NudgeSetup), (status = 404), (status = 422)))]
pub async fn set_nudge_channels(
    State(state): State<AppState>,
    who: Principal,
    Path(user): Path<String>,
    Body(body): Body<NudgeChannels>,
) -> Result<Json<NudgeSetup>> {
    who.require(Role::Admin)?;
    let channels = state
        .store
        .set_nudge_channels(&who.actor(), &user, body.channels, state.now())
        .await?;
    setup(&state, &user, channels).await
}
