//! The HTML pages: what each template is given. Everything a visitor reads passes through
//! minijinja's auto-escaping, except update bodies, which are sanitised Markdown.
use herald_core::incident::{Incident, Update};
use herald_core::maintenance::{Maintenance, MaintenanceState};
use herald_core::status::StatusLevel;
use jiff::Timestamp;
use serde::Serialize;

use super::markdown;
use super::uptime::{self, Uptime};
use crate::data::View;
use crate::paths;

/// Incidents and maintenance per history page.
pub const HISTORY_PAGE_SIZE: usize = 20;

#[derive(Serialize)]
pub struct Time {
    iso: String,
    text: String,
}

pub fn time(t: Timestamp) -> Time {
    Time {
        iso: t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        text: t.strftime("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

#[derive(Serialize)]
pub struct Level {
    key: &'static str,
    label: &'static str,
}

fn level(level: StatusLevel) -> Level {
    Level {
        key: level.css_key(),
        label: level.label(),
    }
}

#[derive(Serialize)]
struct IncidentCard {
    id: String,
    path: String,
    title: String,
    state: &'static str,
    impact: &'static str,
    started: Time,
    resolved: Option<Time>,
    postmortem_url: Option<String>,
    components: Vec<String>,
    updates: Vec<UpdateEntry>,
}

#[derive(Serialize)]
struct MaintenanceCard {
    id: String,
    path: String,
    title: String,
    state: &'static str,
    starts: Time,
    ends: Time,
    components: Vec<String>,
    updates: Vec<UpdateEntry>,
}

fn maintenance_card(view: &View, window: &Maintenance) -> MaintenanceCard {
    let affected = affected_names(view, window.affected.iter().map(String::as_str));
    MaintenanceCard {
        id: window.id.clone(),
        path: paths::maintenance_dir(&window.id),
        title: window.title.clone(),
        state: window.state.label(),
        starts: time(window.starts_at),
        ends: time(window.ends_at),
        updates: window
            .updates
            .iter()
            .rev()
            .map(|u| UpdateEntry {
                state: u.state.label(),
                at: time(u.at),
                html: markdown::to_html(&u.details),
                affected: Vec::new(),
                edited: None,
            })
            .collect(),
        components: affected,
    }
}

fn cards(view: &View, windows: Vec<&Maintenance>) -> Vec<MaintenanceCard> {
    windows
        .into_iter()
        .map(|w| maintenance_card(view, w))
        .collect()
}

pub fn maintenance(
    env: &minijinja::Environment,
    view: &View,
    window: &Maintenance,
) -> Result<String, minijinja::Error> {
    render(
        env,
        "maintenance.html",
        view,
        minijinja::context! {
            root => "../../",
            window => maintenance_card(view, window),
        },
    )
}

#[derive(Serialize)]
struct UpdateEntry {
    state: &'static str,
    at: Time,
    html: String,
    affected: Vec<String>,
    /// When the text was corrected after publishing.
    edited: Option<Time>,
}

/// Newest update first, as status pages show them.
fn incident_card(view: &View, incident: &Incident) -> IncidentCard {
    IncidentCard {
        id: incident.id.clone(),
        path: paths::incident_dir(&incident.id),
        title: incident.title.clone(),
        state: incident.state.label(),
        impact: super::impact(incident),
        started: time(incident.created_at),
        resolved: incident.resolved_at.map(time),
        postmortem_url: incident.postmortem_url.clone(),
        components: affected_names(
            view,
            incident.affected.iter().map(|a| a.location_id.as_str()),
        ),
        updates: incident
            .updates
            .iter()
            .rev()
            .map(|u| update_entry(view, u))
            .collect(),
    }
}

fn update_entry(view: &View, update: &Update) -> UpdateEntry {
    UpdateEntry {
        state: update.state.label(),
        at: time(update.at),
        html: markdown::to_html(&update.details),
        affected: affected_names(view, update.levels.iter().map(|l| l.location_id.as_str())),
        edited: update.edited_at.map(time),
    }
}

/// "API", or "API (US East, EU)" when only some of its locations are named.
pub fn affected_names<'i>(
    view: &View,
    location_ids: impl IntoIterator<Item = &'i str>,
) -> Vec<String> {
    view.components_of(location_ids)
        .into_iter()
        .map(|(component, locations)| {
            if locations.len() == component.locations.len() && component.locations.len() == 1 {
                component.name.clone()
            } else {
                let names: Vec<&str> = locations.iter().map(|l| l.name.as_str()).collect();
                format!("{} ({})", component.name, names.join(", "))
            }
        })
        .collect()
}

#[derive(Serialize)]
struct GroupEntry {
    name: Option<String>,
    components: Vec<ComponentEntry>,
}

#[derive(Serialize)]
struct ComponentEntry {
    name: String,
    description: String,
    level: Level,
    /// Shown only when the component has more than one location.
    locations: Vec<LocationEntry>,
    uptime: UptimeBar,
}

#[derive(Serialize)]
struct LocationEntry {
    name: String,
    level: Level,
}

#[derive(Serialize)]
struct UptimeBar {
    width: usize,
    percent: String,
    summary: String,
    /// Only the days that were not fully operational; the rest is one background rectangle.
    marks: Vec<DayMark>,
}

#[derive(Serialize)]
struct DayMark {
    x: usize,
    w: usize,
    key: &'static str,
    #[serde(skip)]
    first: String,
    title: String,
}

const DAY_WIDTH: usize = 4;

fn uptime_bar(name: &str, uptime: &Uptime) -> UptimeBar {
    // A component in its first day has no figure yet: its window would be minutes long.
    let percent = uptime.percent.map_or_else(
        || "Uptime shown after its first day".to_string(),
        |p| format!("{p:.2} % uptime"),
    );
    let troubled = uptime
        .days
        .iter()
        .filter(|d| d.level.is_some_and(|l| !l.is_operational()))
        .count();
    // One rectangle per run of days at the same level; operational runs are the background.
    let mut marks: Vec<DayMark> = Vec::new();
    let mut last: Option<(&'static str, &'static str)> = None;
    for (i, day) in uptime.days.iter().enumerate() {
        let (key, label) = match day.level {
            None => ("no-data", "No data"),
            Some(l) => (l.css_key(), l.label()),
        };
        let extends = last == Some((key, label))
            && marks.last().is_some_and(|m| m.x + m.w + 1 == i * DAY_WIDTH);
        last = Some((key, label));
        if day.level.is_some_and(|l| l.is_operational()) {
            continue;
        }
        match marks.last_mut() {
            Some(mark) if extends => {
                mark.w += DAY_WIDTH;
                mark.title = format!("{} to {}: {label}", mark.first, day.date);
            }
            _ => marks.push(DayMark {
                x: i * DAY_WIDTH,
                w: DAY_WIDTH - 1,
                key,
                first: day.date.to_string(),
                title: format!("{}: {label}", day.date),
            }),
        }
    }
    UptimeBar {
        width: uptime.days.len() * DAY_WIDTH,
        summary: format!(
            "{name}, last {} days: {percent}, {troubled} {} with incidents",
            uptime::DAYS,
            if troubled == 1 { "day" } else { "days" }
        ),
        percent,
        marks,
    }
}

pub fn home(env: &minijinja::Environment, view: &View) -> Result<String, minijinja::Error> {
    let uptimes = uptime::uptime_by_component(view);
    let data = view.data;
    let entry = |c: &herald_core::component::Component| ComponentEntry {
        name: c.name.clone(),
        description: c.description.clone(),
        level: level(view.level(&c.id)),
        locations: if c.locations.len() > 1 {
            c.locations
                .iter()
                .map(|l| LocationEntry {
                    name: l.name.clone(),
                    level: level(view.level(&l.id)),
                })
                .collect()
        } else {
            Vec::new()
        },
        // Every component of the page has its history.
        uptime: uptime_bar(&c.name, &uptimes[&c.id]),
    };
    let mut groups: Vec<GroupEntry> = Vec::new();
    let ungrouped: Vec<_> = data
        .components
        .iter()
        .filter(|c| c.group_id.is_none())
        .map(entry)
        .collect();
    if !ungrouped.is_empty() {
        groups.push(GroupEntry {
            name: None,
            components: ungrouped,
        });
    }
    for group in &data.groups {
        let components: Vec<_> = data
            .components
            .iter()
            .filter(|c| c.group_id.as_deref() == Some(group.id.as_str()))
            .map(entry)
            .collect();
        if !components.is_empty() {
            groups.push(GroupEntry {
                name: Some(group.name.clone()),
                components,
            });
        }
    }
    let active: Vec<_> = view
        .active_incidents()
        .map(|i| incident_card(view, i))
        .collect();
    let overall = view.status.level;
    let headline = match overall {
        StatusLevel::Operational => "All systems operational",
        StatusLevel::UnderMaintenance => "Maintenance in progress",
        other => other.label(),
    };
    render(
        env,
        "home.html",
        view,
        minijinja::context! {
            root => "./",
            overall => minijinja::context! { key => overall.css_key(), headline },
            updated => time(view.updated_at()),
            active,
            groups,
            maintenance_active => cards(view, view.active_maintenance()),
            maintenance_upcoming => cards(view, view.upcoming_maintenance()),
            subscribe_components => component_choices(view),
        },
    )
}

/// A component a subscriber can limit their email to.
#[derive(Serialize)]
struct ComponentChoice {
    id: String,
    name: String,
    group: Option<String>,
}

/// The page's components in the order the home page lists them: ungrouped, then by group.
fn component_choices(view: &View) -> Vec<ComponentChoice> {
    let data = view.data;
    let group_of = |c: &herald_core::component::Component| {
        c.group_id
            .as_deref()
            .and_then(|id| data.groups.iter().position(|g| g.id == id))
    };
    let mut choices: Vec<(Option<usize>, ComponentChoice)> = data
        .components
        .iter()
        .map(|c| {
            let group = group_of(c);
            let choice = ComponentChoice {
                id: c.id.clone(),
                name: c.name.clone(),
                group: group.map(|g| data.groups[g].name.clone()),
            };
            (group, choice)
        })
        .collect();
    // Stable: components keep their order within a group.
    choices.sort_by_key(|(group, _)| group.map_or(0, |g| g + 1));
    choices.into_iter().map(|(_, choice)| choice).collect()
}

/// A subscriber's own page (subscribe, confirm, manage, unsubscribe), rendered per request in
/// the page's look. `root` leads back to the page's root; `ctx` is what the handler says.
pub fn subscription(
    env: &minijinja::Environment,
    view: &View,
    root: &str,
    ctx: minijinja::Value,
) -> Result<String, minijinja::Error> {
    render(
        env,
        "subscription.html",
        view,
        minijinja::context! {
            root,
            components => component_choices(view),
            ..ctx
        },
    )
}

#[derive(Serialize)]
struct HistoryEntry {
    id: String,
    path: String,
    kind: &'static str,
    title: String,
    started: Time,
    ended: Option<Time>,
    summary: String,
}

/// Past incidents and maintenance windows, newest first by when they began.
fn history_entries<'a>(view: &View<'a>) -> impl Iterator<Item = HistoryEntry> + use<'a> {
    let mut incidents = view.resolved_incidents().peekable();
    let mut windows = view.past_maintenance().peekable();
    std::iter::from_fn(move || {
        let incident_first = match (incidents.peek(), windows.peek()) {
            (Some(i), Some(m)) => i.created_at >= m.starts_at,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return None,
        };
        Some(if incident_first {
            let incident = incidents.next()?;
            HistoryEntry {
                id: incident.id.clone(),
                path: paths::incident_dir(&incident.id),
                kind: "Incident",
                title: incident.title.clone(),
                started: time(incident.created_at),
                ended: incident.resolved_at.map(time),
                summary: summary(incident.updates.last().map(|u| u.details.as_str())),
            }
        } else {
            let window = windows.next()?;
            HistoryEntry {
                id: window.id.clone(),
                path: paths::maintenance_dir(&window.id),
                kind: if window.state == MaintenanceState::Cancelled {
                    "Maintenance (cancelled)"
                } else {
                    "Maintenance"
                },
                title: window.title.clone(),
                started: time(window.started_at.unwrap_or(window.starts_at)),
                ended: Some(time(window.ended_at.unwrap_or(window.ends_at))),
                summary: summary(window.updates.last().map(|u| u.details.as_str())),
            }
        })
    })
}

