//! The 90-day history of each component, derived from its incidents' timelines: the worst
//! level any of its locations had each day, and an uptime figure.
//!
//! Each location carries an equal share of its component: with N locations, an outage on one
//! of them costs the component 1/N of its time. A major outage (service disruption, security
//! event) counts fully, a partial one at 30 % (the weighting Atlassian Statuspage uses, so the
//! two products agree), other levels not at all; incidents overlapping on one location count
//! once, at the worst of them. The window is the 90 days of the bars, or the component's life
//! when that is shorter; a component younger than a day has no figure, since a two-minute
//! outage in its first minutes would read as a collapse.
use std::sync::Arc;

use foldhash::HashMap;

use herald_core::component::Component;
use herald_core::incident::Incident;
use herald_core::status::StatusLevel;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};

use crate::data::{Touching, View, newest_first};
use crate::memo::ByAddress;

pub const DAYS: usize = 90;

const DAY: SignedDuration = SignedDuration::from_hours(24);

/// How old a component must be for its uptime to be shown.
const FIGURE_AFTER: SignedDuration = DAY;

#[derive(Clone, Debug, PartialEq)]
pub struct Day {
    pub date: Date,
    /// `None` before the component existed.
    pub level: Option<StatusLevel>,
    /// How long any of its locations was at a level other than operational that day.
    pub troubled: SignedDuration,
    /// The incidents that held one of its locations that day, newest first.
    pub incidents: Vec<Arc<Incident>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Uptime {
    /// Oldest first; the last is today (UTC).
    pub days: Arc<[Day]>,
    /// Over the part of the window the component existed; `None` while it is younger than a
    /// day.
    pub percent: Option<f64>,
}

/// A stretch of time a location spent at one level, from one update to the next.
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
    view.data
        .components
        .iter()
        .map(|component| {
            let locations: Vec<LocationIncidents> = component
                .locations
                .iter()
                .map(|l| {
                    (
                        l.id.clone(),
                        view.data.touching(&l.id).cloned().map(ByAddress),
                    )
                })
                .collect();
            let open = locations
                .iter()
                .filter_map(|(_, incidents)| incidents.as_ref())
                .any(|list| list.0.ended.is_none_or(|end| end > view.now));
            let inputs = Inputs {
                first_day,
                created: component.created_at,
                exists: component.created_at < view.now,
                until: open.then_some(view.now),
                locations,
            };
            let computed = view.memos().uptime.get(inputs, history);
            let uptime = Uptime {
                days: computed.days.clone(),
                percent: percent(component, &computed, window_start, view.now),
            };
            (component.id.clone(), uptime)
        })
        .collect()
}

/// What a component's days are computed from. The time now is part of it only while one of
/// its incidents is open (its last span ends now); the figure, worked out afresh, depends on
/// it otherwise.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Inputs {
    first_day: Date,
    created: Timestamp,
    /// Whether the component exists yet (the clock may be behind its creation).
    exists: bool,
    /// Where every span ends at the latest: now, while an incident is open or ends after now.
    until: Option<Timestamp>,
    /// Each location's id and the incidents that set a level on it, in the component's order.
    locations: Vec<LocationIncidents>,
}

/// A location's id and the incidents that set a level on it, if any did.
type LocationIncidents = (String, Option<ByAddress<Touching>>);

/// A component's days, and its outage over the window: nanoseconds times the weight in
/// percent, summed over the locations.
pub struct Computed {
    days: Arc<[Day]>,
    down: i128,
}

/// The uptime figure, over the part of the window the component existed; `None` while it is
/// younger than a day.
fn percent(
    component: &Component,
    computed: &Computed,
    window_start: Timestamp,
    now: Timestamp,
) -> Option<f64> {
    let created = component.created_at;
    let from = window_start.max(created);
    (now.duration_since(created) >= FIGURE_AFTER).then(|| {
        let window = now.duration_since(from).as_nanos() * 100 * component.locations.len() as i128;
        100.0 * (1.0 - computed.down as f64 / window as f64)
    })
}

