//! Small checks on free text fields, shared by every aggregate.
use crate::DomainError;

/// How many lines a field may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lines {
    /// Titles, names and labels: no control characters at all.
    One,
    /// Details and message bodies: line breaks and tabs, and no other control characters.
    Many,
}

/// A one-line field (a title, a name, a label) that must hold visible text of at most `max`
/// characters.
pub fn required(field: &'static str, value: &str, max: usize) -> Result<(), DomainError> {
    required_lines(field, value, max, Lines::One)
}

/// A field of several lines (details, a message body) that must hold visible text of at most
/// `max` characters.
pub fn required_text(field: &'static str, value: &str, max: usize) -> Result<(), DomainError> {
    required_lines(field, value, max, Lines::Many)
}

fn required_lines(
    field: &'static str,
    value: &str,
    max: usize,
    lines: Lines,
) -> Result<(), DomainError> {
    if value.trim().is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    if let Some(why) = unreadable(value, lines) {
        return Err(DomainError::invalid(field, why));
    }
    at_most(field, value, max)
}

/// Why `value` cannot be shown as meant, if it cannot: a control character it has no place
/// for, or nothing but characters a reader does not see (a title of a bidirectional override
/// or zero-width spaces would be an empty line on the page and in every message).
pub fn unreadable(value: &str, lines: Lines) -> Option<String> {
    // A line's surrounding white space (a trailing newline) is trimmed when it is stored.
    let (kept, allowed): (&str, &[char]) = match lines {
        Lines::One => (value.trim(), &[]),
        Lines::Many => (value, &['\n', '\r', '\t']),
    };
    let control = kept
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_control() && !allowed.contains(c));
    if let Some((at, c)) = control {
        let fix = match lines {
            Lines::One => "it must be one line of text; remove it",
            Lines::Many => "only line breaks and tabs may be; remove it",
        };
        return Some(format!(
            "holds the control character {} at character {}: {fix}",
            code_point(c),
            at + 1
        ));
    }
    if kept.chars().all(invisible) {
        let mut seen: Vec<String> = Vec::new();
        for c in kept.chars().filter(|c| !c.is_whitespace()) {
            let code = code_point(c);
            if !seen.contains(&code) {
                seen.push(code);
            }
        }
        return Some(format!(
            "holds only invisible characters ({}); write text a reader can see",
            seen.join(", ")
        ));
    }
    None
}

fn code_point(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

/// Characters that show nothing by themselves: white space, control characters, Unicode's
/// default-ignorable code points (soft hyphen, zero-width spaces and joiners, bidirectional
/// marks, embeddings, overrides and isolates, invisible operators, fillers, variation
/// selectors, the byte order mark, tags) and the blank braille pattern.
fn invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c as u32,
            0x00AD
                | 0x034F
                | 0x061C
                | 0x115F..=0x1160
                | 0x17B4..=0x17B5
                | 0x180B..=0x180F
                | 0x200B..=0x200F
                | 0x202A..=0x202E
                | 0x2060..=0x206F
                | 0x2800
                | 0x3164
                | 0xFE00..=0xFE0F
                | 0xFEFF
                | 0xFFA0
                | 0xFFF0..=0xFFFB
                | 0x1BCA0..=0x1BCA3
                | 0x1D173..=0x1D17A
                | 0xE0000..=0xE0FFF
        )
}

pub fn at_most(field: &'static str, value: &str, max: usize) -> Result<(), DomainError> {
    let len = value.chars().count();
    if len > max {
        return Err(DomainError::invalid(
            field,
            format!("is {len} characters long; the limit is {max}"),
        ));
    }
    Ok(())
}

/// The schemes a link in incident text may have, in every output (pages, feeds, emails,
/// Slack, Teams): the web and email. Any other (`javascript:`, `data:`, `file:`, …) could run
/// or smuggle something where the link is followed, so such a link is shown as text.
pub const LINK_SCHEMES: [&str; 3] = ["http", "https", "mailto"];

/// Whether a link's destination written in incident text may stay a link: it names one of
/// [`LINK_SCHEMES`], in any case (schemes are case-insensitive).
pub fn is_allowed_link(destination: &str) -> bool {
    destination.split_once(':').is_some_and(|(scheme, _)| {
        LINK_SCHEMES
            .iter()
            .any(|allowed| scheme.eq_ignore_ascii_case(allowed))
    })
}

