//! Subscribers: who a page's broadcasts go to. Every change is audited; a webhook's signing
//! secret is returned only by the call that makes it.
use herald_core::Id;
use herald_core::event::{Event, EventKind};
use herald_core::page::Page;
use herald_core::subscriber::{Channel, NewSubscriber, Subscriber, SubscriberState, WebhookFormat};
use jiff::{SignedDuration, Timestamp};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::codec::{from_name, from_opt_ts, from_ts, name, ts};
use super::{components, events, pages};
use crate::ids::new_webhook_secret;
use crate::{
    CreatedSubscriber, MAX_LIST_LIMIT, Result, StoreError, SubscribeRequest, SubscriberPatch,
    SubscriberQuery, new_id,
};

const COLUMNS: &str =
    "id, page_id, channel, address, format, state, disabled_reason, failing_since,
                       created_at, confirmed_at, updated_at";
/// A pending subscriber asking again gets another confirmation email at most this often.
const CONFIRM_RESEND_AFTER: SignedDuration = SignedDuration::from_mins(10);
/// After a rotation, the old secret still signs deliveries this long, so receivers can switch.
pub const ROTATION_OVERLAP: SignedDuration = SignedDuration::from_hours(24);

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
    let subscriber = Subscriber {
        id: new_id(),
        page_id: page.id.clone(),
        channel: new.channel,
        address: new.address.clone(),
        format: new.format,
        components: new.components.clone(),
        state: new.initial_state(),
        disabled_reason: None,
        failing_since: None,
        created_at: now,
        confirmed_at: (new.initial_state() == SubscriberState::Active).then_some(now),
        updated_at: now,
    };
    insert(conn, &subscriber, secret.as_deref())?;
    if subscriber.state == SubscriberState::Pending {
        queue_confirmation(conn, &subscriber, now)?;
    }
    audit(
        conn,
        actor,
        EventKind::SubscriberCreated,
        None,
        Some(&subscriber),
        now,
    )?;
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
    let recently =
        from_opt_ts(last_sent)?.is_some_and(|at| now.duration_since(at) < CONFIRM_RESEND_AFTER);
    if !recently {
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
    let mut after = before.clone();
    after.components = asked.components;
    let new_address = asked.address != before.address;
    if new_address && let Some(other) = find(conn, page_id, before.channel, &asked.address)? {
        return Err(StoreError::Conflict(format!(
            "{} is already subscribed (id {})",
            other.address, other.id
        )));
    }
    after.address = asked.address;
    after.format = asked.format;
    after.updated_at = now;
    // A new email address is confirmed by its owner before anything is sent to it.
    let reconfirm = new_address && before.channel == Channel::Email;
    if reconfirm {
        after.state = SubscriberState::Pending;
        after.confirmed_at = None;
    }
    conn.prepare_cached(
        "UPDATE subscribers SET address = ?2, format = ?3, state = ?4, confirmed_at = ?5, updated_at = ?6
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        after.address,
        name(&after.format)?,
        name(&after.state)?,
        after.confirmed_at.map(ts),
        ts(now)
    ])?;
    save_components(conn, id, &after.components)?;
    if reconfirm {
        queue_confirmation(conn, &after, now)?;
    }
    audit(
        conn,
        actor,
        EventKind::SubscriberUpdated,
        Some(&before),
        Some(&after),
        now,
    )?;
    Ok(after)
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
    audit(
        conn,
        actor,
        EventKind::SubscriberDeleted,
        Some(&before),
        None,
        now,
    )
}

/// The owner of the address clicked the confirmation link. Confirming twice is harmless.
pub fn confirm(conn: &Connection, id: &str, now: Timestamp) -> Result<Subscriber> {
    let before = get(conn, None, id)?;
    if before.state != SubscriberState::Pending {
        return Ok(before);
    }
    let mut after = before.clone();
    after.state = SubscriberState::Active;
    after.confirmed_at = Some(now);
    after.updated_at = now;
    set_state(conn, &after)?;
    let actor = format!("subscriber:{id}");
    audit(
        conn,
        &actor,
        EventKind::SubscriberConfirmed,
        Some(&before),
        Some(&after),
        now,
    )?;
    Ok(after)
}

/// A new signing secret; the old one keeps signing for [`ROTATION_OVERLAP`].
pub fn rotate_secret(
    conn: &Connection,
    actor: &str,
    page_id: &str,
    id: &str,
    now: Timestamp,
) -> Result<CreatedSubscriber> {
    let subscriber = get(conn, Some(page_id), id)?;
    if subscriber.channel != Channel::Webhook {
        return Err(StoreError::Conflict(format!(
            "subscriber {id} is a {} subscriber; only webhooks have a signing secret",
            subscriber.channel.name()
        )));
    }
    let secret = new_webhook_secret();
    let until = now.checked_add(ROTATION_OVERLAP).unwrap_or(now);
    conn.prepare_cached(
        "UPDATE subscribers SET previous_secret = secret, previous_until = ?2, secret = ?3, updated_at = ?4
         WHERE id = ?1",
    )?
    .execute(params![id, ts(until), secret, ts(now)])?;
    let event = Event::new::<Subscriber>(EventKind::SubscriberSecretRotated, id, None, None)
        .with_note(format!("the previous secret signs until {until}"));
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
    if before.state != SubscriberState::Disabled {
        return Ok(before);
    }
    let mut after = before.clone();
    after.state = match after.confirmed_at {
        Some(_) => SubscriberState::Active,
        None => SubscriberState::Pending,
    };
    after.disabled_reason = None;
    after.failing_since = None;
    after.updated_at = now;
    set_state(conn, &after)?;
    audit(
        conn,
        actor,
        EventKind::SubscriberEnabled,
        Some(&before),
        Some(&after),
        now,
    )?;
    Ok(after)
}

/// Delivery stops for the subscriber, and the page's admins are to be told.
pub fn disable(conn: &Connection, id: &str, reason: &str, now: Timestamp) -> Result<()> {
    let before = get(conn, None, id)?;
    if before.state == SubscriberState::Disabled {
        return Ok(());
    }
    let mut after = before.clone();
    after.state = SubscriberState::Disabled;
    after.disabled_reason = Some(reason.to_string());
    after.updated_at = now;
    set_state(conn, &after)?;
    audit(
        conn,
        "system",
        EventKind::SubscriberDisabled,
        Some(&before),
        Some(&after),
        now,
    )?;
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

fn set_state(conn: &Connection, s: &Subscriber) -> Result<()> {
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
    Ok(())
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

fn audit(
    conn: &Connection,
    actor: &str,
    kind: EventKind,
    before: Option<&Subscriber>,
    after: Option<&Subscriber>,
    now: Timestamp,
) -> Result<()> {
    let subject = after
        .or(before)
        .map(|s| (s.id.as_str(), s.page_id.as_str()));
    let (id, page_id) = subject.unwrap_or_default();
    let event = Event::new(kind, id, before, after);
    events::append(conn, Some(page_id), actor, now, &event)
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
