//! Audit events: what every command appends to the log, with the state before and after.
use serde::Serialize;
use serde_json::Value;

use crate::Id;

#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub kind: EventKind,
    pub subject_id: Id,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// Why the rules did something the caller did not ask for (a raised severity, say).
    pub note: Option<String>,
}

impl Event {
    pub fn new<T: Serialize>(
        kind: EventKind,
        subject_id: &str,
        before: Option<&T>,
        after: Option<&T>,
    ) -> Event {
        Event {
            kind,
            subject_id: subject_id.to_string(),
            before: before.map(to_value),
            after: after.map(to_value),
            note: None,
        }
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Event {
        self.note = Some(note.into());
        self
    }

    /// What the event is about: `incident`, `maintenance`, `user`, …
    pub fn subject_type(&self) -> &'static str {
        self.kind.subject_type()
    }
}

fn to_value<T: Serialize>(value: &T) -> Value {
    // Domain types are plain data; serialising them cannot fail.
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Whether a change alters what the public page shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// The public page (and its feeds and APIs) is built again.
    Public,
    /// Only the console and the log see it: the public page is left as it is.
    Internal,
}

/// Declares the kinds in one table: each one's variant, its stored name and its reach.
macro_rules! event_kinds {
    ($($(#[$doc:meta])* $variant:ident = $name:literal, $reach:ident;)*) => {
        /// Every kind of audit event. The names are stable, documented and safe to filter on.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum EventKind {
            $($(#[$doc])* $variant,)*
        }

        impl EventKind {
            pub const ALL: &'static [EventKind] = &[$(EventKind::$variant,)*];

            /// The dotted name stored with the event, such as `incident.created`.
            pub fn name(self) -> &'static str {
                match self {
                    $(EventKind::$variant => $name,)*
                }
            }

            pub fn reach(self) -> Reach {
                match self {
                    $(EventKind::$variant => Reach::$reach,)*
                }
            }
        }
    };
}

event_kinds! {
    IncidentCreated = "incident.created", Public;
    IncidentUpdated = "incident.updated", Public;
    IncidentResolved = "incident.resolved", Public;
    IncidentReopened = "incident.reopened", Public;
    IncidentRecurred = "incident.recurred", Public;
    IncidentEdited = "incident.edited", Public;
    IncidentDeleted = "incident.deleted", Public;
    IncidentPostmortemLinked = "incident.postmortem_linked", Public;
    /// A published update's text corrected, told to nobody.
    IncidentUpdateCorrected = "incident.update_corrected", Public;
    /// A published update's text corrected and broadcast again to the update's channels.
    IncidentCorrectionAnnounced = "incident.correction_announced", Public;
    IncidentChecklistTicked = "incident.checklist_ticked", Internal;
    IncidentChecklistUnticked = "incident.checklist_unticked", Internal;
    IncidentSnoozed = "incident.snoozed", Internal;
    IncidentRolesChanged = "incident.roles_changed", Internal;
    MaintenanceScheduled = "maintenance.scheduled", Public;
    MaintenanceUpdated = "maintenance.updated", Public;
    MaintenanceRescheduled = "maintenance.rescheduled", Public;
    MaintenanceStarted = "maintenance.started", Public;
    MaintenanceCompleted = "maintenance.completed", Public;
    MaintenanceDeleted = "maintenance.deleted", Public;
    MaintenanceReminded = "maintenance.reminded", Internal;
    MaintenanceRemindersChanged = "maintenance.reminders_changed", Internal;
    MaintenanceAutomationChanged = "maintenance.automation_changed", Internal;
    MaintenanceSnoozed = "maintenance.snoozed", Internal;
    MaintenanceRolesChanged = "maintenance.roles_changed", Internal;
    PageCreated = "page.created", Public;
    PageUpdated = "page.updated", Public;
    GroupCreated = "group.created", Public;
    ComponentCreated = "component.created", Public;
    ComponentUpdated = "component.updated", Public;
    ComponentLocationAdded = "component.location_added", Public;
    ComponentDeleted = "component.deleted", Public;
    /// A location's level set by hand, whatever its incidents say; about its component.
    LocationOverrideSet = "location.override_set", Public;
    LocationOverrideCleared = "location.override_cleared", Public;
    SubscriberCreated = "subscriber.created", Internal;
    SubscriberConfirmed = "subscriber.confirmed", Internal;
    SubscriberUpdated = "subscriber.updated", Internal;
    SubscriberEnabled = "subscriber.enabled", Internal;
    SubscriberDisabled = "subscriber.disabled", Internal;
    SubscriberSecretRotated = "subscriber.secret_rotated", Internal;
    SubscriberDeleted = "subscriber.deleted", Internal;
    UserCreated = "user.created", Internal;
    UserDisabled = "user.disabled", Internal;
    UserEnabled = "user.enabled", Internal;
    UserRoleChanged = "user.role_changed", Internal;
    UserSignedIn = "user.signed_in", Internal;
    UserSignedOut = "user.signed_out", Internal;
    UserSignInLinkSent = "user.sign_in_link_sent", Internal;
    UserNudgesSeen = "user.nudges_seen", Internal;
    UserNudgeChannelsChanged = "user.nudge_channels_changed", Internal;
    TokenCreated = "token.created", Internal;
    TokenRevoked = "token.revoked", Internal;
}

impl EventKind {
    /// The kind stored under `name`; `None` for a name this build does not know (one written
    /// by a newer version).
    pub fn parse(name: &str) -> Option<EventKind> {
        EventKind::ALL.iter().copied().find(|k| k.name() == name)
    }

    /// What events of this kind are about: the name's part before the dot, but a location's
    /// override is a change to its component.
    pub fn subject_type(self) -> &'static str {
        match self {
            EventKind::LocationOverrideSet | EventKind::LocationOverrideCleared => "component",
            _ => self
                .name()
                .split_once('.')
                .map_or("", |(subject, _)| subject),
        }
    }

    pub fn is_public(self) -> bool {
        self.reach() == Reach::Public
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_unique_and_reads_back_as_its_kind() {
        for &kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.name()), Some(kind));
        }
        assert_eq!(EventKind::parse("incident.teleported"), None);
    }

    #[test]
    fn the_subject_is_the_part_before_the_dot() {
        assert_eq!(
            EventKind::IncidentChecklistTicked.subject_type(),
            "incident"
        );
        assert_eq!(EventKind::UserSignInLinkSent.subject_type(), "user");
        assert_eq!(
            EventKind::MaintenanceRemindersChanged.subject_type(),
            "maintenance"
        );
        assert_eq!(EventKind::LocationOverrideSet.subject_type(), "component");
    }

    #[test]
    fn only_what_the_page_shows_reaches_it() {
        assert!(EventKind::IncidentUpdated.is_public());
        assert!(EventKind::ComponentLocationAdded.is_public());
        for quiet in [
            EventKind::IncidentChecklistTicked,
            EventKind::IncidentSnoozed,
            EventKind::IncidentRolesChanged,
            EventKind::MaintenanceReminded,
            EventKind::SubscriberCreated,
        ] {
            assert!(!quiet.is_public(), "{quiet:?}");
        }
    }
}
