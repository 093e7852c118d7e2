//! `herald user create|list|disable|enable|nudge-channels`, run as a user would run them, on a
//! data directory of their own.
mod common;

use std::io::Write;
use std::process::{Output, Stdio};

use common::cli::Cli;
use herald_store::Store;
use herald_web::password;
use serde_json::Value;

const PASSWORD: &str = "correct horse battery staple";

impl Cli {
    /// Runs the binary with `input` on its standard input.
    fn run_with_stdin(&self, args: &[&str], input: &str) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        child
            .stdin
            .take()
            .expect("a pipe")
            .write_all(input.as_bytes())
            .expect("the password is written");
        child.wait_with_output().expect("the binary runs")
    }

    /// `user list --json`.
    #[track_caller]
    fn users(&self) -> Vec<Value> {
        let listed = self.json(&["user", "list", "--json"]);
        listed
            .as_array()
            .unwrap_or_else(|| panic!("an array: {listed}"))
            .clone()
    }
}

fn create_args<'a>(email: &'a str, name: &'a str, role: &'a str) -> Vec<&'a str> {
    vec![
        "user", "create", "--email", email, "--name", name, "--role", role,
    ]
}

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("{v} is not a string"))
}

#[track_caller]
fn succeeded(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

/// Asserts Herald itself refused (exit 1, "error: …" and nothing on standard output), and
/// returns the message.
#[track_caller]
fn refused(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    let stderr = String::from_utf8(out.stderr.clone()).expect("UTF-8 errors");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.len() < 2000, "a short message: {stderr}");
    stderr
}

/// Whatever the JSON holds, no key names a hash and no value is one or the password.
#[track_caller]
fn assert_no_secret(text: &str) {
    for needle in ["hash", "$argon2", PASSWORD] {
        assert!(!text.contains(needle), "{needle:?} in {text}");
    }
}

#[tokio::test]
async fn a_user_is_created_with_a_password_from_stdin() {
    let cli = Cli::new();
    let mut args = create_args(" Alice@Example.com ", "Alice Admin", "admin");
    args.extend(["--password-stdin", "--json"]);
    let out = succeeded(&cli.run_with_stdin(&args, &format!("{PASSWORD}\n")));
    assert_no_secret(&out);
    let alice: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let id = str_of(&alice["id"]);
    assert!(
        id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{alice}"
    );
    assert_eq!(alice["email"], "alice@example.com");
    assert_eq!(alice["name"], "Alice Admin");
    assert_eq!(alice["role"], "admin");
    assert_eq!(alice["has_password"], true);
    assert_eq!(alice["disabled_at"], Value::Null);
    assert!(alice["created_at"].is_string(), "{alice}");

    // Stored as an Argon2id hash of the password without its line break, found by email.
    let (user, hash) = cli
        .store()
        .user_credentials("ALICE@example.com")
        .await
        .unwrap()
        .expect("alice is stored");
    assert_eq!(user.id, id);
    let hash = hash.expect("a password hash");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(password::verify(PASSWORD, &hash));
    assert!(!password::verify(&format!("{PASSWORD}\n"), &hash));
    assert!(!password::verify("correct horse battery stapler", &hash));

    // Without --password-stdin: no password, and standard input is not read.
    let text = succeeded(&cli.run_with_stdin(
        &create_args("bob@example.com", "Bob", "responder"),
        "not read at all",
    ));
    assert!(
        text.starts_with("Created responder user bob@example.com (Bob) with id "),
        "{text}"
    );
    assert!(text.contains("no password"), "{text}");
    let (bob, hash) = cli
        .store()
        .user_credentials("bob@example.com")
        .await
        .unwrap()
        .expect("bob is stored");
    assert_eq!(hash, None);
    assert!(!bob.has_password);

    // Listed oldest first, as JSON and as a table, never with a hash.
    let listed = cli.users();
    assert_no_secret(&serde_json::to_string(&listed).unwrap());
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0], alice);
    assert_eq!(listed[1]["email"], "bob@example.com");
    assert_eq!(listed[1]["role"], "responder");
    assert_eq!(listed[1]["has_password"], false);
    let table = cli.ok(&["user", "list"]);
    assert_no_secret(&table);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        header,
        [
            "ID", "EMAIL", "NAME", "ROLE", "STATE", "PASSWORD", "CREATED"
        ]
    );
    let first: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(
        first[..7],
        [
            id,
            "alice@example.com",
            "Alice",
            "Admin",
            "admin",
            "active",
            "yes"
        ]
    );
    let second: Vec<&str> = lines[2].split_whitespace().collect();
    assert_eq!(
        second[1..6],
        ["bob@example.com", "Bob", "responder", "active", "no"]
    );
}

