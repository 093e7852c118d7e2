//! Console users (admins): the list, a new user (with a password, or signing in by emailed
//! links), a user's role, where they want cadence nudges, and disabling and enabling them. The
//! store checks and audits each change, as it does for `herald user` and the admin API.
use axum::extract::{Path, State};
use axum::response::Response;
use herald_core::DomainError;
use herald_core::access::Role;
use herald_core::nudge::{MAX_CHANNELS, NudgeChannel, check_channels};
use herald_core::subscriber::Channel;
use herald_core::user::{NewUser, User};
use herald_store::StoreError;
use serde_json::{Value, json};

use super::form::FormData;
use super::manage::{Errors, Typed, checked, done, settle, shown};
use super::session::{Admin, AdminView, Posted, SignedIn};
use super::view::{self, capitalise, wire_name};
use crate::{AppState, password};

const NEW_FIELDS: [&str; 4] = ["email", "name", "role", "password"];
const ROLES: [Role; 3] = [Role::Viewer, Role::Responder, Role::Admin];

fn user_path(id: &str) -> String {
    format!("/console/users/{id}")
}

/// The choices of a list, as the forms offer them.
fn options(names: impl IntoIterator<Item = &'static str>) -> Vec<Value> {
    names
        .into_iter()
        .map(|name| json!({"value": name, "label": name}))
        .collect()
}

fn roles() -> Vec<Value> {
    options(ROLES.iter().map(|r| r.as_str()))
}

fn user_row(user: &User) -> Value {
    json!({
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role.as_str(),
        "has_password": user.has_password,
        "disabled_at": user.disabled_at.map(|t| t.to_string()),
    })
}

pub async fn list(State(state): State<AppState>, AdminView(who): AdminView) -> Response {
    listing(&state, &who, None).await
}

async fn listing(state: &AppState, who: &SignedIn, typed: Option<Typed<'_>>) -> Response {
    let users = match state.store.users().await {
        Ok(users) => users,
        Err(error) => return view::failure(state, Some(who), error.into()),
    };
    let (status, values, errors) = shown(json!({"role": "responder"}), typed, &[]);
    let context = json!({
        "title": "Users",
        "users": users.iter().map(user_row).collect::<Vec<_>>(),
        "roles": roles(),
        "values": values,
        "errors": errors,
    });
    view::page(state, Some(who), status, "users.html", context)
}

fn role(form: &FormData, errors: &mut Errors) -> Role {
    Role::parse(&form.text("role")).unwrap_or_else(|| {
        errors.insert("role".into(), "Choose a role from the list.".into());
        Role::Viewer
    })
}

pub async fn create(State(state): State<AppState>, Admin(Posted { who, form }): Admin) -> Response {
    let outcome = async {
        let mut errors = Errors::new();
        let new = NewUser {
            email: form.text("email"),
            name: form.text("name"),
            role: role(&form, &mut errors),
        };
        // The password as typed: spaces may be part of it.
        let typed = form.get("password").unwrap_or_default();
        let hash = match typed {
            "" => None,
            typed => match password::hash(typed) {
                Ok(hash) => Some(hash),
                Err(refusal) => {
                    errors.insert("password".into(), capitalise(&refusal.to_string()));
                    None
                }
            },
        };
        checked(errors)?;
        let created = state
            .store
            .create_user(&who.actor(), new, hash, state.now())
            .await;
        done(created, &NEW_FIELDS, |user| user_path(&user.id))
    }
    .await;
    settle(&state, &who, &form, outcome, |typed| {
        listing(&state, &who, Some(typed))
    })
    .await
}

pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    AdminView(who): AdminView,
) -> Response {
    user_page(&state, &who, &id, None).await
}

