//! Status.io request bodies. Its clients send flags as "0"/"1" strings or as numbers, codes as
//! numbers or numeric strings, and some send a component or container as a one-element array;
//! all of these are accepted.
use herald_core::component::{Component, Location};
use herald_core::incident::{
    AffectedLocation, Channels, IncidentState, NewIncident, Severity, StatusChange, UpdateDraft,
};
use herald_core::maintenance::{MaintenanceDraft, MaintenanceState, NewMaintenance};
use herald_core::status::StatusLevel;
use herald_core::subscriber::{Channel, NewSubscriber, WebhookFormat};
use herald_core::{DomainError, Id, planned_time};
use herald_store::SubscriberPatch;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::ApiError;

/// Status.io has no severity; an incident created through this API is severity 3 unless the
/// request carries Herald's own `severity` field.
const DEFAULT_SEVERITY: u8 = 3;

#[derive(Deserialize)]
pub struct ComponentStatusUpdate {
    pub statuspage_id: String,
    #[serde(default, alias = "components", deserialize_with = "one_id")]
    pub component: Option<String>,
    #[serde(default, alias = "containers", deserialize_with = "one_id")]
    pub container: Option<String>,
    #[serde(deserialize_with = "code")]
    pub current_status: u16,
}

impl ComponentStatusUpdate {
    pub fn target(&self) -> Result<(String, String, StatusLevel), ApiError> {
        let component = self
            .component
            .clone()
            .ok_or_else(|| ApiError::bad_request("component is required: the id of a component"))?;
        let container = self.container.clone().ok_or_else(|| {
            ApiError::bad_request(
                "container is required: the id of one of the component's containers",
            )
        })?;
        Ok((component, container, level(self.current_status)?))
    }
}

/// The broadcast flags every incident call and every maintenance update carry; a flag left
/// out is off, as on Status.io.
#[derive(Deserialize, Default)]
pub struct NotifyFlags {
    #[serde(default, deserialize_with = "flag")]
    notify_email: bool,
    #[serde(default, deserialize_with = "flag")]
    notify_sms: bool,
    #[serde(default, deserialize_with = "flag")]
    notify_webhook: bool,
    #[serde(default, deserialize_with = "flag")]
    social: bool,
    #[serde(default, deserialize_with = "flag")]
    irc: bool,
    #[serde(default, deserialize_with = "flag")]
    msteams: bool,
    #[serde(default, deserialize_with = "flag")]
    slack: bool,
}

impl NotifyFlags {
    fn channels(&self) -> Channels {
        Channels {
            email: self.notify_email,
            webhook: self.notify_webhook,
            slack: self.slack,
            teams: self.msteams,
            social: self.social,
            irc: self.irc,
            sms: self.notify_sms,
        }
    }
}

#[derive(Deserialize)]
pub struct CreateIncident {
    pub statuspage_id: String,
    pub incident_name: String,
    pub incident_details: String,
    /// `"<component id>-<container id>"` pairs.
    #[serde(default)]
    pub infrastructure_affected: Vec<String>,
    #[serde(default, deserialize_with = "flag")]
    pub all_infrastructure_affected: bool,
    #[serde(deserialize_with = "code")]
    pub current_status: u16,
    #[serde(deserialize_with = "code")]
    pub current_state: u16,
    #[serde(default)]
    pub message_subject: Option<String>,
    /// Herald's own: 1 to 4.
    #[serde(default)]
    pub severity: Option<u8>,
    /// Herald's own: the incident's issue in the tracker, filling `{issue_link}`.
    #[serde(default)]
    pub issue_link: Option<String>,
    #[serde(flatten)]
    pub notify: NotifyFlags,
}

impl CreateIncident {
    pub fn to_new_incident(&self, components: &[Component]) -> Result<NewIncident, ApiError> {
        let level = level(self.current_status)?;
        let locations = affected_locations(
            components,
            self.all_infrastructure_affected,
            &self.infrastructure_affected,
        )?;
        Ok(NewIncident {
            title: self.incident_name.clone(),
            severity: Severity::new(self.severity.unwrap_or(DEFAULT_SEVERITY))?,
            state: active_state(self.current_state)?,
            details: self.incident_details.clone(),
            affected: locations
                .into_iter()
                .map(|location_id| AffectedLocation { location_id, level })
                .collect(),
            channels: self.notify.channels(),
            subject: self.message_subject.clone(),
            next_update_in: None,
            issue_link: self.issue_link.clone(),
        })
    }
}

