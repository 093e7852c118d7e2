//! Nudges: telling people that the next public update on an incident (or a maintenance window
//! run by hand) is about to be due, is due, or is overdue.
//!
//! Each open deadline is armed with up to three nudges ([`instants`]); who gets each one is
//! [`recipients`]' rule, and what it says is [`NudgeText::new`]'s.
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::broadcast::Subject;
use crate::cadence::MAX_INTERVAL_MINUTES;
use crate::event::{Event, EventKind};
use crate::incident::Incident;
use crate::maintenance::{Maintenance, local};
use crate::page::Page;
use crate::subscriber::{Channel, email_address};
use crate::user::User;
use crate::{DomainError, Id, text};

/// When the nudges of a page's deadlines go out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct NudgeSettings {
    /// Minutes before a deadline the lead is reminded; 0 for no early reminder.
    pub before_mins: u32,
    /// Minutes after a missed deadline the escalation goes out.
    pub grace_mins: u32,
}

impl Default for NudgeSettings {
    fn default() -> Self {
        NudgeSettings {
            before_mins: 2,
            grace_mins: 5,
        }
    }
}

impl NudgeSettings {
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.before_mins > MAX_INTERVAL_MINUTES {
            return Err(DomainError::invalid(
                "settings.cadence_nudges.before_mins",
                format!(
                    "{} minutes is out of range; use 0 (no early reminder) to {MAX_INTERVAL_MINUTES}",
                    self.before_mins
                ),
            ));
        }
        crate::cadence::validate_interval("settings.cadence_nudges.grace_mins", self.grace_mins)
    }
}

/// Which of a deadline's nudges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NudgeKind {
    /// Shortly before the deadline, to the lead.
    Before,
    /// At the deadline, to the lead.
    Due,
    /// A grace period after a missed deadline, to the manager and the lead.
    Escalate,
}

/// The nudges of a deadline due at `due_at`, armed at `now`: the early reminder unless it
/// would already be past, the one at the deadline, and the escalation.
pub fn instants(
    settings: &NudgeSettings,
    due_at: Timestamp,
    now: Timestamp,
) -> Vec<(NudgeKind, Timestamp)> {
    let shift = |mins: i64| due_at.checked_add(SignedDuration::from_mins(mins)).ok();
    let before = shift(-i64::from(settings.before_mins))
        .filter(|at| settings.before_mins > 0 && *at > now)
        .map(|at| (NudgeKind::Before, at));
    let escalate = shift(i64::from(settings.grace_mins)).map(|at| (NudgeKind::Escalate, at));
    before
        .into_iter()
        .chain([(NudgeKind::Due, due_at)])
        .chain(escalate)
        .collect()
}

/// Who hears of a nudge: the lead for the early one and the one at the deadline; the lead and
/// the manager for an escalation, or the lead and every admin when nobody manages the
/// subject. Disabled users hear nothing. With nobody, the nudge is for the console only.
pub fn recipients<'a>(
    kind: NudgeKind,
    lead: Option<&'a User>,
    manager: Option<&'a User>,
    admins: &'a [User],
) -> Vec<&'a User> {
    let mut out: Vec<&User> = lead.into_iter().collect();
    if kind == NudgeKind::Escalate {
        match manager.filter(|m| m.is_active()) {
            Some(manager) => out.push(manager),
            None => out.extend(
                admins
                    .iter()
                    .filter(|a| a.role == crate::access::Role::Admin),
            ),
        }
    }
    let mut seen: Vec<&str> = Vec::new();
    out.retain(|u| {
        u.is_active() && !seen.contains(&u.id.as_str()) && {
            seen.push(&u.id);
            true
        }
    });
    out
}

/// Where a person wants nudges: an email address, or a Slack, Teams or webhook URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NudgeChannel {
    pub channel: Channel,
    pub address: String,
}

/// How many channels a person may list.
pub const MAX_CHANNELS: usize = 10;

