//! Groups, components and their locations.
use herald_core::component::{self, Component, Group, Location};
use herald_core::event::EventKind;
use herald_core::status::StatusLevel;
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::codec::{from_name, from_ts, name, ts};
use super::events;
use herald_store::{ComponentPatch, NewComponent, Result, StoreError, new_id};

pub fn create_group(
    conn: &Connection,
    actor: &str,
    page_id: &str,
    name: &str,
    now: Timestamp,
) -> Result<Group> {
    component::validate_group_name(name)?;
    let name = name.trim();
    if group_by_name(conn, page_id, name)?.is_some() {
        return Err(StoreError::Conflict(format!(
            "the page already has a group named {name:?}"
        )));
    }
    let position: i64 = conn.query_row(
        "SELECT COALESCE(MAX(position), 0) + 1 FROM component_groups WHERE page_id = ?1",
        [page_id],
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
    conn.execute(
        "INSERT INTO component_groups (id, page_id, name, position, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        params![group.id, page_id, group.name, position, ts(now)],
    )?;
    events::append(
        conn,
        Some(page_id),
        actor,
        now,
        &component::group_created(&group),
    )?;
    Ok(group)
}

pub fn groups(conn: &Connection, page_id: &str) -> Result<Vec<Group>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, page_id, name, position, created_at, updated_at FROM component_groups WHERE page_id = ?1 ORDER BY position, id",
    )?;
    let rows = stmt.query_map([page_id], |row| {
        Ok((
            row.get(0)?,
            row.get(1)?,
            row.get(2)?,
            row.get(3)?,
            row.get::<_, i64>(4)?,
            row.get::<_, i64>(5)?,
        ))
    })?;
    rows.map(|row| {
        let (id, page_id, name, position, created, updated) = row?;
        Ok(Group {
            id,
            page_id,
            name,
            position,
            created_at: from_ts(created)?,
            updated_at: from_ts(updated)?,
        })
    })
    .collect()
}

fn group_by_name(conn: &Connection, page_id: &str, name: &str) -> Result<Option<Group>> {
    Ok(groups(conn, page_id)?.into_iter().find(|g| g.name == name))
}

fn ensure_group(conn: &Connection, page_id: &str, group_id: &str) -> Result<()> {
    if groups(conn, page_id)?.iter().any(|g| g.id == group_id) {
        Ok(())
    } else {
        Err(StoreError::not_found("group", group_id))
    }
}

pub fn create(
    conn: &Connection,
    actor: &str,
    page_id: &str,
    new: NewComponent,
    now: Timestamp,
) -> Result<Component> {
    component::validate_component(&new.name, &new.description, new.position)?;
    let names = component::location_names(&new.locations)?;
    let group_id = match (new.group_id, new.group_name) {
        (Some(id), _) => {
            ensure_group(conn, page_id, &id)?;
            Some(id)
        }
        (None, Some(name)) => match group_by_name(conn, page_id, name.trim())? {
            Some(group) => Some(group.id),
            None => Some(create_group(conn, actor, page_id, &name, now)?.id),
        },
        (None, None) => None,
    };
    let position = match new.position {
        Some(position) => position,
        None => conn.query_row(
            "SELECT COALESCE(MAX(position), 0) + 1 FROM components WHERE page_id = ?1",
            [page_id],
            |row| row.get(0),
        )?,
    };
    let id = new_id();
    conn.execute(
        "INSERT INTO components (id, page_id, group_id, name, description, position, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![id, page_id, group_id, new.name.trim(), new.description, position, ts(now)],
    )?;
    for (position, name) in names.iter().enumerate() {
        insert_location(conn, page_id, &id, name, position as i64)?;
    }
    let created = get(conn, page_id, &id)?;
    events::append(
        conn,
        Some(page_id),
        actor,
        now,
        &component::created(&created),
    )?;
    Ok(created)
}

fn insert_location(
    conn: &Connection,
    page_id: &str,
    component_id: &str,
    name: &str,
    position: i64,
) -> Result<()> {
    conn.execute(
        "INSERT INTO locations (id, component_id, page_id, name, position) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![new_id(), component_id, page_id, name, position],
    )?;
    Ok(())
}

pub fn update(
    conn: &Connection,
    actor: &str,
    page_id: &str,
    id: &str,
    patch: ComponentPatch,
    now: Timestamp,
) -> Result<Component> {
    let before = get(conn, page_id, id)?;
    let name = patch.name.unwrap_or_else(|| before.name.clone());
    let description = patch
        .description
        .unwrap_or_else(|| before.description.clone());
    component::validate_component(&name, &description, patch.position)?;
    let group_id = patch.group_id.unwrap_or_else(|| before.group_id.clone());
    if let Some(group_id) = &group_id {
        ensure_group(conn, page_id, group_id)?;
    }
    let position = patch.position.unwrap_or(before.position);
    conn.execute(
        "UPDATE components SET name = ?2, description = ?3, group_id = ?4, position = ?5, updated_at = ?6 WHERE id = ?1",
        params![id, name.trim(), description, group_id, position, ts(now)],
    )?;
    record_change(
        conn,
        actor,
        page_id,
        EventKind::ComponentUpdated,
        &before,
        now,
    )
}

/// Reads the component back after a change and appends the audit event with both states.
fn record_change(
    conn: &Connection,
    actor: &str,
    page_id: &str,
    kind: EventKind,
    before: &Component,
    now: Timestamp,
) -> Result<Component> {
    let after = get(conn, page_id, &before.id)?;
    let event = component::changed(kind, before, &after);
    events::append(conn, Some(page_id), actor, now, &event)?;
    Ok(after)
}

