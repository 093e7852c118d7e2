//! Groups, components and their locations.
use herald_core::component::{self, Component, Group, Location};
use herald_core::event::EventKind;
use herald_core::status::StatusLevel;
use jiff::Timestamp;

use super::codec::{from_name, from_ts, name, ts};
use super::events;
use herald_store::sql::Tx;
use herald_store::{ComponentPatch, NewComponent, Result, StoreError, args, new_id};

pub fn create_group(
    tx: &dyn Tx,
    actor: &str,
    page_id: &str,
    name: &str,
    now: Timestamp,
) -> Result<Group> {
    component::validate_group_name(name)?;
    let name = name.trim();
    if group_by_name(tx, page_id, name)?.is_some() {
        return Err(StoreError::Conflict(format!(
            "the page already has a group named {name:?}"
        )));
    }
    let position: i64 = tx.query_one(
        "SELECT COALESCE(MAX(position), 0) + 1 FROM component_groups WHERE page_id = ?1",
        args![page_id],
        |row| row.get(0),
    )?;
    let group = Group {
        id: new_id(),
        page_id: page_id.to_string(),
        name: name.to_string(),
        position,
        created_at: now,
        updated_at: now,
    };
    tx.execute(
        "INSERT INTO component_groups (id, page_id, name, position, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        args![group.id, page_id, group.name, position, ts(now)],
    )?;
    events::append(
        tx,
        Some(page_id),
        actor,
        now,
        &component::group_created(&group),
    )?;
    Ok(group)
}

pub fn groups(tx: &dyn Tx, page_id: &str) -> Result<Vec<Group>> {
    tx.query(
        "SELECT id, page_id, name, position, created_at, updated_at FROM component_groups WHERE page_id = ?1 ORDER BY position, id",
        args![page_id],
        |row| {
            Ok(Group {
                id: row.get(0)?,
                page_id: row.get(1)?,
                name: row.get(2)?,
                position: row.get(3)?,
                created_at: from_ts(row.get(4)?)?,
                updated_at: from_ts(row.get(5)?)?,
            })
        },
    )
}

fn group_by_name(tx: &dyn Tx, page_id: &str, name: &str) -> Result<Option<Group>> {
    Ok(groups(tx, page_id)?.into_iter().find(|g| g.name == name))
}

fn ensure_group(tx: &dyn Tx, page_id: &str, group_id: &str) -> Result<()> {
    if groups(tx, page_id)?.iter().any(|g| g.id == group_id) {
        Ok(())
    } else {
        Err(StoreError::not_found("group", group_id))
    }
}

pub fn create(
    tx: &dyn Tx,
    actor: &str,
    page_id: &str,
    new: NewComponent,
    now: Timestamp,
) -> Result<Component> {
    component::validate_component(&new.name, &new.description, new.position)?;
    let names = component::location_names(&new.locations)?;
    let group_id = match (new.group_id, new.group_name) {
        (Some(id), _) => {
            ensure_group(tx, page_id, &id)?;
            Some(id)
        }
        (None, Some(name)) => match group_by_name(tx, page_id, name.trim())? {
            Some(group) => Some(group.id),
            None => Some(create_group(tx, actor, page_id, &name, now)?.id),
        },
        (None, None) => None,
    };
    let position = match new.position {
        Some(position) => position,
        None => tx.query_one(
            "SELECT COALESCE(MAX(position), 0) + 1 FROM components WHERE page_id = ?1",
            args![page_id],
            |row| row.get(0),
        )?,
    };
    let id = new_id();
    tx.execute(
        "INSERT INTO components (id, page_id, group_id, name, description, position, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        args![id, page_id, group_id, new.name.trim(), new.description, position, ts(now)],
    )?;
    for (position, name) in names.iter().enumerate() {
        insert_location(tx, page_id, &id, name, position as i64)?;
    }
    let created = get(tx, page_id, &id)?;
    events::append(tx, Some(page_id), actor, now, &component::created(&created))?;
    Ok(created)
}

fn insert_location(
    tx: &dyn Tx,
    page_id: &str,
    component_id: &str,
    name: &str,
    position: i64,
) -> Result<()> {
    tx.execute(
        "INSERT INTO locations (id, component_id, page_id, name, position) VALUES (?1, ?2, ?3, ?4, ?5)",
        args![new_id(), component_id, page_id, name, position],
    )?;
    Ok(())
}

pub fn update(
    tx: &dyn Tx,
    actor: &str,
    page_id: &str,
    id: &str,
    patch: ComponentPatch,
    now: Timestamp,
) -> Result<Component> {
    let before = get(tx, page_id, id)?;
    let name = patch.name.unwrap_or_else(|| before.name.clone());
    let description = patch
        .description
        .unwrap_or_else(|| before.description.clone());
    component::validate_component(&name, &description, patch.position)?;
    let group_id = patch.group_id.unwrap_or_else(|| before.group_id.clone());
    if let Some(group_id) = &group_id {
        ensure_group(tx, page_id, group_id)?;
    }
    let position = patch.position.unwrap_or(before.position);
    tx.execute(
        "UPDATE components SET name = ?2, description = ?3, group_id = ?4, position = ?5, updated_at = ?6 WHERE id = ?1",
        args![id, name.trim(), description, group_id, position, ts(now)],
    )?;
    record_change(
        tx,
        actor,
        page_id,
        EventKind::ComponentUpdated,
        &before,
        now,
    )
}

