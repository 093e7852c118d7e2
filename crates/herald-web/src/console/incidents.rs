//! Running an incident from the console: the new-incident form, the incident with its update
//! form, the post-mortem link, and the live preview the forms ask for as the lead types.
use std::collections::BTreeMap;

use axum::Json;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use herald_core::DomainError;
use herald_core::access::Role;
use herald_core::broadcast::{self, Subject};
use herald_core::component::{self, Component};
use herald_core::incident::{
    self, AffectedLocation, Channels, EditedLocation, Incident, IncidentEdit, IncidentState,
    NewIncident, Severity, StatusChange, UpdateCorrection, UpdateDraft,
};
use herald_core::lint::LintRules;
use herald_core::preview::Preview;
use herald_core::status::StatusLevel;
use herald_notify::announcement::Item;
use herald_public::render::markdown;
use herald_store::{DeliveryReport, Roles, StoreError};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::checklist;
use super::compose::{self, Previewed};
use super::dashboard;
use super::form::FormData;
use super::history;
use super::session::{Posted, Responder, SignedIn};
use super::templates::{self, UseTemplate};
use super::view::{self, capitalise, wire_name};
use super::words;
use crate::{ApiError, AppState};

/// Field → what is wrong with it, shown next to the field.
pub(super) type Errors = BTreeMap<&'static str, String>;

pub async fn new_form(
    State(state): State<AppState>,
    Path(page): Path<String>,
    Query(wanted): Query<UseTemplate>,
    who: SignedIn,
) -> Response {
    if let Err(refused) = who.require(&state, Role::Responder) {
        return *refused;
    }
    let mut values = json!({
        "severity": "2",
        "state": "investigating",
        "level": "partial_service_disruption",
        "channels": compose::configured_channels(),
    });
    if let Ok(found) = state.store.page(&page).await {
        wanted.apply(&found, None, &mut values);
    }
    form_page(&state, &who, &page, StatusCode::OK, values, Errors::new()).await
}

/// The new-incident form again, with everything typed kept and the chosen template filled in:
/// the picker's button without the console's script.
pub async fn new_form_with_template(
    State(state): State<AppState>,
    Path(page): Path<String>,
    Responder(Posted { who, form }): Responder,
) -> Response {
    let mut values = sticky(&form);
    if let Ok(found) = state.store.page(&page).await {
        UseTemplate::from_form(&form).apply(&found, None, &mut values);
    }
    form_page(&state, &who, &page, StatusCode::OK, values, Errors::new()).await
}

/// The new-incident form, with what was typed and what was wrong with it.
async fn form_page(
    state: &AppState,
    who: &SignedIn,
    page: &str,
    status: StatusCode,
    values: Value,
    errors: Errors,
) -> Response {
    let page = match state.store.page(page).await {
        Ok(page) => page,
        Err(error) => return view::failure(state, Some(who), error.into()),
    };
    let components = match state.store.components(&page.id).await {
        Ok(components) => components,
        Err(error) => return view::failure(state, Some(who), error.into()),
    };
    let context = json!({
        "title": "New incident",
        "page": {"slug": page.slug, "name": page.name},
        "components": picker_components(&components),
        "values": values,
        "errors": errors,
        "choices": choices(&page.settings.lint),
        "templates": templates::listed(&page),
    });
    view::page(state, Some(who), status, "incident_form.html", context)
}

/// The components and their locations, as the affected picker lists them.
fn picker_components(components: &[Component]) -> Vec<Value> {
    components
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "name": c.name,
                "locations": c.locations.iter().map(|l| json!({"id": l.id, "name": l.name})).collect::<Vec<_>>(),
            })
        })
        .collect()
}

/// The options the forms offer.
fn choices(rules: &LintRules) -> Value {
    let mut choices = compose::channel_choices(rules);
    choices["states"] = json!(
        IncidentState::ALL
            .iter()
            .map(|s| json!({"value": wire_name(s), "label": s.label()}))
            .collect::<Vec<_>>()
    );
    choices["levels"] = json!(
        StatusLevel::ALL
            .iter()
            .map(|l| json!({"value": wire_name(l), "label": l.label()}))
            .collect::<Vec<_>>()
    );
    choices
}

