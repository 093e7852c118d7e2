//! `herald user create|list|disable|enable|nudge-channels`: the people who sign in to the
//! console.
use std::io::Read;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use herald_core::access::Role;
use herald_core::nudge::NudgeChannel;
use herald_core::subscriber::Channel;
use herald_core::user::{NewUser, User};
use herald_store::Store;
use herald_web::password;
use jiff::Timestamp;

use super::resources::parse_role;
use super::{actor, open, output};
use crate::config::Config;

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a console user. Without --password-stdin the user has no password and signs in
    /// by a link sent to their email address.
    Create {
        #[arg(long, value_name = "ADDR")]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, responder or viewer.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Read the password (at least 12 characters) from standard input, up to its end; one
        /// trailing line break is dropped. It is stored only as an Argon2id hash.
        #[arg(long)]
        password_stdin: bool,
        #[arg(long)]
        json: bool,
    },
    /// List users, disabled ones included, oldest first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Stop a user from signing in.
    Disable(Which),
    /// Let a disabled user sign in again; the sessions they had before stay ended.
    Enable(Which),
    /// Say where a user is nudged about updates coming due: each --via CHANNEL=ADDRESS, the
    /// channel being email, slack, teams or webhook. Without --via, nudges go by email to the
    /// user's own address.
    NudgeChannels {
        #[command(flatten)]
        which: Which,
        #[arg(long, value_name = "CHANNEL=ADDRESS", value_parser = parse_via)]
        via: Vec<NudgeChannel>,
    },
}

/// `slack=https://hooks.slack.com/…` as a nudge channel.
fn parse_via(text: &str) -> Result<NudgeChannel, String> {
    let (channel, address) = text.split_once('=').ok_or_else(|| {
        format!("{text:?}: write CHANNEL=ADDRESS, such as email=pager@example.com")
    })?;
    let channel = serde_json::from_value(serde_json::json!(channel.trim())).map_err(|_| {
        format!("{channel:?} is not a nudge channel; use email, slack, teams or webhook")
    })?;
    Ok(NudgeChannel {
        channel,
        address: address.to_string(),
    })
}

/// A user by id or by email address.
#[derive(Args, Debug)]
#[group(required = true, multiple = false)]
pub struct Which {
    /// The user's email address.
    #[arg(long, value_name = "ADDR")]
    email: Option<String>,
    /// The user's id.
    id: Option<String>,
}

pub async fn run(config: &Config, cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Create {
            email,
            name,
            role,
            password_stdin,
            json,
        } => {
            // Everything is checked, and the password hashed, before the data directory is
            // opened: a refusal writes nothing at all.
            let new = NewUser { email, name, role }.checked()?;
            let hash = if password_stdin {
                Some(password::hash(&read_password(std::io::stdin().lock())?)?)
            } else {
                None
            };
            let store = open(config)?;
            let user = store
                .create_user(&actor(), new, hash, Timestamp::now())
                .await?;
            if output::for_scripts(json) {
                return output::json(&user);
            }
            println!(
                "Created {} user {} ({}) with id {}",
                user.role.as_str(),
                user.email,
                user.name,
                user.id
            );
            if user.has_password {
                println!("signs in with the password given");
            } else {
                println!("no password: signs in by a link sent to {}", user.email);
            }
            Ok(())
        }
        UserCommand::List { json } => {
            let users = open(config)?.users().await?;
            if output::for_scripts(json) {
                return output::json(&users);
            }
            let rows: Vec<Vec<String>> = users.iter().map(row).collect();
            output::table(
                &[
                    "ID", "EMAIL", "NAME", "ROLE", "STATE", "PASSWORD", "CREATED",
                ],
                &rows,
            );
            Ok(())
        }
        UserCommand::Disable(which) => {
            let target = which.target();
            // Rounded as the store rounds it, to tell a fresh disable from an earlier one.
            let now = Timestamp::from_microsecond(Timestamp::now().as_microsecond())?;
            let user = open(config)?.disable_user(&actor(), &target, now).await?;
            match user.disabled_at {
                Some(at) if at != now => {
                    println!(
                        "User {} ({}) was already disabled at {at}",
                        user.email, user.id
                    );
                }
                _ => println!("Disabled user {} ({})", user.email, user.id),
            }
            Ok(())
        }
        UserCommand::Enable(which) => {
            let target = which.target();
            // Rounded as the store rounds it, to tell a fresh enable from a user already active.
            let now = Timestamp::from_microsecond(Timestamp::now().as_microsecond())?;
            let user = open(config)?.enable_user(&actor(), &target, now).await?;
            if user.updated_at == now {
                println!("Enabled user {} ({})", user.email, user.id);
            } else {
                println!("User {} ({}) was already active", user.email, user.id);
            }
            Ok(())
        }
        UserCommand::NudgeChannels { which, via } => {
            let target = which.target();
            let store = open(config)?;
            let set = store
                .set_nudge_channels(&actor(), &target, via, Timestamp::now())
                .await?;
            if set.is_empty() {
                println!("{target} is nudged by email to their own address");
            }
            for c in &set {
                println!("{target} is nudged by {}: {}", c.channel.name(), c.address);
            }
            if set.iter().any(|c| c.channel == Channel::Webhook) {
                let secret = store.nudge_secret(&target).await?;
                println!("webhook nudges are signed (Standard Webhooks) with {secret}");
            }
            Ok(())
        }
    }
}

impl Which {
    fn target(self) -> String {
        self.email
            .or(self.id)
            .expect("clap requires an email address or an id")
    }
}

/// The password from `input`: all of it, less one trailing line break; it must be one line.
fn read_password(mut input: impl Read) -> anyhow::Result<String> {
    let mut text = String::new();
    input
        .read_to_string(&mut text)
        .context("cannot read the password from standard input (is it UTF-8 text?)")?;
    let password = text
        .strip_suffix('\n')
        .map(|rest| rest.strip_suffix('\r').unwrap_or(rest))
        .unwrap_or(&text);
    if password.is_empty() {
        bail!(
            "--password-stdin: standard input held no password; pipe one in, such as: printf '%s' \"$PASSWORD\" | herald user create …"
        );
    }
    if password.contains(['\n', '\r']) {
        bail!("--password-stdin: the password must be a single line");
    }
    Ok(password.to_string())
}

fn row(user: &User) -> Vec<String> {
    let state = if user.is_active() {
        "active"
    } else {
        "disabled"
    };
    let password = if user.has_password { "yes" } else { "no" };
    vec![
        user.id.clone(),
        user.email.clone(),
        user.name.clone(),
        user.role.as_str().into(),
        state.into(),
        password.into(),
        user.created_at.to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_trailing_line_break_is_dropped() {
        let read = |s: &str| read_password(s.as_bytes()).map_err(|e| e.to_string());
        assert_eq!(read("secret words here").unwrap(), "secret words here");
        assert_eq!(read("secret words here\n").unwrap(), "secret words here");
        assert_eq!(read("secret words here\r\n").unwrap(), "secret words here");
        assert_eq!(read(" spaced  \n").unwrap(), " spaced  ");
        assert!(read("").unwrap_err().contains("held no password"));
        assert!(read("\n").unwrap_err().contains("held no password"));
        assert!(read("one\ntwo\n").unwrap_err().contains("single line"));
    }
}
