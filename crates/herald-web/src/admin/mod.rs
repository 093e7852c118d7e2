//! The admin API under `/api/v1`, described by an OpenAPI 3.1 document generated from the
//! handlers themselves.
mod cadence;
mod checklist;
mod components;
mod events;
mod incidents;
mod maintenance;
mod pages;
mod problems;
mod subscribers;
mod tokens;
mod users;

use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Herald admin API", description = "Pages, components, incidents, maintenance, the update cadence, subscribers and their deliveries, console users, tokens and the audit log. Errors are RFC 9457 problem documents."),
    modifiers(&BearerAuth),
    security(("token" = [])),
    tags(
        (name = "pages"), (name = "components"), (name = "incidents"), (name = "maintenance"), (name = "subscribers"), (name = "cadence"), (name = "users"), (name = "tokens"), (name = "audit")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(pages::list, pages::create))
        .routes(routes!(pages::get, pages::update))
        .routes(routes!(pages::status))
        .routes(routes!(components::list_groups, components::create_group))
        .routes(routes!(components::list, components::create))
        .routes(routes!(
            components::get,
            components::update,
            components::delete
        ))
        .routes(routes!(components::add_location))
        .routes(routes!(components::set_override))
        .routes(routes!(incidents::list, incidents::create))
        .routes(routes!(incidents::preview_new))
        .routes(routes!(incidents::get, incidents::edit, incidents::delete))
        .routes(routes!(incidents::post_update))
        .routes(routes!(incidents::correct_update))
        .routes(routes!(incidents::preview_update))
        .routes(routes!(incidents::set_postmortem))
        .routes(routes!(checklist::get, checklist::tick))
        .routes(routes!(maintenance::list, maintenance::schedule))
        .routes(routes!(maintenance::get, maintenance::delete))
        .routes(routes!(maintenance::post_update))
        .routes(routes!(maintenance::preview))
        .routes(routes!(maintenance::reschedule))
        .routes(routes!(maintenance::set_automation))
        .routes(routes!(maintenance::set_reminders))
        .routes(routes!(cadence::snooze_incident))
        .routes(routes!(cadence::snooze_maintenance))
        .routes(routes!(cadence::incident_roles))
        .routes(routes!(cadence::maintenance_roles))
        .routes(routes!(cadence::incident_adherence))
        .routes(routes!(cadence::maintenance_adherence))
        .routes(routes!(cadence::page_adherence))
        .routes(routes!(cadence::nudges))
        .routes(routes!(
            cadence::get_nudge_channels,
            cadence::set_nudge_channels
        ))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::disable))
        .routes(routes!(users::enable))
        .routes(routes!(users::set_role))
        .routes(routes!(subscribers::list, subscribers::create))
        .routes(routes!(
            subscribers::get,
            subscribers::update,
            subscribers::delete
        ))
        .routes(routes!(subscribers::rotate_secret))
        .routes(routes!(subscribers::enable))
        .routes(routes!(subscribers::incident_deliveries))
        .routes(routes!(subscribers::maintenance_deliveries))
        .routes(routes!(subscribers::recipients))
        .routes(routes!(tokens::list, tokens::create))
        .routes(routes!(tokens::revoke))
        .routes(routes!(events::list))
}

/// The OpenAPI document of the admin API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = api().into_openapi();
    problems::add_to(&mut doc);
    doc
}

pub fn router() -> Router<AppState> {
    let (router, mut doc) = api().split_for_parts();
    problems::add_to(&mut doc);
    let doc = serde_json::to_value(&doc).unwrap_or_default();
    router.route(
        "/api/v1/openapi.json",
        get(move || async move { Json(doc).into_response() }),
    )
}
