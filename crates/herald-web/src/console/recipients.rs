//! Who a broadcast went to: every recipient with its outcome, failures first, a page at a
//! time, reached from each update in an incident's timeline.
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use herald_core::access::Role;
use herald_core::broadcast::Subject;
use herald_store::{Recipient, RecipientOutcome, RecipientQuery, StoreError};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use super::incidents::incident_path;
use super::session::SignedIn;
use super::{view, words};
use crate::AppState;

/// Recipients listed per page.
const PER_PAGE: u32 = 100;

#[derive(Deserialize)]
pub struct Wanted {
    /// The `next` cursor of the page before.
    after: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    Path((page, broadcast)): Path<(String, String)>,
    Query(wanted): Query<Wanted>,
    who: SignedIn,
) -> Response {
    // The list shows subscribers' addresses: responders and admins only.
    if let Err(refused) = who.require(&state, Role::Responder) {
        return *refused;
    }
    let loaded = async {
        let page = state.store.page(&page).await?;
        let query = RecipientQuery {
            channel: None,
            after: wanted.after.clone(),
            limit: PER_PAGE,
        };
        let list = state.store.recipients(&page.id, &broadcast, query).await?;
        Ok::<_, StoreError>((page, list))
    };
    let (page, list) = match loaded.await {
        Ok(found) => found,
        Err(error) => return view::failure(&state, Some(&who), error.into()),
    };
    let now = state.now();
    let back = match list.subject {
        Subject::Incident => Some(incident_path(&page.slug, &list.subject_id)),
        Subject::Maintenance => None,
    };
    let path = format!(
        "/console/pages/{}/broadcasts/{}/recipients",
        page.slug, list.broadcast_id
    );
    let context = json!({
        "title": "Recipients",
        "page": {"slug": page.slug, "name": page.name},
        "event": words::event(&list.event),
        "back": back,
        "first_page": wanted.after.is_some().then(|| path.clone()),
        "next": list.next.map(|cursor| format!("{path}?after={cursor}")),
        "recipients": list.recipients.iter().map(|r| row(r, &page.time_zone, now)).collect::<Vec<_>>(),
    });
    view::page(
        &state,
        Some(&who),
        StatusCode::OK,
        "recipients.html",
        context,
    )
}

/// One recipient as the list shows it: its outcome in words, with the retry state and the
/// subscriber's own state beside it.
fn row(r: &Recipient, zone: &str, now: Timestamp) -> Value {
    let outcome = match r.outcome {
        RecipientOutcome::Failed => "Failed".to_string(),
        RecipientOutcome::Retrying => format!(
            "Retrying ({} attempt{} so far)",
            r.attempts,
            if r.attempts == 1 { "" } else { "s" }
        ),
        RecipientOutcome::Queued => "Queued".to_string(),
        RecipientOutcome::Delivered => "Delivered".to_string(),
    };
    json!({
        "channel": r.channel.map(|c| c.name()),
        "address": r.address,
        "outcome": outcome,
        "failed": r.outcome == RecipientOutcome::Failed,
        "error": r.error,
        "at": words::moment(r.at, zone, now),
        "next_attempt": r.next_attempt_at.map(|t| words::moment(t, zone, now)),
        "disabled": r.subscriber_state == Some(herald_core::subscriber::SubscriberState::Disabled),
        "disabled_reason": r.disabled_reason,
        "removed": r.address.is_none(),
    })
}
