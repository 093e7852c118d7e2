//! An incident's stage checklist: the page's items, each ticked by a person (stored, audited)
//! or seen done by Herald (worked out from the incident each time, so it cannot drift).
use std::collections::HashMap;

use herald_core::checklist;
use herald_core::incident::Incident;
use herald_core::page::Page;
use jiff::Timestamp;

use super::codec::{from_ts, ts};
use super::{events, incidents};
use herald_store::sql::Tx;
use herald_store::{ChecklistEntry, Result, Tick, args};

/// Who ticks the items Herald sees done.
const HERALD: &str = "herald";

pub fn checklist(tx: &dyn Tx, page: &Page, id: &str) -> Result<Vec<ChecklistEntry>> {
    let incident = incidents::get(tx, &page.id, id)?;
    entries(tx, page, &incident)
}

fn entries(tx: &dyn Tx, page: &Page, incident: &Incident) -> Result<Vec<ChecklistEntry>> {
    let ticks = tx.query(
        "SELECT item, ticked_by, ticked_at FROM checklist_ticks WHERE incident_id = ?1",
        args![incident.id],
        |row| Ok((row.get(0)?, (row.get(1)?, row.get(2)?))),
    )?;
    let mut ticks: HashMap<String, (String, i64)> = ticks.into_iter().collect();
    page.settings
        .checklist
        .iter()
        .map(|item| {
            let seen = item.done_when.is_some_and(|d| d.seen_in(incident));
            let (ticked_by, ticked_at) = match ticks.remove(&item.label) {
                Some((by, at)) => (Some(by), Some(from_ts(at)?)),
                None if seen => (Some(HERALD.to_string()), None),
                None => (None, None),
            };
            Ok(ChecklistEntry {
                stage: item.stage.clone(),
                label: item.label.clone(),
                done_when: item.done_when,
                ticked: ticked_by.is_some(),
                ticked_by,
                ticked_at,
            })
        })
        .collect()
}

/// Ticks or unticks one item for a person; doing what is already done changes nothing and
/// records nothing.
pub fn tick(
    tx: &dyn Tx,
    actor: &str,
    page: &Page,
    id: &str,
    tick: &Tick,
    now: Timestamp,
) -> Result<Vec<ChecklistEntry>> {
    let incident = incidents::get(tx, &page.id, id)?;
    let item = checklist::tickable(&page.settings.checklist, &tick.item, tick.ticked, &incident)?;
    let changed = if tick.ticked {
        tx.execute(
            "INSERT INTO checklist_ticks (incident_id, item, ticked_by, ticked_at)
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
            args![incident.id, item.label, actor, ts(now)],
        )?
    } else {
        tx.execute(
            "DELETE FROM checklist_ticks WHERE incident_id = ?1 AND item = ?2",
            args![incident.id, item.label],
        )?
    };
    if changed > 0 {
        let event = checklist::tick_event(item, &incident.id, tick.ticked);
        events::append(tx, Some(&page.id), actor, now, &event)?;
    }
    entries(tx, page, &incident)
}
