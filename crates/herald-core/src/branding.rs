//! How a public page looks and where it is served: the operator's name, logo, colours, CSS and
//! links, and the host name bound to it.
use serde::{Deserialize, Serialize};

use crate::{DomainError, text};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Branding {
    /// A path on this server, such as `/assets/site/logo.svg` (a file in the assets
    /// directory). Never another host: the public page makes no third-party requests.
    pub logo: Option<String>,
    pub colors: Colors,
    /// Appended to the built-in stylesheet, inside the page's `<style>` element.
    pub custom_css: String,
    pub header_links: Vec<Link>,
    pub footer_links: Vec<Link>,
}

/// CSS colours as `#rgb` or `#rrggbb`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Colors {
    /// Links and the header bar.
    pub accent: String,
    pub background: String,
    pub text: String,
}

impl Default for Colors {
    fn default() -> Self {
        Colors {
            accent: "#1d4ed8".into(),
            background: "#ffffff".into(),
            text: "#1f2328".into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub label: String,
    /// An absolute http(s) or mailto: URL, or a path on this server.
    pub url: String,
}

pub const CUSTOM_CSS_MAX: usize = 20_000;
pub const LINKS_MAX: usize = 10;

pub fn validate_branding(branding: &Branding) -> Result<(), DomainError> {
    if let Some(logo) = branding.logo.as_deref().filter(|logo| !is_local_path(logo)) {
        return Err(DomainError::invalid(
            "settings.branding.logo",
            format!(
                "{logo:?} is not a path on this server; put the file in the assets directory and give its path, such as \"/assets/site/logo.svg\" (the public page makes no third-party requests)"
            ),
        ));
    }
    for (field, value) in [
        ("settings.branding.colors.accent", &branding.colors.accent),
        (
            "settings.branding.colors.background",
            &branding.colors.background,
        ),
        ("settings.branding.colors.text", &branding.colors.text),
    ] {
        validate_color(field, value)?;
    }
    text::at_most(
        "settings.branding.custom_css",
        &branding.custom_css,
        CUSTOM_CSS_MAX,
    )?;
    if branding.custom_css.contains('<') {
        return Err(DomainError::invalid(
            "settings.branding.custom_css",
            "must not contain '<'; write the character as \\3c in CSS strings",
        ));
    }
    validate_links("settings.branding.header_links", &branding.header_links)?;
    validate_links("settings.branding.footer_links", &branding.footer_links)
}

fn validate_color(field: &'static str, value: &str) -> Result<(), DomainError> {
    let hex = value.strip_prefix('#').unwrap_or("");
    if matches!(hex.len(), 3 | 6) && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(DomainError::invalid(
            field,
            format!("{value:?} is not a colour; use #rgb or #rrggbb, such as \"#1d4ed8\""),
        ))
    }
}

fn validate_links(field: &'static str, links: &[Link]) -> Result<(), DomainError> {
    if links.len() > LINKS_MAX {
        return Err(DomainError::invalid(
            field,
            format!("has {} links; the limit is {LINKS_MAX}", links.len()),
        ));
    }
    for link in links {
        text::required(field, &link.label, 80)?;
        let url = link.url.as_str();
        let ok =
            is_local_path(url) || url.starts_with("mailto:") || text::http_url(field, url).is_ok();
        if !ok || url.contains(char::is_whitespace) || url.len() > 2000 {
            return Err(DomainError::invalid(
                field,
                format!(
                    "{url:?} is not a link a visitor can follow; use https://…, mailto:… or a path on this server such as /history/"
                ),
            ));
        }
    }
    Ok(())
}

/// A same-origin path: starts with one slash (two would name another host).
fn is_local_path(value: &str) -> bool {
    value.starts_with('/')
        && !value.starts_with("//")
        && !value.contains(['\\', '"', '\'', '<', '>'])
        && !value.contains(char::is_whitespace)
        && value.len() <= 500
}

/// A host name a page can be bound to, such as `status.example.com`: lowercase labels of
/// letters, digits and inner hyphens, no port.
pub fn validate_host(host: &str) -> Result<(), DomainError> {
    let label_ok = |label: &str| {
        (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if host.len() <= 253 && host.split('.').all(label_ok) {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "settings.host",
            format!(
                "{host:?} is not a host name; give the lowercase name visitors type, without scheme or port, such as \"status.example.com\""
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_and_css_are_checked() {
        let mut branding = Branding::default();
        assert!(validate_branding(&branding).is_ok());
        branding.colors.accent = "red".into();
        assert!(validate_branding(&branding).is_err());
        branding.colors.accent = "#abc".into();
        branding.custom_css = "</style><script>alert(1)</script>".into();
        let err = validate_branding(&branding).unwrap_err();
        assert!(err.to_string().contains("custom_css"), "{err}");
    }

    #[test]
    fn logos_and_links_stay_on_safe_urls() {
        let mut branding = Branding {
            logo: Some("https://cdn.example.com/logo.png".into()),
            ..Branding::default()
        };
        assert!(validate_branding(&branding).is_err());
        branding.logo = Some("/assets/site/logo.svg".into());
        assert!(validate_branding(&branding).is_ok());
        for bad in ["javascript:alert(1)", "//evil.example", "data:text/html,x"] {
            branding.footer_links = vec![Link {
                label: "x".into(),
                url: bad.into(),
            }];
            assert!(validate_branding(&branding).is_err(), "{bad}");
        }
        for good in [
            "https://example.com/terms",
            "mailto:ops@example.com",
            "/history/",
        ] {
            branding.footer_links = vec![Link {
                label: "x".into(),
                url: good.into(),
            }];
            assert!(validate_branding(&branding).is_ok(), "{good}");
        }
    }

    #[test]
    fn hosts_are_plain_names() {
        assert!(validate_host("status.example.com").is_ok());
        for bad in [
            "Status.example.com",
            "status.example.com:8080",
            "https://x",
            "a..b",
            "",
        ] {
            assert!(validate_host(bad).is_err(), "{bad}");
        }
    }
}
