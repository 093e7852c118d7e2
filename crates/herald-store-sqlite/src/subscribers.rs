//! Subscribers: who a page's broadcasts go to. Every change is audited; a webhook's signing
//! secret is returned only by the call that makes it.
use herald_core::Id;
use herald_core::page::Page;
use herald_core::subscriber::{
    self, Channel, NewSubscriber, Subscriber, SubscriberState, WebhookFormat,
};
use jiff::Timestamp;

use super::codec::{from_name, from_opt_ts, from_ts, name, ts};
use super::{components, events, pages};
use herald_store::ids::new_webhook_secret;
use herald_store::sql::{Row, Tx};
use herald_store::{
    CreatedSubscriber, MAX_LIST_LIMIT, Result, StoreError, SubscribeRequest, SubscriberPatch,
    SubscriberQuery, args, new_id,
};

const COLUMNS: &str =
    "id, page_id, channel, address, format, state, disabled_reason, failing_since,
                       created_at, confirmed_at, updated_at";

pub fn create(
    tx: &dyn Tx,
    actor: &str,
    page: &Page,
    new: NewSubscriber,
    now: Timestamp,
) -> Result<CreatedSubscriber> {
    let locations = components::page_locations(tx, &page.id)?;
    let new = new.checked(&locations)?;
    if let Some(existing) = find(tx, &page.id, new.channel, &new.address)? {
        return Err(StoreError::Conflict(format!(
            "{} is already subscribed to this page by {} (id {}); update or remove that subscriber",
            existing.address,
            new.channel.name(),
            existing.id
        )));
    }
    let secret = (new.channel == Channel::Webhook).then(new_webhook_secret);
    let decision = subscriber::create(new_id(), &page.id, new, now);
    insert(tx, &decision.subscriber, secret.as_deref())?;
    let subscriber = save(tx, actor, now, decision)?;
    Ok(CreatedSubscriber {
        subscriber,
        secret,
        warnings: Vec::new(),
    })
}

/// The public subscribe form: a new address becomes a pending subscriber with a confirmation
/// email; asking again changes nothing but may resend that email.
pub fn request(
    tx: &dyn Tx,
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
    let locations = components::page_locations(tx, &page.id)?;
    let new = new.checked(&locations)?;
    let Some(existing) = find(tx, &page.id, Channel::Email, &new.address)? else {
        let actor = format!("public:{}", new.address);
        let created = create(tx, &actor, page, new, now)?;
        return Ok(SubscribeRequest::Created(created.subscriber));
    };
    if existing.state != SubscriberState::Pending {
        return Ok(SubscribeRequest::Active(existing));
    }
    let last_sent: Option<i64> = tx.query_one(
        "SELECT confirm_sent_at FROM subscribers WHERE id = ?1",
        args![existing.id],
        |row| row.get(0),
    )?;
    if subscriber::resend_confirmation(from_opt_ts(last_sent)?, now) {
        queue_confirmation(tx, &existing, now)?;
    }
    Ok(SubscribeRequest::Pending(existing))
}

pub fn list(tx: &dyn Tx, page_id: &str, query: &SubscriberQuery) -> Result<Vec<Subscriber>> {
    let channel = query.channel.map(|c| c.name());
    let limit = query.limit.clamp(1, MAX_LIST_LIMIT);
    let sql = format!(
        "SELECT {COLUMNS} FROM subscribers
         WHERE page_id = ?1 AND (?2 IS NULL OR channel = ?2) AND id > COALESCE(?3, '')
         ORDER BY id LIMIT ?4"
    );
    let rows = tx.query(&sql, args![page_id, channel, query.after, limit], read_row)?;
    rows.into_iter().map(|s| with_components(tx, s)).collect()
}

/// A subscriber of the page; `page_id` None finds it on any page (its own links).
pub fn get(tx: &dyn Tx, page_id: Option<&str>, id: &str) -> Result<Subscriber> {
    let sql =
        format!("SELECT {COLUMNS} FROM subscribers WHERE id = ?1 AND (?2 IS NULL OR page_id = ?2)");
    let found = tx.query_opt(&sql, args![id, page_id], read_row)?;
    let subscriber = found.ok_or_else(|| StoreError::not_found("subscriber", id))?;
    with_components(tx, subscriber)
}

