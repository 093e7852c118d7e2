//! The delivery worker: claims due jobs and carries them out. A fan-out walks its broadcast's
//! subscribers in batches; each batch is sent concurrently and recorded with its cursor in one
//! transaction. A receiver slower than the batch's patience is handed off to a job row of its
//! own, so it never holds up the others, and a crash at any moment loses nothing: the fan-out
//! resumes from its last recorded cursor, and every hand-off and retry has its row.
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use herald_core::nudge::NudgeChannel;
use herald_core::subscriber::{Channel, SubscriberState, WebhookFormat};
use herald_public::publisher::Clock;
use herald_store::{
    BatchRecord, Broadcast, HandedOff, Job, JobKind, NudgeDelivery, NudgeOutcome, NudgeRecipient,
    NudgeToSend, Outcome, Settled, Store, StoreError, Target,
};
use jiff::Timestamp;
use tokio::sync::{Semaphore, mpsc, watch};

use crate::announcement::Announcement;
use crate::email::{self, Emails};
use crate::http::{self, Attempt, HttpClient, HttpOptions};
use crate::links::Links;
use crate::mail::Mailer;
use crate::progress::{Passes, Progress};
use crate::retry::{RetryPolicy, describe, later};
use crate::{build, slack, teams, webhook};

#[derive(Clone, Debug)]
pub struct WorkerOptions {
    pub http: HttpOptions,
    /// Where visitors reach Herald; subscribers' links point under it.
    pub base_url: String,
    /// The sender of every email (`Herald <status@example.com>`).
    pub from: String,
    pub retry: RetryPolicy,
    /// Subscribers read and recorded at a time.
    pub batch_size: u32,
    /// How long a batch waits for its slowest receivers before handing them off.
    pub patience: Duration,
    /// Requests and emails in flight at once, across all jobs.
    pub max_in_flight: usize,
    /// How often the job table is looked at when nothing nudges the worker.
    pub poll: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            http: HttpOptions::default(),
            base_url: "http://localhost:8080".into(),
            from: "Herald <herald@localhost.localdomain>".into(),
            retry: RetryPolicy::default(),
            batch_size: 500,
            patience: Duration::from_secs(2),
            max_in_flight: 256,
            poll: Duration::from_millis(500),
        }
    }
}

/// Jobs worked on at once (each fan-out sends a whole batch concurrently).
const JOB_SLOTS: usize = 16;
/// Broadcasts kept rendered for their retries.
const CACHED_BROADCASTS: usize = 64;

pub struct Worker {
    store: Arc<dyn Store>,
    clock: Clock,
    http: HttpClient,
    mailer: Mailer,
    emails: Emails,
    links: Links,
    options: WorkerOptions,
    in_flight: Arc<Semaphore>,
    /// Endpoints that asked to slow down (429, 502, 503, 504), and until when. Per URL, not
    /// per host: a chat service's rate limit is per incoming-webhook URL.
    paused: Mutex<HashMap<String, Timestamp>>,
    prepared: Mutex<HashMap<String, Arc<Prepared>>>,
    passes: Passes,
}

impl Worker {
    pub async fn new(
        store: Arc<dyn Store>,
        clock: Clock,
        mailer: Mailer,
        emails: Emails,
        options: WorkerOptions,
    ) -> Result<Arc<Worker>, StoreError> {
        let links = Links::new(store.link_key().await?);
        Ok(Arc::new(Worker {
            http: http::client(&options.http),
            in_flight: Arc::new(Semaphore::new(options.max_in_flight)),
            store,
            clock,
            mailer,
            emails,
            links,
            options,
            paused: Mutex::new(HashMap::new()),
            prepared: Mutex::new(HashMap::new()),
            passes: Passes::new(),
        }))
    }

    /// Tells whoever asks when everything due is done.
    pub fn progress(&self) -> Progress {
        self.passes.progress()
    }

