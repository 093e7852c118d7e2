//! Incident text is Markdown; what reaches a visitor is sanitised HTML.
use std::sync::LazyLock;

use herald_core::text::LINK_SCHEMES;
use pulldown_cmark::{Event, Options, Parser, TagEnd, html};

/// Markdown to HTML that is safe to embed. HTML written into the source is shown as the text
/// it is, never interpreted; the sanitiser then keeps only safe link schemes and adds `rel`.
pub fn to_html(markdown: &str) -> String {
    let options = Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES;
    let parser = Parser::new_ext(markdown, options).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    });
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, parser);
    SANITISER.clean(&raw).to_string()
}

/// Built once: a sanitiser's allow-lists cost more to build than most texts do to clean.
static SANITISER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .link_rel(Some("noopener noreferrer nofollow"))
        .url_schemes(LINK_SCHEMES.into())
        // An image from elsewhere would be a third-party request on every visit.
        .rm_tags(["img"]);
    builder
});

/// Markdown reduced to its words, for plain-text outputs (the calendar, titles).
pub fn to_text(markdown: &str) -> String {
    let mut text = String::with_capacity(markdown.len());
    for event in Parser::new(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                text.push_str(&t)
            }
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::Heading(_)) => text.push('\n'),
            _ => {}
        }
    }
    text.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_handlers_never_survive() {
        let html = to_html(
            "**Down** <script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3))",
        );
        assert!(html.contains("<strong>Down</strong>"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "shown as text: {html}"
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        let image = to_html("![logo](https://tracker.example/pixel.png)");
        assert!(!image.contains("<img"), "{image}");
        assert!(!html.contains("javascript:"), "{html}");
    }

    #[test]
    fn links_are_kept_with_a_safe_rel() {
        let html = to_html("See [the issue](https://example.com/issues/1).");
        assert!(
            html.contains("href=\"https://example.com/issues/1\""),
            "{html}"
        );
        assert!(html.contains("noopener"), "{html}");
    }

    #[test]
    fn text_keeps_the_words() {
        assert_eq!(
            to_text("We are **investigating**.\n\n- one\n- two"),
            "We are investigating.\none\ntwo"
        );
    }
}
