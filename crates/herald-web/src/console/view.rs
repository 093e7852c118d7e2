//! Pages every console handler may answer with: a message, or a failure explained.
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::session::SignedIn;
use crate::{ApiError, AppState};

/// Renders `template` with the signed-in person's context merged into `context`.
pub fn page(
    state: &AppState,
    who: Option<&SignedIn>,
    status: StatusCode,
    template: &str,
    mut context: Value,
) -> Response {
    // The countdowns run from the server's clock, whatever the browser's says.
    context["now"] = json!(state.now().to_string());
    if let (Some(who), Some(map)) = (who, context.as_object_mut())
        && let serde_json::Value::Object(base) = who.context()
    {
        map.extend(base);
    }
    state.console.render(status, template, context)
}

/// A page that only says something: a refusal, or what happens next.
pub fn message(
    state: &AppState,
    who: Option<&SignedIn>,
    status: StatusCode,
    title: &str,
    text: &str,
) -> Response {
    page(
        state,
        who,
        status,
        "message.html",
        json!({"title": title, "text": text}),
    )
}

/// A failure as a page: the same status and explanation the API would give.
pub fn failure(state: &AppState, who: Option<&SignedIn>, error: ApiError) -> Response {
    let title = match error.status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::CONFLICT => "Conflict",
        s if s.is_server_error() => "Something went wrong",
        _ => "That did not work",
    };
    message(state, who, error.status, title, &error.detail)
}

/// An enum's wire name (`partial_service_disruption`), as forms send it back.
pub fn wire_name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A refusal's message as a sentence beside a field: its first letter a capital.
pub fn capitalise(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
