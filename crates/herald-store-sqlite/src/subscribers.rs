//! Subscribers: who a page's broadcasts go to. Every change is audited; a webhook's signing
//! secret is returned only by the call that makes it.
use herald_core::Id;
use herald_core::page::Page;
use herald_core::subscriber::{
    self, Channel, NewSubscriber, Subscriber, SubscriberState, WebhookFormat,
};
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::codec::{from_name, from_opt_ts, from_ts, name, ts};
use super::{components, events, pages};
use herald_store::ids::new_webhook_secret;
use herald_store::{
    CreatedSubscriber, MAX_LIST_LIMIT, Result, StoreError, SubscribeRequest, SubscriberPatch,
    SubscriberQuery, new_id,
};

const COLUMNS: &str =
    "id, page_id, channel, address, format, state, disabled_reason, failing_since,
                       created_at, confirmed_at, updated_at";

pub fn create(
    conn: &Connection,
    actor: &str,
    page: &Page,
    new: NewSubscriber,
    now: Timestamp,
) -> Result<CreatedSubscriber> {
    let locations = components::page_locations(conn, &page.id)?;
    let new = new.checked(&locations)?;
    if let Some(existing) = find(conn, &page.id, new.channel, &new.address)? {
        return Err(StoreError::Conflict(format!(
            "{} is already subscribed to this page by {} (id {}); update or remove that subscriber",
            existing.address,
            new.channel.name(),
            existing.id
        )));
    }
    let secret = (new.channel == Channel::Webhook).then(new_webhook_secret);
    let decision = subscriber::create(new_id(), &page.id, new, now);
    insert(conn, &decision.subscriber, secret.as_deref())?;
    let subscriber = save(conn, actor, now, decision)?;
    Ok(CreatedSubscriber {
        subscriber,
        secret,
        warnings: Vec::new(),
    })
}

/// The public subscribe form: a new address becomes a pending subscriber with a confirmation
/// email; asking again changes nothing but may resend that email.
pub fn request(
    conn: &Connection,
    page: &Page,
    address: String,
    components: Vec<Id>,
    now: Timestamp,
) -> Result<SubscribeRequest> {
    let new = NewSubscriber {
        channel: Channel::Email,
        address,
        format: WebhookFormat::Herald,
        components,
        confirmed: false,
    };
    let locations = components::page_locations(conn, &page.id)?;
    let new = new.checked(&locations)?;
    let Some(existing) = find(conn, &page.id, Channel::Email, &new.address)? else {
        let actor = format!("public:{}", new.address);
        let created = create(conn, &actor, page, new, now)?;
        return Ok(SubscribeRequest::Created(created.subscriber));
    };
    if existing.state != SubscriberState::Pending {
        return Ok(SubscribeRequest::Active(existing));
    }
    let last_sent: Option<i64> = conn.query_row(
        "SELECT confirm_sent_at FROM subscribers WHERE id = ?1",
        [&existing.id],
        |row| row.get(0),
    )?;
    if subscriber::resend_confirmation(from_opt_ts(last_sent)?, now) {
        queue_confirmation(conn, &existing, now)?;
    }
    Ok(SubscribeRequest::Pending(existing))
}

pub fn list(conn: &Connection, page_id: &str, query: &SubscriberQuery) -> Result<Vec<Subscriber>> {
    let channel = query.channel.map(|c| c.name());
    let limit = query.limit.clamp(1, MAX_LIST_LIMIT);
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM subscribers
         WHERE page_id = ?1 AND (?2 IS NULL OR channel = ?2) AND id > COALESCE(?3, '')
         ORDER BY id LIMIT ?4"
    ))?;
    let rows = stmt.query_map(params![page_id, channel, query.after, limit], read_row)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(with_components(conn, row??)?);
    }
    Ok(out)
}

/// A subscriber of the page; `page_id` None finds it on any page (its own links).
pub fn get(conn: &Connection, page_id: Option<&str>, id: &str) -> Result<Subscriber> {
    let found = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM subscribers WHERE id = ?1 AND (?2 IS NULL OR page_id = ?2)"
        ))?
        .query_row(params![id, page_id], read_row)
        .optional()?
        .transpose()?;
    let subscriber = found.ok_or_else(|| StoreError::not_found("subscriber", id))?;
    with_components(conn, subscriber)
}

