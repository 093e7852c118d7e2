//! Checks on a draft update, run before publishing. They warn and the lead decides, except
//! one: a template variable left unfilled blocks the publish, since it would reach the public
//! as `{issue_link}`.
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::incident::IncidentState;
use crate::{DomainError, template, text};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct LintRules {
    /// The social channel's length limit (X/Twitter: 280).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100000))]
    pub social_limit: u32,
    /// What one URL counts for on the social channel, whatever its length (X/Twitter: 23);
    /// at least 1 and at most `social_limit`.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100000))]
    pub social_url_length: u32,
    /// Warn when the text before the final link is longer than this.
    #[cfg_attr(feature = "openapi", schema(maximum = 100000))]
    pub social_link_budget: u32,
    /// Every update must link the incident issue.
    pub require_issue_link: bool,
    /// When set, only links starting with this count as the incident issue link.
    pub issue_link_prefix: Option<String>,
    /// Lint ids switched off on this page.
    pub disabled: Vec<String>,
}

impl Default for LintRules {
    fn default() -> Self {
        LintRules {
            social_limit: 280,
            social_url_length: 23,
            social_link_budget: 220,
            require_issue_link: false,
            issue_link_prefix: None,
            disabled: Vec::new(),
        }
    }
}

/// The longest social post a page may allow: far beyond any network's, and small enough that
/// every length stays exact in a 32-bit integer.
pub const MAX_SOCIAL_LIMIT: u32 = 100_000;

impl LintRules {
    pub fn validate(&self) -> Result<(), DomainError> {
        if !(1..=MAX_SOCIAL_LIMIT).contains(&self.social_limit)
            || self.social_link_budget > self.social_limit
        {
            return Err(DomainError::invalid(
                "settings.lint",
                format!(
                    "social_limit must be from 1 to {MAX_SOCIAL_LIMIT}, and social_link_budget no larger than it"
                ),
            ));
        }
        if self.social_url_length == 0 || self.social_url_length > self.social_limit {
            return Err(DomainError::invalid(
                "settings.lint.social_url_length",
                format!(
                    "a link must count for 1 to social_limit ({}) characters, not {}",
                    self.social_limit, self.social_url_length
                ),
            ));
        }
        if let Some(prefix) = &self.issue_link_prefix {
            text::http_url("settings.lint.issue_link_prefix", prefix)?;
        }
        for id in &self.disabled {
            if id == TEMPLATE_UNFILLED {
                return Err(DomainError::invalid(
                    "settings.lint.disabled",
                    format!(
                        "{TEMPLATE_UNFILLED} cannot be switched off: an unfilled template variable would be published as written"
                    ),
                ));
            }
            if !ALL_LINTS.contains(&id.as_str()) {
                return Err(DomainError::invalid(
                    "settings.lint.disabled",
                    format!(
                        "{id:?} is not a lint; known lints: {}",
                        ALL_LINTS.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }
}

pub const SOCIAL_TOO_LONG: &str = "social.too_long";
pub const SOCIAL_LINK_LATE: &str = "social.link_late";
pub const ISSUE_LINK_MISSING: &str = "link.issue_missing";
pub const MONITORING_NO_DURATION: &str = "monitoring.no_duration";
pub const RESOLVE_OVERRIDE_LEFT: &str = "resolve.override_left";
/// Blocking, and not among [`ALL_LINTS`]: no page can switch it off.
pub const TEMPLATE_UNFILLED: &str = "template.unfilled";
pub const ALL_LINTS: [&str; 5] = [
    SOCIAL_TOO_LONG,
    SOCIAL_LINK_LATE,
    ISSUE_LINK_MISSING,
    MONITORING_NO_DURATION,
    RESOLVE_OVERRIDE_LEFT,
];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Lint {
    /// Stable id, one of [`ALL_LINTS`] or [`TEMPLATE_UNFILLED`].
    pub id: String,
    pub message: String,
    /// A blocking lint refuses the publish; the others only warn.
    pub blocking: bool,
}

/// What the lints look at in a draft.
#[derive(Clone, Debug)]
pub struct Draft<'a> {
    pub state: IncidentState,
    pub details: &'a str,
    /// Names of the incident's locations that a manual override keeps worse than operational.
    pub overridden_locations: Vec<String>,
}

static URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"https?://[^\s<>()\[\]]+").expect("valid regex"));
static DURATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b\d+\s*(m|min|mins|minutes?|h|hrs?|hours?)\b|\b(an?|one|half an?|next|few)\s+(hours?|minutes?)\b|\buntil\s+\d{1,2}:\d{2}")
        .expect("valid regex")
});