async fn user_page(
    state: &AppState,
    who: &SignedIn,
    id: &str,
    typed: Option<Typed<'_>>,
) -> Response {
    let found = async {
        let user = state
            .store
            .users()
            .await?
            .into_iter()
            .find(|u| u.id == id)
            .ok_or_else(|| StoreError::not_found("user", id))?;
        let channels = state.store.nudge_channels(&user.id).await?;
        let secret = state.store.nudge_secret(&user.id).await?;
        Ok::<_, StoreError>((user, channels, secret))
    };
    let (user, channels, secret) = match found.await {
        Ok(found) => found,
        Err(error) => return view::failure(state, Some(who), error.into()),
    };
    let mut stored = json!({"role": user.role.as_str()});
    for (i, c) in channels.iter().enumerate() {
        stored[format!("channel.{i}")] = json!(wire_name(&c.channel));
        stored[format!("address.{i}")] = json!(c.address);
    }
    let (status, values, errors) = shown(stored, typed, &[]);
    // One empty row more than is stored (or typed), to add a channel.
    let rows = (0..MAX_CHANNELS)
        .take_while(|i| *i == 0 || values.get(format!("address.{}", i - 1)).is_some())
        .collect::<Vec<_>>();
    let context = json!({
        "title": format!("{} ({})", user.name, user.email),
        "person": user_row(&user),
        "roles": roles(),
        "channels": options(Channel::ALL.iter().map(|c| c.name())),
        "rows": rows,
        "webhook_secret": secret,
        "values": values,
        "errors": errors,
    });
    view::page(state, Some(who), status, "user.html", context)
}

pub async fn set_role(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Admin(Posted { who, form }): Admin,
) -> Response {
    let outcome = async {
        let mut errors = Errors::new();
        let role = role(&form, &mut errors);
        checked(errors)?;
        let changed = state
            .store
            .set_user_role(&who.actor(), &id, role, state.now())
            .await;
        done(changed, &["role"], |user| user_path(&user.id))
    }
    .await;
    settle(&state, &who, &form, outcome, |typed| {
        user_page(&state, &who, &id, Some(typed))
    })
    .await
}

pub async fn disable(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Admin(Posted { who, form }): Admin,
) -> Response {
    let disabled = state
        .store
        .disable_user(&who.actor(), &id, state.now())
        .await;
    switched(&state, &id, &who, &form, disabled, "disable").await
}

pub async fn enable(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Admin(Posted { who, form }): Admin,
) -> Response {
    let enabled = state
        .store
        .enable_user(&who.actor(), &id, state.now())
        .await;
    switched(&state, &id, &who, &form, enabled, "enable").await
}

/// Ends the disable and enable forms: on to the user's page, or back to it with the refusal
/// beside the button that was pressed.
async fn switched(
    state: &AppState,
    id: &str,
    who: &SignedIn,
    form: &FormData,
    changed: Result<User, StoreError>,
    button: &str,
) -> Response {
    let outcome = done(changed, &[button], |user| user_path(&user.id));
    settle(state, who, form, outcome, |typed| {
        user_page(state, who, id, Some(typed))
    })
    .await
}

/// Saves where the user wants nudges: rows `channel.N` and `address.N`; a row without an
/// address is left out, and none at all means email to their own address.
pub async fn set_nudge_channels(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Admin(Posted { who, form }): Admin,
) -> Response {
    let outcome = async {
        let mut errors = Errors::new();
        let mut channels = Vec::new();
        for i in 0..MAX_CHANNELS {
            let address = form.text(&format!("address.{i}"));
            if address.is_empty() {
                continue;
            }
            let chosen = form.text(&format!("channel.{i}"));
            let Some(channel) = Channel::ALL.into_iter().find(|c| c.name() == chosen) else {
                errors.insert(
                    format!("channel.{i}"),
                    "Choose a channel from the list.".into(),
                );
                continue;
            };
            let row = NudgeChannel { channel, address };
            // Checked row by row too, so a refusal is shown beside the address it is about.
            match check_channels(vec![row.clone()]) {
                Ok(_) => channels.push(row),
                Err(DomainError::Invalid { message, .. }) => {
                    errors.insert(format!("address.{i}"), capitalise(&message));
                }
                Err(other) => {
                    errors.insert(format!("address.{i}"), capitalise(&other.to_string()));
                }
            }
        }
        checked(errors)?;
        let saved = state
            .store
            .set_nudge_channels(&who.actor(), &id, channels, state.now())
            .await;
        done(saved, &["channels"], |_| user_path(&id))
    }
    .await;
    settle(&state, &who, &form, outcome, |typed| {
        user_page(&state, &who, &id, Some(typed))
    })
    .await
}
