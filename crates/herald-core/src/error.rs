use thiserror::Error;

use crate::maintenance::MaintenanceState;

/// A rule of the workflow was broken. Each variant has a stable code and a message that tells
/// the person what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("an incident needs at least one affected location that is not operational")]
    AllOperational,
    #[error("an incident needs at least one affected location")]
    NoAffectedLocations,
    #[error("location {0} does not belong to this page")]
    UnknownLocation(String),
    #[error(
        "the incident is resolved; post an update with an active state (investigating, identified or monitoring) to reopen it"
    )]
    AlreadyResolved,
    #[error(
        "a new incident cannot start resolved; create it as investigating, identified or monitoring"
    )]
    CreatedResolved,
    #[error(
        "a post-mortem link can be added only to a resolved incident; resolve the incident first"
    )]
    PostmortemBeforeResolved,
    #[error(
        "the maintenance window is {}; it cannot change any more. Schedule a new window instead",
        .0.label().to_lowercase()
    )]
    MaintenanceFinished(MaintenanceState),
    #[error(
        "no public update is due on this {0}, so there is no deadline to snooze: it is resolved, or (a maintenance window) not under way and run by hand with a maintenance cadence"
    )]
    NothingDue(&'static str),
    #[error("{}", transition_refusal(*.from, *.to))]
    MaintenanceTransition {
        from: MaintenanceState,
        to: MaintenanceState,
    },
    #[error(
        "{0} is the only active admin; make another user an admin first, so someone can still manage users"
    )]
    LastAdmin(String),
    #[error("user {0} is disabled and cannot sign in; an admin can enable the user again")]
    UserDisabled(String),
    /// The request does not fit the thing it is about as it is now (rotating the secret of a
    /// subscriber that has none, say); the message says what would.
    #[error("{0}")]
    Conflict(String),
}

/// Names the states the window can move to instead.
fn transition_refusal(from: MaintenanceState, to: MaintenanceState) -> String {
    let name = |state: MaintenanceState| state.label().to_lowercase();
    let options: Vec<String> = from
        .next_states()
        .iter()
        .filter(|s| **s != from)
        .map(|s| name(*s))
        .collect();
    format!(
        "a {} maintenance window cannot move to {}; an update can move it to {}, or leave it {}",
        name(from),
        name(to),
        options.join(" or "),
        name(from)
    )
}

impl DomainError {
    /// A stable, machine-readable code for the API's problem documents.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::Invalid { .. } => "invalid-field",
            DomainError::AllOperational => "all-operational",
            DomainError::NoAffectedLocations => "no-affected-locations",
            DomainError::UnknownLocation(_) => "unknown-location",
            DomainError::AlreadyResolved => "already-resolved",
            DomainError::CreatedResolved => "created-resolved",
            DomainError::PostmortemBeforeResolved => "postmortem-before-resolved",
            DomainError::MaintenanceFinished(_) => "maintenance-finished",
            DomainError::MaintenanceTransition { .. } => "maintenance-transition",
            DomainError::NothingDue(_) => "nothing-due",
            DomainError::LastAdmin(_) => "last-admin",
            DomainError::UserDisabled(_) => "user-disabled",
            DomainError::Conflict(_) => "conflict",
        }
    }

    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        DomainError::Invalid {
            field,
            message: message.into(),
        }
    }
}
