//! The stage checklist a lead works through on every incident, per page. The defaults are the
//! reference workflow's stages (Engage, Manage, Monitor, Resolve). An item is ticked by a
//! person, or ticks itself when Herald can see it done (the incident created, the post-mortem
//! added).
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::DomainError;
use crate::event::{Event, EventKind};
use crate::incident::{Incident, IncidentState};
use crate::text::{self, Lines};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChecklistItem {
    /// The stage it belongs to; stages are shown in the order they first appear.
    pub stage: String,
    /// What to do; also names the item, so it is unique within a page's checklist.
    pub label: String,
    /// What Herald can see that means the item is done, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_when: Option<DoneWhen>,
}

/// Things Herald sees happen to an incident.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DoneWhen {
    IncidentCreated,
    MonitoringStarted,
    Resolved,
    PostmortemAdded,
}

impl DoneWhen {
    pub const ALL: [DoneWhen; 4] = [
        DoneWhen::IncidentCreated,
        DoneWhen::MonitoringStarted,
        DoneWhen::Resolved,
        DoneWhen::PostmortemAdded,
    ];

    pub fn label(self) -> &'static str {
        match self {
            DoneWhen::IncidentCreated => "the incident is created",
            DoneWhen::MonitoringStarted => "an update moves it to Monitoring",
            DoneWhen::Resolved => "it is resolved",
            DoneWhen::PostmortemAdded => "the post-mortem is added",
        }
    }

    /// Whether the incident shows this done.
    pub fn seen_in(self, incident: &Incident) -> bool {
        match self {
            DoneWhen::IncidentCreated => true,
            DoneWhen::MonitoringStarted => incident
                .updates
                .iter()
                .any(|u| u.state == IncidentState::Monitoring),
            DoneWhen::Resolved => incident.state == IncidentState::Resolved,
            DoneWhen::PostmortemAdded => incident.postmortem_url.is_some(),
        }
    }
}

/// The item of `items` a person ticks (`ticked`) or unticks: refused when the list has no such
/// item, or when unticking one Herald sees done on the incident.
pub fn tickable<'a>(
    items: &'a [ChecklistItem],
    label: &str,
    ticked: bool,
    incident: &Incident,
) -> Result<&'a ChecklistItem, DomainError> {
    let Some(item) = items.iter().find(|i| i.label == label) else {
        return Err(DomainError::invalid(
            "item",
            format!("{label:?} is not an item of this page's checklist; use one of its labels"),
        ));
    };
    match item.done_when {
        Some(seen) if !ticked && seen.seen_in(incident) => Err(DomainError::invalid(
            "item",
            format!(
                "Herald sees {:?} done ({}), so it stays ticked",
                item.label,
                seen.label()
            ),
        )),
        _ => Ok(item),
    }
}

/// The audit entry of a person's tick or untick that changed the list. The public never
/// sees the checklist, so the entry does not re-render the page.
pub fn tick_event(item: &ChecklistItem, incident_id: &str, ticked: bool) -> Event {
    let kind = match ticked {
        true => EventKind::IncidentChecklistTicked,
        false => EventKind::IncidentChecklistUnticked,
    };
    let after = json!({"stage": item.stage, "item": item.label, "ticked": ticked});
    Event::new(kind, incident_id, None, Some(&after))
}

pub const MAX_ITEMS: usize = 100;
const STAGE_MAX: usize = 60;
const LABEL_MAX: usize = 200;

pub fn defaults() -> Vec<ChecklistItem> {
    let item = |stage: &str, label: &str, done_when| ChecklistItem {
        stage: stage.into(),
        label: label.into(),
        done_when,
    };
    vec![
        item("Engage", "Acknowledge the page", None),
        item("Engage", "Join the incident channel and call", None),
        item(
            "Engage",
            "Create the status-page incident",
            Some(DoneWhen::IncidentCreated),
        ),
        item("Engage", "Notify internal stakeholders", None),
        item("Engage", "Label the incident issue", None),
        item(
            "Manage",
            "Post updates on the cadence, or say when the next one comes",
            None,
        ),
        item("Manage", "Tag the incident in the support desk", None),
        item("Manage", "Tag and reply to related support tickets", None),
        item(
            "Monitor",
            "Move to Monitoring, saying how long monitoring lasts",
            Some(DoneWhen::MonitoringStarted),
        ),
        item(
            "Resolve",
            "Resolve the incident once the incident manager gives the all-clear",
            Some(DoneWhen::Resolved),
        ),
        item("Resolve", "Check the public page looks right", None),
        item(
            "Resolve",
            "Add the post-mortem link",
            Some(DoneWhen::PostmortemAdded),
        ),
        item(
            "Resolve",
            "Final check for support tickets still to tag and answer",
            None,
        ),
    ]
}

