//! Incidents: load the state the rules need, let the core decide, persist what it decided.
use herald_core::Id;
use herald_core::broadcast::{self, Subject};
use herald_core::cadence::next_update_due;
use herald_core::component::Location;
use herald_core::incident::{
    self, AffectedLocation, Decision, Incident, IncidentEdit, NewIds, NewIncident, PageContext,
    RecentIncident, Severity, Update, UpdateCorrection, UpdateDraft,
};
use herald_core::page::Page;
use herald_core::preview::{self, Preview};
use herald_core::status::StatusLevel;
use jiff::Timestamp;

use super::codec::{from_json, from_name, from_opt_ts, from_ts, json, name, ts};
use super::listing::Listing;
use super::{cadence, components, delivery, events};
use herald_store::sql::{ToValue, Tx};
use herald_store::{
    IncidentFilter, IncidentQuery, IncidentSearch, Result, StoreError, args, new_id,
};

pub(super) fn context<'a>(page: &'a Page, locations: &'a [Location]) -> PageContext<'a> {
    PageContext { page, locations }
}

pub fn create(
    tx: &dyn Tx,
    actor: &str,
    page: &Page,
    new: NewIncident,
    now: Timestamp,
) -> Result<Incident> {
    let locations = components::page_locations(tx, &page.id)?;
    let recent = recent(tx, &page.id, now)?;
    let ids = NewIds {
        incident: new_id(),
        update: new_id(),
    };
    let ctx = context(page, &locations);
    let decision = incident::create(ctx, &recent, ids, new, actor, now)?;
    commit(tx, actor, ctx, None, decision, 0, now)
}

pub fn post_update(
    tx: &dyn Tx,
    actor: &str,
    page: &Page,
    id: &str,
    draft: UpdateDraft,
    now: Timestamp,
) -> Result<Incident> {
    let current = get(tx, &page.id, id)?;
    let locations = components::page_locations(tx, &page.id)?;
    let ctx = context(page, &locations);
    let decision = incident::post_update(&current, ctx, new_id(), draft, actor, now)?;
    commit_change(tx, actor, ctx, &current, decision, now)
}

pub fn edit(
    tx: &dyn Tx,
    actor: &str,
    page: &Page,
    id: &str,
    edit: IncidentEdit,
    now: Timestamp,
) -> Result<Incident> {
    let current = get(tx, &page.id, id)?;
    let locations = components::page_locations(tx, &page.id)?;
    let ctx = context(page, &locations);
    let decision = incident::edit(&current, ctx, edit, now)?;
    commit_change(tx, actor, ctx, &current, decision, now)
}

/// Corrects a published update's text: the update row changes in place, with the incident,
/// the audit event and (when asked for) the correction's broadcast in the same transaction.
pub fn correct_update(
    tx: &dyn Tx,
    actor: &str,
    page: &Page,
    (id, update_id): (&str, &str),
    correction: UpdateCorrection,
    now: Timestamp,
) -> Result<Incident> {
    let current = get(tx, &page.id, id)?;
    if !current.updates.iter().any(|u| u.id == update_id) {
        return Err(StoreError::not_found("update", update_id));
    }
    let decision = incident::correct_update(&current, update_id, correction, now)?;
    if let Some(update) = decision.incident.updates.iter().find(|u| u.id == update_id) {
        tx.execute(
            "UPDATE incident_updates SET details = ?2, edited_at = ?3 WHERE id = ?1",
            args![update.id, update.details, update.edited_at.map(ts)],
        )?;
    }
    let locations = components::page_locations(tx, &page.id)?;
    let ctx = context(page, &locations);
    commit_change(tx, actor, ctx, &current, decision, now)
}

pub fn set_postmortem(
    tx: &dyn Tx,
    actor: &str,
    page: &Page,
    id: &str,
    url: &str,
    now: Timestamp,
) -> Result<Incident> {
    let current = get(tx, &page.id, id)?;
    let decision = incident::set_postmortem(&current, url, now)?;
    let locations = components::page_locations(tx, &page.id)?;
    let ctx = context(page, &locations);
    commit_change(tx, actor, ctx, &current, decision, now)
}

/// [`commit`] for a change to an incident already stored.
fn commit_change(
    tx: &dyn Tx,
    actor: &str,
    ctx: PageContext,
    current: &Incident,
    decision: Decision,
    now: Timestamp,
) -> Result<Incident> {
    commit(
        tx,
        actor,
        ctx,
        Some(current),
        decision,
        current.updates.len(),
        now,
    )
}

