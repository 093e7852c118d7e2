//! Scheduled maintenance windows: planned work on some locations of a page, announced ahead,
//! run and closed, with a timeline of updates like an incident's.
//!
//! As with incidents, every change goes through one of the functions here, which checks the
//! rules and returns the new window with the audit events to append, or refuses with a
//! [`DomainError`]. Windows are run by hand for now: `automation` is recorded, and the
//! scheduler that starts and completes windows on time will act on it.
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::event::Event;
use crate::incident::{AffectedLocation, Channels, DETAILS_MAX, PageContext, TITLE_MAX};
use crate::page::Page;
use crate::status::StatusLevel;
use crate::{Actor, DomainError, Id, text};

/// How far in the past a new planned start may lie: the time it takes to fill in the form,
/// and a little clock skew. A start further back is most likely a wrong date or time zone.
pub const START_GRACE: SignedDuration = SignedDuration::from_mins(1);

const SUBJECT: &str = "maintenance";

/// Scheduled, then in progress, optionally verifying, then completed; or cancelled at any
/// point before completion. See [`MaintenanceState::next_states`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MaintenanceState {
    Scheduled,
    InProgress,
    Verifying,
    Completed,
    Cancelled,
}

use MaintenanceState::{Cancelled, Completed, InProgress, Scheduled, Verifying};

impl MaintenanceState {
    pub const ALL: [MaintenanceState; 5] = [Scheduled, InProgress, Verifying, Completed, Cancelled];

    pub fn label(self) -> &'static str {
        match self {
            Scheduled => "Scheduled",
            InProgress => "In progress",
            Verifying => "Verifying",
            Completed => "Completed",
            Cancelled => "Cancelled",
        }
    }

    /// The work is under way (or being checked): the window holds its locations.
    pub fn is_active(self) -> bool {
        matches!(self, InProgress | Verifying)
    }

    /// Completed and cancelled windows never change again.
    pub fn is_final(self) -> bool {
        matches!(self, Completed | Cancelled)
    }

    /// Atlassian Statuspage's name for the state. Statuspage has no cancelled state; a
    /// cancelled window reads as completed there.
    pub fn statuspage_status(self) -> &'static str {
        match self {
            Scheduled => "scheduled",
            InProgress => "in_progress",
            Verifying => "verifying",
            Completed | Cancelled => "completed",
        }
    }

    /// The states an update may leave a window in, its current one included (an update that
    /// only informs). Work is never un-started: a window in progress does not go back to
    /// scheduled, and one that was never started cannot be verified or completed (cancel it
    /// instead). Verifying may return to in progress when the check finds more to do, and a
    /// window may be cancelled until it completes, rolled-back work included.
    pub fn next_states(self) -> &'static [MaintenanceState] {
        match self {
            Scheduled => &[Scheduled, InProgress, Cancelled],
            InProgress => &[InProgress, Verifying, Completed, Cancelled],
            Verifying => &[Verifying, InProgress, Completed, Cancelled],
            Completed | Cancelled => &[],
        }
    }

    pub fn can_move_to(self, next: MaintenanceState) -> bool {
        self.next_states().contains(&next)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MaintenanceUpdate {
    pub id: Id,
    /// The window's state after this update.
    pub state: MaintenanceState,
    /// Markdown.
    pub details: String,
    pub channels: Channels,
    pub author: Actor,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Maintenance {
    pub id: Id,
    pub page_id: Id,
    pub title: String,
    /// The ids of the locations the work touches; never empty, each listed once.
    pub affected: Vec<Id>,
    /// The planned window, UTC.
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub state: MaintenanceState,
    /// Whether Herald is to start and complete the window at its planned times (on unless
    /// switched off, to run the window by hand).
    pub automation: bool,
    /// Raised by every reschedule, so calendar entries (same UID) replace the earlier ones.
    pub sequence: u32,
    /// Oldest first; never empty: the first is the announcement.
    pub updates: Vec<MaintenanceUpdate>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// When the work actually started (the first move to in progress).
    pub started_at: Option<Timestamp>,
    /// When it was completed or cancelled.
    pub ended_at: Option<Timestamp>,
}

impl Maintenance {
    /// In progress or verifying.
    pub fn is_active(&self) -> bool {
        self.state.is_active()
    }

    /// Scheduled, and its planned end is still ahead (a start that passed while nobody
    /// started it still counts: the work may begin late).
    pub fn is_upcoming(&self, now: Timestamp) -> bool {
        self.state == Scheduled && self.ends_at > now
    }

    /// Neither upcoming nor active: completed, cancelled, or never started before its planned
    /// end. Exactly one of the three holds at any time.
    pub fn is_past(&self, now: Timestamp) -> bool {
        !self.is_active() && !self.is_upcoming(now)
    }

    /// While active, the window holds each affected location under maintenance.
    pub fn holds(&self) -> impl Iterator<Item = AffectedLocation> + '_ {
        self.affected
            .iter()
            .filter(|_| self.is_active())
            .map(|id| AffectedLocation {
                location_id: id.clone(),
                level: StatusLevel::UnderMaintenance,
            })
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewMaintenance {
    pub title: String,
    /// Markdown: what will be done and what people will notice; the first update.
    pub details: String,
    /// Location ids.
    pub affected: Vec<Id>,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    /// On unless given.
    #[serde(default = "on")]
    pub automation: bool,
    #[serde(default)]
    pub channels: Channels,
}

fn on() -> bool {
    true
}

/// An update on a window's timeline, moving it to another state or only informing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MaintenanceDraft {
    /// The state after the update; the current one when left out.
    #[serde(default)]
    pub state: Option<MaintenanceState>,
    /// Markdown.
    pub details: String,
    #[serde(default)]
    pub channels: Channels,
}

/// New planned times. A window in progress keeps its start; only its end moves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Reschedule {
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    /// Markdown saying why; the update on the timeline states the new times either way.
    #[serde(default)]
    pub details: Option<String>,
    #[serde(default)]
    pub channels: Channels,
}

/// The new state of a window and the events that record the change (none when nothing
/// changed).
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub maintenance: Maintenance,
    pub events: Vec<Event>,
}

