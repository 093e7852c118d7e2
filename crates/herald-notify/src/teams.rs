//! Microsoft Teams messages, for a Workflows ("When a Teams webhook request is received")
//! webhook: one Adaptive Card. Teams shows no HTML, and its TextBlocks and facts render the
//! Markdown subset incident text is written in, so the text goes as written, except links
//! other outputs would not keep: those become their text.
use serde_json::{Value, json};

use herald_core::nudge::NudgeText;

use crate::announcement::Announcement;
use crate::text;

/// Teams refuses a message over about 28 KB; the rest of the card is small.
const TEXT_MAX_BYTES: usize = 16 * 1024;

pub fn message(a: &Announcement) -> Value {
    let facts: Vec<Value> = a
        .facts()
        .into_iter()
        .map(|(title, value)| json!({"title": title, "value": markdown(&value)}))
        .collect();
    let card = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {
                "type": "TextBlock",
                "text": markdown(&a.headline()),
                "size": "Large",
                "weight": "Bolder",
                "wrap": true,
            },
            {"type": "FactSet", "facts": facts},
            {
                "type": "TextBlock",
                "text": text::truncate(&markdown(&a.details()), TEXT_MAX_BYTES, char::len_utf8),
                "wrap": true,
            },
        ],
        "actions": [{
            "type": "Action.OpenUrl",
            "title": "View on the status page",
            "url": a.item_url(),
        }],
    });
    self::card(card)
}

/// A nudge to a person running an incident: one Adaptive Card with a button to the console.
pub fn nudge(t: &NudgeText) -> Value {
    card(json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": markdown(&t.headline), "size": "Large", "weight": "Bolder", "wrap": true},
            {"type": "TextBlock", "text": text::truncate(&markdown(&t.body), TEXT_MAX_BYTES, char::len_utf8), "wrap": true},
        ],
        "actions": [{"type": "Action.OpenUrl", "title": "Post an update or snooze", "url": t.url}],
    }))
}

/// Text for a TextBlock or a fact, which Teams renders as Markdown.
fn markdown(text: &str) -> String {
    text::without_disallowed_links(text)
}

/// The message that carries an Adaptive Card.
fn card(content: Value) -> Value {
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": content,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    fn card(message: &Value) -> &Value {
        &message["attachments"][0]["content"]
    }

    #[test]
    fn a_message_is_one_adaptive_card() {
        let message = message(&fixtures::incident());
        assert_eq!(message["type"], "message");
        let attachment = &message["attachments"][0];
        assert_eq!(
            attachment["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        let card = card(&message);
        assert_eq!(card["type"], "AdaptiveCard");
        assert_eq!(card["body"][0]["text"], "Identified: API errors");
        assert_eq!(
            card["body"][1]["facts"][1],
            json!({"title": "Components", "value": "API, Website"})
        );
        assert_eq!(card["body"][2]["text"], fixtures::DETAILS);
        assert_eq!(
            card["actions"][0]["url"],
            "https://status.example.com/incidents/i1/"
        );
    }

    #[test]
    fn only_web_and_mail_links_stay_links() {
        let details = "[Status](https://example.com/s) [run](javascript:alert(1)) \
                       [see](data:text/html;base64,PHNjcmlwdD4=) [ask](mailto:ops@example.com)";
        let message = message(&fixtures::incident_saying(
            "[x](javascript:alert(2))",
            details,
        ));
        let card = card(&message);
        assert_eq!(card["body"][0]["text"], "Identified: x");
        assert_eq!(
            card["body"][2]["text"],
            "[Status](https://example.com/s) run see [ask](mailto:ops@example.com)"
        );
        let text = message.to_string();
        assert!(
            !text.contains("javascript:") && !text.contains("data:"),
            "{text}"
        );
    }

    #[test]
    fn a_long_text_is_cut_to_fit_teams_limit() {
        let message = message(&fixtures::incident_saying("Down", &"é".repeat(20_000)));
        let text = card(&message)["body"][2]["text"].as_str().unwrap();
        assert!(text.len() <= TEXT_MAX_BYTES);
        assert!(text.ends_with('…'));
        assert!(message.to_string().len() < 28 * 1024);
    }
}
