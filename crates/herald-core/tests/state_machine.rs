//! Property tests of the incident state machine.
//!
//! Random sequences of commands (create, post_update, edit, set_postmortem) run against one
//! incident while a fake clock moves by random amounts (now and then backwards, as a caller's
//! clock might). Each command's outcome is predicted by a small independent model: which
//! commands must be refused, with which error, and what a successful one must produce. After
//! every successful step the workflow's invariants are checked on the returned incident.
//!
//! The functions under test are pure, so a refused command simply leaves the current incident
//! in place: the test keeps using the old one.
use herald_core::DomainError;
use herald_core::cadence::{CadenceTable, MAX_INTERVAL_MINUTES, next_update_due};
use herald_core::component::Location;
use herald_core::event::{Event, EventKind};
use herald_core::incident::{
    self, AffectedLocation, Channels, Decision, Incident, IncidentEdit, IncidentState, NewIds,
    NewIncident, PageContext, RecentIncident, Severity, StatusChange, UpdateDraft,
};
use herald_core::page::{Page, PageSettings};
use herald_core::status::StatusLevel;
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use proptest::sample::select;

const KNOWN: [&str; 4] = ["loc-a", "loc-b", "loc-c", "loc-d"];
/// A location of another page.
const UNKNOWN: &str = "loc-elsewhere";
const ACTOR: &str = "token:prop";

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct CreateSpec {
    title: String,
    severity: u8,
    state: IncidentState,
    details: String,
    affected: Vec<(String, StatusLevel)>,
    next_update_in: Option<u32>,
    /// Earlier incidents on the page: (severity, minutes before now that they closed).
    recent: Vec<(u8, i64)>,
    /// Whether a successful create replaces the incident the sequence works on.
    replace: bool,
}

#[derive(Clone, Debug)]
enum Cmd {
    Create(CreateSpec),
    Update {
        state: IncidentState,
        status: StatusChange,
        details: String,
        next_update_in: Option<u32>,
    },
    Edit {
        title: Option<String>,
        severity: Option<u8>,
        affected: Option<Vec<String>>,
    },
    Postmortem(String),
}

fn location() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => select(KNOWN.to_vec()).prop_map(String::from),
        1 => Just(UNKNOWN.to_string()),
    ]
}

fn level() -> impl Strategy<Value = StatusLevel> {
    prop_oneof![
        2 => Just(StatusLevel::Operational),
        5 => select(StatusLevel::ALL.to_vec()),
    ]
}

fn state() -> impl Strategy<Value = IncidentState> {
    select(IncidentState::ALL.to_vec())
}

fn title() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => Just("API errors".to_string()),
        3 => Just("  Database failover ".to_string()),
        1 => Just("   ".to_string()),
    ]
}

fn details() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => Just("We are looking into it.".to_string()),
        2 => Just("We will monitor for 30 minutes.".to_string()),
        1 => Just(String::new()),
    ]
}

fn next_update_in() -> impl Strategy<Value = Option<u32>> {
    prop_oneof![
        6 => Just(None),
        3 => (1u32..=240).prop_map(Some),
        1 => select(vec![0, 1, MAX_INTERVAL_MINUTES, MAX_INTERVAL_MINUTES + 1]).prop_map(Some),
    ]
}

fn status_change() -> impl Strategy<Value = StatusChange> {
    prop_oneof![
        3 => Just(StatusChange::Keep),
        2 => level().prop_map(StatusChange::All),
        3 => prop::collection::vec((location(), level()), 0..4).prop_map(|changes| {
            StatusChange::Each(changes.into_iter().map(|(id, level)| affected(&id, level)).collect())
        }),
    ]
}

