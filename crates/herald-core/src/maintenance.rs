//! Scheduled maintenance windows: planned work on some locations of a page, announced ahead,
//! run and closed, with a timeline of updates like an incident's.
//!
//! As with incidents, every change goes through one of the functions here, which checks the
//! rules and returns the new window with the audit events to append, or refuses with a
//! [`DomainError`]. With automation on, the scheduler starts and completes a window at its
//! planned times through [`auto_start`] and [`auto_complete`]; reminders go out at the window's
//! offsets before its start ([`Maintenance::reminders_due`]).
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::event::{Event, EventKind};
use crate::incident::{AffectedLocation, Channels, DETAILS_MAX, PageContext, TITLE_MAX};
use crate::lint::{self, Lint};
use crate::page::{Page, PageSettings};
use crate::status::StatusLevel;
use crate::{Actor, DomainError, Id, text};

/// How far in the past a new planned start may lie: the time it takes to fill in the form,
/// and a little clock skew. A start further back is most likely a wrong date or time zone.
pub const START_GRACE: SignedDuration = SignedDuration::from_mins(1);

/// Reminders before a window's start, in minutes, unless the page or the window says otherwise:
/// 72 hours, 24 hours and 1 hour.
pub const DEFAULT_REMINDERS: [u32; 3] = [72 * 60, 24 * 60, 60];

/// The furthest ahead a reminder may be (30 days), and how many a window may have.
const MAX_REMINDER_MINS: u32 = 30 * 24 * 60;
const MAX_REMINDERS: usize = 10;

/// How soon before a reminder a manual email broadcast is held back, so that subscribers do
/// not get the same news twice.
pub const REMINDER_CLASH: SignedDuration = SignedDuration::from_hours(1);

/// Who starts and completes windows on time.
pub const AUTOMATION_ACTOR: &str = "herald:automation";

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
    /// When subscribers are reminded: minutes before the planned start, furthest first.
    pub reminders: Vec<u32>,
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

    /// Its reminders while it is scheduled: each offset (minutes) and the instant it falls due,
    /// furthest from the start first.
    pub fn reminders_due(&self) -> impl Iterator<Item = (u32, Timestamp)> + '_ {
        self.reminders
            .iter()
            .filter(|_| self.state == Scheduled)
            .filter_map(|&mins| {
                let before = SignedDuration::from_mins(i64::from(mins));
                Some((mins, self.starts_at.checked_sub(before).ok()?))
            })
    }

    /// When the next update is due on a window run by hand while under way, given the page's
    /// maintenance cadence (minutes); none otherwise. The automation's own updates need no
    /// cadence, and a scheduled window has its reminders.
    pub fn next_update_due(&self, cadence: Option<u32>) -> Option<Timestamp> {
        let last = self.updates.last()?;
        self.due_after(last.at, last.state, cadence)
    }

    /// When the update after one posted at `at`, leaving the window in `state`, is due.
    fn due_after(
        &self,
        at: Timestamp,
        state: MaintenanceState,
        cadence: Option<u32>,
    ) -> Option<Timestamp> {
        let minutes = cadence.filter(|_| !self.automation && state.is_active())?;
        at.checked_add(SignedDuration::from_mins(i64::from(minutes)))
            .ok()
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
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub title: String,
    /// Markdown: what will be done and what people will notice; the first update.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 20000))]
    pub details: String,
    /// Location ids.
    pub affected: Vec<Id>,
    /// An RFC 3339 instant, or a local time and IANA zone: "2026-03-29 01:30 Europe/Berlin".
    #[serde(deserialize_with = "crate::planned_time::deserialize")]
    pub starts_at: Timestamp,
    /// An RFC 3339 instant, or a local time and IANA zone: "2026-03-29 01:30 Europe/Berlin".
    #[serde(deserialize_with = "crate::planned_time::deserialize")]
    pub ends_at: Timestamp,
    /// On unless given.
    #[serde(default = "on")]
    pub automation: bool,
    /// Minutes before the start at which subscribers are reminded; the page's
    /// `maintenance_reminders` unless given (`[]` for none).
    #[serde(default)]
    pub reminders: Option<Vec<u32>>,
    /// Who hears of the window now ("notify now"); reminders go to the same channels.
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
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 20000))]
    pub details: String,
    #[serde(default)]
    pub channels: Channels,
    /// Email the update even though a reminder of the window goes out within the hour.
    #[serde(default)]
    pub confirm_duplicate_email: bool,
}

/// New planned times. A window in progress keeps its start; only its end moves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Reschedule {
    /// An RFC 3339 instant, or a local time and IANA zone: "2026-03-29 01:30 Europe/Berlin".
    #[serde(deserialize_with = "crate::planned_time::deserialize")]
    pub starts_at: Timestamp,
    /// An RFC 3339 instant, or a local time and IANA zone: "2026-03-29 01:30 Europe/Berlin".
    #[serde(deserialize_with = "crate::planned_time::deserialize")]
    pub ends_at: Timestamp,
    /// Markdown saying why; the update on the timeline states the new times either way.
    #[serde(default)]
    pub details: Option<String>,
    #[serde(default)]
    pub channels: Channels,
}

