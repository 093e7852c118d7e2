//! An API compatible with Status.io's management API v2, so automation written for Status.io
//! only changes its base URL. Field names, codes and the response envelope follow Status.io's
//! published clients; `docs/statusio-compatibility.md` says what Herald does where they are
//! silent.
mod maintenance;
mod requests;
mod shapes;
mod subscribers;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use herald_core::access::Role;
use herald_core::component::Component;
use herald_core::incident::{Incident, IncidentState, NewIncident, StatusChange, UpdateDraft};
use herald_core::page::Page;
use herald_public::render::statusio;
use herald_store::{IncidentFilter, IncidentQuery, MAX_LIST_LIMIT, MaintenanceFilter};
use serde_json::{Value, json};

use crate::auth::{Principal, authenticate};
use crate::{ApiError, AppState};
use requests::{ComponentStatusUpdate, CreateIncident, DeleteIncident, UpdateIncident};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v2/component/list/{statuspage_id}", get(component_list))
        .route("/v2/component/status/update", post(component_status_update))
        .route("/v2/incident/list/{statuspage_id}", get(incident_list))
        .route("/v2/incidents/{statuspage_id}", get(incident_ids))
        .route(
            "/v2/incident/{statuspage_id}/{incident_id}",
            get(incident_single),
        )
        .route(
            "/v2/incident/message/{statuspage_id}/{message_id}",
            get(incident_message),
        )
        .route("/v2/incident/create", post(incident_create))
        .route("/v2/incident/update", post(incident_update))
        .route("/v2/incident/resolve", post(incident_resolve))
        .route("/v2/incident/delete", post(incident_delete))
        .route("/v2/status/summary/{statuspage_id}", get(status_summary))
        .merge(subscribers::router())
        .merge(maintenance::router())
}

/// An error in Status.io's envelope: `{"status":{"error":"yes","message":…}}`.
pub struct CompatError(ApiError);

impl<E: Into<ApiError>> From<E> for CompatError {
    fn from(err: E) -> Self {
        CompatError(err.into())
    }
}

impl IntoResponse for CompatError {
    fn into_response(self) -> Response {
        let body = json!({"status": {"error": "yes", "message": self.0.detail}});
        (self.0.status, Json(body)).into_response()
    }
}

/// A JSON body whose rejections come in Status.io's envelope.
#[derive(axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(CompatError))]
struct CompatJson<T>(T);

type Reply = Result<Json<Value>, CompatError>;

fn ok(message: &str, result: Value) -> Reply {
    Ok(Json(envelope(message, result)))
}

/// Status.io's success envelope; a few calls add fields of their own beside `result`.
fn envelope(message: &str, result: Value) -> Value {
    json!({"status": {"error": "no", "message": message}, "result": result})
}

/// The caller's token, taken before the body is read: a call without valid credentials gets
/// 401 whatever its body holds. Each handler then checks the role, as the admin API does.
struct Caller(Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = CompatError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Caller(authenticate(state, &parts.headers).await?))
    }
}

async fn component_list(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(page): Path<String>,
) -> Reply {
    who.require(Role::Viewer)?;
    let page = state.store.page(&page).await?;
    let components = state.store.components(&page.id).await?;
    let status = state.store.page_status(&page.id).await?;
    ok("OK", shapes::component_list(&page, &components, &status))
}

async fn component_status_update(
    State(state): State<AppState>,
    Caller(who): Caller,
    CompatJson(body): CompatJson<ComponentStatusUpdate>,
) -> Reply {
    who.require(Role::Responder)?;
    let (component, container, level) = body.target()?;
    let found = state
        .store
        .component(&body.statuspage_id, &component)
        .await?;
    if !found.locations.iter().any(|l| l.id == container) {
        return Err(ApiError::not_found(format!(
            "container {container:?} is not part of component {component:?}"
        ))
        .into());
    }
    // Operational clears the override: the location then shows what incidents hold it at.
    let level = Some(level).filter(|l| !l.is_operational());
    state
        .store
        .set_override(
            &who.actor(),
            &body.statuspage_id,
            &container,
            level,
            state.now(),
        )
        .await?;
    ok("OK", json!(true))
}

/// Status.io lists at most 100 incidents of a kind, newest first.
async fn newest(
    state: &AppState,
    page_id: &str,
    filter: IncidentFilter,
) -> Result<Vec<Incident>, CompatError> {
    let query = IncidentQuery {
        filter,
        limit: 100,
        before: None,
    };
    Ok(state.store.incidents(page_id, query).await?)
}

async fn incident_list(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(page): Path<String>,
) -> Reply {
    who.require(Role::Viewer)?;
    let page = state.store.page(&page).await?;
    let components = state.store.components(&page.id).await?;
    let active = newest(&state, &page.id, IncidentFilter::Active).await?;
    let resolved = newest(&state, &page.id, IncidentFilter::Resolved).await?;
    let shape = |incidents: &[Incident]| -> Vec<Value> {
        incidents
            .iter()
            .map(|i| shapes::incident(&page, &components, i))
            .collect()
    };
    ok(
        "OK",
        json!({"active_incidents": shape(&active), "resolved_incidents": shape(&resolved)}),
    )
}

