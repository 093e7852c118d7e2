//! Finding any past incident: a page's Incidents tab, with filters (state, severity,
//! component, the days it was declared in the page's zone) and a search of the words in the
//! titles and the updates, a page of results at a time, newest first. Each result links to its
//! incident; a resolved one's post-mortem link is added or changed in place.
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use herald_core::component::Component;
use herald_core::incident::{Incident, IncidentState, Severity};
use herald_core::page::Page;
use herald_store::{IncidentSearch, StoreError};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde_json::{Value, json};

use super::form::FormData;
use super::incidents::Errors;
use super::session::SignedIn;
use super::view::{self, wire_name};
use super::words;
use crate::AppState;

/// Results per page.
const PER_PAGE: u32 = 25;

/// The filters a search takes, as the form sends them (and its links carry them).
const FILTERS: [&str; 6] = ["q", "state", "severity", "component", "from", "to"];

/// The tab's path with the filters of `form` (and `before`, for the next page of results),
/// encoded afresh: only the fields a search takes.
pub fn path(page: &str, form: &FormData, before: Option<&str>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for name in FILTERS {
        let value = form.text(name);
        if !value.is_empty() {
            query.append_pair(name, &value);
        }
    }
    if let Some(before) = before {
        query.append_pair("before", before);
    }
    let query = query.finish();
    match query.is_empty() {
        true => format!("/console/pages/{page}/incidents"),
        false => format!("/console/pages/{page}/incidents?{query}"),
    }
}

/// The filters of a query string (a search's, or one a form carried back).
pub fn filters(query: &str) -> FormData {
    FormData::parse(&Bytes::copy_from_slice(query.as_bytes()))
}

pub async fn search(
    State(state): State<AppState>,
    Path(page): Path<String>,
    RawQuery(query): RawQuery,
    who: SignedIn,
) -> Response {
    let form = filters(query.as_deref().unwrap_or_default());
    results(&state, &who, &page, &form, None).await
}

/// A post-mortem link refused on the tab: the incident, what was typed, and why.
pub struct Refused {
    pub incident: String,
    pub url: String,
    pub message: String,
}

/// The first day of a date field, or the day after (`next`), in the page's zone.
fn day(
    form: &FormData,
    field: &'static str,
    tz: &TimeZone,
    next: bool,
    errors: &mut Errors,
) -> Option<Timestamp> {
    let text = form.text(field);
    if text.is_empty() {
        return None;
    }
    let start = text
        .parse::<Date>()
        .ok()
        .and_then(|d| if next { d.tomorrow().ok() } else { Some(d) })
        .and_then(|d| d.to_zoned(tz.clone()).ok())
        .and_then(|z| z.start_of_day().ok());
    if start.is_none() {
        errors.insert(
            field,
            format!("Give a date such as 2026-03-29; {text:?} is not one."),
        );
    }
    start.map(|z| z.timestamp())
}

/// The search the filters ask for, or what is wrong with them, each beside its field.
fn parse(form: &FormData, page: &Page, components: &[Component]) -> Result<IncidentSearch, Errors> {
    let mut errors = Errors::new();
    let state = match form.text("state") {
        s if s.is_empty() => None,
        s => serde_json::from_value::<IncidentState>(json!(s)).map_or_else(
            |_| {
                errors.insert("state", "Choose a state from the list.".into());
                None
            },
            Some,
        ),
    };
    let severity = match form.text("severity") {
        s if s.is_empty() => None,
        s => match s.parse::<u8>().map(Severity::new) {
            Ok(Ok(severity)) => Some(severity),
            _ => {
                errors.insert(
                    "severity",
                    "Choose a severity from 1 (critical) to 4 (low).".into(),
                );
                None
            }
        },
    };
    let component = match form.text("component") {
        c if c.is_empty() => None,
        c if components.iter().any(|known| known.id == c) => Some(c),
        _ => {
            errors.insert("component", "Choose one of the page's components.".into());
            None
        }
    };
    let tz = TimeZone::get(&page.time_zone).unwrap_or(TimeZone::UTC);
    let from = day(form, "from", &tz, false, &mut errors);
    let until = day(form, "to", &tz, true, &mut errors);
    if let (Some(from), Some(until)) = (from, until)
        && until <= from
    {
        errors.insert("to", "The last day is before the first; swap them.".into());
    }
    match errors.is_empty() {
        true => Ok(IncidentSearch {
            state,
            severity,
            component,
            from,
            until,
            text: form.text("q"),
            // One more than is shown, to know whether there are older results.
            limit: PER_PAGE + 1,
            before: Some(form.text("before")).filter(|b| !b.is_empty()),
        }),
        false => Err(errors),
    }
}