/// Reads the component back after a change and appends the audit event with both states.
fn record_change(
    tx: &dyn Tx,
    actor: &str,
    page_id: &str,
    kind: EventKind,
    before: &Component,
    now: Timestamp,
) -> Result<Component> {
    let after = get(tx, page_id, &before.id)?;
    let event = component::changed(kind, before, &after);
    events::append(tx, Some(page_id), actor, now, &event)?;
    Ok(after)
}

pub fn delete(tx: &dyn Tx, actor: &str, page_id: &str, id: &str, now: Timestamp) -> Result<()> {
    let before = get(tx, page_id, id)?;
    // An incident refers to a location while it affects it, and for good once any update of
    // its timeline has named it (an edit may have moved the incident off it since).
    // Dialect: `json_each` walks a JSON array in SQLite (`jsonb_array_elements` elsewhere).
    let referenced: u64 = tx.query_one(
        "SELECT COUNT(DISTINCT incident_id) FROM (
             SELECT il.incident_id FROM incident_locations il JOIN locations l ON l.id = il.location_id
             WHERE l.component_id = ?1
             UNION ALL
             SELECT u.incident_id FROM incidents i JOIN incident_updates u ON u.incident_id = i.id,
                 json_each(u.levels) j JOIN locations l ON l.id = json_extract(j.value, '$.location_id')
             WHERE i.page_id = ?2 AND l.component_id = ?1
         )",
        args![id, page_id],
        |row| row.get(0),
    )?;
    let windows: u64 = tx.query_one(
        "SELECT COUNT(DISTINCT ml.maintenance_id) FROM maintenance_locations ml
         JOIN locations l ON l.id = ml.location_id WHERE l.component_id = ?1",
        args![id],
        |row| row.get(0),
    )?;
    let event = component::deletion(&before, referenced, windows)?;
    tx.execute("DELETE FROM components WHERE id = ?1", args![id])?;
    events::append(tx, Some(page_id), actor, now, &event)
}

pub fn add_location(
    tx: &dyn Tx,
    actor: &str,
    page_id: &str,
    component_id: &str,
    name: &str,
    now: Timestamp,
) -> Result<Component> {
    let before = get(tx, page_id, component_id)?;
    let mut names: Vec<String> = before.locations.iter().map(|l| l.name.clone()).collect();
    names.push(name.to_string());
    let name = component::location_names(&names)?.pop().unwrap_or_default();
    insert_location(
        tx,
        page_id,
        component_id,
        &name,
        before.locations.len() as i64,
    )?;
    record_change(
        tx,
        actor,
        page_id,
        EventKind::ComponentLocationAdded,
        &before,
        now,
    )
}

pub fn set_override(
    tx: &dyn Tx,
    actor: &str,
    page_id: &str,
    location_id: &str,
    level: Option<StatusLevel>,
    now: Timestamp,
) -> Result<Component> {
    let component_id: String = tx
        .query_opt(
            "SELECT component_id FROM locations WHERE id = ?1 AND page_id = ?2",
            args![location_id, page_id],
            |row| row.get(0),
        )?
        .ok_or_else(|| StoreError::not_found("location", location_id))?;
    let before = get(tx, page_id, &component_id)?;
    let stored = level.map(|l| name(&l)).transpose()?;
    tx.execute(
        "UPDATE locations SET override_level = ?2 WHERE id = ?1",
        args![location_id, stored],
    )?;
    let kind = if level.is_some() {
        EventKind::LocationOverrideSet
    } else {
        EventKind::LocationOverrideCleared
    };
    record_change(tx, actor, page_id, kind, &before, now)
}

pub fn get(tx: &dyn Tx, page_id: &str, id: &str) -> Result<Component> {
    load(tx, page_id, Some(id))?
        .pop()
        .ok_or_else(|| StoreError::not_found("component", id))
}

pub fn list(tx: &dyn Tx, page_id: &str) -> Result<Vec<Component>> {
    load(tx, page_id, None)
}

/// Every location of the page, for the incident rules.
pub fn page_locations(tx: &dyn Tx, page_id: &str) -> Result<Vec<Location>> {
    Ok(list(tx, page_id)?
        .into_iter()
        .flat_map(|c| c.locations)
        .collect())
}

fn load(tx: &dyn Tx, page_id: &str, only: Option<&str>) -> Result<Vec<Component>> {
    let mut components = tx.query(
        "SELECT id, page_id, group_id, name, description, position, created_at, updated_at FROM components
         WHERE page_id = ?1 AND (?2 IS NULL OR id = ?2) ORDER BY position, id",
        args![page_id, only],
        |row| {
            Ok(Component {
                id: row.get(0)?,
                page_id: row.get(1)?,
                group_id: row.get(2)?,
                name: row.get(3)?,
                description: row.get(4)?,
                position: row.get(5)?,
                locations: Vec::new(),
                created_at: from_ts(row.get(6)?)?,
                updated_at: from_ts(row.get(7)?)?,
            })
        },
    )?;
    let locations = tx.query(
        "SELECT l.id, l.component_id, l.name, l.position, l.override_level FROM locations l
         WHERE l.page_id = ?1 AND (?2 IS NULL OR l.component_id = ?2) ORDER BY l.component_id, l.position",
        args![page_id, only],
        |row| {
            let level: Option<String> = row.get(4)?;
            Ok(Location {
                id: row.get(0)?,
                component_id: row.get(1)?,
                name: row.get(2)?,
                position: row.get(3)?,
                override_level: level.as_deref().map(from_name).transpose()?,
            })
        },
    )?;
    for location in locations {
        if let Some(component) = components
            .iter_mut()
            .find(|c| c.id == location.component_id)
        {
            component.locations.push(location);
        }
    }
    Ok(components)
}