pub fn check(rules: &LintRules, draft: &Draft) -> Vec<Lint> {
    let mut lints = check_text(rules, draft.details);
    let mut warn = warner(rules, &mut lints);
    if rules.require_issue_link && !has_issue_link(rules, draft.details) {
        let wanted = match &rules.issue_link_prefix {
            Some(prefix) => format!("a link starting with {prefix}"),
            None => "a link".to_string(),
        };
        warn(
            ISSUE_LINK_MISSING,
            format!("this page asks every update to link the incident issue; add {wanted}"),
        );
    }
    if draft.state == IncidentState::Monitoring && !DURATION.is_match(draft.details) {
        warn(
            MONITORING_NO_DURATION,
            "say how long monitoring will last (for example \"we will monitor for 30 minutes\")"
                .into(),
        );
    }
    if draft.state == IncidentState::Resolved && !draft.overridden_locations.is_empty() {
        warn(
            RESOLVE_OVERRIDE_LEFT,
            format!(
                "resolving leaves {} marked by a manual override; clear the override if the service is back",
                draft.overridden_locations.join(", ")
            ),
        );
    }
    drop(warn);
    lints
}

/// The lints of any text published to subscribers, an incident's or a maintenance window's:
/// the social post's length and where its final link falls.
pub fn check_text(rules: &LintRules, details: &str) -> Vec<Lint> {
    let mut lints: Vec<Lint> = unfilled(details)
        .map(|message| Lint {
            id: TEMPLATE_UNFILLED.into(),
            message,
            blocking: true,
        })
        .into_iter()
        .collect();
    let mut warn = warner(rules, &mut lints);
    let length = social_length(details, rules.social_url_length);
    if length > rules.social_limit as usize {
        warn(
            SOCIAL_TOO_LONG,
            format!(
                "the social post would be {length} characters (every link counts as {}); the limit is {}, and an over-long post fails to publish",
                rules.social_url_length, rules.social_limit
            ),
        );
    }
    if let Some(before) = before_final_link(details, rules.social_url_length)
        && before > rules.social_link_budget as usize
    {
        warn(
            SOCIAL_LINK_LATE,
            format!(
                "{before} characters come before the final link; keep them under {} so the link is not cut off",
                rules.social_link_budget
            ),
        );
    }
    drop(warn);
    lints
}

/// Refuses a text to publish that still has a template variable written out.
pub fn refuse_unfilled(field: &'static str, details: &str) -> Result<(), DomainError> {
    match unfilled(details) {
        Some(message) => Err(DomainError::invalid(field, message)),
        None => Ok(()),
    }
}

/// What is wrong with a text that still has template variables written out, if it has any.
fn unfilled(details: &str) -> Option<String> {
    let names = template::unfilled(details);
    if names.is_empty() {
        return None;
    }
    let written: Vec<String> = names.iter().map(|n| format!("{{{n}}}")).collect();
    let mut message = format!(
        "the text still has {} written out; replace {} with the value before publishing",
        written.join(", "),
        if names.len() == 1 { "it" } else { "each" }
    );
    if names.contains(&"issue_link") {
        message.push_str(
            ", or give the incident its issue link (the Issue link field, or issue_link in the API) and {issue_link} is filled in",
        );
    }
    Some(message)
}

/// Records a lint unless the page switched it off.
fn warner<'a>(rules: &'a LintRules, lints: &'a mut Vec<Lint>) -> impl FnMut(&str, String) + 'a {
    move |id: &str, message: String| {
        if !rules.disabled.iter().any(|d| d == id) {
            lints.push(Lint {
                id: id.to_string(),
                message,
                blocking: false,
            });
        }
    }
}

/// The social length of the text before the final link, when there is a link.
pub fn before_final_link(text: &str, url_length: u32) -> Option<usize> {
    let last = URL.find_iter(text).last()?;
    Some(social_length(&text[..last.start()], url_length))
}

/// Length as the social channel counts it: characters, with every URL counted as `url_length`.
pub fn social_length(text: &str, url_length: u32) -> usize {
    let mut length = text.chars().count();
    for url in URL.find_iter(text) {
        length = length - url.as_str().chars().count() + url_length as usize;
    }
    length
}