fn summary(details: Option<&str>) -> String {
    details
        .map(|d| first_line(&markdown::to_text(d)))
        .unwrap_or_default()
}

pub fn history_pages(view: &View) -> usize {
    let count = view.resolved_incidents().count() + view.past_maintenance().count();
    count.div_ceil(HISTORY_PAGE_SIZE).max(1)
}

/// One page of history, `number` from 1; `None` past the last page.
pub fn history(
    env: &minijinja::Environment,
    view: &View,
    number: usize,
) -> Option<Result<String, minijinja::Error>> {
    let pages = history_pages(view);
    if number == 0 || number > pages {
        return None;
    }
    let entries: Vec<HistoryEntry> = history_entries(view)
        .skip((number - 1) * HISTORY_PAGE_SIZE)
        .take(HISTORY_PAGE_SIZE)
        .collect();
    let root = if number == 1 { "../" } else { "../../" };
    Some(render(
        env,
        "history.html",
        view,
        minijinja::context! {
            root,
            entries,
            number,
            pages,
            newer => (number > 1).then(|| paths::history_dir(number - 1)),
            older => (number < pages).then(|| paths::history_dir(number + 1)),
        },
    ))
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    match line.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_string(),
    }
}

pub fn incident(
    env: &minijinja::Environment,
    view: &View,
    incident: &Incident,
) -> Result<String, minijinja::Error> {
    render(
        env,
        "incident.html",
        view,
        minijinja::context! {
            root => "../../",
            incident => incident_card(view, incident),
        },
    )
}

