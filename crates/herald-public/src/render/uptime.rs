//! The 90-day history of each component, derived from its incidents' timelines: the worst
//! level it had each day, and an uptime figure that counts a major outage fully and a partial
//! one at 30 % (the weighting Atlassian Statuspage uses), so the two products agree.
use std::collections::HashMap;

use herald_core::status::StatusLevel;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::data::View;

pub const DAYS: usize = 90;

#[derive(Clone, Debug, PartialEq)]
pub struct Day {
    pub date: Date,
    /// `None` before the component existed.
    pub level: Option<StatusLevel>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Uptime {
    /// Oldest first; the last is today (UTC).
    pub days: Vec<Day>,
    /// Over the part of the window the component existed; `None` if it did not yet.
    pub percent: Option<f64>,
}

/// A stretch of time a component spent at one level, from one update to the next.
struct Span {
    start: Timestamp,
    end: Timestamp,
    level: StatusLevel,
}

/// Every component's history, keyed by component id.
pub fn uptime_by_component(view: &View) -> HashMap<String, Uptime> {
    let today = view.now.to_zoned(TimeZone::UTC).date();
    let first_day = today
        .checked_sub(SignedDuration::from_hours(24 * (DAYS as i64 - 1)))
        .unwrap_or(today);
    let window_start = day_start(first_day);
    let mut spans: HashMap<&str, Vec<Span>> = HashMap::new();
    for incident in &view.data.incidents {
        let end_of_incident = incident.resolved_at.unwrap_or(view.now);
        if end_of_incident < window_start {
            continue;
        }
        for (k, update) in incident.updates.iter().enumerate() {
            let end = incident
                .updates
                .get(k + 1)
                .map_or(end_of_incident, |next| next.at)
                .min(view.now);
            if end <= update.at {
                continue;
            }
            for affected in &update.levels {
                if affected.level.is_operational() {
                    continue;
                }
                if let Some((component, _)) = view.location(&affected.location_id) {
                    spans.entry(component.id.as_str()).or_default().push(Span {
                        start: update.at.max(window_start),
                        end,
                        level: affected.level,
                    });
                }
            }
        }
    }
    view.data
        .components
        .iter()
        .map(|component| {
            let spans = spans.remove(component.id.as_str()).unwrap_or_default();
            let uptime = history(&spans, component.created_at, first_day, view.now);
            (component.id.clone(), uptime)
        })
        .collect()
}

fn day_start(date: Date) -> Timestamp {
    date.to_zoned(TimeZone::UTC)
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

fn history(spans: &[Span], created: Timestamp, first_day: Date, now: Timestamp) -> Uptime {
    let mut days = Vec::with_capacity(DAYS);
    let mut observed = 0.0;
    let mut down = 0.0;
    let mut date = first_day;
    for _ in 0..DAYS {
        let start = day_start(date);
        let next = date.tomorrow().unwrap_or(date);
        let end = day_start(next).min(now);
        let from = start.max(created);
        let level = if from >= end && created > start {
            None
        } else {
            let (worst, weighted) = worst_between(spans, from, end);
            observed += seconds(from, end);
            down += weighted;
            Some(worst)
        };
        days.push(Day { date, level });
        date = next;
    }
    let percent = (observed > 0.0).then(|| 100.0 * (1.0 - down / observed).max(0.0));
    Uptime { days, percent }
}

/// The worst level between `from` and `to`, and the weighted seconds of outage in it.
/// Overlapping incidents count once, at the worst of them.
fn worst_between(spans: &[Span], from: Timestamp, to: Timestamp) -> (StatusLevel, f64) {
    let spans: Vec<&Span> = spans
        .iter()
        .filter(|s| s.start < to && s.end > from)
        .collect();
    let mut cuts: Vec<Timestamp> = vec![from, to];
    for span in &spans {
        for t in [span.start, span.end] {
            if t > from && t < to {
                cuts.push(t);
            }
        }
    }
    cuts.sort();
    cuts.dedup();
    let mut worst = StatusLevel::Operational;
    let mut weighted = 0.0;
    for pair in cuts.windows(2) {
        let level = spans
            .iter()
            .filter(|s| s.start <= pair[0] && s.end >= pair[1])
            .map(|s| s.level)
            .max()
            .unwrap_or(StatusLevel::Operational);
        worst = worst.max(level);
        weighted += seconds(pair[0], pair[1]) * outage_weight(level);
    }
    (worst, weighted)
}

fn outage_weight(level: StatusLevel) -> f64 {
    match level {
        StatusLevel::ServiceDisruption | StatusLevel::SecurityEvent => 1.0,
        StatusLevel::PartialServiceDisruption => 0.3,
        _ => 0.0,
    }
}

fn seconds(from: Timestamp, to: Timestamp) -> f64 {
    if to > from {
        to.duration_since(from).as_secs_f64()
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use herald_core::component::{Component, Location};
    use herald_core::incident::{
        AffectedLocation, Channels, Incident, IncidentState, Severity, Update,
    };
    use herald_core::page::{Page, PageSettings};
    use jiff::civil::date;

    use super::*;
    use crate::data::PageData;

    /// Noon on 2025-06-02, "today" for every test.
    fn now() -> Timestamp {
        "2025-06-02T12:00:00Z".parse().unwrap()
    }

    fn hours_ago(hours: i64) -> Timestamp {
        now() - SignedDuration::from_hours(hours)
    }

    fn page_with(created: Timestamp, incidents: Vec<Incident>) -> PageData {
        let component = Component {
            id: "api".into(),
            page_id: "p".into(),
            group_id: None,
            name: "API".into(),
            description: String::new(),
            position: 0,
            locations: ["east", "west"]
                .iter()
                .enumerate()
                .map(|(i, id)| Location {
                    id: (*id).into(),
                    component_id: "api".into(),
                    name: (*id).into(),
                    position: i as i64,
                    override_level: None,
                })
                .collect(),
            created_at: created,
            updated_at: created,
        };
        let mut data = PageData {
            page: Page {
                id: "p".into(),
                slug: "p".into(),
                name: "P".into(),
                time_zone: "UTC".into(),
                settings: PageSettings::default(),
                created_at: created,
                updated_at: created,
            },
            groups: Vec::new(),
            components: vec![component],
            incidents: Vec::new(),
            maintenance: Vec::new(),
        };
        for incident in incidents {
            data.upsert_incident(incident);
        }
        data
    }

    /// An incident holding `location` at `level` from `start` for `minutes`, then resolved.
    fn outage(
        id: &str,
        location: &str,
        level: StatusLevel,
        start: Timestamp,
        minutes: i64,
    ) -> Incident {
        let end = start + SignedDuration::from_mins(minutes);
        let update = |n: &str, state, level, at| Update {
            id: format!("{id}{n}"),
            state,
            details: String::new(),
            levels: vec![AffectedLocation {
                location_id: location.into(),
                level,
            }],
            subject: String::new(),
            channels: Channels::default(),
            author: "test".into(),
            at,
            next_update_in: None,
        };
        Incident {
            id: id.into(),
            page_id: "p".into(),
            title: id.into(),
            severity: Severity::new(3).unwrap(),
            severity_reason: None,
            state: IncidentState::Resolved,
            affected: vec![AffectedLocation {
                location_id: location.into(),
                level: StatusLevel::Operational,
            }],
            updates: vec![
                update("a", IncidentState::Investigating, level, start),
                update("b", IncidentState::Resolved, StatusLevel::Operational, end),
            ],
            postmortem_url: None,
            recurrences: 0,
            created_at: start,
            updated_at: end,
            resolved_at: Some(end),
            issue_link: None,
        }
    }

    fn api_uptime(data: &PageData) -> Uptime {
        let view = View::new(data, now(), "https://s.example/".into());
        uptime_by_component(&view).remove("api").unwrap()
    }

    #[test]
    fn each_day_shows_the_worst_level_any_location_had() {
        let three_days_ago = hours_ago(3 * 24);
        let data = page_with(
            hours_ago(200 * 24),
            vec![
                outage(
                    "a",
                    "east",
                    StatusLevel::DegradedPerformance,
                    three_days_ago,
                    60,
                ),
                outage(
                    "b",
                    "west",
                    StatusLevel::ServiceDisruption,
                    three_days_ago,
                    30,
                ),
            ],
        );
        let uptime = api_uptime(&data);
        assert_eq!(uptime.days.len(), DAYS);
        assert_eq!(uptime.days[DAYS - 1].date, date(2025, 6, 2));
        assert_eq!(uptime.days[DAYS - 4].date, date(2025, 5, 30));
        assert_eq!(
            uptime.days[DAYS - 4].level,
            Some(StatusLevel::ServiceDisruption)
        );
        let others = uptime
            .days
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != DAYS - 4);
        assert!(
            others
                .into_iter()
                .all(|(_, d)| d.level == Some(StatusLevel::Operational))
        );
    }

    #[test]
    fn uptime_counts_major_outages_fully_partial_ones_at_30_percent_and_overlaps_once() {
        let start = hours_ago(10 * 24);
        let data = page_with(
            hours_ago(200 * 24),
            vec![
                // Two hours major, with a partial outage inside it that must not count again.
                outage("major", "east", StatusLevel::ServiceDisruption, start, 120),
                outage(
                    "inside",
                    "west",
                    StatusLevel::PartialServiceDisruption,
                    start,
                    60,
                ),
                // One hour partial on its own, and a degraded hour that costs nothing.
                outage(
                    "partial",
                    "west",
                    StatusLevel::PartialServiceDisruption,
                    hours_ago(5 * 24),
                    60,
                ),
                outage(
                    "slow",
                    "east",
                    StatusLevel::DegradedPerformance,
                    hours_ago(4 * 24),
                    60,
                ),
            ],
        );
        let window_start = date(2025, 3, 5)
            .to_zoned(TimeZone::UTC)
            .unwrap()
            .timestamp();
        let observed = now().duration_since(window_start).as_secs_f64();
        let down = 2.0 * 3600.0 + 0.3 * 3600.0;
        let expected = 100.0 * (1.0 - down / observed);
        let percent = api_uptime(&data).percent.unwrap();
        assert!((percent - expected).abs() < 1e-9, "{percent} != {expected}");
    }

    #[test]
    fn days_before_the_component_existed_have_no_data() {
        let data = page_with(hours_ago(36), Vec::new());
        let uptime = api_uptime(&data);
        assert!(uptime.days[..DAYS - 2].iter().all(|d| d.level.is_none()));
        assert_eq!(uptime.days[DAYS - 2].level, Some(StatusLevel::Operational));
        assert_eq!(uptime.percent, Some(100.0));
    }
}
