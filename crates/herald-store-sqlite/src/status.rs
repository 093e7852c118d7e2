//! A page's derived status: what holds each location, and the levels that follow from it.
use herald_core::status::{self, PageStatus};
use herald_store::sql::Tx;

use super::{components, incidents, maintenance};
use herald_store::Result;

pub fn page_status(tx: &dyn Tx, page_id: &str) -> Result<PageStatus> {
    let components = components::list(tx, page_id)?;
    let mut holds = incidents::holds(tx, page_id)?;
    holds.extend(maintenance::holds(tx, page_id)?);
    Ok(status::page_status(&components, &holds))
}