    /// Works the job table until the task is dropped: whatever is due, as soon as a change is
    /// committed (publishing queues a broadcast in the same transaction as its audit event),
    /// or at the latest every `poll`.
    pub async fn run(self: Arc<Self>, mut changes: watch::Receiver<i64>) {
        let slots = Arc::new(Semaphore::new(JOB_SLOTS));
        loop {
            let pass = self.passes.begin();
            let now = (self.clock)();
            let free = slots.available_permits() as u32;
            let claimed = if free == 0 {
                Ok(Vec::new())
            } else {
                self.store.claim_jobs(now, free, self.lease_end(now)).await
            };
            match claimed {
                Ok(jobs) if !jobs.is_empty() => {
                    for job in jobs {
                        let Ok(slot) = slots.clone().acquire_owned().await else {
                            return;
                        };
                        let worker = self.clone();
                        tokio::spawn(async move {
                            worker.work(job).await;
                            drop(slot);
                        });
                    }
                    continue;
                }
                Ok(_) if free as usize == JOB_SLOTS && self.nothing_in_flight() => {
                    self.passes.idle(pass, now);
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(%err, "could not read the delivery jobs; trying again"),
            }
            tokio::select! {
                _ = tokio::time::sleep(self.options.poll) => {}
                Ok(()) = changes.changed() => {}
            }
        }
    }

    /// No request or email is on its way, not even a slow receiver's handed off by its batch.
    fn nothing_in_flight(&self) -> bool {
        self.in_flight.available_permits() == self.options.max_in_flight
    }

    /// When a job claimed now comes due again if this process has not finished it: after
    /// the longest request it may be waiting on.
    fn lease_end(&self, now: Timestamp) -> Timestamp {
        later(
            now,
            self.options.http.timeout + self.options.patience + LEASE_MARGIN,
        )
    }

    async fn work(self: Arc<Self>, job: Job) {
        let id = job.lease.job;
        let kind = job.kind;
        let done = match kind {
            JobKind::Fanout => self.fanout(job).await,
            JobKind::Delivery => self.deliver_one(job).await,
            JobKind::Confirmation => self.confirmation(job).await,
            JobKind::Notice => self.notice(job).await,
            JobKind::MaintenanceStart | JobKind::MaintenanceEnd | JobKind::MaintenanceReminder => {
                self.maintenance(job).await
            }
            JobKind::CadenceNudge => self.nudge(job).await,
        };
        match done {
            Ok(()) => {}
            Err(WorkError::Store(StoreError::LeaseLost { .. })) => {
                // This process was too slow: another took the job over and carries it on.
                tracing::info!(
                    job = id,
                    ?kind,
                    "a job's lease ran out before it finished; another worker has it"
                );
            }
            // The job keeps its row and comes due again when its lease ends.
            Err(err) => {
                tracing::warn!(job = id, ?kind, %err, "a delivery job did not finish; it will run again")
            }
        }
    }

    async fn fanout(self: Arc<Self>, job: Job) -> Result<(), WorkError> {
        let broadcast = self
            .store
            .broadcast(required(job.broadcast_id.as_deref())?)
            .await?;
        let size = self.options.batch_size;
        let fetch = |after: Option<String>| {
            let (store, broadcast, now) = (self.store.clone(), &broadcast, (self.clock)());
            async move {
                store
                    .fanout_batch(broadcast, after.as_deref(), size, now)
                    .await
            }
        };
        let mut from = job.cursor.clone();
        let mut targets = fetch(from.clone()).await?;
        if targets.is_empty() {
            // Nobody (left) to tell: the walk ends without rendering the announcement.
            let nobody = Started::nobody((self.clock)(), from);
            return self.settle_batch(&job, &broadcast.id, nobody).await;
        }
        let prepared = self.prepared(&broadcast).await?;
        let mut answering: Option<Started> = None;
        loop {
            let full = targets.len() == size as usize;
            let last = targets.last().map(|t| t.id.clone());
            let next = async {
                match full {
                    true => fetch(last.clone()).await.map(Some),
                    false => Ok(None),
                }
            };
            // A batch starts while the batch before it is still answering and then recorded,
            // and while the batch after it is read: the receivers never wait on the store.
            let previous = async {
                match answering.take() {
                    Some(batch) => self.clone().settle_batch(&job, &broadcast.id, batch).await,
                    None => Ok(()),
                }
            };
            let (started, previous, next) = tokio::join!(
                self.clone().start_batch(&prepared, targets, from, full),
                previous,
                next
            );
            previous?;
            let (cut, resume) = (started.cut, started.cursor.clone());
            answering = Some(started);
            (from, targets) = match (cut, next?) {
                // The batch was cut short: go on from where it stopped.
                (true, _) => (resume.clone(), fetch(resume).await?),
                (false, Some(batch)) => (last, batch),
                (false, None) => break,
            };
        }
        match answering {
            Some(batch) => self.settle_batch(&job, &broadcast.id, batch).await,
            None => Ok(()),
        }
    }

    /// Starts the announcement to the targets in order, each as soon as a slot of the in-flight
    /// limit is free. Targets that got no slot within the patience are not started: the batch
    /// is cut, and the walk goes on from the last one started, so waiting deliveries never pile
    /// up in memory behind slow receivers. `from` is where the batch was read from.
    async fn start_batch(
        self: Arc<Self>,
        p: &Arc<Prepared>,
        targets: Vec<Target>,
        from: Option<String>,
        full: bool,
    ) -> Started {
        let now = (self.clock)();
        let deadline = tokio::time::Instant::now() + self.options.patience;
        let (tx, answers) = mpsc::unbounded_channel();
        let mut handed_off = Vec::new();
        let mut running = Vec::new();
        let mut cursor = from;
        let mut cut = false;
        for target in targets {
            let channel = target.channel;
            let failing = target.failing_since.is_some();
            if let Some(until) = self.paused_until(&target, now) {
                cursor = Some(target.id.clone());
                handed_off.push(HandedOff {
                    subscriber_id: target.id,
                    channel,
                    due_at: until,
                });
                continue;
            }
            let slot = self.in_flight.clone().acquire_owned();
            let Ok(Ok(slot)) = tokio::time::timeout_at(deadline, slot).await else {
                cut = true;
                break;
            };
            cursor = Some(target.id.clone());
            running.push((target.id.clone(), channel));
            let (worker, p, tx) = (self.clone(), p.clone(), tx.clone());
            tokio::spawn(async move {
                let outcome = worker.send(&p, &target, 0).await;
                drop(slot);
                let _ = tx.send(Settled {
                    subscriber_id: target.id,
                    channel,
                    outcome,
                    failing,
                });
            });
        }
        Started {
            now,
            deadline,
            running,
            handed_off,
            answers,
            cursor,
            more: full || cut,
            cut,
        }
    }

    /// Waits at most the batch's patience for its answers, then records them with the batch's
    /// cursor. Whoever has not answered by then gets a job row, and its answer is booked
    /// against that row when it comes.
    async fn settle_batch(
        self: Arc<Self>,
        job: &Job,
        broadcast_id: &str,
        batch: Started,
    ) -> Result<(), WorkError> {
        let Started {
            now,
            deadline,
            running,
            mut handed_off,
            mut answers,
            cursor,
            more,
            cut: _,
        } = batch;
        let mut settled: Vec<Settled> = Vec::with_capacity(running.len());
        let patience = tokio::time::sleep_until(deadline);
        tokio::pin!(patience);
        while settled.len() < running.len() {
            tokio::select! {
                Some(s) = answers.recv() => settled.push(s),
                _ = &mut patience => break,
            }
        }
        // Whoever has not answered yet gets a row, due when its request has surely ended.
        let still_running = running.len() - settled.len();
        if still_running > 0 {
            let done: HashSet<&str> = settled.iter().map(|s| s.subscriber_id.as_str()).collect();
            let due_at = self.lease_end(now);
            let unfinished = running
                .into_iter()
                .filter(|(id, _)| !done.contains(id.as_str()));
            handed_off.extend(unfinished.map(|(subscriber_id, channel)| HandedOff {
                subscriber_id,
                channel,
                due_at,
            }));
        }
        let record = BatchRecord {
            lease: job.lease,
            broadcast_id: broadcast_id.to_string(),
            cursor,
            settled,
            handed_off,
            lease_until: more.then(|| self.lease_end((self.clock)())),
        };
        self.store.record_batch(record, (self.clock)()).await?;
        if still_running > 0 {
            // Their rows exist now, so their outcomes can be booked against them.
            let broadcast_id = broadcast_id.to_string();
            tokio::spawn(async move {
                for _ in 0..still_running {
                    let Some(settled) = answers.recv().await else {
                        break;
                    };
                    self.book(&broadcast_id, settled).await;
                }
            });
        }
        Ok(())
    }

    /// One delivery job: a retry, or a hand-off whose process stopped before it ended.
    async fn deliver_one(self: Arc<Self>, job: Job) -> Result<(), WorkError> {
        let broadcast_id = required(job.broadcast_id.as_deref())?;
        let subscriber_id = required(job.subscriber_id.as_deref())?;
        let channel = required(job.channel)?;
        let now = (self.clock)();
        let outcome = match self.store.target(subscriber_id, now).await? {
            Some(target) if target.state == SubscriberState::Active => {
                let broadcast = self.store.broadcast(broadcast_id).await?;
                let p = self.prepared(&broadcast).await?;
                match self.paused_until(&target, now) {
                    Some(until) => {
                        self.store
                            .retry_job(
                                job.lease,
                                until,
                                "waiting: the receiver asked to slow down".into(),
                            )
                            .await?;
                        return Ok(());
                    }
                    None => {
                        // The limit's semaphore is never closed, so this always waits for a slot.
                        let _slot = self.in_flight.acquire().await;
                        self.send(&p, &target, job.attempts).await
                    }
                }
            }
            Some(target) => Outcome::Failed {
                error: format!(
                    "not sent: the subscriber is {}",
                    match target.state {
                        SubscriberState::Pending => "not confirmed",
                        _ => "disabled",
                    }
                ),
                disable: false,
            },
            None => Outcome::Failed {
                error: "not sent: the subscriber was removed".into(),
                disable: false,
            },
        };
        let settled = Settled {
            subscriber_id: subscriber_id.to_string(),
            channel,
            outcome,
            failing: true,
        };
        self.store
            .settle_delivery(Some(job.lease), broadcast_id, settled, (self.clock)())
            .await?;
        Ok(())
    }

    /// Books a late outcome; a failure to book leaves the row to come due and run again.
    async fn book(&self, broadcast_id: &str, settled: Settled) {
        if let Err(err) = self
            .store
            .settle_delivery(None, broadcast_id, settled, (self.clock)())
            .await
        {
            tracing::warn!(%err, "could not record a delivery; it will be sent again");
        }
    }

    /// One attempt to one subscriber, judged by the retry policy. The caller holds a slot of
    /// the in-flight limit.
    async fn send(&self, p: &Prepared, target: &Target, failures: u32) -> Outcome {
        let attempt = self.attempt(p, target).await;
        let now = (self.clock)();
        let outcome = self.options.retry.outcome(
            attempt.clone(),
            failures,
            target.failing_since,
            now,
            rand::random(),
        );
        if let (Attempt::SlowDown { .. }, Outcome::Retry { at, .. }) = (&attempt, &outcome) {
            self.pause(target, *at);
        }
        outcome
    }

    async fn attempt(&self, p: &Prepared, target: &Target) -> Attempt {
        let (a, s) = (&p.announcement, target);
        let recipient = || self.links.recipient(&a.page.url, &s.id, (self.clock)());
        let (body, headers) = match s.channel {
            Channel::Email => {
                let message_id = format!("{}@herald", webhook::message_id(&a.broadcast_id, &s.id));
                let recipient = recipient();
                let sent = async {
                    let content = self.emails.update(a, &recipient)?;
                    let message = email::message(
                        &self.options.from,
                        &s.address,
                        &content,
                        Some(&recipient),
                        Some(&message_id),
                    )?;
                    Ok::<_, WorkError>(self.mailer.send(message).await?)
                };
                // Boxed: every delivery in flight is as big as its largest branch.
                return mail_attempt(Box::pin(sent).await);
            }
            Channel::Webhook => {
                let body = match s.format {
                    WebhookFormat::Herald => Cow::Borrowed(&p.herald[..]),
                    WebhookFormat::Statuspage => {
                        Cow::Owned(webhook::statuspage_body(a, &recipient()))
                    }
                };
                let id = webhook::message_id(&a.broadcast_id, &s.id);
                match signed(&target.secrets, id, &body) {
                    Ok(headers) => (body, headers),
                    Err(refused) => return refused,
                }
            }
            Channel::Slack => (Cow::Borrowed(&p.slack[..]), vec![]),
            Channel::Teams => (Cow::Borrowed(&p.teams[..]), vec![]),
        };
        http::post_json(&self.http, &s.address, &headers, &body).await
    }

    fn paused_until(&self, target: &Target, now: Timestamp) -> Option<Timestamp> {
        let paused = self.paused.lock().unwrap_or_else(|e| e.into_inner());
        let until = paused.get(&target.address).copied();
        until.filter(|until| *until > now)
    }

    fn pause(&self, target: &Target, until: Timestamp) {
        let mut paused = self.paused.lock().unwrap_or_else(|e| e.into_inner());
        let now = (self.clock)();
        paused.retain(|_, t| *t > now);
        paused.insert(target.address.clone(), until);
    }

    async fn confirmation(self: Arc<Self>, job: Job) -> Result<(), WorkError> {
        let id = required(job.subscriber_id.as_deref())?;
        let subscriber = match self.store.subscriber(None, id).await {
            Ok(s) if s.state == SubscriberState::Pending => s,
            // Confirmed, removed or disabled meanwhile: nothing to ask any more.
            Ok(_) | Err(StoreError::NotFound { .. }) => {
                return Ok(self.store.finish_job(job.lease).await?);
            }
            Err(err) => return Err(err.into()),
        };
        let page = build::page_info(
            self.store.page(&subscriber.page_id).await?,
            &self.options.base_url,
        );
        let now = (self.clock)();
        let url = self.links.confirm_url(&page.url, &subscriber.id, now);
        let content = self.emails.confirmation(&page, &url)?;
        let message = email::message(
            &self.options.from,
            &subscriber.address,
            &content,
            None,
            None,
        )?;
        let sent = self.mailer.send(message).await.map_err(WorkError::from);
        self.conclude(&job, sent).await
    }

    async fn notice(self: Arc<Self>, job: Job) -> Result<(), WorkError> {
        let id = required(job.subscriber_id.as_deref())?;
        let page = self.store.page(&job.page_id).await?;
        let admins = page.settings.admin_emails.clone();
        let page = build::page_info(page, &self.options.base_url);
        let (address, channel) = match self.store.subscriber(None, id).await {
            Ok(s) => (s.address, s.channel.name()),
            Err(StoreError::NotFound { .. }) => {
                return Ok(self.store.finish_job(job.lease).await?);
            }
            Err(err) => return Err(err.into()),
        };
        let reason = job.note.clone().unwrap_or_default();
        let content = self.emails.notice(&page, &address, channel, &reason)?;
        let mut sent = Ok(());
        for admin in &admins {
            let message = email::message(&self.options.from, admin, &content, None, None)?;
            sent = sent.and(self.mailer.send(message).await.map_err(WorkError::from));
        }
        self.conclude(&job, sent).await
    }

    /// A window's automation: the store starts or completes it, or queues the reminder's
    /// broadcast, which this worker then fans out like any other.
    async fn maintenance(self: Arc<Self>, job: Job) -> Result<(), WorkError> {
        let now = (self.clock)();
        if self.store.run_maintenance_job(job.lease, now).await? {
            tracing::info!(kind = ?job.kind, page = %job.page_id, "maintenance automation ran");
        }
        Ok(())
    }

    /// A cadence nudge: the store checks that it still applies and records it; each of its
    /// recipients' channels is sent to once. Channels that failed for a passing reason are
    /// tried again with the job's next attempt, up to [`NUDGE_ATTEMPTS`]: a nudge much later
    /// than its deadline helps nobody.
    async fn nudge(self: Arc<Self>, job: Job) -> Result<(), WorkError> {
        let now = (self.clock)();
        let base_url = &self.options.base_url;
        let Some(n) = self.store.run_cadence_job(job.lease, base_url, now).await? else {
            return Ok(());
        };
        let last_try = job.attempts + 1 >= NUDGE_ATTEMPTS;
        let mut settled = Vec::new();
        for r in &n.recipients {
            for c in &r.channels {
                let attempt = self.send_nudge(&n, r, c).await;
                let passing = matches!(attempt, Attempt::Failed { .. } | Attempt::SlowDown { .. });
                let outcome = match attempt {
                    Attempt::Delivered => NudgeOutcome::Delivered,
                    _ if passing && !last_try => NudgeOutcome::Retrying,
                    _ => NudgeOutcome::Failed,
                };
                let error = (outcome != NudgeOutcome::Delivered).then(|| describe(&attempt));
                let delivery = NudgeDelivery {
                    channel: c.channel,
                    address: c.address.clone(),
                    outcome,
                    error,
                    at: (self.clock)(),
                };
                settled.push((r.nudge_id, delivery));
            }
        }
        let retry = settled
            .iter()
            .any(|(_, d)| d.outcome == NudgeOutcome::Retrying)
            .then(|| {
                later(
                    now,
                    self.options.retry.delay(job.attempts + 1, rand::random()),
                )
            });
        tracing::info!(kind = ?n.kind, subject = %n.subject_id, recipients = n.recipients.len(), "cadence nudge");
        Ok(self.store.settle_nudge(job.lease, settled, retry).await?)
    }

    async fn send_nudge(&self, n: &NudgeToSend, r: &NudgeRecipient, c: &NudgeChannel) -> Attempt {
        let (nudge_id, secret) = (r.nudge_id, r.webhook_secret.as_str());
        let body = match c.channel {
            Channel::Email => {
                let sent = async {
                    let content = self.emails.nudge(n)?;
                    let id = format!("nudge-{nudge_id}@herald");
                    let message =
                        email::message(&self.options.from, &c.address, &content, None, Some(&id))?;
                    Ok::<_, WorkError>(self.mailer.send(message).await?)
                };
                return mail_attempt(sent.await);
            }
            Channel::Slack => slack::nudge(&n.text).to_string().into_bytes(),
            Channel::Teams => teams::nudge(&n.text).to_string().into_bytes(),
            Channel::Webhook => webhook::nudge_body(n, (self.clock)()),
        };
        // A stable id per nudge and endpoint lets a receiver drop a retry's duplicate.
        let headers = match c.channel {
            Channel::Webhook => match signed(&[secret], format!("nudge_{nudge_id}"), &body) {
                Ok(headers) => headers,
                Err(refused) => return refused,
            },
            _ => vec![],
        };
        http::post_json(&self.http, &c.address, &headers, &body).await
    }

    /// Finishes a confirmation or notice, or schedules it again after a passing failure.
    async fn conclude(&self, job: &Job, sent: Result<(), WorkError>) -> Result<(), WorkError> {
        match sent {
            Err(WorkError::Mail(err)) if !err.is_permanent() => {
                let wait = self.options.retry.delay(job.attempts + 1, rand::random());
                let at = later((self.clock)(), wait);
                Ok(self.store.retry_job(job.lease, at, err.to_string()).await?)
            }
            Err(err) => {
                tracing::warn!(job = job.lease.job, %err, "an email could not be sent and will not be retried");
                Ok(self.store.finish_job(job.lease).await?)
            }
            Ok(()) => Ok(self.store.finish_job(job.lease).await?),
        }
    }

    /// The broadcast rendered for every channel, kept for its retries.
    async fn prepared(&self, b: &Broadcast) -> Result<Arc<Prepared>, WorkError> {
        if let Some(p) = self.cached(&b.id) {
            return Ok(p);
        }
        let now = (self.clock)();
        let a = build::announcement(&*self.store, b, &self.options.base_url, now).await?;
        let p = Arc::new(Prepared {
            herald: webhook::herald_body(&a),
            slack: slack::message(&a).to_string().into_bytes(),
            teams: teams::message(&a).to_string().into_bytes(),
            announcement: a,
        });
        let mut cache = self.prepared.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHED_BROADCASTS {
            cache.clear();
        }
        cache.insert(b.id.clone(), p.clone());
        Ok(p)
    }

    fn cached(&self, id: &str) -> Option<Arc<Prepared>> {
        let cache = self.prepared.lock().unwrap_or_else(|e| e.into_inner());
        cache.get(id).cloned()
    }
}

/// A broadcast rendered once: the announcement, and the bodies every subscriber of a channel
/// gets alike.
struct Prepared {
    announcement: Announcement,
    herald: Vec<u8>,
    slack: Vec<u8>,
    teams: Vec<u8>,
}

/// Tries of a nudge's channels before giving up on them.
const NUDGE_ATTEMPTS: u32 = 4;

/// Beyond the request timeout and the batch's patience, before a claimed job is free again.
const LEASE_MARGIN: Duration = Duration::from_secs(5);

/// A batch whose deliveries are all started (or that was cut short), its answers to come.
struct Started {
    now: Timestamp,
    /// When the batch's patience ends.
    deadline: tokio::time::Instant,
    running: Vec<(String, Channel)>,
    handed_off: Vec<HandedOff>,
    answers: mpsc::UnboundedReceiver<Settled>,
    /// The last target dealt with (or where the batch was read from): the walk resumes after it.
    cursor: Option<String>,
    /// Whether the walk goes on after this batch.
    more: bool,
    /// Whether targets were left unstarted for want of a free slot.
    cut: bool,
}

impl Started {
    /// A batch of no one, read from `cursor`: the end of the walk.
    fn nobody(now: Timestamp, cursor: Option<String>) -> Started {
        let (_, answers) = mpsc::unbounded_channel();
        Started {
            now,
            deadline: tokio::time::Instant::now(),
            running: Vec::new(),
            handed_off: Vec::new(),
            answers,
            cursor,
            more: false,
            cut: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WorkError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Email(#[from] email::EmailError),
    #[error(transparent)]
    Mail(#[from] crate::mail::MailError),
    #[error("{0}")]
    Damaged(String),
}

fn required<T>(value: Option<T>) -> Result<T, WorkError> {
    value.ok_or_else(|| {
        WorkError::Damaged("a delivery job is missing its broadcast, subscriber or channel".into())
    })
}

/// An email attempt in the terms of the retry policy: a rejected recipient is permanent.
fn mail_attempt(sent: Result<(), WorkError>) -> Attempt {
    match sent {
        Ok(()) => Attempt::Delivered,
        Err(WorkError::Mail(err)) if !err.is_permanent() => Attempt::Failed {
            error: err.to_string(),
        },
        Err(err) => Attempt::Refused {
            error: err.to_string(),
        },
    }
}

/// The Standard Webhooks headers for a webhook body: its id, the time (the receiver checks it
/// against its own clock, so it is the real time) and the signature with each secret. A secret
/// that cannot sign refuses the attempt.
fn signed(
    secrets: &[impl AsRef<str>],
    id: String,
    body: &[u8],
) -> Result<Vec<(&'static str, String)>, Attempt> {
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let signature =
        webhook::sign(secrets, &id, timestamp, body).map_err(|err| Attempt::Refused {
            error: format!("cannot sign the delivery: {err}"),
        })?;
    Ok(vec![
        ("webhook-id", id),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", signature),
    ])
}
