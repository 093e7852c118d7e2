//! The HTML pages: what each template is given. Everything a visitor reads passes through
//! minijinja's auto-escaping, except update bodies, which are sanitised Markdown.
use std::sync::Arc;

use herald_core::colour;
use herald_core::component::Component;
use herald_core::incident::{Incident, Update};
use herald_core::maintenance::{Maintenance, MaintenanceState};
use herald_core::status::StatusLevel;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use super::markdown;
use super::uptime::{self, Uptime};
use crate::data::View;
use crate::memo::ByAddress;
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
    /// Each an [`UpdateEntry`] with its `item`.
    updates: Vec<minijinja::Value>,
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
                html: view.markdown_html(&u.details),
                affected: Vec::new(),
                edited: None,
                item: None,
            })
            .collect(),
        components: affected,
    }
}

fn cards_of(view: &View, windows: Vec<&Maintenance>) -> Vec<MaintenanceCard> {
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
    html: Arc<str>,
    affected: Vec<String>,
    /// When the text was corrected after publishing.
    edited: Option<Time>,
    /// The update as the `update_item` macro renders it, where it was rendered ahead and kept.
    item: Option<minijinja::Value>,
}

/// What renders an incident's updates ahead, each once while it and the names it shows stay
/// the same: the macros, and the root their links go through.
struct Ahead<'s, 'env> {
    macros: &'s minijinja::State<'s, 'env>,
    root: &'static str,
}

/// What an update's item on a page is rendered from besides the update: a correction stamps
/// `edited_at`, and the names come through the layout stamp.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ItemKey {
    update_id: String,
    edited_at: Option<Timestamp>,
    layout: Arc<str>,
    root: &'static str,
}

impl Ahead<'_, '_> {
    fn key(&self, view: &View, update: &Update) -> ItemKey {
        ItemKey {
            update_id: update.id.clone(),
            edited_at: update.edited_at,
            layout: view.layout(),
            root: self.root,
        }
    }

    /// The update's entry, with its item.
    fn update(&self, view: &View, update: &Update) -> Result<minijinja::Value, minijinja::Error> {
        view.memos()
            .update_items
            .try_get(self.key(view, update), |_| {
                let mut entry = update_entry(view, update);
                let fields = minijinja::Value::from_serialize(&entry);
                let item = self.macros.call_macro("update_item", &[fields])?;
                entry.item = Some(minijinja::Value::from_safe_string(item));
                Ok(minijinja::Value::from_serialize(&entry))
            })
    }

    /// Keeps what the incident's updates were rendered from for the next snapshot, when a
    /// piece taken over whole used none of them.
    fn keep(&self, view: &View, incident: &Incident) {
        for update in &incident.updates {
            view.memos().update_items.keep(self.key(view, update));
            view.keep_markdown(&update.details);
        }
    }
}

/// Newest update first, as status pages show them.
fn incident_card(
    view: &View,
    incident: &Incident,
    ahead: &Ahead,
) -> Result<IncidentCard, minijinja::Error> {
    Ok(IncidentCard {
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
            .map(|u| ahead.update(view, u))
            .collect::<Result<_, _>>()?,
    })
}

