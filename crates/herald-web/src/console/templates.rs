//! The page's message library in the console: using a template on a form, and editing the
//! library (administrators; it is part of the page's settings, so edits are audited as page
//! changes).
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use herald_core::access::Role;
use herald_core::incident::IncidentState;
use herald_core::page::Page;
use herald_core::template::{self, MessageTemplate, VARIABLES};
use herald_store::{PagePatch, StoreError};
use serde::Deserialize;
use serde_json::{Value, json};

use super::session::{Posted, SignedIn};
use super::view::{self, wire_name};
use crate::AppState;

/// A template asked for on a form (`?template=N&issue_link=…&monitoring_minutes=…`).
#[derive(Deserialize, Default)]
pub struct UseTemplate {
    template: Option<usize>,
    #[serde(default)]
    issue_link: String,
    #[serde(default)]
    monitoring_minutes: String,
}

impl UseTemplate {
    /// Puts the chosen template, filled in, into the form's values; notes what was asked for
    /// so the picker shows it again.
    pub fn apply(&self, page: &Page, title: &str, values: &mut Value) {
        values["issue_link"] = json!(self.issue_link);
        values["monitoring_minutes"] = json!(if self.monitoring_minutes.is_empty() {
            "30"
        } else {
            self.monitoring_minutes.as_str()
        });
        let Some(chosen) = self.template.and_then(|i| page.settings.templates.get(i)) else {
            return;
        };
        let minutes = values["monitoring_minutes"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let filled = template::fill(
            &chosen.body,
            &[
                ("issue_link", &self.issue_link),
                ("monitoring_minutes", &minutes),
                ("title", title),
            ],
        );
        values["details"] = json!(filled);
        values["state"] = json!(wire_name(&chosen.state));
        values["template"] = json!(self.template);
    }
}

/// The library as the picker lists it.
pub fn listed(page: &Page) -> Value {
    json!(
        page.settings
            .templates
            .iter()
            .map(|t| json!({"name": t.name}))
            .collect::<Vec<_>>()
    )
}

pub async fn edit_form(
    State(state): State<AppState>,
    Path(page): Path<String>,
    who: SignedIn,
) -> Response {
    if let Err(refused) = who.require(&state, Role::Admin) {
        return *refused;
    }
    match state.store.page(&page).await {
        Ok(page) => {
            let rows = page.settings.templates.iter().map(row).collect();
            library(&state, &who, &page, StatusCode::OK, rows, None)
        }
        Err(error) => view::failure(&state, Some(&who), error.into()),
    }
}

fn row(t: &MessageTemplate) -> Value {
    json!({"name": t.name, "state": wire_name(&t.state), "body": t.body})
}

fn library(
    state: &AppState,
    who: &SignedIn,
    page: &Page,
    status: StatusCode,
    rows: Vec<Value>,
    error: Option<String>,
) -> Response {
    let context = json!({
        "title": format!("Templates of {}", page.name),
        "page": {"slug": page.slug, "name": page.name},
        "templates": rows,
        "states": IncidentState::ALL.iter().map(|s| json!({"value": wire_name(s), "label": s.label()})).collect::<Vec<_>>(),
        "variables": VARIABLES.iter().map(|(name, what)| json!({"name": name, "what": what})).collect::<Vec<_>>(),
        "error": error,
    });
    view::page(state, Some(who), status, "templates.html", context)
}

/// Saves the whole library as submitted: rows `name.N`, `state.N`, `body.N`; a ticked
/// `remove.N` drops a row, and a filled-in last row adds one.
pub async fn save(
    State(state): State<AppState>,
    Path(page): Path<String>,
    Posted { who, form }: Posted,
) -> Response {
    if let Err(refused) = who.require(&state, Role::Admin) {
        return *refused;
    }
    let current = match state.store.page(&page).await {
        Ok(page) => page,
        Err(error) => return view::failure(&state, Some(&who), error.into()),
    };
    let mut templates = Vec::new();
    let mut rows = Vec::new();
    for i in 0..=template::MAX_TEMPLATES {
        let (name, body) = (
            form.text(&format!("name.{i}")),
            form.text(&format!("body.{i}")),
        );
        let state_field = form.text(&format!("state.{i}"));
        if name.is_empty() && body.is_empty() {
            continue;
        }
        rows.push(json!({"name": name, "state": state_field, "body": body}));
        if form.get(&format!("remove.{i}")).is_some() {
            continue;
        }
        let state =
            serde_json::from_value(json!(state_field)).unwrap_or(IncidentState::Investigating);
        templates.push(MessageTemplate { name, state, body });
    }
    let mut settings = current.settings.clone();
    settings.templates = templates;
    let patch = PagePatch {
        settings: Some(settings),
        ..PagePatch::default()
    };
    match state
        .store
        .update_page(&who.actor(), &page, patch, state.now())
        .await
    {
        Ok(_) => Redirect::to(&format!("/console/pages/{page}/templates")).into_response(),
        Err(StoreError::Domain(refusal)) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            library(
                &state,
                &who,
                &current,
                status,
                rows,
                Some(refusal.to_string()),
            )
        }
        Err(error) => view::failure(&state, Some(&who), error.into()),
    }
}
