//! `herald page|component|token …`
use clap::Subcommand;
use herald_core::access::Role;
use herald_core::page::{PageFields, PageSettings};
use herald_store::{NewComponent, Store};
use jiff::Timestamp;
use serde_json::json;

use super::{actor, output};

#[derive(Subcommand, Debug)]
pub enum PageCommand {
    /// Create a status page.
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        /// IANA time zone for display (default UTC).
        #[arg(long, default_value = "UTC")]
        time_zone: String,
        #[arg(long)]
        json: bool,
    },
    /// List pages.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ComponentCommand {
    /// Create a component; without --location it gets one default location.
    Create {
        /// The page's slug or id.
        #[arg(long)]
        page: String,
        #[arg(long)]
        name: String,
        /// A group name; created if the page has none of that name.
        #[arg(long)]
        group: Option<String>,
        /// A named location (repeat for several).
        #[arg(long = "location")]
        locations: Vec<String>,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long)]
        json: bool,
    },
    /// List a page's components with their locations.
    List {
        #[arg(long)]
        page: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create an API token; its secret is printed once and never stored.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[arg(long)]
        json: bool,
    },
    /// List tokens (without secrets).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token.
    Revoke { id: String },
}

pub(super) fn parse_role(value: &str) -> Result<Role, String> {
    Role::parse(value)
        .ok_or_else(|| format!("{value:?} is not a role; use admin, responder or viewer"))
}

pub async fn page(store: &dyn Store, cmd: PageCommand) -> anyhow::Result<()> {
    match cmd {
        PageCommand::Create {
            slug,
            name,
            time_zone,
            json,
        } => {
            let fields = PageFields {
                slug,
                name,
                time_zone,
                settings: PageSettings::default(),
            };
            let page = store
                .create_page(&actor(), fields, Timestamp::now())
                .await?;
            if output::for_scripts(json) {
                output::json(&json!({"id": page.id, "slug": page.slug, "name": page.name}))
            } else {
                println!(
                    "Created page {} ({}) with id {}",
                    page.name, page.slug, page.id
                );
                Ok(())
            }
        }
        PageCommand::List { json } => {
            let pages = store.pages().await?;
            if output::for_scripts(json) {
                return output::json(&pages);
            }
            let rows: Vec<Vec<String>> = pages
                .iter()
                .map(|p| {
                    vec![
                        p.id.clone(),
                        p.slug.clone(),
                        p.name.clone(),
                        p.time_zone.clone(),
                    ]
                })
                .collect();
            output::table(&["ID", "SLUG", "NAME", "TIME ZONE"], &rows);
            Ok(())
        }
    }
}

pub async fn component(store: &dyn Store, cmd: ComponentCommand) -> anyhow::Result<()> {
    match cmd {
        ComponentCommand::Create {
            page,
            name,
            group,
            locations,
            description,
            json,
        } => {
            let new = NewComponent {
                name,
                description,
                group_name: group,
                locations,
                ..NewComponent::default()
            };
            let component = store
                .create_component(&actor(), &page, new, Timestamp::now())
                .await?;
            if output::for_scripts(json) {
                let locations: Vec<_> = component
                    .locations
                    .iter()
                    .map(|l| json!({"id": l.id, "name": l.name}))
                    .collect();
                output::json(
                    &json!({"id": component.id, "name": component.name, "group_id": component.group_id, "locations": locations}),
                )
            } else {
                let names: Vec<String> = component
                    .locations
                    .iter()
                    .map(|l| format!("{} ({})", l.name, l.id))
                    .collect();
                println!(
                    "Created component {} with id {}; locations: {}",
                    component.name,
                    component.id,
                    names.join(", ")
                );
                Ok(())
            }
        }
        ComponentCommand::List { page, json } => {
            let components = store.components(&page).await?;
            if output::for_scripts(json) {
                return output::json(&components);
            }
            let status = store.page_status(&page).await?;
            let mut rows = Vec::new();
            for (component, derived) in components.iter().zip(&status.components) {
                for (location, level) in component.locations.iter().zip(&derived.locations) {
                    rows.push(vec![
                        component.id.clone(),
                        component.name.clone(),
                        location.id.clone(),
                        location.name.clone(),
                        level.level.label().to_string(),
                    ]);
                }
            }
            output::table(
                &[
                    "COMPONENT ID",
                    "COMPONENT",
                    "LOCATION ID",
                    "LOCATION",
                    "STATUS",
                ],
                &rows,
            );
            Ok(())
        }
    }
}

pub async fn token(store: &dyn Store, cmd: TokenCommand) -> anyhow::Result<()> {
    match cmd {
        TokenCommand::Create { name, role, json } => {
            let created = store
                .create_token(&actor(), name, role, Timestamp::now())
                .await?;
            if output::for_scripts(json) {
                output::json(
                    &json!({"id": created.token.id, "secret": created.secret, "name": created.token.name, "role": role}),
                )
            } else {
                println!("Created {} token {:?}.", role.as_str(), created.token.name);
                println!("id (x-api-id):      {}", created.token.id);
                println!("secret (x-api-key): {}", created.secret);
                println!("The secret is shown only now. Use it as: Authorization: Bearer <secret>");
                Ok(())
            }
        }
        TokenCommand::List { json } => {
            let tokens = store.tokens().await?;
            if output::for_scripts(json) {
                return output::json(&tokens);
            }
            let rows: Vec<Vec<String>> = tokens
                .iter()
                .map(|t| {
                    let state = if t.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "live"
                    };
                    vec![
                        t.id.clone(),
                        t.name.clone(),
                        t.role.as_str().into(),
                        state.into(),
                        t.created_at.to_string(),
                    ]
                })
                .collect();
            output::table(&["ID", "NAME", "ROLE", "STATE", "CREATED"], &rows);
            Ok(())
        }
        TokenCommand::Revoke { id } => {
            store.revoke_token(&actor(), &id, Timestamp::now()).await?;
            println!("Revoked token {id}");
            Ok(())
        }
    }
}
