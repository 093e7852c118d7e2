//! Incidents and their timeline of updates, and the rules of the workflow that govern them.
//!
//! Every change goes through one of the functions here, which checks the rules, returns the
//! new incident and the audit events to append, or refuses with a [`DomainError`].
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::component::{self, Component, Location};
use crate::event::{Event, EventKind};
use crate::page::Page;
use crate::status::{StatusLevel, worst};
use crate::{Actor, DomainError, Id, cadence, lint, template, text};

/// 1 (critical) to 4 (low).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Severity(u8);

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Severity {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .minimum(Some(1))
            .maximum(Some(4))
            .description(Some("1 (critical) to 4 (low)."))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Severity {}

impl Severity {
    pub fn new(value: u8) -> Result<Severity, DomainError> {
        if (1..=4).contains(&value) {
            Ok(Severity(value))
        } else {
            Err(DomainError::invalid(
                "severity",
                format!("{value} is not a severity; use 1 (critical) to 4 (low)"),
            ))
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// Severity 1 and 2 incidents stay open for a quiet period after resolution.
    fn close_window(self) -> SignedDuration {
        if self.0 <= 2 {
            CLOSE_WINDOW
        } else {
            SignedDuration::ZERO
        }
    }
}

impl TryFrom<u8> for Severity {
    type Error = DomainError;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Severity::new(value)
    }
}

impl From<Severity> for u8 {
    fn from(severity: Severity) -> u8 {
        severity.0
    }
}

/// How long a severity 1 or 2 incident must stay quiet after resolution before it is closed.
pub const CLOSE_WINDOW: SignedDuration = SignedDuration::from_mins(30);
/// A severity 2 or 3 incident declared this soon after a closed one is raised to severity 2.
pub const REPEAT_WINDOW: SignedDuration = SignedDuration::from_hours(3);
pub const TITLE_MAX: usize = 200;
pub const DETAILS_MAX: usize = 20_000;
pub const SUBJECT_MAX: usize = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IncidentState {
    Investigating,
    Identified,
    Monitoring,
    Resolved,
}

impl IncidentState {
    pub const ALL: [IncidentState; 4] = [
        IncidentState::Investigating,
        IncidentState::Identified,
        IncidentState::Monitoring,
        IncidentState::Resolved,
    ];

    pub fn is_active(self) -> bool {
        self != IncidentState::Resolved
    }

    pub fn label(self) -> &'static str {
        match self {
            IncidentState::Investigating => "Investigating",
            IncidentState::Identified => "Identified",
            IncidentState::Monitoring => "Monitoring",
            IncidentState::Resolved => "Resolved",
        }
    }

    /// Status.io's state code; resolving is its own call there, and reads back as 400.
    pub fn statusio_code(self) -> u16 {
        match self {
            IncidentState::Investigating => 100,
            IncidentState::Identified => 200,
            IncidentState::Monitoring => 300,
            IncidentState::Resolved => 400,
        }
    }

    pub fn from_statusio_code(code: u16) -> Option<IncidentState> {
        IncidentState::ALL
            .into_iter()
            .find(|state| state.statusio_code() == code)
    }
}

/// A location an incident affects, with the level the incident holds it at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AffectedLocation {
    pub location_id: Id,
    pub level: StatusLevel,
}

/// The broadcast channels chosen for an update (Status.io's `notify_*` flags among them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Channels {
    pub email: bool,
    pub webhook: bool,
    pub slack: bool,
    pub teams: bool,
    pub social: bool,
    pub irc: bool,
    pub sms: bool,
}

impl Channels {
    /// Every box unticked: recorded on the timeline, told to nobody.
    pub const NONE: Channels = Channels {
        email: false,
        webhook: false,
        slack: false,
        teams: false,
        social: false,
        irc: false,
        sms: false,
    };
}