pub fn update(
    tx: &dyn Tx,
    actor: &str,
    page_id: &str,
    id: &str,
    patch: SubscriberPatch,
    now: Timestamp,
) -> Result<Subscriber> {
    let before = get(tx, Some(page_id), id)?;
    let locations = components::page_locations(tx, page_id)?;
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
        && let Some(other) = find(tx, page_id, before.channel, &asked.address)?
    {
        return Err(StoreError::Conflict(format!(
            "{} is already subscribed (id {})",
            other.address, other.id
        )));
    }
    let decision = subscriber::update(&before, asked, now);
    let after = &decision.subscriber;
    tx.execute(
        "UPDATE subscribers SET address = ?2, format = ?3 WHERE id = ?1",
        args![id, after.address, name(&after.format)?],
    )?;
    save_components(tx, id, &after.components)?;
    save(tx, actor, now, decision)
}

pub fn delete(tx: &dyn Tx, actor: &str, page_id: &str, id: &str, now: Timestamp) -> Result<()> {
    let before = get(tx, Some(page_id), id)?;
    tx.execute("DELETE FROM subscribers WHERE id = ?1", args![id])?;
    events::append(tx, Some(page_id), actor, now, &subscriber::deleted(&before))
}

/// The owner of the address clicked the confirmation link. Confirming twice is harmless.
pub fn confirm(tx: &dyn Tx, id: &str, now: Timestamp) -> Result<Subscriber> {
    let before = get(tx, None, id)?;
    match subscriber::confirm(&before, now) {
        Some(decision) => save(tx, &format!("subscriber:{id}"), now, decision),
        None => Ok(before),
    }
}

/// A new signing secret; the old one keeps signing for [`ROTATION_OVERLAP`].
pub fn rotate_secret(
    tx: &dyn Tx,
    actor: &str,
    page_id: &str,
    id: &str,
    now: Timestamp,
) -> Result<CreatedSubscriber> {
    let (until, event) = subscriber::rotate_secret(&get(tx, Some(page_id), id)?, now)?;
    let secret = new_webhook_secret();
    tx.execute("UPDATE subscribers SET previous_secret = secret, previous_until = ?2, secret = ?3, updated_at = ?4
         WHERE id = ?1", args![id, ts(until), secret, ts(now)])?;
    events::append(tx, Some(page_id), actor, now, &event)?;
    Ok(CreatedSubscriber {
        subscriber: get(tx, Some(page_id), id)?,
        secret: Some(secret),
        warnings: Vec::new(),
    })
}

/// Delivery resumes for a disabled subscriber; its failure streak starts over.
pub fn enable(
    tx: &dyn Tx,
    actor: &str,
    page_id: &str,
    id: &str,
    now: Timestamp,
) -> Result<Subscriber> {
    let before = get(tx, Some(page_id), id)?;
    match subscriber::enable(&before, now) {
        Some(decision) => save(tx, actor, now, decision),
        None => Ok(before),
    }
}

/// Delivery stops for the subscriber, and the page's admins are to be told.
pub fn disable(tx: &dyn Tx, id: &str, reason: &str, now: Timestamp) -> Result<()> {
    let before = get(tx, None, id)?;
    let Some(decision) = subscriber::disable(&before, reason, now) else {
        return Ok(());
    };
    save(tx, "system", now, decision)?;
    let page = pages::get(tx, &before.page_id)?;
    if !page.settings.admin_emails.is_empty() {
        tx.execute(
            "INSERT INTO jobs (kind, due_at, page_id, subscriber_id, note, created_at)
             VALUES ('notice', ?1, ?2, ?3, ?4, ?1)",
            args![ts(now), page.id, id, reason],
        )?;
    }
    Ok(())
}

/// Writes what the rules decided about a subscriber: its state, its audit event and, when
/// asked for, the confirmation email.
fn save(
    tx: &dyn Tx,
    actor: &str,
    now: Timestamp,
    decision: subscriber::Decision,
) -> Result<Subscriber> {
    let s = decision.subscriber;
    tx.execute("UPDATE subscribers SET state = ?2, confirmed_at = ?3, disabled_reason = ?4, failing_since = ?5,
                updated_at = ?6 WHERE id = ?1", args![
        s.id,
        name(&s.state)?,
        s.confirmed_at.map(ts),
        s.disabled_reason,
        s.failing_since.map(ts),
        ts(s.updated_at)
    ])?;
    if decision.confirm {
        queue_confirmation(tx, &s, now)?;
    }
    events::append(tx, Some(&s.page_id), actor, now, &decision.event)?;
    Ok(s)
}