pub fn update(
    conn: &Connection,
    actor: &str,
    page_id: &str,
    id: &str,
    patch: SubscriberPatch,
    now: Timestamp,
) -> Result<Subscriber> {
    let before = get(conn, Some(page_id), id)?;
    let locations = components::page_locations(conn, page_id)?;
    let asked = NewSubscriber {
        channel: before.channel,
        address: patch.address.unwrap_or_else(|| before.address.clone()),
        format: patch.format.unwrap_or(before.format),
        components: patch
            .components
            .unwrap_or_else(|| before.components.clone()),
        confirmed: false,
    }
    .checked(&locations)?;
    if asked.address != before.address
        && let Some(other) = find(conn, page_id, before.channel, &asked.address)?
    {
        return Err(StoreError::Conflict(format!(
            "{} is already subscribed (id {})",
            other.address, other.id
        )));
    }
    let decision = subscriber::update(&before, asked, now);
    let after = &decision.subscriber;
    conn.prepare_cached("UPDATE subscribers SET address = ?2, format = ?3 WHERE id = ?1")?
        .execute(params![id, after.address, name(&after.format)?])?;
    save_components(conn, id, &after.components)?;
    save(conn, actor, now, decision)
}

pub fn delete(
    conn: &Connection,
    actor: &str,
    page_id: &str,
    id: &str,
    now: Timestamp,
) -> Result<()> {
    let before = get(conn, Some(page_id), id)?;
    conn.execute("DELETE FROM subscribers WHERE id = ?1", [id])?;
    events::append(
        conn,
        Some(page_id),
        actor,
        now,
        &subscriber::deleted(&before),
    )
}

/// The owner of the address clicked the confirmation link. Confirming twice is harmless.
pub fn confirm(conn: &Connection, id: &str, now: Timestamp) -> Result<Subscriber> {
    let before = get(conn, None, id)?;
    match subscriber::confirm(&before, now) {
        Some(decision) => save(conn, &format!("subscriber:{id}"), now, decision),
        None => Ok(before),
    }
}

/// A new signing secret; the old one keeps signing for [`ROTATION_OVERLAP`].
pub fn rotate_secret(
    conn: &Connection,
    actor: &str,
    page_id: &str,
    id: &str,
    now: Timestamp,
) -> Result<CreatedSubscriber> {
    let (until, event) = subscriber::rotate_secret(&get(conn, Some(page_id), id)?, now)?;
    let secret = new_webhook_secret();
    conn.prepare_cached(
        "UPDATE subscribers SET previous_secret = secret, previous_until = ?2, secret = ?3, updated_at = ?4
         WHERE id = ?1",
    )?
    .execute(params![id, ts(until), secret, ts(now)])?;
    events::append(conn, Some(page_id), actor, now, &event)?;
    Ok(CreatedSubscriber {
        subscriber: get(conn, Some(page_id), id)?,
        secret: Some(secret),
        warnings: Vec::new(),
    })
}

/// Delivery resumes for a disabled subscriber; its failure streak starts over.
pub fn enable(
    conn: &Connection,
    actor: &str,
    page_id: &str,
    id: &str,
    now: Timestamp,
) -> Result<Subscriber> {
    let before = get(conn, Some(page_id), id)?;
    match subscriber::enable(&before, now) {
        Some(decision) => save(conn, actor, now, decision),
        None => Ok(before),
    }
}

/// Delivery stops for the subscriber, and the page's admins are to be told.
pub fn disable(conn: &Connection, id: &str, reason: &str, now: Timestamp) -> Result<()> {
    let before = get(conn, None, id)?;
    let Some(decision) = subscriber::disable(&before, reason, now) else {
        return Ok(());
    };
    save(conn, "system", now, decision)?;
    let page = pages::get(conn, &before.page_id)?;
    if !page.settings.admin_emails.is_empty() {
        conn.prepare_cached(
            "INSERT INTO jobs (kind, due_at, page_id, subscriber_id, note, created_at)
             VALUES ('notice', ?1, ?2, ?3, ?4, ?1)",
        )?
        .execute(params![ts(now), page.id, id, reason])?;
    }
    Ok(())
}