impl Default for Channels {
    /// The reference workflow ticks every box.
    fn default() -> Self {
        Channels {
            email: true,
            webhook: true,
            slack: true,
            teams: true,
            social: true,
            irc: true,
            sms: true,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Update {
    pub id: Id,
    pub state: IncidentState,
    /// Markdown.
    pub details: String,
    /// The level of every affected location after this update.
    pub levels: Vec<AffectedLocation>,
    pub subject: String,
    pub channels: Channels,
    pub author: Actor,
    pub at: Timestamp,
    /// "Next update in N minutes": wins over the cadence table.
    pub next_update_in: Option<u32>,
    /// When the text was last corrected after publishing, if it was.
    #[serde(default)]
    pub edited_at: Option<Timestamp>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Incident {
    pub id: Id,
    pub page_id: Id,
    pub title: String,
    pub severity: Severity,
    /// Why the rules changed the severity the caller asked for, if they did.
    pub severity_reason: Option<String>,
    pub state: IncidentState,
    /// Never empty.
    pub affected: Vec<AffectedLocation>,
    /// Oldest first; never empty.
    pub updates: Vec<Update>,
    pub postmortem_url: Option<String>,
    /// The incident's issue in the tracker; fills the templates' `{issue_link}`.
    #[serde(default)]
    pub issue_link: Option<String>,
    /// Reopenings inside the close window after resolution.
    pub recurrences: u32,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
}

impl Incident {
    /// The incident with `updates` for its timeline.
    fn with_updates(&self, updates: Vec<Update>) -> Incident {
        // Named field by field, so that a new field is not forgotten here.
        let Incident {
            id,
            page_id,
            title,
            severity,
            severity_reason,
            state,
            affected,
            updates: _,
            postmortem_url,
            issue_link,
            recurrences,
            created_at,
            updated_at,
            resolved_at,
        } = self;
        Incident {
            id: id.clone(),
            page_id: page_id.clone(),
            title: title.clone(),
            severity: *severity,
            severity_reason: severity_reason.clone(),
            state: *state,
            affected: affected.clone(),
            updates,
            postmortem_url: postmortem_url.clone(),
            issue_link: issue_link.clone(),
            recurrences: *recurrences,
            created_at: *created_at,
            updated_at: *updated_at,
            resolved_at: *resolved_at,
        }
    }

    pub fn is_active(&self) -> bool {
        self.state.is_active()
    }

    /// When the incident counts as closed: resolution plus the quiet period its severity needs.
    pub fn closed_at(&self) -> Option<Timestamp> {
        let resolved = self.resolved_at?;
        resolved.checked_add(self.severity.close_window()).ok()
    }

    pub fn is_closed(&self, now: Timestamp) -> bool {
        self.closed_at().is_some_and(|closed| closed <= now)
    }

    /// The incident's own overall level: the worst it holds any location at.
    pub fn level(&self) -> StatusLevel {
        worst(self.affected.iter().map(|a| a.level))
    }

    /// The locations this incident holds, with their levels; nothing once it is resolved.
    pub fn holds(&self) -> impl Iterator<Item = &AffectedLocation> {
        self.affected.iter().filter(|_| self.is_active())
    }
}

/// How an update changes the levels of the affected locations.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "mode", content = "levels")]
pub enum StatusChange {
    /// Leave every level as it is (a resolving update sets them to operational; a reopening
    /// one restores the levels from before the resolution).
    #[default]
    Keep,
    /// "Apply this level to all affected infrastructure".
    All(StatusLevel),
    /// Set these locations to these levels; a location not yet affected joins the incident.
    Each(Vec<AffectedLocation>),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateDraft {
    pub state: IncidentState,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 20000))]
    pub details: String,
    #[serde(default)]
    pub status: StatusChange,
    #[serde(default)]
    pub channels: Channels,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub next_update_in: Option<u32>,
    /// Sets the incident's issue link as the update is posted.
    #[serde(default)]
    pub issue_link: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewIncident {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub title: String,
    pub severity: Severity,
    /// Investigating unless given.
    #[serde(default = "investigating")]
    pub state: IncidentState,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 20000))]
    pub details: String,
    pub affected: Vec<AffectedLocation>,
    #[serde(default)]
    pub channels: Channels,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub next_update_in: Option<u32>,
    /// The incident's issue in the tracker (an absolute http(s) URL).
    #[serde(default)]
    pub issue_link: Option<String>,
}