fn day_start(date: Date) -> Timestamp {
    date.to_zoned(TimeZone::UTC)
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

fn history(inputs: &Inputs) -> Arc<Computed> {
    let Inputs {
        first_day,
        created,
        exists,
        until,
        locations,
    } = inputs;
    let window_start = day_start(*first_day);
    let day_starts: Vec<Timestamp> = (0..=DAYS as i32).map(|d| window_start + DAY * d).collect();
    let mut days: Vec<Day> = day_starts
        .windows(2)
        .zip(first_day.series(1.day()))
        .map(|(bounds, date)| Day {
            date,
            level: (*exists && *created < bounds[1]).then_some(StatusLevel::Operational),
            troubled: SignedDuration::ZERO,
            incidents: Vec::new(),
        })
        .collect();
    let from = window_start.max(*created);
    let mut down: i128 = 0;
    let mut every_location: Vec<Span> = Vec::new();
    for (location, incidents) in locations {
        let incidents = incidents
            .as_ref()
            .map_or(&[][..], |list| &list.0.incidents[..]);
        let spans = spans_on(location, incidents, window_start, *until);
        for (incident, span) in &spans {
            for day in days_between(&day_starts, span.start.max(from), span.end) {
                days[day].incidents.push((*incident).clone());
            }
        }
        for span in worst_over_time(spans.iter().map(|(_, span)| span), from) {
            down += span.end.duration_since(span.start).as_nanos() * outage_weight(span.level);
            for day in days_between(&day_starts, span.start, span.end) {
                days[day].level = days[day].level.max(Some(span.level));
            }
            every_location.push(span);
        }
    }
    // Troubled time counts once however many locations shared it.
    for span in worst_over_time(&every_location, from) {
        for day in days_between(&day_starts, span.start, span.end) {
            let start = span.start.max(day_starts[day]);
            let end = span.end.min(day_starts[day + 1]);
            days[day].troubled += end.duration_since(start);
        }
    }
    for day in &mut days {
        day.incidents.sort_unstable_by(|a, b| newest_first(a, b));
        day.incidents.dedup_by(|a, b| Arc::ptr_eq(a, b));
    }
    Arc::new(Computed {
        days: days.into(),
        down,
    })
}

/// The stretches the location spent at a level other than operational, each with its
/// incident: from each update that set one to the next update, or to the incident's end,
/// and never past `until`.
fn spans_on<'i>(
    location: &str,
    incidents: &'i [Arc<Incident>],
    window_start: Timestamp,
    until: Option<Timestamp>,
) -> Vec<(&'i Arc<Incident>, Span)> {
    let clamp = |t: Timestamp| until.map_or(t, |until| t.min(until));
    let mut spans = Vec::new();
    for incident in incidents {
        // Only open incidents lack an end, and while one is open `until` is set.
        let end_of_incident = clamp(incident.resolved_at.unwrap_or(Timestamp::MAX));
        if end_of_incident < window_start {
            continue;
        }
        for (k, update) in incident.updates.iter().enumerate() {
            let next = incident.updates.get(k + 1).map(|next| next.at);
            let end = clamp(next.unwrap_or(end_of_incident));
            if end <= update.at {
                continue;
            }
            let levels = update.levels.iter().filter(|a| a.location_id == location);
            for affected in levels.filter(|a| !a.level.is_operational()) {
                let span = Span {
                    start: update.at,
                    end,
                    level: affected.level,
                };
                spans.push((incident, span));
            }
        }
    }
    spans
}

/// The days `start..end` touches, as indexes of `day_starts` (empty when `end <= start`).
/// Every day is 24 hours long in UTC, so the index is a division rather than a search.
fn days_between(
    day_starts: &[Timestamp],
    start: Timestamp,
    end: Timestamp,
) -> std::ops::Range<usize> {
    if end <= start {
        return 0..0;
    }
    let nanos = |t: Timestamp| t.duration_since(day_starts[0]).as_nanos();
    let index = |day: i128| day.clamp(0, DAYS as i128) as usize;
    let first = nanos(start).div_euclid(DAY.as_nanos());
    // The end is not part of the span: one ending at midnight does not touch the next day.
    let last = (nanos(end) - 1).div_euclid(DAY.as_nanos());
    index(first)..index(last + 1)
}

