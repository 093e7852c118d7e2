//! The update cadence: how long the public may wait for the next update, by severity and state.
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use serde_json::json;

use crate::DomainError;
use crate::broadcast::Subject;
use crate::event::{Event, EventKind};
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

/// What an open deadline is closed by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MetBy {
    /// A public update that leaves the subject needing more.
    Update,
    /// A public update after which no more are due (resolved, completed, cancelled).
    Resolved,
    /// A snooze asked for after the deadline had passed: late, and a new deadline opens.
    Snooze,
    /// The subject stopped needing updates without one (automation switched back on).
    Stopped,
}

/// How a change to a subject moves its deadline for the next public update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The open deadline (if any) stays as it is.
    Keep,
    /// The open deadline (if any) is met now, by `by`; a new one opens at `next`.
    Close { by: MetBy, next: Option<Timestamp> },
    /// The open deadline moves to this instant (opening one when there is none), without
    /// counting against anyone.
    Move(Timestamp),
}

/// The step for a change to a subject. `open` is its open deadline; `before` and `after` are
/// when the next update is due by the rules before and after the change; `published` says
/// whether the change posted a public update.
///
/// A public update meets the open deadline and opens the next (none once resolved). A change
/// without one leaves a deadline alone unless the rules now ask for another time (a severity
/// or state edit: recomputed from the last update's time), or for none at all.
pub fn step(
    open: Option<Timestamp>,
    before: Option<Timestamp>,
    after: Option<Timestamp>,
    published: bool,
) -> Step {
    match (published, open, after) {
        (true, _, Some(next)) => Step::Close {
            by: MetBy::Update,
            next: Some(next),
        },
        (true, _, None) => Step::Close {
            by: MetBy::Resolved,
            next: None,
        },
        (false, Some(_), None) => Step::Close {
            by: MetBy::Stopped,
            next: None,
        },
        (false, None, Some(at)) => Step::Move(at),
        (false, Some(_), Some(at)) if before != after => Step::Move(at),
        _ => Step::Keep,
    }
}

/// The audit entry of a subject's lead or manager named anew (`before` and `after`: its
/// cadence, roles included).
pub fn roles_changed<T: Serialize>(subject: Subject, id: &str, before: &T, after: &T) -> Event {
    let kind = match subject {
        Subject::Incident => EventKind::IncidentRolesChanged,
        Subject::Maintenance => EventKind::MaintenanceRolesChanged,
    };
    Event::new(kind, id, Some(before), Some(after))
}

/// A snooze as the rules decide it: what happens to the deadline, and the audit entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Snooze {
    pub step: Step,
    pub event: Event,
}

/// A snooze of `minutes` asked for at `now` on a subject whose next update is due at `due`
/// (its open deadline, or the rules' time for one from before deadlines were kept; none: no
/// update is due, so nothing to snooze). Before the deadline it moves it without penalty;
/// after, the deadline counts as missed and a new one opens. Either way the next update is
/// due `minutes` from now.
pub fn snooze(
    subject: Subject,
    id: &str,
    due: Option<Timestamp>,
    minutes: u32,
    now: Timestamp,
) -> Result<Snooze, DomainError> {
    let due = due.ok_or(DomainError::NothingDue(subject.label()))?;
    validate_interval("minutes", minutes)?;
    let next = now
        .checked_add(SignedDuration::from_mins(i64::from(minutes)))
        .map_err(|_| DomainError::invalid("minutes", "is too far ahead"))?;
    let (step, note) = match now <= due {
        true => (
            Step::Move(next),
            format!("snoozed for {minutes} min before the deadline at {due}: no penalty"),
        ),
        false => (
            Step::Close {
                by: MetBy::Snooze,
                next: Some(next),
            },
            format!(
                "snoozed for {minutes} min after the deadline at {due} had passed: counted late"
            ),
        ),
    };
    let kind = match subject {
        Subject::Incident => EventKind::IncidentSnoozed,
        Subject::Maintenance => EventKind::MaintenanceSnoozed,
    };
    let event = Event {
        kind,
        subject_id: id.to_string(),
        before: Some(json!({"next_update_due": due})),
        after: Some(json!({"next_update_due": next})),
        note: Some(note),
    };
    Ok(Snooze { step, event })
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

    fn at(minutes: i64) -> Timestamp {
        let base: Timestamp = "2026-03-01T12:00:00Z".parse().unwrap();
        base + SignedDuration::from_mins(minutes)
    }

    #[test]
    fn a_public_update_meets_the_deadline_and_opens_the_next() {
        let next = Some(at(30));
        for open in [None, Some(at(10))] {
            assert_eq!(
                step(open, Some(at(10)), next, true),
                Step::Close {
                    by: MetBy::Update,
                    next
                }
            );
        }
        assert_eq!(
            step(Some(at(10)), Some(at(10)), None, true),
            Step::Close {
                by: MetBy::Resolved,
                next: None
            }
        );
    }

    #[test]
    fn a_change_without_an_update_moves_the_deadline_only_when_the_rules_do() {
        // A title edit: the same due time, so a snoozed deadline keeps its snooze.
        assert_eq!(
            step(Some(at(25)), Some(at(10)), Some(at(10)), false),
            Step::Keep
        );
        // A severity edit: recomputed.
        assert_eq!(
            step(Some(at(10)), Some(at(10)), Some(at(30)), false),
            Step::Move(at(30))
        );
        // Automation switched off on a window under way: a deadline opens.
        assert_eq!(step(None, None, Some(at(30)), false), Step::Move(at(30)));
        // And back on: it closes without an update.
        assert_eq!(
            step(Some(at(30)), Some(at(30)), None, false),
            Step::Close {
                by: MetBy::Stopped,
                next: None
            }
        );
        assert_eq!(step(None, None, None, false), Step::Keep);
    }

    #[test]
    fn a_snooze_before_the_deadline_moves_it_and_after_it_counts_as_late() {
        let snooze = |due, minutes, now| snooze(Subject::Incident, "i1", Some(due), minutes, now);
        assert_eq!(snooze(at(10), 15, at(9)).unwrap().step, Step::Move(at(24)));
        assert_eq!(snooze(at(10), 15, at(10)).unwrap().step, Step::Move(at(25)));
        let late = snooze(at(10), 5, at(12)).unwrap();
        assert_eq!(
            late.step,
            Step::Close {
                by: MetBy::Snooze,
                next: Some(at(17))
            }
        );
        assert_eq!(late.event.kind, EventKind::IncidentSnoozed);
        assert_eq!(late.event.after, Some(json!({"next_update_due": at(17)})));
        assert!(late.event.note.unwrap().ends_with("counted late"));
        for bad in [0, MAX_INTERVAL_MINUTES + 1] {
            let err = snooze(at(10), bad, at(9)).unwrap_err();
            assert!(err.to_string().starts_with("minutes: "), "{err}");
        }
    }

    #[test]
    fn there_is_nothing_to_snooze_when_no_update_is_due() {
        let window = snooze(Subject::Maintenance, "m1", None, 15, at(0)).unwrap_err();
        assert_eq!(window, DomainError::NothingDue("maintenance window"));
        let on_time = snooze(Subject::Maintenance, "m1", Some(at(20)), 15, at(0)).unwrap();
        assert_eq!(on_time.event.kind, EventKind::MaintenanceSnoozed);
        assert!(on_time.event.note.unwrap().ends_with("no penalty"));
    }
}