/// Persists what the rules decided: the incident (its first `persisted_updates` updates are
/// already stored), its cadence deadline, the audit events, and the broadcast a published
/// change calls for, about the page's locations as the rules saw them. `before` is the incident
/// before the change, if it existed.
fn commit(
    tx: &dyn Tx,
    actor: &str,
    ctx: PageContext,
    before: Option<&Incident>,
    decision: Decision,
    persisted_updates: usize,
    now: Timestamp,
) -> Result<Incident> {
    let page = ctx.page;
    save(tx, &decision.incident, persisted_updates)?;
    let due = |i: &Incident| next_update_due(&page.settings.cadence, i);
    cadence::follow(
        tx,
        page,
        Subject::Incident,
        &decision.incident.id,
        (before.and_then(due), due(&decision.incident)),
        decision.incident.updates.len() > persisted_updates,
        now,
    )?;
    events::append_all(tx, Some(&page.id), actor, now, &decision.events)?;
    let incident = &decision.incident;
    delivery::announce(
        tx,
        ctx,
        &decision.events,
        incident,
        now,
        |kind, locations| broadcast::for_incident(kind, incident, locations, &page.settings.lint),
    )?;
    Ok(decision.incident)
}

pub fn delete(tx: &dyn Tx, actor: &str, page: &Page, id: &str, now: Timestamp) -> Result<()> {
    let current = get(tx, &page.id, id)?;
    tx.execute("DELETE FROM incidents WHERE id = ?1", args![id])?;
    events::append(tx, Some(&page.id), actor, now, &incident::delete(&current))
}

pub fn preview_create(
    tx: &dyn Tx,
    actor: &str,
    page: &Page,
    new: NewIncident,
    now: Timestamp,
) -> Result<Preview> {
    let locations = components::page_locations(tx, &page.id)?;
    let recent = recent(tx, &page.id, now)?;
    Ok(preview::create(
        context(page, &locations),
        &recent,
        new,
        actor,
        now,
    )?)
}

pub fn preview_update(
    tx: &dyn Tx,
    actor: &str,
    page: &Page,
    id: &str,
    draft: UpdateDraft,
    now: Timestamp,
) -> Result<Preview> {
    let current = get(tx, &page.id, id)?;
    let locations = components::page_locations(tx, &page.id)?;
    Ok(preview::update(
        &current,
        context(page, &locations),
        draft,
        actor,
        now,
    )?)
}

/// Resolved severity 2 and 3 incidents closed within the repeat window, or about to close.
fn recent(tx: &dyn Tx, page_id: &str, now: Timestamp) -> Result<Vec<RecentIncident>> {
    let since = now
        .checked_sub(incident::REPEAT_WINDOW)
        .unwrap_or(Timestamp::MIN);
    let rows = tx.query(
        "SELECT id, severity, closed_at FROM incidents
         WHERE page_id = ?1 AND closed_at >= ?2 AND severity IN (2, 3)",
        args![page_id, ts(since)],
        |row| Ok((row.get::<String>(0)?, row.get::<u8>(1)?, row.get::<i64>(2)?)),
    )?;
    rows.into_iter()
        .map(|(id, severity, closed_at)| {
            Ok(RecentIncident {
                id,
                severity: Severity::new(severity)?,
                closed_at: from_ts(closed_at)?,
            })
        })
        .collect()
}

