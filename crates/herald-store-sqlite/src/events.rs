//! The audit log.
use herald_core::event::Event;
use herald_store::sql::Tx;
use herald_store::{Change, EventQuery, EventRecord, Result, args};
use jiff::Timestamp;

use super::codec::{from_ts, ts};

pub fn append(
    tx: &dyn Tx,
    page_id: Option<&str>,
    actor: &str,
    now: Timestamp,
    event: &Event,
) -> Result<()> {
    let before = event.before.as_ref().map(|v| v.to_string());
    let after = event.after.as_ref().map(|v| v.to_string());
    tx.execute(
        "INSERT INTO events (page_id, at, actor, kind, subject_type, subject_id, note, before, after)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        args![
            page_id,
            ts(now),
            actor,
            event.kind.name(),
            event.subject_type(),
            event.subject_id,
            event.note,
            before,
            after
        ],
    )?;
    Ok(())
}

pub fn append_all(
    tx: &dyn Tx,
    page_id: Option<&str>,
    actor: &str,
    now: Timestamp,
    events: &[Event],
) -> Result<()> {
    events
        .iter()
        .try_for_each(|event| append(tx, page_id, actor, now, event))
}

pub fn list(tx: &dyn Tx, query: &EventQuery) -> Result<Vec<EventRecord>> {
    tx.query(
        "SELECT id, page_id, at, actor, kind, subject_type, subject_id, note, before, after
         FROM events WHERE id > ?1 AND (?2 IS NULL OR page_id = ?2) ORDER BY id LIMIT ?3",
        args![query.after, query.page_id, query.limit],
        |row| {
            let json = |column| -> Result<Option<serde_json::Value>> {
                let text: Option<String> = row.get(column)?;
                Ok(text.map(|s| serde_json::from_str(&s)).transpose()?)
            };
            Ok(EventRecord {
                id: row.get(0)?,
                page_id: row.get(1)?,
                at: from_ts(row.get(2)?)?,
                actor: row.get(3)?,
                kind: row.get(4)?,
                subject_type: row.get(5)?,
                subject_id: row.get(6)?,
                note: row.get(7)?,
                before: json(8)?,
                after: json(9)?,
            })
        },
    )
}

pub fn changes(tx: &dyn Tx, after: i64, limit: u32) -> Result<Vec<Change>> {
    tx.query(
        "SELECT id, page_id, kind, subject_type, subject_id FROM events
         WHERE id > ?1 ORDER BY id LIMIT ?2",
        args![after, limit],
        |row| {
            Ok(Change {
                id: row.get(0)?,
                page_id: row.get(1)?,
                kind: row.get(2)?,
                subject_type: row.get(3)?,
                subject_id: row.get(4)?,
            })
        },
    )
}

pub fn last_id(tx: &dyn Tx) -> Result<i64> {
    tx.query_one("SELECT COALESCE(MAX(id), 0) FROM events", args![], |row| {
        row.get(0)
    })
}