/// The audit entry of a person reading their nudges in the console: `count` were new.
pub fn seen_event(user_id: &str, count: usize) -> Event {
    let after = serde_json::json!({"seen": count});
    Event::new(EventKind::UserNudgesSeen, user_id, None, Some(&after))
}

/// The audit entry of a person's nudge channels replaced by checked ones.
pub fn channels_changed(user_id: &str, before: &[NudgeChannel], after: &[NudgeChannel]) -> Event {
    let (before, after) = (
        serde_json::json!({"nudge_channels": before}),
        serde_json::json!({"nudge_channels": after}),
    );
    Event::new(
        EventKind::UserNudgeChannelsChanged,
        user_id,
        Some(&before),
        Some(&after),
    )
}

/// Checks a person's nudge channels; returns them trimmed, each listed once.
pub fn check_channels(channels: Vec<NudgeChannel>) -> Result<Vec<NudgeChannel>, DomainError> {
    if channels.len() > MAX_CHANNELS {
        return Err(DomainError::invalid(
            "channels",
            format!(
                "at most {MAX_CHANNELS} channels; {} were given",
                channels.len()
            ),
        ));
    }
    let mut out: Vec<NudgeChannel> = Vec::with_capacity(channels.len());
    for c in channels {
        let address = c.address.trim().to_string();
        match c.channel {
            Channel::Email => email_address(&address).map_err(|_| {
                DomainError::invalid(
                    "channels.address",
                    format!("{address:?} is not an email address such as ops@example.com"),
                )
            })?,
            _ => text::http_url("channels.address", &address)?,
        }
        let c = NudgeChannel {
            channel: c.channel,
            address,
        };
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Ok(out)
}

/// A user's channels, or their own email address when they chose none.
pub fn channels_of(user: &User, chosen: &[NudgeChannel]) -> Vec<NudgeChannel> {
    match chosen.is_empty() {
        true => vec![NudgeChannel {
            channel: Channel::Email,
            address: user.email.clone(),
        }],
        false => chosen.to_vec(),
    }
}

/// What a deadline is on, as a nudge names it.
#[derive(Clone, Debug, PartialEq)]
pub struct About {
    pub subject: Subject,
    pub id: Id,
    pub title: String,
    /// "severity 1, investigating", or "maintenance, in progress".
    pub detail: String,
}

impl About {
    pub fn incident(incident: &Incident) -> About {
        About {
            subject: Subject::Incident,
            id: incident.id.clone(),
            title: incident.title.clone(),
            detail: format!(
                "severity {}, {}",
                incident.severity.get(),
                incident.state.label().to_lowercase()
            ),
        }
    }

    pub fn maintenance(window: &Maintenance) -> About {
        About {
            subject: Subject::Maintenance,
            id: window.id.clone(),
            title: window.title.clone(),
            detail: format!("maintenance, {}", window.state.label().to_lowercase()),
        }
    }
}

/// What a nudge says, as plain text; each channel escapes it its own way.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NudgeText {
    /// One line: "Update due in 2 min: API errors".
    pub headline: String,
    pub body: String,
    /// The subject's page in the console.
    pub url: String,
}