/// The worst level `spans` (one location's, each ending by now) hold at each moment from
/// `from` on, as disjoint spans in time order: overlapping incidents count once, at the worst
/// of them.
fn worst_over_time<'s>(spans: impl IntoIterator<Item = &'s Span>, from: Timestamp) -> Vec<Span> {
    let mut edges: Vec<(Timestamp, StatusLevel, bool)> = Vec::new();
    for span in spans {
        let (start, end) = (span.start.max(from), span.end);
        if start < end {
            edges.push((start, span.level, true));
            edges.push((end, span.level, false));
        }
    }
    edges.sort_unstable_by_key(|&(at, ..)| at);
    // How many spans hold each level at the moment, by the level's place in `ALL`.
    let mut held = [0usize; StatusLevel::ALL.len()];
    let mut worst = Vec::new();
    for (k, &(at, level, starts)) in edges.iter().enumerate() {
        let count = &mut held[level as usize];
        if starts {
            *count += 1;
        } else {
            *count -= 1;
        }
        // Once every edge at this moment is counted, the worst level holds until the next.
        let holding = held.iter().rposition(|&n| n > 0);
        if let (Some(index), Some(&(next, ..))) = (holding, edges.get(k + 1))
            && next > at
        {
            worst.push(Span {
                start: at,
                end: next,
                level: StatusLevel::ALL[index],
            });
        }
    }
    worst
}

