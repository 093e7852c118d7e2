//! What the management pages (pages, components, subscribers, users) share: a refusal placed
//! next to the field it concerns, the values a refused form shows again, and how every
//! management form ends.
use std::collections::BTreeMap;
use std::future::Future;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use herald_core::DomainError;
use herald_store::StoreError;
use serde_json::{Map, Value, json};

use super::form::FormData;
use super::session::{CSRF_FIELD, SignedIn};
use super::view::{self, capitalise};
use crate::{ApiError, AppState};

/// Field name → what is wrong with it, shown next to the field.
pub type Errors = BTreeMap<String, String>;

/// Why a form did not go through: something the person can fix on the form, or a failure.
pub enum Refusal {
    Form(Errors),
    Failed(ApiError),
}

impl Refusal {
    /// A problem with one field.
    pub fn at(field: &str, message: impl Into<String>) -> Refusal {
        Refusal::Form(Errors::from([(field.to_string(), message.into())]))
    }

    /// The store's refusal, placed on a form with these `fields`: a broken rule next to the
    /// field it names (the last part of a dotted name such as `settings.host`), and anything
    /// else the person can fix (a taken slug or address, a rule about the whole form) next to
    /// the first field. A failure of the store itself is no refusal.
    pub fn placed(error: StoreError, fields: &[&str]) -> Refusal {
        let first = fields.first().copied().unwrap_or("form");
        match error {
            StoreError::Domain(DomainError::Invalid { field, message }) => {
                let named = field.rsplit('.').next().unwrap_or(field);
                let field = fields.iter().find(|f| **f == named).unwrap_or(&first);
                Refusal::at(field, capitalise(&message))
            }
            StoreError::Domain(other) => Refusal::at(first, capitalise(&other.to_string())),
            StoreError::Conflict(message) => Refusal::at(first, capitalise(&message)),
            other => Refusal::Failed(other.into()),
        }
    }
}

impl From<Errors> for Refusal {
    fn from(errors: Errors) -> Refusal {
        Refusal::Form(errors)
    }
}

/// Fails with the errors gathered while reading a form, if there are any.
pub fn checked(errors: Errors) -> Result<(), Refusal> {
    match errors.is_empty() {
        true => Ok(()),
        false => Err(Refusal::Form(errors)),
    }
}

/// After a form that worked: the page it changed (a 303, so a reload does not send it again).
pub fn see_other(path: &str) -> Response {
    Redirect::to(path).into_response()
}

/// A store call's result as a form's outcome: on to the page `next` names, or the refusal
/// placed among `fields`.
pub fn done<T>(
    result: Result<T, StoreError>,
    fields: &[&str],
    next: impl FnOnce(T) -> String,
) -> Result<Response, Refusal> {
    result
        .map(|value| see_other(&next(value)))
        .map_err(|error| Refusal::placed(error, fields))
}

/// Ends a management form: what worked answers for itself; a refusal shows the page `again`,
/// given the form with what was wrong with it; a failure gets the failure page.
pub async fn settle<'a, F, Fut>(
    state: &AppState,
    who: &SignedIn,
    form: &'a FormData,
    outcome: Result<Response, Refusal>,
    again: F,
) -> Response
where
    F: FnOnce(Typed<'a>) -> Fut,
    Fut: Future<Output = Response>,
{
    match outcome {
        Ok(done) => done,
        Err(Refusal::Form(errors)) => again(Typed { form, errors }).await,
        Err(Refusal::Failed(error)) => view::failure(state, Some(who), error),
    }
}

/// A form sent back with what was wrong with it.
pub struct Typed<'a> {
    pub form: &'a FormData,
    pub errors: Errors,
}

/// What a management page's forms show: `stored` (an object of field → value), with what a
/// refused form sent laid over it, fields named in `lists` as every value sent (ticked
/// boxes). The status is 422 when a form was refused.
pub fn shown(stored: Value, typed: Option<Typed>, lists: &[&str]) -> (StatusCode, Value, Errors) {
    let mut values = match stored {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let Some(Typed { form, errors }) = typed else {
        return (StatusCode::OK, Value::Object(values), Errors::new());
    };
    for (name, _) in form.fields() {
        if name != CSRF_FIELD && !lists.contains(&name) {
            values.insert(name.to_string(), json!(form.get(name)));
        }
    }
    for name in lists {
        values.insert(name.to_string(), json!(form.all(name)));
    }
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Value::Object(values),
        errors,
    )
}

/// Minutes typed into `name`: a whole number, or a note against the field.
pub fn minutes(form: &FormData, name: &str, errors: &mut Errors) -> Option<u32> {
    let text = form.text(name);
    match text.parse::<u32>() {
        Ok(minutes) => Some(minutes),
        Err(_) => {
            errors.insert(
                name.to_string(),
                format!("Give a whole number of minutes, such as 15; {text:?} is not one."),
            );
            None
        }
    }
}

/// A list typed into one field, one item per line or separated by commas.
pub fn items(form: &FormData, name: &str) -> Vec<String> {
    form.text(name)
        .split([',', '\n'])
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_string)
        .collect()
}

/// An optional field: `None` when left empty.
pub fn optional(form: &FormData, name: &str) -> Option<String> {
    Some(form.text(name)).filter(|text| !text.is_empty())
}