fn update_entry(view: &View, update: &Update) -> UpdateEntry {
    UpdateEntry {
        state: update.state.label(),
        at: time(update.at),
        html: view.markdown_html(&update.details),
        affected: affected_names(view, update.levels.iter().map(|l| l.location_id.as_str())),
        edited: update.edited_at.map(time),
        item: None,
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
    /// The group of what is affected now, listed first.
    affected: bool,
    /// Each as a [`ComponentEntry`].
    components: Vec<minijinja::Value>,
    /// Each component's row, as the `component_row` macro renders it.
    rows: Vec<minijinja::Value>,
}

#[derive(Serialize)]
struct ComponentEntry {
    name: String,
    /// Shown beside the name in the affected group, where it is out of its own.
    group: Option<String>,
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
    percent: String,
    summary: String,
    /// Oldest first: each day with an incident on its own, each run of other days as one.
    days: Vec<DayEntry>,
}

/// One bar, or a run of quiet bars, and what its tooltip says.
#[derive(Serialize)]
struct DayEntry {
    key: &'static str,
    /// How many days it stands for.
    span: usize,
    /// In the later half of the bar: its tooltip opens towards the start, to stay on screen.
    late: bool,
    when: String,
    label: String,
    /// How long something was affected, in words; `None` on a quiet day.
    troubled: Option<String>,
    /// The first few incidents of the day; `more` counts the rest, which the history lists.
    incidents: Vec<DayIncident>,
    more: usize,
}

/// How many of a day's incidents its tooltip links; a page seeded with thousands in a day
/// would otherwise carry every link on every bar.
const DAY_INCIDENTS_SHOWN: usize = 3;

#[derive(Serialize)]
struct DayIncident {
    title: String,
    path: String,
}

/// A component in its first day has no figure yet: its window would be minutes long.
fn percent_text(percent: Option<f64>) -> String {
    percent.map_or_else(
        || "Uptime shown after its first day".to_string(),
        |p| format!("{p:.2} % uptime"),
    )
}

fn uptime_bar(name: &str, uptime: &Uptime) -> UptimeBar {
    let percent = percent_text(uptime.percent);
    let troubled = uptime.days.iter().filter(|d| is_troubled(d)).count();
    let mut days: Vec<DayEntry> = Vec::new();
    let mut first_of_run = None;
    for (i, day) in uptime.days.iter().enumerate() {
        let quiet_run_goes_on = uptime
            .days
            .get(i + 1)
            .is_some_and(|next| !is_troubled(next) && next.level == day.level);
        if is_troubled(day) {
            days.push(troubled_day(day));
        } else if quiet_run_goes_on {
            first_of_run.get_or_insert(day.date);
        } else {
            let first = first_of_run.take().unwrap_or(day.date);
            days.push(quiet_days(first, day));
        }
    }
    let mut offset = 0;
    for day in &mut days {
        day.late = 2 * offset >= uptime.days.len();
        offset += day.span;
    }
    UptimeBar {
        summary: format!(
            "{name}, last {} days: {percent}, {troubled} {} with incidents",
            uptime::DAYS,
            if troubled == 1 { "day" } else { "days" }
        ),
        percent,
        days,
    }
}

fn is_troubled(day: &uptime::Day) -> bool {
    day.level.is_some_and(|l| !l.is_operational())
}

fn troubled_day(day: &uptime::Day) -> DayEntry {
    let level = day.level.unwrap_or(StatusLevel::Operational);
    DayEntry {
        key: level.css_key(),
        span: 1,
        late: false,
        when: day_text(day.date),
        label: level.label().to_string(),
        troubled: Some(duration_text(day.troubled)),
        incidents: day
            .incidents
            .iter()
            .take(DAY_INCIDENTS_SHOWN)
            .map(|incident| DayIncident {
                title: incident.title.clone(),
                path: paths::incident_dir(&incident.id),
            })
            .collect(),
        more: day.incidents.len().saturating_sub(DAY_INCIDENTS_SHOWN),
    }
}

/// A run of days without incidents (or before the component existed) ending on `last`.
fn quiet_days(first: Date, last: &uptime::Day) -> DayEntry {
    let (key, label) = match last.level {
        None => ("no-data", "No data: the component did not exist yet"),
        Some(_) => ("operational", "No incidents"),
    };
    let span = first
        .until(last.date)
        .map_or(1, |d| d.get_days() as usize + 1);
    DayEntry {
        key,
        span,
        late: false,
        when: if span == 1 {
            day_text(first)
        } else {
            format!("{} to {}", day_text(first), day_text(last.date))
        },
        label: label.to_string(),
        troubled: None,
        incidents: Vec::new(),
        more: 0,
    }
}

fn day_text(date: Date) -> String {
    date.strftime("%-d %b %Y").to_string()
}

fn duration_text(d: SignedDuration) -> String {
    format!("affected for {}", duration_words(d))
}

/// "3 days 4 h", "2 h 10 min", "45 min", "under a minute": the two largest units.
fn duration_words(d: SignedDuration) -> String {
    let minutes = d.as_secs().max(0) / 60;
    let (days, hours, mins) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    let day_word = |n| {
        if n == 1 {
            "1 day".to_string()
        } else {
            format!("{n} days")
        }
    };
    match (days, hours, mins) {
        (0, 0, 0) => "under a minute".to_string(),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => day_word(d),
        (d, h, _) => format!("{} {h} h", day_word(d)),
    }
}

/// A piece of the home page kept from one snapshot to the next while what it shows stays the
/// same: what the template is told of it, and the piece as the built-in macro renders it.
#[derive(Clone)]
pub struct Piece {
    fields: minijinja::Value,
    html: minijinja::Value,
}

impl Piece {
    /// `fields` rendered by the macro `name`, given `fields` then `more`.
    fn render(
        macros: &minijinja::State,
        name: &str,
        fields: minijinja::Value,
        more: &[minijinja::Value],
    ) -> Result<Piece, minijinja::Error> {
        let args: Vec<minijinja::Value> = std::iter::once(fields.clone())
            .chain(more.iter().cloned())
            .collect();
        let html = macros.call_macro(name, &args)?;
        Ok(Piece {
            fields,
            html: minijinja::Value::from_safe_string(html),
        })
    }
}

/// What an active incident's card on the home page shows: the incident (a change reloads it
/// into a new `Arc`) and the names of what it affects, through the layout stamp.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CardKey {
    incident: ByAddress<Incident>,
    layout: Arc<str>,
}

