//! Keyset pagination, shared by the lists of a page's incidents and maintenance windows.
use herald_store::sql::{ToValue, Tx};
use herald_store::{MAX_LIST_LIMIT, Result, StoreError, args};

/// A list of a page's rows: newest `key` first, ties broken by id.
pub struct Listing<'a> {
    /// What a row is, to name in the error when the cursor is not one of the page's rows.
    pub what: &'static str,
    pub table: &'static str,
    pub key: &'static str,
    /// An SQL condition starting with `AND`, or nothing; its parameters are `?5` onwards.
    pub filter: &'a str,
}

impl Listing<'_> {
    /// The ids of up to `limit` rows that pass the filter (`args` bound to its parameters),
    /// continuing after the row `before`, the last of the previous page of results.
    pub fn ids(
        &self,
        tx: &dyn Tx,
        page_id: &str,
        args: &[&dyn ToValue],
        before: Option<&str>,
        limit: u32,
    ) -> Result<Vec<String>> {
        self.select(
            tx,
            page_id,
            args,
            before,
            limit.clamp(1, MAX_LIST_LIMIT).into(),
        )
    }

    /// The ids of every row that passes the filter, in the list's order.
    pub fn every_id(
        &self,
        tx: &dyn Tx,
        page_id: &str,
        args: &[&dyn ToValue],
    ) -> Result<Vec<String>> {
        self.select(tx, page_id, args, None, i64::MAX)
    }

    fn select(
        &self,
        tx: &dyn Tx,
        page_id: &str,
        args: &[&dyn ToValue],
        before: Option<&str>,
        limit: i64,
    ) -> Result<Vec<String>> {
        let Listing {
            what, table, key, ..
        } = self;
        let cursor: Option<i64> = match before {
            Some(id) => Some(
                tx.query_opt(
                    &format!("SELECT {key} FROM {table} WHERE id = ?1 AND page_id = ?2"),
                    args![id, page_id],
                    |row| row.get(0),
                )?
                .ok_or_else(|| StoreError::not_found(what, id))?,
            ),
            None => None,
        };
        let mut bound: Vec<&dyn ToValue> = vec![&page_id, &cursor, &before, &limit];
        bound.extend_from_slice(args);
        tx.query(&self.sql(), &bound, |row| row.get(0))
    }

    /// The query: `?1` the page, `?2` and `?3` the cursor's key and id, `?4` the limit.
    fn sql(&self) -> String {
        let Listing {
            table, key, filter, ..
        } = self;
        format!(
            "SELECT id FROM {table} WHERE page_id = ?1 {filter}
             AND (?2 IS NULL OR {key} < ?2 OR ({key} = ?2 AND id < ?3))
             ORDER BY {key} DESC, id DESC LIMIT ?4"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{incidents, maintenance, migrations};
    use herald_store::{IncidentFilter, MaintenanceFilter};
    use rusqlite::{Connection, params};

    /// How SQLite means to run the listing: one line per step.
    fn plan(conn: &Connection, listing: &Listing) -> String {
        let mut stmt = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {}", listing.sql()))
            .unwrap();
        let first_page = params!["page", None::<i64>, None::<String>, 50];
        let steps = stmt
            .query_map(first_page, |row| row.get::<_, String>(3))
            .unwrap();
        steps.map(Result::unwrap).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn the_active_lists_read_only_the_active_rows_already_in_order() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrations::migrate(&mut conn).unwrap();
        let active = [
            (
                incidents::listing(IncidentFilter::Active),
                "incidents_active",
            ),
            (
                maintenance::listing(MaintenanceFilter::Active).0,
                "maintenance_windows_active",
            ),
        ];
        for (listing, index) in active {
            let plan = plan(&conn, &listing);
            assert!(plan.contains(&format!("USING INDEX {index}")), "{plan}");
            assert!(!plan.contains("TEMP B-TREE"), "{plan}");
        }
    }
}
