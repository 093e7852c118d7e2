//! Slack incoming webhook messages: a plain fallback `text` for notifications and Block Kit
//! `blocks` for the message itself.
//!
//! Slack reads `<…>` as links and mentions (`<!channel>` pings everyone) and `&…;` as entities,
//! so every text Herald did not write is escaped first; only then are Markdown links and bold
//! turned into Slack's own markup. Limits are Block Kit's: a header's text at most 150
//! characters, a section's or a context element's 3000. They are counted in UTF-16 units,
//! which is never fewer than the characters Slack counts.
use std::sync::LazyLock;

use regex::{Captures, Regex};
use serde_json::{Value, json};

use herald_core::nudge::NudgeText;
use herald_core::text::is_allowed_link;

use crate::announcement::Announcement;
use crate::text;

const HEADER_MAX: usize = 150;
const TEXT_MAX: usize = 3000;

pub fn message(a: &Announcement) -> Value {
    let facts: Vec<Value> = a
        .facts()
        .into_iter()
        .map(|(label, value)| mrkdwn(&format!("*{label}:* {}", escape(&value))))
        .collect();
    json!({
        "text": cut(&escape(&format!("[{}] {}", a.page.name, a.headline())), TEXT_MAX),
        "blocks": [
            {
                "type": "header",
                "text": {"type": "plain_text", "text": cut(&escape(&a.headline()), HEADER_MAX)},
            },
            {"type": "section", "text": mrkdwn(&to_mrkdwn(&a.details()))},
            {"type": "context", "elements": facts},
            {
                "type": "actions",
                "elements": [{
                    "type": "button",
                    "text": {"type": "plain_text", "text": "View on the status page"},
                    "url": a.item_url(),
                }],
            },
        ],
    })
}

/// A nudge to a person running an incident: plain text made safe, and a button to the console.
pub fn nudge(t: &NudgeText) -> Value {
    json!({
        "text": cut(&escape(&t.headline), TEXT_MAX),
        "blocks": [
            {
                "type": "header",
                "text": {"type": "plain_text", "text": cut(&escape(&t.headline), HEADER_MAX)},
            },
            {"type": "section", "text": mrkdwn(&escape(&t.body))},
            {
                "type": "actions",
                "elements": [{
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Post an update or snooze"},
                    "url": t.url,
                }],
            },
        ],
    })
}

fn mrkdwn(text: &str) -> Value {
    json!({"type": "mrkdwn", "text": cut(text, TEXT_MAX)})
}

/// Slack's escaping: the three characters it reads as markup.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

static LINK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[([^\]\n]+)\]\(([^\s)|]+)\)").expect("a valid regex"));
static BOLD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\*\*([^*\n]+)\*\*").expect("a valid regex"));

/// Markdown as Slack's mrkdwn, conservatively: escaped, then `[text](url)` → `<url|text>` for
/// allowed links only, `**bold**` → `*bold*`. Everything else stays as written, which Slack
/// shows as text.
fn to_mrkdwn(markdown: &str) -> String {
    let escaped = escape(markdown);
    let linked = LINK.replace_all(&escaped, |link: &Captures| {
        if is_allowed_link(&link[2]) {
            format!("<{}|{}>", &link[2], &link[1])
        } else {
            link[0].to_string()
        }
    });
    BOLD.replace_all(&linked, "*$1*").into_owned()
}

/// `text` cut to `max` with an ellipsis, never inside an entity or a link, which would leave
/// broken markup.
fn cut(text: &str, max: usize) -> String {
    if text::prefix(text, max, char::len_utf16).len() == text.len() {
        return text.to_string();
    }
    let kept = text::prefix(text, max - 1, char::len_utf16);
    format!("{}…", without_open(without_open(kept, '<', '>'), '&', ';'))
}

/// `text` without a trailing `open` that no `close` follows.
fn without_open(text: &str, open: char, close: char) -> &str {
    match (text.rfind(open), text.rfind(close)) {
        (Some(start), end) if end.is_none_or(|end| end < start) => &text[..start],
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    fn header(message: &Value) -> &str {
        message["blocks"][0]["text"]["text"].as_str().unwrap()
    }

    fn section(message: &Value) -> &str {
        message["blocks"][1]["text"]["text"].as_str().unwrap()
    }

    #[test]
    fn a_message_has_a_header_the_text_the_facts_and_a_link() {
        let message = message(&fixtures::incident());
        assert_eq!(message["text"], "[Example] Identified: API errors");
        assert_eq!(header(&message), "Identified: API errors");
        assert_eq!(
            section(&message),
            "A *bad deploy* causes errors. \
             See <https://example.com/issues/1?a=1&amp;b=2|the issue>."
        );
        let facts = &message["blocks"][2];
        assert_eq!(facts["type"], "context");
        assert_eq!(facts["elements"][0]["text"], "*State:* Identified");
        assert_eq!(facts["elements"][1]["text"], "*Components:* API, Website");
        let button = &message["blocks"][3]["elements"][0];
        assert_eq!(button["url"], "https://status.example.com/incidents/i1/");
    }

    #[test]
    fn markup_in_a_title_or_text_is_shown_not_obeyed() {
        let message = message(&fixtures::incident_saying(
            "<!channel> <script>alert(1)</script>",
            "Hi <!here> & <@U123> [x](javascript:alert(1))",
        ));
        let title = "&lt;!channel&gt; &lt;script&gt;alert(1)&lt;/script&gt;";
        assert!(header(&message).ends_with(title), "{message}");
        assert!(message["text"].as_str().unwrap().ends_with(title));
        assert_eq!(
            section(&message),
            "Hi &lt;!here&gt; &amp; &lt;@U123&gt; [x](javascript:alert(1))"
        );
    }

    #[test]
    fn a_nudge_shows_markup_in_a_title_as_text() {
        let t = NudgeText {
            headline: "Update due now: <!channel> & co".into(),
            body: "The update on \"<!channel> & co\" is due.".into(),
            url: "https://h.example/console/pages/acme/incidents/i1".into(),
        };
        let message = nudge(&t);
        assert_eq!(message["text"], "Update due now: &lt;!channel&gt; &amp; co");
        assert_eq!(
            header(&message),
            "Update due now: &lt;!channel&gt; &amp; co"
        );
        assert_eq!(
            section(&message),
            "The update on \"&lt;!channel&gt; &amp; co\" is due."
        );
        assert_eq!(message["blocks"][2]["elements"][0]["url"], t.url);
    }

    #[test]
    fn long_texts_are_cut_to_slacks_limits() {
        let long = format!("{} & more", "é".repeat(200));
        let message = message(&fixtures::incident_saying(&long, &"word ".repeat(1000)));
        assert_eq!(header(&message).chars().count(), HEADER_MAX);
        assert!(header(&message).ends_with('…'));
        assert!(section(&message).encode_utf16().count() <= TEXT_MAX);
        assert!(section(&message).ends_with('…'));
    }

    #[test]
    fn a_cut_never_splits_an_entity_or_a_link() {
        assert_eq!(cut("ab &amp; cd", 6), "ab …");
        assert_eq!(cut("ab <https://x|y> cd", 8), "ab …");
        assert_eq!(
            cut("ab &amp; <https://x|y> cd", 23),
            "ab &amp; <https://x|y>…"
        );
    }
}
