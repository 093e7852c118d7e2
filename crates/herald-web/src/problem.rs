//! Errors as RFC 9457 problem documents, with a message a person can act on.
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use herald_core::DomainError;
use herald_store::StoreError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// Stable and machine-readable: `not-found`, `all-operational`, `malformed-json`, …
    pub code: &'static str,
    pub detail: String,
    pub field: Option<&'static str>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            detail: detail.into(),
            field: None,
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad-request", detail)
    }

    pub fn not_found(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not-found", detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }
}

/// An RFC 9457 problem document, as every error is answered.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem<'a> {
    /// Always `about:blank`: `code` tells the problems apart.
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'a str,
    status: u16,
    /// What went wrong and what to do about it, for a person.
    detail: &'a str,
    /// Stable and machine-readable: `not-found`, `invalid-field`, `malformed-json`, …
    code: &'a str,
    /// The request field to fix, when one is at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = Problem {
            kind: "about:blank",
            title: self.status.canonical_reason().unwrap_or("Error"),
            status: self.status.as_u16(),
            detail: &self.detail,
            code: self.code,
            field: self.field,
        };
        let mut response = (self.status, Json(problem)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Domain(domain) => domain.into(),
            StoreError::NotFound { .. } => ApiError::not_found(err.to_string()),
            StoreError::Conflict(detail) => ApiError::new(StatusCode::CONFLICT, "conflict", detail),
            StoreError::FileChanged(detail) => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", detail)
            }
            StoreError::Unavailable(detail) => {
                tracing::error!(%detail, "database unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the database is unavailable; nothing was changed, try again shortly",
                )
            }
            // No request handler holds a job's lease: losing one here is a fault too.
            StoreError::Internal(_) | StoreError::LeaseLost { .. } => {
                tracing::error!(detail = %err, "internal error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "an internal error occurred; it has been logged",
                )
            }
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> Self {
        let field = match &err {
            DomainError::Invalid { field, .. } => Some(*field),
            _ => None,
        };
        let status = match err {
            DomainError::Conflict(_) => StatusCode::CONFLICT,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError {
            status,
            code: err.code(),
            detail: err.to_string(),
            field,
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let code = match &rejection {
            JsonRejection::JsonDataError(_) => "invalid-body",
            JsonRejection::JsonSyntaxError(_) => "malformed-json",
            JsonRejection::MissingJsonContentType(_) => "not-json",
            _ if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => "body-too-large",
            _ => "bad-body",
        };
        let detail = match code {
            "not-json" => "send the body as JSON with Content-Type: application/json".to_string(),
            "body-too-large" => format!(
                "the body is larger than the {} KiB limit",
                crate::MAX_BODY_BYTES / 1024
            ),
            _ => rejection.body_text(),
        };
        ApiError::new(rejection.status(), code, detail)
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            rejection.body_text(),
        )
    }
}

/// A JSON object body whose rejections are problem documents: 400 only for what is not JSON at
/// all, 422 naming the field for JSON of the wrong shape.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(value) = Json::<Value>::from_request(req, state).await?;
        if !value.is_object() {
            return Err(invalid_body("the body must be a JSON object".into()));
        }
        serde_path_to_error::deserialize(value)
            .map(Body)
            .map_err(|err| match err.path().to_string().as_str() {
                "." => invalid_body(err.into_inner().to_string()),
                path => invalid_body(format!("{path}: {}", err.into_inner())),
            })
    }
}

fn invalid_body(detail: String) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-body", detail)
}

/// A query string whose rejections are problem documents.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);
