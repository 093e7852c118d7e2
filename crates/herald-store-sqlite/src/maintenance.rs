//! Maintenance windows: load what the rules need, let the core decide, persist the decision.
use herald_core::Id;
use herald_core::broadcast::{self, Subject};
use herald_core::event::Event;
use herald_core::maintenance::{
    self, AUTOMATION_ACTOR, Decision, Maintenance, MaintenanceDraft, MaintenanceState,
    MaintenanceUpdate, NewMaintenance, Reschedule,
};
use herald_core::page::Page;
use herald_core::status::StatusLevel;
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, ToSql, params};

use super::codec::{from_json, from_name, from_opt_ts, from_ts, json, name, ts};
use super::incidents::context;
use super::listing::Listing;
use super::{cadence, components, delivery, events, pages};
use herald_store::{Lease, MaintenanceFilter, MaintenanceQuery, Result, StoreError, new_id};

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
    commit(conn, actor, page, None, decision, 0, now)
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
    commit_change(conn, actor, page, &current, decision, now)
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
    commit_change(conn, actor, page, &current, decision, now)
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
    commit_change(conn, actor, page, &current, decision, now)
}

pub fn set_reminders(
    conn: &Connection,
    actor: &str,
    page: &Page,
    id: &str,
    reminders: Vec<u32>,
    now: Timestamp,
) -> Result<Maintenance> {
    let current = get(conn, &page.id, id)?;
    let decision = maintenance::set_reminders(&current, reminders, now)?;
    commit_change(conn, actor, page, &current, decision, now)
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

/// [`commit`] for a change to a maintenance already stored.
fn commit_change(
    conn: &Connection,
    actor: &str,
    page: &Page,
    current: &Maintenance,
    decision: Decision,
    now: Timestamp,
) -> Result<Maintenance> {
    commit(
        conn,
        actor,
        page,
        Some(current),
        decision,
        current.updates.len(),
        now,
    )
}

/// Persists what the rules decided (nothing, when they decided nothing changes): the window,
/// whose first `persisted_updates` updates are already stored, its jobs and cadence deadline,
/// then the audit events. `before` is the window before the change, if it existed.
fn commit(
    conn: &Connection,
    actor: &str,
    page: &Page,
    before: Option<&Maintenance>,
    decision: Decision,
    persisted_updates: usize,
    now: Timestamp,
) -> Result<Maintenance> {
    if decision.events.is_empty() {
        return Ok(decision.maintenance);
    }
    save(conn, &decision.maintenance, persisted_updates)?;
    arm(conn, &decision.maintenance, now)?;
    let due = |m: &Maintenance| m.next_update_due(page.settings.maintenance_cadence);
    cadence::follow(
        conn,
        page,
        Subject::Maintenance,
        &decision.maintenance.id,
        (before.and_then(due), due(&decision.maintenance)),
        decision.maintenance.updates.len() > persisted_updates,
        now,
    )?;
    events::append_all(conn, Some(&page.id), actor, now, &decision.events)?;
    announce(conn, page, &decision.events, &decision.maintenance, now)?;
    Ok(decision.maintenance)
}

/// Puts the window's jobs in line with it, in the transaction that changed it: a start or an
/// end at the planned time when automation is on, and the current plan's reminders that are
/// still ahead. A reminder already queued for the same plan keeps its row (it may be due this
/// very moment); one of an earlier plan, one no longer asked for, or any for a window no
/// longer scheduled, goes.
fn arm(conn: &Connection, m: &Maintenance, now: Timestamp) -> Result<()> {
    conn.prepare_cached(
        "DELETE FROM jobs WHERE maintenance_id = ?1
         AND (kind IN ('maintenance_start', 'maintenance_end') OR plan_sequence IS NOT ?2 OR ?3
              OR (kind = 'maintenance_reminder' AND offset_mins NOT IN (SELECT value FROM json_each(?4))))",
    )?
    .execute(params![
        m.id,
        m.sequence,
        m.state != MaintenanceState::Scheduled,
        json(&m.reminders)?
    ])?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO jobs (kind, due_at, page_id, maintenance_id, offset_mins, plan_sequence, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
    )?;
    let transition = match m.state {
        MaintenanceState::Scheduled => Some(("maintenance_start", m.starts_at)),
        s if s.is_active() => Some(("maintenance_end", m.ends_at)),
        _ => None,
    };
    if let Some((kind, at)) = transition.filter(|_| m.automation) {
        insert.execute(params![
            kind,
            ts(at),
            m.page_id,
            m.id,
            None::<u32>,
            None::<u32>,
            ts(now)
        ])?;
    }
    for (mins, at) in m.reminders_due().filter(|(_, at)| *at > now) {
        if !reminded(conn, m, mins)? {
            let kind = "maintenance_reminder";
            insert.execute(params![
                kind,
                ts(at),
                m.page_id,
                m.id,
                mins,
                m.sequence,
                ts(now)
            ])?;
        }
    }
    Ok(())
}

fn reminded(conn: &Connection, m: &Maintenance, mins: u32) -> Result<bool> {
    let sent = conn
        .prepare_cached(
            "SELECT 1 FROM maintenance_reminders_sent
             WHERE maintenance_id = ?1 AND plan_sequence = ?2 AND offset_mins = ?3",
        )?
        .exists(params![m.id, m.sequence, mins])?;
    Ok(sent)
}

/// Carries out a due maintenance job in one transaction: starts or completes the window, or
/// sends a reminder, unless the window changed meanwhile so the job no longer applies (the
/// change re-armed its jobs; this row is then gone or moot). Returns whether it did anything.
pub fn run_job(conn: &Connection, lease: Lease, now: Timestamp) -> Result<bool> {
    super::delivery::hold(conn, lease)?;
    let job = conn
        .prepare_cached(
            "SELECT kind, page_id, maintenance_id, offset_mins, plan_sequence FROM jobs WHERE id = ?1",
        )?
        .query_row([lease.job], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, Option<u32>>(3)?,
                row.get::<_, Option<u32>>(4)?,
            ))
        })
        .optional()?;
    let Some((kind, page_id, Some(maintenance_id), offset, plan)) = job else {
        return Ok(false);
    };
    super::delivery::finish(conn, lease)?;
    let page = pages::get(conn, &page_id)?;
    let m = get(conn, &page_id, &maintenance_id)?;
    let decision = match kind.as_str() {
        "maintenance_start" if m.automation && m.state == MaintenanceState::Scheduled => {
            maintenance::auto_start(&m, new_id(), now)?
        }
        "maintenance_end" if m.automation && m.is_active() => {
            maintenance::auto_complete(&m, new_id(), now)?
        }
        "maintenance_reminder" => {
            let (Some(mins), Some(plan)) = (offset, plan) else {
                return Ok(false);
            };
            return remind(conn, &page, &m, mins, plan, now);
        }
        _ => return Ok(false),
    };
    commit_change(conn, AUTOMATION_ACTOR, &page, &m, decision, now)?;
    Ok(true)
}