/// The locations an incident or maintenance window affects: every container of every
/// component with `all_infrastructure_affected`, else those named by the
/// `infrastructure_affected` pairs.
fn affected_locations(
    components: &[Component],
    all: bool,
    pairs: &[String],
) -> Result<Vec<Id>, ApiError> {
    if all {
        return Ok(components
            .iter()
            .flat_map(|c| c.locations.iter().map(|l| l.id.clone()))
            .collect());
    }
    pairs
        .iter()
        .map(|pair| location_of(components, "infrastructure_affected", pair).map(|l| l.id.clone()))
        .collect()
}

/// `maintenance/schedule`. Planned times are UTC, dates MM/DD/YYYY and times HH:MM.
#[derive(Deserialize)]
pub struct ScheduleMaintenance {
    pub statuspage_id: String,
    pub maintenance_name: String,
    pub maintenance_details: String,
    /// `"<component id>-<container id>"` pairs.
    #[serde(default)]
    pub infrastructure_affected: Vec<String>,
    #[serde(default, deserialize_with = "flag")]
    pub all_infrastructure_affected: bool,
    pub date_planned_start: String,
    pub time_planned_start: String,
    pub date_planned_end: String,
    pub time_planned_end: String,
    /// Off unless set, as on Status.io.
    #[serde(default, deserialize_with = "flag")]
    pub automation: bool,
    #[serde(default, deserialize_with = "flag")]
    pub maintenance_notify_now: bool,
    #[serde(default, deserialize_with = "flag")]
    pub maintenance_notify_72_hr: bool,
    #[serde(default, deserialize_with = "flag")]
    pub maintenance_notify_24_hr: bool,
    #[serde(default, deserialize_with = "flag")]
    pub maintenance_notify_1_hr: bool,
}

impl ScheduleMaintenance {
    pub fn to_new_maintenance(&self, components: &[Component]) -> Result<NewMaintenance, ApiError> {
        let affected = affected_locations(
            components,
            self.all_infrastructure_affected,
            &self.infrastructure_affected,
        )?;
        if affected.is_empty() {
            return Err(DomainError::invalid(
                "infrastructure_affected",
                "a maintenance window needs at least one container; list \"<component id>-<container id>\" pairs in infrastructure_affected, or set all_infrastructure_affected",
            )
            .into());
        }
        let planned = |which: &str, date: &str, time: &str| {
            planned_time::from_statusio(date, time).map_err(|err| {
                ApiError::bad_request(format!(
                    "date_planned_{which} and time_planned_{which}: {err}"
                ))
            })
        };
        let reminders = [
            (self.maintenance_notify_72_hr, 72 * 60),
            (self.maintenance_notify_24_hr, 24 * 60),
            (self.maintenance_notify_1_hr, 60),
        ];
        let now = self.maintenance_notify_now;
        Ok(NewMaintenance {
            title: self.maintenance_name.clone(),
            details: self.maintenance_details.clone(),
            affected,
            starts_at: planned("start", &self.date_planned_start, &self.time_planned_start)?,
            ends_at: planned("end", &self.date_planned_end, &self.time_planned_end)?,
            automation: self.automation,
            reminders: Some(reminders.iter().filter(|r| r.0).map(|r| r.1).collect()),
            // What incident/create's notify_email, notify_webhook, slack and msteams choose.
            channels: Channels {
                email: now,
                webhook: now,
                slack: now,
                teams: now,
                social: false,
                irc: false,
                sms: false,
            },
        })
    }
}

