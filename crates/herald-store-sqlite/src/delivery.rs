//! Broadcasts and the job table. Publishing writes one broadcast row and one fan-out job,
//! whatever the number of subscribers; the walk over the subscribers records each batch's
//! results together with its cursor, and only deliveries that are not settled get rows.
use std::collections::HashMap;

use herald_core::broadcast::BroadcastDraft;
use herald_core::component::Location;
use herald_core::event::{Event, EventKind};
use herald_core::incident::PageContext;
use herald_core::page::Page;
use herald_core::subscriber::Channel;
use jiff::Timestamp;
use serde::Serialize;

use super::codec::{from_json, from_name, from_opt_ts, from_ts, json, name, ts};
use super::subscribers;
use herald_store::sql::{Row, Tx};
use herald_store::{
    BatchRecord, Broadcast, ChannelReport, DeliveryReport, Job, JobKind, Lease, Outcome, Recipient,
    RecipientOutcome, RecipientPage, RecipientQuery, Result, Settled, StoreError, Target, args,
    new_id,
};

/// Queues the broadcast each committed event calls for (`draft_for` asks the rules, about
/// the page's locations), with a snapshot of the item as published.
pub fn announce<T: Serialize>(
    tx: &dyn Tx,
    ctx: PageContext,
    events: &[Event],
    item: &T,
    now: Timestamp,
    draft_for: impl Fn(EventKind, &[Location]) -> Option<BroadcastDraft>,
) -> Result<()> {
    for event in events {
        if let Some(draft) = draft_for(event.kind, ctx.locations) {
            queue(tx, ctx.page, draft, serde_json::to_string(item)?, now)?;
        }
    }
    Ok(())
}

/// Writes a broadcast with its fan-out job, due at once.
fn queue(
    tx: &dyn Tx,
    page: &Page,
    draft: BroadcastDraft,
    snapshot: String,
    now: Timestamp,
) -> Result<()> {
    let id = new_id();
    tx.execute("INSERT INTO broadcasts (id, page_id, event, subject, subject_id, update_id, channels, components,
                                 skipped, snapshot, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)", args![
        id,
        page.id,
        draft.event,
        name(&draft.subject)?,
        draft.subject_id,
        draft.update_id,
        json(&draft.channels)?,
        json(&draft.components)?,
        json(&draft.skipped)?,
        snapshot,
        ts(now)
    ])?;
    for c in &draft.channels {
        tx.execute(
            "INSERT INTO broadcast_channels (broadcast_id, channel) VALUES (?1, ?2)",
            args![id, c.name()],
        )?;
    }
    tx.execute("INSERT INTO jobs (kind, due_at, page_id, broadcast_id, created_at) VALUES ('fanout', ?1, ?2, ?3, ?1)", args![ts(now), page.id, id])?;
    Ok(())
}

/// Takes up to `limit` due jobs under a new lease, moving each one's due time to `lease_until`.
pub fn claim(tx: &dyn Tx, now: Timestamp, limit: u32, lease_until: Timestamp) -> Result<Vec<Job>> {
    let token: i64 = rand::random();
    let rows = tx.query("UPDATE jobs SET due_at = ?3, lease = ?4
         WHERE id IN (SELECT id FROM jobs WHERE due_at <= ?1 ORDER BY due_at, id LIMIT ?2)
         RETURNING id, kind, page_id, broadcast_id, subscriber_id, channel, cursor, attempts, note, due_at", args![ts(now), limit, ts(lease_until), token], |row| {
        Ok((
            row.get::<i64>(0)?,
            row.get::<String>(1)?,
            row.get::<String>(2)?,
            row.get::<Option<String>>(3)?,
            row.get::<Option<String>>(4)?,
            row.get::<Option<String>>(5)?,
            row.get::<Option<String>>(6)?,
            row.get::<u32>(7)?,
            row.get::<Option<String>>(8)?,
            row.get::<i64>(9)?,
        ))
    })?;
    let mut jobs = Vec::new();
    for row in rows {
        let (id, kind, page_id, broadcast_id, subscriber_id, channel, cursor, attempts, note, due) =
            row;
        jobs.push(Job {
            lease: Lease { job: id, token },
            kind: from_name::<JobKind>(&kind)?,
            page_id,
            broadcast_id,
            subscriber_id,
            channel: channel.as_deref().map(from_name).transpose()?,
            cursor,
            attempts,
            note,
            due_at: from_ts(due)?,
        });
    }
    jobs.sort_by_key(|j| j.lease.job);
    Ok(jobs)
}