/// Sends the reminder `mins` before the start of plan `plan`, once: not if the window moved or
/// started meanwhile, nor when a later reminder is due as well (Herald was down through both;
/// the later one says the same, closer to the start).
fn remind(
    conn: &Connection,
    page: &Page,
    m: &Maintenance,
    mins: u32,
    plan: u32,
    now: Timestamp,
) -> Result<bool> {
    let superseded = m
        .reminders_due()
        .any(|(other, at)| other < mins && at <= now);
    let applies = m.state == MaintenanceState::Scheduled && m.sequence == plan && now < m.starts_at;
    let fresh = conn
        .prepare_cached(
            "INSERT INTO maintenance_reminders_sent (maintenance_id, plan_sequence, offset_mins, sent_at)
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
        )?
        .execute(params![m.id, plan, mins, ts(now)])?
        == 1;
    if !(applies && fresh) || superseded {
        return Ok(false);
    }
    let event = maintenance::reminder(m, mins, now);
    events::append(conn, Some(&page.id), AUTOMATION_ACTOR, now, &event)?;
    announce(conn, page, &[event], m, now)?;
    Ok(true)
}

/// Queues the broadcasts the events call for, with the window as published.
fn announce(
    conn: &Connection,
    page: &Page,
    events: &[Event],
    window: &Maintenance,
    now: Timestamp,
) -> Result<()> {
    let locations = components::page_locations(conn, &page.id)?;
    let ctx = context(page, &locations);
    delivery::announce(conn, ctx, events, window, now, |kind, locations| {
        broadcast::for_maintenance(kind, window, locations, &page.settings.lint)
    })
}

