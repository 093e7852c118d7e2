//! Herald's persistence. Callers speak to the [`Store`] trait; `herald-store-sqlite` is the
//! embedded default backend. Every write is one transaction that updates the state rows, appends the
//! audit events and commits, or changes nothing.
#![forbid(unsafe_code)]

mod cadence_types;
mod delivery_types;
mod error;
pub mod ids;
pub mod sql;
mod types;
mod watch;

pub use cadence_types::*;
pub use delivery_types::*;
pub use error::StoreError;
pub use ids::{hash_secret, new_id};
pub use types::*;
pub use watch::watch_changes;

use async_trait::async_trait;
use herald_core::Id;
use herald_core::access::Role;
use herald_core::broadcast::Subject;
use herald_core::component::{Component, Group};
use herald_core::incident::{Incident, IncidentEdit, NewIncident, UpdateCorrection, UpdateDraft};
use herald_core::maintenance::{Maintenance, MaintenanceDraft, NewMaintenance, Reschedule};
use herald_core::nudge::NudgeChannel;
use herald_core::page::{Page, PageFields};
use herald_core::preview::Preview;
use herald_core::status::{PageStatus, StatusLevel};
use herald_core::subscriber::{NewSubscriber, Subscriber};
use herald_core::user::{NewUser, User};
use jiff::Timestamp;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Everything Herald persists. `page` arguments take a page's id or its slug. Writes take the
/// acting principal (recorded in the audit log) and `now` (so tests can drive the clock).
#[async_trait]
pub trait Store: Send + Sync + 'static {
    async fn create_page(&self, actor: &str, fields: PageFields, now: Timestamp) -> Result<Page>;
    async fn update_page(
        &self,
        actor: &str,
        page: &str,
        patch: PagePatch,
        now: Timestamp,
    ) -> Result<Page>;
    async fn pages(&self) -> Result<Vec<Page>>;
    async fn page(&self, page: &str) -> Result<Page>;

    async fn create_group(
        &self,
        actor: &str,
        page: &str,
        name: String,
        now: Timestamp,
    ) -> Result<Group>;
    async fn groups(&self, page: &str) -> Result<Vec<Group>>;

    async fn create_component(
        &self,
        actor: &str,
        page: &str,
        new: NewComponent,
        now: Timestamp,
    ) -> Result<Component>;
    async fn update_component(
        &self,
        actor: &str,
        page: &str,
        id: &str,
        patch: ComponentPatch,
        now: Timestamp,
    ) -> Result<Component>;
    /// Refused while any incident or maintenance window refers to one of its locations:
    /// history keeps its meaning.
    async fn delete_component(
        &self,
        actor: &str,
        page: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<()>;
    async fn add_location(
        &self,
        actor: &str,
        page: &str,
        component: &str,
        name: String,
        now: Timestamp,
    ) -> Result<Component>;
    /// Sets (or, with `None`, clears) a location's manual override.
    async fn set_override(
        &self,
        actor: &str,
        page: &str,
        location: &str,
        level: Option<StatusLevel>,
        now: Timestamp,
    ) -> Result<Component>;
    async fn components(&self, page: &str) -> Result<Vec<Component>>;
    async fn component(&self, page: &str, id: &str) -> Result<Component>;
    /// Every location's displayed level, derived from what holds it: active incidents, and
    /// maintenance windows in progress or verifying.
    async fn page_status(&self, page: &str) -> Result<PageStatus>;

    async fn create_incident(
        &self,
        actor: &str,
        page: &str,
        new: NewIncident,
        now: Timestamp,
    ) -> Result<Incident>;
    async fn post_update(
        &self,
        actor: &str,
        page: &str,
        incident: &str,
        draft: UpdateDraft,
        now: Timestamp,
    ) -> Result<Incident>;
    async fn edit_incident(
        &self,
        actor: &str,
        page: &str,
        incident: &str,
        edit: IncidentEdit,
        now: Timestamp,
    ) -> Result<Incident>;
    /// Corrects the text of a published update; see [`herald_core::incident::correct_update`].
    async fn correct_update(
        &self,
        actor: &str,
        page: &str,
        (incident, update): (&str, &str),
        correction: UpdateCorrection,
        now: Timestamp,
    ) -> Result<Incident>;
    async fn set_postmortem(
        &self,
        actor: &str,
        page: &str,
        incident: &str,
        url: String,
        now: Timestamp,
    ) -> Result<Incident>;
    async fn delete_incident(
        &self,
        actor: &str,
        page: &str,
        incident: &str,
        now: Timestamp,
    ) -> Result<()>;
    async fn incident(&self, page: &str, incident: &str) -> Result<Incident>;
    async fn incidents(&self, page: &str, query: IncidentQuery) -> Result<Vec<Incident>>;
    /// The incidents a search finds, newest first, a page of results at a time.
    async fn search_incidents(&self, page: &str, search: IncidentSearch) -> Result<Vec<Incident>>;
    /// The id of every incident the filter selects, newest first, without reading them.
    async fn incident_ids(&self, page: &str, filter: IncidentFilter) -> Result<Vec<Id>>;
    /// Finds the incident a Status.io message id belongs to (the id of one of its updates).
    async fn incident_by_update(&self, page: &str, update: &str) -> Result<Incident>;
    async fn preview_incident(
        &self,
        actor: &str,
        page: &str,
        new: NewIncident,
        now: Timestamp,
    ) -> Result<Preview>;
    async fn preview_update(
        &self,
        actor: &str,
        page: &str,
        incident: &str,
        draft: UpdateDraft,
        now: Timestamp,
    ) -> Result<Preview>;

    async fn schedule_maintenance(
        &self,
        actor: &str,
        page: &str,
        new: NewMaintenance,
        now: Timestamp,
    ) -> Result<Maintenance>;
    async fn post_maintenance_update(
        &self,
        actor: &str,
        page: &str,
        maintenance: &str,
        draft: MaintenanceDraft,
        now: Timestamp,
    ) -> Result<Maintenance>;
    async fn reschedule_maintenance(
        &self,
        actor: &str,
        page: &str,
        maintenance: &str,
        times: Reschedule,
        now: Timestamp,
    ) -> Result<Maintenance>;
    async fn set_maintenance_automation(
        &self,
        actor: &str,
        page: &str,
        maintenance: &str,
        enabled: bool,
        now: Timestamp,
    ) -> Result<Maintenance>;
    /// Replaces a scheduled window's reminders (minutes before its start), audited as
    /// `maintenance.reminders_changed`; the reminders no longer asked for are not sent.
    async fn set_maintenance_reminders(
        &self,
        actor: &str,
        page: &str,
        maintenance: &str,
        reminders: Vec<u32>,
        now: Timestamp,
    ) -> Result<Maintenance>;
    async fn delete_maintenance(
        &self,
        actor: &str,
        page: &str,
        maintenance: &str,
        now: Timestamp,
    ) -> Result<()>;
    async fn maintenance(&self, page: &str, maintenance: &str) -> Result<Maintenance>;
    /// `now` decides which scheduled windows are still upcoming and which are past.
    async fn maintenances(
        &self,
        page: &str,
        query: MaintenanceQuery,
        now: Timestamp,
    ) -> Result<Vec<Maintenance>>;
    /// The id of every window the filter selects, latest planned start first.
    async fn maintenance_ids(
        &self,
        page: &str,
        filter: MaintenanceFilter,
        now: Timestamp,
    ) -> Result<Vec<Id>>;
    /// Finds the window a Status.io maintenance message id belongs to (one of its updates).
    async fn maintenance_by_update(&self, page: &str, update: &str) -> Result<Maintenance>;

    async fn create_token(
        &self,
        actor: &str,
        name: String,
        role: Role,
        now: Timestamp,
    ) -> Result<NewToken>;
    async fn tokens(&self) -> Result<Vec<Token>>;
    async fn revoke_token(&self, actor: &str, id: &str, now: Timestamp) -> Result<()>;
    /// The live token with this secret (and this id, when given), if any.
    async fn authenticate(
        &self,
        id: Option<&str>,
        secret: &str,
        now: Timestamp,
    ) -> Result<Option<Token>>;

    /// A console user. `password_hash` is the PHC string of its password (hashed by the caller;
    /// the store never sees the password), or None for a user who signs in only by an emailed
    /// link. An email address already taken is a conflict.
    async fn create_user(
        &self,
        actor: &str,
        new: NewUser,
        password_hash: Option<String>,
        now: Timestamp,
    ) -> Result<User>;
    /// Every user, disabled ones included, oldest first.
    async fn users(&self) -> Result<Vec<User>>;
    /// Stops a user (by id or email address) from signing in; a user already disabled is
    /// returned unchanged. Refused for the only active admin.
    async fn disable_user(&self, actor: &str, id_or_email: &str, now: Timestamp) -> Result<User>;
    /// Lets a disabled user (by id or email address) sign in again, audited as `user.enabled`;
    /// the sessions and sign-in links it had stay ended. An active user is returned unchanged.
    async fn enable_user(&self, actor: &str, id_or_email: &str, now: Timestamp) -> Result<User>;
    /// Gives a user (by id or email address) another role, audited as `user.role_changed`; the
    /// same role changes nothing. Refused when it would leave no active admin.
    async fn set_user_role(
        &self,
        actor: &str,
        id_or_email: &str,
        role: Role,
        now: Timestamp,
    ) -> Result<User>;
    /// The user with this email address, disabled or not, and its password hash if it has one:
    /// what signing in checks.
    async fn user_credentials(&self, email: &str) -> Result<Option<(User, Option<String>)>>;

    /// Signs an active user in (audited as `user.signed_in`): the new session and, once, its
    /// secret for the cookie.
    /// `from`: the client's address, for the audit log.
    async fn start_session(
        &self,
        user_id: &str,
        method: SignInMethod,
        from: &str,
        now: Timestamp,
    ) -> Result<NewSession>;
    /// The live session this secret opens, or `None`: unknown, signed out, idle or expired,
    /// or its user disabled.
    async fn session(&self, secret: &str, now: Timestamp) -> Result<Option<Session>>;
    /// Signs the session out (audited); an unknown or ended session is no error.
    async fn end_session(&self, secret: &str, now: Timestamp) -> Result<()>;
    /// A one-time sign-in link's secret for the active user with this email address, or
    /// `None` (no such user, or a link was issued within the last minute).
    async fn issue_sign_in_link(
        &self,
        email: &str,
        now: Timestamp,
    ) -> Result<Option<(User, String)>>;
    /// Uses a sign-in link: a session, once, while the link is fresh; otherwise `None`.
    async fn redeem_sign_in_link(
        &self,
        secret: &str,
        from: &str,
        now: Timestamp,
    ) -> Result<Option<NewSession>>;

    /// A new subscriber. An email subscriber not marked confirmed is pending until its owner
    /// follows the confirmation link; a webhook gets its signing secret, returned this once.
    async fn create_subscriber(
        &self,
        actor: &str,
        page: &str,
        new: NewSubscriber,
        now: Timestamp,
    ) -> Result<CreatedSubscriber>;
    /// A visitor asked for email updates on the public page.
    async fn request_subscription(
        &self,
        page: &str,
        address: String,
        components: Vec<Id>,
        now: Timestamp,
    ) -> Result<SubscribeRequest>;
    async fn subscribers(&self, page: &str, query: SubscriberQuery) -> Result<Vec<Subscriber>>;
    /// A subscriber of the page; `page` None finds it on any page (for its own signed links).
    async fn subscriber(&self, page: Option<&str>, id: &str) -> Result<Subscriber>;
    async fn update_subscriber(
        &self,
        actor: &str,
        page: &str,
        id: &str,
        patch: SubscriberPatch,
        now: Timestamp,
    ) -> Result<Subscriber>;
    async fn delete_subscriber(
        &self,
        actor: &str,
        page: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<()>;
    async fn confirm_subscriber(&self, id: &str, now: Timestamp) -> Result<Subscriber>;
    /// A new webhook signing secret; the previous one keeps signing for a day.
    async fn rotate_subscriber_secret(
        &self,
        actor: &str,
        page: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<CreatedSubscriber>;
    async fn enable_subscriber(
        &self,
        actor: &str,
        page: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<Subscriber>;
    /// Every broadcast about an incident or maintenance window, with per-channel progress.
    async fn delivery_report(&self, page: &str, subject_id: &str) -> Result<Vec<DeliveryReport>>;
    /// Who a broadcast went to and how each delivery ended, failures first, a page at a time.
    async fn recipients(
        &self,
        page: &str,
        broadcast: &str,
        query: RecipientQuery,
    ) -> Result<RecipientPage>;
    /// This installation's key for signing subscribers' links, made on first use.
    async fn link_key(&self) -> Result<Vec<u8>>;

    /// Takes up to `limit` due jobs, each under a new [`Lease`]; each comes due again at
    /// `lease_until` unless finished or moved on before.
    async fn claim_jobs(
        &self,
        now: Timestamp,
        limit: u32,
        lease_until: Timestamp,
    ) -> Result<Vec<Job>>;
    async fn broadcast(&self, id: &str) -> Result<Broadcast>;
    /// The next subscribers of a fan-out after `after`, in id order.
    async fn fanout_batch(
        &self,
        broadcast: &Broadcast,
        after: Option<&str>,
        limit: u32,
        now: Timestamp,
    ) -> Result<Vec<Target>>;
    /// One transaction: a fan-out batch's outcomes, its hand-offs, and its cursor.
    async fn record_batch(&self, batch: BatchRecord, now: Timestamp) -> Result<()>;
    /// The subscriber a delivery job is for, with its signing secrets; None when gone.
    async fn target(&self, subscriber_id: &str, now: Timestamp) -> Result<Option<Target>>;
    /// One delivery's outcome, booked against its job row if it has one: the row's lease when
    /// the delivery ran from a claimed job, none for a late answer to a fan-out's hand-off.
    async fn settle_delivery(
        &self,
        lease: Option<Lease>,
        broadcast_id: &str,
        settled: Settled,
        now: Timestamp,
    ) -> Result<()>;
    /// A confirmation or notice job done, or moot.
    async fn finish_job(&self, lease: Lease) -> Result<()>;
    /// The job comes due again at `at`, unclaimed.
    async fn retry_job(&self, lease: Lease, at: Timestamp, error: String) -> Result<()>;
    /// Carries out a due maintenance job (start, completion or reminder) with everything it
    /// entails, in one transaction; false when it no longer applied or is not this lease's.
    async fn run_maintenance_job(&self, lease: Lease, now: Timestamp) -> Result<bool>;

    // The update cadence (docs/cadence.md). Every incident and maintenance commit keeps its
    // subject's deadline and nudge jobs in line in its own transaction; these are the rest.

    /// Puts the next public update off for `minutes` from now: before the deadline without
    /// penalty, after it counted late. Audited as `incident.snoozed` / `maintenance.snoozed`.
    async fn snooze(
        &self,
        actor: &str,
        page: &str,
        subject: Subject,
        id: &str,
        minutes: u32,
        now: Timestamp,
    ) -> Result<Cadence>;
    /// Names the communications lead and the manager (each a user's id or email address, or
    /// none). Audited as `incident.roles_changed` / `maintenance.roles_changed`.
    async fn set_roles(
        &self,
        actor: &str,
        page: &str,
        subject: Subject,
        id: &str,
        roles: Roles,
        now: Timestamp,
    ) -> Result<Cadence>;
    async fn cadence(&self, page: &str, subject: Subject, id: &str) -> Result<Cadence>;
    /// An incident's stage checklist: the page's items, ticked by people or seen done.
    async fn checklist(&self, page: &str, incident: &str) -> Result<Vec<ChecklistEntry>>;
    /// Ticks or unticks one item for a person. Audited as `incident.checklist_ticked` /
    /// `incident.checklist_unticked`; an item Herald sees done cannot be unticked.
    async fn tick(
        &self,
        actor: &str,
        page: &str,
        incident: &str,
        tick: Tick,
        now: Timestamp,
    ) -> Result<Vec<ChecklistEntry>>;
    async fn subject_adherence(
        &self,
        page: &str,
        subject: Subject,
        id: &str,
        now: Timestamp,
    ) -> Result<SubjectAdherence>;
    async fn page_adherence(&self, page: &str, now: Timestamp) -> Result<PageAdherence>;
    /// Runs a due `cadence_nudge` job in one transaction: re-reads the job and its deadline and
    /// does nothing (removing the job) when the deadline was met or moved or the subject needs
    /// no update any more; otherwise records the nudge for each recipient (once: a retry finds
    /// the same rows) and returns what is left to send. Links point under `base_url`.
    async fn run_cadence_job(
        &self,
        lease: Lease,
        base_url: &str,
        now: Timestamp,
    ) -> Result<Option<NudgeToSend>>;
    /// Records each channel's outcome on its nudge; the job goes, or comes due again at
    /// `retry_at` for the channels that may still succeed.
    async fn settle_nudge(
        &self,
        lease: Lease,
        deliveries: Vec<(i64, NudgeDelivery)>,
        retry_at: Option<Timestamp>,
    ) -> Result<()>;
    async fn nudges(&self, page: &str, query: NudgeQuery) -> Result<Vec<NudgeRecord>>;
    /// Marks every nudge sent to the user (by id) so far as seen in the console; how many were
    /// new. Audited as `user.nudges_seen`.
    async fn mark_nudges_seen(&self, actor: &str, user: &str, now: Timestamp) -> Result<usize>;
    /// The `whsec_` secret that webhook nudges to a user (by id or email address) are signed
    /// with, for their receiver to verify them by.
    async fn nudge_secret(&self, user: &str) -> Result<String>;
    /// Where a user (by id or email address) wants nudges; none for their own email address.
    /// Audited as `user.nudge_channels_changed`.
    async fn set_nudge_channels(
        &self,
        actor: &str,
        user: &str,
        channels: Vec<NudgeChannel>,
        now: Timestamp,
    ) -> Result<Vec<NudgeChannel>>;
    /// The nudge channels a user (by id or email address) chose; empty for their own address.
    async fn nudge_channels(&self, user: &str) -> Result<Vec<NudgeChannel>>;

    /// The audit log, oldest first.
    async fn events(&self, query: EventQuery) -> Result<Vec<EventRecord>>;
    /// What the events after `after` changed, oldest first, at most `limit`: each event's id,
    /// page and subject without the states before and after, for a follower that reloads
    /// what changed (an update's states carry the incident's whole timeline).
    async fn changes(&self, after: i64, limit: u32) -> Result<Vec<Change>>;
    /// The id of the newest event, 0 when there is none; followed to learn of every change.
    async fn last_event_id(&self) -> Result<i64>;
}

/// Every subscriber of a page (on one channel, when given), oldest first, read a batch at a
/// time.
pub async fn all_subscribers(
    store: &dyn Store,
    page: &str,
    channel: Option<herald_core::subscriber::Channel>,
) -> Result<Vec<Subscriber>> {
    let mut all: Vec<Subscriber> = Vec::new();
    loop {
        let query = SubscriberQuery {
            channel,
            limit: MAX_LIST_LIMIT,
            after: all.last().map(|s| s.id.clone()),
        };
        let batch = store.subscribers(page, query).await?;
        let done = batch.len() < MAX_LIST_LIMIT as usize;
        all.extend(batch);
        if done {
            return Ok(all);
        }
    }
}
