//! Pages in the console (admins): the list, a new page, a page's main settings, and its update
//! cadence: the minutes the public may wait for the next update by severity and state, and
//! when the people running an incident are nudged. Every change goes through
//! `Store::update_page`, so it is checked and audited as the admin API's would be.
use axum::extract::{Path, State};
use axum::response::Response;
use herald_core::DomainError;
use herald_core::cadence::{CadenceTable, Intervals, MAX_INTERVAL_MINUTES, validate_interval};
use herald_core::page::{DEFAULT_TIME_ZONE, Page, PageFields, PageSettings};
use herald_store::PagePatch;
use serde_json::{Value, json};

use super::form::FormData;
use super::manage::{
    Errors, Refusal, Typed, checked, done, items, minutes, optional, see_other, settle, shown,
};
use super::session::{Admin, AdminView, Posted, SignedIn};
use super::view::{self, capitalise};
use crate::AppState;

const SEVERITIES: [(&str, &str); 4] = [
    ("sev1", "Severity 1"),
    ("sev2", "Severity 2"),
    ("sev3", "Severity 3"),
    ("sev4", "Severity 4"),
];
const STATES: [(&str, &str); 3] = [
    ("investigating", "Investigating"),
    ("identified", "Identified"),
    ("monitoring", "Monitoring"),
];

/// The fields of each form; refusals the store gives go next to the field they name, and a
/// clash (a taken slug or host name) next to the first.
const NEW_FIELDS: [&str; 3] = ["slug", "name", "time_zone"];
const SETTINGS_FIELDS: [&str; 11] = [
    "host",
    "name",
    "time_zone",
    "default_subject",
    "admin_emails",
    "maintenance_reminders",
    "maintenance_cadence",
    "logo",
    "accent",
    "background",
    "text",
];
const CADENCE_FIELDS: [&str; 3] = ["cadence", "before_mins", "grace_mins"];

pub async fn list(State(state): State<AppState>, AdminView(who): AdminView) -> Response {
    listing(&state, &who, None).await
}

async fn listing(state: &AppState, who: &SignedIn, typed: Option<Typed<'_>>) -> Response {
    let pages = match state.store.pages().await {
        Ok(pages) => pages,
        Err(error) => return view::failure(state, Some(who), error.into()),
    };
    let (status, values, errors) = shown(json!({"time_zone": DEFAULT_TIME_ZONE}), typed, &[]);
    let rows: Vec<Value> = pages
        .iter()
        .map(|p| json!({"slug": p.slug, "name": p.name, "time_zone": p.time_zone, "host": p.settings.host}))
        .collect();
    let context = json!({"title": "Pages", "pages": rows, "values": values, "errors": errors});
    view::page(state, Some(who), status, "pages.html", context)
}

pub async fn create(State(state): State<AppState>, Admin(Posted { who, form }): Admin) -> Response {
    let fields = PageFields {
        slug: form.text("slug"),
        name: form.text("name"),
        time_zone: optional(&form, "time_zone").unwrap_or_else(|| DEFAULT_TIME_ZONE.into()),
        settings: PageSettings::default(),
    };
    let outcome = state
        .store
        .create_page(&who.actor(), fields, state.now())
        .await;
    let outcome = done(outcome, &NEW_FIELDS, |page| settings_path(&page.slug));
    settle(&state, &who, &form, outcome, |typed| {
        listing(&state, &who, Some(typed))
    })
    .await
}

fn settings_path(slug: &str) -> String {
    format!("/console/pages/{slug}")
}

pub async fn settings(
    State(state): State<AppState>,
    Path(page): Path<String>,
    AdminView(who): AdminView,
) -> Response {
    settings_page(&state, &who, &page, None).await
}

async fn settings_page(
    state: &AppState,
    who: &SignedIn,
    page: &str,
    typed: Option<Typed<'_>>,
) -> Response {
    let page = match state.store.page(page).await {
        Ok(page) => page,
        Err(error) => return view::failure(state, Some(who), error.into()),
    };
    let (status, values, errors) = shown(stored(&page), typed, &[]);
    let pairs = |items: &[(&str, &str)]| -> Vec<Value> {
        items
            .iter()
            .map(|(key, label)| json!({"key": key, "label": label}))
            .collect()
    };
    let context = json!({
        "title": format!("Settings of {}", page.name),
        "page": {"slug": page.slug, "name": page.name},
        "values": values,
        "errors": errors,
        "severities": pairs(&SEVERITIES),
        "states": pairs(&STATES),
        "max_minutes": MAX_INTERVAL_MINUTES,
    });
    view::page(state, Some(who), status, "page.html", context)
}