fn investigating() -> IncidentState {
    IncidentState::Investigating
}

/// Edits that do not broadcast: title, severity, the affected locations and their levels, and
/// the issue link.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IncidentEdit {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub title: Option<String>,
    pub severity: Option<Severity>,
    /// The new set of affected locations, in order: a location left out is no longer
    /// affected, one not yet affected joins the incident.
    pub affected: Option<Vec<EditedLocation>>,
    /// The incident's issue link; an empty string removes it.
    pub issue_link: Option<String>,
}

/// A location in an edited `affected` list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EditedLocation {
    pub location_id: Id,
    /// The level to hold it at. Without one, a location already affected keeps its level and
    /// a new one takes the incident's current (worst) level.
    #[serde(default)]
    pub level: Option<StatusLevel>,
}

impl From<&str> for EditedLocation {
    /// The location at the level it has, or the incident's.
    fn from(location_id: &str) -> EditedLocation {
        EditedLocation {
            location_id: location_id.to_string(),
            level: None,
        }
    }
}

/// An edited affected list from ids as a person gives them, each with the level given for it
/// (or none): a component id stands for all its locations. A location named twice is listed
/// once, at the last level given for it.
pub fn edited_locations(
    components: &[Component],
    named: &[(Id, Option<StatusLevel>)],
) -> Vec<EditedLocation> {
    let mut edited: Vec<EditedLocation> = Vec::new();
    for (id, level) in named {
        for location_id in component::locations_named(components, std::slice::from_ref(id)) {
            match edited.iter_mut().find(|e| e.location_id == location_id) {
                Some(listed) => listed.level = level.or(listed.level),
                None => edited.push(EditedLocation {
                    location_id,
                    level: *level,
                }),
            }
        }
    }
    edited
}

/// A correction of an update already published: a typo or a wrong link fixed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateCorrection {
    /// The corrected text (Markdown); template variables are filled from the incident.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 20000))]
    pub details: String,
    /// Tell the update's subscribers again, as a correction, on the channels it went out on.
    #[serde(default)]
    pub rebroadcast: bool,
}

/// A past incident, as much as the severity rule needs to know of it.
#[derive(Clone, Debug, PartialEq)]
pub struct RecentIncident {
    pub id: Id,
    pub severity: Severity,
    pub closed_at: Timestamp,
}

/// What the rules need to know about the page an incident lives on.
#[derive(Clone, Copy, Debug)]
pub struct PageContext<'a> {
    pub page: &'a Page,
    /// Every location of the page.
    pub locations: &'a [Location],
}

impl PageContext<'_> {
    fn check_location(&self, id: &str) -> Result<(), DomainError> {
        if self.locations.iter().any(|l| l.id == id) {
            Ok(())
        } else {
            Err(DomainError::UnknownLocation(id.to_string()))
        }
    }

    /// An `affected` list (of an incident or a maintenance window): every id a location of
    /// this page, each listed once.
    pub(crate) fn check_affected<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), DomainError> {
        let mut seen: Vec<&str> = Vec::new();
        for id in ids {
            self.check_location(id)?;
            if seen.contains(&id) {
                return Err(DomainError::invalid(
                    "affected",
                    format!("location {id} is listed twice"),
                ));
            }
            seen.push(id);
        }
        Ok(())
    }
}

/// The new state of an incident and the events that record the change.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub incident: Incident,
    pub events: Vec<Event>,
}

