//! `herald subscriber add|list|remove`, run as a user would run them, on a data directory of
//! their own.
mod common;

use common::cli::Cli;
use herald_core::subscriber::{Channel, NewSubscriber, WebhookFormat};
use herald_store::{JobKind, MAX_LIST_LIMIT, Store};
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

impl Cli {
    /// `subscriber list --json` for page "s", with any further arguments.
    #[track_caller]
    fn list(&self, more: &[&str]) -> Vec<Value> {
        let mut args = vec!["subscriber", "list", "--page", "s", "--json"];
        args.extend(more);
        let listed = self.json(&args);
        listed
            .as_array()
            .unwrap_or_else(|| panic!("an array: {listed}"))
            .clone()
    }
}

/// Page "s" with component "API"; the component's id.
fn page_with_api(cli: &Cli) -> String {
    cli.ok(&["page", "create", "--slug", "s", "--name", "N"]);
    let api = cli.json(&[
        "component",
        "create",
        "--page",
        "s",
        "--name",
        "API",
        "--json",
    ]);
    str_of(&api["id"]).to_string()
}

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("{v} is not a string"))
}

fn is_id(value: &Value) -> bool {
    value.as_str().is_some_and(|s| {
        s.len() == 24
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

fn ids(listed: &[Value]) -> Vec<&str> {
    listed.iter().map(|s| str_of(&s["id"])).collect()
}

#[tokio::test]
async fn every_channel_is_added_and_listed() {
    let cli = Cli::new();
    let api = page_with_api(&cli);

    let pending = cli.json(&[
        "subscriber",
        "add",
        "--page",
        "s",
        "--email",
        "ops@example.com",
        "--json",
    ]);
    assert!(is_id(&pending["id"]), "{pending}");
    assert_eq!(pending["channel"], "email");
    assert_eq!(pending["address"], "ops@example.com");
    assert_eq!(pending["state"], "pending", "{pending}");
    assert_eq!(pending["confirmed_at"], Value::Null);
    assert_eq!(pending["components"], serde_json::json!([]));
    assert!(pending.get("secret").is_none(), "{pending}");

    let trusted = cli.json(&[
        "subscriber",
        "add",
        "--page",
        "s",
        "--email",
        "boss@example.com",
        "--confirmed",
        "--json",
    ]);
    assert_eq!(trusted["state"], "active", "{trusted}");
    assert!(trusted["confirmed_at"].is_string(), "{trusted}");

    let webhook = cli.json(&[
        "subscriber",
        "add",
        "--page",
        "s",
        "--webhook",
        "https://hooks.example.com/herald",
        "--component",
        &api,
        "--format",
        "statuspage",
        "--json",
    ]);
    assert_eq!(webhook["channel"], "webhook");
    assert_eq!(webhook["state"], "active");
    assert_eq!(webhook["format"], "statuspage");
    assert_eq!(webhook["components"], serde_json::json!([api]));
    let secret = str_of(&webhook["secret"]);
    assert!(
        secret.starts_with("whsec_") && secret.len() > 20,
        "{webhook}"
    );

    let slack = cli.json(&[
        "subscriber",
        "add",
        "--page",
        "s",
        "--slack",
        "https://hooks.slack.com/services/T0/B0/x",
        "--json",
    ]);
    assert_eq!(slack["channel"], "slack");
    assert_eq!(slack["state"], "active");
    assert!(slack.get("secret").is_none(), "{slack}");
    let teams = cli.json(&[
        "subscriber",
        "add",
        "--page",
        "s",
        "--teams",
        "https://example.webhook.office.com/x",
        "--json",
    ]);
    assert_eq!(teams["channel"], "teams");
    assert_eq!(teams["state"], "active");

    // Without --json: one line saying what was added, and a webhook's secret once.
    let text = cli.ok(&[
        "subscriber",
        "add",
        "--page",
        "s",
        "--webhook",
        "https://other.example.com/hook",
    ]);
    assert!(
        text.starts_with("Added webhook subscriber ")
            && text.contains("(https://other.example.com/hook)"),
        "{text}"
    );
    let secret_line = text
        .lines()
        .find(|l| l.starts_with("signing secret (shown once): "))
        .unwrap_or_else(|| panic!("a secret line: {text}"));
    assert!(secret_line.contains(" whsec_"), "{text}");
    let text = cli.ok(&[
        "subscriber",
        "add",
        "--page",
        "s",
        "--email",
        "new@example.com",
    ]);
    assert!(
        text.starts_with("Added email subscriber ") && text.contains("pending"),
        "{text}"
    );
    assert!(!text.contains("secret"), "{text}");

    // All of them, oldest first, without secrets; --channel narrows the list.
    let listed = cli.list(&[]);
    assert_eq!(listed.len(), 7, "{listed:?}");
    let expected = [&pending, &trusted, &webhook, &slack, &teams];
    for (got, want) in listed.iter().zip(expected) {
        assert_eq!(got["id"], want["id"]);
        assert_eq!(got["channel"], want["channel"]);
        assert_eq!(got["state"], want["state"]);
        assert_eq!(got["address"], want["address"]);
        assert_eq!(got["components"], want["components"]);
    }
    assert!(
        listed.iter().all(|s| s.get("secret").is_none()),
        "{listed:?}"
    );
    let emails = cli.list(&["--channel", "email"]);
    assert_eq!(emails.len(), 3, "{emails:?}");
    assert!(emails.iter().all(|s| s["channel"] == "email"), "{emails:?}");
    assert_eq!(
        ids(&cli.list(&["--channel", "slack"])),
        [str_of(&slack["id"])]
    );
    assert_eq!(
        ids(&cli.list(&["--channel", "teams"])),
        [str_of(&teams["id"])]
    );
    assert_eq!(cli.list(&["--channel", "webhook"]).len(), 2);

    // The table: one line per subscriber with id, channel, state, address and components.
    let table = cli.ok(&["subscriber", "list", "--page", "s"]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 8, "a header and 7 rows: {table}");
    assert!(lines[0].starts_with("ID"), "{table}");
    let row = |id: &Value| -> Vec<&str> {
        let line = lines
            .iter()
            .find(|l| l.starts_with(str_of(id)))
            .unwrap_or_else(|| panic!("a row for {id}: {table}"));
        line.split_whitespace().collect()
    };
    assert_eq!(
        row(&pending["id"])[1..],
        ["email", "pending", "ops@example.com", "all"]
    );
    assert_eq!(
        row(&trusted["id"])[1..],
        ["email", "active", "boss@example.com", "all"]
    );
    assert_eq!(
        row(&webhook["id"])[1..],
        [
            "webhook",
            "active",
            "https://hooks.example.com/herald",
            api.as_str()
        ]
    );
    let filtered = cli.ok(&["subscriber", "list", "--page", "s", "--channel", "teams"]);
    assert_eq!(filtered.lines().count(), 2, "{filtered}");
    assert!(filtered.contains(str_of(&teams["id"])), "{filtered}");

    // Only the pending address has a confirmation email queued, for the server to send.
    let now = Timestamp::now() + SignedDuration::from_secs(1);
    let jobs = cli
        .store()
        .claim_jobs(now, 100, now + SignedDuration::from_mins(5))
        .await
        .unwrap();
    let mut confirming: Vec<&str> = jobs
        .iter()
        .filter(|j| j.kind == JobKind::Confirmation)
        .filter_map(|j| j.subscriber_id.as_deref())
        .collect();
    confirming.sort();
    let new_email = emails.iter().find(|s| s["address"] == "new@example.com");
    let mut expected = vec![str_of(&pending["id"]), str_of(&new_email.unwrap()["id"])];
    expected.sort();
    assert_eq!(confirming, expected, "{jobs:?}");
}

#[tokio::test]
async fn remove_takes_a_subscriber_off_and_an_unknown_id_fails() {
    let cli = Cli::new();
    page_with_api(&cli);
    let keep = cli.json(&[
        "subscriber",
        "add",
        "--page",
        "s",
        "--slack",
        "https://hooks.slack.com/keep",
        "--json",
    ]);
    let gone = cli.json(&[
        "subscriber",
        "add",
        "--page",
        "s",
        "--webhook",
        "https://example.com/gone",
        "--json",
    ]);
    let gone_id = str_of(&gone["id"]);
    let text = cli.ok(&["subscriber", "remove", "--page", "s", gone_id]);
    assert_eq!(text.trim(), format!("Removed subscriber {gone_id}"));
    assert_eq!(ids(&cli.list(&[])), [str_of(&keep["id"])]);

    // Removing it again, or an id that never was, fails and says why.
    let before = cli.events().await;
    for id in [gone_id, "000000000000000000000000"] {
        let out = cli.run(&["subscriber", "remove", "--page", "s", id]);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        assert!(out.stdout.is_empty(), "{out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            stderr.trim(),
            format!("error: subscriber \"{id}\" was not found")
        );
    }
    // A subscriber of another page is not found through this one.
    cli.ok(&["page", "create", "--slug", "t", "--name", "T"]);
    let stderr = cli.fails(&["subscriber", "remove", "--page", "t", str_of(&keep["id"])]);
    assert!(stderr.contains("was not found"), "{stderr}");
    assert_eq!(ids(&cli.list(&[])), [str_of(&keep["id"])]);
    assert_eq!(cli.events().await.len(), before.len() + 1, "only the page");

    // Once removed, the address can be added again.
    cli.ok(&[
        "subscriber",
        "add",
        "--page",
        "s",
        "--webhook",
        "https://example.com/gone",
    ]);
    assert_eq!(cli.list(&[]).len(), 2);
}

#[tokio::test]
async fn bad_input_and_duplicates_are_refused_and_nothing_is_written() {
    let cli = Cli::new();
    page_with_api(&cli);
    let existing = cli.json(&[
        "subscriber",
        "add",
        "--page",
        "s",
        "--email",
        "ops@example.com",
        "--json",
    ]);
    let existing_id = str_of(&existing["id"]).to_string();
    cli.ok(&[
        "subscriber",
        "add",
        "--page",
        "s",
        "--webhook",
        "https://example.com/hook",
    ]);
    let before_events = cli.events().await;
    let before_list = cli.list(&[]);

    let add = |more: &[&'static str]| -> Vec<&'static str> {
        let mut args = vec!["subscriber", "add", "--page", "s"];
        args.extend(more);
        args
    };
    // The store's wording, minus its article ("a email"), so a grammar fix does not break this.
    let duplicate = format!("is already subscribed to this page by email (id {existing_id})");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            add(&["--email", "not-an-address"]),
            "\"not-an-address\" is not an email address",
        ),
        (
            add(&["--email", "ops@localhost"]),
            "is not an email address",
        ),
        (
            add(&["--webhook", "ftp://example.com/hook"]),
            "\"ftp://example.com/hook\" is not an absolute http(s) URL",
        ),
        (
            add(&["--slack", "hooks.slack.com/x"]),
            "is not an absolute http(s) URL",
        ),
        (
            add(&["--teams", "javascript:alert(1)"]),
            "is not an absolute http(s) URL",
        ),
        (
            add(&[
                "--webhook",
                "https://example.com/other",
                "--component",
                "000000000000000000000000",
            ]),
            "\"000000000000000000000000\" is not a component of this page",
        ),
        (
            add(&["--email", "x@example.com", "--format", "statuspage"]),
            "only webhook subscribers choose a payload format",
        ),
        (
            add(&[
                "--slack",
                "https://hooks.slack.com/y",
                "--format",
                "statuspage",
            ]),
            "only webhook subscribers choose a payload format",
        ),
        (
            add(&["--webhook", "https://example.com/h2", "--format", "xml"]),
            "\"xml\": use herald or statuspage",
        ),
        // The same address on the same channel, however it is spelled around.
        (add(&["--email", "ops@example.com"]), &duplicate),
        (
            add(&["--email", " ops@example.com ", "--confirmed"]),
            &duplicate,
        ),
        (
            add(&["--webhook", "https://example.com/hook"]),
            "is already subscribed to this page by webhook",
        ),
        // Exactly one channel.
        (
            add(&[]),
            "the following required arguments were not provided",
        ),
        (
            add(&[
                "--email",
                "y@example.com",
                "--webhook",
                "https://example.com/y",
            ]),
            "cannot be used with",
        ),
        (
            vec![
                "subscriber",
                "add",
                "--page",
                "nope",
                "--email",
                "z@example.com",
            ],
            "page \"nope\" was not found",
        ),
        (
            vec!["subscriber", "list", "--page", "nope"],
            "page \"nope\" was not found",
        ),
        (
            vec!["subscriber", "list", "--page", "s", "--channel", "pigeon"],
            "\"pigeon\": use email, webhook, slack or teams",
        ),
        (
            vec!["subscriber", "remove", "--page", "s"],
            "the following required arguments were not provided",
        ),
    ];
    for (args, expected) in &cases {
        let stderr = cli.fails(args);
        assert!(
            stderr.contains(expected),
            "herald {args:?}: expected {expected:?} in: {stderr}"
        );
        assert!(stderr.len() < 2000, "a short message: {stderr}");
    }
    // Herald's own refusals (not the argument parser's) say "error:" and exit 1.
    let out = cli.run(&add(&["--email", "ops@example.com"]));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: "));

    assert_eq!(
        cli.list(&[]),
        before_list,
        "a refused command changed the list"
    );
    assert_eq!(cli.events().await, before_events, "a refused command wrote");
}

#[tokio::test]
async fn the_audit_log_names_the_cli_user() {
    let cli = Cli::new();
    page_with_api(&cli);
    let page_id = cli.store().page("s").await.unwrap().id;
    let before = cli.events().await.len();
    let email = cli.json(&[
        "subscriber",
        "add",
        "--page",
        "s",
        "--email",
        "ops@example.com",
        "--json",
    ]);
    let webhook = cli.json(&[
        "subscriber",
        "add",
        "--page",
        "s",
        "--webhook",
        "https://example.com/hook",
        "--json",
    ]);
    cli.ok(&["subscriber", "remove", "--page", "s", str_of(&email["id"])]);

    let events = cli.events().await;
    let ours = &events[before..];
    let summary: Vec<(&str, &str, &str)> = ours
        .iter()
        .map(|e| (e.kind.as_str(), e.actor.as_str(), e.subject_id.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("subscriber.created", "cli:tester", str_of(&email["id"])),
            ("subscriber.created", "cli:tester", str_of(&webhook["id"])),
            ("subscriber.deleted", "cli:tester", str_of(&email["id"])),
        ]
    );
    for event in ours {
        assert_eq!(event.subject_type, "subscriber");
        assert_eq!(event.page_id.as_deref(), Some(page_id.as_str()));
    }
    let created = ours[1].after.as_ref().expect("the subscriber as created");
    assert_eq!(created["address"], "https://example.com/hook");
    // The signing secret is shown once, to the operator, and never kept in the log.
    let secret = str_of(&webhook["secret"]);
    for event in &events {
        let text = format!("{:?} {:?}", event.before, event.after);
        assert!(!text.contains(secret), "the secret is in {event:?}");
    }
}

#[tokio::test]
async fn list_pages_through_every_subscriber() {
    let cli = Cli::new();
    page_with_api(&cli);
    // One more than the store returns at a time, so the list needs a second page.
    let store = cli.store();
    let count = MAX_LIST_LIMIT as usize + 1;
    let now = Timestamp::now();
    for i in 0..count {
        let (channel, address) = if i % 2 == 0 {
            (Channel::Email, format!("user{i}@example.com"))
        } else {
            (Channel::Slack, format!("https://hooks.slack.com/{i}"))
        };
        let new = NewSubscriber {
            channel,
            address,
            format: WebhookFormat::Herald,
            components: vec![],
            confirmed: true,
        };
        store
            .create_subscriber("test", "s", new, now)
            .await
            .unwrap();
    }
    drop(store);

    let listed = cli.list(&[]);
    assert_eq!(listed.len(), count);
    let mut unique = ids(&listed);
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), count, "each subscriber once");
    assert_eq!(cli.list(&["--channel", "email"]).len(), count.div_ceil(2));
    assert_eq!(cli.list(&["--channel", "slack"]).len(), count / 2);
    let table = cli.ok(&["subscriber", "list", "--page", "s"]);
    assert_eq!(table.lines().count(), count + 1, "a header and every row");
}
