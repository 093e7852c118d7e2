//! Cadence adherence: of the public updates that came due, how many were posted on time, and
//! how late the others were.
use jiff::Timestamp;
use serde::Serialize;

use crate::Id;
use crate::broadcast::Subject;
use crate::cadence::MetBy;

/// A deadline for a public update, open or closed.
#[derive(Clone, Debug, PartialEq)]
pub struct DeadlineRecord {
    pub subject: Subject,
    pub subject_id: Id,
    pub due_at: Timestamp,
    pub met_at: Option<Timestamp>,
    pub met_by: Option<MetBy>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Adherence {
    /// Deadlines met, plus open ones already past.
    pub due: u64,
    /// Met at or before their due time.
    pub on_time: u64,
    /// `on_time / due`; `null` while nothing has come due.
    pub ratio: Option<f64>,
    /// Open deadlines already past: updates owed right now.
    pub overdue: u64,
    /// Every deadline not met on time, oldest first.
    pub late: Vec<Late>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Late {
    pub subject: Subject,
    pub subject_id: Id,
    pub due_at: Timestamp,
    /// `null` while still open.
    pub met_at: Option<Timestamp>,
    pub met_by: Option<MetBy>,
    /// How late it was met, or (open) how late it is now.
    pub lateness_secs: i64,
}

/// Adherence over `rows` at `now`. A deadline closed because the subject stopped needing
/// updates (automation switched back on) before it came due was never owed, so it does not
/// count.
pub fn adherence<'a>(
    rows: impl IntoIterator<Item = &'a DeadlineRecord>,
    now: Timestamp,
) -> Adherence {
    let mut out = Adherence::default();
    for row in rows {
        let (ended, open) = match row.met_at {
            Some(met) => (met, false),
            None => (now, true),
        };
        let not_owed = match open {
            true => row.due_at >= now,
            false => row.met_by == Some(MetBy::Stopped) && ended <= row.due_at,
        };
        if not_owed {
            continue;
        }
        out.due += 1;
        out.overdue += u64::from(open);
        if !open && ended <= row.due_at {
            out.on_time += 1;
        } else {
            out.late.push(Late {
                subject: row.subject,
                subject_id: row.subject_id.clone(),
                due_at: row.due_at,
                met_at: row.met_at,
                met_by: row.met_by,
                lateness_secs: ended.duration_since(row.due_at).as_secs(),
            });
        }
    }
    out.late.sort_by_key(|l| l.due_at);
    out.ratio = (out.due > 0).then(|| out.on_time as f64 / out.due as f64);
    out
}

#[cfg(test)]
mod tests {
    use jiff::SignedDuration;
    use proptest::prelude::*;

    use super::*;

    fn at(minutes: i64) -> Timestamp {
        let base: Timestamp = "2026-03-01T12:00:00Z".parse().unwrap();
        base + SignedDuration::from_mins(minutes)
    }

    fn row(due: i64, met: Option<(i64, MetBy)>) -> DeadlineRecord {
        DeadlineRecord {
            subject: Subject::Incident,
            subject_id: "i1".into(),
            due_at: at(due),
            met_at: met.map(|(m, _)| at(m)),
            met_by: met.map(|(_, by)| by),
        }
    }

    #[test]
    fn on_time_late_open_and_never_owed_deadlines_count_as_the_rules_say() {
        let rows = [
            row(10, Some((9, MetBy::Update))),   // on time
            row(20, Some((20, MetBy::Update))),  // on time, to the second
            row(30, Some((33, MetBy::Update))),  // 3 min late
            row(40, Some((45, MetBy::Snooze))),  // snoozed after the deadline: late
            row(50, Some((48, MetBy::Stopped))), // never owed
            row(60, Some((61, MetBy::Stopped))), // owed, and missed
            row(70, None),                       // open, 5 min overdue at 75
            row(80, None),                       // open, not yet due
        ];
        let a = adherence(&rows, at(75));
        assert_eq!((a.due, a.on_time, a.overdue), (6, 2, 1));
        assert_eq!(a.ratio, Some(2.0 / 6.0));
        let lateness: Vec<i64> = a.late.iter().map(|l| l.lateness_secs).collect();
        assert_eq!(lateness, [180, 300, 60, 300]);
        assert_eq!(a.late[3].met_at, None);
        assert_eq!(adherence(&[], at(0)).ratio, None);
    }

    proptest! {
        #[test]
        fn counts_are_consistent(
            deadlines in prop::collection::vec((0i64..100, prop::option::of((0i64..100, 0u8..4))), 0..20),
            now in 0i64..120,
        ) {
            let rows: Vec<DeadlineRecord> = deadlines.iter().map(|(due, met)| {
                let by = |n: u8| [MetBy::Update, MetBy::Resolved, MetBy::Snooze, MetBy::Stopped][n as usize];
                row(*due, met.map(|(m, b)| (m, by(b))))
            }).collect();
            let a = adherence(&rows, at(now));
            prop_assert!(a.on_time <= a.due);
            prop_assert!(a.overdue <= a.due);
            prop_assert_eq!(a.late.len() as u64, a.due - a.on_time);
            prop_assert!(a.late.iter().all(|l| l.lateness_secs > 0));
            if let Some(r) = a.ratio {
                prop_assert!((0.0..=1.0).contains(&r));
            }
        }
    }
}
