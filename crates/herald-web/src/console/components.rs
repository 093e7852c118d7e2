//! A page's components in the console: everyone signed in sees them with their current
//! status; admins add groups and components, edit, delete and add locations; responders hold
//! a location at a level by hand (an override), as in the admin API.
use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::Response;
use herald_core::access::Role;
use herald_core::component::{Component, Group};
use herald_core::status::StatusLevel;
use herald_store::{ComponentPatch, NewComponent};
use serde_json::{Value, json};

use super::manage::{Refusal, Typed, done, items, optional, settle, shown};
use super::session::{Admin, Posted, Responder, SignedIn};
use super::view::{self, wire_name};
use crate::AppState;

const GROUP_FIELDS: [&str; 1] = ["group_name"];
const NEW_FIELDS: [&str; 4] = ["name", "description", "group", "locations"];
const EDIT_FIELDS: [&str; 3] = ["name", "description", "group"];
const LOCATION_FIELDS: [&str; 1] = ["location_name"];

fn list_path(page: &str) -> String {
    format!("/console/pages/{page}/components")
}

fn component_path(page: &str, id: &str) -> String {
    format!("/console/pages/{page}/components/{id}")
}

/// What both pages show: the page, its groups and components, and each location's level.
struct Loaded {
    page: Value,
    groups: Vec<Group>,
    components: Vec<Component>,
    levels: HashMap<String, StatusLevel>,
}

async fn load(state: &AppState, page: &str) -> Result<Loaded, crate::ApiError> {
    let found = state.store.page(page).await?;
    let status = state.store.page_status(&found.id).await?;
    let levels = status
        .components
        .iter()
        .flat_map(|c| {
            let locations = c.locations.iter().map(|l| (l.location_id.clone(), l.level));
            locations.chain([(c.component_id.clone(), c.level)])
        })
        .collect();
    Ok(Loaded {
        page: json!({"slug": found.slug, "name": found.name}),
        groups: state.store.groups(&found.id).await?,
        components: state.store.components(&found.id).await?,
        levels,
    })
}

impl Loaded {
    fn level(&self, id: &str) -> Value {
        let level = self
            .levels
            .get(id)
            .copied()
            .unwrap_or(StatusLevel::Operational);
        json!({"label": level.label(), "key": level.css_key()})
    }

    fn group_name(&self, id: Option<&str>) -> Option<&str> {
        let id = id?;
        self.groups
            .iter()
            .find(|g| g.id == id)
            .map(|g| g.name.as_str())
    }

    fn component(&self, c: &Component) -> Value {
        json!({
            "id": c.id,
            "name": c.name,
            "description": c.description,
            "group": self.group_name(c.group_id.as_deref()),
            "level": self.level(&c.id),
            "locations": c.locations.iter().map(|l| json!({
                "id": l.id,
                "name": l.name,
                "level": self.level(&l.id),
                "override": l.override_level.as_ref().map(wire_name),
            })).collect::<Vec<_>>(),
        })
    }

    fn context(&self, title: String) -> Value {
        json!({
            "title": title,
            "page": self.page,
            "groups": self.groups.iter().map(|g| json!({"value": g.id, "label": g.name})).collect::<Vec<_>>(),
            "levels": StatusLevel::ALL.iter().map(|l| json!({"value": wire_name(l), "label": l.label()})).collect::<Vec<_>>(),
        })
    }
}

/// Who may do what, for the templates to offer only that.
fn may(who: &SignedIn) -> Value {
    let role = who.session.user.role;
    json!({"manage": role.allows(Role::Admin), "override": role.allows(Role::Responder)})
}

pub async fn list(
    State(state): State<AppState>,
    Path(page): Path<String>,
    who: SignedIn,
) -> Response {
    listing(&state, &who, &page, None).await
}

async fn listing(
    state: &AppState,
    who: &SignedIn,
    page: &str,
    typed: Option<Typed<'_>>,
) -> Response {
    let loaded = match load(state, page).await {
        Ok(loaded) => loaded,
        Err(error) => return view::failure(state, Some(who), error),
    };
    let (status, values, errors) = shown(json!({}), typed, &[]);
    let mut context = loaded.context(format!("Components of {}", page_name(&loaded)));
    context["components"] = json!(
        loaded
            .components
            .iter()
            .map(|c| loaded.component(c))
            .collect::<Vec<_>>()
    );
    context["values"] = values;
    context["errors"] = json!(errors);
    context["may"] = may(who);
    view::page(state, Some(who), status, "components.html", context)
}

fn page_name(loaded: &Loaded) -> String {
    loaded.page["name"].as_str().unwrap_or_default().to_string()
}

