//! The `herald` binary run as a user runs it, in a working directory of its own with a data
//! directory inside it.
use std::path::{Path, PathBuf};
use std::process::Output;

use herald_store::{EventQuery, EventRecord, Store};
use serde_json::Value;
use tempfile::TempDir;

/// A working directory with a data directory inside it; the CLI runs in the former.
pub struct Cli {
    pub dir: TempDir,
}

impl Cli {
    pub fn new() -> Cli {
        Cli {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn command(&self, args: &[&str]) -> std::process::Command {
        command(self.dir.path(), &self.data_dir(), args)
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("the binary runs")
    }

    /// Runs a command that must succeed, and returns its standard output.
    #[track_caller]
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "herald {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stdout).expect("UTF-8 output")
    }

    #[track_caller]
    pub fn json(&self, args: &[&str]) -> Value {
        let out = self.ok(args);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("herald {args:?}: {e}: {out}"))
    }

    /// Runs a command that must fail, and returns its standard error.
    #[track_caller]
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "herald {args:?} should have failed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(
            out.stdout.is_empty(),
            "herald {args:?} printed a result although it failed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stderr).expect("UTF-8 errors")
    }

    pub fn store(&self) -> impl Store {
        herald::server::open_store(&self.data_dir()).unwrap()
    }

    pub async fn events(&self) -> Vec<EventRecord> {
        self.store()
            .events(EventQuery {
                limit: 500,
                ..EventQuery::default()
            })
            .await
            .unwrap()
    }
}

/// The binary, with the test's environment kept out of its configuration.
pub fn command(cwd: &Path, data_dir: &Path, args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_herald"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("HERALD") {
            cmd.env_remove(key);
        }
    }
    cmd.current_dir(cwd)
        .env("USER", "tester")
        .env("NO_COLOR", "1")
        .arg("--data-dir")
        .arg(data_dir)
        .args(args);
    cmd
}