pub fn validate(items: &[ChecklistItem]) -> Result<(), DomainError> {
    let refuse = |what: String| Err(DomainError::invalid("settings.checklist", what));
    if items.len() > MAX_ITEMS {
        return refuse(format!(
            "{} items; a checklist keeps at most {MAX_ITEMS}",
            items.len()
        ));
    }
    for (i, item) in items.iter().enumerate() {
        let which = |what: &str| format!("item {} ({:?}): {what}", i + 1, item.label);
        let stage = item.stage.trim();
        if stage.is_empty() || stage.chars().count() > STAGE_MAX {
            return refuse(which(&format!(
                "give it a stage of 1 to {STAGE_MAX} characters"
            )));
        }
        let label = item.label.trim();
        if label.is_empty() || label.chars().count() > LABEL_MAX {
            return refuse(which(&format!(
                "give it a label of 1 to {LABEL_MAX} characters"
            )));
        }
        let unreadable = text::unreadable(stage, Lines::One)
            .map(|why| format!("its stage {why}"))
            .or_else(|| text::unreadable(label, Lines::One).map(|why| format!("its label {why}")));
        if let Some(why) = unreadable {
            return refuse(which(&why));
        }
        if items[..i].iter().any(|other| other.label.trim() == label) {
            return refuse(which("another item has this label; labels must differ"));
        }
    }
    Ok(())
}

/// The stages in order (as they first appear), each with its items; `stage` names an item's.
pub fn stages<T>(items: &[T], stage: impl Fn(&T) -> &str) -> Vec<(&str, Vec<&T>)> {
    let mut stages: Vec<(&str, Vec<&T>)> = Vec::new();
    for item in items {
        let name = stage(item);
        match stages.iter_mut().find(|(seen, _)| *seen == name) {
            Some((_, members)) => members.push(item),
            None => stages.push((name, vec![item])),
        }
    }
    stages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_follow_the_reference_stages_and_validate() {
        let items = defaults();
        validate(&items).unwrap();
        let names: Vec<&str> = stages(&items, |i| &i.stage)
            .iter()
            .map(|(name, _)| *name)
            .collect();
        assert_eq!(names, ["Engage", "Manage", "Monitor", "Resolve"]);
    }

    #[test]
    fn a_tick_is_audited_but_does_not_touch_the_public_page() {
        let item = &defaults()[0];
        let ticked = tick_event(item, "i1", true);
        assert_eq!(ticked.kind, EventKind::IncidentChecklistTicked);
        let after = json!({"stage": item.stage, "item": item.label, "ticked": true});
        assert_eq!(ticked.after, Some(after));
        let unticked = tick_event(item, "i1", false);
        assert_eq!(unticked.kind, EventKind::IncidentChecklistUnticked);
        assert!(!ticked.kind.is_public() && !unticked.kind.is_public());
    }

    #[test]
    fn items_need_a_stage_and_a_unique_label() {
        let mut items = defaults();
        items.push(items[0].clone());
        let refused = validate(&items).unwrap_err().to_string();
        assert!(refused.contains("labels must differ"), "{refused}");
        items.pop();
        items[1].stage = " ".into();
        let refused = validate(&items).unwrap_err().to_string();
        assert!(refused.contains("item 2"), "{refused}");
        items[1].stage = items[0].stage.clone();
        items[1].label = "\u{202E}\u{FEFF}".into();
        let refused = validate(&items).unwrap_err().to_string();
        assert!(
            refused.contains("its label holds only invisible"),
            "{refused}"
        );
        items[1].label = "Page\tthe lead".into();
        let refused = validate(&items).unwrap_err().to_string();
        assert!(
            refused.contains("its label holds the control character U+0009"),
            "{refused}"
        );
    }

    #[test]
    fn stages_keep_the_order_they_first_appear_in() {
        let item = |stage: &str, label: &str| ChecklistItem {
            stage: stage.into(),
            label: label.into(),
            done_when: None,
        };
        let items = [item("B", "1"), item("A", "2"), item("B", "3")];
        let grouped = stages(&items, |i| &i.stage);
        assert_eq!(grouped[0].0, "B");
        assert_eq!(grouped[0].1.len(), 2);
        assert_eq!(grouped[1].0, "A");
    }
}