pub fn get(tx: &dyn Tx, id: &str) -> Result<Broadcast> {
    let row = tx.query_opt("SELECT id, page_id, event, subject, subject_id, update_id, channels, components, skipped,
                    snapshot, created_at, fanned_out_at
             FROM broadcasts WHERE id = ?1", args![id], |row| {
            Ok((
                (
                    row.get::<String>(0)?,
                    row.get::<String>(1)?,
                    row.get::<String>(2)?,
                    row.get::<String>(3)?,
                    row.get::<String>(4)?,
                    row.get::<Option<String>>(5)?,
                ),
                (
                    row.get::<String>(6)?,
                    row.get::<String>(7)?,
                    row.get::<String>(8)?,
                    row.get::<String>(9)?,
                    row.get::<i64>(10)?,
                    row.get::<Option<i64>>(11)?,
                ),
            ))
        })?
        .ok_or_else(|| StoreError::not_found("broadcast", id))?;
    let ((id, page_id, event, subject, subject_id, update_id), rest) = row;
    let (channels, components, skipped, snapshot, created_at, fanned_out_at) = rest;
    Ok(Broadcast {
        id,
        page_id,
        event,
        subject: from_name(&subject)?,
        subject_id,
        update_id,
        channels: from_json(&channels)?,
        components: from_json(&components)?,
        skipped: from_json(&skipped)?,
        snapshot,
        created_at: from_ts(created_at)?,
        fanned_out_at: from_opt_ts(fanned_out_at)?,
    })
}

/// What a delivery reads of a subscriber; see [`read_target`].
const TARGET_COLUMNS: &str =
    "s.id, s.channel, s.address, s.format, s.state, s.failing_since, s.secret, s.previous_secret,
     s.previous_until";

/// The next `limit` active subscribers after `after` that the broadcast is for: on a chosen
/// channel, and not limited to components it does not touch.
pub fn batch(
    tx: &dyn Tx,
    broadcast: &Broadcast,
    after: Option<&str>,
    limit: u32,
    now: Timestamp,
) -> Result<Vec<Target>> {
    // The limit is written into the statement: SQLite prepares a statement again whenever
    // a bound LIMIT changes, and this one runs once per batch.
    // Dialect: `json_each` walks a JSON array in SQLite (`= ANY` over an array elsewhere).
    let sql = format!(
        "SELECT {TARGET_COLUMNS} FROM subscribers s
         WHERE s.page_id = ?1 AND s.state = 'active' AND s.id > ?2
           AND s.channel IN (SELECT value FROM json_each(?3))
           AND (NOT EXISTS (SELECT 1 FROM subscriber_components sc WHERE sc.subscriber_id = s.id)
                OR EXISTS (SELECT 1 FROM subscriber_components sc
                           WHERE sc.subscriber_id = s.id
                             AND sc.component_id IN (SELECT value FROM json_each(?4))))
         ORDER BY s.id LIMIT {limit}"
    );
    tx.query(
        &sql,
        args![
            broadcast.page_id,
            // Every id sorts after "", and a plain range lets the index find the cursor.
            after.unwrap_or(""),
            json(&broadcast.channels)?,
            json(&broadcast.components)?,
        ],
        |row| read_target(row, now),
    )
}

