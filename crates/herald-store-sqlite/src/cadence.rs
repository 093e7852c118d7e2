//! The update cadence: each subject's deadline for its next public update, the nudge jobs
//! armed for it, the nudges sent, and adherence. Incident and maintenance commits call
//! [`follow`] in their own transaction, so a deadline never lags the subject it is about.
use herald_core::adherence::{self, DeadlineRecord};
use herald_core::broadcast::Subject;
use herald_core::cadence::{self, MetBy, Step};
use herald_core::nudge::{self, About, NudgeChannel, NudgeKind, NudgeText};
use herald_core::page::Page;
use herald_core::user::User;
use herald_core::{DomainError, Id};
use jiff::Timestamp;

use super::codec::{from_json, from_name, from_opt_ts, from_ts, json, name, ts};
use super::{events, incidents, maintenance, pages, users};
use herald_store::ids::webhook_secret;
use herald_store::sql::{ToValue, Tx};
use herald_store::{
    Cadence, Lease, NudgeDelivery, NudgeOutcome, NudgeQuery, NudgeRecipient, NudgeRecord,
    NudgeToSend, PageAdherence, Result, Roles, StoreError, SubjectAdherence, UserRef, args,
};

/// A subject's open deadline: its row id and due time.
type Open = Option<(i64, Timestamp)>;

/// Puts the subject's deadline in line with a change: `before` and `after` are when the rules
/// want the next update before and after it, `published` whether it posted one.
pub fn follow(
    tx: &dyn Tx,
    page: &Page,
    subject: Subject,
    id: &str,
    (before, after): (Option<Timestamp>, Option<Timestamp>),
    published: bool,
    now: Timestamp,
) -> Result<()> {
    let open = open_deadline(tx, subject, id)?;
    let step = cadence::step(open.map(|(_, due)| due), before, after, published);
    apply(tx, page, subject, id, open, step, now)
}

fn open_deadline(tx: &dyn Tx, subject: Subject, id: &str) -> Result<Open> {
    let row = tx.query_opt(
        "SELECT id, due_at FROM cadence_deadlines
             WHERE subject = ?1 AND subject_id = ?2 AND met_at IS NULL",
        args![name(&subject)?, id],
        |row| Ok((row.get::<i64>(0)?, row.get::<i64>(1)?)),
    )?;
    row.map(|(id, due)| Ok((id, from_ts(due)?))).transpose()
}

/// Carries out a step: closes, moves or opens the deadline row, and re-arms its nudges.
fn apply(
    tx: &dyn Tx,
    page: &Page,
    subject: Subject,
    id: &str,
    open: Open,
    step: Step,
    now: Timestamp,
) -> Result<()> {
    let (keep, next) = match step {
        Step::Keep => return Ok(()),
        Step::Close { by, next } => {
            if let Some((deadline, _)) = open {
                tx.execute(
                    "UPDATE cadence_deadlines SET met_at = ?2, met_by = ?3 WHERE id = ?1",
                    args![deadline, ts(now), name(&by)?],
                )?;
                disarm(tx, deadline)?;
            }
            (None, next)
        }
        Step::Move(at) => (open.map(|(deadline, _)| deadline), Some(at)),
    };
    let Some(due_at) = next else { return Ok(()) };
    let deadline = match keep {
        Some(deadline) => {
            tx.execute(
                "UPDATE cadence_deadlines SET due_at = ?2 WHERE id = ?1",
                args![deadline, ts(due_at)],
            )?;
            disarm(tx, deadline)?;
            deadline
        }
        None => tx.query_one(
            "INSERT INTO cadence_deadlines (page_id, subject, subject_id, due_at, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
            args![page.id, name(&subject)?, id, ts(due_at), ts(now)],
            |row| row.get(0),
        )?,
    };
    let insert = "INSERT INTO jobs (kind, due_at, page_id, deadline_id, nudge, created_at)
         VALUES ('cadence_nudge', ?1, ?2, ?3, ?4, ?5)";
    for (kind, at) in nudge::instants(&page.settings.cadence_nudges, due_at, now) {
        tx.execute(
            insert,
            args![ts(at), page.id, deadline, name(&kind)?, ts(now)],
        )?;
    }
    Ok(())
}