/// `maintenance/start`, `maintenance/update` and `maintenance/finish`. Status.io's clients send
/// the text as `maintenance_details`; `details` works too.
#[derive(Deserialize)]
pub struct MaintenanceStep {
    pub statuspage_id: String,
    pub maintenance_id: String,
    #[serde(alias = "details")]
    pub maintenance_details: String,
    /// Herald's own: email even though a reminder of the window goes out within the hour.
    #[serde(default, deserialize_with = "flag")]
    pub confirm_duplicate_email: bool,
    #[serde(flatten)]
    pub notify: NotifyFlags,
}

impl MaintenanceStep {
    /// An update leaving the window in `state` (its current one when `None`).
    pub fn draft(&self, state: Option<MaintenanceState>) -> MaintenanceDraft {
        MaintenanceDraft {
            state,
            details: self.maintenance_details.clone(),
            channels: self.notify.channels(),
            confirm_duplicate_email: self.confirm_duplicate_email,
        }
    }
}

#[derive(Deserialize)]
pub struct DeleteMaintenance {
    pub statuspage_id: String,
    pub maintenance_id: String,
}

/// Finds the location named by a `"<component id>-<container id>"` pair in `field`. Some of
/// Status.io's clients join the two with `_`; ids are hex, so either separator is unambiguous.
fn location_of<'a>(
    components: &'a [Component],
    field: &str,
    pair: &str,
) -> Result<&'a Location, ApiError> {
    let malformed = || {
        ApiError::bad_request(format!(
            "{field} entry {pair:?} must be \"<component id>-<container id>\""
        ))
    };
    let (component, container) = pair.split_once(['-', '_']).ok_or_else(malformed)?;
    let component = components
        .iter()
        .find(|c| c.id == component)
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "{field} entry {pair:?}: there is no component {component:?} on this status page"
            ))
        })?;
    component
        .locations
        .iter()
        .find(|l| l.id == container)
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "{field} entry {pair:?}: component {:?} has no container {container:?}",
                component.name
            ))
        })
}

#[derive(Deserialize)]
pub struct UpdateIncident {
    pub statuspage_id: String,
    pub incident_id: String,
    pub incident_details: String,
    #[serde(default, deserialize_with = "optional_code")]
    pub current_status: Option<u16>,
    #[serde(default, deserialize_with = "optional_code")]
    pub current_state: Option<u16>,
    #[serde(default)]
    pub message_subject: Option<String>,
    /// Herald's own: sets the incident's issue link, filling `{issue_link}`.
    #[serde(default)]
    pub issue_link: Option<String>,
    #[serde(flatten)]
    pub notify: NotifyFlags,
}

impl UpdateIncident {
    /// The parts of a draft every incident call shares; state and status vary per call.
    pub fn draft_base(&self) -> UpdateDraft {
        UpdateDraft {
            state: IncidentState::Investigating,
            details: self.incident_details.clone(),
            status: StatusChange::Keep,
            channels: self.notify.channels(),
            subject: self.message_subject.clone(),
            next_update_in: None,
            issue_link: self.issue_link.clone(),
        }
    }
}

#[derive(Deserialize)]
pub struct DeleteIncident {
    pub statuspage_id: String,
    pub incident_id: String,
}

/// `subscriber/add`. The .NET client names the method `meth`.
#[derive(Deserialize)]
pub struct AddSubscriber {
    pub statuspage_id: String,
    #[serde(alias = "meth")]
    pub method: String,
    pub address: String,
    /// No confirmation email: the caller vouches for the address.
    #[serde(default, deserialize_with = "flag")]
    pub silent: bool,
    #[serde(default, deserialize_with = "pairs")]
    pub granular: Vec<String>,
}

impl AddSubscriber {
    pub fn to_new_subscriber(&self, components: &[Component]) -> Result<NewSubscriber, ApiError> {
        Ok(NewSubscriber {
            channel: subscriber_channel(&self.method)?,
            address: self.address.clone(),
            format: WebhookFormat::Herald,
            components: granular_components(components, &self.granular)?,
            confirmed: self.silent,
        })
    }
}

/// `subscriber/update`. Left out, `address` and `granular` stay as they are; so does an empty
/// `granular`, which Status.io's Python client sends when only the address changes.
#[derive(Deserialize)]
pub struct UpdateSubscriber {
    pub statuspage_id: String,
    pub subscriber_id: String,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default, deserialize_with = "pairs")]
    pub granular: Vec<String>,
}