fn queue_confirmation(tx: &dyn Tx, subscriber: &Subscriber, now: Timestamp) -> Result<()> {
    tx.execute(
        "INSERT INTO jobs (kind, due_at, page_id, subscriber_id, created_at)
         VALUES ('confirmation', ?1, ?2, ?3, ?1)",
        args![ts(now), subscriber.page_id, subscriber.id],
    )?;
    tx.execute(
        "UPDATE subscribers SET confirm_sent_at = ?2 WHERE id = ?1",
        args![subscriber.id, ts(now)],
    )?;
    Ok(())
}

fn find(tx: &dyn Tx, page_id: &str, channel: Channel, address: &str) -> Result<Option<Subscriber>> {
    let id: Option<String> = tx.query_opt(
        "SELECT id FROM subscribers WHERE page_id = ?1 AND channel = ?2 AND address = ?3",
        args![page_id, channel.name(), address],
        |row| row.get(0),
    )?;
    id.map(|id| get(tx, Some(page_id), &id)).transpose()
}

fn insert(tx: &dyn Tx, s: &Subscriber, secret: Option<&str>) -> Result<()> {
    tx.execute(
        "INSERT INTO subscribers (id, page_id, channel, address, format, state, secret, created_at,
                                  confirmed_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        args![
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
        ],
    )?;
    save_components(tx, &s.id, &s.components)
}

fn save_components(tx: &dyn Tx, id: &str, components: &[Id]) -> Result<()> {
    tx.execute(
        "DELETE FROM subscriber_components WHERE subscriber_id = ?1",
        args![id],
    )?;
    for component in components {
        tx.execute(
            "INSERT INTO subscriber_components (subscriber_id, component_id) VALUES (?1, ?2)",
            args![id, component],
        )?;
    }
    Ok(())
}

fn with_components(tx: &dyn Tx, mut s: Subscriber) -> Result<Subscriber> {
    s.components = tx.query(
        "SELECT sc.component_id FROM subscriber_components sc JOIN components c ON c.id = sc.component_id
         WHERE sc.subscriber_id = ?1 ORDER BY c.position, c.id",
        args![s.id],
        |row| row.get(0),
    )?;
    Ok(s)
}

/// A row in [`COLUMNS`] order; components are read separately.
fn read_row(row: &dyn Row) -> Result<Subscriber> {
    let name_at = |column| -> Result<String> { row.get(column) };
    Ok(Subscriber {
        id: row.get(0)?,
        page_id: row.get(1)?,
        channel: from_name(&name_at(2)?)?,
        address: row.get(3)?,
        format: from_name(&name_at(4)?)?,
        components: Vec::new(),
        state: from_name(&name_at(5)?)?,
        disabled_reason: row.get(6)?,
        failing_since: from_opt_ts(row.get(7)?)?,
        created_at: from_ts(row.get(8)?)?,
        confirmed_at: from_opt_ts(row.get(9)?)?,
        updated_at: from_ts(row.get(10)?)?,
    })
}

/// This installation's key for signing subscribers' links, made by the first to ask.
pub fn link_key(tx: &dyn Tx) -> Result<Vec<u8>> {
    let fresh: [u8; 32] = rand::random();
    tx.execute(
        "INSERT INTO server_keys (name, secret) VALUES ('links', ?1) ON CONFLICT DO NOTHING",
        args![fresh.as_slice()],
    )?;
    tx.query_one(
        "SELECT secret FROM server_keys WHERE name = 'links'",
        args![],
        |row| row.get(0),
    )
}
