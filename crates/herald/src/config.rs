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
    pub log: LogConfig,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicConfig {
    /// Where visitors reach Herald; feeds and the JSON APIs give absolute links under it.
    pub base_url: String,
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
            },
            public: PublicConfig {
                base_url: "http://localhost:8080".into(),
                default_page: String::new(),
                templates_dir: None,
                assets_dir: None,
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

[public]
# The address visitors use to reach the public page. Feeds and the Statuspage-compatible
# JSON need absolute links; a page bound to a host name (its settings.host) uses that instead.
base_url = "http://localhost:8080"
# The slug of the page served at "/". Empty: the first page created.
default_page = ""
# A directory whose templates (base.html, home.html, history.html, incident.html,
# macros.html) replace the built-in ones. Unset: the built-in templates.
# templates_dir = "/etc/herald/templates"
# A directory whose files are served under /assets/site/, such as the logo a page's
# settings.branding.logo names ("/assets/site/logo.svg"). Unset: none.
# assets_dir = "/etc/herald/assets"

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
