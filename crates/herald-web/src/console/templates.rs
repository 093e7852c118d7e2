//! Using a template of the page's message library on a form (`lists` edits the library).
use herald_core::incident::Incident;
use herald_core::page::Page;
use herald_core::template;
use serde::Deserialize;
use serde_json::{Value, json};

use super::form::FormData;
use super::view::wire_name;

/// A template asked for on a form (`?template=N&issue_link=…&monitoring_minutes=…`).
#[derive(Deserialize, Default)]
pub struct UseTemplate {
    template: Option<usize>,
    #[serde(default)]
    issue_link: String,
    #[serde(default)]
    monitoring_minutes: String,
}

impl UseTemplate {
    /// The template asked for by the form's own "Use this template" button, which sends
    /// everything typed so far along with it.
    pub fn from_form(form: &FormData) -> UseTemplate {
        UseTemplate {
            template: form.text("template").parse().ok(),
            issue_link: form.text("issue_link"),
            monitoring_minutes: form.text("monitoring_minutes"),
        }
    }

    /// Puts the chosen template, filled in, into the form's values. An incident's own issue link fills `{issue_link}` unless
    /// another was asked for.
    pub fn apply(&self, page: &Page, incident: Option<&Incident>, values: &mut Value) {
        let issue_link = match (self.issue_link.trim(), incident) {
            ("", Some(incident)) => incident.issue_link.clone().unwrap_or_default(),
            (asked, _) => asked.to_string(),
        };
        let title = incident.map(|i| i.title.as_str()).unwrap_or_default();
        values["issue_link"] = json!(issue_link);
        values["monitoring_minutes"] = json!(if self.monitoring_minutes.is_empty() {
            "30"
        } else {
            self.monitoring_minutes.as_str()
        });
        let Some(chosen) = self.template.and_then(|i| page.settings.templates.get(i)) else {
            return;
        };
        let minutes = values["monitoring_minutes"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let filled = template::fill(
            &chosen.body,
            &[
                ("issue_link", &issue_link),
                ("monitoring_minutes", &minutes),
                ("title", title),
            ],
        );
        values["details"] = json!(filled);
        // The picker goes back to "choose": pressing Enter in a field, which presses the
        // picker's button first, must not pour the template over the edited text again.
        values["state"] = json!(wire_name(&chosen.state));
    }
}

/// The library as the picker lists it; the console's script fills the form from the bodies
/// without a round trip.
pub fn listed(page: &Page) -> Value {
    json!(
        page.settings
            .templates
            .iter()
            .map(|t| json!({"name": t.name, "body": t.body, "state": wire_name(&t.state)}))
            .collect::<Vec<_>>()
    )
}
