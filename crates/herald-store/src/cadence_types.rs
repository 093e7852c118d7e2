//! The records the update cadence speaks in: deadlines, roles, nudges, adherence, and the
//! stage checklist the lead works through.
use herald_core::Id;
use herald_core::adherence::Adherence;
use herald_core::broadcast::Subject;
use herald_core::checklist::DoneWhen;
use herald_core::nudge::{NudgeChannel, NudgeKind, NudgeText};
use herald_core::subscriber::Channel;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A console user as a role or a nudge names them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserRef {
    pub id: Id,
    pub email: String,
    pub name: String,
}

/// An incident's or a window's cadence: when its next public update is due, and who runs it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Cadence {
    pub subject: Subject,
    pub subject_id: Id,
    /// The open deadline; `null` when no update is due.
    pub next_update_due: Option<Timestamp>,
    /// The communications lead: nudged before and at each deadline.
    pub lead: Option<UserRef>,
    /// The incident manager: told when a deadline is missed.
    pub manager: Option<UserRef>,
}

/// Who runs a subject: each a user's id or email address, or `None` for nobody.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Roles {
    pub lead: Option<String>,
    pub manager: Option<String>,
}

/// One subject's adherence.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubjectAdherence {
    pub subject: Subject,
    pub subject_id: Id,
    pub title: String,
    #[serde(flatten)]
    pub adherence: Adherence,
}

/// A page's adherence over all its incidents and windows, and each one's.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PageAdherence {
    pub page_id: Id,
    pub slug: String,
    #[serde(flatten)]
    pub total: Adherence,
    /// The subjects with at least one deadline, oldest first.
    pub subjects: Vec<SubjectAdherence>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NudgeOutcome {
    Delivered,
    /// Sent again with the job's next attempt.
    Retrying,
    /// Given up.
    Failed,
}

/// One channel's try at a nudge.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NudgeDelivery {
    pub channel: Channel,
    pub address: String,
    pub outcome: NudgeOutcome,
    pub error: Option<String>,
    pub at: Timestamp,
}

/// A nudge as recorded: for one user, or for the console only (no user) when nobody was
/// there to send it to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NudgeRecord {
    pub id: i64,
    pub page_id: Id,
    pub subject: Subject,
    pub subject_id: Id,
    pub user: Option<UserRef>,
    pub kind: NudgeKind,
    #[serde(flatten)]
    pub text: NudgeText,
    /// The deadline it was about.
    pub due_at: Timestamp,
    pub created_at: Timestamp,
    pub seen_at: Option<Timestamp>,
    pub deliveries: Vec<NudgeDelivery>,
}

/// A page's nudges (one user's, when given; only unseen ones, when asked) created at or after
/// `since`, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NudgeQuery {
    pub user: Option<String>,
    pub since: Option<Timestamp>,
    /// Only those the user has not yet marked seen in the console.
    pub unseen: bool,
    pub limit: u32,
}

/// A due nudge, recorded, with what is left to send: per recipient, the channels not yet
/// delivered to (all of them the first time).
#[derive(Clone, Debug, PartialEq)]
pub struct NudgeToSend {
    pub subject: Subject,
    pub subject_id: Id,
    /// The deadline it is about.
    pub due_at: Timestamp,
    pub kind: NudgeKind,
    pub text: NudgeText,
    pub page_name: String,
    pub recipients: Vec<NudgeRecipient>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NudgeRecipient {
    pub nudge_id: i64,
    pub user: UserRef,
    pub channels: Vec<NudgeChannel>,
    /// The `whsec_` secret webhook nudges to this person are signed with.
    pub webhook_secret: String,
}

/// One item of an incident's stage checklist, and whether it is done.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChecklistEntry {
    pub stage: String,
    pub label: String,
    /// What Herald watches for to tick it by itself, if anything.
    pub done_when: Option<DoneWhen>,
    pub ticked: bool,
    /// Who ticked it: a person's audit name, or `herald` when Herald saw it done.
    pub ticked_by: Option<String>,
    /// When a person ticked it; `null` for items Herald ticked.
    pub ticked_at: Option<Timestamp>,
}

/// A person ticking (or unticking) one item of an incident's checklist.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Tick {
    /// The item's label, as the page's checklist names it.
    pub item: String,
    pub ticked: bool,
}
