//! Console users: created, listed, disabled and enabled again, and their roles (admin). Their
//! nudge channels are under the cadence routes. The store checks and audits each change, as it
//! does for `herald user` and the console.
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use herald_core::access::Role;
use herald_core::user::{NewUser, User};
use herald_store::StoreError;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::password::{self, PasswordError};
use crate::problem::Body;
use crate::{ApiError, AppState};

type Result<T> = std::result::Result<T, ApiError>;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    /// Unique among users, in any case; stored lower-cased.
    #[schema(min_length = 3, max_length = 254)]
    pub email: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// `viewer`, `responder` or `admin`.
    pub role: Role,
    /// At least 12 characters, stored only as an Argon2id hash. Without it the user signs in by
    /// links sent to their email address.
    #[serde(default)]
    pub password: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleRequest {
    /// `viewer`, `responder` or `admin`.
    pub role: Role,
}

/// Every console user, disabled ones included, oldest first (admin).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", responses((status = 200, body = Vec<User>)))]
pub async fn list(State(state): State<AppState>, who: Principal) -> Result<Json<Vec<User>>> {
    who.require(Role::Admin)?;
    Ok(Json(state.store.users().await?))
}

/// Creates a console user (admin); audited as `user.created`, without the password. An email
/// address already taken is 409.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUserRequest,
    responses((status = 201, body = User), (status = 409), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    who: Principal,
    Body(body): Body<NewUserRequest>,
) -> Result<(StatusCode, Json<User>)> {
    who.require(Role::Admin)?;
    let new = NewUser {
        email: body.email,
        name: body.name,
        role: body.role,
    }
    .checked()?;
    // Hashed only once everything else is known to be acceptable: hashing is slow on purpose.
    let hash = body.password.as_deref().map(hashed).transpose()?;
    let user = state
        .store
        .create_user(&who.actor(), new, hash, state.now())
        .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

fn hashed(typed: &str) -> Result<String> {
    password::hash(typed).map_err(|refusal| match refusal {
        PasswordError::Hash(detail) => StoreError::Internal(detail).into(),
        refusal => ApiError {
            field: Some("password"),
            ..ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-field",
                format!("password: {refusal}"),
            )
        },
    })
}

/// Stops a console user (by id or email address) from signing in and ends their sessions
/// (admin); audited as `user.disabled`. Refused for the only active admin; one already
/// disabled is returned unchanged.
#[utoipa::path(post, path = "/api/v1/users/{user}/disable", tag = "users",
    params(("user" = String, Path)),
    responses((status = 200, body = User), (status = 404), (status = 422)))]
pub async fn disable(
    State(state): State<AppState>,
    who: Principal,
    Path(user): Path<String>,
) -> Result<Json<User>> {
    who.require(Role::Admin)?;
    Ok(Json(
        state
            .store
            .disable_user(&who.actor(), &user, state.now())
            .await?,
    ))
}

/// Lets a disabled console user (by id or email address) sign in again (admin); audited as
/// `user.enabled`. Sessions and sign-in links from before stay ended; an active user is
/// returned unchanged.
#[utoipa::path(post, path = "/api/v1/users/{user}/enable", tag = "users",
    params(("user" = String, Path)),
    responses((status = 200, body = User), (status = 404)))]
pub async fn enable(
    State(state): State<AppState>,
    who: Principal,
    Path(user): Path<String>,
) -> Result<Json<User>> {
    who.require(Role::Admin)?;
    Ok(Json(
        state
            .store
            .enable_user(&who.actor(), &user, state.now())
            .await?,
    ))
}

/// Gives a console user (by id or email address) another role (admin). Refused when it would
/// leave no active admin; audited as `user.role_changed`.
#[utoipa::path(put, path = "/api/v1/users/{user}/role", tag = "users",
    params(("user" = String, Path)), request_body = RoleRequest,
    responses((status = 200, body = User), (status = 404), (status = 422)))]
pub async fn set_role(
    State(state): State<AppState>,
    who: Principal,
    Path(user): Path<String>,
    Body(body): Body<RoleRequest>,
) -> Result<Json<User>> {
    who.require(Role::Admin)?;
    Ok(Json(
        state
            .store
            .set_user_role(&who.actor(), &user, body.role, state.now())
            .await?,
    ))
}
