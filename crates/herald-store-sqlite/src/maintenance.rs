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

use super::codec::{from_json, from_name, from_opt_ts, from_ts, json, name, ts};
use super::incidents::context;
use super::listing::Listing;
use super::{cadence, components, delivery, events, pages};
use herald_store::sql::{ToValue, Tx};
use herald_store::{Lease, MaintenanceFilter, MaintenanceQuery, Result, StoreError, args, new_id};

const WHAT: &str = "maintenance window";

pub fn schedule(
    tx: &dyn Tx,
    actor: &str,
    page: &Page,
    new: NewMaintenance,
    now: Timestamp,
) -> Result<Maintenance> {
    let locations = components::page_locations(tx, &page.id)?;
    let decision = maintenance::schedule(
        context(page, &locations),
        new_id(),
        new_id(),
        new,
        actor,
        now,
    )?;
    commit(tx, actor, page, None, decision, 0, now)
}

pub fn post_update(
    tx: &dyn Tx,
    actor: &str,
    page: &Page,
    id: &str,
    draft: MaintenanceDraft,
    now: Timestamp,
) -> Result<Maintenance> {
    let current = get(tx, &page.id, id)?;
    let decision = maintenance::post_update(&current, new_id(), draft, actor, now)?;
    commit_change(tx, actor, page, &current, decision, now)
}

pub fn reschedule(
    tx: &dyn Tx,
    actor: &str,
    page: &Page,
    id: &str,
    times: Reschedule,
    now: Timestamp,
) -> Result<Maintenance> {
    let current = get(tx, &page.id, id)?;
    let decision = maintenance::reschedule(&current, page, new_id(), times, actor, now)?;
    commit_change(tx, actor, page, &current, decision, now)
}

pub fn set_automation(
    tx: &dyn Tx,
    actor: &str,
    page: &Page,
    id: &str,
    enabled: bool,
    now: Timestamp,
) -> Result<Maintenance> {
    let current = get(tx, &page.id, id)?;
    let decision = maintenance::set_automation(&current, enabled, now)?;
    commit_change(tx, actor, page, &current, decision, now)
}

pub fn set_reminders(
    tx: &dyn Tx,
    actor: &str,
    page: &Page,
    id: &str,
    reminders: Vec<u32>,
    now: Timestamp,
) -> Result<Maintenance> {
    let current = get(tx, &page.id, id)?;
    let decision = maintenance::set_reminders(&current, reminders, now)?;
    commit_change(tx, actor, page, &current, decision, now)
}

pub fn delete(tx: &dyn Tx, actor: &str, page: &Page, id: &str, now: Timestamp) -> Result<()> {
    let current = get(tx, &page.id, id)?;
    tx.execute("DELETE FROM maintenance_windows WHERE id = ?1", args![id])?;
    events::append(
        tx,
        Some(&page.id),
        actor,
        now,
        &maintenance::delete(&current),
    )
}

/// [`commit`] for a change to a maintenance already stored.
fn commit_change(
    tx: &dyn Tx,
    actor: &str,
    page: &Page,
    current: &Maintenance,
    decision: Decision,
    now: Timestamp,
) -> Result<Maintenance> {
    commit(
        tx,
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
    tx: &dyn Tx,
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
    save(tx, &decision.maintenance, persisted_updates)?;
    arm(tx, &decision.maintenance, now)?;
    let due = |m: &Maintenance| m.next_update_due(page.settings.maintenance_cadence);
    cadence::follow(
        tx,
        page,
        Subject::Maintenance,
        &decision.maintenance.id,
        (before.and_then(due), due(&decision.maintenance)),
        decision.maintenance.updates.len() > persisted_updates,
        now,
    )?;
    events::append_all(tx, Some(&page.id), actor, now, &decision.events)?;
    announce(tx, page, &decision.events, &decision.maintenance, now)?;
    Ok(decision.maintenance)
}

/// Puts the window's jobs in line with it, in the transaction that changed it: a start or an
/// end at the planned time when automation is on, and the current plan's reminders that are
/// still ahead. A reminder already queued for the same plan keeps its row (it may be due this
/// very moment); one of an earlier plan, one no longer asked for, or any for a window no
/// longer scheduled, goes.
fn arm(tx: &dyn Tx, m: &Maintenance, now: Timestamp) -> Result<()> {
    // Dialect: `json_each` walks a JSON array in SQLite (`= ANY` over an array elsewhere).
    tx.execute("DELETE FROM jobs WHERE maintenance_id = ?1
         AND (kind IN ('maintenance_start', 'maintenance_end') OR plan_sequence IS DISTINCT FROM ?2 OR ?3
              OR (kind = 'maintenance_reminder' AND offset_mins NOT IN (SELECT value FROM json_each(?4))))", args![
        m.id,
        m.sequence,
        m.state != MaintenanceState::Scheduled,
        json(&m.reminders)?
    ])?;
    let insert = "INSERT INTO jobs (kind, due_at, page_id, maintenance_id, offset_mins, plan_sequence, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING";
    let transition = match m.state {
        MaintenanceState::Scheduled => Some(("maintenance_start", m.starts_at)),
        s if s.is_active() => Some(("maintenance_end", m.ends_at)),
        _ => None,
    };
    if let Some((kind, at)) = transition.filter(|_| m.automation) {
        tx.execute(
            insert,
            args![
                kind,
                ts(at),
                m.page_id,
                m.id,
                None::<u32>,
                None::<u32>,
                ts(now)
            ],
        )?;
    }
    for (mins, at) in m.reminders_due().filter(|(_, at)| *at > now) {
        if !reminded(tx, m, mins)? {
            let kind = "maintenance_reminder";
            tx.execute(
                insert,
                args![kind, ts(at), m.page_id, m.id, mins, m.sequence, ts(now)],
            )?;
        }
    }
    Ok(())
}