/// Status.io's list "by ID": the ids of every active and every resolved incident, newest
/// first, without their messages.
async fn incident_ids(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(page): Path<String>,
) -> Reply {
    who.require(Role::Viewer)?;
    let page = state.store.page(&page).await?;
    let active = state
        .store
        .incident_ids(&page.id, IncidentFilter::Active)
        .await?;
    let resolved = state
        .store
        .incident_ids(&page.id, IncidentFilter::Resolved)
        .await?;
    ok(
        "OK",
        json!({"active_incidents": active, "resolved_incidents": resolved}),
    )
}

/// A page and its components, which every read shapes its answer with.
async fn page_with_components(
    state: &AppState,
    page: &str,
) -> Result<(Page, Vec<Component>), CompatError> {
    let page = state.store.page(page).await?;
    let components = state.store.components(&page.id).await?;
    Ok((page, components))
}

/// The update of a timeline that a message id names.
fn message_in<'a, U>(
    updates: &'a [U],
    message: &str,
    id: impl Fn(&U) -> &str,
) -> Result<&'a U, CompatError> {
    let found = updates.iter().find(|u| id(u) == message);
    Ok(found.ok_or_else(|| ApiError::not_found(format!("message {message:?} was not found")))?)
}

/// One incident with its messages, as `incident/list` shows each.
async fn incident_single(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path((page, incident)): Path<(String, String)>,
) -> Reply {
    who.require(Role::Viewer)?;
    let (page, components) = page_with_components(&state, &page).await?;
    let incident = state.store.incident(&page.id, &incident).await?;
    ok("OK", shapes::incident(&page, &components, &incident))
}

async fn incident_message(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path((page, message)): Path<(String, String)>,
) -> Reply {
    who.require(Role::Viewer)?;
    let (page, components) = page_with_components(&state, &page).await?;
    let incident = state.store.incident_by_update(&page.id, &message).await?;
    let update = message_in(&incident.updates, &message, |u| &u.id)?;
    let shape = shapes::message(&page, &components, &incident.id, update);
    ok("OK", shape)
}

async fn incident_create(
    State(state): State<AppState>,
    Caller(who): Caller,
    CompatJson(body): CompatJson<CreateIncident>,
) -> Reply {
    who.require(Role::Responder)?;
    let components = state.store.components(&body.statuspage_id).await?;
    let new: NewIncident = body.to_new_incident(&components)?;
    let incident = state
        .store
        .create_incident(&who.actor(), &body.statuspage_id, new, state.now())
        .await?;
    ok("OK", json!(incident.id))
}

async fn incident_update(
    State(state): State<AppState>,
    Caller(who): Caller,
    CompatJson(body): CompatJson<UpdateIncident>,
) -> Reply {
    who.require(Role::Responder)?;
    let state_code = body.current_state.ok_or_else(|| {
        ApiError::bad_request(
            "current_state is required: 100 (investigating), 200 (identified) or 300 (monitoring)",
        )
    })?;
    let draft = UpdateDraft {
        state: requests::active_state(state_code)?,
        status: match body.current_status {
            Some(code) => StatusChange::All(requests::level(code)?),
            None => StatusChange::Keep,
        },
        ..body.draft_base()
    };
    publish(&state, &who, &body, draft).await
}

/// Resolving takes no status: every affected location returns to operational.
async fn incident_resolve(
    State(state): State<AppState>,
    Caller(who): Caller,
    CompatJson(body): CompatJson<UpdateIncident>,
) -> Reply {
    who.require(Role::Responder)?;
    let draft = UpdateDraft {
        state: IncidentState::Resolved,
        ..body.draft_base()
    };
    publish(&state, &who, &body, draft).await
}

async fn publish(
    state: &AppState,
    who: &Principal,
    body: &UpdateIncident,
    draft: UpdateDraft,
) -> Reply {
    state
        .store
        .post_update(
            &who.actor(),
            &body.statuspage_id,
            &body.incident_id,
            draft,
            state.now(),
        )
        .await?;
    ok("OK", json!(true))
}

async fn incident_delete(
    State(state): State<AppState>,
    Caller(who): Caller,
    CompatJson(body): CompatJson<DeleteIncident>,
) -> Reply {
    who.require(Role::Responder)?;
    state
        .store
        .delete_incident(
            &who.actor(),
            &body.statuspage_id,
            &body.incident_id,
            state.now(),
        )
        .await?;
    ok("Successfully deleted incident", json!(true))
}

async fn status_summary(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(page): Path<String>,
) -> Reply {
    who.require(Role::Viewer)?;
    let page = state.store.page(&page).await?;
    let components = state.store.components(&page.id).await?;
    let status = state.store.page_status(&page.id).await?;
    let active = newest(&state, &page.id, IncidentFilter::Active).await?;
    let windows = |filter| maintenance::windows(&state, &page.id, filter, MAX_LIST_LIMIT);
    let (running, coming) = (
        windows(MaintenanceFilter::Active).await?,
        windows(MaintenanceFilter::Upcoming).await?,
    );
    // The store lists the latest start first; the public status, the soonest.
    let maintenance = statusio::Windows {
        active: running.iter().collect(),
        upcoming: coming.iter().rev().collect(),
    };
    ok(
        "Get public api status successfully",
        json!(statusio::summary(
            &components,
            &status,
            &active,
            &maintenance,
            &statusio::Fresh
        )),
    )
}