pub async fn create_group(
    State(state): State<AppState>,
    Path(page): Path<String>,
    Admin(Posted { who, form }): Admin,
) -> Response {
    let outcome = state
        .store
        .create_group(&who.actor(), &page, form.text("group_name"), state.now())
        .await;
    let outcome = done(outcome, &GROUP_FIELDS, |_| list_path(&page));
    settle(&state, &who, &form, outcome, |typed| {
        listing(&state, &who, &page, Some(typed))
    })
    .await
}

pub async fn create(
    State(state): State<AppState>,
    Path(page): Path<String>,
    Admin(Posted { who, form }): Admin,
) -> Response {
    let new = NewComponent {
        name: form.text("name"),
        description: form.text("description"),
        group_id: optional(&form, "group"),
        locations: items(&form, "locations"),
        ..NewComponent::default()
    };
    let outcome = state
        .store
        .create_component(&who.actor(), &page, new, state.now())
        .await;
    let outcome = done(outcome, &NEW_FIELDS, |c| component_path(&page, &c.id));
    settle(&state, &who, &form, outcome, |typed| {
        listing(&state, &who, &page, Some(typed))
    })
    .await
}

pub async fn show(
    State(state): State<AppState>,
    Path((page, id)): Path<(String, String)>,
    who: SignedIn,
) -> Response {
    component_page(&state, &who, (&page, &id), None).await
}

async fn component_page(
    state: &AppState,
    who: &SignedIn,
    (page, id): (&str, &str),
    typed: Option<Typed<'_>>,
) -> Response {
    let loaded = match load(state, page).await {
        Ok(loaded) => loaded,
        Err(error) => return view::failure(state, Some(who), error),
    };
    let Some(component) = loaded.components.iter().find(|c| c.id == id) else {
        let missing = herald_store::StoreError::not_found("component", id);
        return view::failure(state, Some(who), missing.into());
    };
    let stored = json!({
        "name": component.name,
        "description": component.description,
        "group": component.group_id,
    });
    let (status, values, errors) = shown(stored, typed, &[]);
    let mut context = loaded.context(format!("{} on {}", component.name, page_name(&loaded)));
    context["component"] = loaded.component(component);
    context["values"] = values;
    context["errors"] = json!(errors);
    context["may"] = may(who);
    view::page(state, Some(who), status, "component.html", context)
}

pub async fn update(
    State(state): State<AppState>,
    Path((page, id)): Path<(String, String)>,
    Admin(Posted { who, form }): Admin,
) -> Response {
    let patch = ComponentPatch {
        name: Some(form.text("name")),
        description: Some(form.text("description")),
        group_id: Some(optional(&form, "group")),
        position: None,
    };
    let outcome = state
        .store
        .update_component(&who.actor(), &page, &id, patch, state.now())
        .await;
    let outcome = done(outcome, &EDIT_FIELDS, |c| component_path(&page, &c.id));
    settle(&state, &who, &form, outcome, |typed| {
        component_page(&state, &who, (&page, &id), Some(typed))
    })
    .await
}

pub async fn delete(
    State(state): State<AppState>,
    Path((page, id)): Path<(String, String)>,
    Admin(Posted { who, form }): Admin,
) -> Response {
    let outcome = state
        .store
        .delete_component(&who.actor(), &page, &id, state.now())
        .await;
    let outcome = done(outcome, &["delete"], |()| list_path(&page));
    settle(&state, &who, &form, outcome, |typed| {
        component_page(&state, &who, (&page, &id), Some(typed))
    })
    .await
}

pub async fn add_location(
    State(state): State<AppState>,
    Path((page, id)): Path<(String, String)>,
    Admin(Posted { who, form }): Admin,
) -> Response {
    let outcome = state
        .store
        .add_location(
            &who.actor(),
            &page,
            &id,
            form.text("location_name"),
            state.now(),
        )
        .await;
    let outcome = done(outcome, &LOCATION_FIELDS, |c| component_path(&page, &c.id));
    settle(&state, &who, &form, outcome, |typed| {
        component_page(&state, &who, (&page, &id), Some(typed))
    })
    .await
}

/// Holds a location at a level by hand, or (with no level chosen) lets it follow incidents and
/// maintenance again. The form names its component, to come back to.
pub async fn set_override(
    State(state): State<AppState>,
    Path((page, location)): Path<(String, String)>,
    Responder(Posted { who, form }): Responder,
) -> Response {
    let field = format!("level.{location}");
    let component = form.text("component");
    let outcome = async {
        let level = match form.text(&field).as_str() {
            "" => None,
            chosen => Some(
                serde_json::from_value::<StatusLevel>(json!(chosen))
                    .map_err(|_| Refusal::at(&field, "Choose a level from the list."))?,
            ),
        };
        let set = state
            .store
            .set_override(&who.actor(), &page, &location, level, state.now())
            .await;
        done(set, &[&field], |c| component_path(&page, &c.id))
    }
    .await;
    settle(&state, &who, &form, outcome, |typed| {
        component_page(&state, &who, (&page, &component), Some(typed))
    })
    .await
}