fn parse<T: DeserializeOwned>(value: &str) -> Option<T> {
    serde_json::from_value(json!(value)).ok()
}

/// The form's values as the template shows them again after a refusal.
fn sticky(form: &FormData) -> Value {
    // Every `level:<component id>` the form sent, to choose again.
    let levels: BTreeMap<&str, &str> = form
        .fields()
        .filter_map(|(key, value)| Some((key.strip_prefix("level:")?, value)))
        .collect();
    json!({
        "title": form.text("title"),
        "severity": form.text("severity"),
        "state": form.text("state"),
        "details": form.get("details").unwrap_or_default(),
        "level": form.text("level"),
        "locations": form.all("locations"),
        "whole": form.all("whole"),
        "component_levels": levels,
        "channels": form.all("channels"),
        "subject": form.text("subject"),
        "next_update_in": form.text("next_update_in"),
        "issue_link": form.text("issue_link"),
        "monitoring_minutes": form.text("monitoring_minutes"),
    })
}

/// The parts both forms share; each problem is noted against its field.
struct Common {
    state: Option<IncidentState>,
    details: String,
    channels: Channels,
    subject: Option<String>,
    next_update_in: Option<u32>,
}

fn common(form: &FormData, errors: &mut Errors) -> Common {
    let state = parse(&form.text("state"));
    if state.is_none() {
        errors.insert("state", "Choose a state.".into());
    }
    let next = form.text("next_update_in");
    let next_update_in = match next.parse::<u32>() {
        _ if next.is_empty() => None,
        Ok(minutes) => Some(minutes),
        Err(_) => {
            errors.insert(
                "next_update_in",
                "Enter a whole number of minutes, or leave it empty for the cadence's default."
                    .into(),
            );
            None
        }
    };
    let subject = form.text("subject");
    Common {
        state,
        details: form.get("details").unwrap_or_default().to_string(),
        channels: compose::ticked(form),
        subject: (!subject.is_empty()).then_some(subject),
        next_update_in,
    }
}

/// A level field: `None` for "keep" or empty.
fn level(form: &FormData, field: &str) -> Result<Option<StatusLevel>, ()> {
    match form.text(field).as_str() {
        "" | "keep" => Ok(None),
        other => parse(other).map(Some).ok_or(()),
    }
}

/// What the affected picker ticked: a "whole component" tick stands for all its locations, and
/// each location carries its component's level when one is chosen.
fn picked(form: &FormData, components: &[Component]) -> Result<Vec<EditedLocation>, String> {
    let ticked = [form.all("whole"), form.all("locations")].concat();
    let mut named = Vec::with_capacity(ticked.len());
    for id in ticked {
        let owner = components
            .iter()
            .find(|c| c.id == id)
            .or_else(|| component::component_of(components, &id))
            .map_or("", |c| c.id.as_str());
        let level = level(form, &format!("level:{owner}"))
            .map_err(|()| "A component's level is not one of the choices.".to_string())?;
        named.push((id, level));
    }
    Ok(incident::edited_locations(components, &named))
}

/// The new incident the form asks for. Each location takes its component's level when one is
/// chosen, else the form's.
fn new_incident(form: &FormData, components: &[Component]) -> Result<NewIncident, Errors> {
    let mut errors = Errors::new();
    let c = common(form, &mut errors);
    let severity = form
        .text("severity")
        .parse::<u8>()
        .ok()
        .and_then(|n| Severity::new(n).ok());
    if severity.is_none() {
        errors.insert(
            "severity",
            "Choose a severity from 1 (critical) to 4 (low).".into(),
        );
    }
    let all = level(form, "level").unwrap_or_else(|()| {
        errors.insert("level", "Choose a status level.".into());
        None
    });
    let mut affected = Vec::new();
    match picked(form, components) {
        Ok(picked) => {
            for location in picked {
                match location.level.or(all) {
                    Some(level) => affected.push(AffectedLocation {
                        location_id: location.location_id,
                        level,
                    }),
                    None => {
                        errors.insert("level", "Choose the level to apply to all affected.".into());
                    }
                }
            }
        }
        Err(message) => {
            errors.insert("locations", message);
        }
    }
    match (severity, c.state) {
        (Some(severity), Some(state)) if errors.is_empty() => Ok(NewIncident {
            title: form.text("title"),
            severity,
            state,
            details: c.details,
            affected,
            channels: c.channels,
            subject: c.subject,
            next_update_in: c.next_update_in,
            issue_link: Some(form.text("issue_link")),
        }),
        _ => Err(errors),
    }
}