/// What a component's row on the home page shows: its names (through the layout stamp), its
/// levels, its 90 days (the same `Arc` while they are the same) and its figure.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RowKey {
    layout: Arc<str>,
    component: String,
    in_affected_group: bool,
    levels: Vec<StatusLevel>,
    days: ByAddress<[uptime::Day]>,
    percent: String,
}

pub fn home(env: &minijinja::Environment, view: &View) -> Result<String, minijinja::Error> {
    let uptimes = uptime::uptime_by_component(view);
    let layout: Arc<str> = view.layout();
    let macros_template = env.get_template("macros.html")?;
    let macros = macros_template.render_captured(minijinja::context! { root => "./" })?;
    let macros = macros.state();
    let ahead = Ahead { macros, root: "./" };
    let data = view.data;
    let group_name = |c: &Component| {
        c.group_id
            .as_deref()
            .and_then(|id| data.groups.iter().find(|g| g.id == id))
            .map(|g| g.name.clone())
    };
    let entry = |c: &Component, uptime: &Uptime| ComponentEntry {
        name: c.name.clone(),
        group: group_name(c),
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
        uptime: uptime_bar(&c.name, uptime),
    };
    let row = |c: &Component, in_affected_group: bool| {
        // Every component of the page has its history.
        let uptime = &uptimes[&c.id];
        let key = RowKey {
            layout: layout.clone(),
            component: c.id.clone(),
            in_affected_group,
            levels: std::iter::once(c.id.as_str())
                .chain(c.locations.iter().map(|l| l.id.as_str()))
                .map(|id| view.level(id))
                .collect(),
            days: ByAddress(uptime.days.clone()),
            percent: percent_text(uptime.percent),
        };
        view.memos().component_rows.try_get(key, |_| {
            let fields = minijinja::Value::from_serialize(entry(c, uptime));
            let more = [minijinja::Value::from(in_affected_group)];
            Piece::render(macros, "component_row", fields, &more)
        })
    };
    let is_affected = |c: &&Component| !view.level(&c.id).is_operational();
    let mut groups: Vec<GroupEntry> = Vec::new();
    // What is affected comes first, so a reader sees it without scrolling past the rest.
    let affected: Vec<&Component> = data.components.iter().filter(is_affected).collect();
    let rest = |c: &&Component| !is_affected(c);
    push_group(
        &mut groups,
        Some("Affected now"),
        true,
        affected.iter().copied(),
        &row,
    )?;
    push_group(
        &mut groups,
        None,
        false,
        data.components
            .iter()
            .filter(|c| c.group_id.is_none())
            .filter(rest),
        &row,
    )?;
    for group in &data.groups {
        push_group(
            &mut groups,
            Some(&group.name),
            false,
            data.components
                .iter()
                .filter(|c| c.group_id.as_deref() == Some(group.id.as_str()))
                .filter(rest),
            &row,
        )?;
    }
    let cards = data
        .active()
        .iter()
        .map(|incident| {
            let key = CardKey {
                incident: ByAddress(incident.clone()),
                layout: layout.clone(),
            };
            let card = view.memos().incident_cards.try_get(key, |_| {
                let fields =
                    minijinja::Value::from_serialize(incident_card(view, incident, &ahead)?);
                let more = [minijinja::Value::from("h3")];
                Piece::render(macros, "incident_card", fields, &more)
            });
            // Taken over whole, it rendered none of its updates: kept for when it changes.
            ahead.keep(view, incident);
            card
        })
        .collect::<Result<Vec<Piece>, minijinja::Error>>()?;
    // The form lists every component: made again only when the layout changes.
    let subscribe = view.memos().subscribe_forms.try_get(layout.clone(), |_| {
        let fields = minijinja::Value::from_serialize(component_choices(view));
        Piece::render(macros, "subscribe_form", fields, &[])
    })?;
    render(
        env,
        "home.html",
        view,
        minijinja::context! {
            root => "./",
            overall => banner(view, &affected),
            updated => time(view.updated_at()),
            active => cards.iter().map(|c| c.fields.clone()).collect::<Vec<_>>(),
            active_cards => cards.iter().map(|c| c.html.clone()).collect::<Vec<_>>(),
            groups,
            maintenance_active => cards_of(view, view.active_maintenance()),
            maintenance_upcoming => cards_of(view, view.upcoming_maintenance()),
            subscribe_components => subscribe.fields,
            subscribe_form => subscribe.html,
        },
    )
}

