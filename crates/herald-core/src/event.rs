//! Audit events: what every command appends to the log, with the state before and after.
use serde::Serialize;
use serde_json::Value;

use crate::Id;

#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Dotted kind such as `incident.created`; stable, documented, safe to filter on.
    pub kind: &'static str,
    pub subject_type: &'static str,
    pub subject_id: Id,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// Why the rules did something the caller did not ask for (a raised severity, say).
    pub note: Option<String>,
}

impl Event {
    pub fn new<T: Serialize>(
        kind: &'static str,
        subject_type: &'static str,
        subject_id: &str,
        before: Option<&T>,
        after: Option<&T>,
    ) -> Event {
        Event {
            kind,
            subject_type,
            subject_id: subject_id.to_string(),
            before: before.map(to_value),
            after: after.map(to_value),
            note: None,
        }
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Event {
        self.note = Some(note.into());
        self
    }
}

fn to_value<T: Serialize>(value: &T) -> Value {
    // Domain types are plain data; serialising them cannot fail.
    serde_json::to_value(value).unwrap_or(Value::Null)
}