fn update_draft(form: &FormData) -> Result<UpdateDraft, Errors> {
    let mut errors = Errors::new();
    let c = common(form, &mut errors);
    let status = match level(form, "level") {
        Ok(None) => StatusChange::Keep,
        Ok(Some(level)) => StatusChange::All(level),
        Err(()) => {
            errors.insert(
                "level",
                "Choose a status level, or keep the levels as they are.".into(),
            );
            StatusChange::Keep
        }
    };
    match c.state {
        Some(state) if errors.is_empty() => Ok(UpdateDraft {
            state,
            details: c.details,
            status,
            channels: c.channels,
            subject: c.subject,
            next_update_in: c.next_update_in,
            issue_link: None,
        }),
        _ => Err(errors),
    }
}

/// Where a refusal from the rules belongs on the form.
fn field_of(error: &StoreError) -> &'static str {
    match error {
        StoreError::Domain(DomainError::Invalid { field, .. }) => match *field {
            f if f.starts_with("affected") => "locations",
            f if f.starts_with("channels") => "channels",
            f => f,
        },
        StoreError::Domain(
            DomainError::AllOperational
            | DomainError::NoAffectedLocations
            | DomainError::UnknownLocation(_),
        ) => "locations",
        StoreError::Domain(DomainError::AlreadyResolved | DomainError::CreatedResolved) => "state",
        _ => "form",
    }
}

/// A refusal the lead can fix on the form (422, next to the field), or a failure page.
pub(super) fn refused(error: StoreError) -> Result<Errors, ApiError> {
    match &error {
        StoreError::Domain(_) => {
            let field = field_of(&error);
            let message = match &error {
                StoreError::Domain(DomainError::Invalid { message, .. }) => message.clone(),
                other => other.to_string(),
            };
            Ok(Errors::from([(field, capitalise(&message))]))
        }
        _ => Err(error.into()),
    }
}

pub async fn create(
    State(state): State<AppState>,
    Path(page): Path<String>,
    Responder(Posted { who, form }): Responder,
) -> Response {
    let again = |errors| {
        form_page(
            &state,
            &who,
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            sticky(&form),
            errors,
        )
    };
    let components = match state.store.components(&page).await {
        Ok(components) => components,
        Err(error) => return view::failure(&state, Some(&who), error.into()),
    };
    let new = match new_incident(&form, &components) {
        Ok(new) => new,
        Err(errors) => return again(errors).await,
    };
    match state
        .store
        .create_incident(&who.actor(), &page, new, state.now())
        .await
    {
        Ok(incident) => {
            // Whoever declares it leads its communications until someone else takes over.
            let lead = Roles {
                lead: Some(who.session.user.id.clone()),
                manager: None,
            };
            let named = state
                .store
                .set_roles(
                    &who.actor(),
                    &page,
                    Subject::Incident,
                    &incident.id,
                    lead,
                    state.now(),
                )
                .await;
            if let Err(error) = named {
                tracing::warn!(%error, "the new incident's lead could not be recorded");
            }
            state.nudge.notify_one();
            Redirect::to(&incident_path(&page, &incident.id)).into_response()
        }
        Err(error) => match refused(error) {
            Ok(errors) => again(errors).await,
            Err(failure) => view::failure(&state, Some(&who), failure),
        },
    }
}

pub(super) fn incident_path(page: &str, id: &str) -> String {
    format!("/console/pages/{page}/incidents/{id}")
}

pub async fn show(
    State(state): State<AppState>,
    Path((page, id)): Path<(String, String)>,
    Query(wanted): Query<UseTemplate>,
    who: SignedIn,
) -> Response {
    let values = json!({"level": "keep", "channels": compose::configured_channels()});
    let chosen = Chosen { values, wanted };
    incident_page(
        &state,
        &who,
        &page,
        &id,
        StatusCode::OK,
        chosen,
        Errors::new(),
    )
    .await
}

