//! The `herald` binary itself, run as a user would run it, on a data directory of its own, and
//! beside a running server on the same data directory.
mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::cli::{Cli, command};
use common::{Server, is_id, plus_mins, ts};
use reqwest::Method;
use serde_json::{Value, json};

/// `incident create` with these values and fixed title and details; `affected` may be left out.
fn incident_create<'a>(
    page: &'a str,
    severity: &'a str,
    affected: Option<&'a str>,
    status: &'a str,
) -> Vec<&'a str> {
    let mut args = vec!["incident", "create", "--page", page, "--title", "T"];
    args.extend(["--severity", severity, "--status", status, "--details", "D"]);
    if let Some(affected) = affected {
        args.extend(["--affected", affected]);
    }
    args
}

/// Creates component "API" with locations "US East" and "APAC" on page "s"; its JSON.
fn api_component(cli: &Cli) -> Value {
    cli.json(&[
        "component",
        "create",
        "--page",
        "s",
        "--name",
        "API",
        "--location",
        "US East",
        "--location",
        "APAC",
        "--json",
    ])
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("{v} is not a string"))
}

#[tokio::test]
async fn pages_components_and_tokens() {
    let cli = Cli::new();
    let page = cli.json(&["page", "create", "--slug", "s", "--name", "N", "--json"]);
    assert!(is_id(&page["id"]), "{page}");
    assert_eq!(page["slug"], "s");
    assert_eq!(page["name"], "N");
    let text = cli.ok(&["page", "create", "--slug", "other", "--name", "Other"]);
    assert!(
        text.starts_with("Created page Other (other) with id "),
        "{text}"
    );
    let pages = cli.json(&["page", "list", "--json"]);
    assert_eq!(pages.as_array().unwrap().len(), 2);
    assert_eq!(pages[0]["id"], page["id"]);
    assert_eq!(pages[0]["time_zone"], "UTC");
    let table = cli.ok(&["page", "list"]);
    assert!(table.starts_with("ID"), "{table}");
    assert!(table.contains("TIME ZONE") && table.contains(str_of(&page["id"])));

    let api = api_component(&cli);
    assert!(is_id(&api["id"]), "{api}");
    assert_eq!(api["name"], "API");
    assert_eq!(api["group_id"], Value::Null);
    let locations = api["locations"].as_array().unwrap();
    assert_eq!(locations.len(), 2);
    assert_eq!(locations[0]["name"], "US East");
    assert_eq!(locations[1]["name"], "APAC");
    for location in locations {
        assert!(is_id(&location["id"]), "{location}");
        let keys: Vec<&String> = location.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 2, "{{id, name}}: {location}");
    }
    let website = cli.json(&[
        "component",
        "create",
        "--page",
        str_of(&page["id"]),
        "--name",
        "Website",
        "--group",
        "Edge",
        "--json",
    ]);
    assert_eq!(website["locations"].as_array().unwrap().len(), 1);
    assert_eq!(website["locations"][0]["name"], "Default");
    assert!(is_id(&website["group_id"]), "{website}");
    let text = cli.ok(&["component", "create", "--page", "s", "--name", "CDN"]);
    assert!(
        text.starts_with("Created component CDN with id ") && text.contains("Default ("),
        "{text}"
    );
    let listed = cli.json(&["component", "list", "--page", "s", "--json"]);
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| str_of(&c["name"]))
        .collect();
    assert_eq!(names, ["API", "Website", "CDN"]);
    let table = cli.ok(&["component", "list", "--page", "s"]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines.len(),
        1 + 4,
        "a header and one row per location: {table}"
    );
    assert!(lines[0].starts_with("COMPONENT ID"), "{table}");
    assert!(lines[1].contains("US East") && lines[1].ends_with("Operational"));

    let token = cli.json(&[
        "token",
        "create",
        "--name",
        "n",
        "--role",
        "responder",
        "--json",
    ]);
    assert!(is_id(&token["id"]), "{token}");
    let secret = str_of(&token["secret"]).to_string();
    assert!(secret.starts_with("hrld_"), "{token}");
    assert_eq!(token["name"], "n");
    assert_eq!(token["role"], "responder");
    let text = cli.ok(&["token", "create", "--name", "ops", "--role", "admin"]);
    assert!(text.contains("secret (x-api-key): hrld_"), "{text}");
    assert!(text.contains("id (x-api-id):"), "{text}");
    let tokens = cli.json(&["token", "list", "--json"]);
    assert_eq!(tokens.as_array().unwrap().len(), 2);
    assert!(
        !tokens.to_string().contains(&secret),
        "secrets are never listed"
    );
    let revoked = cli.ok(&["token", "revoke", str_of(&token["id"])]);
    assert_eq!(
        revoked.trim(),
        format!("Revoked token {}", str_of(&token["id"]))
    );
    let table = cli.ok(&["token", "list"]);
    let row = table
        .lines()
        .find(|l| l.starts_with(str_of(&token["id"])))
        .unwrap();
    assert!(row.contains("revoked"), "{table}");

    // Every change is in the audit log under the user who ran the command.
    let events = cli.events().await;
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "page.created",
            "page.created",
            "component.created",
            "group.created",
            "component.created",
            "component.created",
            "token.created",
            "token.created",
            "token.revoked",
        ]
    );
    assert!(events.iter().all(|e| e.actor == "cli:tester"), "{events:?}");
}