fn disarm(tx: &dyn Tx, deadline: i64) -> Result<()> {
    tx.execute("DELETE FROM jobs WHERE deadline_id = ?1", args![deadline])?;
    Ok(())
}

/// The subject as a nudge names it, and when the rules want its next update; not found when
/// it is not on the page.
fn about(
    tx: &dyn Tx,
    page: &Page,
    subject: Subject,
    id: &str,
) -> Result<(About, Option<Timestamp>)> {
    Ok(match subject {
        Subject::Incident => {
            let i = incidents::get(tx, &page.id, id)?;
            (
                About::incident(&i),
                cadence::next_update_due(&page.settings.cadence, &i),
            )
        }
        Subject::Maintenance => {
            let m = maintenance::get(tx, &page.id, id)?;
            (
                About::maintenance(&m),
                m.next_update_due(page.settings.maintenance_cadence),
            )
        }
    })
}

fn kind_of<T>(subject: Subject, incident: T, window: T) -> T {
    match subject {
        Subject::Incident => incident,
        Subject::Maintenance => window,
    }
}

pub fn snooze(
    tx: &dyn Tx,
    actor: &str,
    page: &Page,
    subject: Subject,
    id: &str,
    minutes: u32,
    now: Timestamp,
) -> Result<Cadence> {
    let (_, ruled) = about(tx, page, subject, id)?;
    let open = open_deadline(tx, subject, id)?;
    // A subject from before deadlines were kept has none open yet: the rules' time stands in.
    let due = open.map(|(_, due)| due).or(ruled);
    let snooze = cadence::snooze(subject, id, due, minutes, now)?;
    apply(tx, page, subject, id, open, snooze.step, now)?;
    events::append(tx, Some(&page.id), actor, now, &snooze.event)?;
    get(tx, subject, id)
}

pub fn set_roles(
    tx: &dyn Tx,
    actor: &str,
    page: &Page,
    subject: Subject,
    id: &str,
    roles: Roles,
    now: Timestamp,
) -> Result<Cadence> {
    about(tx, page, subject, id)?;
    let before = get(tx, subject, id)?;
    let lead = roles
        .lead
        .as_deref()
        .map(|u| role_holder("lead", u))
        .transpose();
    let manager = roles
        .manager
        .as_deref()
        .map(|u| role_holder("manager", u))
        .transpose();
    let (lead, manager) = (lead?, manager?);
    let (lead, manager) = (
        lead.map(|u| users_ref(tx, "lead", u)).transpose()?,
        manager.map(|u| users_ref(tx, "manager", u)).transpose()?,
    );
    tx.execute("INSERT INTO subject_roles (subject, subject_id, page_id, lead_id, manager_id, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (subject, subject_id) DO UPDATE SET lead_id = ?4, manager_id = ?5, updated_at = ?6", args![
        name(&subject)?,
        id,
        page.id,
        lead.as_ref().map(|u| &u.id),
        manager.as_ref().map(|u| &u.id),
        ts(now)
    ])?;
    let after = get(tx, subject, id)?;
    let event = cadence::roles_changed(subject, id, &before, &after);
    events::append(tx, Some(&page.id), actor, now, &event)?;
    Ok(after)
}

fn role_holder<'a>(field: &'static str, given: &'a str) -> Result<&'a str> {
    match given.trim() {
        "" => Err(DomainError::invalid(
            field,
            "give a user's id or email address, or null for nobody",
        )
        .into()),
        given => Ok(given),
    }
}

/// The active user a role names; a clear 422 naming the role otherwise.
fn users_ref(tx: &dyn Tx, field: &'static str, id_or_email: &str) -> Result<UserRef> {
    let user = match users::get(tx, id_or_email) {
        Ok(user) => user,
        Err(StoreError::NotFound { .. }) => {
            return Err(DomainError::invalid(
                field,
                format!(
                    "{id_or_email:?} is not a console user; create one with `herald user create`"
                ),
            )
            .into());
        }
        Err(err) => return Err(err),
    };
    if !user.is_active() {
        return Err(DomainError::invalid(
            field,
            format!("{} is disabled; choose an active user", user.email),
        )
        .into());
    }
    Ok(user_ref(&user))
}