/// The incident page again, the update form keeping what was typed, with the chosen template
/// filled in: the picker's button without the console's script.
pub async fn show_with_template(
    State(state): State<AppState>,
    Path((page, id)): Path<(String, String)>,
    Responder(Posted { who, form }): Responder,
) -> Response {
    let chosen = Chosen {
        values: sticky(&form),
        wanted: UseTemplate::from_form(&form),
    };
    let status = StatusCode::OK;
    incident_page(&state, &who, &page, &id, status, chosen, Errors::new()).await
}

/// The update form's values, and the template asked for (if any) to fill them from.
struct Chosen {
    values: Value,
    wanted: UseTemplate,
}

impl From<Value> for Chosen {
    fn from(values: Value) -> Chosen {
        Chosen {
            values,
            wanted: UseTemplate::default(),
        }
    }
}

async fn incident_page(
    state: &AppState,
    who: &SignedIn,
    page: &str,
    id: &str,
    status: StatusCode,
    chosen: impl Into<Chosen>,
    errors: Errors,
) -> Response {
    let Chosen { mut values, wanted } = chosen.into();
    let loaded = async {
        let page = state.store.page(page).await?;
        let incident = state.store.incident(&page.id, id).await?;
        let reports = state.store.delivery_report(&page.id, id).await?;
        let cadence = state.store.cadence(&page.id, Subject::Incident, id).await?;
        let adherence = state
            .store
            .subject_adherence(&page.id, Subject::Incident, id, state.now())
            .await?
            .adherence;
        let checklist = state.store.checklist(&page.id, id).await?;
        let components = state.store.components(&page.id).await?;
        let shown = (checklist, components);
        Ok::<_, StoreError>((page, incident, reports, (cadence, adherence), shown))
    };
    let (page, incident, reports, (cadence, adherence), (checklist, components)) =
        match loaded.await {
            Ok(found) => found,
            Err(error) => return view::failure(state, Some(who), error.into()),
        };
    if values.get("state").is_none() {
        values["state"] = json!(wire_name(&incident.state));
    }
    if values.get("edit").is_none() {
        values["edit"] = edit_values(&incident, &components);
    }
    wanted.apply(&page, Some(&incident), &mut values);
    let now = state.now();
    let context = json!({
        "title": incident.title,
        "page": {"slug": page.slug, "name": page.name},
        "public_url": herald_public::paths::page_url(&page, &state.console.base_url),
        "incident": incident_view(&incident, &reports, dashboard::due_from(cadence.next_update_due, &page, &incident), &page.time_zone, now),
        "affected": affected_view(&incident, &components),
        "components": picker_components(&components),
        "cadence": cadence,
        "adherence": adherence,
        "checklist": checklist::view(&checklist, &page.time_zone, now),
        "reports": reports.into_iter().rev().map(|r| dashboard::report(r, &page.time_zone, now)).collect::<Vec<_>>(),
        "values": values,
        "errors": errors,
        "choices": choices(&page.settings.lint),
        "templates": templates::listed(&page),
    });
    view::page(state, Some(who), status, "incident.html", context)
}