impl Decision {
    fn unchanged(maintenance: &Maintenance) -> Decision {
        Decision {
            maintenance: maintenance.clone(),
            events: vec![],
        }
    }

    fn changed(kind: &'static str, before: &Maintenance, after: Maintenance) -> Decision {
        let event = Event::new(kind, SUBJECT, &after.id, Some(before), Some(&after));
        Decision {
            maintenance: after,
            events: vec![event],
        }
    }
}

/// Schedules a window; its details become the first update, in the scheduled state.
pub fn schedule(
    ctx: PageContext,
    id: Id,
    update_id: Id,
    input: NewMaintenance,
    actor: &str,
    now: Timestamp,
) -> Result<Decision, DomainError> {
    text::required("title", &input.title, TITLE_MAX)?;
    text::required("details", &input.details, DETAILS_MAX)?;
    if input.affected.is_empty() {
        return Err(DomainError::invalid(
            "affected",
            "a maintenance window needs at least one location; list the ids of the locations the work touches",
        ));
    }
    ctx.check_affected(input.affected.iter().map(String::as_str))?;
    check_planned(input.starts_at, input.ends_at, now)?;
    let update = MaintenanceUpdate {
        id: update_id,
        state: Scheduled,
        details: input.details,
        channels: input.channels,
        author: actor.to_string(),
        at: now,
    };
    let maintenance = Maintenance {
        id,
        page_id: ctx.page.id.clone(),
        title: input.title.trim().to_string(),
        affected: input.affected,
        starts_at: input.starts_at,
        ends_at: input.ends_at,
        state: Scheduled,
        automation: input.automation,
        sequence: 0,
        updates: vec![update],
        created_at: now,
        updated_at: now,
        started_at: None,
        ended_at: None,
    };
    let event = Event::new(
        "maintenance.scheduled",
        SUBJECT,
        &maintenance.id,
        None,
        Some(&maintenance),
    );
    Ok(Decision {
        maintenance,
        events: vec![event],
    })
}

/// Posts an update: informs without a state change, starts (early or late), moves to
/// verifying, completes (early or late) or cancels, following [`MaintenanceState::next_states`].
pub fn post_update(
    current: &Maintenance,
    update_id: Id,
    draft: MaintenanceDraft,
    actor: &str,
    now: Timestamp,
) -> Result<Decision, DomainError> {
    check_open(current)?;
    let state = draft.state.unwrap_or(current.state);
    if !current.state.can_move_to(state) {
        return Err(DomainError::MaintenanceTransition {
            from: current.state,
            to: state,
        });
    }
    text::required("details", &draft.details, DETAILS_MAX)?;
    let mut next = current.clone();
    let now = append_update(
        &mut next,
        MaintenanceUpdate {
            id: update_id,
            state,
            details: draft.details,
            channels: draft.channels,
            author: actor.to_string(),
            at: now,
        },
    );
    if state == InProgress && next.started_at.is_none() {
        next.started_at = Some(now);
    }
    if state.is_final() {
        next.ended_at = Some(now);
    }
    Ok(Decision::changed("maintenance.updated", current, next))
}