pub fn delete(
    conn: &Connection,
    actor: &str,
    page_id: &str,
    id: &str,
    now: Timestamp,
) -> Result<()> {
    let before = get(conn, page_id, id)?;
    // An incident refers to a location while it affects it, and for good once any update of
    // its timeline has named it (an edit may have moved the incident off it since).
    let referenced: u64 = conn.query_row(
        "SELECT COUNT(DISTINCT incident_id) FROM (
             SELECT il.incident_id FROM incident_locations il JOIN locations l ON l.id = il.location_id
             WHERE l.component_id = ?1
             UNION ALL
             SELECT u.incident_id FROM incidents i JOIN incident_updates u ON u.incident_id = i.id,
                 json_each(u.levels) j JOIN locations l ON l.id = json_extract(j.value, '$.location_id')
             WHERE i.page_id = ?2 AND l.component_id = ?1
         )",
        params![id, page_id],
        |row| row.get(0),
    )?;
    let windows: u64 = conn.query_row(
        "SELECT COUNT(DISTINCT ml.maintenance_id) FROM maintenance_locations ml
         JOIN locations l ON l.id = ml.location_id WHERE l.component_id = ?1",
        [id],
        |row| row.get(0),
    )?;
    let event = component::deletion(&before, referenced, windows)?;
    conn.execute("DELETE FROM components WHERE id = ?1", [id])?;
    events::append(conn, Some(page_id), actor, now, &event)
}

pub fn add_location(
    conn: &Connection,
    actor: &str,
    page_id: &str,
    component_id: &str,
    name: &str,
    now: Timestamp,
) -> Result<Component> {
    let before = get(conn, page_id, component_id)?;
    let mut names: Vec<String> = before.locations.iter().map(|l| l.name.clone()).collect();
    names.push(name.to_string());
    let name = component::location_names(&names)?.pop().unwrap_or_default();
    insert_location(
        conn,
        page_id,
        component_id,
        &name,
        before.locations.len() as i64,
    )?;
    record_change(
        conn,
        actor,
        page_id,
        EventKind::ComponentLocationAdded,
        &before,
        now,
    )
}

pub fn set_override(
    conn: &Connection,
    actor: &str,
    page_id: &str,
    location_id: &str,
    level: Option<StatusLevel>,
    now: Timestamp,
) -> Result<Component> {
    let component_id: String = conn
        .query_row(
            "SELECT component_id FROM locations WHERE id = ?1 AND page_id = ?2",
            params![location_id, page_id],
            |row| row.get(0),
        )
        .optional()?
        .ok_or_else(|| StoreError::not_found("location", location_id))?;
    let before = get(conn, page_id, &component_id)?;
    let stored = level.map(|l| name(&l)).transpose()?;
    conn.execute(
        "UPDATE locations SET override_level = ?2 WHERE id = ?1",
        params![location_id, stored],
    )?;
    let kind = if level.is_some() {
        EventKind::LocationOverrideSet
    } else {
        EventKind::LocationOverrideCleared
    };
    record_change(conn, actor, page_id, kind, &before, now)
}

pub fn get(conn: &Connection, page_id: &str, id: &str) -> Result<Component> {
    load(conn, page_id, Some(id))?
        .pop()
        .ok_or_else(|| StoreError::not_found("component", id))
}

pub fn list(conn: &Connection, page_id: &str) -> Result<Vec<Component>> {
    load(conn, page_id, None)
}

/// Every location of the page, for the incident rules.
pub fn page_locations(conn: &Connection, page_id: &str) -> Result<Vec<Location>> {
    Ok(list(conn, page_id)?
        .into_iter()
        .flat_map(|c| c.locations)
        .collect())
}

fn load(conn: &Connection, page_id: &str, only: Option<&str>) -> Result<Vec<Component>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, page_id, group_id, name, description, position, created_at, updated_at FROM components
         WHERE page_id = ?1 AND (?2 IS NULL OR id = ?2) ORDER BY position, id",
    )?;
    let rows = stmt.query_map(params![page_id, only], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, Option<String>>(2)?,
            row.get::<_, String>(3)?,
            row.get::<_, String>(4)?,
            row.get::<_, i64>(5)?,
            row.get::<_, i64>(6)?,
            row.get::<_, i64>(7)?,
        ))
    })?;
    let mut components = Vec::new();
    for row in rows {
        let (id, page_id, group_id, name, description, position, created, updated) = row?;
        components.push(Component {
            id,
            page_id,
            group_id,
            name,
            description,
            position,
            locations: Vec::new(),
            created_at: from_ts(created)?,
            updated_at: from_ts(updated)?,
        });
    }
    let mut stmt = conn.prepare_cached(
        "SELECT l.id, l.component_id, l.name, l.position, l.override_level FROM locations l
         WHERE l.page_id = ?1 AND (?2 IS NULL OR l.component_id = ?2) ORDER BY l.component_id, l.position",
    )?;
    let rows = stmt.query_map(params![page_id, only], |row| {
        Ok((
            row.get(0)?,
            row.get::<_, String>(1)?,
            row.get(2)?,
            row.get(3)?,
            row.get::<_, Option<String>>(4)?,
        ))
    })?;
    for row in rows {
        let (id, component_id, name, position, override_level) = row?;
        let location = Location {
            id,
            component_id,
            name,
            position,
            override_level: override_level.as_deref().map(from_name).transpose()?,
        };
        if let Some(component) = components
            .iter_mut()
            .find(|c| c.id == location.component_id)
        {
            component.locations.push(location);
        }
    }
    Ok(components)
}
