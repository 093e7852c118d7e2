//! A page's subscribers in the console: the list with each one's channel, address, state and
//! components; adding one, removing one, resuming one that was disabled, and a webhook's new
//! signing secret. Subscribers' addresses are personal data, so as in the admin API this takes
//! the responder role. A signing secret is shown once, on the page that answers the form that
//! made it, and never again.
use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use herald_core::subscriber::{Channel, NewSubscriber, SubscriberState, WebhookFormat};
use herald_store::{CreatedSubscriber, all_subscribers};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::form::FormData;
use super::manage::{Errors, Refusal, Typed, checked, done, see_other, settle, shown};
use super::session::{Posted, Responder, ResponderView, SignedIn};
use super::view::{self, wire_name};
use crate::AppState;

const NEW_FIELDS: [&str; 4] = ["address", "channel", "format", "components"];

fn list_path(page: &str) -> String {
    format!("/console/pages/{page}/subscribers")
}

pub async fn list(
    State(state): State<AppState>,
    Path(page): Path<String>,
    ResponderView(who): ResponderView,
) -> Response {
    listing(&state, &who, &page, None, None).await
}

/// The list and the form to add one; `created` is a subscriber just added or given a new
/// secret, whose signing secret is shown this once, with any warning about its address.
async fn listing(
    state: &AppState,
    who: &SignedIn,
    page: &str,
    typed: Option<Typed<'_>>,
    created: Option<&CreatedSubscriber>,
) -> Response {
    let gathered = async {
        let found = state.store.page(page).await?;
        let components = state.store.components(&found.id).await?;
        let subscribers = all_subscribers(state.store.as_ref(), &found.id, None).await?;
        Ok::<_, herald_store::StoreError>((found, components, subscribers))
    };
    let (found, components, subscribers) = match gathered.await {
        Ok(gathered) => gathered,
        Err(error) => return view::failure(state, Some(who), error.into()),
    };
    let names: HashMap<&str, &str> = components
        .iter()
        .map(|c| (c.id.as_str(), c.name.as_str()))
        .collect();
    let rows: Vec<Value> = subscribers
        .iter()
        .map(|s| {
            json!({
                "id": s.id,
                "channel": s.channel.name(),
                "address": s.address,
                "state": wire_name(&s.state),
                "disabled": s.state == SubscriberState::Disabled,
                "disabled_reason": s.disabled_reason,
                "webhook": s.channel == Channel::Webhook,
                "components": s.components.iter().map(|id| names.get(id.as_str()).copied().unwrap_or(id)).collect::<Vec<_>>(),
                "created_at": s.created_at.to_string(),
            })
        })
        .collect();
    let (mut status, values, errors) = shown(json!({"channel": "email"}), typed, &["components"]);
    if created.is_some() && errors.is_empty() {
        status = StatusCode::CREATED;
    }
    let context = json!({
        "title": format!("Subscribers of {}", found.name),
        "page": {"slug": found.slug, "name": found.name},
        "subscribers": rows,
        "components": components.iter().map(|c| json!({"id": c.id, "name": c.name})).collect::<Vec<_>>(),
        "channels": Channel::ALL.iter().map(|c| json!({"value": c.name(), "label": c.name()})).collect::<Vec<_>>(),
        "formats": [{"value": "herald", "label": "Herald"}, {"value": "statuspage", "label": "Statuspage"}],
        "values": values,
        "errors": errors,
        "secret": created.filter(|c| c.secret.is_some()).map(|c| json!({"address": c.subscriber.address, "secret": c.secret})),
        "warnings": created.map(|c| c.warnings.clone()).unwrap_or_default(),
    });
    view::page(state, Some(who), status, "subscribers.html", context)
}

/// A choice from a list, by its wire name; a note against the field when it is none of them.
fn choice<T: DeserializeOwned>(value: &str, field: &str, errors: &mut Errors) -> Option<T> {
    let parsed = serde_json::from_value(json!(value)).ok();
    if parsed.is_none() {
        errors.insert(field.to_string(), "Choose one from the list.".into());
    }
    parsed
}