#[tokio::test]
async fn a_short_or_missing_password_is_refused_before_anything_is_written() {
    let cli = Cli::new();
    let mut args = create_args("alice@example.com", "Alice", "admin");
    args.push("--password-stdin");
    for (input, expected) in [
        (
            "elevenchars\n",
            "the password is 11 characters long; use at least 12",
        ),
        ("", "standard input held no password"),
        ("\n", "standard input held no password"),
        ("first line\nsecond line\n", "must be a single line"),
    ] {
        let stderr = refused(&cli.run_with_stdin(&args, input));
        assert!(stderr.contains(expected), "{input:?}: {stderr}");
        assert!(
            !cli.data_dir().exists(),
            "{input:?}: the data directory was made"
        );
    }

    // With data already there: still nothing written.
    cli.ok(&["page", "create", "--slug", "s", "--name", "S"]);
    let before = cli.events().await;
    let stderr = refused(&cli.run_with_stdin(&args, "short"));
    assert!(stderr.contains("at least 12"), "{stderr}");
    assert_eq!(cli.users(), Vec::<Value>::new());
    assert_eq!(cli.events().await, before, "a refused command wrote");
    // Twelve characters, counted as characters, are enough.
    succeeded(&cli.run_with_stdin(&args, "éééééééééééé"));
    assert_eq!(cli.users().len(), 1);
}

#[tokio::test]
async fn bad_input_is_refused_clearly_and_writes_nothing() {
    let cli = Cli::new();
    cli.ok(&create_args("alice@example.com", "Alice", "admin"));
    let before_users = cli.users();
    let before_events = cli.events().await;

    // A taken address, in any case, with or without a password.
    let stderr = refused(&cli.run(&create_args("ALICE@example.com", "Other", "viewer")));
    assert!(
        stderr.contains("a user with email alice@example.com already exists"),
        "{stderr}"
    );
    let mut args = create_args("alice@example.com", "Other", "viewer");
    args.push("--password-stdin");
    let stderr = refused(&cli.run_with_stdin(&args, PASSWORD));
    assert!(stderr.contains("already exists"), "{stderr}");

    for (args, expected) in [
        (
            create_args("alice", "A", "admin"),
            "email: \"alice\" is not an email address",
        ),
        (
            create_args("a b@example.com", "A", "admin"),
            "is not an email address",
        ),
        (
            create_args("carol@example.com", "  ", "admin"),
            "name: must not be empty",
        ),
        (
            create_args("carol@example.com", &"n".repeat(201), "admin"),
            "name: is 201 characters long; the limit is 200",
        ),
        (
            vec!["user", "disable", "000000000000000000000000"],
            "user \"000000000000000000000000\" was not found",
        ),
        (
            vec!["user", "disable", "--email", "nobody@example.com"],
            "user \"nobody@example.com\" was not found",
        ),
    ] {
        let stderr = refused(&cli.run(&args));
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }

    // The argument parser's refusals.
    for (args, expected) in [
        (
            create_args("carol@example.com", "Carol", "root"),
            "\"root\" is not a role; use admin, responder or viewer",
        ),
        (
            vec![
                "user",
                "create",
                "--email",
                "carol@example.com",
                "--name",
                "C",
            ],
            "--role",
        ),
        (
            vec!["user", "disable"],
            "the following required arguments were not provided",
        ),
        (
            vec!["user", "disable", "--email", "alice@example.com", "x"],
            "cannot be used with",
        ),
    ] {
        let stderr = cli.fails(&args);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }

    assert_eq!(
        cli.users(),
        before_users,
        "a refused command changed the list"
    );
    assert_eq!(cli.events().await, before_events, "a refused command wrote");
}

