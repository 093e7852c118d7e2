//! Status pages and their settings. Everything else belongs to one page.
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::branding::{Branding, validate_branding, validate_host};
use crate::cadence::CadenceTable;
use crate::checklist::ChecklistItem;
use crate::event::{Event, EventKind};
use crate::lint::LintRules;
use crate::nudge::NudgeSettings;
use crate::template::MessageTemplate;
use crate::{DomainError, Id};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page {
    pub id: Id,
    pub slug: String,
    pub name: String,
    /// IANA time zone used to display times to visitors; storage is always UTC.
    pub time_zone: String,
    pub settings: PageSettings,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct PageSettings {
    /// The broadcast subject used when an update does not give one.
    pub default_subject: String,
    pub cadence: CadenceTable,
    pub lint: LintRules,
    pub branding: Branding,
    /// A host name that serves this page at its root (`https://status.example.com/`).
    pub host: Option<String>,
    /// Who is told when Herald stops delivering to a subscriber (an endpoint failing for days,
    /// or gone).
    pub admin_emails: Vec<String>,
    /// When subscribers are reminded of a maintenance window: minutes before its start, for
    /// windows that do not choose their own.
    pub maintenance_reminders: Vec<u32>,
    /// Minutes between updates on a maintenance window run by hand (automation off) while in
    /// progress; none asks for no cadence.
    pub maintenance_cadence: Option<u32>,
    /// The message library the console offers the lead.
    pub templates: Vec<MessageTemplate>,
    /// When the people running an incident are nudged about its next public update.
    pub cadence_nudges: NudgeSettings,
    /// The stage checklist the lead works through on every incident.
    pub checklist: Vec<ChecklistItem>,
}

impl Default for PageSettings {
    fn default() -> Self {
        PageSettings {
            default_subject: "Service status update".into(),
            cadence: CadenceTable::default(),
            lint: LintRules::default(),
            branding: Branding::default(),
            host: None,
            admin_emails: Vec::new(),
            maintenance_reminders: crate::maintenance::DEFAULT_REMINDERS.to_vec(),
            maintenance_cadence: None,
            templates: crate::template::defaults(),
            cadence_nudges: NudgeSettings::default(),
            checklist: crate::checklist::defaults(),
        }
    }
}

/// What a caller supplies to create or change a page; validated by [`validate_page_fields`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PageFields {
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
    )]
    pub slug: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: String,
    /// An IANA time zone name; UTC unless given.
    #[serde(default = "default_time_zone")]
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub time_zone: String,
    #[serde(default)]
    pub settings: PageSettings,
}

fn default_time_zone() -> String {
    DEFAULT_TIME_ZONE.to_string()
}

pub const DEFAULT_TIME_ZONE: &str = "UTC";

fn validate_page_fields(fields: &PageFields) -> Result<(), DomainError> {
    validate_slug(&fields.slug)?;
    crate::text::required("name", &fields.name, 200)?;
    validate_time_zone(&fields.time_zone)?;
    crate::text::required(
        "settings.default_subject",
        &fields.settings.default_subject,
        200,
    )?;
    fields.settings.cadence.validate()?;
    fields.settings.lint.validate()?;
    fields.settings.cadence_nudges.validate()?;
    validate_branding(&fields.settings.branding)?;
    crate::maintenance::check_reminders(
        "settings.maintenance_reminders",
        &fields.settings.maintenance_reminders,
    )?;
    crate::template::validate(&fields.settings.templates)?;
    crate::checklist::validate(&fields.settings.checklist)?;
    if let Some(minutes) = fields.settings.maintenance_cadence {
        crate::cadence::validate_interval("settings.maintenance_cadence", minutes)?;
    }
    for address in &fields.settings.admin_emails {
        crate::subscriber::email_address(address).map_err(|_| {
            DomainError::invalid(
                "settings.admin_emails",
                format!("{address:?} is not an email address such as ops@example.com"),
            )
        })?;
    }
    fields
        .settings
        .host
        .as_deref()
        .map_or(Ok(()), validate_host)
}