impl UpdateSubscriber {
    pub fn to_patch(&self, components: &[Component]) -> Result<SubscriberPatch, ApiError> {
        let granular = Some(&self.granular).filter(|pairs| !pairs.is_empty());
        Ok(SubscriberPatch {
            components: granular
                .map(|pairs| granular_components(components, pairs))
                .transpose()?,
            format: None,
            address: self.address.clone(),
        })
    }
}

/// Status.io's subscriber methods that Herald delivers.
fn subscriber_channel(method: &str) -> Result<Channel, ApiError> {
    match method {
        "email" => Ok(Channel::Email),
        "webhook" => Ok(Channel::Webhook),
        "sms" => Err(ApiError::bad_request(
            "Herald does not deliver SMS; subscribe an email address or a webhook instead",
        )),
        other => Err(ApiError::bad_request(format!(
            "method {other:?} is not a subscriber method; use email or webhook"
        ))),
    }
}

/// The components named by `granular` pairs. Herald subscribes to whole components, so naming
/// any of a component's containers subscribes to all of it (the store drops repeats).
fn granular_components(components: &[Component], pairs: &[String]) -> Result<Vec<Id>, ApiError> {
    pairs
        .iter()
        .map(|pair| location_of(components, "granular", pair).map(|l| l.component_id.clone()))
        .collect()
}

pub fn level(code: u16) -> Result<StatusLevel, ApiError> {
    StatusLevel::from_statusio_code(code).ok_or_else(|| {
        ApiError::bad_request(format!(
            "current_status {code} is not a status code; use 100 (operational), 200 (planned maintenance), 300 (degraded performance), 400 (partial service disruption), 500 (service disruption) or 600 (security event)"
        ))
    })
}

pub fn active_state(code: u16) -> Result<IncidentState, ApiError> {
    IncidentState::from_statusio_code(code)
        .filter(|state| state.is_active())
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "current_state {code} is not an incident state; use 100 (investigating), 200 (identified) or 300 (monitoring); resolve with incident/resolve"
            ))
        })
}

fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::Bool(b) => Ok(b),
        Value::Number(n) if n.as_u64() == Some(0) => Ok(false),
        Value::Number(n) if n.as_u64() == Some(1) => Ok(true),
        Value::String(s) if s == "0" || s == "false" || s.is_empty() => Ok(false),
        Value::String(s) if s == "1" || s == "true" => Ok(true),
        other => Err(serde::de::Error::custom(format!(
            "{other} is not a flag; use \"0\" or \"1\""
        ))),
    }
}

fn code<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u16, D::Error> {
    let value = Value::deserialize(deserializer)?;
    let parsed = match &value {
        Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    parsed.ok_or_else(|| {
        serde::de::Error::custom(format!("{value} is not a numeric code such as 100"))
    })
}

fn optional_code<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u16>, D::Error> {
    code(deserializer).map(Some)
}

/// An id given as a string or as a one-element array of strings.
fn one_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::String(s) => Ok(Some(s)),
        Value::Array(items) => match items.as_slice() {
            [Value::String(s)] => Ok(Some(s.clone())),
            _ => Err(serde::de::Error::custom("give exactly one id")),
        },
        Value::Null => Ok(None),
        other => Err(serde::de::Error::custom(format!("{other} is not an id"))),
    }
}

/// Pairs given as one comma-separated string (as Status.io's clients send them) or as an
/// array of strings; null or empty for none.
fn pairs<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    let items: Vec<String> = match Value::deserialize(deserializer)? {
        Value::Null => Vec::new(),
        Value::String(s) => s.split(',').map(str::to_string).collect(),
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::String(s) => Ok(s),
                other => Err(serde::de::Error::custom(format!(
                    "{other} is not a \"<component id>-<container id>\" pair"
                ))),
            })
            .collect::<Result<_, _>>()?,
        other => {
            return Err(serde::de::Error::custom(format!(
                "{other} is not a list of \"<component id>-<container id>\" pairs"
            )));
        }
    };
    Ok(items
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect())
}