/// Writes the incident row, its current locations, and the updates after the first
/// `persisted_updates` (the timeline only ever grows).
fn save(tx: &dyn Tx, incident: &Incident, persisted_updates: usize) -> Result<()> {
    tx.execute("INSERT INTO incidents (id, page_id, title, severity, severity_reason, state, postmortem_url, recurrences,
                                created_at, updated_at, resolved_at, closed_at, issue_link)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (id) DO UPDATE SET title = ?3, severity = ?4, severity_reason = ?5, state = ?6,
             postmortem_url = ?7, recurrences = ?8, updated_at = ?10, resolved_at = ?11, closed_at = ?12,
             issue_link = ?13", args![
        incident.id,
        incident.page_id,
        incident.title,
        incident.severity.get(),
        incident.severity_reason,
        name(&incident.state)?,
        incident.postmortem_url,
        incident.recurrences,
        ts(incident.created_at),
        ts(incident.updated_at),
        incident.resolved_at.map(ts),
        incident.closed_at().map(ts),
        incident.issue_link,
    ])?;
    tx.execute(
        "DELETE FROM incident_locations WHERE incident_id = ?1",
        args![&incident.id],
    )?;
    let insert_location = "INSERT INTO incident_locations (incident_id, location_id, position, level) VALUES (?1, ?2, ?3, ?4)";
    for (position, affected) in incident.affected.iter().enumerate() {
        tx.execute(
            insert_location,
            args![
                incident.id,
                affected.location_id,
                position as i64,
                name(&affected.level)?
            ],
        )?;
    }
    let insert_update = "INSERT INTO incident_updates (id, incident_id, seq, state, details, levels, subject, channels, author, at, next_update_in)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
    for (seq, update) in incident.updates.iter().enumerate().skip(persisted_updates) {
        tx.execute(
            insert_update,
            args![
                update.id,
                incident.id,
                seq as i64,
                name(&update.state)?,
                update.details,
                json(&update.levels)?,
                update.subject,
                json(&update.channels)?,
                update.author,
                ts(update.at),
                update.next_update_in,
            ],
        )?;
    }
    Ok(())
}

pub fn get(tx: &dyn Tx, page_id: &str, id: &str) -> Result<Incident> {
    let row = tx.query_opt("SELECT id, page_id, title, severity, severity_reason, state, postmortem_url, recurrences,
                    created_at, updated_at, resolved_at, issue_link
             FROM incidents WHERE id = ?1 AND page_id = ?2", args![id, page_id], |row| {
            Ok((
                row.get::<String>(0)?,
                row.get::<String>(1)?,
                row.get::<String>(2)?,
                row.get::<u8>(3)?,
                row.get::<Option<String>>(4)?,
                row.get::<String>(5)?,
                row.get::<Option<String>>(6)?,
                row.get::<u32>(7)?,
                row.get::<i64>(8)?,
                row.get::<i64>(9)?,
                row.get::<Option<i64>>(10)?,
                row.get::<Option<String>>(11)?,
            ))
        })?
        .ok_or_else(|| StoreError::not_found("incident", id))?;
    let (
        id,
        page_id,
        title,
        severity,
        severity_reason,
        state,
        postmortem_url,
        recurrences,
        created,
        updated,
        resolved,
        issue_link,
    ) = row;
    Ok(Incident {
        affected: affected(tx, &id)?,
        updates: updates(tx, &id)?,
        id,
        page_id,
        title,
        severity: Severity::new(severity)?,
        severity_reason,
        state: from_name(&state)?,
        postmortem_url,
        issue_link,
        recurrences,
        created_at: from_ts(created)?,
        updated_at: from_ts(updated)?,
        resolved_at: from_opt_ts(resolved)?,
    })
}

fn affected(tx: &dyn Tx, incident_id: &str) -> Result<Vec<AffectedLocation>> {
    let rows = tx.query("SELECT location_id, level FROM incident_locations WHERE incident_id = ?1 ORDER BY position", args![incident_id], |row| {
        Ok((row.get::<String>(0)?, row.get::<String>(1)?))
    })?;
    rows.into_iter()
        .map(|(location_id, level)| {
            Ok(AffectedLocation {
                location_id,
                level: from_name(&level)?,
            })
        })
        .collect()
}

fn updates(tx: &dyn Tx, incident_id: &str) -> Result<Vec<Update>> {
    let rows = tx.query("SELECT id, state, details, levels, subject, channels, author, at, next_update_in, edited_at
         FROM incident_updates WHERE incident_id = ?1 ORDER BY seq", args![incident_id], |row| {
        Ok((
            row.get::<String>(0)?,
            row.get::<String>(1)?,
            row.get::<String>(2)?,
            row.get::<String>(3)?,
            row.get::<String>(4)?,
            row.get::<String>(5)?,
            row.get::<String>(6)?,
            row.get::<i64>(7)?,
            row.get::<Option<u32>>(8)?,
            row.get::<Option<i64>>(9)?,
        ))
    })?;
    rows.into_iter()
        .map(
            |(
                id,
                state,
                details,
                levels,
                subject,
                channels,
                author,
                at,
                next_update_in,
                edited,
            )| {
                Ok(Update {
                    id,
                    state: from_name(&state)?,
                    details,
                    levels: from_json(&levels)?,
                    subject,
                    channels: from_json(&channels)?,
                    author,
                    at: from_ts(at)?,
                    next_update_in,
                    edited_at: from_opt_ts(edited)?,
                })
            },
        )
        .collect()
}