/// A new page from checked fields, with its audit event.
pub fn create(id: Id, fields: PageFields, now: Timestamp) -> Result<(Page, Event), DomainError> {
    validate_page_fields(&fields)?;
    let page = Page {
        id,
        slug: fields.slug,
        name: fields.name.trim().to_string(),
        time_zone: fields.time_zone,
        settings: fields.settings,
        created_at: now,
        updated_at: now,
    };
    let event = Event::new(EventKind::PageCreated, &page.id, None, Some(&page));
    Ok((page, event))
}

/// The page with all its fields replaced by checked `fields`, with its audit event.
pub fn update(
    before: &Page,
    fields: PageFields,
    now: Timestamp,
) -> Result<(Page, Event), DomainError> {
    validate_page_fields(&fields)?;
    let after = Page {
        slug: fields.slug,
        name: fields.name.trim().to_string(),
        time_zone: fields.time_zone,
        settings: fields.settings,
        updated_at: now,
        ..before.clone()
    };
    let event = Event::new(
        EventKind::PageUpdated,
        &after.id,
        Some(before),
        Some(&after),
    );
    Ok((after, event))
}

/// Slugs appear in URLs (`/p/{slug}/`): lowercase letters, digits and inner hyphens.
pub fn validate_slug(slug: &str) -> Result<(), DomainError> {
    let shape_ok = (1..=63).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if shape_ok {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "slug",
            format!(
                "{slug:?} is not a valid slug: use 1 to 63 lowercase letters, digits and hyphens, not starting or ending with a hyphen (for example \"acme-cloud\")"
            ),
        ))
    }
}

pub fn validate_time_zone(name: &str) -> Result<(), DomainError> {
    jiff::tz::TimeZone::get(name).map(|_| ()).map_err(|_| {
        DomainError::invalid(
            "time_zone",
            format!("{name:?} is not a known IANA time zone; use a name such as \"UTC\" or \"Europe/Berlin\""),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_url_safe() {
        for good in ["a", "acme", "acme-cloud-2"] {
            assert!(validate_slug(good).is_ok(), "{good}");
        }
        for bad in ["", "-a", "a-", "Acme", "a b", "a/b", &"x".repeat(64)] {
            assert!(validate_slug(bad).is_err(), "{bad}");
        }
    }

    fn fields(slug: &str, name: &str) -> PageFields {
        PageFields {
            slug: slug.into(),
            name: name.into(),
            time_zone: "Europe/Berlin".into(),
            settings: PageSettings::default(),
        }
    }

    #[test]
    fn a_page_is_created_and_updated_from_checked_fields_and_audited() {
        let at = |s: i64| Timestamp::from_second(1_800_000_000 + s).unwrap();
        let (page, event) = create("p1".into(), fields("acme", " Acme "), at(0)).unwrap();
        assert_eq!((page.name.as_str(), page.created_at), ("Acme", at(0)));
        assert_eq!(
            (event.kind, event.before.is_none()),
            (EventKind::PageCreated, true)
        );

        let (after, event) = update(&page, fields("acme-cloud", "Acme Cloud"), at(5)).unwrap();
        assert_eq!(
            (after.id.as_str(), after.slug.as_str()),
            ("p1", "acme-cloud")
        );
        assert_eq!((after.created_at, after.updated_at), (at(0), at(5)));
        assert_eq!(event.kind, EventKind::PageUpdated);
        assert_eq!(event.before, Some(serde_json::to_value(&page).unwrap()));

        assert!(create("p2".into(), fields("Bad Slug", "x"), at(0)).is_err());
        let mut bad = fields("acme", "Acme");
        bad.time_zone = "Mars/Olympus".into();
        assert!(update(&page, bad, at(6)).is_err());
    }

    #[test]
    fn time_zones_must_be_known() {
        assert!(validate_time_zone("Europe/Berlin").is_ok());
        assert!(validate_time_zone("UTC").is_ok());
        let err = validate_time_zone("Mars/Olympus").unwrap_err();
        assert!(err.to_string().contains("Europe/Berlin"));
    }
}