fn create_spec() -> impl Strategy<Value = CreateSpec> {
    (
        title(),
        1u8..=4,
        prop_oneof![4 => select(vec![
            IncidentState::Investigating,
            IncidentState::Identified,
            IncidentState::Monitoring,
        ]), 1 => Just(IncidentState::Resolved)],
        details(),
        prop::collection::vec((location(), level()), 0..5),
        next_update_in(),
        prop::collection::vec((1u8..=4, 0i64..=400), 0..4),
        any::<bool>(),
    )
        .prop_map(
            |(title, severity, state, details, affected, next_update_in, recent, replace)| {
                CreateSpec {
                    title,
                    severity,
                    state,
                    details,
                    affected,
                    next_update_in,
                    recent,
                    replace,
                }
            },
        )
}

fn command() -> impl Strategy<Value = Cmd> {
    let update = (state(), status_change(), details(), next_update_in()).prop_map(
        |(state, status, details, next_update_in)| Cmd::Update {
            state,
            status,
            details,
            next_update_in,
        },
    );
    let edit = (
        prop::option::of(title()),
        prop::option::of(1u8..=4),
        prop::option::of(prop::collection::vec(location(), 0..5)),
    )
        .prop_map(|(title, severity, affected)| Cmd::Edit {
            title,
            severity,
            affected,
        });
    let postmortem = select(vec![
        "https://example.com/postmortems/1",
        "http://tracker.example.com/issues/42",
        "ftp://example.com/pm",
        "not a url",
    ])
    .prop_map(|url| Cmd::Postmortem(url.to_string()));
    prop_oneof![
        1 => create_spec().prop_map(Cmd::Create),
        6 => update,
        2 => edit,
        1 => postmortem,
    ]
}

/// Minutes the clock moves before a command; now and then backwards.
fn advance() -> impl Strategy<Value = i64> {
    prop_oneof![1 => -5i64..0, 10 => 0i64..=60]
}

// ---------------------------------------------------------------------------------------------
// Fixture
// ---------------------------------------------------------------------------------------------

struct Fixture {
    page: Page,
    locations: Vec<Location>,
}

impl Fixture {
    fn new() -> Fixture {
        let created: Timestamp = "2025-12-01T00:00:00Z".parse().unwrap();
        Fixture {
            page: Page {
                id: "page-1".into(),
                slug: "acme".into(),
                name: "Acme".into(),
                time_zone: "UTC".into(),
                settings: PageSettings::default(),
                created_at: created,
                updated_at: created,
            },
            locations: KNOWN
                .iter()
                .enumerate()
                .map(|(i, id)| Location {
                    id: (*id).into(),
                    component_id: "comp-1".into(),
                    name: format!("Location {i}"),
                    position: i as i64,
                    override_level: None,
                })
                .collect(),
        }
    }

    fn ctx(&self) -> PageContext<'_> {
        PageContext {
            page: &self.page,
            locations: &self.locations,
        }
    }

    fn table(&self) -> &CadenceTable {
        &self.page.settings.cadence
    }
}

