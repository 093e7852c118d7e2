//! Broadcasts: which published changes go out to subscribers, on which channels, about which
//! components, and which chosen channels are skipped and why.
use serde::{Deserialize, Serialize};

use crate::Id;
use crate::component::Location;
use crate::event::EventKind;
use crate::incident::{Channels, Incident};
use crate::lint::{LintRules, social_length};
use crate::maintenance::Maintenance;
use crate::subscriber::{Channel, components_of};

/// What a broadcast is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    Incident,
    Maintenance,
}

impl Subject {
    /// How a person names it: "incident", "maintenance window".
    pub fn label(self) -> &'static str {
        match self {
            Subject::Incident => "incident",
            Subject::Maintenance => "maintenance window",
        }
    }
}

/// A broadcast as the rules decide it, before the store gives it an id.
#[derive(Clone, Debug, PartialEq)]
pub struct BroadcastDraft {
    /// The event type subscribers see, such as `incident.updated`.
    pub event: &'static str,
    pub subject: Subject,
    pub subject_id: Id,
    /// The update that is announced; none for a post-mortem.
    pub update_id: Option<Id>,
    /// The subscriber channels the lead chose.
    pub channels: Vec<Channel>,
    /// Components the change touches; subscribers limited to others do not hear of it.
    pub components: Vec<Id>,
    /// Chosen channels Herald does not deliver to subscribers, with the reason.
    pub skipped: Vec<Skipped>,
}

/// A chosen channel that did not go out, and why (shown in the delivery report).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Skipped {
    /// `social`, `sms` or `irc`.
    pub channel: String,
    pub reason: String,
}

/// The event type of a published update's text corrected and told again.
pub const CORRECTION: &str = "incident.corrected";

/// The broadcast an incident event calls for, if any. Edits and deletions are not announced,
/// nor are corrections unless the lead asked for them to be.
pub fn for_incident(
    event_kind: EventKind,
    incident: &Incident,
    locations: &[Location],
    rules: &LintRules,
) -> Option<BroadcastDraft> {
    let event = match event_kind {
        EventKind::IncidentCreated => "incident.created",
        EventKind::IncidentUpdated => "incident.updated",
        EventKind::IncidentResolved => "incident.resolved",
        EventKind::IncidentReopened | EventKind::IncidentRecurred => "incident.reopened",
        EventKind::IncidentPostmortemLinked => "incident.postmortem_published",
        EventKind::IncidentCorrectionAnnounced => CORRECTION,
        _ => return None,
    };
    let update = match event {
        // The update corrected last, wherever it is in the timeline.
        CORRECTION => incident.updates.iter().max_by_key(|u| u.edited_at)?,
        _ => incident.updates.last()?,
    };
    let postmortem = event == "incident.postmortem_published";
    let social_text = match (&incident.postmortem_url, postmortem) {
        (Some(url), true) => format!("Post-mortem: {} {url}", incident.title),
        _ => update.details.clone(),
    };
    let held = incident.affected.iter().map(|a| a.location_id.as_str());
    Some(BroadcastDraft {
        event,
        subject: Subject::Incident,
        subject_id: incident.id.clone(),
        update_id: (!postmortem).then(|| update.id.clone()),
        channels: subscriber_channels(&update.channels),
        components: components_of(locations, held),
        skipped: skipped(&update.channels, &social_text, rules),
    })
}

/// The event type of a reminder that a maintenance window is coming up.
pub const REMINDER: &str = "maintenance.reminder";