/// One subscriber, to send a single delivery to; none when it is gone.
pub fn target(tx: &dyn Tx, subscriber_id: &str, now: Timestamp) -> Result<Option<Target>> {
    let sql = format!("SELECT {TARGET_COLUMNS} FROM subscribers s WHERE s.id = ?1");
    tx.query_opt(&sql, args![subscriber_id], |row| read_target(row, now))
}

/// A row in [`TARGET_COLUMNS`] order. The secrets are those that sign now: the current one,
/// and the previous one during a rotation.
fn read_target(row: &dyn Row, now: Timestamp) -> Result<Target> {
    let name_at = |column| -> Result<String> { row.get(column) };
    let current: Option<String> = row.get(6)?;
    let previous: Option<String> = row.get(7)?;
    let until: Option<i64> = row.get(8)?;
    let previous = previous.filter(|_| until.is_some_and(|u| u > ts(now)));
    Ok(Target {
        id: row.get(0)?,
        channel: from_name(&name_at(1)?)?,
        address: row.get(2)?,
        format: from_name(&name_at(3)?)?,
        state: from_name(&name_at(4)?)?,
        failing_since: from_opt_ts(row.get(5)?)?,
        secrets: current.into_iter().chain(previous).collect(),
    })
}

/// Records a fan-out batch with its cursor, in one transaction: what was settled, what was
/// handed off to rows of its own, and where the walk resumes (or that it ended).
pub fn record_batch(tx: &dyn Tx, batch: &BatchRecord, now: Timestamp) -> Result<()> {
    let BatchRecord {
        lease,
        broadcast_id,
        cursor,
        settled,
        handed_off,
        lease_until,
    } = batch;
    // A worker whose lease ran out records nothing: the job's new holder sends from the
    // cursor this one last recorded.
    hold(tx, *lease)?;
    let channels = settled
        .iter()
        .map(|s| s.channel)
        .chain(handed_off.iter().map(|h| h.channel));
    add_counts(tx, broadcast_id, "matched", channels)?;
    // A batch's deliveries are first attempts: none of them has a job row yet.
    settle(tx, broadcast_id, settled, JobRows::None, now)?;
    let insert =
        "INSERT INTO jobs (kind, due_at, page_id, broadcast_id, subscriber_id, channel, created_at)
         SELECT 'delivery', ?1, page_id, id, ?2, ?3, ?4 FROM broadcasts WHERE id = ?5
         ON CONFLICT DO NOTHING";
    for h in handed_off {
        tx.execute(
            insert,
            args![
                ts(h.due_at),
                h.subscriber_id,
                h.channel.name(),
                ts(now),
                broadcast_id
            ],
        )?;
        record_outcome(
            tx,
            broadcast_id,
            &h.subscriber_id,
            (RecipientOutcome::Queued, None),
            now,
        )?;
    }
    match lease_until {
        Some(until) => {
            tx.execute(
                "UPDATE jobs SET cursor = ?2, due_at = ?3 WHERE id = ?1",
                args![lease.job, cursor, ts(*until)],
            )?;
        }
        None => {
            tx.execute("DELETE FROM jobs WHERE id = ?1", args![lease.job])?;
            tx.execute(
                "UPDATE broadcasts SET fanned_out_at = ?2 WHERE id = ?1",
                args![broadcast_id, ts(now)],
            )?;
        }
    }
    Ok(())
}

/// Books the outcome of a delivery that ran from a job row of its own (a retry or a
/// hand-off).
pub fn settle_one(
    tx: &dyn Tx,
    broadcast_id: &str,
    settled: &Settled,
    now: Timestamp,
) -> Result<()> {
    settle(
        tx,
        broadcast_id,
        std::slice::from_ref(settled),
        JobRows::Maybe,
        now,
    )
}

/// Whether settled deliveries may have job rows to remove once delivered.
#[derive(Clone, Copy, PartialEq)]
enum JobRows {
    None,
    Maybe,
}

