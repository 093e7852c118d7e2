//! The message library: ready-made update texts a lead starts from, per page. The defaults
//! are the reference workflow's: the generic first updates, the "no material updates"
//! messages, the monitoring message with its duration, and the resolved message with the
//! issue link. Variables in braces are filled in when a template is used.
use serde::{Deserialize, Serialize};

use crate::DomainError;
use crate::incident::IncidentState;
use crate::text::{self, Lines};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MessageTemplate {
    pub name: String,
    /// The state an update made from it usually moves the incident to.
    pub state: IncidentState,
    /// Markdown, with variables such as `{issue_link}` and `{monitoring_minutes}`.
    pub body: String,
}

/// The variables a template may use, and what each is filled with.
pub const VARIABLES: [(&str, &str); 3] = [
    ("issue_link", "the link to the incident's issue"),
    (
        "monitoring_minutes",
        "how long monitoring will last, in minutes",
    ),
    ("title", "the incident's title"),
];

pub const MAX_TEMPLATES: usize = 100;
const NAME_MAX: usize = 100;
const BODY_MAX: usize = 5000;

pub fn defaults() -> Vec<MessageTemplate> {
    let t = |name: &str, state, body: &str| MessageTemplate {
        name: name.into(),
        state,
        body: body.into(),
    };
    use IncidentState::*;
    vec![
        t(
            "First update: elevated errors",
            Investigating,
            "We're seeing elevated error rates, investigation is underway in: {issue_link}",
        ),
        t(
            "First update: connection issues",
            Investigating,
            "Some users are reporting connection issues, we're working on it in: {issue_link}",
        ),
        t(
            "No material updates: still deciding",
            Investigating,
            "No material updates to report. We're discussing the best way to restore service but have not made a decision yet. Details in: {issue_link}",
        ),
        t(
            "No material updates: still working",
            Identified,
            "No material updates to report. We are still working on the fix. Details in: {issue_link}",
        ),
        t(
            "No material updates: handover",
            Identified,
            "No material updates to report. We are handing over to a new communications lead; updates continue as before. Details in: {issue_link}",
        ),
        t(
            "Monitoring",
            Monitoring,
            "A fix has been applied and all systems are online and fully operational. We will monitor for {monitoring_minutes} minutes to make sure the issue does not recur. Details in: {issue_link}",
        ),
        t(
            "Resolved",
            Resolved,
            "This incident is resolved and the affected service is operating normally. Thank you for your patience. Details in: {issue_link}",
        ),
    ]
}

/// The body with its variables filled from `values` (name, value); a variable with no value
/// is left as written, for the lead to see and fill by hand.
pub fn fill(body: &str, values: &[(&str, &str)]) -> String {
    let mut text = body.to_string();
    for (name, value) in values.iter().filter(|(_, v)| !v.is_empty()) {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

/// The template variables still written out in `text` (`{issue_link}`), each once. Other
/// braces are ordinary text.
pub fn unfilled(text: &str) -> Vec<&'static str> {
    VARIABLES
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| text.contains(&format!("{{{name}}}")))
        .collect()
}

pub fn validate(templates: &[MessageTemplate]) -> Result<(), DomainError> {
    if templates.len() > MAX_TEMPLATES {
        return Err(DomainError::invalid(
            "settings.templates",
            format!(
                "{} templates; a page keeps at most {MAX_TEMPLATES}",
                templates.len()
            ),
        ));
    }
    for (i, template) in templates.iter().enumerate() {
        let which = |what: &str| format!("template {} ({:?}): {what}", i + 1, template.name);
        let name = template.name.trim();
        if name.is_empty() || name.chars().count() > NAME_MAX {
            return Err(DomainError::invalid(
                "settings.templates",
                which(&format!("give it a name of 1 to {NAME_MAX} characters")),
            ));
        }
        if template.body.trim().is_empty() || template.body.chars().count() > BODY_MAX {
            return Err(DomainError::invalid(
                "settings.templates",
                which(&format!("give it a text of 1 to {BODY_MAX} characters")),
            ));
        }
        let unreadable = text::unreadable(name, Lines::One)
            .map(|why| format!("its name {why}"))
            .or_else(|| {
                text::unreadable(&template.body, Lines::Many).map(|why| format!("its text {why}"))
            });
        if let Some(why) = unreadable {
            return Err(DomainError::invalid("settings.templates", which(&why)));
        }
        if templates[..i].iter().any(|t| t.name.trim() == name) {
            return Err(DomainError::invalid(
                "settings.templates",
                which("another template has this name; names must differ"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_filled_and_missing_ones_left_for_the_lead() {
        let body = "Monitoring for {monitoring_minutes} minutes: {issue_link}";
        let filled = fill(body, &[("monitoring_minutes", "30"), ("issue_link", "")]);
        assert_eq!(filled, "Monitoring for 30 minutes: {issue_link}");
    }

    #[test]
    fn only_known_variables_count_as_unfilled() {
        assert_eq!(
            unfilled("{title}: see {issue_link}, {issue_link} and {json: 1} {other}"),
            ["issue_link", "title"]
        );
        assert!(unfilled("no braces, or { issue_link } with spaces").is_empty());
    }

    #[test]
    fn the_defaults_are_valid_and_use_only_known_variables() {
        let defaults = defaults();
        validate(&defaults).unwrap();
        for t in &defaults {
            let filled = fill(&t.body, &VARIABLES.map(|(name, _)| (name, "x")));
            assert!(!filled.contains('{'), "{}: {filled}", t.name);
        }
    }

    #[test]
    fn nameless_empty_and_twin_templates_are_refused() {
        let mut list = defaults();
        list[1].name = list[0].name.clone();
        assert!(
            validate(&list)
                .unwrap_err()
                .to_string()
                .contains("names must differ")
        );
        let mut list = defaults();
        list[0].body = " ".into();
        assert!(validate(&list).is_err());
        let mut list = defaults();
        list[0].name = String::new();
        assert!(validate(&list).is_err());
        let mut list = defaults();
        list[1].name = "\u{200B}".into();
        let refused = validate(&list).unwrap_err().to_string();
        assert!(
            refused.contains("template 2") && refused.contains("its name holds only invisible"),
            "{refused}"
        );
        let mut list = defaults();
        list[0].body = "Line one.\n\0".into();
        let refused = validate(&list).unwrap_err().to_string();
        assert!(
            refused.contains("its text holds the control character U+0000"),
            "{refused}"
        );
    }
}