fn push_group<'c>(
    groups: &mut Vec<GroupEntry>,
    name: Option<&str>,
    affected: bool,
    components: impl Iterator<Item = &'c Component>,
    row: &impl Fn(&Component, bool) -> Result<Piece, minijinja::Error>,
) -> Result<(), minijinja::Error> {
    let pieces = components
        .map(|c| row(c, affected))
        .collect::<Result<Vec<Piece>, _>>()?;
    if !pieces.is_empty() {
        groups.push(GroupEntry {
            name: name.map(str::to_string),
            affected,
            components: pieces.iter().map(|p| p.fields.clone()).collect(),
            rows: pieces.into_iter().map(|p| p.html).collect(),
        });
    }
    Ok(())
}

/// How many components the banner names before it says "and N more".
const BANNER_NAMES: usize = 3;

/// The overall status, naming what is affected: "Degraded performance: Email notifications",
/// and the components at lesser levels on a line of their own.
fn banner(view: &View, affected: &[&Component]) -> minijinja::Value {
    let overall = view.status.level;
    let headline = match overall {
        StatusLevel::Operational => "All systems operational",
        StatusLevel::UnderMaintenance => "Maintenance in progress",
        other => other.label(),
    };
    let (worst, others): (Vec<&Component>, Vec<&Component>) =
        affected.iter().partition(|c| view.level(&c.id) == overall);
    let named = |names: Vec<String>| {
        let count = names.len();
        let mut shown: Vec<String> = names.into_iter().take(BANNER_NAMES).collect();
        if count > BANNER_NAMES {
            shown.push(format!("{} more", count - BANNER_NAMES));
        }
        (count > 0).then(|| shown.join(", "))
    };
    let also = others
        .iter()
        .map(|c| format!("{} ({})", c.name, view.level(&c.id).label().to_lowercase()))
        .collect();
    minijinja::context! {
        key => overall.css_key(),
        headline,
        names => named(worst.iter().map(|c| c.name.clone()).collect()),
        also => named(also),
    }
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
    let group_of = |c: &Component| {
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
    /// The colour of its edge: the incident's impact, or maintenance.
    class: String,
    title: String,
    #[serde(skip)]
    began: Timestamp,
    started: Time,
    ended: Option<Time>,
    /// How long it lasted, in words.
    lasted: Option<String>,
    summary: String,
}

/// The history of one calendar month (UTC), newest first.
#[derive(Serialize)]
struct HistoryMonth {
    name: String,
    entries: Vec<HistoryEntry>,
}

/// `entries`, newest first, under their months; a month between two listed ones that had
/// nothing is listed empty, so a quiet month reads as quiet rather than missing.
fn by_month(entries: Vec<HistoryEntry>) -> Vec<HistoryMonth> {
    let month_of = |t: Timestamp| {
        let date = t.to_zoned(jiff::tz::TimeZone::UTC).date();
        date.first_of_month()
    };
    let mut months: Vec<(Date, HistoryMonth)> = Vec::new();
    for entry in entries {
        let month = month_of(entry.began);
        while let Some(&(last, _)) = months.last() {
            let earlier = last.checked_sub(jiff::ToSpan::month(1)).unwrap_or(month);
            if month >= earlier {
                break;
            }
            months.push((earlier, empty_month(earlier)));
        }
        match months.last_mut() {
            Some((last, m)) if *last == month => m.entries.push(entry),
            _ => {
                let mut m = empty_month(month);
                m.entries.push(entry);
                months.push((month, m));
            }
        }
    }
    months.into_iter().map(|(_, m)| m).collect()
}

fn empty_month(month: Date) -> HistoryMonth {
    HistoryMonth {
        name: month.strftime("%B %Y").to_string(),
        entries: Vec::new(),
    }
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
                class: format!("impact-{}", super::impact(incident)),
                title: incident.title.clone(),
                began: incident.created_at,
                started: time(incident.created_at),
                ended: incident.resolved_at.map(time),
                lasted: incident
                    .resolved_at
                    .map(|end| duration_words(end.duration_since(incident.created_at))),
                summary: summary(incident.updates.last().map(|u| u.details.as_str())),
            }
        } else {
            let window = windows.next()?;
            let started = window.started_at.unwrap_or(window.starts_at);
            let ended = window.ended_at.unwrap_or(window.ends_at);
            HistoryEntry {
                id: window.id.clone(),
                path: paths::maintenance_dir(&window.id),
                kind: if window.state == MaintenanceState::Cancelled {
                    "Maintenance (cancelled)"
                } else {
                    "Maintenance"
                },
                class: "maintenance".into(),
                title: window.title.clone(),
                began: started,
                started: time(started),
                ended: Some(time(ended)),
                lasted: (window.state != MaintenanceState::Cancelled)
                    .then(|| duration_words(ended.duration_since(started))),
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
            months => by_month(entries),
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
    let root = "../../";
    let macros_template = env.get_template("macros.html")?;
    let macros = macros_template.render_captured(minijinja::context! { root })?;
    let ahead = Ahead {
        macros: macros.state(),
        root,
    };
    render(
        env,
        "incident.html",
        view,
        minijinja::context! {
            root,
            incident => incident_card(view, incident, &ahead)?,
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
    let dark = colour::dark_scheme(&page.settings.branding.colors);
    let site = minijinja::context! {
        name => page.name,
        logo => page.settings.branding.logo,
        colors => page.settings.branding.colors,
        on_accent => colour::text_on(&page.settings.branding.colors.accent),
        dark_on_accent => colour::text_on(&dark.accent),
        dark => dark,
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
    use crate::data::PageData;
    use crate::fixtures::{incident, page_with};
    use crate::memo::Memos;
    use crate::render::Renderer;

    #[test]
    fn the_home_page_renders_again_only_the_rows_and_cards_a_change_touched() {
        let now: Timestamp = "2025-06-02T12:00:00Z".parse().unwrap();
        let ago = |hours| now - SignedDuration::from_hours(hours);
        let ongoing = |id: &str, location| {
            let levels = vec![(location, StatusLevel::PartialServiceDisruption)];
            let mut ongoing = incident(id, vec![(ago(2), levels)], None);
            ongoing.updates[0].details = format!("First on {id}");
            ongoing
        };
        let mut data = page_with(1, ago(24 * 30), vec![ongoing("a", "east")]);
        data.upsert_incident(ongoing("b", "west"));
        let mut web = data.components[0].clone();
        web.id = "web".into();
        web.locations[0].id = "west".into();
        data.components.push(web);
        let renderer = Renderer::new(None).unwrap();
        let home = |data: &PageData, memos: &Arc<Memos>| {
            let view = View::new(data, now, "https://s.example/".into());
            home(&renderer.env, &view.remembering(memos.clone())).unwrap()
        };
        let from_scratch = |data: &PageData| home(data, &Arc::default());
        let first = Arc::new(Memos::default());
        home(&data, &first);

        let mut a = ongoing("a", "east");
        let mut update = a.updates[0].clone();
        update.id = "a-second".into();
        update.at = ago(1);
        update.details = "Second update".into();
        a.updates.push(update);
        data.upsert_incident(a);
        let second = Arc::new(Memos::after(&first));
        let page = home(&data, &second);
        assert_eq!(page, from_scratch(&data));
        assert!(page.contains("Second update"));
        let made = |memos: &Memos| (memos.incident_cards.made(), memos.component_rows.made());
        assert_eq!(made(&second), (1, 1), "a's card and its component's row");
        assert_eq!(
            second.update_items.made(),
            1,
            "only a's new update is rendered"
        );

        assert_eq!(
            second.subscribe_forms.made(),
            0,
            "the form lists the components, which did not change"
        );
        // A quiet snapshot takes every card over whole; what they were made from is kept.
        let quiet = Arc::new(Memos::after(&second));
        home(&data, &quiet);
        let mut b = ongoing("b", "west");
        let mut update = b.updates[0].clone();
        update.id = "b-second".into();
        update.at = ago(1);
        b.updates.push(update);
        data.upsert_incident(b);
        let after_quiet = Arc::new(Memos::after(&quiet));
        assert_eq!(home(&data, &after_quiet), from_scratch(&data));
        assert_eq!(after_quiet.update_items.made(), 1, "only b's new update");

        data.components[1].name = "Website".into();
        data.components[1].updated_at = now;
        let third = Arc::new(Memos::after(&after_quiet));
        let page = home(&data, &third);
        assert_eq!(page, from_scratch(&data));
        assert_eq!(made(&third), (2, 2), "a name can be on every card and row");
        assert_eq!(third.update_items.made(), 4);
        assert_eq!(third.subscribe_forms.made(), 1);
        assert_eq!(
            third.markdown.made(),
            0,
            "the text of a card taken over whole is kept"
        );
    }

    #[test]
    fn a_bar_without_a_figure_says_when_one_comes() {
        let days = vec![uptime::Day {
            date: date(2025, 6, 2),
            level: Some(StatusLevel::PartialServiceDisruption),
            troubled: SignedDuration::from_mins(130),
            incidents: Vec::new(),
        }];
        let young = uptime_bar(
            "API",
            &Uptime {
                days: days.clone().into(),
                percent: None,
            },
        );
        assert_eq!(young.percent, "Uptime shown after its first day");
        assert_eq!(
            young.summary,
            "API, last 90 days: Uptime shown after its first day, 1 day with incidents"
        );
        assert_eq!(young.days.len(), 1, "the bar is drawn");
        assert_eq!(
            young.days[0].troubled.as_deref(),
            Some("affected for 2 h 10 min")
        );
        let old = uptime_bar(
            "API",
            &Uptime {
                days: days.into(),
                percent: Some(99.5),
            },
        );
        assert_eq!(old.percent, "99.50 % uptime");
    }

    #[test]
    fn quiet_days_are_one_bar_each_run_and_troubled_days_one_each() {
        let level = |n: usize| match n {
            0..=9 => None,
            42 | 43 => Some(StatusLevel::ServiceDisruption),
            _ => Some(StatusLevel::Operational),
        };
        let days: Vec<uptime::Day> = date(2025, 3, 5)
            .series(jiff::ToSpan::day(1))
            .take(uptime::DAYS)
            .enumerate()
            .map(|(n, date)| uptime::Day {
                date,
                level: level(n),
                troubled: SignedDuration::from_mins(
                    if level(n).is_some_and(|l| !l.is_operational()) {
                        5
                    } else {
                        0
                    },
                ),
                incidents: Vec::new(),
            })
            .collect();
        let bar = uptime_bar(
            "API",
            &Uptime {
                days: days.into(),
                percent: Some(99.0),
            },
        );
        let spans: Vec<(&str, usize)> = bar.days.iter().map(|d| (d.key, d.span)).collect();
        assert_eq!(
            spans,
            [
                ("no-data", 10),
                ("operational", 32),
                ("service_disruption", 1),
                ("service_disruption", 1),
                ("operational", 46)
            ]
        );
        assert_eq!(bar.days[0].when, "5 Mar 2025 to 14 Mar 2025");
        assert_eq!(bar.days[2].when, "16 Apr 2025");
        assert_eq!(bar.days[2].troubled.as_deref(), Some("affected for 5 min"));
        assert_eq!(
            bar.summary,
            "API, last 90 days: 99.00 % uptime, 2 days with incidents"
        );
    }
}