/// Ids the caller generated for what a command creates (the core draws no random numbers).
#[derive(Clone, Debug)]
pub struct NewIds {
    pub incident: Id,
    pub update: Id,
}

/// Declares an incident. `recent` lists the page's resolved incidents whose close time is
/// within the last [`REPEAT_WINDOW`] (or still ahead), for the repeat-severity rule.
pub fn create(
    ctx: PageContext,
    recent: &[RecentIncident],
    ids: NewIds,
    input: NewIncident,
    actor: &str,
    now: Timestamp,
) -> Result<Decision, DomainError> {
    published(decide_create(ctx, recent, ids, input, actor, now)?)
}

/// The decision, once its newest update is fit to publish: no template variable is left
/// written out. Previews skip this and show it as a blocking lint instead.
fn published(decision: Decision) -> Result<Decision, DomainError> {
    if let Some(update) = decision.incident.updates.last() {
        lint::refuse_unfilled("details", &update.details)?;
    }
    Ok(decision)
}

/// [`create`] without the check that the text is fit to publish.
pub(crate) fn decide_create(
    ctx: PageContext,
    recent: &[RecentIncident],
    ids: NewIds,
    input: NewIncident,
    actor: &str,
    now: Timestamp,
) -> Result<Decision, DomainError> {
    text::required("title", &input.title, TITLE_MAX)?;
    let issue_link = issue_link(input.issue_link)?;
    let title = input.title.trim().to_string();
    if !input.state.is_active() {
        return Err(DomainError::CreatedResolved);
    }
    if input.affected.is_empty() {
        return Err(DomainError::NoAffectedLocations);
    }
    ctx.check_affected(input.affected.iter().map(|a| a.location_id.as_str()))?;
    if input.affected.iter().all(|a| a.level.is_operational()) {
        return Err(DomainError::AllOperational);
    }
    let (severity, severity_reason) = repeat_severity(input.severity, recent, now);
    let filled = Filled {
        title: &title,
        issue_link: issue_link.as_deref(),
    };
    let update = new_update(
        ctx,
        ids.update,
        UpdateDraft {
            state: input.state,
            details: input.details,
            status: StatusChange::Keep,
            channels: input.channels,
            subject: input.subject,
            next_update_in: input.next_update_in,
            issue_link: None,
        },
        input.affected.clone(),
        (actor, filled),
        now,
    )?;
    let incident = Incident {
        id: ids.incident,
        page_id: ctx.page.id.clone(),
        title,
        severity,
        severity_reason: severity_reason.clone(),
        state: input.state,
        affected: input.affected,
        updates: vec![update],
        postmortem_url: None,
        issue_link,
        recurrences: 0,
        created_at: now,
        updated_at: now,
        resolved_at: None,
    };
    let mut event = Event::new(
        EventKind::IncidentCreated,
        &incident.id,
        None,
        Some(&incident),
    );
    if let Some(reason) = severity_reason {
        event = event.with_note(reason);
    }
    Ok(Decision {
        incident,
        events: vec![event],
    })
}

/// A severity 2 or 3 incident declared within three hours after a closed severity 2 or 3
/// incident is raised to severity 2.
fn repeat_severity(
    asked: Severity,
    recent: &[RecentIncident],
    now: Timestamp,
) -> (Severity, Option<String>) {
    if asked.get() != 3 {
        return (asked, None);
    }
    let window_start = now.checked_sub(REPEAT_WINDOW).unwrap_or(Timestamp::MIN);
    let previous = recent
        .iter()
        .filter(|r| matches!(r.severity.get(), 2 | 3) && r.closed_at >= window_start)
        .max_by_key(|r| r.closed_at);
    match previous {
        Some(prev) => (
            Severity(2),
            Some(format!(
                "raised from severity 3 to 2: declared within 3 hours after severity {} incident {} closed at {}",
                prev.severity.get(),
                prev.id,
                prev.closed_at
            )),
        ),
        None => (asked, None),
    }
}

