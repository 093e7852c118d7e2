//! Pages.
use herald_core::page::{self, Page, PageFields};
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::codec::{from_json, from_ts, json, ts};
use super::events;
use herald_store::{PagePatch, Result, StoreError, new_id};

const COLUMNS: &str = "id, slug, name, time_zone, settings, created_at, updated_at";

pub fn create(conn: &Connection, actor: &str, fields: PageFields, now: Timestamp) -> Result<Page> {
    let (page, event) = page::create(new_id(), fields, now)?;
    ensure_free(conn, &page)?;
    conn.execute(
        &format!("INSERT INTO pages ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
        params![
            page.id,
            page.slug,
            page.name,
            page.time_zone,
            json(&page.settings)?,
            ts(now),
            ts(now)
        ],
    )?;
    events::append(conn, Some(&page.id), actor, now, &event)?;
    Ok(page)
}

pub fn update(
    conn: &Connection,
    actor: &str,
    key: &str,
    patch: PagePatch,
    now: Timestamp,
) -> Result<Page> {
    let before = get(conn, key)?;
    let fields = PageFields {
        slug: patch.slug.unwrap_or_else(|| before.slug.clone()),
        name: patch.name.unwrap_or_else(|| before.name.clone()),
        time_zone: patch.time_zone.unwrap_or_else(|| before.time_zone.clone()),
        settings: patch.settings.unwrap_or_else(|| before.settings.clone()),
    };
    let (after, event) = page::update(&before, fields, now)?;
    ensure_free(conn, &after)?;
    conn.execute(
        "UPDATE pages SET slug = ?2, name = ?3, time_zone = ?4, settings = ?5, updated_at = ?6 WHERE id = ?1",
        params![after.id, after.slug, after.name, after.time_zone, json(&after.settings)?, ts(now)],
    )?;
    events::append(conn, Some(&after.id), actor, now, &event)?;
    Ok(after)
}

/// No other page has the page's slug (or an id equal to it) or its host name.
fn ensure_free(conn: &Connection, page: &Page) -> Result<()> {
    ensure_slug_free(conn, &page.slug, &page.id)?;
    ensure_host_free(conn, page.settings.host.as_deref(), &page.id)
}

fn ensure_slug_free(conn: &Connection, slug: &str, except: &str) -> Result<()> {
    // Pages are looked up by id or slug, so a slug must not be another page's id either.
    let taken: Option<String> = conn
        .query_row(
            "SELECT id FROM pages WHERE (slug = ?1 OR id = ?1) AND id <> ?2 LIMIT 1",
            params![slug, except],
            |row| row.get(0),
        )
        .optional()?;
    match taken {
        Some(_) => Err(StoreError::Conflict(format!(
            "a page with slug or id {slug:?} already exists; choose another slug"
        ))),
        None => Ok(()),
    }
}

fn ensure_host_free(conn: &Connection, host: Option<&str>, except: &str) -> Result<()> {
    let Some(host) = host else { return Ok(()) };
    let taken: Option<String> = conn
        .query_row(
            "SELECT slug FROM pages WHERE json_extract(settings, '$.host') = ?1 AND id <> ?2 LIMIT 1",
            params![host, except],
            |row| row.get(0),
        )
        .optional()?;
    match taken {
        Some(slug) => Err(StoreError::Conflict(format!(
            "the host {host:?} already serves the page {slug:?}; a host name can serve one page"
        ))),
        None => Ok(()),
    }
}

/// A page by id or slug.
pub fn get(conn: &Connection, key: &str) -> Result<Page> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM pages WHERE id = ?1 OR slug = ?1"
    ))?
    .query_row([key], read)
    .optional()?
    .ok_or_else(|| StoreError::not_found("page", key))?
}

pub fn list(conn: &Connection) -> Result<Vec<Page>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM pages ORDER BY created_at, id"
    ))?;
    let rows = stmt.query_map([], read)?;
    rows.map(|row| row?).collect()
}

fn read(row: &Row) -> rusqlite::Result<Result<Page>> {
    let settings: String = row.get(4)?;
    let created: i64 = row.get(5)?;
    let updated: i64 = row.get(6)?;
    let (id, slug, name, time_zone) = (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
    Ok((|| {
        Ok(Page {
            id,
            slug,
            name,
            time_zone,
            settings: from_json(&settings)?,
            created_at: from_ts(created)?,
            updated_at: from_ts(updated)?,
        })
    })())
}
