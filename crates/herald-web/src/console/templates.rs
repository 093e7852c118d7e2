//! Using a template of the page's message library on a form (`lists` edits the library).
use herald_core::incident::Incident;
use herald_core::page::Page;
use herald_core::template;
use serde::Deserialize;
use serde_json::{Value, json};

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
    /// Puts the chosen template, filled in, into the form's values; notes what was asked for
    /// so the picker shows it again. An incident's own issue link fills `{issue_link}` unless
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
        values["state"] = json!(wire_name(&chosen.state));
        values["template"] = json!(self.template);
    }
}

/// The library as the picker lists it.
pub fn listed(page: &Page) -> Value {
    json!(
        page.settings
            .templates
            .iter()
            .map(|t| json!({"name": t.name}))
            .collect::<Vec<_>>()
    )
}