/// The broadcast a maintenance event calls for, if any.
pub fn for_maintenance(
    event_kind: EventKind,
    window: &Maintenance,
    locations: &[Location],
    rules: &LintRules,
) -> Option<BroadcastDraft> {
    if event_kind == EventKind::MaintenanceReminded {
        // Reminders go where the announcement went; a window announced quietly with reminders
        // asked for (as Status.io allows) reminds every subscriber.
        let announced = subscriber_channels(&window.updates.first()?.channels);
        let channels = match announced.is_empty() {
            true => Channel::ALL.to_vec(),
            false => announced,
        };
        return Some(BroadcastDraft {
            event: REMINDER,
            subject: Subject::Maintenance,
            subject_id: window.id.clone(),
            update_id: None,
            channels,
            components: components_of(locations, window.affected.iter().map(String::as_str)),
            skipped: vec![],
        });
    }
    let event = match event_kind {
        EventKind::MaintenanceScheduled => "maintenance.scheduled",
        // The automation's starts and completions are updates on the timeline like any other.
        EventKind::MaintenanceUpdated
        | EventKind::MaintenanceStarted
        | EventKind::MaintenanceCompleted => "maintenance.updated",
        EventKind::MaintenanceRescheduled => "maintenance.rescheduled",
        _ => return None,
    };
    let update = window.updates.last()?;
    Some(BroadcastDraft {
        event,
        subject: Subject::Maintenance,
        subject_id: window.id.clone(),
        update_id: Some(update.id.clone()),
        channels: subscriber_channels(&update.channels),
        components: components_of(locations, window.affected.iter().map(String::as_str)),
        skipped: skipped(&update.channels, &update.details, rules),
    })
}

fn subscriber_channels(chosen: &Channels) -> Vec<Channel> {
    Channel::ALL
        .into_iter()
        .filter(|c| match c {
            Channel::Email => chosen.email,
            Channel::Webhook => chosen.webhook,
            Channel::Slack => chosen.slack,
            Channel::Teams => chosen.teams,
        })
        .collect()
}

