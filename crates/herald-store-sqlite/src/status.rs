//! A page's derived status: what holds each location, and the levels that follow from it.
use herald_core::status::{self, PageStatus};
use rusqlite::Connection;

use super::{components, incidents, maintenance};
use herald_store::Result;

pub fn page_status(conn: &Connection, page_id: &str) -> Result<PageStatus> {
    let components = components::list(conn, page_id)?;
    let mut holds = incidents::holds(conn, page_id)?;
    holds.extend(maintenance::holds(conn, page_id)?);
    Ok(status::page_status(&components, &holds))
}
