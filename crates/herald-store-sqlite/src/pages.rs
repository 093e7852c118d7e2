//! Pages.
use herald_core::page::{self, Page, PageFields};
use herald_store::sql::{Row, Tx};
use herald_store::{PagePatch, Result, StoreError, args, new_id};
use jiff::Timestamp;

use super::codec::{from_json, from_ts, json, ts};
use super::events;

const COLUMNS: &str = "id, slug, name, time_zone, settings, created_at, updated_at";

pub fn create(tx: &dyn Tx, actor: &str, fields: PageFields, now: Timestamp) -> Result<Page> {
    let (page, event) = page::create(new_id(), fields, now)?;
    ensure_free(tx, &page)?;
    tx.execute(
        &format!("INSERT INTO pages ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
        args![
            page.id,
            page.slug,
            page.name,
            page.time_zone,
            json(&page.settings)?,
            ts(now),
            ts(now)
        ],
    )?;
    events::append(tx, Some(&page.id), actor, now, &event)?;
    Ok(page)
}

pub fn update(
    tx: &dyn Tx,
    actor: &str,
    key: &str,
    patch: PagePatch,
    now: Timestamp,
) -> Result<Page> {
    let before = get(tx, key)?;
    let fields = PageFields {
        slug: patch.slug.unwrap_or_else(|| before.slug.clone()),
        name: patch.name.unwrap_or_else(|| before.name.clone()),
        time_zone: patch.time_zone.unwrap_or_else(|| before.time_zone.clone()),
        settings: patch.settings.unwrap_or_else(|| before.settings.clone()),
    };
    let (after, event) = page::update(&before, fields, now)?;
    ensure_free(tx, &after)?;
    tx.execute(
        "UPDATE pages SET slug = ?2, name = ?3, time_zone = ?4, settings = ?5, updated_at = ?6 WHERE id = ?1",
        args![after.id, after.slug, after.name, after.time_zone, json(&after.settings)?, ts(now)],
    )?;
    events::append(tx, Some(&after.id), actor, now, &event)?;
    Ok(after)
}

/// No other page has the page's slug (or an id equal to it) or its host name.
fn ensure_free(tx: &dyn Tx, page: &Page) -> Result<()> {
    // Pages are looked up by id or slug, so a slug must not be another page's id either.
    let slug = &page.slug;
    let taken = tx.exists(
        "SELECT 1 FROM pages WHERE (slug = ?1 OR id = ?1) AND id <> ?2",
        args![slug, page.id],
    )?;
    if taken {
        return Err(StoreError::Conflict(format!(
            "a page with slug or id {slug:?} already exists; choose another slug"
        )));
    }
    let Some(host) = page.settings.host.as_deref() else {
        return Ok(());
    };
    // An installation has a handful of pages; their settings are read whole anyway.
    let others = list(tx)?;
    match others
        .iter()
        .find(|p| p.id != page.id && p.settings.host.as_deref() == Some(host))
    {
        Some(other) => Err(StoreError::Conflict(format!(
            "the host {host:?} already serves the page {:?}; a host name can serve one page",
            other.slug
        ))),
        None => Ok(()),
    }
}

/// A page by id or slug.
pub fn get(tx: &dyn Tx, key: &str) -> Result<Page> {
    let sql = format!("SELECT {COLUMNS} FROM pages WHERE id = ?1 OR slug = ?1");
    tx.query_opt(&sql, args![key], read)?
        .ok_or_else(|| StoreError::not_found("page", key))
}

pub fn list(tx: &dyn Tx) -> Result<Vec<Page>> {
    let sql = format!("SELECT {COLUMNS} FROM pages ORDER BY created_at, id");
    tx.query(&sql, args![], read)
}

fn read(row: &dyn Row) -> Result<Page> {
    let settings: String = row.get(4)?;
    Ok(Page {
        id: row.get(0)?,
        slug: row.get(1)?,
        name: row.get(2)?,
        time_zone: row.get(3)?,
        settings: from_json(&settings)?,
        created_at: from_ts(row.get(5)?)?,
        updated_at: from_ts(row.get(6)?)?,
    })
}