/// In percent.
fn outage_weight(level: StatusLevel) -> i128 {
    match level {
        StatusLevel::ServiceDisruption | StatusLevel::SecurityEvent => 100,
        StatusLevel::PartialServiceDisruption => 30,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;
    use proptest::prelude::*;

    use super::*;
    use crate::data::PageData;
    use crate::fixtures::{LOCATIONS, incident, page_with};
    use crate::memo::Memos;

    /// Noon on 2025-06-02, "today" for every test but the property test.
    fn now() -> Timestamp {
        "2025-06-02T12:00:00Z".parse().unwrap()
    }

    fn hours_ago(hours: i64) -> Timestamp {
        now() - SignedDuration::from_hours(hours)
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
        incident(id, vec![(start, vec![(location, level)])], Some(end))
    }

    fn api_uptime_at(data: &PageData, now: Timestamp) -> Uptime {
        let view = View::new(data, now, "https://s.example/".into());
        uptime_by_component(&view).remove("api").unwrap()
    }

    fn api_uptime(data: &PageData) -> Uptime {
        api_uptime_at(data, now())
    }

    fn assert_close(percent: Option<f64>, expected: f64) {
        let percent = percent.expect("an uptime figure");
        assert!((percent - expected).abs() < 1e-9, "{percent} != {expected}");
    }

    #[test]
    fn the_next_snapshot_recomputes_only_the_days_a_change_touched() {
        use StatusLevel::*;
        let mut data = page_with(
            1,
            hours_ago(24 * 30),
            vec![
                outage(
                    "api-down",
                    "east",
                    PartialServiceDisruption,
                    hours_ago(48),
                    60,
                ),
                outage(
                    "web-down",
                    "west",
                    PartialServiceDisruption,
                    hours_ago(5),
                    10,
                ),
            ],
        );
        let mut web = data.components[0].clone();
        web.id = "web".into();
        web.locations[0].id = "west".into();
        data.components.push(web);
        let base = "https://s.example/".to_string();
        let uptimes = |data: &PageData, now, memos: &Arc<Memos>| {
            let view = View::new(data, now, base.clone()).remembering(memos.clone());
            uptime_by_component(&view)
        };
        let memos = Arc::new(Memos::default());
        let first = uptimes(&data, now(), &memos);
        // The web outage turns out longer; its incident keeps its place in the list.
        data.upsert_incident(outage(
            "web-down",
            "west",
            ServiceDisruption,
            hours_ago(5),
            90,
        ));
        let later = now() + SignedDuration::from_mins(5);
        let second = uptimes(&data, later, &Arc::new(Memos::after(&memos)));
        let fresh = uptime_by_component(&View::new(&data, later, base.clone()));
        assert_eq!(second, fresh, "what a computation from scratch gives");
        assert!(Arc::ptr_eq(&first["api"].days, &second["api"].days));
        assert_ne!(
            first["api"].percent, second["api"].percent,
            "the window moved on"
        );
        assert_ne!(first["web"].days, second["web"].days);
    }

    #[test]
    fn an_open_incident_s_days_move_on_with_the_clock() {
        let ongoing = incident(
            "ongoing",
            vec![(hours_ago(1), vec![("east", StatusLevel::ServiceDisruption)])],
            None,
        );
        let data = page_with(1, hours_ago(24 * 30), vec![ongoing]);
        let memos = Arc::new(Memos::default());
        let uptime = |now, memos: &Arc<Memos>| {
            let view = View::new(&data, now, "https://s.example/".into());
            uptime_by_component(&view.remembering(memos.clone()))
                .remove("api")
                .unwrap()
        };
        uptime(now(), &memos);
        let later = now() + SignedDuration::from_mins(30);
        let second = uptime(later, &Arc::new(Memos::after(&memos)));
        assert_eq!(second, api_uptime_at(&data, later));
        assert_eq!(
            second.days[DAYS - 1].troubled,
            SignedDuration::from_mins(90)
        );
    }

    #[test]
    fn levels_count_by_their_place_in_all() {
        for (index, level) in StatusLevel::ALL.into_iter().enumerate() {
            assert_eq!(level as usize, index, "{level:?}");
        }
    }

    #[test]
    fn each_day_shows_the_worst_level_any_location_had() {
        let three_days_ago = hours_ago(3 * 24);
        let data = page_with(
            2,
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
    fn an_outage_on_one_of_two_locations_costs_the_component_half_of_it() {
        let data = page_with(
            2,
            hours_ago(10 * 24),
            vec![outage(
                "partial",
                "east",
                StatusLevel::PartialServiceDisruption,
                hours_ago(3),
                2,
            )],
        );
        let window = 10.0 * 86_400.0;
        let expected = 100.0 * (1.0 - 0.5 * 0.3 * 120.0 / window);
        assert_close(api_uptime(&data).percent, expected);
    }

    #[test]
    fn overlapping_incidents_on_one_location_count_once_at_the_worst_level() {
        let start = hours_ago(10 * 24);
        let data = page_with(
            2,
            hours_ago(200 * 24),
            vec![
                // Two hours major, with a partial outage inside it that must not count again.
                outage("major", "east", StatusLevel::ServiceDisruption, start, 120),
                outage(
                    "inside",
                    "east",
                    StatusLevel::PartialServiceDisruption,
                    start + SignedDuration::from_mins(30),
                    60,
                ),
                // One hour partial elsewhere, and a degraded hour that costs nothing.
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
        // Older than the bars: the window is their 90 days.
        let window_start = date(2025, 3, 5)
            .to_zoned(TimeZone::UTC)
            .unwrap()
            .timestamp();
        let window = now().duration_since(window_start).as_secs_f64();
        let down = 0.5 * (2.0 * 3600.0) + 0.5 * (0.3 * 3600.0);
        assert_close(api_uptime(&data).percent, 100.0 * (1.0 - down / window));
    }

    #[test]
    fn an_active_incident_counts_up_to_now() {
        let data = page_with(
            2,
            hours_ago(10 * 24),
            vec![incident(
                "ongoing",
                vec![(
                    hours_ago(1),
                    vec![
                        ("east", StatusLevel::ServiceDisruption),
                        ("west", StatusLevel::SecurityEvent),
                    ],
                )],
                None,
            )],
        );
        let expected = 100.0 * (1.0 - 3600.0 / (10.0 * 86_400.0));
        assert_close(api_uptime(&data).percent, expected);
        let later = api_uptime_at(&data, now() + SignedDuration::from_hours(1));
        let expected = 100.0 * (1.0 - 2.0 * 3600.0 / (10.0 * 86_400.0 + 3600.0));
        assert_close(later.percent, expected);
    }

    #[test]
    fn a_component_younger_than_a_day_shows_its_bar_but_no_figure() {
        // Minutes old, during and just after a two-minute partial outage on one location.
        let created = now() - SignedDuration::from_mins(5);
        let start = now() - SignedDuration::from_mins(3);
        let partial = vec![("east", StatusLevel::PartialServiceDisruption)];
        let active = page_with(
            2,
            created,
            vec![incident("i", vec![(start, partial.clone())], None)],
        );
        let resolved = page_with(
            2,
            created,
            vec![incident(
                "i",
                vec![(start, partial)],
                Some(start + SignedDuration::from_mins(2)),
            )],
        );
        for data in [&active, &resolved] {
            let uptime = api_uptime(data);
            assert_eq!(uptime.percent, None);
            assert_eq!(
                uptime.days[DAYS - 1].level,
                Some(StatusLevel::PartialServiceDisruption)
            );
            assert!(uptime.days[..DAYS - 1].iter().all(|d| d.level.is_none()));
        }
        let a_day_later = api_uptime_at(&resolved, created + DAY);
        assert_close(
            a_day_later.percent,
            100.0 * (1.0 - 0.5 * 0.3 * 120.0 / 86_400.0),
        );
    }

    #[test]
    fn days_before_the_component_existed_have_no_data() {
        let data = page_with(2, hours_ago(36), Vec::new());
        let uptime = api_uptime(&data);
        assert!(uptime.days[..DAYS - 2].iter().all(|d| d.level.is_none()));
        assert_eq!(uptime.days[DAYS - 2].level, Some(StatusLevel::Operational));
        assert_eq!(uptime.percent, Some(100.0));
    }

    /// One random incident: how many hours before "now" it began, then each update's
    /// duration in hours and the levels it sets (location index, level), and whether it
    /// was resolved after the last one.
    type Story = (i64, Vec<(i64, Vec<(usize, StatusLevel)>)>, bool);

    fn story() -> impl Strategy<Value = Story> {
        let level = prop::sample::select(StatusLevel::ALL.to_vec());
        let update = (0..72i64, prop::collection::vec((0..3usize, level), 0..3));
        (
            0..100 * 24i64,
            prop::collection::vec(update, 1..4),
            any::<bool>(),
        )
    }

    /// The component's levels hour by hour, read straight off the timelines: at the middle of
    /// each hour, the worst level any update then in effect gives each location.
    fn hourly_levels(
        incidents: &[Incident],
        locations: usize,
        hours: &[Timestamp],
        now: Timestamp,
    ) -> Vec<Vec<StatusLevel>> {
        hours
            .iter()
            .map(|&hour| {
                let middle = hour + SignedDuration::from_mins(30);
                LOCATIONS[..locations]
                    .iter()
                    .map(|&location| {
                        let mut worst = StatusLevel::Operational;
                        for i in incidents {
                            for (k, u) in i.updates.iter().enumerate() {
                                let next = i.updates.get(k + 1).map(|n| n.at);
                                let until = next.or(i.resolved_at).unwrap_or(now);
                                if u.at <= middle && middle < until {
                                    for a in u.levels.iter().filter(|a| a.location_id == location) {
                                        worst = worst.max(a.level);
                                    }
                                }
                            }
                        }
                        worst
                    })
                    .collect()
            })
            .collect()
    }

    /// Which incidents hold one of the locations at something other than operational, hour
    /// by hour, as indexes into `incidents`.
    fn hourly_incidents(
        incidents: &[Incident],
        locations: usize,
        hours: &[Timestamp],
        now: Timestamp,
    ) -> Vec<Vec<usize>> {
        hours
            .iter()
            .map(|&hour| {
                let middle = hour + SignedDuration::from_mins(30);
                (0..incidents.len())
                    .filter(|&n| {
                        let i = &incidents[n];
                        i.updates.iter().enumerate().any(|(k, u)| {
                            let next = i.updates.get(k + 1).map(|n| n.at);
                            let until = next.or(i.resolved_at).unwrap_or(now);
                            u.at <= middle
                                && middle < until
                                && u.levels.iter().any(|a| {
                                    !a.level.is_operational()
                                        && LOCATIONS[..locations].contains(&a.location_id.as_str())
                                })
                        })
                    })
                    .collect()
            })
            .collect()
    }

    proptest! {
        #[test]
        fn uptime_and_bars_agree_with_an_hour_by_hour_count(
            locations in 1..=3usize,
            age in 0..100 * 24i64,
            now_hour in 0..24i64,
            stories in prop::collection::vec(story(), 0..8),
        ) {
            let hour = SignedDuration::from_hours(1);
            let now = date(2025, 6, 2).to_zoned(TimeZone::UTC).unwrap().timestamp() + hour * now_hour as i32;
            let created = now - hour * age as i32;
            let incidents: Vec<Incident> = stories
                .iter()
                .enumerate()
                .map(|(n, (ago, updates, resolved))| {
                    let mut at = now - hour * *ago as i32;
                    let mut timeline = Vec::new();
                    for (hours, levels) in updates {
                        let levels = levels.iter().map(|&(l, level)| (LOCATIONS[l % locations], level)).collect();
                        timeline.push((at, levels));
                        at = (at + hour * *hours as i32).min(now);
                    }
                    incident(&format!("i{n}"), timeline, resolved.then_some(at))
                })
                .collect();
            let data = page_with(locations, created, incidents.clone());
            let uptime = api_uptime_at(&data, now);

            let window_start = date(2025, 3, 5).to_zoned(TimeZone::UTC).unwrap().timestamp();
            let from = window_start.max(created);
            let hours: Vec<Timestamp> = (0..).map(|h| from + hour * h).take_while(|&h| h < now).collect();
            let levels = hourly_levels(&incidents, locations, &hours, now);
            let held_by = hourly_incidents(&incidents, locations, &hours, now);
            let weight = |level| match level {
                StatusLevel::ServiceDisruption | StatusLevel::SecurityEvent => 1.0,
                StatusLevel::PartialServiceDisruption => 0.3,
                _ => 0.0,
            };
            let down: f64 = levels.iter().flatten().map(|&l| weight(l) / locations as f64).sum();
            let expected = (age >= 24).then(|| 100.0 * (1.0 - down / hours.len() as f64));
            match (uptime.percent, expected) {
                (Some(p), Some(e)) => prop_assert!((p - e).abs() < 1e-9, "{} != {}", p, e),
                (p, e) => prop_assert_eq!(p, e),
            }
            for (d, day) in uptime.days.iter().enumerate() {
                let start = window_start + hour * (24 * d as i32);
                let end = (start + hour * 24).min(now);
                let expected = (created < end).then(|| {
                    hours
                        .iter()
                        .zip(&levels)
                        .filter(|(h, _)| start <= **h && **h < end)
                        .flat_map(|(_, at)| at.iter().copied())
                        .fold(StatusLevel::Operational, StatusLevel::max)
                });
                prop_assert_eq!(day.level, expected, "day {}", d);
                let in_day: Vec<usize> = (0..hours.len()).filter(|&h| start <= hours[h] && hours[h] < end).collect();
                let troubled = in_day.iter().filter(|&&h| levels[h].iter().any(|l| !l.is_operational())).count();
                prop_assert_eq!(day.troubled, hour * troubled as i32, "day {}", d);
                let mut held: Vec<&str> = in_day.iter().flat_map(|&h| held_by[h].iter().map(|&n| incidents[n].id.as_str())).collect();
                held.sort_unstable();
                held.dedup();
                let mut shown: Vec<&str> = day.incidents.iter().map(|i| i.id.as_str()).collect();
                shown.sort_unstable();
                prop_assert_eq!(shown, held, "day {}", d);
            }
        }
    }
}