/// Books deliveries' outcomes: counters, the subscribers' failure streaks, and job rows (a
/// retry gets one; a delivered or given-up delivery loses it). Successes, nearly all of a
/// fan-out, are booked a few statements per batch rather than per delivery.
fn settle(
    tx: &dyn Tx,
    broadcast_id: &str,
    settled: &[Settled],
    rows: JobRows,
    now: Timestamp,
) -> Result<()> {
    let delivered: Vec<&Settled> = settled
        .iter()
        .filter(|s| s.outcome == Outcome::Delivered)
        .collect();
    if !delivered.is_empty() {
        add_counts(
            tx,
            broadcast_id,
            "delivered",
            delivered.iter().map(|s| s.channel),
        )?;
        let failing: Vec<&Settled> = delivered.iter().copied().filter(|s| s.failing).collect();
        if !failing.is_empty() {
            tx.execute(
                "UPDATE subscribers SET failing_since = NULL
                 WHERE id IN (SELECT value FROM json_each(?1)) AND failing_since IS NOT NULL",
                args![id_list(&failing)?],
            )?;
        }
        let ids = id_list(&delivered)?;
        if rows == JobRows::Maybe {
            tx.execute(
                "DELETE FROM jobs WHERE kind = 'delivery' AND broadcast_id = ?1
                 AND subscriber_id IN (SELECT value FROM json_each(?2))",
                args![broadcast_id, &ids],
            )?;
            // Queued or retrying before; now delivered.
            tx.execute(
                "DELETE FROM deliveries WHERE broadcast_id = ?1 AND outcome < ?3
                 AND subscriber_id IN (SELECT value FROM json_each(?2))",
                args![broadcast_id, ids, RecipientOutcome::Delivered.code()],
            )?;
        }
        // One statement for the batch's successes, however many.
        tx.execute(
            "INSERT INTO deliveries (broadcast_id, outcome, subscriber_id, at)
             SELECT ?1, ?2, value, ?3 FROM json_each(?4) WHERE true
             ON CONFLICT DO NOTHING",
            args![
                broadcast_id,
                RecipientOutcome::Delivered.code(),
                ts(now),
                ids
            ],
        )?;
    }
    for s in settled.iter().filter(|s| s.outcome != Outcome::Delivered) {
        settle_failure(tx, broadcast_id, s, now)?;
    }
    Ok(())
}

/// The subscribers' ids as a JSON array, for `json_each`. Dialect: the settling statements
/// walk it with SQLite's `json_each` (`= ANY` over an array elsewhere).
fn id_list(settled: &[&Settled]) -> Result<String> {
    json(&settled.iter().map(|s| &s.subscriber_id).collect::<Vec<_>>())
}

fn settle_failure(tx: &dyn Tx, broadcast_id: &str, s: &Settled, now: Timestamp) -> Result<()> {
    let channel = s.channel.name();
    let subscriber = &s.subscriber_id;
    match &s.outcome {
        // Booked with the batch's other successes.
        Outcome::Delivered => {}
        Outcome::Retry { at, error } => {
            note_error(tx, broadcast_id, channel, error, now)?;
            streak(tx, subscriber, now)?;
            let retrying = (RecipientOutcome::Retrying, Some(error.as_str()));
            record_outcome(tx, broadcast_id, subscriber, retrying, now)?;
            tx.execute("INSERT INTO jobs (kind, due_at, attempts, page_id, broadcast_id, subscriber_id, channel,
                                   last_error, created_at)
                 SELECT 'delivery', ?1, 1, page_id, id, ?2, ?3, ?4, ?5 FROM broadcasts WHERE id = ?6
                 ON CONFLICT (broadcast_id, subscriber_id) WHERE kind = 'delivery'
                 DO UPDATE SET due_at = excluded.due_at, attempts = attempts + 1,
                               last_error = excluded.last_error", args![
                ts(*at),
                subscriber,
                channel,
                error,
                ts(now),
                broadcast_id
            ])?;
        }
        Outcome::Failed { error, disable } => {
            add_counts(tx, broadcast_id, "failed", [s.channel])?;
            note_error(tx, broadcast_id, channel, error, now)?;
            streak(tx, subscriber, now)?;
            delete_delivery(tx, broadcast_id, subscriber)?;
            let failed = (RecipientOutcome::Failed, Some(error.as_str()));
            record_outcome(tx, broadcast_id, subscriber, failed, now)?;
            if *disable {
                subscribers::disable(tx, subscriber, error, now)?;
            }
        }
    }
    Ok(())
}