/// The chosen channels that have no subscribers to deliver to, with the reason. The social
/// post is checked against the page's length rule, so an update too long to post is reported
/// rather than silently lost.
fn skipped(chosen: &Channels, social_text: &str, rules: &LintRules) -> Vec<Skipped> {
    let mut out = Vec::new();
    if chosen.social {
        let length = social_length(social_text, rules.social_url_length);
        let reason = if length > rules.social_limit as usize {
            format!(
                "the text is {length} characters where social posts allow {} (a link counts as {}); shorten it and post again",
                rules.social_limit, rules.social_url_length
            )
        } else {
            "no social account is connected to this page".to_string()
        };
        out.push(Skipped {
            channel: "social".into(),
            reason,
        });
    }
    for (on, channel) in [(chosen.sms, "sms"), (chosen.irc, "irc")] {
        if on {
            out.push(Skipped {
                channel: channel.into(),
                reason: format!("Herald does not deliver to {channel} subscribers"),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::{AffectedLocation, IncidentState, Severity, Update};
    use crate::status::StatusLevel;
    use jiff::Timestamp;

    fn location(id: &str, component: &str) -> Location {
        Location {
            id: id.into(),
            component_id: component.into(),
            name: "Global".into(),
            position: 0,
            override_level: None,
        }
    }

    fn incident(details: &str, channels: Channels) -> Incident {
        let levels = vec![AffectedLocation {
            location_id: "l2".into(),
            level: StatusLevel::PartialServiceDisruption,
        }];
        Incident {
            id: "i".into(),
            page_id: "p".into(),
            title: "API errors".into(),
            severity: Severity::new(2).unwrap(),
            severity_reason: None,
            state: IncidentState::Investigating,
            affected: levels.clone(),
            updates: vec![Update {
                id: "u1".into(),
                state: IncidentState::Investigating,
                details: details.into(),
                levels,
                subject: "s".into(),
                channels,
                author: "a".into(),
                at: Timestamp::UNIX_EPOCH,
                next_update_in: None,
                edited_at: None,
            }],
            postmortem_url: None,
            recurrences: 0,
            created_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
            resolved_at: None,
            issue_link: None,
        }
    }

    #[test]
    fn an_update_goes_out_on_the_chosen_channels_about_its_components() {
        let locations = [location("l1", "c1"), location("l2", "c2")];
        let chosen = Channels {
            email: true,
            webhook: false,
            slack: true,
            teams: false,
            social: false,
            irc: false,
            sms: false,
        };
        let draft = for_incident(
            EventKind::IncidentCreated,
            &incident("Looking into it.", chosen),
            &locations,
            &LintRules::default(),
        )
        .unwrap();
        assert_eq!(draft.event, "incident.created");
        assert_eq!(draft.update_id.as_deref(), Some("u1"));
        assert_eq!(draft.channels, vec![Channel::Email, Channel::Slack]);
        assert_eq!(draft.components, vec!["c2".to_string()]);
        assert!(draft.skipped.is_empty());
    }

    #[test]
    fn edits_and_deletions_are_not_announced() {
        let i = incident("x", Channels::default());
        for kind in [EventKind::IncidentEdited, EventKind::IncidentDeleted] {
            assert!(for_incident(kind, &i, &[], &LintRules::default()).is_none());
        }
        let reopened = for_incident(EventKind::IncidentRecurred, &i, &[], &LintRules::default());
        assert_eq!(reopened.unwrap().event, "incident.reopened");
    }

    #[test]
    fn a_social_post_over_the_limit_is_reported_skipped_with_its_length() {
        let rules = LintRules::default();
        let long = "x".repeat(281);
        let draft = for_incident(
            EventKind::IncidentUpdated,
            &incident(&long, Channels::default()),
            &[],
            &rules,
        )
        .unwrap();
        let social = draft
            .skipped
            .iter()
            .find(|s| s.channel == "social")
            .unwrap();
        assert!(
            social.reason.contains("281 characters"),
            "{}",
            social.reason
        );
        let link = format!("{} https://example.com/{}", "y".repeat(250), "z".repeat(80));
        let draft = for_incident(
            EventKind::IncidentUpdated,
            &incident(&link, Channels::default()),
            &[],
            &rules,
        )
        .unwrap();
        let social = draft
            .skipped
            .iter()
            .find(|s| s.channel == "social")
            .unwrap();
        assert!(
            social.reason.contains("no social account"),
            "{}",
            social.reason
        );
        let others: Vec<&str> = draft.skipped.iter().map(|s| s.channel.as_str()).collect();
        assert_eq!(others, vec!["social", "sms", "irc"]);
    }

    #[test]
    fn a_postmortem_announces_the_incident_without_an_update() {
        let mut i = incident("x", Channels::default());
        i.postmortem_url = Some("https://example.com/pm".into());
        let draft = for_incident(
            EventKind::IncidentPostmortemLinked,
            &i,
            &[],
            &LintRules::default(),
        )
        .unwrap();
        assert_eq!(draft.event, "incident.postmortem_published");
        assert_eq!(draft.update_id, None);
    }

    fn window(announced: Channels) -> Maintenance {
        use crate::maintenance::{MaintenanceState, MaintenanceUpdate};
        Maintenance {
            id: "m".into(),
            page_id: "p".into(),
            title: "Upgrade".into(),
            affected: vec!["l1".into()],
            starts_at: Timestamp::UNIX_EPOCH,
            ends_at: Timestamp::MAX,
            state: MaintenanceState::Scheduled,
            automation: true,
            sequence: 0,
            reminders: vec![60],
            updates: vec![MaintenanceUpdate {
                id: "mu1".into(),
                state: MaintenanceState::Scheduled,
                details: "We upgrade.".into(),
                channels: announced,
                author: "a".into(),
                at: Timestamp::UNIX_EPOCH,
            }],
            created_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
            started_at: None,
            ended_at: None,
        }
    }

    #[test]
    fn a_reminder_goes_where_the_announcement_went_or_everywhere_if_it_was_quiet() {
        let locations = [location("l1", "c1")];
        let rules = LintRules::default();
        let announced = Channels {
            webhook: false,
            ..Channels::default()
        };
        let draft = for_maintenance(
            EventKind::MaintenanceReminded,
            &window(announced),
            &locations,
            &rules,
        )
        .unwrap();
        assert_eq!((draft.event, draft.update_id), (REMINDER, None));
        assert_eq!(
            draft.channels,
            vec![Channel::Email, Channel::Slack, Channel::Teams]
        );
        assert_eq!(draft.components, vec!["c1".to_string()]);
        let quiet = window(Channels::NONE);
        let draft =
            for_maintenance(EventKind::MaintenanceReminded, &quiet, &locations, &rules).unwrap();
        assert_eq!(draft.channels, Channel::ALL.to_vec());
    }
}
