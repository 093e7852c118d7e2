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