/// Records where one recipient stands, replacing what was recorded for it before.
fn record_outcome(
    tx: &dyn Tx,
    broadcast_id: &str,
    subscriber_id: &str,
    (outcome, error): (RecipientOutcome, Option<&str>),
    now: Timestamp,
) -> Result<()> {
    tx.execute("DELETE FROM deliveries WHERE broadcast_id = ?1 AND outcome IN (0, 1, 2, 3) AND subscriber_id = ?2", args![broadcast_id, subscriber_id])?;
    tx.execute("INSERT INTO deliveries (broadcast_id, outcome, subscriber_id, error, at) VALUES (?1, ?2, ?3, ?4, ?5)", args![
        broadcast_id,
        outcome.code(),
        subscriber_id,
        error,
        ts(now)
    ])?;
    Ok(())
}

/// A page of a broadcast's recipients, failures first; `after` is the `next` cursor of the
/// page before (`OUTCOME:SUBSCRIBER`).
pub fn recipients(
    tx: &dyn Tx,
    page_id: &str,
    broadcast_id: &str,
    query: &RecipientQuery,
) -> Result<RecipientPage> {
    let b = get(tx, broadcast_id)?;
    if b.page_id != page_id {
        return Err(StoreError::not_found("broadcast", broadcast_id));
    }
    let (after_outcome, after_id) = match query.after.as_deref() {
        None => (-1, String::new()),
        Some(cursor) => cursor
            .split_once(':')
            .and_then(|(o, id)| Some((i64::from(o.parse::<u8>().ok()?), id.to_string())))
            .ok_or_else(|| {
                StoreError::Domain(herald_core::DomainError::invalid(
                    "after",
                    "not a cursor this list gave; use the `next` of the page before",
                ))
            })?,
    };
    let limit = query.limit;
    let channel = query.channel.map(|c| c.name());
    let rows = tx.query(
        "SELECT d.outcome, d.subscriber_id, d.error, d.at, s.channel, s.address, s.state,
                s.disabled_reason, j.attempts, j.due_at
         FROM deliveries d
         LEFT JOIN subscribers s ON s.id = d.subscriber_id
         LEFT JOIN jobs j ON j.kind = 'delivery' AND j.broadcast_id = d.broadcast_id
                         AND j.subscriber_id = d.subscriber_id
         WHERE d.broadcast_id = ?1 AND (d.outcome, d.subscriber_id) > (?2, ?3)
           AND (?4 IS NULL OR s.channel = ?4)
         ORDER BY d.outcome, d.subscriber_id LIMIT ?5",
        args![broadcast_id, after_outcome, after_id, channel, limit + 1],
        |row| {
            Ok((
                row.get::<u8>(0)?,
                row.get::<String>(1)?,
                row.get::<Option<String>>(2)?,
                row.get::<i64>(3)?,
                row.get::<Option<String>>(4)?,
                row.get::<Option<String>>(5)?,
                row.get::<Option<String>>(6)?,
                row.get::<Option<String>>(7)?,
                row.get::<Option<u32>>(8)?,
                row.get::<Option<i64>>(9)?,
            ))
        },
    )?;
    let mut recipients = Vec::new();
    for row in rows {
        let (outcome, id, error, at, channel, address, state, reason, attempts, due) = row;
        let outcome = RecipientOutcome::from_code(outcome).ok_or_else(|| {
            StoreError::Internal(format!(
                "delivery outcome {outcome} is not one Herald writes"
            ))
        })?;
        let retrying = outcome == RecipientOutcome::Retrying;
        recipients.push(Recipient {
            subscriber_id: id,
            channel: channel.as_deref().map(from_name).transpose()?,
            address,
            outcome,
            error,
            at: from_ts(at)?,
            attempts: attempts.unwrap_or_default(),
            next_attempt_at: from_opt_ts(due.filter(|_| retrying))?,
            subscriber_state: state.as_deref().map(from_name).transpose()?,
            disabled_reason: reason,
        });
    }
    let next = match recipients.len() > limit as usize {
        true => {
            recipients.truncate(limit as usize);
            recipients
                .last()
                .map(|r| format!("{}:{}", r.outcome.code(), r.subscriber_id))
        }
        false => None,
    };
    Ok(RecipientPage {
        broadcast_id: b.id,
        event: b.event,
        subject: b.subject,
        subject_id: b.subject_id,
        update_id: b.update_id,
        recipients,
        next,
    })
}