pub(crate) fn listing(filter: IncidentFilter) -> Listing<'static> {
    let filter = match filter {
        IncidentFilter::All => "",
        IncidentFilter::Active => "AND state <> 'resolved'",
        IncidentFilter::Resolved => "AND state = 'resolved'",
    };
    Listing {
        what: "incident",
        table: "incidents",
        key: "created_at",
        filter,
    }
}

pub fn list(tx: &dyn Tx, page_id: &str, query: &IncidentQuery) -> Result<Vec<Incident>> {
    listing(query.filter)
        .ids(tx, page_id, &[], query.before.as_deref(), query.limit)?
        .iter()
        .map(|id| get(tx, page_id, id))
        .collect()
}

/// The incidents a search finds: each filter a condition on the listing (parameters `?5`
/// onwards), each word a case-insensitive match in the title or in one of the updates.
pub fn search(tx: &dyn Tx, page_id: &str, search: &IncidentSearch) -> Result<Vec<Incident>> {
    let mut filter = String::new();
    let mut args: Vec<Box<dyn ToValue>> = Vec::new();
    let mut condition = |sql: &str, arg: Box<dyn ToValue>| {
        args.push(arg);
        filter.push_str(&sql.replace("?N", &format!("?{}", args.len() + 4)));
    };
    if let Some(state) = &search.state {
        condition(" AND state = ?N", Box::new(name(state)?));
    }
    if let Some(severity) = search.severity {
        condition(" AND severity = ?N", Box::new(severity.get()));
    }
    if let Some(component) = &search.component {
        condition(
            " AND EXISTS (SELECT 1 FROM incident_locations il JOIN locations l ON l.id = il.location_id
                          WHERE il.incident_id = incidents.id AND l.component_id = ?N)",
            Box::new(component.clone()),
        );
    }
    if let Some(from) = search.from {
        condition(" AND created_at >= ?N", Box::new(ts(from)));
    }
    if let Some(until) = search.until {
        condition(" AND created_at < ?N", Box::new(ts(until)));
    }
    for word in search.words() {
        let mut pattern = String::from("%");
        for c in word.chars() {
            if matches!(c, '\\' | '%' | '_') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        // Dialect: SQLite's LIKE ignores ASCII case (PostgreSQL's ILIKE does).
        condition(
            r" AND (title LIKE ?N ESCAPE '\' OR EXISTS (SELECT 1 FROM incident_updates u
                    WHERE u.incident_id = incidents.id AND u.details LIKE ?N ESCAPE '\'))",
            Box::new(pattern),
        );
    }
    let args: Vec<&dyn ToValue> = args.iter().map(|a| a.as_ref()).collect();
    let listing = Listing {
        filter: &filter,
        ..listing(IncidentFilter::All)
    };
    listing
        .ids(tx, page_id, &args, search.before.as_deref(), search.limit)?
        .iter()
        .map(|id| get(tx, page_id, id))
        .collect()
}

/// The id of every incident `list` would list, newest first, without reading them.
pub fn ids(tx: &dyn Tx, page_id: &str, filter: IncidentFilter) -> Result<Vec<Id>> {
    listing(filter).every_id(tx, page_id, &[])
}

pub fn by_update(tx: &dyn Tx, page_id: &str, update_id: &str) -> Result<Incident> {
    let incident_id: String = tx
        .query_opt(
            "SELECT u.incident_id FROM incident_updates u JOIN incidents i ON i.id = u.incident_id
             WHERE u.id = ?1 AND i.page_id = ?2",
            args![update_id, page_id],
            |row| row.get(0),
        )?
        .ok_or_else(|| StoreError::not_found("message", update_id))?;
    get(tx, page_id, &incident_id)
}

/// What the active incidents hold: each location with its level, once per incident.
pub fn holds(tx: &dyn Tx, page_id: &str) -> Result<Vec<(Id, StatusLevel)>> {
    tx.query("SELECT il.location_id, il.level FROM incident_locations il JOIN incidents i ON i.id = il.incident_id
         WHERE i.page_id = ?1 AND i.state <> 'resolved'", args![page_id], |row| {
        Ok((row.get::<String>(0)?, row.get::<String>(1)?))
    })?
    .into_iter()
    .map(|(location, level)| Ok((location, from_name(&level)?)))
    .collect()
}
