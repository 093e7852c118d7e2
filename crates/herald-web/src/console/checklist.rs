//! The incident's stage checklist on its console page: the items grouped by stage, and ticking
//! one (a form per item, so it works without script and each tick is one audited change).
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use herald_core::checklist;
use herald_store::{ChecklistEntry, Tick};
use jiff::Timestamp;
use serde_json::{Value, json};

use super::incidents::{incident_path, refused_beside};
use super::session::{Posted, Responder};
use super::words;
use crate::AppState;

/// The stages in order, each with its items as the page shows them; tick times in `zone`.
pub fn view(entries: &[ChecklistEntry], zone: &str, now: Timestamp) -> Value {
    let stages = checklist::stages(entries, |e| &e.stage);
    json!(
        stages
            .into_iter()
            .map(|(name, items)| {
                let done = items.iter().filter(|e| e.ticked).count();
                let items: Vec<Value> = items.into_iter().map(|e| item(e, zone, now)).collect();
                json!({"name": name, "items": items, "done": done})
            })
            .collect::<Vec<_>>()
    )
}

fn item(entry: &ChecklistEntry, zone: &str, now: Timestamp) -> Value {
    json!({
        "label": entry.label,
        "ticked": entry.ticked,
        "by": entry.ticked_by.as_deref().map(who_ticked),
        "at": entry.ticked_at.map(|t| words::moment(t, zone, now)),
        "seen_done": entry.ticked && entry.ticked_at.is_none(),
        "done_when": entry.done_when.map(|d| d.label()),
    })
}

/// A person's audit name (`user:ID (email)`) as the page shows it: the address.
fn who_ticked(actor: &str) -> &str {
    actor
        .split_once(" (")
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or(actor)
}

/// Ticks (`ticked=true`) or unticks the item named `item`.
pub async fn tick(
    State(state): State<AppState>,
    Path((page, id)): Path<(String, String)>,
    Responder(Posted { who, form }): Responder,
) -> Response {
    let tick = Tick {
        item: form.text("item"),
        ticked: form.text("ticked") == "true",
    };
    match state
        .store
        .tick(&who.actor(), &page, &id, tick, state.now())
        .await
    {
        Ok(_) => Redirect::to(&format!("{}#checklist", incident_path(&page, &id))).into_response(),
        Err(error) => {
            let values = json!({"level": "keep"});
            refused_beside(&state, &who, (&page, &id), "checklist", error, values).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_is_shown_by_address() {
        assert_eq!(
            who_ticked("user:abc (lead@example.com)"),
            "lead@example.com"
        );
        assert_eq!(who_ticked("token:abc"), "token:abc");
    }
}