/// Adds one to `column` of each channel's counters per item of `channels`.
fn add_counts(
    tx: &dyn Tx,
    broadcast_id: &str,
    column: &str,
    channels: impl IntoIterator<Item = Channel>,
) -> Result<()> {
    let mut per_channel: HashMap<Channel, u64> = HashMap::new();
    for c in channels {
        *per_channel.entry(c).or_default() += 1;
    }
    let stmt = &format!(
        "UPDATE broadcast_channels SET {column} = {column} + ?3 WHERE broadcast_id = ?1 AND channel = ?2"
    );
    for (channel, n) in per_channel {
        tx.execute(stmt, args![broadcast_id, channel.name(), n])?;
    }
    Ok(())
}

fn note_error(
    tx: &dyn Tx,
    broadcast_id: &str,
    channel: &str,
    error: &str,
    now: Timestamp,
) -> Result<()> {
    tx.execute("UPDATE broadcast_channels SET last_error = ?3, last_error_at = ?4 WHERE broadcast_id = ?1 AND channel = ?2", args![broadcast_id, channel, error, ts(now)])?;
    Ok(())
}

/// The subscriber has been failing since its first failure after its last success.
fn streak(tx: &dyn Tx, subscriber_id: &str, now: Timestamp) -> Result<()> {
    tx.execute(
        "UPDATE subscribers SET failing_since = ?2 WHERE id = ?1 AND failing_since IS NULL",
        args![subscriber_id, ts(now)],
    )?;
    Ok(())
}

fn delete_delivery(tx: &dyn Tx, broadcast_id: &str, subscriber_id: &str) -> Result<()> {
    tx.execute(
        "DELETE FROM jobs WHERE kind = 'delivery' AND broadcast_id = ?1 AND subscriber_id = ?2",
        args![broadcast_id, subscriber_id],
    )?;
    Ok(())
}

/// Fails with [`StoreError::LeaseLost`] unless the job's row is still held under `lease`;
/// called before a transaction writes anything else about the job.
pub fn hold(tx: &dyn Tx, lease: Lease) -> Result<()> {
    let held = tx.exists(
        "SELECT 1 FROM jobs WHERE id = ?1 AND lease = ?2",
        args![lease.job, lease.token],
    )?;
    match held {
        true => Ok(()),
        false => Err(StoreError::LeaseLost { job: lease.job }),
    }
}

/// A job done (or moot, its subscriber gone).
pub fn finish(tx: &dyn Tx, lease: Lease) -> Result<()> {
    let deleted = tx.execute(
        "DELETE FROM jobs WHERE id = ?1 AND lease = ?2",
        args![lease.job, lease.token],
    )?;
    held_if(deleted, lease)
}

/// A job to try again at `at`, unclaimed until then.
pub fn retry(tx: &dyn Tx, lease: Lease, at: Timestamp, error: &str) -> Result<()> {
    let updated = tx.execute(
        "UPDATE jobs SET due_at = ?3, attempts = attempts + 1, last_error = ?4, lease = NULL
             WHERE id = ?1 AND lease = ?2",
        args![lease.job, lease.token, ts(at), error],
    )?;
    held_if(updated, lease)
}