fn reminded(tx: &dyn Tx, m: &Maintenance, mins: u32) -> Result<bool> {
    let sent = tx.exists(
        "SELECT 1 FROM maintenance_reminders_sent
             WHERE maintenance_id = ?1 AND plan_sequence = ?2 AND offset_mins = ?3",
        args![m.id, m.sequence, mins],
    )?;
    Ok(sent)
}

/// Carries out a due maintenance job in one transaction: starts or completes the window, or
/// sends a reminder, unless the window changed meanwhile so the job no longer applies (the
/// change re-armed its jobs; this row is then gone or moot). Returns whether it did anything.
pub fn run_job(tx: &dyn Tx, lease: Lease, now: Timestamp) -> Result<bool> {
    super::delivery::hold(tx, lease)?;
    let job = tx.query_opt(
        "SELECT kind, page_id, maintenance_id, offset_mins, plan_sequence FROM jobs WHERE id = ?1",
        args![lease.job],
        |row| {
            Ok((
                row.get::<String>(0)?,
                row.get::<String>(1)?,
                row.get::<Option<String>>(2)?,
                row.get::<Option<u32>>(3)?,
                row.get::<Option<u32>>(4)?,
            ))
        },
    )?;
    let Some((kind, page_id, Some(maintenance_id), offset, plan)) = job else {
        return Ok(false);
    };
    super::delivery::finish(tx, lease)?;
    let page = pages::get(tx, &page_id)?;
    let m = get(tx, &page_id, &maintenance_id)?;
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
            return remind(tx, &page, &m, mins, plan, now);
        }
        _ => return Ok(false),
    };
    commit_change(tx, AUTOMATION_ACTOR, &page, &m, decision, now)?;
    Ok(true)
}

