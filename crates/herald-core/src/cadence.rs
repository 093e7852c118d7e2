//! The update cadence: how long the public may wait for the next update, by severity and state.
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::DomainError;
use crate::incident::{Incident, IncidentState, Severity};

/// Minutes between updates while an incident is in each active state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Intervals {
    pub investigating: u32,
    pub identified: u32,
    pub monitoring: u32,
}

/// Severity × state → interval. Defaults to the reference workflow's table; resolved incidents
/// need no further updates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CadenceTable {
    pub sev1: Intervals,
    pub sev2: Intervals,
    pub sev3: Intervals,
    pub sev4: Intervals,
}

impl Default for CadenceTable {
    fn default() -> Self {
        let minor = Intervals {
            investigating: 15,
            identified: 30,
            monitoring: 60,
        };
        CadenceTable {
            sev1: Intervals {
                investigating: 10,
                identified: 10,
                monitoring: 30,
            },
            sev2: minor,
            sev3: minor,
            sev4: minor,
        }
    }
}

/// Longest interval a table or an update may ask for: one week.
pub const MAX_INTERVAL_MINUTES: u32 = 7 * 24 * 60;

impl CadenceTable {
    /// Minutes until the next update is due, or `None` when no update is due (resolved).
    pub fn interval(&self, severity: Severity, state: IncidentState) -> Option<u32> {
        let row = match severity.get() {
            1 => self.sev1,
            2 => self.sev2,
            3 => self.sev3,
            _ => self.sev4,
        };
        match state {
            IncidentState::Investigating => Some(row.investigating),
            IncidentState::Identified => Some(row.identified),
            IncidentState::Monitoring => Some(row.monitoring),
            IncidentState::Resolved => None,
        }
    }

    pub fn validate(&self) -> Result<(), DomainError> {
        for row in [self.sev1, self.sev2, self.sev3, self.sev4] {
            for minutes in [row.investigating, row.identified, row.monitoring] {
                validate_interval("settings.cadence", minutes)?;
            }
        }
        Ok(())
    }
}

pub fn validate_interval(field: &'static str, minutes: u32) -> Result<(), DomainError> {
    if (1..=MAX_INTERVAL_MINUTES).contains(&minutes) {
        Ok(())
    } else {
        Err(DomainError::invalid(
            field,
            format!("{minutes} minutes is out of range; use 1 to {MAX_INTERVAL_MINUTES} minutes"),
        ))
    }
}

/// When the next public update of an active incident is due: the last update's time plus its
/// explicit "next update in N minutes", or else the table's interval for the incident's
/// severity and state. `None` for a resolved incident.
pub fn next_update_due(table: &CadenceTable, incident: &Incident) -> Option<Timestamp> {
    let last = incident.updates.last()?;
    let minutes = match last.next_update_in {
        Some(explicit) if incident.state != IncidentState::Resolved => explicit,
        _ => table.interval(incident.severity, incident.state)?,
    };
    last.at
        .checked_add(SignedDuration::from_mins(i64::from(minutes)))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_table_matches_the_reference_workflow() {
        let t = CadenceTable::default();
        let sev = |n| Severity::new(n).unwrap();
        assert_eq!(t.interval(sev(1), IncidentState::Investigating), Some(10));
        assert_eq!(t.interval(sev(1), IncidentState::Identified), Some(10));
        assert_eq!(t.interval(sev(1), IncidentState::Monitoring), Some(30));
        assert_eq!(t.interval(sev(2), IncidentState::Investigating), Some(15));
        assert_eq!(t.interval(sev(2), IncidentState::Identified), Some(30));
        assert_eq!(t.interval(sev(4), IncidentState::Monitoring), Some(60));
        assert_eq!(t.interval(sev(3), IncidentState::Resolved), None);
    }

    #[test]
    fn intervals_out_of_range_are_refused() {
        let mut t = CadenceTable::default();
        t.sev2.monitoring = 0;
        assert!(t.validate().is_err());
        t.sev2.monitoring = MAX_INTERVAL_MINUTES + 1;
        assert!(t.validate().is_err());
    }
}
