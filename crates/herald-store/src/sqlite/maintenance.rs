//! Maintenance windows: load what the rules need, let the core decide, persist the decision.
use herald_core::Id;
use herald_core::broadcast;
use herald_core::maintenance::{
    self, Decision, Maintenance, MaintenanceDraft, MaintenanceUpdate, NewMaintenance, Reschedule,
};
use herald_core::page::Page;
use herald_core::status::StatusLevel;
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, ToSql, params};

use super::codec::{from_json, from_name, from_opt_ts, from_ts, json, name, ts};
use super::incidents::context;
use super::listing::Listing;
use super::{components, delivery, events};
use crate::{MaintenanceFilter, MaintenanceQuery, Result, StoreError, new_id};

const WHAT: &str = "maintenance window";

pub fn schedule(
    conn: &Connection,
    actor: &str,
    page: &Page,
    new: NewMaintenance,
    now: Timestamp,
) -> Result<Maintenance> {
    let locations = components::page_locations(conn, &page.id)?;
    let decision = maintenance::schedule(
        context(page, &locations),
        new_id(),
        new_id(),
        new,
        actor,
        now,
    )?;
    commit(conn, actor, page, decision, 0, now)
}

pub fn post_update(
    conn: &Connection,
    actor: &str,
    page: &Page,
    id: &str,
    draft: MaintenanceDraft,
    now: Timestamp,
) -> Result<Maintenance> {
    let current = get(conn, &page.id, id)?;
    let decision = maintenance::post_update(&current, new_id(), draft, actor, now)?;
    commit(conn, actor, page, decision, current.updates.len(), now)
}

pub fn reschedule(
    conn: &Connection,
    actor: &str,
    page: &Page,
    id: &str,
    times: Reschedule,
    now: Timestamp,
) -> Result<Maintenance> {
    let current = get(conn, &page.id, id)?;
    let decision = maintenance::reschedule(&current, page, new_id(), times, actor, now)?;
    commit(conn, actor, page, decision, current.updates.len(), now)
}

pub fn set_automation(
    conn: &Connection,
    actor: &str,
    page: &Page,
    id: &str,
    enabled: bool,
    now: Timestamp,
) -> Result<Maintenance> {
    let current = get(conn, &page.id, id)?;
    let decision = maintenance::set_automation(&current, enabled, now)?;
    commit(conn, actor, page, decision, current.updates.len(), now)
}

pub fn delete(conn: &Connection, actor: &str, page: &Page, id: &str, now: Timestamp) -> Result<()> {
    let current = get(conn, &page.id, id)?;
    conn.execute("DELETE FROM maintenance_windows WHERE id = ?1", [id])?;
    events::append(
        conn,
        Some(&page.id),
        actor,
        now,
        &maintenance::delete(&current),
    )
}

/// Persists what the rules decided (nothing, when they decided nothing changes): the window,
/// whose first `persisted_updates` updates are already stored, then the audit events.
fn commit(
    conn: &Connection,
    actor: &str,
    page: &Page,
    decision: Decision,
    persisted_updates: usize,
    now: Timestamp,
) -> Result<Maintenance> {
    if decision.events.is_empty() {
        return Ok(decision.maintenance);
    }
    save(conn, &decision.maintenance, persisted_updates)?;
    events::append_all(conn, Some(&page.id), actor, now, &decision.events)?;
    let window = &decision.maintenance;
    delivery::announce(
        conn,
        page,
        &decision.events,
        window,
        now,
        |kind, locations| broadcast::for_maintenance(kind, window, locations, &page.settings.lint),
    )?;
    Ok(decision.maintenance)
}

fn save(conn: &Connection, m: &Maintenance, persisted_updates: usize) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO maintenance_windows (id, page_id, title, state, starts_at, ends_at, automation, sequence,
                                          created_at, updated_at, started_at, ended_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (id) DO UPDATE SET title = ?3, state = ?4, starts_at = ?5, ends_at = ?6, automation = ?7,
             sequence = ?8, updated_at = ?10, started_at = ?11, ended_at = ?12",
    )?
    .execute(params![
        m.id,
        m.page_id,
        m.title,
        name(&m.state)?,
        ts(m.starts_at),
        ts(m.ends_at),
        m.automation,
        m.sequence,
        ts(m.created_at),
        ts(m.updated_at),
        m.started_at.map(ts),
        m.ended_at.map(ts),
    ])?;
    conn.prepare_cached("DELETE FROM maintenance_locations WHERE maintenance_id = ?1")?
        .execute([&m.id])?;
    let mut insert_location = conn.prepare_cached(
        "INSERT INTO maintenance_locations (maintenance_id, location_id, position) VALUES (?1, ?2, ?3)",
    )?;
    for (position, location) in m.affected.iter().enumerate() {
        insert_location.execute(params![m.id, location, position as i64])?;
    }
    let mut insert_update = conn.prepare_cached(
        "INSERT INTO maintenance_updates (id, maintenance_id, seq, state, details, channels, author, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for (seq, update) in m.updates.iter().enumerate().skip(persisted_updates) {
        insert_update.execute(params![
            update.id,
            m.id,
            seq as i64,
            name(&update.state)?,
            update.details,
            json(&update.channels)?,
            update.author,
            ts(update.at),
        ])?;
    }
    Ok(())
}