fn has_issue_link(rules: &LintRules, details: &str) -> bool {
    URL.find_iter(details)
        .any(|url| match &rules.issue_link_prefix {
            Some(prefix) => url.as_str().starts_with(prefix.as_str()),
            None => true,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(rules: &LintRules, state: IncidentState, details: &str) -> Vec<String> {
        let draft = Draft {
            state,
            details,
            overridden_locations: vec![],
        };
        check(rules, &draft).into_iter().map(|l| l.id).collect()
    }

    #[test]
    fn urls_count_as_23_characters() {
        let url = format!("https://example.com/{}", "x".repeat(100));
        assert_eq!(social_length(&format!("ab {url}"), 23), 26);
        assert_eq!(social_length("héllo", 23), 5);
    }

    #[test]
    fn long_posts_and_late_links_are_flagged() {
        let rules = LintRules::default();
        let ok = format!("{} https://example.com/i/1", "a".repeat(200));
        assert!(ids(&rules, IncidentState::Investigating, &ok).is_empty());
        let late = format!("{} https://example.com/i/1", "a".repeat(230));
        assert_eq!(
            ids(&rules, IncidentState::Investigating, &late),
            [SOCIAL_LINK_LATE]
        );
        let long = "a".repeat(281);
        assert_eq!(
            ids(&rules, IncidentState::Investigating, &long),
            [SOCIAL_TOO_LONG]
        );
        // Exactly at the limit passes: 257 characters plus one URL counted as 23.
        let at_limit = format!("{}https://example.com/{}", "a".repeat(257), "z".repeat(300));
        assert!(
            !ids(&rules, IncidentState::Identified, &at_limit)
                .contains(&SOCIAL_TOO_LONG.to_string())
        );
    }

    #[test]
    fn issue_links_are_required_when_the_page_says_so() {
        let rules = LintRules {
            require_issue_link: true,
            issue_link_prefix: Some("https://tracker.example.com/".into()),
            ..LintRules::default()
        };
        assert_eq!(
            ids(
                &rules,
                IncidentState::Investigating,
                "see https://other.example.com/1"
            ),
            [ISSUE_LINK_MISSING]
        );
        assert!(
            ids(
                &rules,
                IncidentState::Investigating,
                "see https://tracker.example.com/42"
            )
            .is_empty()
        );
    }

    #[test]
    fn monitoring_updates_say_for_how_long() {
        let rules = LintRules::default();
        assert_eq!(
            ids(
                &rules,
                IncidentState::Monitoring,
                "A fix is in place and we are monitoring."
            ),
            [MONITORING_NO_DURATION]
        );
        for ok in [
            "monitoring for 30 minutes",
            "for the next hour",
            "another 2h",
            "45 mins",
            "until 14:30 UTC",
        ] {
            assert!(
                ids(&rules, IncidentState::Monitoring, ok).is_empty(),
                "{ok}"
            );
        }
    }

    #[test]
    fn disabled_lints_stay_quiet_and_unknown_ones_are_refused() {
        let mut rules = LintRules {
            disabled: vec![MONITORING_NO_DURATION.into()],
            ..LintRules::default()
        };
        assert!(ids(&rules, IncidentState::Monitoring, "watching").is_empty());
        assert!(rules.validate().is_ok());
        rules.disabled.push("nope".into());
        assert!(rules.validate().is_err());
    }

    #[test]
    fn an_unfilled_variable_blocks_and_cannot_be_switched_off() {
        let rules = LintRules::default();
        let lints = check_text(&rules, "Details in: {issue_link}");
        assert_eq!(lints.len(), 1);
        assert!(lints[0].blocking);
        assert_eq!(lints[0].id, TEMPLATE_UNFILLED);
        assert!(
            lints[0].message.contains("issue link"),
            "{}",
            lints[0].message
        );
        assert!(refuse_unfilled("details", "Details in: {issue_link}").is_err());
        assert!(refuse_unfilled("details", "Details in: {ticket}").is_ok());
        let off = LintRules {
            disabled: vec![TEMPLATE_UNFILLED.into()],
            ..LintRules::default()
        };
        assert!(off.validate().is_err());
        assert!(
            check_text(&LintRules::default(), "fine")
                .iter()
                .all(|l| !l.blocking)
        );
    }

    #[test]
    fn resolving_with_an_override_left_is_flagged() {
        let draft = Draft {
            state: IncidentState::Resolved,
            details: "All good.",
            overridden_locations: vec!["API (Default)".into()],
        };
        let lints = check(&LintRules::default(), &draft);
        assert_eq!(lints.len(), 1);
        assert_eq!(lints[0].id, RESOLVE_OVERRIDE_LEFT);
        assert!(lints[0].message.contains("API (Default)"));
    }
}