/// Renders with what every page shares merged in.
fn render(
    env: &minijinja::Environment,
    template: &str,
    view: &View,
    ctx: minijinja::Value,
) -> Result<String, minijinja::Error> {
    let page = view.page();
    let site = minijinja::context! {
        name => page.name,
        logo => page.settings.branding.logo,
        colors => page.settings.branding.colors,
        custom_css => page.settings.branding.custom_css,
        header_links => page.settings.branding.header_links,
        footer_links => page.settings.branding.footer_links,
    };
    let webcal =
        view.base_url
            .replacen("https://", "webcal://", 1)
            .replacen("http://", "webcal://", 1)
            + "maintenance.ics";
    env.get_template(template)?.render(minijinja::context! {
        site,
        webcal,
        ..ctx
    })
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn a_bar_without_a_figure_says_when_one_comes() {
        let days = vec![uptime::Day {
            date: date(2025, 6, 2),
            level: Some(StatusLevel::PartialServiceDisruption),
        }];
        let young = uptime_bar(
            "API",
            &Uptime {
                days: days.clone(),
                percent: None,
            },
        );
        assert_eq!(young.percent, "Uptime shown after its first day");
        assert_eq!(
            young.summary,
            "API, last 90 days: Uptime shown after its first day, 1 day with incidents"
        );
        assert_eq!(young.marks.len(), 1, "the bar is drawn");
        let old = uptime_bar(
            "API",
            &Uptime {
                days,
                percent: Some(99.5),
            },
        );
        assert_eq!(old.percent, "99.50 % uptime");
    }
}
