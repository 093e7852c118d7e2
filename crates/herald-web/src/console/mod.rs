//! The responder console at `/console`: server-rendered pages for running incidents. Signing
//! in gives a session cookie; every form carries the session's CSRF token back; the roles
//! decide who may publish. Pages work without script; a small script adds the live
//! countdowns, counters and previews.
mod checklist;
mod components;
mod compose;
mod dashboard;
mod drawn;
mod form;
mod history;
mod incidents;
mod lists;
mod maintenance;
mod manage;
mod pages;
mod recipients;
mod session;
mod sign_in;
mod subscribers;
mod templates;
mod throttle;
mod users;
mod view;
mod words;

use std::sync::Arc;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use herald_core::checklist::ChecklistItem;
use herald_core::template::MessageTemplate;
use herald_notify::email::Emails;
use herald_notify::mail::Mailer;
use minijinja::Environment;
use serde_json::Value;

use crate::AppState;
pub use throttle::SignInLimiter;

/// What the console needs beyond the rest of the app: its templates, and the mail it sends
/// (sign-in links).
pub struct Console {
    templates: Environment<'static>,
    mail: Mailer,
    emails: Emails,
    from: String,
    /// The public base URL, ending in `/`; sign-in links point under it.
    base_url: String,
    /// Cookies get `Secure` when the console is served over HTTPS.
    secure_cookies: bool,
    limiter: SignInLimiter,
}

impl Console {
    pub fn new(mail: Mailer, emails: Emails, from: String, base_url: String) -> Arc<Console> {
        let mut templates = Environment::new();
        templates.set_trim_blocks(true);
        templates.set_lstrip_blocks(true);
        for (name, source) in TEMPLATES {
            templates
                .add_template(name, source)
                .expect("the console's built-in templates parse");
        }
        Arc::new(Console {
            templates,
            mail,
            emails,
            from,
            secure_cookies: base_url.starts_with("https://"),
            base_url: format!("{}/", base_url.trim_end_matches('/')),
            limiter: SignInLimiter::default(),
        })
    }

