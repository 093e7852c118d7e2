//! Atlassian Statuspage's public API v2 (placeholder until the shapes land).
use herald_core::incident::Incident;
use serde_json::{Value, json};

use crate::data::View;
use crate::paths;

pub fn impact(incident: &Incident) -> &'static str {
    let _ = incident;
    "none"
}

pub fn files(view: &View) -> Vec<(&'static str, Value)> {
    vec![(
        paths::STATUSPAGE_SUMMARY,
        json!({"page": {"id": view.page().id}}),
    )]
}
