//! Status.io's subscriber calls. Its methods are email, sms and webhook: Herald delivers email
//! and webhooks; its Slack and Teams subscribers are managed through the admin API only.
use axum::extract::{Path, State};
use axum::routing::{delete, get, patch, post};
use axum::{Json, Router};
use herald_core::access::Role;
use herald_store::all_subscribers;
use serde_json::json;

use super::requests::{AddSubscriber, UpdateSubscriber};
use super::{Caller, CompatJson, Reply, envelope, ok, shapes};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v2/subscriber/list/{statuspage_id}", get(list))
        .route("/v2/subscriber/add", post(add))
        .route("/v2/subscriber/update", patch(update))
        .route(
            "/v2/subscriber/remove/{statuspage_id}/{subscriber_id}",
            delete(remove),
        )
}

/// Subscribers' addresses are personal data: listing them takes the responder role, as on the
/// admin API.
async fn list(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(page): Path<String>,
) -> Reply {
    who.require(Role::Responder)?;
    let page = state.store.page(&page).await?;
    let components = state.store.components(&page.id).await?;
    // Status.io lists every subscriber at once.
    let subscribers = all_subscribers(&*state.store, &page.id, None).await?;
    ok("OK", shapes::subscriber_list(&components, &subscribers))
}

/// Answers as Status.io does: `result: true`, with the new id beside it in `subscriber_id`.
async fn add(
    State(state): State<AppState>,
    Caller(who): Caller,
    CompatJson(body): CompatJson<AddSubscriber>,
) -> Reply {
    who.require(Role::Responder)?;
    let components = state.store.components(&body.statuspage_id).await?;
    let new = body.to_new_subscriber(&components)?;
    let created = state
        .create_subscriber(&who.actor(), &body.statuspage_id, new)
        .await?;
    let mut reply = envelope("OK", json!(true));
    reply["subscriber_id"] = json!(created.subscriber.id);
    // Status.io signs nothing, but Herald does: this is the only time the secret can be shown.
    if let Some(secret) = created.secret {
        reply["secret"] = json!(secret);
    }
    Ok(Json(reply))
}

async fn update(
    State(state): State<AppState>,
    Caller(who): Caller,
    CompatJson(body): CompatJson<UpdateSubscriber>,
) -> Reply {
    who.require(Role::Responder)?;
    let components = state.store.components(&body.statuspage_id).await?;
    let patch = body.to_patch(&components)?;
    let updated = state
        .store
        .update_subscriber(
            &who.actor(),
            &body.statuspage_id,
            &body.subscriber_id,
            patch,
            state.now(),
        )
        .await?;
    ok(
        "Successfully updated subscriber",
        shapes::subscriber(&components, &updated),
    )
}

async fn remove(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path((page, id)): Path<(String, String)>,
) -> Reply {
    who.require(Role::Responder)?;
    state
        .store
        .delete_subscriber(&who.actor(), &page, &id, state.now())
        .await?;
    ok("Successfully deleted subscriber", json!(true))
}
