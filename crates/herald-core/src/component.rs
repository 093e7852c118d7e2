//! Components, their groups, and their locations (Status.io's "containers").
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::event::{Event, EventKind};
use crate::status::StatusLevel;
use crate::text;
use crate::{DomainError, Id};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Group {
    pub id: Id,
    pub page_id: Id,
    pub name: String,
    pub position: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Component {
    pub id: Id,
    pub page_id: Id,
    pub group_id: Option<Id>,
    pub name: String,
    pub description: String,
    pub position: i64,
    /// Never empty: a component created without named locations has one default location.
    pub locations: Vec<Location>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Location {
    pub id: Id,
    pub component_id: Id,
    pub name: String,
    pub position: i64,
    /// A level set by hand (Status.io's `component/status/update`). The displayed level is the
    /// worst of this and whatever holds the location, see [`crate::status::derive_level`].
    pub override_level: Option<StatusLevel>,
}

/// The name given to the single location of a component created without named locations.
pub const DEFAULT_LOCATION_NAME: &str = "Default";

pub fn validate_group_name(name: &str) -> Result<(), DomainError> {
    text::required("name", name, 200)
}

/// The highest position a component may be given; a page of a million components is not a
/// page anyone reads, and the bound keeps "after the last one" from overflowing.
pub const MAX_POSITION: i64 = 1_000_000;

pub fn validate_component(
    name: &str,
    description: &str,
    position: Option<i64>,
) -> Result<(), DomainError> {
    text::required("name", name, 200)?;
    text::at_most("description", description, 2000)?;
    match position {
        Some(p) if !(0..=MAX_POSITION).contains(&p) => Err(DomainError::invalid(
            "position",
            format!("must be from 0 to {MAX_POSITION}, not {p}"),
        )),
        _ => Ok(()),
    }
}

/// The locations a list of ids stands for: a component's id for all its locations, anything
/// else for itself (an unknown id is left for the rules to refuse). Each location once, in the
/// order given.
pub fn locations_named(components: &[Component], ids: &[Id]) -> Vec<Id> {
    let mut locations: Vec<Id> = Vec::new();
    for id in ids {
        let named: Vec<&Id> = match components.iter().find(|c| &c.id == id) {
            Some(component) => component.locations.iter().map(|l| &l.id).collect(),
            None => vec![id],
        };
        for location in named {
            if !locations.contains(location) {
                locations.push(location.clone());
            }
        }
    }
    locations
}

/// The component a location belongs to.
pub fn component_of<'a>(components: &'a [Component], location: &str) -> Option<&'a Component> {
    components
        .iter()
        .find(|c| c.locations.iter().any(|l| l.id == location))
}

/// Location names for a new component: the given ones (trimmed, distinct), or the default one.
pub fn location_names(given: &[String]) -> Result<Vec<String>, DomainError> {
    if given.is_empty() {
        return Ok(vec![DEFAULT_LOCATION_NAME.to_string()]);
    }
    let mut names: Vec<String> = Vec::with_capacity(given.len());
    for name in given {
        text::required("locations", name, 100)?;
        let name = name.trim().to_string();
        if names.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
            return Err(DomainError::invalid(
                "locations",
                format!(
                    "{name:?} is listed twice; each location of a component needs its own name"
                ),
            ));
        }
        names.push(name);
    }
    Ok(names)
}

/// The audit entry of a new group.
pub fn group_created(group: &Group) -> Event {
    Event::new(EventKind::GroupCreated, &group.id, None, Some(group))
}

/// The audit entry of a new component, locations and all.
pub fn created(component: &Component) -> Event {
    Event::new(
        EventKind::ComponentCreated,
        &component.id,
        None,
        Some(component),
    )
}

/// The audit entry of a changed component (`kind`: what changed), with both states.
pub fn changed(kind: EventKind, before: &Component, after: &Component) -> Event {
    Event::new(kind, &before.id, Some(before), Some(after))
}

/// A component's deletion, refused while the history of `incidents` incidents or `windows`
/// maintenance windows refers to it (the public history must keep making sense).
pub fn deletion(before: &Component, incidents: u64, windows: u64) -> Result<Event, DomainError> {
    let counts: Vec<String> = [
        (incidents, "incident(s)"),
        (windows, "maintenance window(s)"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    if !counts.is_empty() {
        return Err(DomainError::Conflict(format!(
            "component {:?} appears in {} and cannot be deleted while their history refers to it; rename it or move it instead",
            before.name,
            counts.join(" and ")
        )));
    }
    Ok(Event::new(
        EventKind::ComponentDeleted,
        &before.id,
        Some(before),
        None,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_component_in_the_history_is_not_deleted() {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let api = Component {
            id: "c1".into(),
            page_id: "p1".into(),
            group_id: None,
            name: "API".into(),
            description: String::new(),
            position: 1,
            locations: vec![],
            created_at: now,
            updated_at: now,
        };
        let gone = deletion(&api, 0, 0).expect("deleted");
        assert_eq!((gone.kind, gone.after), (EventKind::ComponentDeleted, None));
        let refused = deletion(&api, 2, 1).unwrap_err().to_string();
        assert!(
            refused.contains("appears in 2 incident(s) and 1 maintenance window(s)"),
            "{refused}"
        );
        let refused = deletion(&api, 0, 3).unwrap_err().to_string();
        assert!(
            refused.contains("appears in 3 maintenance window(s) and cannot"),
            "{refused}"
        );
        assert_eq!(created(&api).kind, EventKind::ComponentCreated);
        let moved = Component {
            position: 2,
            ..api.clone()
        };
        let event = changed(EventKind::ComponentUpdated, &api, &moved);
        assert_eq!(event.before, Some(serde_json::to_value(&api).unwrap()));
    }

    #[test]
    fn a_component_without_locations_gets_the_default_one() {
        assert_eq!(location_names(&[]).unwrap(), vec![DEFAULT_LOCATION_NAME]);
        assert_eq!(
            location_names(&["US East".into(), " APAC ".into()]).unwrap(),
            vec!["US East", "APAC"]
        );
        assert!(location_names(&["EU".into(), "eu".into()]).is_err());
        assert!(location_names(&["".into()]).is_err());
    }
}