#[tokio::test]
async fn incidents_are_run_from_the_command_line() {
    let cli = Cli::new();
    cli.ok(&["page", "create", "--slug", "s", "--name", "N"]);
    let api = api_component(&cli);
    let api_id = str_of(&api["id"]).to_string();
    let apac = str_of(&api["locations"][1]["id"]).to_string();

    // Human output: the whole component, by Status.io code.
    let text = cli.ok(&[
        "incident",
        "create",
        "--page",
        "s",
        "--title",
        "API errors",
        "--severity",
        "1",
        "--affected",
        &api_id,
        "--status",
        "400",
        "--details",
        "We are investigating.",
    ]);
    let mut lines = text.lines();
    let (first_id, title) = lines.next().unwrap().split_once(" — ").unwrap();
    assert!(is_id(&json!(first_id)), "{text}");
    assert_eq!(title, "API errors");
    assert_eq!(
        lines.next().unwrap(),
        "severity 1 · Investigating · Partial Service Disruption"
    );
    assert!(text.contains("next update due: "), "{text}");
    assert!(text.contains("cli:tester") && text.contains("We are investigating."));
    let first_id = first_id.to_string();
    let shown = cli.json(&["incident", "show", "--page", "s", &first_id, "--json"]);
    assert_eq!(shown["affected"].as_array().unwrap().len(), 2);
    let created_at = ts(&shown["created_at"]);
    assert_eq!(ts(&shown["next_update_due"]), plus_mins(created_at, 10));
    assert_eq!(shown["closed_at"], Value::Null);
    assert_eq!(shown["updates"][0]["author"], "cli:tester");

    // JSON output: one location, by level name, starting identified.
    let second = cli.json(&[
        "incident",
        "create",
        "--page",
        "s",
        "--title",
        "APAC slow",
        "--severity",
        "2",
        "--affected",
        &apac,
        "--status",
        "degraded_performance",
        "--state",
        "identified",
        "--details",
        "Slow in APAC.",
        "--json",
    ]);
    let second_id = str_of(&second["id"]).to_string();
    assert!(is_id(&second["id"]));
    assert_eq!(second["state"], "identified");
    assert_eq!(second["severity"], 2);
    assert_eq!(
        second["affected"],
        json!([{"location_id": apac, "level": "degraded_performance"}])
    );
    assert_eq!(
        ts(&second["next_update_due"]),
        plus_mins(ts(&second["created_at"]), 30),
        "severity 2 identified: 30 minutes"
    );

    // Update the first: identified, degraded, with an explicit interval.
    let updated = cli.json(&[
        "incident",
        "update",
        "--page",
        "s",
        &first_id,
        "--state",
        "identified",
        "--status",
        "300",
        "--details",
        "Found it.",
        "--next-update-in",
        "45",
        "--json",
    ]);
    assert_eq!(updated["state"], "identified");
    assert_eq!(updated["updates"].as_array().unwrap().len(), 2);
    for affected in updated["affected"].as_array().unwrap() {
        assert_eq!(affected["level"], "degraded_performance");
    }
    let last_at = ts(&updated["updates"][1]["at"]);
    assert_eq!(ts(&updated["next_update_due"]), plus_mins(last_at, 45));
    let text = cli.ok(&[
        "incident",
        "update",
        "--page",
        "s",
        &first_id,
        "--state",
        "monitoring",
        "--details",
        "Monitoring for 30 minutes.",
    ]);
    assert!(
        text.contains("severity 1 · Monitoring · Degraded Performance"),
        "{text}"
    );

    // Resolve the first.
    let resolved = cli.json(&[
        "incident",
        "resolve",
        "--page",
        "s",
        &first_id,
        "--details",
        "Fixed.",
        "--json",
    ]);
    assert_eq!(resolved["state"], "resolved");
    assert_eq!(resolved["next_update_due"], Value::Null);
    let resolved_at = ts(&resolved["resolved_at"]);
    assert_eq!(ts(&resolved["closed_at"]), plus_mins(resolved_at, 30));
    for affected in resolved["affected"].as_array().unwrap() {
        assert_eq!(affected["level"], "operational");
    }
    let text = cli.ok(&[
        "incident",
        "resolve",
        "--page",
        "s",
        &second_id,
        "--details",
        "Done.",
    ]);
    assert!(text.contains("no further updates due"), "{text}");
    cli.ok(&[
        "incident",
        "update",
        "--page",
        "s",
        &second_id,
        "--state",
        "investigating",
        "--details",
        "It is back.",
    ]);

    // Show and list.
    let text = cli.ok(&["incident", "show", "--page", "s", &first_id]);
    assert!(
        text.starts_with(&format!("{first_id} — API errors\n")),
        "{text}"
    );
    assert!(
        text.contains("severity 1 · Resolved · Operational"),
        "{text}"
    );
    assert!(text.contains("no further updates due"), "{text}");
    let header = text.lines().find(|l| l.starts_with("TIME")).unwrap();
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        ["TIME", "STATE", "AUTHOR", "DETAILS"]
    );
    let shown = cli.json(&["incident", "show", "--page", "s", &first_id, "--json"]);
    assert_eq!(shown["id"], json!(first_id));
    assert_eq!(shown["updates"].as_array().unwrap().len(), 4);

    let all = cli.json(&["incident", "list", "--page", "s", "--json"]);
    let ids: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|i| str_of(&i["id"]))
        .collect();
    assert_eq!(ids, [second_id.as_str(), first_id.as_str()]);
    let active = cli.json(&[
        "incident", "list", "--page", "s", "--state", "active", "--json",
    ]);
    assert_eq!(active.as_array().unwrap().len(), 1);
    assert_eq!(active[0]["id"], json!(second_id));
    let done = cli.json(&[
        "incident", "list", "--page", "s", "--state", "resolved", "--json",
    ]);
    assert_eq!(done.as_array().unwrap().len(), 1);
    assert_eq!(done[0]["id"], json!(first_id));
    let limited = cli.json(&["incident", "list", "--page", "s", "--limit", "1", "--json"]);
    assert_eq!(limited.as_array().unwrap().len(), 1);
    let table = cli.ok(&["incident", "list", "--page", "s"]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["ID", "SEV", "STATE", "LEVEL", "OPENED", "TITLE"]
    );
    assert!(lines[1].starts_with(&second_id) && lines[1].contains("sev2"));
    assert!(lines[1].ends_with("APAC slow"), "{table}");
    assert!(lines[2].starts_with(&first_id) && lines[2].contains("Resolved"));

    let events = cli.events().await;
    let kinds: Vec<&str> = events
        .iter()
        .filter(|e| e.subject_type == "incident")
        .map(|e| e.kind.as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "incident.created",
            "incident.created",
            "incident.updated",
            "incident.updated",
            "incident.resolved",
            "incident.resolved",
            "incident.recurred",
        ]
    );
}