/// Moves the planned times, raising the sequence, and says so on the timeline. A scheduled
/// window may move anywhere ahead; one in progress keeps its start and may be extended or
/// shortened (to finish now, complete it instead). The same times again change nothing.
pub fn reschedule(
    current: &Maintenance,
    page: &Page,
    update_id: Id,
    input: Reschedule,
    actor: &str,
    now: Timestamp,
) -> Result<Decision, DomainError> {
    check_open(current)?;
    if (input.starts_at, input.ends_at) == (current.starts_at, current.ends_at) {
        return Ok(Decision::unchanged(current));
    }
    let new_times = if current.is_active() {
        if input.starts_at != current.starts_at {
            return Err(DomainError::invalid(
                "starts_at",
                format!(
                    "the window is already {}, so only its end can move; send starts_at unchanged ({})",
                    current.state.label().to_lowercase(),
                    current.starts_at
                ),
            ));
        }
        if input.ends_at <= now {
            return Err(DomainError::invalid(
                "ends_at",
                format!(
                    "{} has already passed; to finish the window now, post an update with the state completed",
                    input.ends_at
                ),
            ));
        }
        check_end(input.starts_at, input.ends_at)?;
        format!("Now planned to end at {}.", local(page, input.ends_at))
    } else {
        check_planned(input.starts_at, input.ends_at, now)?;
        format!(
            "Rescheduled: now planned from {} to {}.",
            local(page, input.starts_at),
            local(page, input.ends_at)
        )
    };
    let details = match input.details.as_deref().map(str::trim) {
        Some(said) if !said.is_empty() => format!("{new_times}\n\n{said}"),
        _ => new_times,
    };
    text::at_most("details", &details, DETAILS_MAX)?;
    let mut next = current.clone();
    next.starts_at = input.starts_at;
    next.ends_at = input.ends_at;
    next.sequence += 1;
    append_update(
        &mut next,
        MaintenanceUpdate {
            id: update_id,
            state: current.state,
            details,
            channels: input.channels,
            author: actor.to_string(),
            at: now,
        },
    );
    Ok(Decision::changed("maintenance.rescheduled", current, next))
}

/// Switches automation off (to run the window by hand) or back on; no broadcast.
pub fn set_automation(
    current: &Maintenance,
    enabled: bool,
    now: Timestamp,
) -> Result<Decision, DomainError> {
    check_open(current)?;
    if current.automation == enabled {
        return Ok(Decision::unchanged(current));
    }
    let mut next = current.clone();
    next.automation = enabled;
    next.updated_at = now.max(current.updated_at);
    Ok(Decision::changed(
        "maintenance.automation_changed",
        current,
        next,
    ))
}

/// The audit event for deleting a window, in any state.
pub fn delete(maintenance: &Maintenance) -> Event {
    Event::new(
        "maintenance.deleted",
        SUBJECT,
        &maintenance.id,
        Some(maintenance),
        None,
    )
}

fn check_open(maintenance: &Maintenance) -> Result<(), DomainError> {
    if maintenance.state.is_final() {
        Err(DomainError::MaintenanceFinished(maintenance.state))
    } else {
        Ok(())
    }
}

/// Times for a window not yet started: ahead (within the grace) and ending after the start.
fn check_planned(
    starts_at: Timestamp,
    ends_at: Timestamp,
    now: Timestamp,
) -> Result<(), DomainError> {
    let earliest = now.checked_sub(START_GRACE).unwrap_or(Timestamp::MIN);
    if starts_at < earliest {
        return Err(DomainError::invalid(
            "starts_at",
            format!(
                "{starts_at} is in the past (it is now {now}); plan the window ahead, and check the date and the UTC offset"
            ),
        ));
    }
    check_end(starts_at, ends_at)
}

fn check_end(starts_at: Timestamp, ends_at: Timestamp) -> Result<(), DomainError> {
    if ends_at <= starts_at {
        return Err(DomainError::invalid(
            "ends_at",
            format!(
                "{ends_at} is not after starts_at ({starts_at}); a window must end after it starts"
            ),
        ));
    }
    Ok(())
}

/// Adds an update to the timeline, moving the window to its state, and returns its time:
/// timelines never run backwards, even if a caller's clock does.
fn append_update(next: &mut Maintenance, mut update: MaintenanceUpdate) -> Timestamp {
    update.at = update.at.max(next.updated_at);
    let at = update.at;
    next.state = update.state;
    next.updated_at = at;
    next.updates.push(update);
    at
}

/// An instant as the page's visitors read it: in the page's time zone, with its abbreviation.
fn local(page: &Page, at: Timestamp) -> String {
    match at.in_tz(&page.time_zone) {
        Ok(zoned) => zoned.strftime("%Y-%m-%d %H:%M %Z").to_string(),
        Err(_) => at.strftime("%Y-%m-%d %H:%M UTC").to_string(),
    }
}