/// An issue link as given: `None` or blank for none, else an absolute http(s) URL.
fn issue_link(given: Option<String>) -> Result<Option<String>, DomainError> {
    match given.map(|link| link.trim().to_string()) {
        Some(link) if !link.is_empty() => {
            text::http_url("issue_link", &link)?;
            Ok(Some(link))
        }
        _ => Ok(None),
    }
}

/// What the incident fills its updates' template variables with.
#[derive(Clone, Copy)]
struct Filled<'a> {
    title: &'a str,
    issue_link: Option<&'a str>,
}

fn new_update(
    ctx: PageContext,
    id: Id,
    draft: UpdateDraft,
    levels: Vec<AffectedLocation>,
    (actor, filled): (&str, Filled),
    now: Timestamp,
) -> Result<Update, DomainError> {
    let details = template::fill(
        &draft.details,
        &[
            ("title", filled.title),
            ("issue_link", filled.issue_link.unwrap_or_default()),
        ],
    );
    text::required_text("details", &details, DETAILS_MAX)?;
    let subject = match draft.subject {
        Some(subject) if !subject.trim().is_empty() => {
            text::at_most("subject", &subject, SUBJECT_MAX)?;
            subject.trim().to_string()
        }
        _ => ctx.page.settings.default_subject.clone(),
    };
    if let Some(minutes) = draft.next_update_in {
        cadence::validate_interval("next_update_in", minutes)?;
    }
    Ok(Update {
        id,
        state: draft.state,
        details,
        levels,
        subject,
        channels: draft.channels,
        author: actor.to_string(),
        at: now,
        next_update_in: draft.next_update_in,
        edited_at: None,
    })
}

/// Posts an update: the only way an incident changes state or levels. Resolving returns its
/// locations to operational; an active state on a resolved incident reopens it.
pub fn post_update(
    incident: &Incident,
    ctx: PageContext,
    update_id: Id,
    draft: UpdateDraft,
    actor: &str,
    now: Timestamp,
) -> Result<Decision, DomainError> {
    published(decide_update(incident, ctx, update_id, draft, actor, now)?)
}

/// [`post_update`] without the check that the text is fit to publish.
pub(crate) fn decide_update(
    incident: &Incident,
    ctx: PageContext,
    update_id: Id,
    mut draft: UpdateDraft,
    actor: &str,
    now: Timestamp,
) -> Result<Decision, DomainError> {
    let reopening = !incident.is_active() && draft.state.is_active();
    if !incident.is_active() && !reopening {
        return Err(DomainError::AlreadyResolved);
    }
    let levels = levels_after(incident, ctx, &draft)?;
    // Timelines never run backwards, even if a caller's clock does.
    let now = now.max(incident.updated_at);
    let issue_link = issue_link(draft.issue_link.take())?.or(incident.issue_link.clone());
    let filled = Filled {
        title: &incident.title,
        issue_link: issue_link.as_deref(),
    };
    let update = new_update(ctx, update_id, draft, levels.clone(), (actor, filled), now)?;
    let mut next = incident.clone();
    next.issue_link = issue_link;
    next.state = update.state;
    next.affected = levels;
    next.updated_at = now;
    let kind = if reopening {
        next.resolved_at = None;
        if incident.is_closed(now) {
            EventKind::IncidentReopened
        } else {
            next.recurrences += 1;
            EventKind::IncidentRecurred
        }
    } else if update.state == IncidentState::Resolved {
        next.resolved_at = Some(now);
        EventKind::IncidentResolved
    } else {
        EventKind::IncidentUpdated
    };
    next.updates.push(update);
    let event = change_event(kind, incident, &next);
    Ok(Decision {
        incident: next,
        events: vec![event],
    })
}