fn user_ref(user: &User) -> UserRef {
    UserRef {
        id: user.id.clone(),
        email: user.email.clone(),
        name: user.name.clone(),
    }
}

/// The subject's open deadline and roles; the caller has checked that it exists.
fn get(tx: &dyn Tx, subject: Subject, id: &str) -> Result<Cadence> {
    let (lead, manager) = roles(tx, subject, id)?;
    Ok(Cadence {
        subject,
        subject_id: id.to_string(),
        next_update_due: open_deadline(tx, subject, id)?.map(|(_, due)| due),
        lead: lead.as_ref().map(user_ref),
        manager: manager.as_ref().map(user_ref),
    })
}

fn roles(tx: &dyn Tx, subject: Subject, id: &str) -> Result<(Option<User>, Option<User>)> {
    let row = tx
        .query_opt(
            "SELECT lead_id, manager_id FROM subject_roles WHERE subject = ?1 AND subject_id = ?2",
            args![name(&subject)?, id],
            |row| Ok((row.get::<Option<String>>(0)?, row.get::<Option<String>>(1)?)),
        )?
        .unwrap_or_default();
    let user = |id: Option<String>| id.map(|id| users::get(tx, &id)).transpose();
    Ok((user(row.0)?, user(row.1)?))
}

/// Checks that the subject is on the page, then its cadence.
pub fn cadence(tx: &dyn Tx, page: &Page, subject: Subject, id: &str) -> Result<Cadence> {
    about(tx, page, subject, id)?;
    get(tx, subject, id)
}

fn deadlines(tx: &dyn Tx, filter: &str, args: &[&dyn ToValue]) -> Result<Vec<DeadlineRecord>> {
    let rows = tx.query(
        &format!(
        "SELECT subject, subject_id, due_at, met_at, met_by FROM cadence_deadlines WHERE {filter}
         ORDER BY created_at, id"
    ),
        args,
        |row| {
            Ok((
                row.get::<String>(0)?,
                row.get::<String>(1)?,
                row.get::<i64>(2)?,
                row.get::<Option<i64>>(3)?,
                row.get::<Option<String>>(4)?,
            ))
        },
    )?;
    rows.into_iter()
        .map(|(subject, subject_id, due, met, by)| {
            Ok(DeadlineRecord {
                subject: from_name(&subject)?,
                subject_id,
                due_at: from_ts(due)?,
                met_at: from_opt_ts(met)?,
                met_by: by.as_deref().map(from_name::<MetBy>).transpose()?,
            })
        })
        .collect()
}

pub fn subject_adherence(
    tx: &dyn Tx,
    page: &Page,
    subject: Subject,
    id: &str,
    now: Timestamp,
) -> Result<SubjectAdherence> {
    let (about, _) = about(tx, page, subject, id)?;
    let rows = deadlines(
        tx,
        "subject = ?1 AND subject_id = ?2",
        &[&name(&subject)?, &id],
    )?;
    Ok(SubjectAdherence {
        subject,
        subject_id: id.to_string(),
        title: about.title,
        adherence: adherence::adherence(&rows, now),
    })
}