/// The page's settings as the forms show them.
fn stored(page: &Page) -> Value {
    let s = &page.settings;
    let colors = &s.branding.colors;
    let joined = |items: Vec<String>| items.join(", ");
    let mut values = json!({
        "name": page.name,
        "time_zone": page.time_zone,
        "default_subject": s.default_subject,
        "admin_emails": joined(s.admin_emails.clone()),
        "maintenance_reminders": joined(s.maintenance_reminders.iter().map(u32::to_string).collect()),
        "maintenance_cadence": s.maintenance_cadence.map(|m| m.to_string()),
        "host": s.host,
        "logo": s.branding.logo,
        "accent": colors.accent,
        "background": colors.background,
        "text": colors.text,
        "before_mins": s.cadence_nudges.before_mins.to_string(),
        "grace_mins": s.cadence_nudges.grace_mins.to_string(),
    });
    for (sev, row) in rows(&s.cadence) {
        for (state, minutes) in [
            ("investigating", row.investigating),
            ("identified", row.identified),
            ("monitoring", row.monitoring),
        ] {
            values[cell(sev, state)] = json!(minutes.to_string());
        }
    }
    values
}

fn rows(table: &CadenceTable) -> [(&'static str, Intervals); 4] {
    [
        ("sev1", table.sev1),
        ("sev2", table.sev2),
        ("sev3", table.sev3),
        ("sev4", table.sev4),
    ]
}

/// The field of one cell of the cadence table.
fn cell(severity: &str, state: &str) -> String {
    format!("cadence.{severity}.{state}")
}

/// Saves the name, time zone, default subject, addresses, maintenance reminders and cadence,
/// host and branding.
pub async fn save_settings(
    State(state): State<AppState>,
    Path(page): Path<String>,
    Admin(Posted { who, form }): Admin,
) -> Response {
    change(&state, &who, &page, &form, &SETTINGS_FIELDS, |patch, settings, errors| {
        patch.name = Some(form.text("name"));
        patch.time_zone = Some(form.text("time_zone"));
        settings.default_subject = form.text("default_subject");
        settings.admin_emails = items(&form, "admin_emails");
        settings.maintenance_reminders = items(&form, "maintenance_reminders")
            .iter()
            .filter_map(|item| match item.parse() {
                Ok(minutes) => Some(minutes),
                Err(_) => {
                    errors.insert(
                        "maintenance_reminders".into(),
                        format!("Give minutes before the start as whole numbers separated by commas, such as 1440, 60; {item:?} is not one."),
                    );
                    None
                }
            })
            .collect();
        settings.maintenance_cadence = match optional(&form, "maintenance_cadence") {
            Some(_) => minutes(&form, "maintenance_cadence", errors),
            None => None,
        };
        settings.host = optional(&form, "host");
        let branding = &mut settings.branding;
        branding.logo = optional(&form, "logo");
        branding.colors.accent = form.text("accent");
        branding.colors.background = form.text("background");
        branding.colors.text = form.text("text");
    })
    .await
}

/// Saves the cadence table and the nudge settings; each cell is checked where it was typed.
pub async fn save_cadence(
    State(state): State<AppState>,
    Path(page): Path<String>,
    Admin(Posted { who, form }): Admin,
) -> Response {
    change(
        &state,
        &who,
        &page,
        &form,
        &CADENCE_FIELDS,
        |_, settings, errors| {
            let mut interval = |field: String| {
                let minutes = minutes(&form, &field, errors)?;
                if let Err(DomainError::Invalid { message, .. }) =
                    validate_interval("minutes", minutes)
                {
                    errors.insert(field, capitalise(&message));
                    return None;
                }
                Some(minutes)
            };
            let mut row = |sev: &str, current: Intervals| Intervals {
                investigating: interval(cell(sev, "investigating"))
                    .unwrap_or(current.investigating),
                identified: interval(cell(sev, "identified")).unwrap_or(current.identified),
                monitoring: interval(cell(sev, "monitoring")).unwrap_or(current.monitoring),
            };
            let table = settings.cadence;
            settings.cadence = CadenceTable {
                sev1: row("sev1", table.sev1),
                sev2: row("sev2", table.sev2),
                sev3: row("sev3", table.sev3),
                sev4: row("sev4", table.sev4),
            };
            let nudges = &mut settings.cadence_nudges;
            nudges.before_mins =
                minutes(&form, "before_mins", errors).unwrap_or(nudges.before_mins);
            nudges.grace_mins = minutes(&form, "grace_mins", errors).unwrap_or(nudges.grace_mins);
        },
    )
    .await
}

/// Reads a settings form into the page's current settings (noting what cannot be read), and
/// saves them; a refusal shows the settings again with what was typed.
async fn change(
    state: &AppState,
    who: &SignedIn,
    page: &str,
    form: &FormData,
    fields: &[&str],
    edit: impl FnOnce(&mut PagePatch, &mut PageSettings, &mut Errors),
) -> Response {
    let outcome = async {
        let current = state
            .store
            .page(page)
            .await
            .map_err(|error| Refusal::placed(error, fields))?;
        let (mut patch, mut settings, mut errors) =
            (PagePatch::default(), current.settings, Errors::new());
        edit(&mut patch, &mut settings, &mut errors);
        checked(errors)?;
        patch.settings = Some(settings);
        let saved = state
            .store
            .update_page(&who.actor(), page, patch, state.now())
            .await
            .map_err(|error| Refusal::placed(error, fields))?;
        Ok(see_other(&settings_path(&saved.slug)))
    }
    .await;
    settle(state, who, form, outcome, |typed| {
        settings_page(state, who, page, Some(typed))
    })
    .await
}
