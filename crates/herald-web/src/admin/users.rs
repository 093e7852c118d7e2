//! Console users' roles. Users are created, listed and disabled with `herald user` and in the
//! console; their nudge channels are under the cadence routes.
use axum::Json;
use axum::extract::{Path, State};
use herald_core::access::Role;
use herald_core::user::User;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::problem::Body;
use crate::{ApiError, AppState};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleRequest {
    /// `viewer`, `responder` or `admin`.
    pub role: Role,
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
) -> Result<Json<User>, ApiError> {
    who.require(Role::Admin)?;
    Ok(Json(
        state
            .store
            .set_user_role(&who.actor(), &user, body.role, state.now())
            .await?,
    ))
}