/// Sends the reminder `mins` before the start of plan `plan`, once: not if the window moved or
/// started meanwhile, nor when a later reminder is due as well (Herald was down through both;
/// the later one says the same, closer to the start).
fn remind(
    tx: &dyn Tx,
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
    let fresh = tx.execute("INSERT INTO maintenance_reminders_sent (maintenance_id, plan_sequence, offset_mins, sent_at)
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING", args![m.id, plan, mins, ts(now)])?
        == 1;
    if !(applies && fresh) || superseded {
        return Ok(false);
    }
    let event = maintenance::reminder(m, mins, now);
    events::append(tx, Some(&page.id), AUTOMATION_ACTOR, now, &event)?;
    announce(tx, page, &[event], m, now)?;
    Ok(true)
}

/// Queues the broadcasts the events call for, with the window as published.
fn announce(
    tx: &dyn Tx,
    page: &Page,
    events: &[Event],
    window: &Maintenance,
    now: Timestamp,
) -> Result<()> {
    let locations = components::page_locations(tx, &page.id)?;
    let ctx = context(page, &locations);
    delivery::announce(tx, ctx, events, window, now, |kind, locations| {
        broadcast::for_maintenance(kind, window, locations, &page.settings.lint)
    })
}

fn save(tx: &dyn Tx, m: &Maintenance, persisted_updates: usize) -> Result<()> {
    tx.execute("INSERT INTO maintenance_windows (id, page_id, title, state, starts_at, ends_at, automation, sequence,
                                          created_at, updated_at, started_at, ended_at, reminders)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (id) DO UPDATE SET title = ?3, state = ?4, starts_at = ?5, ends_at = ?6, automation = ?7,
             sequence = ?8, updated_at = ?10, started_at = ?11, ended_at = ?12, reminders = ?13", args![
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
    tx.execute(
        "DELETE FROM maintenance_locations WHERE maintenance_id = ?1",
        args![&m.id],
    )?;
    let insert_location = "INSERT INTO maintenance_locations (maintenance_id, location_id, position) VALUES (?1, ?2, ?3)";
    for (position, location) in m.affected.iter().enumerate() {
        tx.execute(insert_location, args![m.id, location, position as i64])?;
    }
    let insert_update = "INSERT INTO maintenance_updates (id, maintenance_id, seq, state, details, channels, author, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
    for (seq, update) in m.updates.iter().enumerate().skip(persisted_updates) {
        tx.execute(
            insert_update,
            args![
                update.id,
                m.id,
                seq as i64,
                name(&update.state)?,
                update.details,
                json(&update.channels)?,
                update.author,
                ts(update.at),
            ],
        )?;
    }
    Ok(())
}

pub fn get(tx: &dyn Tx, page_id: &str, id: &str) -> Result<Maintenance> {
    let row = tx
        .query_opt(
            "SELECT id, page_id, title, state, starts_at, ends_at, automation, sequence,
                    created_at, updated_at, started_at, ended_at, reminders
             FROM maintenance_windows WHERE id = ?1 AND page_id = ?2",
            args![id, page_id],
            |row| {
                Ok((
                    row.get::<String>(0)?,
                    row.get::<String>(1)?,
                    row.get::<String>(2)?,
                    row.get::<String>(3)?,
                    row.get::<i64>(4)?,
                    row.get::<i64>(5)?,
                    row.get::<bool>(6)?,
                    row.get::<u32>(7)?,
                    row.get::<i64>(8)?,
                    row.get::<i64>(9)?,
                    row.get::<Option<i64>>(10)?,
                    row.get::<Option<i64>>(11)?,
                    row.get::<String>(12)?,
                ))
            },
        )?
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
        affected: affected(tx, &id)?,
        updates: updates(tx, &id)?,
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

fn affected(tx: &dyn Tx, maintenance_id: &str) -> Result<Vec<Id>> {
    let ids = tx.query(
        "SELECT location_id FROM maintenance_locations WHERE maintenance_id = ?1 ORDER BY position",
        args![maintenance_id],
        |row| row.get(0),
    )?;
    Ok(ids)
}

fn updates(tx: &dyn Tx, maintenance_id: &str) -> Result<Vec<MaintenanceUpdate>> {
    let rows = tx.query(
        "SELECT id, state, details, channels, author, at
         FROM maintenance_updates WHERE maintenance_id = ?1 ORDER BY seq",
        args![maintenance_id],
        |row| {
            Ok((
                row.get::<String>(0)?,
                row.get::<String>(1)?,
                row.get::<String>(2)?,
                row.get::<String>(3)?,
                row.get::<String>(4)?,
                row.get::<i64>(5)?,
            ))
        },
    )?;
    rows.into_iter()
        .map(|(id, state, details, channels, author, at)| {
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
    tx: &dyn Tx,
    page_id: &str,
    query: &MaintenanceQuery,
    now: Timestamp,
) -> Result<Vec<Maintenance>> {
    let (listing, takes_now) = listing(query.filter);
    let now = ts(now);
    let args: &[&dyn ToValue] = if takes_now { &[&now] } else { &[] };
    listing
        .ids(tx, page_id, args, query.before.as_deref(), query.limit)?
        .iter()
        .map(|id| get(tx, page_id, id))
        .collect()
}

/// The id of every window `list` would list, latest planned start first, without reading them.
pub fn ids(
    tx: &dyn Tx,
    page_id: &str,
    filter: MaintenanceFilter,
    now: Timestamp,
) -> Result<Vec<Id>> {
    let (listing, takes_now) = listing(filter);
    let now = ts(now);
    let args: &[&dyn ToValue] = if takes_now { &[&now] } else { &[] };
    listing.every_id(tx, page_id, args)
}

/// The window a Status.io maintenance message id (one of its updates' ids) belongs to.
pub fn by_update(tx: &dyn Tx, page_id: &str, update_id: &str) -> Result<Maintenance> {
    let window_id: String = tx
        .query_opt(
            "SELECT u.maintenance_id FROM maintenance_updates u
             JOIN maintenance_windows w ON w.id = u.maintenance_id
             WHERE u.id = ?1 AND w.page_id = ?2",
            args![update_id, page_id],
            |row| row.get(0),
        )?
        .ok_or_else(|| StoreError::not_found("message", update_id))?;
    get(tx, page_id, &window_id)
}

/// What the active windows hold, by the core's rule: each affected location under maintenance.
pub fn holds(tx: &dyn Tx, page_id: &str) -> Result<Vec<(Id, StatusLevel)>> {
    let ids = tx.query("SELECT id FROM maintenance_windows WHERE page_id = ?1 AND state IN ('in_progress', 'verifying')", args![page_id], |row| row.get::<String>(0))?;
    let mut holds = Vec::new();
    for id in ids {
        let window = get(tx, page_id, &id)?;
        holds.extend(window.holds().map(|a| (a.location_id, a.level)));
    }
    Ok(holds)
}
