//! The records subscribers and delivery speak in.
use herald_core::Id;
use herald_core::broadcast::{Skipped, Subject};
use herald_core::subscriber::{Channel, Subscriber, SubscriberState, WebhookFormat};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A subscriber as created, with the webhook signing secret, shown this once.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedSubscriber {
    #[serde(flatten)]
    pub subscriber: Subscriber,
    /// Webhooks only: the `whsec_` secret deliveries are signed with. Store it now; Herald
    /// never shows it again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// What may stop deliveries to the address though it was accepted (a host name that does
    /// not resolve yet).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Oldest first, `limit` at a time, after the subscriber `after`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubscriberQuery {
    pub channel: Option<Channel>,
    pub limit: u32,
    pub after: Option<Id>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct SubscriberPatch {
    /// The components to hear about; empty for all.
    pub components: Option<Vec<Id>>,
    /// Webhooks only.
    pub format: Option<WebhookFormat>,
    /// The new email address or URL. A changed email address must be confirmed again.
    pub address: Option<String>,
}

/// What a public visitor asked for on the subscribe form.
#[derive(Clone, Debug, PartialEq)]
pub enum SubscribeRequest {
    /// A new pending subscriber; a confirmation email is queued.
    Created(Subscriber),
    /// Already pending: the confirmation is queued again unless one went out recently.
    Pending(Subscriber),
    /// Already subscribed: nothing is sent.
    Active(Subscriber),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    Fanout,
    Delivery,
    Confirmation,
    Notice,
    /// Maintenance automation: start or complete a window on time, or remind its subscribers.
    MaintenanceStart,
    MaintenanceEnd,
    MaintenanceReminder,
    /// The update cadence: nudge people about an open deadline.
    CadenceNudge,
}

/// Work claimed from the job table. Its lease ends at `due_at`: unless it is finished or
/// moved on by then, it comes due again.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    pub lease: Lease,
    pub kind: JobKind,
    pub page_id: Id,
    pub broadcast_id: Option<Id>,
    pub subscriber_id: Option<Id>,
    pub channel: Option<Channel>,
    /// Fan-out: the last subscriber handled.
    pub cursor: Option<Id>,
    /// Attempts before this one.
    pub attempts: u32,
    pub note: Option<String>,
    pub due_at: Timestamp,
}

/// A broadcast as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct Broadcast {
    pub id: Id,
    pub page_id: Id,
    pub event: String,
    pub subject: Subject,
    pub subject_id: Id,
    pub update_id: Option<Id>,
    pub channels: Vec<Channel>,
    pub components: Vec<Id>,
    pub skipped: Vec<Skipped>,
    /// The incident or window as published, as JSON text: read whole only by the fan-out that
    /// renders it, not by every walk that finds nobody to tell.
    pub snapshot: String,
    pub created_at: Timestamp,
    pub fanned_out_at: Option<Timestamp>,
}

/// A subscriber as a delivery needs it: where and how to send, and what signs it. A fan-out
/// reads one per subscriber, so it holds nothing more.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub id: Id,
    pub channel: Channel,
    pub address: String,
    pub format: WebhookFormat,
    pub state: SubscriberState,
    /// When its current run of failures began.
    pub failing_since: Option<Timestamp>,
    /// Webhooks: the secrets to sign with, current first (two during a rotation).
    pub secrets: Vec<String>,
}

/// How one delivery attempt ended, as the worker reports it.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Delivered,
    /// Try again at `at`.
    Retry {
        at: Timestamp,
        error: String,
    },
    /// Given up: the delivery is counted failed. `disable` also stops the subscriber (410
    /// Gone, a refused address, failing for too long).
    Failed {
        error: String,
        disable: bool,
    },
}

/// One finished or handed-off delivery in a fan-out batch.
#[derive(Clone, Debug, PartialEq)]
pub struct Settled {
    pub subscriber_id: Id,
    pub channel: Channel,
    pub outcome: Outcome,
    /// The subscriber may have a failure streak that a delivery ends: false only when it was
    /// read without one just before this attempt, which saves a fan-out a write per success.
    pub failing: bool,
}