pub fn get(conn: &Connection, page_id: &str, id: &str) -> Result<Maintenance> {
    let row = conn
        .prepare_cached(
            "SELECT id, page_id, title, state, starts_at, ends_at, automation, sequence,
                    created_at, updated_at, started_at, ended_at
             FROM maintenance_windows WHERE id = ?1 AND page_id = ?2",
        )?
        .query_row(params![id, page_id], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, i64>(4)?,
                row.get::<_, i64>(5)?,
                row.get::<_, bool>(6)?,
                row.get::<_, u32>(7)?,
                row.get::<_, i64>(8)?,
                row.get::<_, i64>(9)?,
                row.get::<_, Option<i64>>(10)?,
                row.get::<_, Option<i64>>(11)?,
            ))
        })
        .optional()?
        .ok_or_else(|| StoreError::not_found(WHAT, id))?;
    let (
        id,
        page_id,
        title,
        state,
        starts,
        ends,
        automation,
        sequence,
        created,
        updated,
        started,
        ended,
    ) = row;
    Ok(Maintenance {
        affected: affected(conn, &id)?,
        updates: updates(conn, &id)?,
        id,
        page_id,
        title,
        starts_at: from_ts(starts)?,
        ends_at: from_ts(ends)?,
        state: from_name(&state)?,
        automation,
        sequence,
        created_at: from_ts(created)?,
        updated_at: from_ts(updated)?,
        started_at: from_opt_ts(started)?,
        ended_at: from_opt_ts(ended)?,
    })
}

fn affected(conn: &Connection, maintenance_id: &str) -> Result<Vec<Id>> {
    let mut stmt = conn.prepare_cached(
        "SELECT location_id FROM maintenance_locations WHERE maintenance_id = ?1 ORDER BY position",
    )?;
    let ids = stmt
        .query_map([maintenance_id], |row| row.get(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(ids)
}

fn updates(conn: &Connection, maintenance_id: &str) -> Result<Vec<MaintenanceUpdate>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, state, details, channels, author, at
         FROM maintenance_updates WHERE maintenance_id = ?1 ORDER BY seq",
    )?;
    let rows = stmt.query_map([maintenance_id], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, String>(3)?,
            row.get::<_, String>(4)?,
            row.get::<_, i64>(5)?,
        ))
    })?;
    rows.map(|row| {
        let (id, state, details, channels, author, at) = row?;
        Ok(MaintenanceUpdate {
            id,
            state: from_name(&state)?,
            details,
            channels: from_json(&channels)?,
            author,
            at: from_ts(at)?,
        })
    })
    .collect()
}

/// The SQL for each filter mirrors `Maintenance::is_upcoming`, `is_active` and `is_past`.
pub fn list(
    conn: &Connection,
    page_id: &str,
    query: &MaintenanceQuery,
    now: Timestamp,
) -> Result<Vec<Maintenance>> {
    let now = ts(now);
    let (filter, args): (&str, &[&dyn ToSql]) = match query.filter {
        MaintenanceFilter::All => ("", &[]),
        MaintenanceFilter::Upcoming => ("AND state = 'scheduled' AND ends_at > ?5", &[&now]),
        MaintenanceFilter::Active => ("AND state IN ('in_progress', 'verifying')", &[]),
        MaintenanceFilter::Past => (
            "AND (state IN ('completed', 'cancelled') OR (state = 'scheduled' AND ends_at <= ?5))",
            &[&now],
        ),
    };
    let listing = Listing {
        what: WHAT,
        table: "maintenance_windows",
        key: "starts_at",
        filter,
    };
    listing
        .ids(conn, page_id, args, query.before.as_deref(), query.limit)?
        .iter()
        .map(|id| get(conn, page_id, id))
        .collect()
}

/// What the active windows hold, by the core's rule: each affected location under maintenance.
pub fn holds(conn: &Connection, page_id: &str) -> Result<Vec<(Id, StatusLevel)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM maintenance_windows WHERE page_id = ?1 AND state IN ('in_progress', 'verifying')",
    )?;
    let ids = stmt
        .query_map([page_id], |row| row.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut holds = Vec::new();
    for id in ids {
        let window = get(conn, page_id, &id)?;
        holds.extend(window.holds().map(|a| (a.location_id, a.level)));
    }
    Ok(holds)
}
