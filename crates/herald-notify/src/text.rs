//! Text for the channels: cut to a length limit, and Markdown a channel renders itself made
//! safe to render.
use herald_core::text::is_allowed_link;

/// The longest prefix of `text` that is at most `max` long, each character counted by `width`
/// (`char::len_utf8` for a limit in bytes, `char::len_utf16` for one in UTF-16 units).
pub(crate) fn prefix(text: &str, max: usize, width: fn(char) -> usize) -> &str {
    let mut used = 0;
    let end = text
        .char_indices()
        .find(|&(_, c)| {
            used += width(c);
            used > max
        })
        .map_or(text.len(), |(at, _)| at);
    &text[..end]
}

/// `text`, or as much of it as fits in `max` with an ellipsis to say it was cut.
pub(crate) fn truncate(text: &str, max: usize, width: fn(char) -> usize) -> String {
    if prefix(text, max, width).len() == text.len() {
        return text.to_string();
    }
    format!("{}…", prefix(text, max - width('…'), width))
}

/// `markdown` with every inline link `[text](destination)` whose destination is not allowed
/// written as its text, for a channel that renders Markdown links itself (Teams, whose
/// Markdown has no other kind of link). Brackets and parentheses are matched as they nest, and
/// links are looked for even where CommonMark sees none (in code, after a backslash), since
/// the channel's renderer may read those differently.
pub(crate) fn without_disallowed_links(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut rest = markdown;
    while let Some(at) = rest.find("](") {
        let after = &rest[at + 2..];
        let Some(close) = unbalanced(after.char_indices(), '(', ')') else {
            break;
        };
        out.push_str(&rest[..at]);
        let destination = after[..close].split_whitespace().next().unwrap_or_default();
        match unbalanced(out.char_indices().rev(), ']', '[') {
            Some(open) if !is_allowed_link(destination.trim_start_matches('<')) => {
                out.remove(open);
            }
            _ => out.push_str(&rest[at..at + 2 + close + 1]),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Where the first `target` of `chars` that no `nested` before it balances is: read forwards
/// with `(` and `)`, the `)` that closes an open parenthesis; read backwards with `]` and `[`,
/// the `[` that opens a bracket about to be closed.
fn unbalanced(
    chars: impl Iterator<Item = (usize, char)>,
    nested: char,
    target: char,
) -> Option<usize> {
    let mut depth = 0usize;
    for (at, c) in chars {
        if c == nested {
            depth += 1;
        } else if c == target {
            if depth == 0 {
                return Some(at);
            }
            depth -= 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_at_a_character_boundary_within_the_limit() {
        assert_eq!(truncate("short", 5, char::len_utf8), "short");
        assert_eq!(truncate("abcdef", 5, char::len_utf16), "abcd…");
        // "é" is two bytes: "é" + "é" + "…" would be seven.
        assert_eq!(truncate("ééééé", 6, char::len_utf8), "é…");
        assert_eq!(prefix("a😀b", 2, char::len_utf16), "a");
    }

    #[test]
    fn disallowed_links_become_their_text_and_allowed_ones_stay() {
        for (markdown, expected) in [
            (
                "See [the issue](https://example.com/i/1?a=(1)) or [mail](mailto:ops@example.com).",
                "See [the issue](https://example.com/i/1?a=(1)) or [mail](mailto:ops@example.com).",
            ),
            ("[x](javascript:alert(1)) after", "x after"),
            (
                "[**x**](data:text/html,<b>) and [y](JavaScript:alert(1) \"t\")",
                "**x** and y",
            ),
            (
                "[a](<javascript:alert(1)>) [b](\njavascript:alert(1))",
                "a b",
            ),
            // Nested brackets, a link inside a link's text, a kept link inside a dropped one.
            ("[[y]](javascript:1)", "[y]"),
            ("[[a](javascript:1)](javascript:2)", "a"),
            (
                "[see [ok](https://ok.example)](javascript:1)",
                "see [ok](https://ok.example)",
            ),
            ("`[x](javascript:1)` \\[y](vbscript:1)", "`x` \\y"),
            (
                "[x](relative/path) [y]() z](javascript:1) [w](javascript:",
                "x y z](javascript:1) [w](javascript:",
            ),
            (
                "no links [here] (or) ]( here",
                "no links [here] (or) ]( here",
            ),
        ] {
            assert_eq!(without_disallowed_links(markdown), expected, "{markdown}");
        }
    }
}