fn levels_after(
    incident: &Incident,
    ctx: PageContext,
    draft: &UpdateDraft,
) -> Result<Vec<AffectedLocation>, DomainError> {
    let resolving = draft.state == IncidentState::Resolved;
    let mut levels = match &draft.status {
        StatusChange::Keep if resolving => set_all(&incident.affected, StatusLevel::Operational),
        StatusChange::Keep if !incident.is_active() => levels_before_resolution(incident),
        StatusChange::Keep => incident.affected.clone(),
        StatusChange::All(level) => set_all(&incident.affected, *level),
        StatusChange::Each(changes) => {
            let mut levels = incident.affected.clone();
            for change in changes {
                ctx.check_location(&change.location_id)?;
                match levels
                    .iter_mut()
                    .find(|l| l.location_id == change.location_id)
                {
                    Some(existing) => existing.level = change.level,
                    None => levels.push(change.clone()),
                }
            }
            levels
        }
    };
    if resolving {
        // Only a level the draft asks for can be refused; locations it does not name return to
        // operational like every other location of a resolved incident.
        let asks_for_worse = match &draft.status {
            StatusChange::Keep => false,
            StatusChange::All(level) => !level.is_operational(),
            StatusChange::Each(changes) => changes.iter().any(|c| !c.level.is_operational()),
        };
        if asks_for_worse {
            return Err(DomainError::invalid(
                "status",
                "a resolving update returns every affected location to operational; to keep a location marked, set a manual override on it instead",
            ));
        }
        levels = set_all(&levels, StatusLevel::Operational);
    }
    Ok(levels)
}

fn set_all(affected: &[AffectedLocation], level: StatusLevel) -> Vec<AffectedLocation> {
    affected
        .iter()
        .map(|a| AffectedLocation {
            location_id: a.location_id.clone(),
            level,
        })
        .collect()
}

/// The levels of the last update before the incident was resolved.
fn levels_before_resolution(incident: &Incident) -> Vec<AffectedLocation> {
    let last_active = incident.updates.iter().rev().find(|u| u.state.is_active());
    let previous = last_active.map(|u| u.levels.as_slice()).unwrap_or_default();
    incident
        .affected
        .iter()
        .map(|a| {
            previous
                .iter()
                .find(|p| p.location_id == a.location_id)
                .cloned()
                .unwrap_or_else(|| a.clone())
        })
        .collect()
}

/// Edits the title, severity, affected locations (with their levels) or issue link without
/// broadcasting.
pub fn edit(
    incident: &Incident,
    ctx: PageContext,
    edit: IncidentEdit,
    now: Timestamp,
) -> Result<Decision, DomainError> {
    let mut next = incident.clone();
    if let Some(title) = edit.title {
        text::required("title", &title, TITLE_MAX)?;
        next.title = title.trim().to_string();
    }
    if let Some(severity) = edit.severity {
        if severity != next.severity {
            next.severity_reason = None;
        }
        next.severity = severity;
    }
    if let Some(locations) = edit.affected {
        next.affected = edited_affected(incident, ctx, &locations)?;
    }
    if let Some(link) = edit.issue_link {
        next.issue_link = issue_link(Some(link))?;
    }
    if next == *incident {
        return Ok(Decision {
            incident: next,
            events: vec![],
        });
    }
    next.updated_at = now.max(incident.updated_at);
    let event = change_event(EventKind::IncidentEdited, incident, &next);
    Ok(Decision {
        incident: next,
        events: vec![event],
    })
}