/// A delivery still running when its batch moved on: it gets its own job row, due when its
/// request has surely ended, so a crash cannot lose it.
#[derive(Clone, Debug, PartialEq)]
pub struct HandedOff {
    pub subscriber_id: Id,
    pub channel: Channel,
    pub due_at: Timestamp,
}

/// One claim of a job: every later write of the job names it, and changes nothing (the
/// store answers [`StoreError::LeaseLost`](crate::StoreError::LeaseLost)) once the job was
/// claimed again after the lease ran out, or its row is gone and the id taken by another job.
/// So two workers never both carry a job on, and a stale one cannot move a fan-out's cursor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lease {
    pub job: i64,
    /// Drawn at random for each claim.
    pub token: i64,
}

/// What a fan-out batch did, recorded with its cursor in one transaction.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchRecord {
    pub lease: Lease,
    pub broadcast_id: Id,
    /// The last subscriber the batch handled.
    pub cursor: Option<Id>,
    pub settled: Vec<Settled>,
    pub handed_off: Vec<HandedOff>,
    /// When the fan-out job comes due again if this process stops; None: the walk is over
    /// and the job goes.
    pub lease_until: Option<Timestamp>,
}

/// Per broadcast, per channel: how far delivery got.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryReport {
    pub broadcast_id: Id,
    pub event: String,
    pub subject_id: Id,
    pub update_id: Option<Id>,
    pub created_at: Timestamp,
    /// Whether every subscriber has been reached once (delivered, failed or retrying).
    pub fanned_out: bool,
    pub channels: Vec<ChannelReport>,
    /// Chosen channels that do not go to subscribers, and why.
    pub skipped: Vec<Skipped>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelReport {
    pub channel: Channel,
    /// `queued` (not tried yet), `retrying`, `failed` (some gave up), `delivered` (all of
    /// them), `disabled` (none reached: every subscriber on the channel is disabled), or
    /// `no_subscribers`.
    pub status: String,
    /// Subscribers found so far (all of them once fanned out).
    pub matched: u64,
    pub queued: u64,
    pub delivered: u64,
    pub retrying: u64,
    pub failed: u64,
    /// The page's subscribers on this channel that are disabled, so not reached.
    pub disabled: u64,
    pub last_error: Option<String>,
    pub last_error_at: Option<Timestamp>,
}

/// Where one recipient of a broadcast stands, in the order the list shows them: failures
/// first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RecipientOutcome {
    /// Given up on.
    Failed,
    /// Tried and failing; tried again at `next_attempt_at`.
    Retrying,
    /// Handed off to a job of its own, not tried yet.
    Queued,
    Delivered,
}

impl RecipientOutcome {
    pub const ALL: [RecipientOutcome; 4] = [
        RecipientOutcome::Failed,
        RecipientOutcome::Retrying,
        RecipientOutcome::Queued,
        RecipientOutcome::Delivered,
    ];

    /// The stored code, which is also the order of the list.
    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn from_code(code: u8) -> Option<RecipientOutcome> {
        RecipientOutcome::ALL.get(usize::from(code)).copied()
    }
}

/// One subscriber a broadcast went to, with its outcome.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Recipient {
    pub subscriber_id: Id,
    /// `None` once the subscriber was removed.
    pub channel: Option<Channel>,
    pub address: Option<String>,
    pub outcome: RecipientOutcome,
    /// The last error, for a recipient that failed or is retrying.
    pub error: Option<String>,
    /// When the outcome was recorded.
    pub at: Timestamp,
    /// Attempts made so far by a retrying delivery (0 otherwise).
    pub attempts: u32,
    pub next_attempt_at: Option<Timestamp>,
    /// The subscriber as it is now: `disabled` once Herald stopped delivering to it.
    pub subscriber_state: Option<SubscriberState>,
    pub disabled_reason: Option<String>,
}

/// A page of a broadcast's recipients, failures first, `limit` at a time after the cursor
/// `after` (the `next` of the page before).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecipientQuery {
    pub channel: Option<Channel>,
    pub after: Option<String>,
    pub limit: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecipientPage {
    pub broadcast_id: Id,
    pub event: String,
    pub subject: Subject,
    pub subject_id: Id,
    pub update_id: Option<Id>,
    pub recipients: Vec<Recipient>,
    /// The cursor for the next page; `null` on the last one.
    pub next: Option<String>,
}