fn save(conn: &Connection, m: &Maintenance, persisted_updates: usize) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO maintenance_windows (id, page_id, title, state, starts_at, ends_at, automation, sequence,
                                          created_at, updated_at, started_at, ended_at, reminders)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (id) DO UPDATE SET title = ?3, state = ?4, starts_at = ?5, ends_at = ?6, automation = ?7,
             sequence = ?8, updated_at = ?10, started_at = ?11, ended_at = ?12, reminders = ?13",
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
        json(&m.reminders)?,
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
                    created_at, updated_at, started_at, ended_at, reminders
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
                row.get::<_, String>(12)?,
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
        reminders,
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
        reminders: from_json(&reminders)?,
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

/// The list of windows a filter selects, and whether its SQL takes `now` (as `?5`). The SQL
/// mirrors `Maintenance::is_upcoming`, `is_active` and `is_past`.
pub(crate) fn listing(filter: MaintenanceFilter) -> (Listing<'static>, bool) {
    let (filter, takes_now) = match filter {
        MaintenanceFilter::All => ("", false),
        MaintenanceFilter::Upcoming => ("AND state = 'scheduled' AND ends_at > ?5", true),
        MaintenanceFilter::Active => ("AND state IN ('in_progress', 'verifying')", false),
        MaintenanceFilter::Past => (
            "AND (state IN ('completed', 'cancelled') OR (state = 'scheduled' AND ends_at <= ?5))",
            true,
        ),
    };
    let listing = Listing {
        what: WHAT,
        table: "maintenance_windows",
        key: "starts_at",
        filter,
    };
    (listing, takes_now)
}

pub fn list(
    conn: &Connection,
    page_id: &str,
    query: &MaintenanceQuery,
    now: Timestamp,
) -> Result<Vec<Maintenance>> {
    let (listing, takes_now) = listing(query.filter);
    let now = ts(now);
    let args: &[&dyn ToSql] = if takes_now { &[&now] } else { &[] };
    listing
        .ids(conn, page_id, args, query.before.as_deref(), query.limit)?
        .iter()
        .map(|id| get(conn, page_id, id))
        .collect()
}

/// The id of every window `list` would list, latest planned start first, without reading them.
pub fn ids(
    conn: &Connection,
    page_id: &str,
    filter: MaintenanceFilter,
    now: Timestamp,
) -> Result<Vec<Id>> {
    let (listing, takes_now) = listing(filter);
    let now = ts(now);
    let args: &[&dyn ToSql] = if takes_now { &[&now] } else { &[] };
    listing.every_id(conn, page_id, args)
}

/// The window a Status.io maintenance message id (one of its updates' ids) belongs to.
pub fn by_update(conn: &Connection, page_id: &str, update_id: &str) -> Result<Maintenance> {
    let window_id: String = conn
        .query_row(
            "SELECT u.maintenance_id FROM maintenance_updates u
             JOIN maintenance_windows w ON w.id = u.maintenance_id
             WHERE u.id = ?1 AND w.page_id = ?2",
            params![update_id, page_id],
            |row| row.get(0),
        )
        .optional()?
        .ok_or_else(|| StoreError::not_found("message", update_id))?;
    get(conn, page_id, &window_id)
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