fn incident_view(
    incident: &Incident,
    reports: &[DeliveryReport],
    due: Option<jiff::Timestamp>,
    zone: &str,
    now: jiff::Timestamp,
) -> Value {
    let mut row = dashboard::incident_row(incident, due, now);
    row["resolved"] = json!(!incident.is_active());
    row["postmortem_url"] = json!(incident.postmortem_url);
    row["issue_link"] = json!(incident.issue_link);
    row["updates"] = incident
        .updates
        .iter()
        .rev()
        .map(|u| {
            json!({
                "id": u.id,
                "state": u.state.label(),
                "at": words::moment(u.at, zone, now),
                "edited": u.edited_at.map(|t| words::moment(t, zone, now)),
                "html": markdown::to_html(&u.details),
                "details": u.details,
                "author": u.author,
                // Each broadcast of this update, to read who it went to.
                "broadcasts": reports
                    .iter()
                    .filter(|r| r.update_id.as_deref() == Some(u.id.as_str()))
                    .map(|r| json!({
                        "id": r.broadcast_id,
                        "event": words::event(&r.event),
                        "matched": r.channels.iter().map(|c| c.matched).sum::<u64>(),
                    }))
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    row
}

pub async fn post_update(
    State(state): State<AppState>,
    Path((page, id)): Path<(String, String)>,
    Responder(Posted { who, form }): Responder,
) -> Response {
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    let draft = match update_draft(&form) {
        Ok(draft) => draft,
        Err(errors) => {
            return incident_page(&state, &who, &page, &id, status, sticky(&form), errors).await;
        }
    };
    match state
        .store
        .post_update(&who.actor(), &page, &id, draft, state.now())
        .await
    {
        Ok(_) => {
            state.nudge.notify_one();
            Redirect::to(&incident_path(&page, &id)).into_response()
        }
        Err(error) => match refused(error) {
            Ok(errors) => {
                incident_page(&state, &who, &page, &id, status, sticky(&form), errors).await
            }
            Err(failure) => view::failure(&state, Some(&who), failure),
        },
    }
}

pub async fn postmortem(
    State(state): State<AppState>,
    Path((page, id)): Path<(String, String)>,
    Responder(Posted { who, form }): Responder,
) -> Response {
    let url = form.text("postmortem_url");
    // Sent from the Incidents tab, the form goes back to the same results.
    let listed = form.get("return_to").map(history::filters);
    match state
        .store
        .set_postmortem(&who.actor(), &page, &id, url.clone(), state.now())
        .await
    {
        Ok(_) => {
            state.nudge.notify_one();
            let back = match &listed {
                Some(filters) => {
                    let before = Some(filters.text("before")).filter(|b| !b.is_empty());
                    history::path(&page, filters, before.as_deref())
                }
                None => incident_path(&page, &id),
            };
            Redirect::to(&back).into_response()
        }
        Err(error) => match (refused(error), listed) {
            (Ok(errors), Some(filters)) => {
                let message = errors.into_values().next().unwrap_or_default();
                let refused = history::Refused {
                    incident: id.clone(),
                    url,
                    message,
                };
                history::results(&state, &who, &page, &filters, Some(refused)).await
            }
            (Ok(mut errors), None) => {
                if let Some(message) = errors
                    .remove("url")
                    .or_else(|| errors.remove("postmortem_url"))
                {
                    errors.insert("postmortem_url", message);
                }
                let values = json!({"postmortem_url": url, "level": "keep"});
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                incident_page(&state, &who, &page, &id, status, values, errors).await
            }
            (Err(failure), _) => view::failure(&state, Some(&who), failure),
        },
    }
}

/// Corrects a published update's text from the form on it in the timeline; told again to its
/// subscribers, as a correction, only when the box is ticked.
pub async fn correct(
    State(state): State<AppState>,
    Path((page, id, update)): Path<(String, String, String)>,
    Responder(Posted { who, form }): Responder,
) -> Response {
    let details = form.get("details").unwrap_or_default().to_string();
    let correction = UpdateCorrection {
        details: details.clone(),
        rebroadcast: !form.text("rebroadcast").is_empty(),
    };
    match state
        .store
        .correct_update(&who.actor(), &page, (&id, &update), correction, state.now())
        .await
    {
        Ok(_) => {
            state.nudge.notify_one();
            let path = incident_path(&page, &id);
            Redirect::to(&format!("{path}#update-{update}")).into_response()
        }
        Err(error) => {
            let values =
                json!({"level": "keep", "correct": {"update": update, "details": details}});
            refused_beside(&state, &who, (&page, &id), "correct", error, values).await
        }
    }
}

/// Changes the title, severity, affected locations (with their levels) or issue link without
/// posting an update: audited, and told to nobody.
pub async fn edit(
    State(state): State<AppState>,
    Path((page, id)): Path<(String, String)>,
    Responder(Posted { who, form }): Responder,
) -> Response {
    let edited = async {
        let severity = match form.text("severity").parse::<u8>().map(Severity::new) {
            Ok(Ok(severity)) => severity,
            _ => {
                return Err(StoreError::Domain(DomainError::invalid(
                    "severity",
                    "choose a severity from 1 (critical) to 4 (low)",
                )));
            }
        };
        let components = state.store.components(&page).await?;
        let affected = picked(&form, &components)
            .map_err(|message| StoreError::Domain(DomainError::invalid("affected", message)))?;
        let edit = IncidentEdit {
            title: Some(form.text("title")),
            severity: Some(severity),
            affected: Some(affected),
            issue_link: Some(form.text("issue_link")),
        };
        state
            .store
            .edit_incident(&who.actor(), &page, &id, edit, state.now())
            .await
    };
    match edited.await.map_err(refused) {
        Ok(_) => Redirect::to(&incident_path(&page, &id)).into_response(),
        Err(Ok(errors)) => {
            // The panel's fields carry their own names: the update form shares the page.
            let errors = errors
                .into_iter()
                .map(|(field, message)| match field {
                    "title" => ("edit_title", message),
                    "severity" => ("edit_severity", message),
                    "issue_link" => ("edit_issue_link", message),
                    other => (other, message),
                })
                .collect();
            let values = json!({"level": "keep", "edit": sticky(&form)});
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            incident_page(&state, &who, &page, &id, status, values, errors).await
        }
        Err(Err(failure)) => view::failure(&state, Some(&who), failure),
    }
}

/// The edit panel's values for the incident as it is: every affected location ticked, a
/// component wholly affected ticked whole, and a component's level when its affected
/// locations share one.
fn edit_values(incident: &Incident, components: &[Component]) -> Value {
    let level_of = |id: &str| {
        incident
            .affected
            .iter()
            .find(|a| a.location_id == id)
            .map(|a| a.level)
    };
    let mut whole = Vec::new();
    let mut levels = BTreeMap::new();
    for c in components {
        let held: Vec<_> = c.locations.iter().filter_map(|l| level_of(&l.id)).collect();
        if !held.is_empty() && held.len() == c.locations.len() {
            whole.push(c.id.as_str());
        }
        if let Some(first) = held.first()
            && held.iter().all(|l| l == first)
        {
            levels.insert(c.id.as_str(), wire_name(first));
        }
    }
    json!({
        "title": incident.title,
        "severity": incident.severity.get().to_string(),
        "issue_link": incident.issue_link.clone().unwrap_or_default(),
        "locations": incident.affected.iter().map(|a| &a.location_id).collect::<Vec<_>>(),
        "whole": whole,
        "component_levels": levels,
    })
}

/// What the incident affects, at which level, named as the page names it.
fn affected_view(incident: &Incident, components: &[Component]) -> Vec<Value> {
    incident
        .affected
        .iter()
        .map(|a| {
            let owner = component::component_of(components, &a.location_id);
            let location = owner.and_then(|c| c.locations.iter().find(|l| l.id == a.location_id));
            json!({
                "component": owner.map_or(a.location_id.as_str(), |c| c.name.as_str()),
                "location": location
                    .filter(|_| owner.is_some_and(|c| c.locations.len() > 1))
                    .map(|l| l.name.as_str()),
                "level": a.level.label(),
                "key": a.level.css_key(),
            })
        })
        .collect()
}

/// What the form would publish, as the lead types: each channel's counter, the lints, when the
/// next update would be due, and the update as the public page, email, Slack and Teams would
/// show it. JSON, for the console's script.
pub async fn preview(
    State(state): State<AppState>,
    Path(page): Path<String>,
    Responder(Posted { who, form }): Responder,
) -> Response {
    let now = state.now();
    let actor = who.actor();
    let previewed = match form.get("incident").filter(|id| !id.is_empty()) {
        Some(id) => match update_draft(&form) {
            Ok(draft) => {
                state
                    .store
                    .preview_update(&actor, &page, id, draft, now)
                    .await
            }
            Err(errors) => return Json(json!({"ok": false, "errors": errors})).into_response(),
        },
        None => {
            let components = match state.store.components(&page).await {
                Ok(components) => components,
                Err(error) => return ApiError::from(error).into_response(),
            };
            match new_incident(&form, &components) {
                Ok(new) => state.store.preview_incident(&actor, &page, new, now).await,
                Err(errors) => return Json(json!({"ok": false, "errors": errors})).into_response(),
            }
        }
    };
    let details = form.get("details").unwrap_or_default();
    let preview = match previewed {
        Ok(preview) => preview,
        Err(error) => {
            return match refused(error) {
                Ok(errors) => Json(json!({"ok": false, "errors": errors, "counters": compose::counters(&LintRules::default(), details)})).into_response(),
                Err(failure) => failure.into_response(),
            };
        }
    };
    match rendered(&state, &page, preview).await {
        Ok(body) => Json(body).into_response(),
        Err(failure) => failure.into_response(),
    }
}

/// The preview as each channel shows it, with the text as it would be published (its template
/// variables filled from the incident).
async fn rendered(state: &AppState, page: &str, preview: Preview) -> Result<Value, ApiError> {
    let details = preview
        .incident
        .updates
        .last()
        .map(|u| u.details.clone())
        .unwrap_or_default();
    let page = state.store.page(page).await?;
    let locations: Vec<_> = state
        .store
        .components(&page.id)
        .await?
        .into_iter()
        .flat_map(|c| c.locations)
        .collect();
    let rules = &page.settings.lint;
    let told = |kind| broadcast::for_incident(kind, &preview.incident, &locations, rules);
    let broadcast = preview.event.and_then(told);
    let previewed = Previewed {
        details: &details,
        rules,
        lints: preview.lints,
        next_update_due: preview.next_update_due,
    };
    compose::rendered(
        state,
        previewed,
        Item::Incident(preview.incident),
        broadcast,
    )
    .await
}

pub async fn snooze(
    State(state): State<AppState>,
    Path((page, id)): Path<(String, String)>,
    Responder(Posted { who, form }): Responder,
) -> Response {
    let minutes = form.text("minutes");
    let snoozed = match minutes.parse::<u32>() {
        Ok(minutes) => {
            state
                .store
                .snooze(
                    &who.actor(),
                    &page,
                    Subject::Incident,
                    &id,
                    minutes,
                    state.now(),
                )
                .await
        }
        Err(_) => Err(StoreError::Domain(DomainError::invalid(
            "minutes",
            "enter a whole number of minutes to put the next update off by",
        ))),
    };
    match snoozed {
        Ok(_) => Redirect::to(&incident_path(&page, &id)).into_response(),
        Err(error) => {
            let values = json!({"level": "keep", "snooze": minutes});
            refused_beside(&state, &who, (&page, &id), "minutes", error, values).await
        }
    }
}

/// The incident page again after a small form on it was refused: the reason beside `field`
/// (422), or the failure when it was not the person's mistake.
pub(super) async fn refused_beside(
    state: &AppState,
    who: &SignedIn,
    (page, id): (&str, &str),
    field: &'static str,
    error: StoreError,
    values: Value,
) -> Response {
    match refused(error) {
        Ok(mut errors) => {
            let message = errors.pop_first().map(|(_, m)| m).unwrap_or_default();
            let errors = Errors::from([(field, message)]);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            incident_page(state, who, page, id, status, values, errors).await
        }
        Err(failure) => view::failure(state, Some(who), failure),
    }
}

/// Makes the signed-in person the incident's communications lead (the manager stays).
pub async fn take_lead(
    State(state): State<AppState>,
    Path((page, id)): Path<(String, String)>,
    Responder(Posted { who, .. }): Responder,
) -> Response {
    let now = state.now();
    let taken = async {
        let current = state.store.cadence(&page, Subject::Incident, &id).await?;
        let roles = Roles {
            lead: Some(who.session.user.id.clone()),
            manager: current.manager.map(|m| m.id),
        };
        state
            .store
            .set_roles(&who.actor(), &page, Subject::Incident, &id, roles, now)
            .await
    };
    match taken.await {
        Ok(_) => Redirect::to(&incident_path(&page, &id)).into_response(),
        Err(error) => view::failure(&state, Some(&who), error.into()),
    }
}
