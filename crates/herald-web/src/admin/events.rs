use std::time::Duration;

use axum::Json;
use axum::extract::State;
use herald_core::access::Role;
use herald_store::{EventQuery, EventRecord};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Principal;
use crate::bounded::{InRange, Limit};
use crate::problem::Query;
use crate::{ApiError, AppState};

/// How long a caller may wait for new events in one request: up to 30 seconds.
type Wait = InRange<0, 30>;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventParams {
    /// Only events of this page (id).
    pub page: Option<String>,
    /// Only events after this event id (default 0).
    #[serde(default)]
    pub after: i64,
    /// At most this many, oldest first (default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    pub limit: Option<Limit>,
    /// When there is nothing newer yet, wait up to this many seconds for it (default 0).
    #[param(value_type = Option<u32>, minimum = 0, maximum = 30)]
    pub wait: Option<Wait>,
}

/// The audit log: who did what and when, with the state before and after (admin).
#[utoipa::path(get, path = "/api/v1/events", tag = "audit", params(EventParams),
    responses((status = 200, body = Vec<EventRecord>)))]
pub async fn list(
    State(state): State<AppState>,
    who: Principal,
    Query(params): Query<EventParams>,
) -> Result<Json<Vec<EventRecord>>, ApiError> {
    who.require(Role::Admin)?;
    let query = EventQuery {
        page_id: params.page,
        after: params.after,
        limit: params.limit.map_or(100, Limit::get),
    };
    let wait = Duration::from_secs(params.wait.map_or(0, |w| w.0));
    let events = state.store.events(query.clone()).await?;
    if !events.is_empty() || wait.is_zero() {
        return Ok(Json(events));
    }
    // Long poll: the change follower sees commits from any process within its interval.
    let mut changes = state.changes.clone();
    let _ = tokio::time::timeout(wait, changes.wait_for(|id| *id > params.after)).await;
    Ok(Json(state.store.events(query).await?))
}