impl NudgeText {
    pub fn new(
        kind: NudgeKind,
        about: &About,
        page: &Page,
        due_at: Timestamp,
        now: Timestamp,
        base_url: &str,
    ) -> NudgeText {
        let path = match about.subject {
            Subject::Incident => "incidents",
            Subject::Maintenance => "maintenance",
        };
        let url = format!(
            "{}/console/pages/{}/{path}/{}",
            base_url.trim_end_matches('/'),
            page.slug,
            about.id
        );
        let (title, detail, at) = (&about.title, &about.detail, local(page, due_at));
        // Rounded up: "in 2 minutes" at 1 min 30 s before.
        let mins = |d: SignedDuration| (d.as_secs().max(0) + 59) / 60;
        let (headline, first) = match kind {
            NudgeKind::Before => {
                let n = mins(due_at.duration_since(now));
                (
                    format!("Update due in {n} min: {title}"),
                    format!(
                        "The next public update on \"{title}\" ({detail}) is due at {at}, in {n} minutes."
                    ),
                )
            }
            NudgeKind::Due => (
                format!("Update due now: {title}"),
                format!("The next public update on \"{title}\" ({detail}) is due now ({at})."),
            ),
            NudgeKind::Escalate => {
                let n = mins(now.duration_since(due_at));
                (
                    format!("Update overdue by {n} min: {title}"),
                    format!(
                        "The public update on \"{title}\" ({detail}) was due at {at} and is {n} minutes late."
                    ),
                )
            }
        };
        let body = format!(
            "{first}\n\nPost an update, or snooze the deadline if there is nothing new to say: {url}"
        );
        NudgeText {
            headline,
            body,
            url,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;
    use crate::incident::{IncidentState, Severity};

    #[test]
    fn reading_nudges_and_changing_channels_are_audited_on_the_person() {
        let seen = seen_event("u1", 3);
        assert_eq!(
            (seen.kind, seen.subject_id.as_str()),
            (EventKind::UserNudgesSeen, "u1")
        );
        assert_eq!(seen.after, Some(serde_json::json!({"seen": 3})));
        let slack = NudgeChannel {
            channel: Channel::Slack,
            address: "https://hooks.example.com/x".into(),
        };
        let changed = channels_changed("u1", &[], std::slice::from_ref(&slack));
        assert_eq!(changed.kind, EventKind::UserNudgeChannelsChanged);
        assert_eq!(
            changed.before,
            Some(serde_json::json!({"nudge_channels": []}))
        );
        let after = serde_json::json!({"nudge_channels": [slack]});
        assert_eq!(changed.after, Some(after));
    }
    use crate::page::PageSettings;

    fn at(minutes: i64) -> Timestamp {
        let base: Timestamp = "2026-03-01T12:00:00Z".parse().unwrap();
        base + SignedDuration::from_mins(minutes)
    }

    fn user(id: &str, role: Role) -> User {
        User {
            id: id.into(),
            email: format!("{id}@example.com"),
            name: id.into(),
            role,
            has_password: false,
            disabled_at: None,
            created_at: at(0),
            updated_at: at(0),
        }
    }

    #[test]
    fn a_deadline_has_an_early_nudge_unless_it_is_past_then_one_at_the_deadline_and_an_escalation()
    {
        let s = NudgeSettings::default();
        assert_eq!(
            instants(&s, at(10), at(0)),
            [
                (NudgeKind::Before, at(8)),
                (NudgeKind::Due, at(10)),
                (NudgeKind::Escalate, at(15))
            ]
        );
        // Armed at 9, 1 minute before: the early nudge is already past.
        assert_eq!(
            instants(&s, at(10), at(9)),
            [(NudgeKind::Due, at(10)), (NudgeKind::Escalate, at(15))]
        );
        let none_early = NudgeSettings {
            before_mins: 0,
            grace_mins: 1,
        };
        assert_eq!(
            instants(&none_early, at(30), at(0)),
            [(NudgeKind::Due, at(30)), (NudgeKind::Escalate, at(31))]
        );
    }

    #[test]
    fn settings_are_validated_naming_the_field() {
        assert!(NudgeSettings::default().validate().is_ok());
        let bad = NudgeSettings {
            before_mins: 2,
            grace_mins: 0,
        };
        let err = bad.validate().unwrap_err();
        assert!(
            err.to_string()
                .starts_with("settings.cadence_nudges.grace_mins"),
            "{err}"
        );
        let bad = NudgeSettings {
            before_mins: MAX_INTERVAL_MINUTES + 1,
            grace_mins: 5,
        };
        assert!(bad.validate().is_err());
    }

    #[test]
    fn escalation_goes_to_the_manager_and_the_lead_or_else_to_the_admins() {
        let lead = user("lead", Role::Responder);
        let manager = user("manager", Role::Responder);
        let admins = [user("root", Role::Admin), user("viewer", Role::Viewer)];
        let ids = |users: Vec<&User>| users.iter().map(|u| u.id.clone()).collect::<Vec<_>>();
        assert_eq!(
            ids(recipients(
                NudgeKind::Before,
                Some(&lead),
                Some(&manager),
                &admins
            )),
            ["lead"]
        );
        assert_eq!(
            ids(recipients(NudgeKind::Due, None, Some(&manager), &admins)),
            Vec::<String>::new()
        );
        assert_eq!(
            ids(recipients(
                NudgeKind::Escalate,
                Some(&lead),
                Some(&manager),
                &admins
            )),
            ["lead", "manager"]
        );
        assert_eq!(
            ids(recipients(
                NudgeKind::Escalate,
                None,
                Some(&manager),
                &admins
            )),
            ["manager"]
        );
        assert_eq!(
            ids(recipients(NudgeKind::Escalate, None, None, &admins)),
            ["root"]
        );
        // The lead managing too hears once; a disabled manager is passed over.
        assert_eq!(
            ids(recipients(
                NudgeKind::Escalate,
                Some(&lead),
                Some(&lead),
                &admins
            )),
            ["lead"]
        );
        let gone = manager.disabled(at(1));
        assert_eq!(
            ids(recipients(
                NudgeKind::Escalate,
                Some(&lead),
                Some(&gone),
                &admins
            )),
            ["lead", "root"]
        );
    }

    #[test]
    fn channels_are_checked_and_default_to_the_users_email() {
        let ok = check_channels(vec![
            NudgeChannel {
                channel: Channel::Slack,
                address: " https://hooks.example.com/a ".into(),
            },
            NudgeChannel {
                channel: Channel::Slack,
                address: "https://hooks.example.com/a".into(),
            },
            NudgeChannel {
                channel: Channel::Email,
                address: "pager@example.com".into(),
            },
        ])
        .unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[0].address, "https://hooks.example.com/a");
        let err = check_channels(vec![NudgeChannel {
            channel: Channel::Teams,
            address: "javascript:x".into(),
        }])
        .unwrap_err();
        assert!(err.to_string().starts_with("channels.address"), "{err}");
        let u = user("ada", Role::Responder);
        assert_eq!(
            channels_of(&u, &[]),
            [NudgeChannel {
                channel: Channel::Email,
                address: "ada@example.com".into()
            }]
        );
    }

    #[test]
    fn texts_name_the_subject_its_deadline_and_the_console_link() {
        let page = Page {
            id: "p".into(),
            slug: "acme".into(),
            name: "Acme".into(),
            time_zone: "Europe/Berlin".into(),
            settings: PageSettings::default(),
            created_at: at(0),
            updated_at: at(0),
        };
        let about = About {
            subject: Subject::Incident,
            id: "i1".into(),
            title: "API <errors>".into(),
            detail: format!(
                "severity {}, {}",
                Severity::new(1).unwrap().get(),
                IncidentState::Investigating.label().to_lowercase()
            ),
        };
        let before = NudgeText::new(
            NudgeKind::Before,
            &about,
            &page,
            at(10),
            at(8),
            "https://h.example/",
        );
        assert_eq!(before.headline, "Update due in 2 min: API <errors>");
        assert!(
            before
                .body
                .contains("(severity 1, investigating) is due at 2026-03-01 13:10 CET"),
            "{}",
            before.body
        );
        assert_eq!(
            before.url,
            "https://h.example/console/pages/acme/incidents/i1"
        );
        assert!(before.body.ends_with(&before.url));
        let due = NudgeText::new(
            NudgeKind::Due,
            &about,
            &page,
            at(10),
            at(10),
            "https://h.example",
        );
        assert_eq!(due.headline, "Update due now: API <errors>");
        let late = NudgeText::new(
            NudgeKind::Escalate,
            &about,
            &page,
            at(10),
            at(15),
            "https://h.example",
        );
        assert_eq!(late.headline, "Update overdue by 5 min: API <errors>");
        assert!(late.body.contains("is 5 minutes late"));
    }
}