/// What a lead sees before posting an update on a window.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MaintenancePreview {
    /// The page's lints on the update's text.
    pub lints: Vec<Lint>,
    /// Why emailing this update would be refused (a reminder goes out within the hour).
    pub email_refused: Option<String>,
    /// When the next update would be due after this one: a window run by hand, under way,
    /// on a page with a maintenance cadence.
    pub next_update_due: Option<Timestamp>,
}

impl MaintenancePreview {
    /// The lints with a reminder clash among them, as a warning that does not block: the
    /// update can still be posted, and emailed once the lead confirms.
    pub fn lints_with_clash(&self) -> Vec<Lint> {
        let clash = self.email_refused.clone().map(|message| Lint {
            id: "email.reminder_clash".into(),
            message,
            blocking: false,
        });
        self.lints.iter().cloned().chain(clash).collect()
    }
}

/// Previews an update without posting it.
pub fn preview(
    current: &Maintenance,
    settings: &PageSettings,
    draft: &MaintenanceDraft,
    now: Timestamp,
) -> Result<MaintenancePreview, DomainError> {
    // Text that could never be posted is refused here too, as an incident's preview does.
    text::required_text("details", &draft.details, DETAILS_MAX)?;
    let email_refused = match draft.channels.email && !draft.confirm_duplicate_email {
        true => check_reminder_clash(current, now)
            .err()
            .map(|e| e.to_string()),
        false => None,
    };
    let state = draft.state.unwrap_or(current.state);
    Ok(MaintenancePreview {
        lints: lint::check_text(&settings.lint, &draft.details),
        email_refused,
        next_update_due: current.due_after(now, state, settings.maintenance_cadence),
    })
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

    fn changed(kind: EventKind, before: &Maintenance, after: Maintenance) -> Decision {
        let event = Event::new(kind, &after.id, Some(before), Some(&after));
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
    text::required_text("details", &input.details, DETAILS_MAX)?;
    lint::refuse_unfilled("details", &input.details)?;
    if input.affected.is_empty() {
        return Err(DomainError::invalid(
            "affected",
            "a maintenance window needs at least one location; list the ids of the locations the work touches",
        ));
    }
    ctx.check_affected(input.affected.iter().map(String::as_str))?;
    check_planned(input.starts_at, input.ends_at, now)?;
    let reminders = input
        .reminders
        .unwrap_or_else(|| ctx.page.settings.maintenance_reminders.clone());
    check_reminders("reminders", &reminders)?;
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
        reminders: furthest_first(reminders),
        updates: vec![update],
        created_at: now,
        updated_at: now,
        started_at: None,
        ended_at: None,
    };
    let event = Event::new(
        EventKind::MaintenanceScheduled,
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
    text::required_text("details", &draft.details, DETAILS_MAX)?;
    lint::refuse_unfilled("details", &draft.details)?;
    if draft.channels.email && !draft.confirm_duplicate_email {
        check_reminder_clash(current, now)?;
    }
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
    Ok(Decision::changed(
        EventKind::MaintenanceUpdated,
        current,
        next,
    ))
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
    lint::refuse_unfilled("details", &details)?;
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
    Ok(Decision::changed(
        EventKind::MaintenanceRescheduled,
        current,
        next,
    ))
}

/// Switches automation off (to run the window by hand) or back on; no broadcast.
pub fn set_automation(
    current: &Maintenance,
    enabled: bool,
    now: Timestamp,
) -> Result<Decision, DomainError> {
    check_open(current)?;
    Ok(quietly(
        current,
        EventKind::MaintenanceAutomationChanged,
        now,
        |next| {
            next.automation = enabled;
        },
    ))
}

/// Replaces the reminders of a window not yet started (minutes before its planned start,
/// checked as at scheduling); no broadcast. The same offsets again change nothing. Once the
/// work has begun there is nothing left to remind anyone of.
pub fn set_reminders(
    current: &Maintenance,
    reminders: Vec<u32>,
    now: Timestamp,
) -> Result<Decision, DomainError> {
    check_open(current)?;
    if current.state != Scheduled {
        return Err(DomainError::invalid(
            "reminders",
            format!(
                "the window is already {}; reminders go out only before it starts",
                current.state.label().to_lowercase()
            ),
        ));
    }
    check_reminders("reminders", &reminders)?;
    Ok(quietly(
        current,
        EventKind::MaintenanceRemindersChanged,
        now,
        |next| {
            next.reminders = furthest_first(reminders);
        },
    ))
}

/// A change to how a window is run that tells nobody: `change` made to a copy, recorded as
/// `kind`, unless it changed nothing.
fn quietly(
    current: &Maintenance,
    kind: EventKind,
    now: Timestamp,
    change: impl FnOnce(&mut Maintenance),
) -> Decision {
    let mut next = current.clone();
    change(&mut next);
    if next == *current {
        return Decision::unchanged(current);
    }
    next.updated_at = now.max(current.updated_at);
    Decision::changed(kind, current, next)
}

/// Starts a window at its planned start, on behalf of the automation. How long after the
/// planned instant this runs (Herald was not running, say) is noted in the audit event. A window whose end has passed too is started without a broadcast: its completion
/// follows at once and is the news.
pub fn auto_start(
    current: &Maintenance,
    update_id: Id,
    now: Timestamp,
) -> Result<Decision, DomainError> {
    let quiet = now >= current.ends_at;
    automatic(current, update_id, InProgress, quiet, now)
}

/// Completes a window at its planned end, on behalf of the automation.
pub fn auto_complete(
    current: &Maintenance,
    update_id: Id,
    now: Timestamp,
) -> Result<Decision, DomainError> {
    automatic(current, update_id, Completed, false, now)
}

fn automatic(
    current: &Maintenance,
    update_id: Id,
    state: MaintenanceState,
    quiet: bool,
    now: Timestamp,
) -> Result<Decision, DomainError> {
    let (details, planned) = match state {
        InProgress => ("The scheduled maintenance has started.", current.starts_at),
        _ => ("The scheduled maintenance is complete.", current.ends_at),
    };
    let channels = match quiet {
        true => Channels::NONE,
        false => current.updates[0].channels,
    };
    let draft = MaintenanceDraft {
        state: Some(state),
        details: details.into(),
        channels,
        confirm_duplicate_email: true,
    };
    let mut decision = post_update(current, update_id, draft, AUTOMATION_ACTOR, now)?;
    let late = now.duration_since(planned).max(SignedDuration::ZERO);
    let kind = match state {
        InProgress => EventKind::MaintenanceStarted,
        _ => EventKind::MaintenanceCompleted,
    };
    for event in &mut decision.events {
        event.kind = kind;
        event.note = Some(match late.as_secs() {
            0 => format!("on time, as planned for {planned}"),
            secs => format!("{secs} s late: planned for {planned}, Herald was not running then"),
        });
    }
    Ok(decision)
}

/// The audit event of a reminder sent `mins` before the start; its broadcast goes to the
/// channels chosen when the window was announced.
pub fn reminder(window: &Maintenance, mins: u32, now: Timestamp) -> Event {
    let mut event = Event::new(
        EventKind::MaintenanceReminded,
        &window.id,
        None::<&Maintenance>,
        None::<&Maintenance>,
    );
    let lead = SignedDuration::from_mins(i64::from(mins));
    event.note = Some(format!(
        "reminder {lead:#} before the start at {}, sent at {now}",
        window.starts_at
    ));
    event
}

/// Whether a manual email about the window would go out within [`REMINDER_CLASH`] of one of
/// its reminders (sent automatically to the same subscribers), and if so which.
fn check_reminder_clash(current: &Maintenance, now: Timestamp) -> Result<(), DomainError> {
    let horizon = now.checked_add(REMINDER_CLASH).unwrap_or(Timestamp::MAX);
    let clash = current
        .reminders_due()
        .find(|(_, at)| *at > now && *at <= horizon);
    match clash {
        Some((_, at)) => Err(DomainError::invalid(
            "channels.email",
            format!(
                "a reminder of this window goes to its email subscribers at {at} (in {} minutes), so they would get the news twice; untick email for this update, or set confirm_duplicate_email to send it anyway",
                (at.duration_since(now).as_secs() + 59) / 60
            ),
        )),
        None => Ok(()),
    }
}

/// Checks reminder offsets: each from 1 minute to 30 days, at most ten of them.
pub fn check_reminders(field: &'static str, minutes: &[u32]) -> Result<(), DomainError> {
    if minutes.len() > MAX_REMINDERS {
        return Err(DomainError::invalid(
            field,
            format!(
                "at most {MAX_REMINDERS} reminders; {} were given",
                minutes.len()
            ),
        ));
    }
    match minutes
        .iter()
        .find(|m| !(1..=MAX_REMINDER_MINS).contains(*m))
    {
        Some(bad) => Err(DomainError::invalid(
            field,
            format!(
                "{bad} is not a reminder offset; give minutes before the start, from 1 to {MAX_REMINDER_MINS} (30 days), e.g. [4320, 1440, 60]"
            ),
        )),
        None => Ok(()),
    }
}

fn furthest_first(mut minutes: Vec<u32>) -> Vec<u32> {
    minutes.sort_unstable_by(|a, b| b.cmp(a));
    minutes.dedup();
    minutes
}

/// The audit event for deleting a window, in any state.
pub fn delete(maintenance: &Maintenance) -> Event {
    Event::new(
        EventKind::MaintenanceDeleted,
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
pub(crate) fn local(page: &Page, at: Timestamp) -> String {
    match at.in_tz(&page.time_zone) {
        Ok(zoned) => zoned.strftime("%Y-%m-%d %H:%M %Z").to_string(),
        Err(_) => at.strftime("%Y-%m-%d %H:%M UTC").to_string(),
    }
}