pub async fn create(
    State(state): State<AppState>,
    Path(page): Path<String>,
    Responder(Posted { who, form }): Responder,
) -> Response {
    let outcome = async {
        let mut errors = Errors::new();
        let channel = choice::<Channel>(&form.text("channel"), "channel", &mut errors);
        let format = match form.text("format").as_str() {
            "" => Some(WebhookFormat::default()),
            chosen => choice(chosen, "format", &mut errors),
        };
        checked(errors)?;
        let (Some(channel), Some(format)) = (channel, format) else {
            return Err(Refusal::at("channel", "Choose one from the list."));
        };
        let new = NewSubscriber {
            channel,
            address: form.text("address"),
            // Only a webhook chooses its payload.
            format: if channel == Channel::Webhook {
                format
            } else {
                WebhookFormat::default()
            },
            components: form.all("components"),
            confirmed: form.get("confirmed").is_some(),
        };
        state
            .create_subscriber(&who.actor(), &page, new)
            .await
            .map_err(|error| Refusal::placed(error, &NEW_FIELDS))
    }
    .await;
    secret_or_list(&state, &who, &page, &form, outcome).await
}

/// A webhook's new secret is shown on the page that answers; anything else goes back to the
/// list, or to the list with what was typed and why.
async fn secret_or_list(
    state: &AppState,
    who: &SignedIn,
    page: &str,
    form: &FormData,
    outcome: Result<CreatedSubscriber, Refusal>,
) -> Response {
    if let Ok(created) = &outcome
        && (created.secret.is_some() || !created.warnings.is_empty())
    {
        return listing(state, who, page, None, Some(created)).await;
    }
    let outcome = outcome.map(|_| see_other(&list_path(page)));
    settle(state, who, form, outcome, |typed| {
        listing(state, who, page, Some(typed), None)
    })
    .await
}

pub async fn rotate_secret(
    State(state): State<AppState>,
    Path((page, id)): Path<(String, String)>,
    Responder(Posted { who, form }): Responder,
) -> Response {
    let field = row_field(&id);
    let outcome = state
        .store
        .rotate_subscriber_secret(&who.actor(), &page, &id, state.now())
        .await
        .map_err(|error| Refusal::placed(error, &[&field]));
    secret_or_list(&state, &who, &page, &form, outcome).await
}

/// Where a refusal about one row of the list is shown.
fn row_field(id: &str) -> String {
    format!("row.{id}")
}

pub async fn delete(
    state: State<AppState>,
    path: Path<(String, String)>,
    posted: Responder,
) -> Response {
    row_action(state, path, posted, RowAction::Delete).await
}

pub async fn enable(
    state: State<AppState>,
    path: Path<(String, String)>,
    posted: Responder,
) -> Response {
    row_action(state, path, posted, RowAction::Enable).await
}

/// The buttons on a row of the list that need nothing more than the subscriber.
enum RowAction {
    Delete,
    Enable,
}

/// Carries out a row's button: back to the list, or the list with the refusal on that row.
async fn row_action(
    State(state): State<AppState>,
    Path((page, id)): Path<(String, String)>,
    Responder(Posted { who, form }): Responder,
    action: RowAction,
) -> Response {
    let (store, actor, now) = (&state.store, who.actor(), state.now());
    let result = match action {
        RowAction::Delete => store.delete_subscriber(&actor, &page, &id, now).await,
        RowAction::Enable => store
            .enable_subscriber(&actor, &page, &id, now)
            .await
            .map(|_| ()),
    };
    let outcome = done(result, &[&row_field(&id)], |()| list_path(&page));
    settle(&state, &who, &form, outcome, |typed| {
        listing(&state, &who, &page, Some(typed), None)
    })
    .await
}
