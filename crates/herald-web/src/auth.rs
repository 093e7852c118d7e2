//! Who is calling: an API token, sent as `Authorization: Bearer <secret>` or, as Status.io's
//! clients do, as `x-api-id` and `x-api-key` headers.
use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use herald_core::access::Role;
use herald_store::Token;

use crate::{ApiError, AppState};

pub struct Principal {
    pub token: Token,
}

impl Principal {
    pub fn require(&self, needed: Role) -> Result<(), ApiError> {
        if self.token.role.allows(needed) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "this needs the {} role; token {:?} has the {} role",
                needed.as_str(),
                self.token.name,
                self.token.role.as_str()
            )))
        }
    }

    /// How the audit log names this caller.
    pub fn actor(&self) -> String {
        format!("token:{} ({})", self.token.id, self.token.name)
    }
}

/// The caller's token, or a 401 that says what credentials to send.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Principal, ApiError> {
    let unauthorized = |detail: &str| Err(ApiError::unauthorized(detail));
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let (id, secret) = match (
        header("authorization"),
        header("x-api-id"),
        header("x-api-key"),
    ) {
        (Some(auth), _, _) => match auth
            .strip_prefix("Bearer ")
            .or_else(|| auth.strip_prefix("bearer "))
        {
            Some(secret) => (None, secret.trim()),
            None => {
                return unauthorized("the Authorization header must be \"Bearer <token secret>\"");
            }
        },
        (None, Some(id), Some(key)) => (Some(id), key),
        _ => {
            return unauthorized(
                "authentication required: send \"Authorization: Bearer <token secret>\" (or x-api-id and x-api-key); create a token with `herald token create`",
            );
        }
    };
    match state.store.authenticate(id, secret, state.now()).await? {
        Some(token) => Ok(Principal { token }),
        None => unauthorized("the token is unknown or revoked"),
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        authenticate(state, &parts.headers).await
    }
}