#[tokio::test]
async fn bad_input_fails_with_a_clear_message_and_writes_nothing() {
    let cli = Cli::new();
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
    let api_id = str_of(&api["id"]).to_string();
    let before = cli.events().await;

    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["token", "create", "--name", "x", "--role", "root"],
            "\"root\" is not a role; use admin, responder or viewer",
        ),
        (
            vec!["page", "create", "--slug", "Bad Slug", "--name", "X"],
            "is not a valid slug",
        ),
        (
            vec!["page", "create", "--slug", "s", "--name", "Again"],
            "already exists",
        ),
        (
            vec![
                "page",
                "create",
                "--slug",
                "z",
                "--name",
                "Z",
                "--time-zone",
                "Mars/Olympus",
            ],
            "not a known IANA time zone",
        ),
        (
            vec!["component", "create", "--page", "nope", "--name", "X"],
            "page \"nope\" was not found",
        ),
        (
            vec!["component", "list", "--page", "nope"],
            "page \"nope\" was not found",
        ),
        (
            vec![
                "component",
                "create",
                "--page",
                "s",
                "--name",
                "X",
                "--location",
                "EU",
                "--location",
                "eu",
            ],
            "listed twice",
        ),
        (
            incident_create("nope", "2", Some(&api_id), "400"),
            "page \"nope\" was not found",
        ),
        (
            incident_create("s", "9", Some(&api_id), "400"),
            "9 is not a severity",
        ),
        (
            incident_create("s", "2", Some(&api_id), "bogus"),
            "use operational, under_maintenance",
        ),
        (
            incident_create("s", "2", Some(&api_id), "operational"),
            "not operational",
        ),
        (
            incident_create("s", "2", Some("000000000000000000000000"), "400"),
            "does not belong to this page",
        ),
        (incident_create("s", "2", None, "400"), "--affected"),
        (
            vec![
                "incident",
                "show",
                "--page",
                "s",
                "000000000000000000000000",
            ],
            "incident \"000000000000000000000000\" was not found",
        ),
        (
            vec![
                "incident",
                "update",
                "--page",
                "s",
                "000000000000000000000000",
                "--state",
                "paused",
                "--details",
                "D",
            ],
            "use investigating, identified, monitoring or resolved",
        ),
        (
            vec![
                "incident",
                "resolve",
                "--page",
                "s",
                "000000000000000000000000",
                "--details",
                "D",
            ],
            "was not found",
        ),
        (
            vec!["incident", "list", "--page", "s", "--state", "open"],
            "use active, resolved or all",
        ),
        (
            vec!["token", "revoke", "000000000000000000000000"],
            "was not found",
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
    // Errors from Herald itself (not the argument parser) say "error:" and exit 1.
    let out = cli.run(&["page", "create", "--slug", "Bad Slug", "--name", "X"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: "));
    assert_eq!(cli.events().await, before, "a refused command wrote");
}

#[tokio::test]
async fn config_print_default_prints_the_commented_defaults() {
    let cli = Cli::new();
    let out = cli.ok(&["config", "print-default"]);
    assert_eq!(out, herald::config::DEFAULT_TOML);
    assert!(out.lines().any(|l| l.starts_with('#')), "commented");
    let parsed: herald::config::Config = toml::from_str(&out).expect("valid TOML");
    assert_eq!(parsed, herald::config::Config::default());
    assert!(
        !cli.data_dir().exists(),
        "printing the configuration touches no data"
    );
    // A bad configuration file is reported, not ignored.
    std::fs::write(
        cli.dir.path().join("bad.toml"),
        "[server]\nlisten = \"nowhere\"\n",
    )
    .unwrap();
    let stderr = cli.fails(&["--config", "bad.toml", "page", "list"]);
    assert!(stderr.contains("configuration is invalid"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_sees_what_the_cli_writes_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let s = Server::start_on(&data_dir).await;
    let f = s.fixture("acme").await;
    let last = s.last_event_id().await;
    let herald = |args: &[&str]| {
        let mut cmd = tokio::process::Command::from(command(dir.path(), &data_dir, args));
        cmd.kill_on_drop(true);
        cmd
    };

    let poll = tokio::spawn(common::send(s.request(
        Method::GET,
        &format!("/api/v1/events?after={last}&wait=5"),
        Some(&s.admin),
    )));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !poll.is_finished(),
        "the long poll returned with nothing new"
    );

    let out = herald(&[
        "incident",
        "create",
        "--page",
        "acme",
        "--title",
        "Declared from a terminal",
        "--severity",
        "2",
        "--affected",
        &f.api,
        "--status",
        "500",
        "--details",
        "Investigating.",
        "--json",
    ])
    .output()
    .await
    .unwrap();
    let committed = Instant::now();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = str_of(&created["id"]).to_string();

    let events = poll.await.unwrap().ok(200);
    let latency = committed.elapsed();
    assert!(
        latency < Duration::from_secs(3),
        "the long poll saw the CLI's write after {latency:?}"
    );
    let events = events.as_array().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["kind"], "incident.created");
    assert_eq!(events[0]["actor"], "cli:tester");
    assert_eq!(events[0]["subject_id"], json!(id));
    assert_eq!(events[0]["page_id"], json!(f.page_id));

    // The server serves what the CLI wrote, and a token the CLI made works against it.
    let incident = s
        .get(&f.path(&format!("/incidents/{id}")), &s.viewer)
        .await
        .ok(200);
    assert_eq!(incident["title"], "Declared from a terminal");
    assert_eq!(incident["level"], "service_disruption");
    let out = herald(&[
        "token", "create", "--name", "bot", "--role", "viewer", "--json",
    ])
    .output()
    .await
    .unwrap();
    assert!(out.status.success());
    let token: Value = serde_json::from_slice(&out.stdout).unwrap();
    let bot = common::Tok {
        id: str_of(&token["id"]).into(),
        name: "bot".into(),
        secret: str_of(&token["secret"]).into(),
    };
    let pages = s.get("/api/v1/pages", &bot).await.ok(200);
    assert_eq!(pages[0]["slug"], "acme");
}

/// Waits up to five seconds for `done`.
async fn within_5s(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !done() {
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn export_writes_the_public_site_and_watch_keeps_it_current() {
    let cli = Cli::new();
    cli.ok(&["page", "create", "--slug", "s", "--name", "Status <S>"]);
    let api = api_component(&cli);
    let us_east = str_of(&api["locations"][0]["id"]).to_string();
    cli.ok(&incident_create("s", "2", Some(&us_east), "400"));
    let out = cli.dir.path().join("site");
    // Where the exported site will be served from: its absolute links start there.
    const SITE: &str = "https://status.example.com";
    let export = cli
        .command(&["export", "--page", "s", "--out", out.to_str().unwrap()])
        .env("HERALD__PUBLIC__BASE_URL", SITE)
        .output()
        .unwrap();
    assert!(export.status.success(), "{export:?}");
    let printed = String::from_utf8(export.stdout).unwrap();
    assert!(printed.contains("exported"), "{printed}");
    let incidents = cli.json(&["incident", "list", "--page", "s", "--json"]);
    let id = str_of(&incidents[0]["id"]);
    for file in [
        "index.html".to_string(),
        "history/index.html".into(),
        format!("incidents/{id}/index.html"),
        "api/v2/summary.json".into(),
        "history.rss".into(),
        "history.atom".into(),
        "maintenance.ics".into(),
        "assets/herald.css".into(),
    ] {
        assert!(out.join(&file).is_file(), "{file} was not exported");
    }
    let home = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(home.contains("Status &lt;S&gt;"), "{home}");

    // The exported JSON is byte for byte what the server serves for the same page.
    let server = Server::start_on_configured(&cli.data_dir(), |c| {
        c.public.base_url = Some(SITE.into());
    })
    .await;
    let served = server
        .public_eventually("/api/v2/summary.json", |_| true)
        .await;
    let exported = std::fs::read_to_string(out.join("api/v2/summary.json")).unwrap();
    assert_eq!(served, exported);
    drop(server);

    let mut watching = cli
        .command(&[
            "export",
            "--page",
            "s",
            "--out",
            out.to_str().unwrap(),
            "--watch",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the export starts");
    let mut args = incident_create("s", "3", Some(&us_east), "300");
    args[5] = "Second incident";
    // Written while the watcher runs, by another process.
    tokio::time::sleep(Duration::from_millis(300)).await;
    cli.ok(&args);
    within_5s("the export picking up the new incident", || {
        std::fs::read_to_string(out.join("index.html")).is_ok_and(|h| h.contains("Second incident"))
    })
    .await;
    watching.kill().expect("the watcher stops");
    let _ = watching.wait();
    let leftovers: Vec<_> = walk(&out)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    let err = cli.fails(&["export", "--page", "nope", "--out", out.to_str().unwrap()]);
    assert!(
        err.contains("\"nope\"") && err.contains("page list"),
        "{err}"
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[tokio::test]
async fn serve_demo_fills_an_empty_data_directory_once() {
    let cli = Cli::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let mut serving = cli
        .command(&["serve", "--demo", "--listen", &listen])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the server starts");
    let client = reqwest::Client::new();
    let url = format!("http://{listen}/");
    let deadline = Instant::now() + Duration::from_secs(10);
    let home = loop {
        if let Ok(response) = client.get(&url).send().await {
            break response.text().await.unwrap();
        }
        assert!(Instant::now() < deadline, "the demo server did not answer");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    serving.kill().unwrap();
    let _ = serving.wait();
    for expected in [
        "Acme Cloud",
        "<h3>Platform</h3>",
        "<span>EU West</span>",
        "Delayed email notifications",
        "Current incidents",
        "Database version upgrade",
        "% uptime",
    ] {
        assert!(home.contains(expected), "{expected} is missing: {home}");
    }
    // 90 days of history: incidents spread over the uptime window, one with a post-mortem.
    let incidents = cli.json(&["incident", "list", "--page", "demo", "--json"]);
    let incidents = incidents.as_array().unwrap();
    assert!(incidents.len() >= 6, "{incidents:?}");
    let oldest = incidents
        .iter()
        .map(|i| ts(&i["created_at"]))
        .min()
        .unwrap();
    assert!(oldest < plus_mins(jiff::Timestamp::now(), -60 * 24 * 80));
    let active = incidents
        .iter()
        .filter(|i| i["state"] != "resolved")
        .count();
    assert_eq!(active, 1);
    let postmortem = incidents.iter().find(|i| i["postmortem_url"].is_string());
    let postmortem = postmortem.expect("a resolved incident with its post-mortem");
    let shown = cli.json(&[
        "incident",
        "show",
        "--page",
        "demo",
        str_of(&postmortem["id"]),
        "--json",
    ]);
    assert!(shown["updates"].as_array().unwrap().len() >= 4, "{shown}");

    // A second start changes nothing.
    let events = cli.events().await.len();
    let mut again = cli
        .command(&["serve", "--demo", "--listen", &listen])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.get(&url).send().await.is_err() {
        assert!(Instant::now() < deadline, "the second start did not answer");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    again.kill().unwrap();
    let _ = again.wait();
    assert_eq!(cli.events().await.len(), events);
}

#[tokio::test]
async fn the_issue_link_is_given_and_edited_from_the_command_line() {
    let cli = Cli::new();
    cli.ok(&["page", "create", "--slug", "s", "--name", "N"]);
    let api = api_component(&cli);
    let mut args = incident_create("s", "2", Some(str_of(&api["id"])), "400");
    let details_at = args.iter().position(|a| *a == "D").unwrap();
    args[details_at] = "Investigating in: {issue_link}";
    let refused = cli.fails(&args);
    assert!(refused.contains("{issue_link}"), "{refused}");
    args.extend(["--issue-link", "https://issues.example.com/1", "--json"]);
    let created = cli.json(&args);
    assert_eq!(
        created["updates"][0]["details"],
        "Investigating in: https://issues.example.com/1"
    );
    let id = str_of(&created["id"]).to_string();
    let edited = cli.ok(&[
        "incident",
        "edit",
        "--page",
        "s",
        &id,
        "--title",
        "API errors",
        "--issue-link",
        "https://issues.example.com/2",
    ]);
    assert!(edited.contains("— API errors"), "{edited}");
    assert!(
        edited.contains("issue: https://issues.example.com/2"),
        "{edited}"
    );
    let bad = cli.fails(&[
        "incident",
        "edit",
        "--page",
        "s",
        &id,
        "--issue-link",
        "nope",
    ]);
    assert!(bad.contains("issue_link"), "{bad}");
}

#[tokio::test]
async fn the_affected_list_is_edited_with_levels_from_the_command_line() {
    let cli = Cli::new();
    cli.ok(&["page", "create", "--slug", "s", "--name", "N"]);
    let api = api_component(&cli);
    let (us_east, apac) = (
        str_of(&api["locations"][0]["id"]),
        str_of(&api["locations"][1]["id"]),
    );
    let mut args = incident_create("s", "2", Some(us_east), "degraded_performance");
    args.push("--json");
    let created = cli.json(&args);
    let id = str_of(&created["id"]).to_string();
    let edit = |affected: &[&str]| {
        let mut args = ["incident", "edit", "--page", "s", &id, "--json"]
            .map(String::from)
            .to_vec();
        for a in affected {
            args.extend(["--affected".to_string(), a.to_string()]);
        }
        args
    };
    // The component stands for both locations; US East keeps its level, APAC takes the one
    // given with the component, then US East alone gets its own.
    let api_at = format!("{}=service_disruption", str_of(&api["id"]));
    let us_east_at = format!("{us_east}=300");
    let edited = cli.json(&strs(&edit(&[&api_at, &us_east_at])));
    assert_eq!(
        edited["affected"],
        json!([
            {"location_id": us_east, "level": "degraded_performance"},
            {"location_id": apac, "level": "service_disruption"},
        ])
    );
    assert_eq!(edited["updates"].as_array().unwrap().len(), 1, "no update");
    // Removing one: the list given is the new list.
    let edited = cli.json(&strs(&edit(&[apac])));
    assert_eq!(
        edited["affected"],
        json!([{"location_id": apac, "level": "service_disruption"}])
    );
    let events = cli.events().await.len();
    let bad = cli.fails(&strs(&edit(&[&format!("{us_east}=on_fire")])));
    assert!(
        bad.contains("on_fire") && bad.contains("degraded_performance"),
        "{bad}"
    );
    let bad = cli.fails(&strs(&edit(&["nowhere"])));
    assert!(bad.contains("nowhere"), "{bad}");
    assert_eq!(cli.events().await.len(), events, "nothing was written");
}

#[tokio::test]
async fn a_command_on_a_directory_without_herald_data_says_how_to_point_at_it() {
    let cli = Cli::new();
    let data = cli.data_dir();
    for args in [
        vec!["incident", "list", "--page", "acme"],
        vec!["component", "list", "--page", "acme"],
        vec!["subscriber", "list", "--page", "acme"],
        vec!["page", "list"],
    ] {
        let err = cli.fails(&args);
        assert!(
            err.contains("no Herald data in")
                && err.contains("--data-dir")
                && err.contains("HERALD_DATA_DIR"),
            "herald {args:?}: {err}"
        );
    }
    assert!(!data.exists(), "nothing was created at {}", data.display());
    // Creating the first page is how a directory starts.
    cli.ok(&["page", "create", "--slug", "acme", "--name", "Acme"]);
    cli.ok(&["incident", "list", "--page", "acme"]);
}

#[tokio::test]
async fn the_audit_log_names_who_ran_a_command_without_user_in_the_environment() {
    let cli = Cli::new();
    let out = cli
        .command(&["page", "create", "--slug", "s", "--name", "N"])
        .env_remove("USER")
        .env_remove("LOGNAME")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let events = cli.events().await;
    let actor = &events[0].actor;
    assert!(
        actor.starts_with("cli:") && actor != "cli:unknown" && actor != "cli:",
        "{actor}"
    );
}

#[tokio::test]
async fn print_gives_one_field_plainly_for_the_next_command() {
    let cli = Cli::new();
    let page_id = cli.ok(&[
        "page", "create", "--slug", "s", "--name", "N", "--print", "id",
    ]);
    assert!(is_id(&json!(page_id.trim())), "{page_id:?}");
    let location = cli.ok(&[
        "component",
        "create",
        "--page",
        "s",
        "--name",
        "API",
        "--location",
        "US East",
        "--print",
        "locations.0.id",
    ]);
    let location = location.trim().to_string();
    assert!(is_id(&json!(location)), "{location:?}");
    let incident = cli.ok(&[
        "incident",
        "create",
        "--page",
        "s",
        "--title",
        "T",
        "--severity",
        "3",
        "--affected",
        &location,
        "--status",
        "300",
        "--details",
        "D",
        "--print",
        "id",
    ]);
    assert!(is_id(&json!(incident.trim())), "{incident:?}");
    let err = cli.fails(&["page", "list", "--print", "nope"]);
    assert!(err.contains("--print nope"), "{err}");
}

/// The README's tour, typed as written: every command in it succeeds, against a server on the
/// same data directory, with nothing but the binary on `PATH` and `curl`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_tour_runs_as_written() {
    let readme = include_str!("../../../README.md");
    let tour = &readme[readme.find("## A short tour").unwrap()..];
    let start = tour.find("```sh\n").unwrap() + "```sh\n".len();
    let script = &tour[start..start + tour[start..].find("```").unwrap()];

    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("herald-data");
    let s = Server::start_on(&data_dir).await;
    let script = script.replace("http://127.0.0.1:8080", &s.base);
    let bin = Path::new(env!("CARGO_BIN_EXE_herald")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let out = tokio::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(dir.path())
        .env("PATH", path)
        .env_remove("HERALD_DATA_DIR")
        .env_remove("HERALD_CONFIG")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the tour failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Resolved"), "{stdout}");
    let status: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(status["level"], "operational", "{stdout}");
    assert_eq!(status["components"].as_array().unwrap().len(), 2);
}

/// `db backup` copies the database of a running server: the copy opens as a data directory of
/// its own with everything committed before it; it never overwrites a file, and says where
/// the data is when there is none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_the_server_runs_opens_as_an_installation() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let none = command(dir.path(), &data_dir, &["db", "backup", "--out", "x.db"])
        .output()
        .unwrap();
    assert!(!none.status.success());
    let said = String::from_utf8_lossy(&none.stderr);
    assert!(said.contains("there is no Herald data"), "{said}");

    let s = Server::start_on(&data_dir).await;
    let f = s.fixture("acme").await;
    let out = dir.path().join("backup.db");
    let herald = |args: &[&str]| command(dir.path(), &data_dir, args).output().unwrap();
    let made = herald(&["db", "backup", "--out", out.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&made.stdout);
    assert!(made.status.success(), "{made:?}");
    assert!(
        said.starts_with("Wrote a consistent copy of the database to "),
        "{said}"
    );
    let again = herald(&["db", "backup", "--out", out.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already exists"),
        "{again:?}"
    );

    let restored = dir.path().join("restored");
    std::fs::create_dir(&restored).unwrap();
    std::fs::copy(&out, restored.join("herald.db")).unwrap();
    drop(s);
    let pages = command(dir.path(), &restored, &["page", "list", "--json"])
        .output()
        .unwrap();
    let pages: Value = serde_json::from_slice(&pages.stdout).unwrap();
    assert_eq!(pages[0]["slug"], "acme", "{pages}");
    assert_eq!(pages[0]["id"], json!(f.page_id), "{pages}");
}
