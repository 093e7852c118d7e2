//! What the incident and maintenance forms share: the channel choices and the ticked boxes,
//! the social counters, and the preview the console's script shows as the lead types (the
//! update as the public page, email, Slack, Teams and a social network would show it).
use axum::http::StatusCode;
use herald_core::broadcast::BroadcastDraft;
use herald_core::incident::Channels;
use herald_core::lint::{self, LintRules};
use herald_notify::announcement::{Item, Recipient};
use herald_notify::{build, slack, teams};
use herald_public::render::markdown;
use jiff::Timestamp;
use serde::Serialize;
use serde_json::{Value, json};

use super::drawn;
use super::form::FormData;
use crate::{ApiError, AppState};

/// The channel boxes, in the order the reference workflow lists them.
const CHANNELS: [(&str, &str); 7] = [
    ("email", "Email"),
    ("webhook", "Webhooks"),
    ("slack", "Slack"),
    ("teams", "Microsoft Teams"),
    ("social", "Social"),
    ("irc", "IRC"),
    ("sms", "SMS"),
];

/// The channel boxes and the social limits, for the forms' templates.
pub fn channel_choices(rules: &LintRules) -> Value {
    json!({
        "channels": CHANNELS.iter().map(|(value, label)| json!({
            "value": value, "label": label, "configured": herald_notify::DELIVERS.contains(value),
        })).collect::<Vec<_>>(),
        "social_limit": rules.social_limit,
        "social_link_budget": rules.social_link_budget,
    })
}

/// The channels ticked on a fresh form: those this installation delivers on.
pub fn configured_channels() -> Vec<&'static str> {
    CHANNELS
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| herald_notify::DELIVERS.contains(c))
        .collect()
}

/// The channels a form ticked.
pub fn ticked(form: &FormData) -> Channels {
    let ticked = form.all("channels");
    let on = |c: &str| ticked.iter().any(|t| t == c);
    Channels {
        email: on("email"),
        webhook: on("webhook"),
        slack: on("slack"),
        teams: on("teams"),
        social: on("social"),
        irc: on("irc"),
        sms: on("sms"),
    }
}

/// The social channel's count (links count as the page's URL length) against its limit, and
/// the characters before the final link against the link budget.
pub fn counters(rules: &LintRules, details: &str) -> Value {
    let length = lint::social_length(details, rules.social_url_length);
    let before_link = lint::before_final_link(details, rules.social_url_length);
    json!({
        "social": {"length": length, "limit": rules.social_limit},
        "before_link": {"length": before_link, "limit": rules.social_link_budget},
    })
}

/// A draft as previewed: its text, the page's rules, what the rules say of it and when the
/// next update would be due.
pub struct Previewed<'a, L: Serialize> {
    pub details: &'a str,
    pub rules: &'a LintRules,
    pub lints: L,
    pub next_update_due: Option<Timestamp>,
}

/// The preview as each channel shows it: `item` as it would be published, and the broadcast
/// it would make (none when it is not broadcast).
pub async fn rendered<L: Serialize>(
    state: &AppState,
    previewed: Previewed<'_, L>,
    item: Item,
    broadcast: Option<BroadcastDraft>,
) -> Result<Value, ApiError> {
    let Previewed {
        details,
        rules,
        lints,
        next_update_due,
    } = previewed;
    let channels = match broadcast {
        Some(draft) => {
            let console = &state.console;
            let a = build::preview(
                state.store.as_ref(),
                &draft,
                item,
                &console.base_url,
                state.now(),
            )
            .await?;
            let recipient = Recipient {
                subscriber_id: "preview".into(),
                manage_url: "(each subscriber's own manage link)".into(),
                unsubscribe_url: "(each subscriber's own unsubscribe link)".into(),
            };
            let email = console.emails.update(&a, &recipient).map_err(|e| {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
            })?;
            json!({
                "email": {"subject": email.subject, "text": email.text, "html": email.html},
                "slack": drawn::slack(&slack::message(&a)),
                "teams": drawn::teams(&teams::message(&a)),
                "skipped": draft.skipped,
            })
        }
        None => Value::Null,
    };
    Ok(json!({
        "ok": true,
        "counters": counters(rules, details),
        "lints": lints,
        "next_update_due": next_update_due.map(|t| t.to_string()),
        "public_html": markdown::to_html(details),
        "social_html": drawn::social(details, rules),
        "channels": channels,
    }))
}
