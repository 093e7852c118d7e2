//! Configuration: built-in defaults, then a TOML file, then `HERALD__SECTION__KEY` environment
//! variables, then command-line flags. Every option has a default, so none is needed.
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where Herald keeps its SQLite database.
    pub data_dir: PathBuf,
    pub server: ServerConfig,
    pub public: PublicConfig,
    pub smtp: SmtpConfig,
    pub delivery: DeliveryConfig,
    pub metrics: MetricsConfig,
    pub log: LogConfig,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// Where Prometheus scrapes `/metrics`, apart from the public listener; empty: off.
    pub listen: String,
}

impl PublicConfig {
    /// `base_url`, or else the address Herald listens on (`localhost` for a wildcard address,
    /// which is no place to link to).
    pub fn base_url_or(&self, listening: SocketAddr) -> String {
        match self.base_url.as_deref().map(str::trim) {
            Some(url) if !url.is_empty() => url.to_string(),
            _ if listening.ip().is_unspecified() => {
                format!("http://localhost:{}", listening.port())
            }
            _ => format!("http://{listening}"),
        }
    }
}

impl MetricsConfig {
    /// The address to listen on, or None when metrics are off.
    pub fn address(&self) -> anyhow::Result<Option<SocketAddr>> {
        match self.listen.trim() {
            "" => Ok(None),
            listen => listen.parse().map(Some).with_context(|| {
                format!("[metrics] listen = {listen:?} is not an address such as \"127.0.0.1:9464\"; use \"\" to turn metrics off")
            }),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    /// `smtp://user:password@host:port` (`?tls=required` for STARTTLS) or `smtps://` for
    /// implicit TLS. Unset: emails are written as .eml files under the data directory.
    pub url: Option<String>,
    /// The sender of every email Herald sends.
    pub from: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryConfig {
    /// Let webhooks, Slack and Teams deliveries reach private, loopback and link-local
    /// addresses (refused by default, after DNS resolution).
    pub allow_private_targets: bool,
    /// How long a receiver has to answer, in seconds.
    pub timeout_secs: u64,
    /// The wait before the first retry, in seconds; it doubles with each failure.
    pub first_retry_secs: u64,
    /// The longest wait between retries, in seconds.
    pub max_retry_secs: u64,
    /// A subscriber every delivery has failed to for this many hours is disabled, and the
    /// page's admins (settings.admin_emails) are told.
    pub disable_after_hours: u64,
    /// Requests and emails in flight at once.
    pub concurrency: usize,
    /// How often the job table is looked at, in milliseconds, when nothing wakes the worker
    /// sooner: the most a retry, a maintenance start or end, or a reminder runs late.
    pub poll_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicConfig {
    /// Where visitors reach Herald; feeds, the JSON APIs, emails and nudges give absolute
    /// links under it. Unset: the address `serve` listens on.
    pub base_url: Option<String>,
    /// The page served at `/` (a slug); the first page created when empty.
    pub default_page: String,
    /// Templates here replace the built-in ones of the same name.
    pub templates_dir: Option<PathBuf>,
    /// Files here are served under `/assets/site/` (a logo, say).
    pub assets_dir: Option<PathBuf>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// How often the server looks for changes committed by other processes, in milliseconds.
    pub change_poll_ms: u64,
    /// Addresses and networks of the reverse proxies in front of Herald: only their
    /// `Forwarded` and `X-Forwarded-For` headers name the client.
    pub trusted_proxies: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// A tracing filter such as `info` or `herald=debug,info`.
    pub level: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("herald-data"),
            server: ServerConfig {
                listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
                change_poll_ms: 250,
                trusted_proxies: Vec::new(),
            },
            public: PublicConfig {
                base_url: None,
                default_page: String::new(),
                templates_dir: None,
                assets_dir: None,
            },
            smtp: SmtpConfig {
                url: None,
                from: "Herald <herald@localhost.localdomain>".into(),
            },
            delivery: DeliveryConfig {
                allow_private_targets: false,
                timeout_secs: 15,
                first_retry_secs: 30,
                max_retry_secs: 3600,
                disable_after_hours: 72,
                concurrency: 256,
                poll_ms: 500,
            },
            metrics: MetricsConfig {
                listen: "127.0.0.1:9464".into(),
            },
            log: LogConfig {
                level: "info".into(),
            },
        }
    }
}

/// The file `herald config print-default` prints: every option, its default, and what it does.
pub const DEFAULT_TOML: &str = r#"# Herald configuration. Every option is shown with its default; delete what you do not change.
# Each can also be set by environment variable: HERALD__SECTION__KEY (HERALD__SERVER__LISTEN),
# and top-level keys as HERALD__KEY (HERALD__DATA_DIR).

# Where Herald keeps its SQLite database (created on first start). Also --data-dir or
# HERALD_DATA_DIR.
data_dir = "herald-data"

[server]
# Address and port the HTTP server listens on. Also `herald serve --listen`.
listen = "127.0.0.1:8080"
# How often, in milliseconds, the server looks for changes other processes committed
# (the command line, another replica).
change_poll_ms = 250
# The reverse proxies in front of Herald, as addresses or networks ("127.0.0.1", "10.0.0.0/8").
# Only their Forwarded and X-Forwarded-For headers are believed, for the sign-in limits and the
# audit log; from anyone else those headers are ignored. Behind a proxy, list it: otherwise
# every visitor looks like the proxy, and one visitor's mistakes lock out everyone.
trusted_proxies = []

[public]
# The address visitors use to reach Herald. Feeds, the Statuspage-compatible JSON, emails and
# nudges need absolute links; a page bound to a host name (its settings.host) uses that
# instead. Unset: the address Herald listens on (server.listen), which is right only when
# people reach Herald there directly; behind a reverse proxy, set it.
# base_url = "https://status.example.com"
# The slug of the page served at "/". Empty: the first page created.
default_page = ""
# A directory whose templates (base.html, home.html, history.html, incident.html,
# maintenance.html, subscription.html, macros.html, and the emails under email/:
# update, confirm and notice, each .txt and .html, and layout.html) replace the built-in
# ones of the same name. Unset: the built-in templates.
# templates_dir = "/etc/herald/templates"
# A directory whose files are served under /assets/site/, such as the logo a page's
# settings.branding.logo names ("/assets/site/logo.svg"). Unset: none.
# assets_dir = "/etc/herald/assets"

[smtp]
# The mail server for subscriber emails: "smtp://user:password@mail.example.com:587?tls=required"
# (STARTTLS), "smtps://user:password@mail.example.com:465" (implicit TLS) or
# "smtp://127.0.0.1:25". Unset: every email is written as an .eml file under
# <data_dir>/mail, so nothing needs a mail server to run.
# url = "smtp://127.0.0.1:25"
# The sender of every email.
from = "Herald <herald@localhost.localdomain>"

[delivery]
# Webhook, Slack and Teams deliveries to private, loopback and link-local addresses are
# refused (checked after DNS resolution) unless this is true.
allow_private_targets = false
# Seconds a receiver has to answer.
timeout_secs = 15
# Seconds before the first retry; the wait doubles with each failure, with jitter.
first_retry_secs = 30
# The longest wait between two retries, in seconds.
max_retry_secs = 3600
# Hours of nothing but failures before a subscriber is disabled and the page's admins
# (the page's settings.admin_emails) are told.
disable_after_hours = 72
# Requests and emails in flight at once.
concurrency = 256
# Milliseconds between looks at the job table when nothing wakes the worker sooner: the most
# a retry, a maintenance start or end, or a reminder runs late.
poll_ms = 500

[metrics]
# Where Prometheus scrapes /metrics (update cadence adherence, per page), on a listener of its
# own so it is never exposed with the public page. Loopback by default; "" turns it off.
listen = "127.0.0.1:9464"

[log]
# Log filter: error, warn, info, debug, trace, or per module ("herald=debug,info").
level = "info"
"#;

/// Loads the configuration. `file` is `--config`; without it, `herald.toml` in the working
/// directory is read when present.
pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
    let mut figment = Figment::from(Serialized::defaults(Config::default()));
    match file {
        Some(path) => {
            anyhow::ensure!(
                path.exists(),
                "the config file {} does not exist",
                path.display()
            );
            figment = figment.merge(Toml::file_exact(path));
        }
        None if Path::new("herald.toml").exists() => {
            figment = figment.merge(Toml::file_exact("herald.toml"))
        }
        None => {}
    }
    figment
        .merge(Env::prefixed("HERALD__").split("__"))
        .extract()
        .context("the configuration is invalid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_default_is_the_default() {
        let printed: Config = toml::from_str(DEFAULT_TOML).unwrap();
        assert_eq!(printed, Config::default());
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail fixes the closure's error type
    fn files_and_environment_override_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("custom.toml", "[server]\nlisten = \"127.0.0.1:9999\"\n")?;
            jail.set_env("HERALD__LOG__LEVEL", "debug");
            let config = load(Some(Path::new("custom.toml"))).unwrap();
            assert_eq!(config.server.listen.port(), 9999);
            assert_eq!(config.log.level, "debug");
            assert_eq!(config.data_dir, PathBuf::from("herald-data"));
            jail.create_file("bad.toml", "[server]\nlisten = \"nowhere\"\n")?;
            assert!(load(Some(Path::new("bad.toml"))).is_err());
            assert!(load(Some(Path::new("missing.toml"))).is_err());
            Ok(())
        });
    }
}