fn held_if(rows: usize, lease: Lease) -> Result<()> {
    match rows {
        0 => Err(StoreError::LeaseLost { job: lease.job }),
        _ => Ok(()),
    }
}

/// Every broadcast about an incident or window, oldest first, with how far each channel got.
pub fn report(tx: &dyn Tx, page_id: &str, subject_id: &str) -> Result<Vec<DeliveryReport>> {
    let ids: Vec<String> = tx.query(
        "SELECT id FROM broadcasts WHERE subject_id = ?1 AND page_id = ?2 ORDER BY created_at, id",
        args![subject_id, page_id],
        |row| row.get(0),
    )?;
    ids.iter().map(|id| report_one(tx, id)).collect()
}

/// The page's disabled subscribers of a channel: read through an index of the disabled alone,
/// so a report costs the same with 100 subscribers or 100,000.
const DISABLED: &str =
    "SELECT COUNT(*) FROM subscribers WHERE page_id = ?1 AND channel = ?2 AND state = 'disabled'";

fn report_one(tx: &dyn Tx, id: &str) -> Result<DeliveryReport> {
    let b = get(tx, id)?;
    let fanned_out = b.fanned_out_at.is_some();
    let pending =
        "SELECT COUNT(*) FILTER (WHERE attempts = 0), COUNT(*) FILTER (WHERE attempts > 0)
         FROM jobs WHERE broadcast_id = ?1 AND kind = 'delivery' AND channel = ?2";
    let counters =
        "SELECT matched, delivered, failed, last_error, last_error_at FROM broadcast_channels
         WHERE broadcast_id = ?1 AND channel = ?2";
    let mut channels = Vec::new();
    for channel in &b.channels {
        let disabled: u64 =
            tx.query_one(DISABLED, args![b.page_id, channel.name()], |r| r.get(0))?;
        let (queued, retrying): (u64, u64) =
            tx.query_one(pending, args![id, channel.name()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        let (matched, delivered, failed, last_error, last_error_at) =
            tx.query_one(counters, args![id, channel.name()], |r| {
                Ok((
                    r.get::<u64>(0)?,
                    r.get::<u64>(1)?,
                    r.get::<u64>(2)?,
                    r.get::<Option<String>>(3)?,
                    r.get::<Option<i64>>(4)?,
                ))
            })?;
        channels.push(ChannelReport {
            channel: *channel,
            status: status(fanned_out, matched, queued, retrying, failed, disabled).into(),
            matched,
            queued,
            delivered,
            retrying,
            failed,
            disabled,
            last_error,
            last_error_at: from_opt_ts(last_error_at)?,
        });
    }
    Ok(DeliveryReport {
        broadcast_id: b.id,
        event: b.event,
        subject_id: b.subject_id,
        update_id: b.update_id,
        created_at: b.created_at,
        fanned_out,
        channels,
        skipped: b.skipped,
    })
}

/// The worst news first: a lead must see a failure even while other deliveries still run.
fn status(
    fanned_out: bool,
    matched: u64,
    queued: u64,
    retrying: u64,
    failed: u64,
    disabled: u64,
) -> &'static str {
    if failed > 0 {
        "failed"
    } else if retrying > 0 {
        "retrying"
    } else if queued > 0 || !fanned_out {
        "queued"
    } else if matched == 0 && disabled > 0 {
        "disabled"
    } else if matched == 0 {
        "no_subscribers"
    } else {
        "delivered"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations;

    #[test]
    fn a_report_counts_the_disabled_from_their_own_index() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        migrations::migrate(&mut conn).unwrap();
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {DISABLED}"))
            .unwrap()
            .query_map(["page", "webhook"], |row| row.get(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let plan = plan.join("\n");
        assert!(
            plan.contains("USING COVERING INDEX subscribers_disabled"),
            "{plan}"
        );
    }
}
