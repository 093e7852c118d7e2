//! The Slack and Teams messages of a preview drawn as their apps show them, and the social
//! post as it would be posted: HTML made here, from the very messages Herald would send,
//! with every piece of their text escaped.
use std::sync::LazyLock;

use herald_core::lint::{self, LintRules};
use herald_core::text::is_allowed_link;
use regex::Regex;
use serde_json::Value;

/// Text for HTML: the five characters with a meaning there.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn button(label: &str, url: &str) -> String {
    if is_allowed_link(url) {
        format!(
            "<a class=\"msg-button\" href=\"{}\">{}</a>",
            esc(url),
            esc(label)
        )
    } else {
        format!("<span class=\"msg-button\">{}</span>", esc(label))
    }
}

static SLACK_LINK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<([^|>]+)\|([^>]+)>").expect("a valid regex"));
static SLACK_BOLD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\*([^*\n]+)\*").expect("a valid regex"));

/// Slack's text with its entities decoded: what a reader of the message sees.
fn slack_plain(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Slack's mrkdwn as HTML: `<url|text>` links, `*bold*`, line breaks.
fn slack_mrkdwn(text: &str) -> String {
    let mut html = String::new();
    let mut rest = 0;
    for link in SLACK_LINK.captures_iter(text) {
        let whole = link.get(0).expect("a match");
        html.push_str(&esc(&slack_plain(&text[rest..whole.start()])));
        let url = slack_plain(&link[1]);
        let label = esc(&slack_plain(&link[2]));
        match is_allowed_link(&url) {
            true => html.push_str(&format!("<a href=\"{}\">{label}</a>", esc(&url))),
            false => html.push_str(&label),
        }
        rest = whole.end();
    }
    html.push_str(&esc(&slack_plain(&text[rest..])));
    SLACK_BOLD
        .replace_all(&html, "<strong>$1</strong>")
        .replace('\n', "<br>")
}

/// A Slack message's blocks drawn: header, sections, context lines and buttons.
pub fn slack(message: &Value) -> String {
    let text = |v: &Value| v["text"].as_str().unwrap_or_default().to_string();
    let mut html = String::from("<div class=\"msg msg-slack\">");
    for block in message["blocks"].as_array().into_iter().flatten() {
        match block["type"].as_str().unwrap_or_default() {
            "header" => html.push_str(&format!(
                "<p class=\"msg-header\">{}</p>",
                esc(&slack_plain(&text(&block["text"])))
            )),
            "section" => html.push_str(&format!("<p>{}</p>", slack_mrkdwn(&text(&block["text"])))),
            "context" => {
                let parts: Vec<String> = block["elements"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|e| slack_mrkdwn(&text(e)))
                    .collect();
                html.push_str(&format!(
                    "<p class=\"msg-context\">{}</p>",
                    parts.join(" · ")
                ));
            }
            "actions" => {
                for element in block["elements"].as_array().into_iter().flatten() {
                    let url = element["url"].as_str().unwrap_or_default();
                    html.push_str(&button(&text(&element["text"]), url));
                }
            }
            _ => {}
        }
    }
    html.push_str("</div>");
    html
}

/// A Teams message's Adaptive Card drawn: its text blocks (Markdown, as Teams reads them), its
/// facts and its buttons.
pub fn teams(message: &Value) -> String {
    let card = &message["attachments"][0]["content"];
    let mut html = String::from("<div class=\"msg msg-teams\">");
    for element in card["body"].as_array().into_iter().flatten() {
        match element["type"].as_str().unwrap_or_default() {
            "TextBlock" => {
                let text = element["text"].as_str().unwrap_or_default();
                if element["weight"] == "Bolder" {
                    html.push_str(&format!("<p class=\"msg-header\">{}</p>", esc(text)));
                } else {
                    html.push_str(&herald_public::render::markdown::to_html(text));
                }
            }
            "FactSet" => {
                html.push_str("<dl class=\"msg-facts\">");
                for fact in element["facts"].as_array().into_iter().flatten() {
                    let field = |k: &str| esc(fact[k].as_str().unwrap_or_default());
                    html.push_str(&format!(
                        "<div><dt>{}</dt><dd>{}</dd></div>",
                        field("title"),
                        field("value")
                    ));
                }
                html.push_str("</dl>");
            }
            _ => {}
        }
    }
    for action in card["actions"].as_array().into_iter().flatten() {
        let field = |k: &str| action[k].as_str().unwrap_or_default();
        html.push_str(&button(field("title"), field("url")));
    }
    html.push_str("</div>");
    html
}

/// The social post: the text as it would be posted, and its length as the page's rules count
/// it (every link as `social_url_length`) against the limit.
pub fn social(details: &str, rules: &LintRules) -> String {
    let length = lint::social_length(details, rules.social_url_length);
    let over = length > rules.social_limit as usize;
    format!(
        "<div class=\"msg msg-social\"><p>{}</p><p class=\"msg-context{}\">{length} of {} characters{}; a link counts as {}</p></div>",
        esc(details).replace('\n', "<br>"),
        if over { " over" } else { "" },
        rules.social_limit,
        if over { ", too long to post" } else { "" },
        rules.social_url_length,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn slack_is_drawn_with_its_links_and_nothing_unescaped() {
        let message = json!({"blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "API &lt;b&gt; errors"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "*Fixed* in <https://x.example/1?a=1&amp;b=2|the issue> &amp; <javascript:alert(1)|bad>\nok"}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "*State:* Monitoring"}]},
            {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "View"}, "url": "https://status.example/i/1"}]},
        ]});
        let html = slack(&message);
        assert!(
            html.contains("<p class=\"msg-header\">API &lt;b&gt; errors</p>"),
            "{html}"
        );
        assert!(html.contains("<strong>Fixed</strong> in <a href=\"https://x.example/1?a=1&amp;b=2\">the issue</a> &amp; bad<br>ok"), "{html}");
        assert!(
            html.contains("<strong>State:</strong> Monitoring"),
            "{html}"
        );
        assert!(
            html.contains("<a class=\"msg-button\" href=\"https://status.example/i/1\">View</a>")
        );
        assert!(!html.contains("javascript"), "{html}");
    }

    #[test]
    fn teams_is_drawn_with_its_facts() {
        let message = json!({"attachments": [{"content": {"body": [
            {"type": "TextBlock", "text": "<img src=x onerror=alert(1)>", "weight": "Bolder"},
            {"type": "FactSet", "facts": [{"title": "State", "value": "Monitoring"}]},
            {"type": "TextBlock", "text": "A **fix** is out."},
        ], "actions": [{"type": "Action.OpenUrl", "title": "View", "url": "https://status.example/i/1"}]}}]});
        let html = teams(&message);
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{html}"
        );
        assert!(html.contains("<dt>State</dt><dd>Monitoring</dd>"));
        assert!(html.contains("<strong>fix</strong>"), "{html}");
        assert!(html.contains("href=\"https://status.example/i/1\">View</a>"));
    }

    #[test]
    fn the_social_post_is_counted_by_the_page_rules() {
        let rules = LintRules::default();
        let html = social("Down <3 https://status.example/a-very-long-link", &rules);
        assert!(html.contains("Down &lt;3"), "{html}");
        assert!(
            html.contains("31 of 280 characters; a link counts as 23"),
            "{html}"
        );
        let long = "x".repeat(281);
        assert!(social(&long, &rules).contains("too long to post"));
    }
}