pub fn page_adherence(tx: &dyn Tx, page: &Page, now: Timestamp) -> Result<PageAdherence> {
    let rows = deadlines(tx, "page_id = ?1", &[&page.id])?;
    let mut order: Vec<(Subject, &Id)> = Vec::new();
    for row in &rows {
        if !order.contains(&(row.subject, &row.subject_id)) {
            order.push((row.subject, &row.subject_id));
        }
    }
    let subjects = order
        .into_iter()
        .map(|(subject, id)| {
            let own = rows
                .iter()
                .filter(|r| r.subject == subject && &r.subject_id == id);
            Ok(SubjectAdherence {
                subject,
                subject_id: id.clone(),
                title: title(tx, subject, id)?,
                adherence: adherence::adherence(own, now),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(PageAdherence {
        page_id: page.id.clone(),
        slug: page.slug.clone(),
        total: adherence::adherence(&rows, now),
        subjects,
    })
}

fn title(tx: &dyn Tx, subject: Subject, id: &str) -> Result<String> {
    let table = kind_of(subject, "incidents", "maintenance_windows");
    tx.query_one(
        &format!("SELECT title FROM {table} WHERE id = ?1"),
        args![id],
        |row| row.get(0),
    )
}

/// See [`crate::Store::run_cadence_job`].
pub fn run_job(
    tx: &dyn Tx,
    lease: Lease,
    base_url: &str,
    now: Timestamp,
) -> Result<Option<NudgeToSend>> {
    super::delivery::hold(tx, lease)?;
    let job = tx.query_opt(
        "SELECT d.id, j.nudge, d.page_id, d.subject, d.subject_id, d.due_at
             FROM jobs j JOIN cadence_deadlines d ON d.id = j.deadline_id
             WHERE j.id = ?1 AND j.kind = 'cadence_nudge' AND d.met_at IS NULL",
        args![lease.job],
        |row| {
            Ok((
                row.get::<i64>(0)?,
                row.get::<String>(1)?,
                row.get::<String>(2)?,
                row.get::<String>(3)?,
                row.get::<String>(4)?,
                row.get::<i64>(5)?,
            ))
        },
    )?;
    let Some((deadline, kind, page_id, subject, subject_id, due)) = job else {
        // Met or gone meanwhile: nothing to say.
        super::delivery::finish(tx, lease)?;
        return Ok(None);
    };
    let (kind, subject, due_at): (NudgeKind, Subject, _) =
        (from_name(&kind)?, from_name(&subject)?, from_ts(due)?);
    let page = pages::get(tx, &page_id)?;
    let (about, ruled) = match about(tx, &page, subject, &subject_id) {
        Ok(found) => found,
        Err(StoreError::NotFound { .. }) => (
            About {
                subject,
                id: subject_id.clone(),
                title: String::new(),
                detail: String::new(),
            },
            None,
        ),
        Err(err) => return Err(err),
    };
    if ruled.is_none() {
        super::delivery::finish(tx, lease)?;
        return Ok(None);
    }
    let text = NudgeText::new(kind, &about, &page, due_at, now, base_url);
    let recorded = recorded(tx, deadline, kind, due_at)?;
    let recipients = match recorded.is_empty() {
        true => record(
            tx,
            &page,
            (subject, &subject_id),
            deadline,
            kind,
            due_at,
            &text,
            now,
        )?,
        false => recorded,
    };
    Ok(Some(NudgeToSend {
        subject,
        subject_id,
        due_at,
        kind,
        text,
        page_name: page.name,
        recipients,
    }))
}

/// Records the nudge for each of its recipients (one row for the console when nobody is
/// there to send it to); what to send to each.
#[allow(clippy::too_many_arguments)]
fn record(
    tx: &dyn Tx,
    page: &Page,
    (subject, subject_id): (Subject, &str),
    deadline: i64,
    kind: NudgeKind,
    due_at: Timestamp,
    text: &NudgeText,
    now: Timestamp,
) -> Result<Vec<NudgeRecipient>> {
    let (lead, manager) = roles(tx, subject, subject_id)?;
    let admins = users::list(tx)?;
    let to = nudge::recipients(kind, lead.as_ref(), manager.as_ref(), &admins);
    let insert = "INSERT INTO nudges (page_id, subject, subject_id, deadline_id, user_id, kind, headline, body, url, due_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) RETURNING id";
    let mut out = Vec::new();
    let ids: Vec<Option<&User>> = match to.is_empty() {
        true => vec![None],
        false => to.into_iter().map(Some).collect(),
    };
    for user in ids {
        let nudge_id: i64 = tx.query_one(
            insert,
            args![
                page.id,
                name(&subject)?,
                subject_id,
                deadline,
                user.map(|u| &u.id),
                name(&kind)?,
                text.headline,
                text.body,
                text.url,
                ts(due_at),
                ts(now)
            ],
            |row| row.get(0),
        )?;
        if let Some(user) = user {
            out.push(NudgeRecipient {
                nudge_id,
                user: user_ref(user),
                channels: nudge::channels_of(user, &channels(tx, &user.id)?),
                webhook_secret: webhook_secret_of(tx, &user.id)?,
            });
        }
    }
    Ok(out)
}

/// The nudge's rows from an earlier attempt, each with the channels still to send to: those
/// neither delivered nor given up on.
fn recorded(
    tx: &dyn Tx,
    deadline: i64,
    kind: NudgeKind,
    due_at: Timestamp,
) -> Result<Vec<NudgeRecipient>> {
    let rows: Vec<(i64, Option<String>, String)> = tx.query("SELECT id, user_id, deliveries FROM nudges WHERE deadline_id = ?1 AND kind = ?2 AND due_at = ?3 ORDER BY id", args![deadline, name(&kind)?, ts(due_at)], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
    let mut out = Vec::new();
    for (nudge_id, user_id, deliveries) in rows {
        let Some(user_id) = user_id else { continue };
        let user = users::get(tx, &user_id)?;
        let done: Vec<NudgeDelivery> = from_json(&deliveries)?;
        let channels = nudge::channels_of(&user, &channels(tx, &user.id)?)
            .into_iter()
            .filter(|c| {
                !done.iter().any(|d| {
                    d.channel == c.channel
                        && d.address == c.address
                        && d.outcome != NudgeOutcome::Retrying
                })
            })
            .collect();
        out.push(NudgeRecipient {
            nudge_id,
            user: user_ref(&user),
            channels,
            webhook_secret: webhook_secret_of(tx, &user.id)?,
        });
    }
    Ok(out)
}

/// See [`crate::Store::nudge_channels`].
pub fn channels_of(tx: &dyn Tx, user: &str) -> Result<Vec<NudgeChannel>> {
    channels(tx, &users::get(tx, user)?.id)
}

fn channels(tx: &dyn Tx, user_id: &str) -> Result<Vec<NudgeChannel>> {
    let stored: String = tx.query_one(
        "SELECT nudge_channels FROM users WHERE id = ?1",
        args![user_id],
        |row| row.get(0),
    )?;
    from_json(&stored)
}

/// See [`crate::Store::nudge_secret`].
pub fn nudge_secret(tx: &dyn Tx, user: &str) -> Result<String> {
    webhook_secret_of(tx, &users::get(tx, user)?.id)
}

fn webhook_secret_of(tx: &dyn Tx, user_id: &str) -> Result<String> {
    let key: Vec<u8> = tx.query_one(
        "SELECT nudge_key FROM users WHERE id = ?1",
        args![user_id],
        |row| row.get(0),
    )?;
    Ok(webhook_secret(&key))
}

/// See [`crate::Store::settle_nudge`].
pub fn settle(
    tx: &dyn Tx,
    lease: Lease,
    deliveries: &[(i64, NudgeDelivery)],
    retry_at: Option<Timestamp>,
) -> Result<()> {
    super::delivery::hold(tx, lease)?;
    for (nudge_id, delivery) in deliveries {
        let stored: Option<String> = tx.query_opt(
            "SELECT deliveries FROM nudges WHERE id = ?1",
            args![nudge_id],
            |row| row.get(0),
        )?;
        let Some(stored) = stored else { continue };
        let mut all: Vec<NudgeDelivery> = from_json(&stored)?;
        all.retain(|d| !(d.channel == delivery.channel && d.address == delivery.address));
        all.push(delivery.clone());
        tx.execute(
            "UPDATE nudges SET deliveries = ?2 WHERE id = ?1",
            args![nudge_id, json(&all)?],
        )?;
    }
    match retry_at {
        Some(at) => {
            let error = deliveries
                .iter()
                .find_map(|(_, d)| d.error.clone())
                .unwrap_or_default();
            super::delivery::retry(tx, lease, at, &error)
        }
        None => super::delivery::finish(tx, lease),
    }
}

pub fn nudges(tx: &dyn Tx, page: &Page, query: &NudgeQuery) -> Result<Vec<NudgeRecord>> {
    let user = query
        .user
        .as_deref()
        .map(|u| users::get(tx, u))
        .transpose()?;
    let stmt = "SELECT n.id, n.subject, n.subject_id, n.user_id, n.kind, n.headline, n.body, n.url, n.due_at,
                n.created_at, n.seen_at, n.deliveries
         FROM nudges n WHERE n.page_id = ?1 AND (?2 IS NULL OR n.user_id = ?2) AND n.created_at >= ?3
             AND (NOT ?5 OR n.seen_at IS NULL)
         ORDER BY n.created_at DESC, n.id DESC LIMIT ?4";
    let since = query.since.map_or(i64::MIN, ts);
    let rows = tx.query(
        stmt,
        args![
            page.id,
            user.as_ref().map(|u| &u.id),
            since,
            query.limit.min(herald_store::MAX_LIST_LIMIT),
            query.unseen
        ],
        |row| {
            Ok((
                (
                    row.get::<i64>(0)?,
                    row.get::<String>(1)?,
                    row.get::<String>(2)?,
                    row.get::<Option<String>>(3)?,
                ),
                (
                    row.get::<String>(4)?,
                    row.get::<String>(5)?,
                    row.get::<String>(6)?,
                    row.get::<String>(7)?,
                ),
                (
                    row.get::<i64>(8)?,
                    row.get::<i64>(9)?,
                    row.get::<Option<i64>>(10)?,
                    row.get::<String>(11)?,
                ),
            ))
        },
    )?;
    rows.into_iter()
        .map(
            |(
                (id, subject, subject_id, user_id),
                (kind, headline, body, url),
                (due, created, seen, deliveries),
            )| {
                Ok(NudgeRecord {
                    id,
                    page_id: page.id.clone(),
                    subject: from_name(&subject)?,
                    subject_id,
                    user: user_id
                        .map(|u| users::get(tx, &u))
                        .transpose()?
                        .as_ref()
                        .map(user_ref),
                    kind: from_name(&kind)?,
                    text: NudgeText {
                        headline,
                        body,
                        url,
                    },
                    due_at: from_ts(due)?,
                    created_at: from_ts(created)?,
                    seen_at: from_opt_ts(seen)?,
                    deliveries: from_json(&deliveries)?,
                })
            },
        )
        .collect()
}

/// Marks every nudge the user has been sent so far as seen; how many were new. Audited as
/// `user.nudges_seen` when there were any.
pub fn mark_seen(tx: &dyn Tx, actor: &str, user_id: &str, now: Timestamp) -> Result<usize> {
    let user = users::get(tx, user_id)?;
    let seen = tx.execute("UPDATE nudges SET seen_at = ?2 WHERE user_id = ?1 AND seen_at IS NULL AND created_at <= ?2", args![user.id, ts(now)])?;
    if seen > 0 {
        events::append(tx, None, actor, now, &nudge::seen_event(&user.id, seen))?;
    }
    Ok(seen)
}

pub fn set_channels(
    tx: &dyn Tx,
    actor: &str,
    user: &str,
    channels: Vec<NudgeChannel>,
    now: Timestamp,
) -> Result<Vec<NudgeChannel>> {
    let user = users::get(tx, user)?;
    let checked = nudge::check_channels(channels)?;
    let before = self::channels(tx, &user.id)?;
    tx.execute(
        "UPDATE users SET nudge_channels = ?2, updated_at = ?3 WHERE id = ?1",
        args![user.id, json(&checked)?, ts(now)],
    )?;
    let event = nudge::channels_changed(&user.id, &before, &checked);
    events::append(tx, None, actor, now, &event)?;
    Ok(checked)
}