/// Links people will follow (post-mortems, issue links) must be absolute http(s) URLs.
pub fn http_url(field: &'static str, value: &str) -> Result<(), DomainError> {
    at_most(field, value, 2000)?;
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    match rest {
        Some(rest)
            if !rest.is_empty()
                && !rest.starts_with('/')
                && !value.contains(char::is_whitespace) =>
        {
            Ok(())
        }
        _ => Err(DomainError::invalid(
            field,
            format!(
                "{value:?} is not an absolute http(s) URL such as https://example.com/issues/42"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_absolute_http() {
        assert!(http_url("u", "https://example.com/x").is_ok());
        assert!(http_url("u", "http://example.com").is_ok());
        for bad in [
            "",
            "example.com",
            "javascript:alert(1)",
            "https://",
            "https:///x",
            "https://a b",
        ] {
            assert!(http_url("u", bad).is_err(), "{bad}");
        }
    }

    fn refusal(result: Result<(), DomainError>) -> String {
        result.expect_err("refused").to_string()
    }

    #[test]
    fn text_of_only_invisible_characters_is_refused_with_the_reason() {
        for invisible in [
            "\u{202E}",
            "\u{200B}\u{200B}",
            " \u{200D} ",
            "\u{FEFF}",
            "\u{2066}\u{2069}",
            "\u{00AD}",
            "\u{3164}",
            "\u{E0041}",
            "\u{2800}",
        ] {
            for check in [required, required_text] {
                let message = refusal(check("title", invisible, 200));
                assert!(
                    message.starts_with("title: holds only invisible characters (U+")
                        && message.ends_with("write text a reader can see"),
                    "{invisible:?}: {message}"
                );
            }
        }
        assert_eq!(
            refusal(required("name", "\u{200B}\u{202E}\u{200B}", 200)),
            "name: holds only invisible characters (U+200B, U+202E); write text a reader can see"
        );
        // Visible text may carry them: bidirectional marks belong in right-to-left names.
        for fine in [
            "\u{200F}שלום",
            "a\u{200D}b",
            "\u{FEFF}Outage",
            "é",
            "👩\u{200D}💻",
        ] {
            assert!(required("name", fine, 200).is_ok(), "{fine:?}");
        }
    }

    #[test]
    fn control_characters_are_refused_saying_where() {
        assert_eq!(
            refusal(required("title", "\0", 200)),
            "title: holds the control character U+0000 at character 1: it must be one line of text; remove it"
        );
        for bad in [
            "API\nerrors",
            "API\terrors",
            "API\u{1B}[31m",
            "API\u{85}errors",
            "\0\0",
        ] {
            let message = refusal(required("title", bad, 200));
            assert!(
                message.starts_with("title: holds the control character U+"),
                "{bad:?}: {message}"
            );
        }
        assert!(refusal(required("title", "ab\u{7F}", 200)).contains("U+007F at character 3"));
        // Lines trimmed when stored may end in a line break.
        assert!(required("title", " API errors\n", 200).is_ok());
        // Several lines may hold line breaks and tabs, and no other control character.
        assert!(required_text("details", "One.\r\n\tTwo.\n", 200).is_ok());
        assert_eq!(
            refusal(required_text("details", "One.\n\u{7}", 200)),
            "details: holds the control character U+0007 at character 6: only line breaks and tabs may be; remove it"
        );
        assert!(refusal(required_text("details", "\0", 200)).contains("U+0000"));
    }

    #[test]
    fn only_web_and_mail_links_are_allowed() {
        for good in [
            "https://example.com/x",
            "HTTP://example.com",
            "mailto:ops@example.com",
        ] {
            assert!(is_allowed_link(good), "{good}");
        }
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox",
            " https://example.com",
            "java\tscript:alert(1)",
            "javascript&#58;alert(1)",
            "/relative/path",
            "",
        ] {
            assert!(!is_allowed_link(bad), "{bad}");
        }
    }

    #[test]
    fn length_is_counted_in_characters() {
        assert!(required("t", "é".repeat(10).as_str(), 10).is_ok());
        assert!(required("t", "   ", 10).is_err());
        assert!(at_most("t", &"a".repeat(11), 10).is_err());
    }
}
