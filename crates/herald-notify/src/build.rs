//! Turns a stored broadcast into the announcement every channel renders from.
use std::sync::Arc;

use herald_core::Id;
use herald_core::broadcast::{BroadcastDraft, Subject};
use herald_core::page::Page;
use herald_public::data::{PageData, View};
use herald_public::paths;
use herald_public::render::statuspage::{self, WebhookItem};
use herald_store::{
    Broadcast, IncidentFilter, IncidentQuery, MAX_LIST_LIMIT, MaintenanceFilter, MaintenanceQuery,
    Store, StoreError,
};
use jiff::Timestamp;

use crate::announcement::{Announcement, ComponentRef, Item, PageInfo};

pub fn page_info(page: Page, base_url: &str) -> PageInfo {
    PageInfo {
        url: paths::page_url(&page, base_url),
        id: page.id,
        name: page.name,
        time_zone: page.time_zone,
    }
}

/// Reads what the page looks like now (its components and what holds them) to give the
/// Statuspage payload its page status, and takes the item itself as it was published.
pub async fn announcement(
    store: &dyn Store,
    b: &Broadcast,
    base_url: &str,
    now: Timestamp,
) -> Result<Announcement, StoreError> {
    let item = match b.subject {
        Subject::Incident => Item::Incident(serde_json::from_str(&b.snapshot)?),
        Subject::Maintenance => Item::Maintenance(serde_json::from_str(&b.snapshot)?),
    };
    let told = Told {
        broadcast_id: b.id.clone(),
        event: b.event.clone(),
        update_id: b.update_id.clone(),
        components: b.components.clone(),
        at: b.created_at,
    };
    assemble(store, &b.page_id, item, told, base_url, now).await
}

/// The announcement an incident or a maintenance window as previewed (not yet published)
/// would make, for showing the lead each channel's message before it goes out.
pub async fn preview(
    store: &dyn Store,
    draft: &BroadcastDraft,
    item: Item,
    base_url: &str,
    now: Timestamp,
) -> Result<Announcement, StoreError> {
    let told = Told {
        broadcast_id: "preview".into(),
        event: draft.event.to_string(),
        update_id: draft.update_id.clone(),
        components: draft.components.clone(),
        at: now,
    };
    let page_id = match &item {
        Item::Incident(incident) => incident.page_id.clone(),
        Item::Maintenance(window) => window.page_id.clone(),
    };
    assemble(store, &page_id, item, told, base_url, now).await
}

/// What a broadcast says beside its item.
struct Told {
    broadcast_id: Id,
    event: String,
    update_id: Option<Id>,
    components: Vec<Id>,
    at: Timestamp,
}

async fn assemble(
    store: &dyn Store,
    page_id: &str,
    item: Item,
    told: Told,
    base_url: &str,
    now: Timestamp,
) -> Result<Announcement, StoreError> {
    let page = store.page(page_id).await?;
    let active = IncidentQuery {
        filter: IncidentFilter::Active,
        limit: MAX_LIST_LIMIT,
        before: None,
    };
    let windows = MaintenanceQuery {
        filter: MaintenanceFilter::Active,
        limit: MAX_LIST_LIMIT,
        ..MaintenanceQuery::default()
    };
    let groups = store.groups(&page.id).await?;
    let components = store.components(&page.id).await?;
    let incidents = wrap(store.incidents(&page.id, active).await?);
    let windows = wrap(store.maintenances(&page.id, windows, now).await?);
    let mut data = PageData::new(page, groups, components, incidents, windows);
    match &item {
        Item::Incident(i) => data.upsert_incident(i.clone()),
        Item::Maintenance(w) => data.upsert_maintenance(w.clone()),
    }
    let page = page_info(data.page.clone(), base_url);
    let view = View::new(&data, now, page.url.clone());
    let statuspage = statuspage::webhook(
        &view,
        match &item {
            Item::Incident(i) => WebhookItem::Incident(i),
            Item::Maintenance(w) => WebhookItem::Maintenance(w),
        },
    );
    let components = data
        .components
        .iter()
        .filter(|c| told.components.contains(&c.id))
        .map(|c| ComponentRef {
            id: c.id.clone(),
            name: c.name.clone(),
        })
        .collect();
    Ok(Announcement {
        broadcast_id: told.broadcast_id,
        event: told.event,
        page,
        item,
        update_id: told.update_id,
        components,
        at: told.at,
        statuspage,
    })
}

fn wrap<T>(items: Vec<T>) -> Vec<Arc<T>> {
    items.into_iter().map(Arc::new).collect()
}
