//! Small checks on free text fields, shared by every aggregate.
use crate::DomainError;

/// A field that must hold some non-blank text of at most `max` characters.
pub fn required(field: &'static str, value: &str, max: usize) -> Result<(), DomainError> {
    if value.trim().is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    at_most(field, value, max)
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
