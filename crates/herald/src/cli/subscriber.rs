//! `herald subscriber add|list|remove`
use clap::{Args, Subcommand};
use herald_core::subscriber::{Channel, NewSubscriber, SubscriberState, WebhookFormat};
use herald_store::{Store, all_subscribers};
use jiff::Timestamp;
use serde_json::json;

use super::{actor, output};

#[derive(Subcommand, Debug)]
pub enum SubscriberCommand {
    /// Add a subscriber. An email address stays pending until its owner follows the
    /// confirmation link (sent by `herald serve`) unless --confirmed is given.
    Add {
        /// The page's slug or id.
        #[arg(long)]
        page: String,
        #[command(flatten)]
        channel: ChannelArgs,
        /// A component id to hear about (repeat for several); none for all of them.
        #[arg(long = "component", value_name = "ID")]
        components: Vec<String>,
        /// Webhooks only: herald (default) or statuspage (Atlassian Statuspage's payload).
        #[arg(long, value_parser = parse_format)]
        format: Option<WebhookFormat>,
        /// An operator's own trusted add: an email address is active at once, with no
        /// confirmation email.
        #[arg(long)]
        confirmed: bool,
        /// Print the subscriber as JSON; a webhook's signing secret is in it, shown only now.
        #[arg(long)]
        json: bool,
    },
    /// List a page's subscribers, oldest first.
    List {
        #[arg(long)]
        page: String,
        /// Only this channel: email, webhook, slack or teams.
        #[arg(long, value_parser = parse_channel)]
        channel: Option<Channel>,
        #[arg(long)]
        json: bool,
    },
    /// Remove a subscriber; nothing more is sent to it.
    Remove {
        #[arg(long)]
        page: String,
        id: String,
    },
}

/// Exactly one channel, with its address.
#[derive(Args, Debug)]
#[group(required = true, multiple = false)]
pub struct ChannelArgs {
    /// An email address.
    #[arg(long, value_name = "ADDRESS")]
    email: Option<String>,
    /// A URL that receives signed JSON posts.
    #[arg(long, value_name = "URL")]
    webhook: Option<String>,
    /// A Slack incoming-webhook URL.
    #[arg(long, value_name = "URL")]
    slack: Option<String>,
    /// A Microsoft Teams incoming-webhook URL.
    #[arg(long, value_name = "URL")]
    teams: Option<String>,
}

impl ChannelArgs {
    fn into_channel(self) -> (Channel, String) {
        let given = [
            (Channel::Email, self.email),
            (Channel::Webhook, self.webhook),
            (Channel::Slack, self.slack),
            (Channel::Teams, self.teams),
        ];
        given
            .into_iter()
            .find_map(|(channel, address)| address.map(|a| (channel, a)))
            .expect("clap requires exactly one channel")
    }
}

fn parse_format(value: &str) -> Result<WebhookFormat, String> {
    serde_json::from_value(json!(value)).map_err(|_| format!("{value:?}: use herald or statuspage"))
}

fn parse_channel(value: &str) -> Result<Channel, String> {
    serde_json::from_value(json!(value))
        .map_err(|_| format!("{value:?}: use email, webhook, slack or teams"))
}

/// `allow_private`: `[delivery] allow_private_targets`, which new addresses are checked against.
pub async fn run(
    store: &dyn Store,
    cmd: SubscriberCommand,
    allow_private: bool,
) -> anyhow::Result<()> {
    match cmd {
        SubscriberCommand::Add {
            page,
            channel,
            components,
            format,
            confirmed,
            json,
        } => {
            let (channel, address) = channel.into_channel();
            let new = NewSubscriber {
                channel,
                address,
                format: format.unwrap_or_default(),
                components,
                confirmed,
            };
            let warning = herald_notify::http::vet_subscriber(&new, allow_private).await?;
            let mut created = store
                .create_subscriber(&actor(), &page, new, Timestamp::now())
                .await?;
            created.warnings.extend(warning);
            for warning in &created.warnings {
                eprintln!("warning: {warning}");
            }
            if output::for_scripts(json) {
                return output::json(&created);
            }
            let s = &created.subscriber;
            println!(
                "Added {} subscriber {} ({})",
                s.channel.name(),
                s.id,
                s.address
            );
            if s.state == SubscriberState::Pending {
                println!(
                    "pending: a confirmation email is queued (herald serve sends it); nothing else is sent until its owner follows the link"
                );
            }
            if let Some(secret) = &created.secret {
                println!("signing secret (shown once): {secret}");
            }
            Ok(())
        }
        SubscriberCommand::List {
            page,
            channel,
            json,
        } => {
            let subscribers = all_subscribers(store, &page, channel).await?;
            if output::for_scripts(json) {
                return output::json(&subscribers);
            }
            let rows: Vec<Vec<String>> = subscribers
                .iter()
                .map(|s| {
                    let components = if s.components.is_empty() {
                        "all".to_string()
                    } else {
                        s.components.join(",")
                    };
                    vec![
                        s.id.clone(),
                        s.channel.name().into(),
                        state_name(s.state).into(),
                        s.address.clone(),
                        components,
                    ]
                })
                .collect();
            output::table(&["ID", "CHANNEL", "STATE", "ADDRESS", "COMPONENTS"], &rows);
            Ok(())
        }
        SubscriberCommand::Remove { page, id } => {
            store
                .delete_subscriber(&actor(), &page, &id, Timestamp::now())
                .await?;
            println!("Removed subscriber {id}");
            Ok(())
        }
    }
}

fn state_name(state: SubscriberState) -> &'static str {
    match state {
        SubscriberState::Pending => "pending",
        SubscriberState::Active => "active",
        SubscriberState::Disabled => "disabled",
    }
}