/// Writes what the rules decided about a subscriber: its state, its audit event and, when
/// asked for, the confirmation email.
fn save(
    conn: &Connection,
    actor: &str,
    now: Timestamp,
    decision: subscriber::Decision,
) -> Result<Subscriber> {
    let s = decision.subscriber;
    conn.prepare_cached(
        "UPDATE subscribers SET state = ?2, confirmed_at = ?3, disabled_reason = ?4, failing_since = ?5,
                updated_at = ?6 WHERE id = ?1",
    )?
    .execute(params![
        s.id,
        name(&s.state)?,
        s.confirmed_at.map(ts),
        s.disabled_reason,
        s.failing_since.map(ts),
        ts(s.updated_at)
    ])?;
    if decision.confirm {
        queue_confirmation(conn, &s, now)?;
    }
    events::append(conn, Some(&s.page_id), actor, now, &decision.event)?;
    Ok(s)
}

fn queue_confirmation(conn: &Connection, subscriber: &Subscriber, now: Timestamp) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO jobs (kind, due_at, page_id, subscriber_id, created_at)
         VALUES ('confirmation', ?1, ?2, ?3, ?1)",
    )?
    .execute(params![ts(now), subscriber.page_id, subscriber.id])?;
    conn.prepare_cached("UPDATE subscribers SET confirm_sent_at = ?2 WHERE id = ?1")?
        .execute(params![subscriber.id, ts(now)])?;
    Ok(())
}

fn find(
    conn: &Connection,
    page_id: &str,
    channel: Channel,
    address: &str,
) -> Result<Option<Subscriber>> {
    let id: Option<String> = conn
        .query_row(
            "SELECT id FROM subscribers WHERE page_id = ?1 AND channel = ?2 AND address = ?3",
            params![page_id, channel.name(), address],
            |row| row.get(0),
        )
        .optional()?;
    id.map(|id| get(conn, Some(page_id), &id)).transpose()
}

fn insert(conn: &Connection, s: &Subscriber, secret: Option<&str>) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO subscribers (id, page_id, channel, address, format, state, secret, created_at,
                                  confirmed_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        s.id,
        s.page_id,
        s.channel.name(),
        s.address,
        name(&s.format)?,
        name(&s.state)?,
        secret,
        ts(s.created_at),
        s.confirmed_at.map(ts),
        ts(s.updated_at)
    ])?;
    save_components(conn, &s.id, &s.components)
}

fn save_components(conn: &Connection, id: &str, components: &[Id]) -> Result<()> {
    conn.prepare_cached("DELETE FROM subscriber_components WHERE subscriber_id = ?1")?
        .execute([id])?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO subscriber_components (subscriber_id, component_id) VALUES (?1, ?2)",
    )?;
    for component in components {
        insert.execute(params![id, component])?;
    }
    Ok(())
}

fn with_components(conn: &Connection, mut s: Subscriber) -> Result<Subscriber> {
    let mut stmt = conn.prepare_cached(
        "SELECT sc.component_id FROM subscriber_components sc JOIN components c ON c.id = sc.component_id
         WHERE sc.subscriber_id = ?1 ORDER BY c.position, c.id",
    )?;
    s.components = stmt
        .query_map([&s.id], |row| row.get::<_, String>(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(s)
}

/// A row in [`COLUMNS`] order; components are read separately.
fn read_row(row: &Row) -> rusqlite::Result<Result<Subscriber>> {
    let (channel, format, state) = (row.get_ref(2)?, row.get_ref(4)?, row.get_ref(5)?);
    let (channel, format, state) = (channel.as_str()?, format.as_str()?, state.as_str()?);
    let failing_since: Option<i64> = row.get(7)?;
    let created_at: i64 = row.get(8)?;
    let confirmed_at: Option<i64> = row.get(9)?;
    let updated_at: i64 = row.get(10)?;
    let (id, page_id, address, disabled_reason) = (
        row.get::<_, String>(0)?,
        row.get::<_, String>(1)?,
        row.get::<_, String>(3)?,
        row.get::<_, Option<String>>(6)?,
    );
    Ok((|| {
        Ok(Subscriber {
            id,
            page_id,
            channel: from_name(channel)?,
            address,
            format: from_name(format)?,
            components: Vec::new(),
            state: from_name(state)?,
            disabled_reason,
            failing_since: from_opt_ts(failing_since)?,
            created_at: from_ts(created_at)?,
            confirmed_at: from_opt_ts(confirmed_at)?,
            updated_at: from_ts(updated_at)?,
        })
    })())
}
