//! The audit log.
use herald_core::event::Event;
use jiff::Timestamp;
use rusqlite::{Connection, params};

use super::codec::{from_ts, ts};
use herald_store::{Change, EventQuery, EventRecord, Result};

pub fn append(
    conn: &Connection,
    page_id: Option<&str>,
    actor: &str,
    now: Timestamp,
    event: &Event,
) -> Result<()> {
    let before = event.before.as_ref().map(|v| v.to_string());
    let after = event.after.as_ref().map(|v| v.to_string());
    conn.prepare_cached(
        "INSERT INTO events (page_id, at, actor, kind, subject_type, subject_id, note, before, after)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        page_id,
        ts(now),
        actor,
        event.kind.name(),
        event.subject_type(),
        event.subject_id,
        event.note,
        before,
        after
    ])?;
    Ok(())
}

pub fn append_all(
    conn: &Connection,
    page_id: Option<&str>,
    actor: &str,
    now: Timestamp,
    events: &[Event],
) -> Result<()> {
    events
        .iter()
        .try_for_each(|event| append(conn, page_id, actor, now, event))
}

pub fn list(conn: &Connection, query: &EventQuery) -> Result<Vec<EventRecord>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, page_id, at, actor, kind, subject_type, subject_id, note, before, after
         FROM events WHERE id > ?1 AND (?2 IS NULL OR page_id = ?2) ORDER BY id LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![query.after, query.page_id, query.limit], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, Option<String>>(1)?,
            row.get::<_, i64>(2)?,
            row.get::<_, String>(3)?,
            row.get::<_, String>(4)?,
            row.get::<_, String>(5)?,
            row.get::<_, String>(6)?,
            row.get::<_, Option<String>>(7)?,
            row.get::<_, Option<String>>(8)?,
            row.get::<_, Option<String>>(9)?,
        ))
    })?;
    rows.map(|row| {
        let (id, page_id, at, actor, kind, subject_type, subject_id, note, before, after) = row?;
        Ok(EventRecord {
            id,
            page_id,
            at: from_ts(at)?,
            actor,
            kind,
            subject_type,
            subject_id,
            note,
            before: before.map(|s| serde_json::from_str(&s)).transpose()?,
            after: after.map(|s| serde_json::from_str(&s)).transpose()?,
        })
    })
    .collect()
}

pub fn changes(conn: &Connection, after: i64, limit: u32) -> Result<Vec<Change>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, page_id, kind, subject_type, subject_id FROM events
         WHERE id > ?1 ORDER BY id LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![after, limit], |row| {
        Ok(Change {
            id: row.get(0)?,
            page_id: row.get(1)?,
            kind: row.get(2)?,
            subject_type: row.get(3)?,
            subject_id: row.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn last_id(conn: &Connection) -> Result<i64> {
    Ok(
        conn.query_row("SELECT COALESCE(MAX(id), 0) FROM events", [], |row| {
            row.get(0)
        })?,
    )
}