/// The affected list an edit asks for. A location listed twice appears once, where it was
/// first listed, at the last level given for it. A resolved incident holds every location at
/// operational, so only that level can be given to one.
fn edited_affected(
    incident: &Incident,
    ctx: PageContext,
    edited: &[EditedLocation],
) -> Result<Vec<AffectedLocation>, DomainError> {
    if edited.is_empty() {
        return Err(DomainError::NoAffectedLocations);
    }
    let current_level = incident.level();
    let mut affected: Vec<AffectedLocation> = Vec::with_capacity(edited.len());
    for location in edited {
        let id = &location.location_id;
        ctx.check_location(id)?;
        if let Some(level) = location.level
            && !incident.is_active()
            && !level.is_operational()
        {
            return Err(DomainError::invalid(
                "affected",
                format!(
                    "the incident is resolved, so {id} stays operational; post an update to reopen it at another level"
                ),
            ));
        }
        if let Some(listed) = affected.iter_mut().find(|a| &a.location_id == id) {
            listed.level = location.level.unwrap_or(listed.level);
            continue;
        }
        let kept = incident.affected.iter().find(|a| &a.location_id == id);
        let level = location
            .level
            .or(kept.map(|a| a.level))
            .unwrap_or(current_level);
        affected.push(AffectedLocation {
            location_id: id.clone(),
            level,
        });
    }
    Ok(affected)
}

/// Corrects the text of a published update, keeping its place in the timeline: the update is
/// marked edited, the audit event keeps the old text (in `before`), and the correction is
/// broadcast again only when asked (the same text again changes nothing and tells nobody).
/// The text is checked as a new update's is, and must be fit
/// to publish.
pub fn correct_update(
    incident: &Incident,
    update_id: &str,
    correction: UpdateCorrection,
    now: Timestamp,
) -> Result<Decision, DomainError> {
    let details = template::fill(
        &correction.details,
        &[
            ("title", &incident.title),
            (
                "issue_link",
                incident.issue_link.as_deref().unwrap_or_default(),
            ),
        ],
    );
    text::required_text("details", &details, DETAILS_MAX)?;
    lint::refuse_unfilled("details", &details)?;
    let mut next = incident.clone();
    let Some(update) = next.updates.iter_mut().find(|u| u.id == update_id) else {
        return Err(DomainError::invalid(
            "update",
            format!("the incident has no update {update_id}"),
        ));
    };
    if update.details == details {
        return Ok(Decision {
            incident: next,
            events: vec![],
        });
    }
    let now = now.max(incident.updated_at);
    update.details = details;
    update.edited_at = Some(now);
    next.updated_at = now;
    let kind = match correction.rebroadcast {
        true => EventKind::IncidentCorrectionAnnounced,
        false => EventKind::IncidentUpdateCorrected,
    };
    let event =
        change_event(kind, incident, &next).with_note(format!("update {update_id} corrected"));
    Ok(Decision {
        incident: next,
        events: vec![event],
    })
}

/// Links the post-mortem; only a resolved incident has one.
pub fn set_postmortem(
    incident: &Incident,
    url: &str,
    now: Timestamp,
) -> Result<Decision, DomainError> {
    if incident.is_active() {
        return Err(DomainError::PostmortemBeforeResolved);
    }
    text::http_url("url", url)?;
    let mut next = incident.clone();
    next.postmortem_url = Some(url.to_string());
    next.updated_at = now.max(incident.updated_at);
    let event = change_event(EventKind::IncidentPostmortemLinked, incident, &next);
    Ok(Decision {
        incident: next,
        events: vec![event],
    })
}

/// The audit event of a change to an incident: its fields before and after, each with only
/// the updates the change added or corrected. The rest of the timeline is in the events before
/// it; repeating it on every update would grow the log with the square of the timeline.
fn change_event(kind: EventKind, before: &Incident, after: &Incident) -> Event {
    let changed = |one: &Incident, other: &Incident| {
        let updates = one.updates.iter().enumerate();
        let changed = updates.filter(|(k, u)| other.updates.get(*k) != Some(*u));
        one.with_updates(changed.map(|(_, u)| u.clone()).collect())
    };
    let (before, after) = (changed(before, after), changed(after, before));
    Event::new(kind, &after.id, Some(&before), Some(&after))
}

/// The audit event for deleting an incident (Status.io's `incident/delete`).
pub fn delete(incident: &Incident) -> Event {
    Event::new(
        EventKind::IncidentDeleted,
        &incident.id,
        Some(incident),
        None,
    )
}
