//! `herald incident list|show|create|update|resolve|edit`
use clap::{Args, Subcommand};
use herald_core::cadence::next_update_due;
use herald_core::component::{self, Component};
use herald_core::incident::{
    self, AffectedLocation, Channels, Incident, IncidentEdit, IncidentState, NewIncident, Severity,
    StatusChange, UpdateDraft,
};
use herald_core::status::StatusLevel;
use herald_store::{IncidentFilter, IncidentQuery, Store};
use jiff::Timestamp;
use serde_json::json;

use super::{actor, output};

#[derive(Subcommand, Debug)]
pub enum IncidentCommand {
    /// List incidents, newest first.
    List {
        #[arg(long)]
        page: String,
        /// active, resolved or all.
        #[arg(long, default_value = "all", value_parser = parse_filter)]
        state: IncidentFilter,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// Show one incident with its timeline.
    Show {
        #[arg(long)]
        page: String,
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Declare an incident with its first update.
    Create {
        #[arg(long)]
        page: String,
        #[arg(long)]
        title: String,
        /// 1 (critical) to 4 (low).
        #[arg(long)]
        severity: u8,
        /// A component id (all its locations) or a location id; repeat for several.
        #[arg(long = "affected", required = true)]
        affected: Vec<String>,
        /// The level of the affected locations, by name (degraded_performance) or Status.io code (300).
        #[arg(long, value_parser = parse_level)]
        status: StatusLevel,
        #[command(flatten)]
        update: UpdateArgs,
        /// investigating, identified or monitoring.
        #[arg(long, default_value = "investigating", value_parser = parse_state)]
        state: IncidentState,
    },
    /// Post an update to an incident.
    Update {
        #[arg(long)]
        page: String,
        id: String,
        /// investigating, identified, monitoring or resolved.
        #[arg(long, value_parser = parse_state)]
        state: IncidentState,
        /// A new level for all affected locations (default: keep them).
        #[arg(long, value_parser = parse_level)]
        status: Option<StatusLevel>,
        #[command(flatten)]
        update: UpdateArgs,
    },
    /// Resolve an incident: its locations return to operational.
    Resolve {
        #[arg(long)]
        page: String,
        id: String,
        #[command(flatten)]
        update: UpdateArgs,
    },
    /// Change an incident's title, severity, affected locations or issue link without posting
    /// an update.
    Edit {
        #[arg(long)]
        page: String,
        id: String,
        #[arg(long)]
        title: Option<String>,
        /// 1 (critical) to 4 (low).
        #[arg(long)]
        severity: Option<u8>,
        /// The new affected list, ID or ID=LEVEL, repeated: a component id stands for all its
        /// locations; without a level a location keeps its own (a new one takes the
        /// incident's). A location left out is no longer affected.
        #[arg(long = "affected", value_parser = parse_edited)]
        affected: Vec<(String, Option<StatusLevel>)>,
        /// The incident's issue in the tracker; "" removes it.
        #[arg(long)]
        issue_link: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
pub struct UpdateArgs {
    /// The update's text (Markdown).
    #[arg(long)]
    details: String,
    /// Minutes until the next update, overriding the cadence table.
    #[arg(long)]
    next_update_in: Option<u32>,
    /// The broadcast subject (default: the page's).
    #[arg(long)]
    subject: Option<String>,
    /// The incident's issue in the tracker; fills the templates' {issue_link}.
    #[arg(long)]
    issue_link: Option<String>,
    #[arg(long)]
    json: bool,
}

fn parse_filter(value: &str) -> Result<IncidentFilter, String> {
    serde_json::from_value(json!(value))
        .map_err(|_| format!("{value:?}: use active, resolved or all"))
}

fn parse_state(value: &str) -> Result<IncidentState, String> {
    serde_json::from_value(json!(value))
        .map_err(|_| format!("{value:?}: use investigating, identified, monitoring or resolved"))
}

/// `ID` or `ID=LEVEL`.
fn parse_edited(value: &str) -> Result<(String, Option<StatusLevel>), String> {
    match value.split_once('=') {
        Some((id, level)) => Ok((id.to_string(), Some(parse_level(level)?))),
        None => Ok((value.to_string(), None)),
    }
}

fn parse_level(value: &str) -> Result<StatusLevel, String> {
    let by_code = value.parse().ok().and_then(StatusLevel::from_statusio_code);
    by_code
        .or_else(|| serde_json::from_value(json!(value)).ok())
        .ok_or_else(|| {
            format!("{value:?}: use operational, under_maintenance, degraded_performance, partial_service_disruption, service_disruption, security_event, or a code 100-600")
        })
}

pub async fn run(store: &dyn Store, cmd: IncidentCommand) -> anyhow::Result<()> {
    let now = Timestamp::now();
    match cmd {
        IncidentCommand::List {
            page,
            state,
            limit,
            json,
        } => {
            let incidents = store
                .incidents(
                    &page,
                    IncidentQuery {
                        filter: state,
                        limit,
                        before: None,
                    },
                )
                .await?;
            if output::for_scripts(json) {
                return output::json(&incidents);
            }
            let rows: Vec<Vec<String>> = incidents
                .iter()
                .map(|i| {
                    vec![
                        i.id.clone(),
                        format!("sev{}", i.severity.get()),
                        i.state.label().into(),
                        i.level().label().into(),
                        i.created_at.strftime("%Y-%m-%d %H:%M UTC").to_string(),
                        i.title.clone(),
                    ]
                })
                .collect();
            output::table(&["ID", "SEV", "STATE", "LEVEL", "OPENED", "TITLE"], &rows);
            Ok(())
        }
        IncidentCommand::Show { page, id, json } => {
            let incident = store.incident(&page, &id).await?;
            show(store, &page, &incident, json).await
        }
        IncidentCommand::Create {
            page,
            title,
            severity,
            affected,
            status,
            update,
            state,
        } => {
            let components = store.components(&page).await?;
            let affected = resolve_affected(&components, &affected, status)?;
            let new = NewIncident {
                title,
                severity: Severity::new(severity)?,
                state,
                details: update.details,
                affected,
                channels: Channels::default(),
                subject: update.subject,
                next_update_in: update.next_update_in,
                issue_link: update.issue_link,
            };
            let incident = store.create_incident(&actor(), &page, new, now).await?;
            show(store, &page, &incident, update.json).await
        }
        IncidentCommand::Update {
            page,
            id,
            state,
            status,
            update,
        } => {
            let change = status.map_or(StatusChange::Keep, StatusChange::All);
            post(store, &page, &id, state, change, update, now).await
        }
        IncidentCommand::Resolve { page, id, update } => {
            post(
                store,
                &page,
                &id,
                IncidentState::Resolved,
                StatusChange::Keep,
                update,
                now,
            )
            .await
        }
        IncidentCommand::Edit {
            page,
            id,
            title,
            severity,
            affected,
            issue_link,
            json,
        } => {
            let affected = match affected.is_empty() {
                true => None,
                false => Some(incident::edited_locations(
                    &store.components(&page).await?,
                    &affected,
                )),
            };
            let edit = IncidentEdit {
                title,
                severity: severity.map(Severity::new).transpose()?,
                affected,
                issue_link,
            };
            let incident = store.edit_incident(&actor(), &page, &id, edit, now).await?;
            show(store, &page, &incident, json).await
        }
    }
}

async fn post(
    store: &dyn Store,
    page: &str,
    id: &str,
    state: IncidentState,
    status: StatusChange,
    args: UpdateArgs,
    now: Timestamp,
) -> anyhow::Result<()> {
    let draft = UpdateDraft {
        state,
        details: args.details,
        status,
        channels: Channels::default(),
        subject: args.subject,
        next_update_in: args.next_update_in,
        issue_link: args.issue_link,
    };
    let incident = store.post_update(&actor(), page, id, draft, now).await?;
    show(store, page, &incident, args.json).await
}

/// Component ids stand for all their locations; location ids for themselves.
fn resolve_affected(
    components: &[Component],
    ids: &[String],
    level: StatusLevel,
) -> anyhow::Result<Vec<AffectedLocation>> {
    Ok(component::locations_named(components, ids)
        .into_iter()
        .map(|location_id| AffectedLocation { location_id, level })
        .collect())
}

async fn show(
    store: &dyn Store,
    page: &str,
    incident: &Incident,
    json: bool,
) -> anyhow::Result<()> {
    let page = store.page(page).await?;
    let due = next_update_due(&page.settings.cadence, incident);
    if output::for_scripts(json) {
        let mut value = serde_json::to_value(incident)?;
        value["next_update_due"] = json!(due);
        value["closed_at"] = json!(incident.closed_at());
        return output::json(&value);
    }
    println!("{} — {}", incident.id, incident.title);
    println!(
        "severity {} · {} · {}",
        incident.severity.get(),
        incident.state.label(),
        incident.level().label()
    );
    if let Some(reason) = &incident.severity_reason {
        println!("severity note: {reason}");
    }
    match due {
        Some(due) => println!("next update due: {}", due.strftime("%Y-%m-%d %H:%M:%S UTC")),
        None => println!("no further updates due"),
    }
    if let Some(url) = &incident.issue_link {
        println!("issue: {url}");
    }
    if let Some(url) = &incident.postmortem_url {
        println!("post-mortem: {url}");
    }
    println!();
    let rows: Vec<Vec<String>> = incident
        .updates
        .iter()
        .map(|u| {
            vec![
                u.at.strftime("%Y-%m-%d %H:%M UTC").to_string(),
                u.state.label().into(),
                u.author.clone(),
                u.details.clone(),
            ]
        })
        .collect();
    output::table(&["TIME", "STATE", "AUTHOR", "DETAILS"], &rows);
    Ok(())
}