fn result_row(i: &Incident, page: &Page, components: &[Component], now: Timestamp) -> Value {
    let affected: Vec<&str> = components
        .iter()
        .filter(|c| {
            c.locations
                .iter()
                .any(|l| i.affected.iter().any(|a| a.location_id == l.id))
        })
        .map(|c| c.name.as_str())
        .collect();
    json!({
        "id": i.id,
        "title": i.title,
        "severity": i.severity.get(),
        "state": i.state.label(),
        "resolved": !i.is_active(),
        "declared": words::moment(i.created_at, &page.time_zone, now),
        "resolved_at": i.resolved_at.map(|t| words::moment(t, &page.time_zone, now)),
        "affected": affected,
        "postmortem_url": i.postmortem_url,
    })
}

/// The tab with the results of the search `form` asks for, and a refused post-mortem link
/// beside its incident (422).
pub async fn results(
    state: &AppState,
    who: &SignedIn,
    page: &str,
    form: &FormData,
    refused: Option<Refused>,
) -> Response {
    let loaded = async {
        let page = state.store.page(page).await?;
        let components = state.store.components(&page.id).await?;
        Ok::<_, StoreError>((page, components))
    };
    let (page, components) = match loaded.await {
        Ok(found) => found,
        Err(error) => return view::failure(state, Some(who), error.into()),
    };
    let (found, errors) = match parse(form, &page, &components) {
        Ok(search) => match state.store.search_incidents(&page.id, search).await {
            Ok(found) => (found, Errors::new()),
            Err(error) => return view::failure(state, Some(who), error.into()),
        },
        Err(errors) => (Vec::new(), errors),
    };
    let now = state.now();
    let before = Some(form.text("before")).filter(|b| !b.is_empty());
    let shown = &found[..found.len().min(PER_PAGE as usize)];
    let older = (found.len() > PER_PAGE as usize)
        .then(|| shown.last().map(|i| path(&page.slug, form, Some(&i.id))))
        .flatten();
    let status = match (&refused, errors.is_empty()) {
        (None, true) => StatusCode::OK,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let values: serde_json::Map<String, Value> = FILTERS
        .iter()
        .map(|name| (name.to_string(), json!(form.text(name))))
        .collect();
    let context = json!({
        "title": format!("Incidents of {}", page.name),
        "page": {"slug": page.slug, "name": page.name, "time_zone": page.time_zone},
        "values": values,
        "errors": errors,
        "states": IncidentState::ALL.iter().map(|s| json!({"value": wire_name(s), "label": s.label()})).collect::<Vec<_>>(),
        "severities": (1..=4).map(|n| json!({"value": n.to_string(), "label": format!("Severity {n}")})).collect::<Vec<_>>(),
        "components": components.iter().map(|c| json!({"value": c.id, "label": c.name})).collect::<Vec<_>>(),
        "results": shown.iter().map(|i| result_row(i, &page, &components, now)).collect::<Vec<_>>(),
        "searched": before.is_some() || FILTERS.iter().any(|f| !form.text(f).is_empty()),
        "first_page": before.is_some().then(|| path(&page.slug, form, None)),
        "older": older,
        "return_to": path(&page.slug, form, before.as_deref()).split_once('?').map_or("", |(_, q)| q).to_string(),
        "refused": refused.map(|r| json!({"incident": r.incident, "url": r.url, "message": r.message})),
    });
    view::page(state, Some(who), status, "incidents.html", context)
}
