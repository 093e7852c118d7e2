use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use herald_core::access::Role;
use herald_store::{NewToken, Token};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::problem::Body;
use crate::{ApiError, AppState};

type Result<T> = std::result::Result<T, ApiError>;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub role: Role,
}

/// Every token, without secrets (admin).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", responses((status = 200, body = Vec<Token>)))]
pub async fn list(State(state): State<AppState>, who: Principal) -> Result<Json<Vec<Token>>> {
    who.require(Role::Admin)?;
    Ok(Json(state.store.tokens().await?))
}

/// Creates a token; its secret is in this response and nowhere else, ever (admin).
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = NewTokenRequest,
    responses((status = 201, body = NewToken), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    who: Principal,
    Body(body): Body<NewTokenRequest>,
) -> Result<(StatusCode, Json<NewToken>)> {
    who.require(Role::Admin)?;
    let token = state
        .store
        .create_token(&who.actor(), body.name, body.role, state.now())
        .await?;
    Ok((StatusCode::CREATED, Json(token)))
}

/// Revokes a token (admin).
#[utoipa::path(delete, path = "/api/v1/tokens/{token}", tag = "tokens", params(("token" = String, Path)),
    responses((status = 204), (status = 404)))]
pub async fn revoke(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    who.require(Role::Admin)?;
    state
        .store
        .revoke_token(&who.actor(), &id, state.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
