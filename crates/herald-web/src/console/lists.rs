//! The lists in a page's settings that administrators edit as one form: the message templates
//! and the stage checklist. Saving goes through the page's settings, so the rules are the
//! API's and edits are audited as `page.updated`.
//!
//! Each row's fields are `FIELD.N`; a row with no text is skipped, a ticked `remove.N` drops
//! its row, and a filled-in last row adds one.
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use herald_core::access::Role;
use herald_core::checklist::{self, ChecklistItem, DoneWhen};
use herald_core::incident::IncidentState;
use herald_core::page::{Page, PageSettings};
use herald_core::template::{self, MessageTemplate, VARIABLES};
use herald_store::{PagePatch, StoreError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use super::form::FormData;
use super::session::{Posted, SignedIn};
use super::view::{self, wire_name};
use crate::AppState;

/// A list of a page's settings edited in the console.
pub trait EditedList: Serialize + DeserializeOwned + Sized {
    /// The page's path under `/console/pages/{page}/`, and its heading ("Templates of …").
    const PATH: &'static str;
    const HEADING: &'static str;
    const MAX: usize;
    fn list(settings: &PageSettings) -> &[Self];
    fn replace(settings: &mut PageSettings, list: Vec<Self>);
    /// The row's fields as the form shows them: `{name, label, kind, options?}`, `kind`
    /// being `input`, `textarea` or `select`.
    fn columns() -> Value;
    /// More for the page to say (the template variables).
    fn about() -> Value {
        Value::Null
    }
}

impl EditedList for MessageTemplate {
    const PATH: &'static str = "templates";
    const HEADING: &'static str = "Templates";
    const MAX: usize = template::MAX_TEMPLATES;

    fn list(settings: &PageSettings) -> &[Self] {
        &settings.templates
    }

    fn replace(settings: &mut PageSettings, list: Vec<Self>) {
        settings.templates = list;
    }

    fn columns() -> Value {
        let states: Vec<Value> = IncidentState::ALL
            .iter()
            .map(|s| json!({"value": wire_name(s), "label": s.label()}))
            .collect();
        json!([
            {"name": "name", "label": "Name", "kind": "input"},
            {"name": "state", "label": "Moves the incident to", "kind": "select", "options": states},
            {"name": "body", "label": "Text", "kind": "textarea"},
        ])
    }

    fn about() -> Value {
        json!(
            VARIABLES
                .iter()
                .map(|(name, what)| json!({"name": name, "what": what}))
                .collect::<Vec<_>>()
        )
    }
}

impl EditedList for ChecklistItem {
    const PATH: &'static str = "checklist";
    const HEADING: &'static str = "Checklist";
    const MAX: usize = checklist::MAX_ITEMS;

    fn list(settings: &PageSettings) -> &[Self] {
        &settings.checklist
    }

    fn replace(settings: &mut PageSettings, list: Vec<Self>) {
        settings.checklist = list;
    }

    fn columns() -> Value {
        let mut when = vec![json!({"value": "", "label": "a person ticks it"})];
        when.extend(
            DoneWhen::ALL
                .iter()
                .map(|d| json!({"value": wire_name(d), "label": d.label()})),
        );
        json!([
            {"name": "stage", "label": "Stage", "kind": "input"},
            {"name": "label", "label": "Item", "kind": "input"},
            {"name": "done_when", "label": "Ticks itself when", "kind": "select", "options": when},
        ])
    }
}

pub async fn edit_form<T: EditedList>(
    State(state): State<AppState>,
    Path(page): Path<String>,
    who: SignedIn,
) -> Response {
    if let Err(refused) = who.require(&state, Role::Admin) {
        return *refused;
    }
    match state.store.page(&page).await {
        Ok(page) => {
            let rows = T::list(&page.settings).iter().map(|t| json!(t)).collect();
            editor::<T>(&state, &who, &page, StatusCode::OK, rows, None)
        }
        Err(error) => view::failure(&state, Some(&who), error.into()),
    }
}

fn editor<T: EditedList>(
    state: &AppState,
    who: &SignedIn,
    page: &Page,
    status: StatusCode,
    rows: Vec<Value>,
    error: Option<String>,
) -> Response {
    let context = json!({
        "title": format!("{} of {}", T::HEADING, page.name),
        "heading": T::HEADING,
        "action": format!("/console/pages/{}/{}", page.slug, T::PATH),
        "page": {"slug": page.slug, "name": page.name},
        "rows": rows,
        "columns": T::columns(),
        "variables": T::about(),
        "error": error,
    });
    view::page(state, Some(who), status, "list_editor.html", context)
}

/// Saves the whole list as submitted; a refusal shows the form again as typed, with why.
pub async fn save<T: EditedList>(
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
    let (shown, kept) = rows(&form, &T::columns(), T::MAX);
    let saved = match parsed::<T>(kept) {
        Ok(list) => {
            let mut settings = current.settings.clone();
            T::replace(&mut settings, list);
            let patch = PagePatch {
                settings: Some(settings),
                ..PagePatch::default()
            };
            state
                .store
                .update_page(&who.actor(), &page, patch, state.now())
                .await
        }
        Err(refusal) => Err(StoreError::Domain(refusal)),
    };
    match saved {
        Ok(_) => Redirect::to(&format!("/console/pages/{page}/{}", T::PATH)).into_response(),
        Err(StoreError::Domain(refusal)) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            let reason = Some(refusal.to_string());
            editor::<T>(&state, &who, &current, status, shown, reason)
        }
        Err(error) => view::failure(&state, Some(&who), error.into()),
    }
}

/// The rows as typed (to show again), and those to keep, with empty fields left out.
fn rows(form: &FormData, columns: &Value, max: usize) -> (Vec<Value>, Vec<Value>) {
    let columns: Vec<(&str, bool)> = columns
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| Some((c["name"].as_str()?, c["kind"] == "select")))
        .collect();
    let (mut shown, mut kept) = (Vec::new(), Vec::new());
    for i in 0..=max {
        let values: Vec<(&str, String, bool)> = columns
            .iter()
            .map(|(name, select)| (*name, form.text(&format!("{name}.{i}")), *select))
            .collect();
        if values.iter().all(|(_, v, select)| *select || v.is_empty()) {
            continue;
        }
        let row: Map<String, Value> = values
            .iter()
            .map(|(name, v, _)| (name.to_string(), json!(v)))
            .collect();
        shown.push(Value::Object(row.clone()));
        if form.get(&format!("remove.{i}")).is_none() {
            kept.push(Value::Object(
                row.into_iter().filter(|(_, v)| v != "").collect(),
            ));
        }
    }
    (shown, kept)
}

fn parsed<T: DeserializeOwned>(rows: Vec<Value>) -> Result<Vec<T>, herald_core::DomainError> {
    rows.into_iter()
        .enumerate()
        .map(|(i, row)| {
            serde_json::from_value(row).map_err(|e| {
                herald_core::DomainError::invalid("settings", format!("row {}: {e}", i + 1))
            })
        })
        .collect()
}