    /// A page of the console; the templates are built in, so failing to render is a bug,
    /// reported as a 500 and logged.
    fn render(&self, status: StatusCode, name: &str, context: Value) -> Response {
        match self
            .templates
            .get_template(name)
            .and_then(|t| t.render(&context))
        {
            Ok(html) => (
                status,
                [
                    (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                    (header::CACHE_CONTROL, "no-store"),
                ],
                html,
            )
                .into_response(),
            Err(error) => {
                tracing::error!(template = name, %error, "a console template failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the page could not be shown",
                )
                    .into_response()
            }
        }
    }
}

const TEMPLATES: [(&str, &str); 19] = [
    (
        "base.html",
        include_str!("../../templates/console/base.html"),
    ),
    (
        "macros.html",
        include_str!("../../templates/console/macros.html"),
    ),
    (
        "sign_in.html",
        include_str!("../../templates/console/sign_in.html"),
    ),
    (
        "message.html",
        include_str!("../../templates/console/message.html"),
    ),
    (
        "dashboard.html",
        include_str!("../../templates/console/dashboard.html"),
    ),
    (
        "incident_form.html",
        include_str!("../../templates/console/incident_form.html"),
    ),
    (
        "incident.html",
        include_str!("../../templates/console/incident.html"),
    ),
    (
        "recipients.html",
        include_str!("../../templates/console/recipients.html"),
    ),
    (
        "list_editor.html",
        include_str!("../../templates/console/list_editor.html"),
    ),
    (
        "pages.html",
        include_str!("../../templates/console/pages.html"),
    ),
    (
        "page.html",
        include_str!("../../templates/console/page.html"),
    ),
    (
        "components.html",
        include_str!("../../templates/console/components.html"),
    ),
    (
        "component.html",
        include_str!("../../templates/console/component.html"),
    ),
    (
        "subscribers.html",
        include_str!("../../templates/console/subscribers.html"),
    ),
    (
        "users.html",
        include_str!("../../templates/console/users.html"),
    ),
    (
        "user.html",
        include_str!("../../templates/console/user.html"),
    ),
    (
        "incidents.html",
        include_str!("../../templates/console/incidents.html"),
    ),
    (
        "maintenance.html",
        include_str!("../../templates/console/maintenance.html"),
    ),
    (
        "maintenance_window.html",
        include_str!("../../templates/console/maintenance_window.html"),
    ),
];

const CSS: &str = include_str!("../../assets/console.css");
const JS: &str = include_str!("../../assets/console.js");

/// The console runs only its own script and stylesheet (the templates hold no inline code or
/// style), and the script fetches only from the console (previews, delivery reports).
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console", get(dashboard::show))
        .route(
            "/console/sign-in",
            get(sign_in::form).post(sign_in::password),
        )
        .route("/console/sign-in/email", post(sign_in::email_link))
        .route(
            "/console/sign-in/link",
            get(sign_in::link_form).post(sign_in::redeem),
        )
        .route("/console/sign-out", post(sign_in::sign_out))
        .route("/console/nudges/seen", post(dashboard::nudges_seen))
        .route(
            "/console/pages/{page}/incidents/new",
            get(incidents::new_form).post(incidents::new_form_with_template),
        )
        .route(
            "/console/pages/{page}/incidents",
            get(history::search).post(incidents::create),
        )
        .route("/console/pages/{page}/incidents/{id}", get(incidents::show))
        .route(
            "/console/pages/{page}/incidents/{id}/updates",
            post(incidents::post_update),
        )
        .route(
            "/console/pages/{page}/incidents/{id}/template",
            post(incidents::show_with_template),
        )
        .route(
            "/console/pages/{page}/incidents/{id}/postmortem",
            post(incidents::postmortem),
        )
        .route(
            "/console/pages/{page}/incidents/{id}/updates/{update}/correct",
            post(incidents::correct),
        )
        .route(
            "/console/pages/{page}/incidents/{id}/edit",
            post(incidents::edit),
        )
        .route(
            "/console/pages/{page}/incidents/{id}/snooze",
            post(incidents::snooze),
        )
        .route(
            "/console/pages/{page}/incidents/{id}/lead",
            post(incidents::take_lead),
        )
        .route(
            "/console/pages/{page}/incidents/{id}/checklist",
            post(checklist::tick),
        )
        .route("/console/pages/{page}/preview", post(incidents::preview))
        .route(
            "/console/pages/{page}/broadcasts/{broadcast}/recipients",
            get(recipients::show),
        )
        .route(
            "/console/pages/{page}/maintenance",
            get(maintenance::list).post(maintenance::schedule),
        )
        .route(
            "/console/pages/{page}/maintenance/preview",
            post(maintenance::preview),
        )
        .route(
            "/console/pages/{page}/maintenance/{id}",
            get(maintenance::show),
        )
        .route(
            "/console/pages/{page}/maintenance/{id}/updates",
            post(maintenance::post_update),
        )
        .route(
            "/console/pages/{page}/maintenance/{id}/schedule",
            post(maintenance::reschedule),
        )
        .route(
            "/console/pages/{page}/maintenance/{id}/reminders",
            post(maintenance::set_reminders),
        )
        .route(
            "/console/pages/{page}/maintenance/{id}/automation",
            post(maintenance::set_automation),
        )
        .route(
            "/console/pages/{page}/templates",
            get(lists::edit_form::<MessageTemplate>).post(lists::save::<MessageTemplate>),
        )
        .route(
            "/console/pages/{page}/checklist",
            get(lists::edit_form::<ChecklistItem>).post(lists::save::<ChecklistItem>),
        )
        .route("/console/pages", get(pages::list).post(pages::create))
        .route(
            "/console/pages/{page}",
            get(pages::settings).post(pages::save_settings),
        )
        .route("/console/pages/{page}/cadence", post(pages::save_cadence))
        .route(
            "/console/pages/{page}/components",
            get(components::list).post(components::create),
        )
        .route(
            "/console/pages/{page}/groups",
            post(components::create_group),
        )
        .route(
            "/console/pages/{page}/components/{id}",
            get(components::show).post(components::update),
        )
        .route(
            "/console/pages/{page}/components/{id}/delete",
            post(components::delete),
        )
        .route(
            "/console/pages/{page}/components/{id}/locations",
            post(components::add_location),
        )
        .route(
            "/console/pages/{page}/locations/{location}/override",
            post(components::set_override),
        )
        .route(
            "/console/pages/{page}/subscribers",
            get(subscribers::list).post(subscribers::create),
        )
        .route(
            "/console/pages/{page}/subscribers/{id}/delete",
            post(subscribers::delete),
        )
        .route(
            "/console/pages/{page}/subscribers/{id}/enable",
            post(subscribers::enable),
        )
        .route(
            "/console/pages/{page}/subscribers/{id}/rotate-secret",
            post(subscribers::rotate_secret),
        )
        .route("/console/users", get(users::list).post(users::create))
        .route("/console/users/{id}", get(users::show))
        .route("/console/users/{id}/role", post(users::set_role))
        .route("/console/users/{id}/disable", post(users::disable))
        .route("/console/users/{id}/enable", post(users::enable))
        .route(
            "/console/users/{id}/nudge-channels",
            post(users::set_nudge_channels),
        )
        .route(
            "/console/assets/console.css",
            get(|| asset("text/css", CSS)),
        )
        .route(
            "/console/assets/console.js",
            get(|| asset("text/javascript", JS)),
        )
        .layer(middleware::map_response(protect))
}

/// Every console answer (pages, redirects, refusals, assets) carries the console's policy.
async fn protect(mut response: Response) -> Response {
    crate::headers::protect(response.headers_mut(), CSP);
    response
}

async fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}