fn start() -> Timestamp {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

fn plus(t: Timestamp, minutes: i64) -> Timestamp {
    t.checked_add(SignedDuration::from_mins(minutes)).unwrap()
}

fn affected(id: &str, level: StatusLevel) -> AffectedLocation {
    AffectedLocation {
        location_id: id.to_string(),
        level,
    }
}

fn known(id: &str) -> bool {
    KNOWN.contains(&id)
}

fn interval_ok(minutes: Option<u32>) -> bool {
    minutes.is_none_or(|m| (1..=MAX_INTERVAL_MINUTES).contains(&m))
}

// ---------------------------------------------------------------------------------------------
// The model: predicted outcomes
// ---------------------------------------------------------------------------------------------

/// `Ok(())`, or the error's code and, for `Invalid`, its field.
type Outcome = Result<(), (&'static str, Option<&'static str>)>;

fn outcome<T>(result: &Result<T, DomainError>) -> Outcome {
    match result {
        Ok(_) => Ok(()),
        Err(err) => {
            let field = match err {
                DomainError::Invalid { field, .. } => Some(*field),
                _ => None,
            };
            Err((err.code(), field))
        }
    }
}

fn invalid(field: &'static str) -> Outcome {
    Err(("invalid-field", Some(field)))
}

fn refused(code: &'static str) -> Outcome {
    Err((code, None))
}

fn expect_create(spec: &CreateSpec) -> Outcome {
    if spec.title.trim().is_empty() {
        return invalid("title");
    }
    if spec.state == IncidentState::Resolved {
        return refused("created-resolved");
    }
    if spec.affected.is_empty() {
        return refused("no-affected-locations");
    }
    for (i, (id, _)) in spec.affected.iter().enumerate() {
        if !known(id) {
            return refused("unknown-location");
        }
        if spec.affected[..i].iter().any(|(other, _)| other == id) {
            return invalid("affected");
        }
    }
    if spec
        .affected
        .iter()
        .all(|(_, level)| level.is_operational())
    {
        return refused("all-operational");
    }
    if spec.details.trim().is_empty() {
        return invalid("details");
    }
    if !interval_ok(spec.next_update_in) {
        return invalid("next_update_in");
    }
    Ok(())
}

fn expect_update(
    current: &Incident,
    state: IncidentState,
    status: &StatusChange,
    details: &str,
    next_update_in: Option<u32>,
) -> Outcome {
    let resolving = state == IncidentState::Resolved;
    if !current.is_active() && resolving {
        return refused("already-resolved");
    }
    let names_unknown = match status {
        StatusChange::Each(changes) => changes.iter().any(|c| !known(&c.location_id)),
        StatusChange::Keep | StatusChange::All(_) => false,
    };
    if names_unknown {
        return refused("unknown-location");
    }
    let asks_for_worse = match status {
        StatusChange::Keep => false,
        StatusChange::All(level) => !level.is_operational(),
        StatusChange::Each(changes) => changes.iter().any(|c| !c.level.is_operational()),
    };
    if resolving && asks_for_worse {
        return invalid("status");
    }
    if details.trim().is_empty() {
        return invalid("details");
    }
    if !interval_ok(next_update_in) {
        return invalid("next_update_in");
    }
    Ok(())
}

fn expect_edit(title: &Option<String>, ids: &Option<Vec<String>>) -> Outcome {
    if title.as_ref().is_some_and(|t| t.trim().is_empty()) {
        return invalid("title");
    }
    match ids {
        Some(ids) if ids.is_empty() => refused("no-affected-locations"),
        Some(ids) if ids.iter().any(|id| !known(id)) => refused("unknown-location"),
        _ => Ok(()),
    }
}

fn expect_postmortem(current: &Incident, url: &str) -> Outcome {
    if current.is_active() {
        refused("postmortem-before-resolved")
    } else if url.starts_with("https://") || url.starts_with("http://") {
        Ok(())
    } else {
        invalid("url")
    }
}

/// The severity the repeat rule gives a new incident, and whether it raised it.
fn expect_severity(asked: u8, recent: &[(u8, i64)]) -> (u8, bool) {
    let repeat = recent
        .iter()
        .any(|(severity, minutes_ago)| matches!(severity, 2 | 3) && *minutes_ago <= 180);
    if asked == 3 && repeat {
        (2, true)
    } else {
        (asked, false)
    }
}

fn apply_each(base: &[AffectedLocation], changes: &[AffectedLocation]) -> Vec<AffectedLocation> {
    let mut levels = base.to_vec();
    for change in changes {
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

fn all_at(base: &[AffectedLocation], level: StatusLevel) -> Vec<AffectedLocation> {
    base.iter()
        .map(|a| affected(&a.location_id, level))
        .collect()
}

/// What the model remembers beside the incident itself.
#[derive(Clone, Debug)]
struct Tracked {
    incident: Incident,
    /// The severity last asked for (by create or by an edit).
    requested: u8,
    /// The levels the last active update published; a reopening with `Keep` restores these.
    /// (A location an edit added after that update is not in it, so it comes back at the level
    /// it had when resolved, operational: the core does not record edits in the timeline.)
    last_active_levels: Vec<AffectedLocation>,
}

// ---------------------------------------------------------------------------------------------
// Invariants
// ---------------------------------------------------------------------------------------------

fn check_invariants(fx: &Fixture, t: &Tracked) -> Result<(), TestCaseError> {
    let inc = &t.incident;
    prop_assert!(!inc.affected.is_empty(), "affected is never empty");
    for (i, a) in inc.affected.iter().enumerate() {
        prop_assert!(known(&a.location_id), "only the page's locations");
        prop_assert!(
            inc.affected[..i]
                .iter()
                .all(|b| b.location_id != a.location_id),
            "{} appears twice",
            a.location_id
        );
    }
    prop_assert!(!inc.updates.is_empty(), "updates are never empty");
    prop_assert!(
        inc.updates.windows(2).all(|w| w[0].at <= w[1].at),
        "the timeline runs forwards"
    );
    let last = inc.updates.last().unwrap();
    prop_assert_eq!(inc.state, last.state);
    prop_assert!(inc.updated_at >= last.at);
    prop_assert_eq!(inc.created_at, inc.updates[0].at);
    prop_assert!(
        inc.updates[0].state.is_active(),
        "the first update is active"
    );

    let resolved = inc.state == IncidentState::Resolved;
    prop_assert_eq!(inc.resolved_at.is_some(), resolved);
    prop_assert_eq!(inc.is_active(), !resolved);
    let due = next_update_due(fx.table(), inc);
    if resolved {
        prop_assert_eq!(due, None);
        prop_assert!(inc.affected.iter().all(|a| a.level.is_operational()));
        prop_assert_eq!(inc.holds().count(), 0);
        prop_assert_eq!(inc.level(), StatusLevel::Operational);
        prop_assert!(inc.resolved_at.unwrap() <= inc.updated_at);
        prop_assert_eq!(
            inc.resolved_at,
            Some(last.at),
            "resolved by the last update"
        );
    } else {
        let due = due.expect("an active incident has an update due");
        prop_assert!(due > last.at, "next update {due} is not after {}", last.at);
        if let Some(minutes) = last.next_update_in {
            prop_assert_eq!(due, plus(last.at, i64::from(minutes)));
        }
        prop_assert_eq!(inc.holds().count(), inc.affected.len());
        prop_assert_eq!(inc.closed_at(), None);
    }

    let severity = inc.severity.get();
    prop_assert!((1..=4).contains(&severity));
    let raised = t.requested == 3 && severity == 2 && inc.severity_reason.is_some();
    prop_assert!(
        severity == t.requested || raised,
        "severity {} but {} was asked for",
        severity,
        t.requested
    );
    if inc.severity_reason.is_some() {
        prop_assert_eq!(
            severity,
            2,
            "only the repeat rule gives a reason, and it raises to 2"
        );
    }
    Ok(())
}

/// A command that changed the incident returns one event about it, whose `before` and `after`
/// read back as the incidents before and after, each with only the updates the other lacks
/// (the change's own) for its timeline.
fn check_event(
    events: &[Event],
    kind: EventKind,
    before: Option<&Incident>,
    after: &Incident,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(events.len(), 1, "{:?}", events);
    let event = &events[0];
    prop_assert_eq!(event.kind, kind);
    prop_assert_eq!(event.subject_type(), "incident");
    prop_assert_eq!(&event.subject_id, &after.id);
    let only_changed = |one: &Incident, other: Option<&Incident>| {
        let mut incident = one.clone();
        incident
            .updates
            .retain(|u| other.is_none_or(|o| !o.updates.contains(u)));
        incident
    };
    let read_after: Incident = serde_json::from_value(event.after.clone().expect("after"))
        .map_err(|e| TestCaseError::fail(format!("after does not read back: {e}")))?;
    prop_assert_eq!(read_after, only_changed(after, before));
    match before {
        None => prop_assert_eq!(&event.before, &None),
        Some(before) => {
            let read_before: Incident =
                serde_json::from_value(event.before.clone().expect("before"))
                    .map_err(|e| TestCaseError::fail(format!("before does not read back: {e}")))?;
            prop_assert_eq!(read_before, only_changed(before, Some(after)));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Steps
// ---------------------------------------------------------------------------------------------

fn run_create(
    fx: &Fixture,
    spec: &CreateSpec,
    serial: usize,
    now: Timestamp,
) -> Result<Option<Tracked>, TestCaseError> {
    let recent: Vec<RecentIncident> = spec
        .recent
        .iter()
        .enumerate()
        .map(|(i, (severity, minutes_ago))| RecentIncident {
            id: format!("prev-{i}"),
            severity: Severity::new(*severity).unwrap(),
            closed_at: plus(now, -minutes_ago),
        })
        .collect();
    let input = NewIncident {
        title: spec.title.clone(),
        severity: Severity::new(spec.severity).unwrap(),
        state: spec.state,
        details: spec.details.clone(),
        affected: spec
            .affected
            .iter()
            .map(|(id, level)| affected(id, *level))
            .collect(),
        channels: Channels::default(),
        subject: None,
        next_update_in: spec.next_update_in,
        issue_link: None,
    };
    let ids = NewIds {
        incident: format!("inc-{serial}"),
        update: format!("upd-{serial}-0"),
    };
    let result = incident::create(fx.ctx(), &recent, ids, input.clone(), ACTOR, now);
    prop_assert_eq!(outcome(&result), expect_create(spec), "{:?}", spec);
    let Ok(Decision {
        incident: inc,
        events,
    }) = result
    else {
        return Ok(None);
    };

    prop_assert!(
        !inc.affected.iter().all(|a| a.level.is_operational()),
        "a new incident is never all operational"
    );
    prop_assert_eq!(&inc.affected, &input.affected);
    prop_assert_eq!(inc.state, spec.state);
    prop_assert_eq!(inc.title.as_str(), spec.title.trim());
    prop_assert_eq!(inc.updates.len(), 1);
    prop_assert_eq!(&inc.updates[0].levels, &inc.affected);
    prop_assert_eq!((inc.created_at, inc.updated_at), (now, now));
    prop_assert_eq!(inc.recurrences, 0);
    prop_assert_eq!(&inc.postmortem_url, &None);
    let (severity, raised) = expect_severity(spec.severity, &spec.recent);
    prop_assert_eq!(inc.severity.get(), severity, "{:?}", spec.recent);
    prop_assert_eq!(inc.severity_reason.is_some(), raised);
    check_event(&events, EventKind::IncidentCreated, None, &inc)?;
    prop_assert_eq!(&events[0].note, &inc.severity_reason);

    let tracked = Tracked {
        last_active_levels: inc.affected.clone(),
        requested: spec.severity,
        incident: inc,
    };
    check_invariants(fx, &tracked)?;
    Ok(Some(tracked))
}

fn run_command(
    fx: &Fixture,
    t: &Tracked,
    cmd: &Cmd,
    serial: usize,
    now: Timestamp,
) -> Result<Option<Tracked>, TestCaseError> {
    let cur = &t.incident;
    // Nothing may be dated before the incident's last change.
    let effective = now.max(cur.updated_at);
    match cmd {
        Cmd::Create(_) => unreachable!("handled by the caller"),
        Cmd::Update {
            state,
            status,
            details,
            next_update_in,
        } => {
            let draft = UpdateDraft {
                state: *state,
                details: details.clone(),
                status: status.clone(),
                channels: Channels::default(),
                subject: None,
                next_update_in: *next_update_in,
                issue_link: None,
            };
            let result =
                incident::post_update(cur, fx.ctx(), format!("upd-{serial}"), draft, ACTOR, now);
            prop_assert_eq!(
                outcome(&result),
                expect_update(cur, *state, status, details, *next_update_in)
            );
            let Ok(Decision {
                incident: next,
                events,
            }) = result
            else {
                return Ok(None);
            };

            let resolving = *state == IncidentState::Resolved;
            let reopening = !cur.is_active();
            let levels = match status {
                StatusChange::Keep if resolving => cur.affected.clone(),
                StatusChange::Keep if reopening => cur
                    .affected
                    .iter()
                    .map(|a| {
                        t.last_active_levels
                            .iter()
                            .find(|p| p.location_id == a.location_id)
                            .cloned()
                            .unwrap_or_else(|| a.clone())
                    })
                    .collect(),
                StatusChange::Keep => cur.affected.clone(),
                StatusChange::All(level) => all_at(&cur.affected, *level),
                StatusChange::Each(changes) => apply_each(&cur.affected, changes),
            };
            let levels = if resolving {
                all_at(&levels, StatusLevel::Operational)
            } else {
                levels
            };
            prop_assert_eq!(&next.affected, &levels, "{:?}", status);
            prop_assert_eq!(next.state, *state);
            prop_assert_eq!(next.updates.len(), cur.updates.len() + 1);
            prop_assert_eq!(&next.updates[..cur.updates.len()], &cur.updates[..]);
            let last = next.updates.last().unwrap();
            prop_assert_eq!(last.at, effective);
            prop_assert_eq!(&last.levels, &next.affected);
            prop_assert_eq!(last.next_update_in, *next_update_in);
            prop_assert_eq!(next.updated_at, effective);
            prop_assert_eq!(next.severity, cur.severity);
            prop_assert_eq!(&next.severity_reason, &cur.severity_reason);
            prop_assert_eq!(&next.title, &cur.title);
            prop_assert_eq!(&next.postmortem_url, &cur.postmortem_url);
            prop_assert_eq!(next.created_at, cur.created_at);

            let kind = if reopening {
                let window = if cur.severity.get() <= 2 { 30 } else { 0 };
                let closed = plus(cur.resolved_at.unwrap(), window) <= effective;
                if closed {
                    prop_assert_eq!(next.recurrences, cur.recurrences);
                    EventKind::IncidentReopened
                } else {
                    prop_assert_eq!(next.recurrences, cur.recurrences + 1);
                    EventKind::IncidentRecurred
                }
            } else {
                prop_assert_eq!(next.recurrences, cur.recurrences);
                if resolving {
                    prop_assert_eq!(next.resolved_at, Some(effective));
                    EventKind::IncidentResolved
                } else {
                    EventKind::IncidentUpdated
                }
            };
            check_event(&events, kind, Some(cur), &next)?;
            let last_active_levels = if next.is_active() {
                next.affected.clone()
            } else {
                t.last_active_levels.clone()
            };
            Ok(Some(Tracked {
                incident: next,
                requested: t.requested,
                last_active_levels,
            }))
        }
        Cmd::Edit {
            title,
            severity,
            affected: ids,
        } => {
            let edit = IncidentEdit {
                title: title.clone(),
                severity: severity.map(|s| Severity::new(s).unwrap()),
                affected: ids
                    .as_ref()
                    .map(|ids| ids.iter().map(|id| id.as_str().into()).collect()),
                issue_link: None,
            };
            let result = incident::edit(cur, fx.ctx(), edit, now);
            prop_assert_eq!(outcome(&result), expect_edit(title, ids));
            let Ok(Decision {
                incident: next,
                events,
            }) = result
            else {
                return Ok(None);
            };

            let mut expected = cur.clone();
            if let Some(title) = title {
                expected.title = title.trim().to_string();
            }
            if let Some(severity) = severity {
                if *severity != cur.severity.get() {
                    expected.severity_reason = None;
                }
                expected.severity = Severity::new(*severity).unwrap();
            }
            if let Some(ids) = ids {
                let worst = cur.level();
                let mut list: Vec<AffectedLocation> = Vec::new();
                for id in ids {
                    if list.iter().any(|a| &a.location_id == id) {
                        continue;
                    }
                    let kept = cur.affected.iter().find(|a| &a.location_id == id);
                    list.push(kept.cloned().unwrap_or_else(|| affected(id, worst)));
                }
                expected.affected = list;
            }
            if expected == *cur {
                prop_assert!(
                    events.is_empty(),
                    "an edit that changes nothing records nothing"
                );
                prop_assert_eq!(&next, cur);
            } else {
                expected.updated_at = effective;
                prop_assert_eq!(&next, &expected);
                check_event(&events, EventKind::IncidentEdited, Some(cur), &next)?;
            }
            Ok(Some(Tracked {
                incident: next,
                requested: severity.unwrap_or(t.requested),
                last_active_levels: t.last_active_levels.clone(),
            }))
        }
        Cmd::Postmortem(url) => {
            let result = incident::set_postmortem(cur, url, now);
            prop_assert_eq!(outcome(&result), expect_postmortem(cur, url));
            let Ok(Decision {
                incident: next,
                events,
            }) = result
            else {
                return Ok(None);
            };
            prop_assert_eq!(
                cur.state,
                IncidentState::Resolved,
                "linked only when resolved"
            );
            let mut expected = cur.clone();
            expected.postmortem_url = Some(url.clone());
            expected.updated_at = effective;
            prop_assert_eq!(&next, &expected);
            check_event(
                &events,
                EventKind::IncidentPostmortemLinked,
                Some(cur),
                &next,
            )?;
            Ok(Some(Tracked {
                incident: next,
                requested: t.requested,
                last_active_levels: t.last_active_levels.clone(),
            }))
        }
    }
}

fn run(first: CreateSpec, steps: Vec<(i64, Cmd)>) -> Result<(), TestCaseError> {
    let fx = Fixture::new();
    let mut now = start();
    let mut current = run_create(&fx, &first, 0, now)?;
    for (serial, (minutes, cmd)) in steps.iter().enumerate() {
        let serial = serial + 1;
        now = plus(now, *minutes);
        if let Cmd::Create(spec) = cmd {
            let created = run_create(&fx, spec, serial, now)?;
            if current.is_none() || spec.replace {
                current = created.or(current);
            }
            continue;
        }
        let Some(tracked) = &current else {
            continue;
        };
        if let Some(next) = run_command(&fx, tracked, cmd, serial, now)? {
            check_invariants(&fx, &next)?;
            if next.incident.postmortem_url != tracked.incident.postmortem_url {
                prop_assert!(
                    matches!(cmd, Cmd::Postmortem(_)),
                    "only set_postmortem changes the post-mortem link"
                );
            }
            current = Some(next);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_command_sequences_keep_the_workflow_invariants(
        first in create_spec(),
        steps in prop::collection::vec((advance(), command()), 1..40),
    ) {
        run(first, steps)?;
    }

    /// Every incident that can be created can also be resolved at once (monitoring may be
    /// skipped), and then holds nothing and needs no further update.
    #[test]
    fn any_valid_incident_can_be_resolved_directly(
        spec in create_spec(),
        status in prop_oneof![
            Just(StatusChange::Keep),
            Just(StatusChange::All(StatusLevel::Operational)),
            prop::collection::vec(select(KNOWN.to_vec()), 0..4).prop_map(|ids| {
                StatusChange::Each(ids.into_iter().map(|id| affected(id, StatusLevel::Operational)).collect())
            }),
        ],
        later in 0i64..=600,
    ) {
        let fx = Fixture::new();
        let Some(created) = run_create(&fx, &spec, 0, start())? else {
            return Ok(());
        };
        let draft = UpdateDraft {
            state: IncidentState::Resolved,
            details: "Resolved.".into(),
            status,
            channels: Channels::default(),
            subject: None,
            next_update_in: None,
            issue_link: None,
        };
        let done = incident::post_update(&created.incident, fx.ctx(), "upd-r".into(), draft, ACTOR, plus(start(), later))
            .map_err(|e| TestCaseError::fail(format!("resolving was refused: {e:?}")))?
            .incident;
        prop_assert_eq!(done.state, IncidentState::Resolved);
        prop_assert_eq!(done.holds().count(), 0);
        prop_assert_eq!(next_update_due(fx.table(), &done), None);
        prop_assert!(done.affected.iter().all(|a| a.level.is_operational()));
    }
}