#[tokio::test]
async fn users_are_disabled_once_and_the_audit_log_says_so() {
    let cli = Cli::new();
    let mut args = create_args("alice@example.com", "Alice", "responder");
    args.extend(["--password-stdin", "--json"]);
    let out = succeeded(&cli.run_with_stdin(&args, PASSWORD));
    let alice: Value = serde_json::from_str(&out).unwrap();
    let mut args = create_args("bob@example.com", "Bob", "viewer");
    args.push("--json");
    let bob = cli.json(&args);
    let (alice_id, bob_id) = (str_of(&alice["id"]), str_of(&bob["id"]));

    // By email address, in any case; then by id.
    let text = cli.ok(&["user", "disable", "--email", "Alice@Example.com"]);
    assert_eq!(
        text.trim(),
        format!("Disabled user alice@example.com ({alice_id})")
    );
    let text = cli.ok(&["user", "disable", bob_id]);
    assert_eq!(
        text.trim(),
        format!("Disabled user bob@example.com ({bob_id})")
    );
    let listed = cli.users();
    assert!(
        listed.iter().all(|u| u["disabled_at"].is_string()),
        "{listed:?}"
    );
    let table = cli.ok(&["user", "list"]);
    assert_eq!(table.matches(" disabled ").count(), 2, "{table}");
    let disabled_at = listed[0]["disabled_at"].clone();

    // Again: unchanged, said so, and nothing logged.
    let before = cli.events().await;
    let text = cli.ok(&["user", "disable", alice_id]);
    assert!(
        text.starts_with(&format!(
            "User alice@example.com ({alice_id}) was already disabled at "
        )),
        "{text}"
    );
    assert_eq!(cli.users()[0]["disabled_at"], disabled_at);
    assert_eq!(cli.events().await, before);

    // The log: who did what, as the CLI user, with the user before and after and no hash.
    let events = cli.events().await;
    let summary: Vec<(&str, &str, &str, &str)> = events
        .iter()
        .map(|e| {
            (
                e.kind.as_str(),
                e.actor.as_str(),
                e.subject_type.as_str(),
                e.subject_id.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("user.created", "cli:tester", "user", alice_id),
            ("user.created", "cli:tester", "user", bob_id),
            ("user.disabled", "cli:tester", "user", alice_id),
            ("user.disabled", "cli:tester", "user", bob_id),
        ]
    );
    assert_eq!(events[0].after.as_ref(), Some(&alice));
    assert_eq!(events[2].before.as_ref(), Some(&alice));
    assert_eq!(events[2].after.as_ref(), Some(&listed[0]));
    assert!(events.iter().all(|e| e.page_id.is_none()));
    for event in &events {
        assert_no_secret(&format!(
            "{:?} {:?} {:?}",
            event.before, event.after, event.note
        ));
    }
    let (_, hash) = cli
        .store()
        .user_credentials("alice@example.com")
        .await
        .unwrap()
        .expect("alice");
    let hash = hash.expect("a hash");
    for event in &events {
        let text = format!("{:?} {:?}", event.before, event.after);
        assert!(!text.contains(&hash), "the hash is in {event:?}");
    }
}

/// A disabled user is enabled again, by email address or id, once, and the audit log says so.
#[tokio::test]
async fn a_disabled_user_is_enabled_again() {
    let cli = Cli::new();
    let bob = cli.json(&{
        let mut args = create_args("bob@example.com", "Bob", "responder");
        args.push("--json");
        args
    });
    let bob_id = str_of(&bob["id"]);
    cli.ok(&["user", "disable", bob_id]);
    let before = cli.events().await;

    let text = cli.ok(&["user", "enable", "--email", "BOB@example.com"]);
    assert_eq!(
        text.trim(),
        format!("Enabled user bob@example.com ({bob_id})")
    );
    let listed = cli.users();
    assert_eq!(listed[0]["disabled_at"], Value::Null, "{listed:?}");
    let table = cli.ok(&["user", "list"]);
    assert!(
        table.contains(" active ") && !table.contains(" disabled "),
        "{table}"
    );
    let events = cli.events().await;
    let enabled = &events[before.len()..];
    assert_eq!(enabled.len(), 1, "{enabled:?}");
    assert_eq!(
        (
            enabled[0].kind.as_str(),
            enabled[0].actor.as_str(),
            enabled[0].subject_id.as_str()
        ),
        ("user.enabled", "cli:tester", bob_id)
    );
    assert_eq!(enabled[0].after.as_ref(), Some(&listed[0]));

    // Again: unchanged, said so, and nothing logged.
    let text = cli.ok(&["user", "enable", bob_id]);
    assert_eq!(
        text.trim(),
        format!("User bob@example.com ({bob_id}) was already active")
    );
    assert_eq!(cli.events().await, events);
    let message = refused(&cli.run(&["user", "enable", "--email", "nobody@example.com"]));
    assert!(message.contains("nobody@example.com"), "{message}");
}

/// Someone must still be able to manage users: the only active admin is not disabled, and is
/// once another admin exists.
#[tokio::test]
async fn the_only_active_admin_is_not_disabled() {
    let cli = Cli::new();
    let alice = cli.json(&{
        let mut args = create_args("alice@example.com", "Alice", "admin");
        args.push("--json");
        args
    });
    cli.ok(&create_args("bob@example.com", "Bob", "responder"));
    let before = cli.events().await;
    for which in [
        vec!["user", "disable", "--email", "alice@example.com"],
        vec!["user", "disable", str_of(&alice["id"])],
    ] {
        let message = refused(&cli.run(&which));
        assert!(
            message.contains("alice@example.com is the only active admin")
                && message.contains("make another user an admin first"),
            "{message}"
        );
    }
    assert_eq!(cli.users()[0]["disabled_at"], Value::Null);
    assert_eq!(cli.events().await, before, "a refused command wrote");

    cli.ok(&create_args("carol@example.com", "Carol", "admin"));
    cli.ok(&["user", "disable", "--email", "alice@example.com"]);
    let message = refused(&cli.run(&["user", "disable", "--email", "carol@example.com"]));
    assert!(
        message.contains("carol@example.com is the only active admin"),
        "{message}"
    );
}

#[tokio::test]
async fn nudge_channels_are_set_from_the_command_line() {
    let cli = Cli::new();
    let lead = cli.json(&{
        let mut args = create_args("lead@example.com", "Lead", "responder");
        args.push("--json");
        args
    });
    let set = cli.ok(&[
        "user",
        "nudge-channels",
        "--email",
        "lead@example.com",
        "--via",
        "slack=https://hooks.slack.com/services/T0/B0/x",
        "--via",
        "email=pager@example.com",
    ]);
    assert_eq!(
        set.lines().collect::<Vec<_>>(),
        [
            "lead@example.com is nudged by slack: https://hooks.slack.com/services/T0/B0/x",
            "lead@example.com is nudged by email: pager@example.com",
        ]
    );
    let hooked = cli.ok(&[
        "user",
        "nudge-channels",
        "--email",
        "lead@example.com",
        "--via",
        "webhook=https://pager.example.com/herald",
    ]);
    let secret =
        regex::Regex::new(r"signed \(Standard Webhooks\) with (whsec_[A-Za-z0-9+/=]{44})\n$")
            .unwrap();
    assert!(secret.is_match(&hooked), "{hooked}");
    let refused_text = refused(&cli.run(&[
        "user",
        "nudge-channels",
        str_of(&lead["id"]),
        "--via",
        "email=not an address",
    ]));
    assert!(refused_text.contains("not an address"), "{refused_text}");
    let wrong = cli.run(&[
        "user",
        "nudge-channels",
        str_of(&lead["id"]),
        "--via",
        "pager",
    ]);
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(stderr.contains("write CHANNEL=ADDRESS"), "{stderr}");
    let reset = cli.ok(&["user", "nudge-channels", str_of(&lead["id"])]);
    assert_eq!(
        reset.trim(),
        format!(
            "{} is nudged by email to their own address",
            str_of(&lead["id"])
        )
    );
    let kinds: Vec<String> = cli.events().await.into_iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds
            .iter()
            .filter(|k| *k == "user.nudge_channels_changed")
            .count(),
        3,
        "{kinds:?}"
    );
}
