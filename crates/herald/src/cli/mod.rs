//! The command line. Every subcommand works on the data directory directly, so it works while
//! `herald serve` runs (the server learns of the change from the audit log within a second).
mod incident;
mod output;
mod resources;
mod subscriber;
mod user;

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use herald_store_sqlite::SqliteStore;

use crate::config::{self, Config};

#[derive(Parser, Debug)]
#[command(
    name = "herald",
    version,
    about = "Herald: a self-hosted status page and incident-communications platform"
)]
pub struct Args {
    /// Where Herald keeps its data (default ./herald-data).
    #[arg(long, global = true, env = "HERALD_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// A TOML configuration file (default: ./herald.toml when present).
    #[arg(long, global = true, env = "HERALD_CONFIG")]
    pub config: Option<PathBuf>,
    /// Print only this field of the result, plainly (`--print id`, `--print locations.0.id`),
    /// for the next command to use.
    #[arg(long, global = true, value_name = "FIELD")]
    pub print: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Fill an empty data directory with a sample page first, to see Herald at work.
        #[arg(long)]
        demo: bool,
    },
    /// Write a page's whole public site to a directory, for static hosting.
    Export {
        /// The page's slug or id.
        #[arg(long)]
        page: String,
        /// The directory to write; created when missing.
        #[arg(long)]
        out: PathBuf,
        /// Keep the directory current as changes are committed, until interrupted.
        #[arg(long)]
        watch: bool,
    },
    /// Configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Status pages.
    #[command(subcommand)]
    Page(resources::PageCommand),
    /// Components and their locations.
    #[command(subcommand)]
    Component(resources::ComponentCommand),
    /// API tokens.
    #[command(subcommand)]
    Token(resources::TokenCommand),
    /// Incidents.
    #[command(subcommand)]
    Incident(incident::IncidentCommand),
    /// Who hears about a page's incidents and maintenance: email, webhooks, Slack, Teams.
    #[command(subcommand)]
    Subscriber(subscriber::SubscriberCommand),
    /// Console users: who signs in, with which role.
    #[command(subcommand)]
    User(user::UserCommand),
    /// The database itself.
    #[command(subcommand)]
    Db(DbCommand),
}

#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Write a consistent copy of the database to a new file; safe while the server runs.
    Backup {
        /// The file to write; it must not exist yet.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Print a commented configuration file with every default.
    PrintDefault,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let mut config = config::load(args.config.as_deref())?;
    if let Some(dir) = args.data_dir {
        config.data_dir = dir;
    }
    if let Some(field) = args.print {
        output::print_only(field);
    }
    if let Command::Config(ConfigCommand::PrintDefault) = args.command {
        print!("{}", config::DEFAULT_TOML);
        return Ok(());
    }
    init_logging(
        &config,
        matches!(
            args.command,
            Command::Serve { .. } | Command::Export { watch: true, .. }
        ),
    );
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        match args.command {
            Command::Serve { listen, demo } => serve(config, listen, demo).await,
            Command::Export { page, out, watch } => {
                crate::export::run(&config, &page, &out, watch).await
            }
            Command::Config(_) => Ok(()),
            Command::Page(cmd) => {
                let store = match cmd {
                    resources::PageCommand::Create { .. } => open(&config)?,
                    _ => open_existing(&config)?,
                };
                resources::page(&store, cmd).await
            }
            Command::Component(cmd) => resources::component(&open_existing(&config)?, cmd).await,
            Command::Token(cmd) => resources::token(&open(&config)?, cmd).await,
            Command::Incident(cmd) => incident::run(&open_existing(&config)?, cmd).await,
            Command::Subscriber(cmd) => {
                let allow_private = config.delivery.allow_private_targets;
                subscriber::run(&open_existing(&config)?, cmd, allow_private).await
            }
            Command::User(cmd) => user::run(&config, cmd).await,
            Command::Db(DbCommand::Backup { out }) => {
                let bytes = open_existing(&config)?.backup(&out).await?;
                println!(
                    "Wrote a consistent copy of the database to {} ({bytes} bytes)",
                    out.display()
                );
                Ok(())
            }
        }
    })
}

fn open(config: &Config) -> anyhow::Result<SqliteStore> {
    crate::server::open_store(&config.data_dir)
}

/// The store of a data directory that must already hold Herald's data: a command about pages
/// run against the wrong (or a new) directory says so, rather than creating an empty one and
/// answering that the page was not found.
fn open_existing(config: &Config) -> anyhow::Result<SqliteStore> {
    crate::server::open_existing_store(&config.data_dir)
}

/// The server logs at the configured level; other commands only say what went wrong.
fn init_logging(config: &Config, serving: bool) {
    let filter = if serving {
        config.log.level.as_str()
    } else {
        "warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn serve(mut config: Config, listen: Option<SocketAddr>, demo: bool) -> anyhow::Result<()> {
    if let Some(listen) = listen {
        config.server.listen = listen;
    }
    if demo {
        if crate::demo::seed(&open(&config)?, jiff::Timestamp::now()).await? {
            tracing::info!("added the demo page \"{}\"", crate::demo::DEMO_SLUG);
        } else {
            tracing::warn!("the data directory already has pages; no demo data added");
        }
    }
    let listener = tokio::net::TcpListener::bind(config.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.server.listen))?;
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    crate::server::serve(&config, listener, herald_web::system_clock(), shutdown).await
}

/// How the audit log names a command-line user.
/// Who runs the command, for the audit log: the login name from the environment, else the
/// system's record of the user running it, else the numeric user id.
fn actor() -> String {
    let named = ["USER", "LOGNAME"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|v| !v.trim().is_empty()));
    format!("cli:{}", named.unwrap_or_else(login_name))
}

#[cfg(unix)]
fn login_name() -> String {
    use std::os::unix::fs::MetadataExt;
    // The owner of this process's own /proc entry is the user running it.
    let uid = std::fs::metadata("/proc/self").map(|m| m.uid()).ok();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let name = uid.and_then(|uid| {
        passwd.lines().find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.get(2) == Some(&uid.to_string().as_str())).then(|| fields[0].to_string())
        })
    });
    name.or(uid.map(|uid| format!("uid {uid}")))
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(not(unix))]
fn login_name() -> String {
    std::env::var("USERNAME").unwrap_or_else(|_| "unknown".into())
}
