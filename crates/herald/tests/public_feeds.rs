//! The history feeds and the maintenance calendar over HTTP, read by the parsers feed readers
//! and calendar clients use: feedparser (tests/interop/feeds.py) and icalendar
//! (tests/interop/calendar_ics.py).
mod common;

use common::{Server, plus_mins};
use jiff::Timestamp;
use reqwest::Url;
use serde_json::{Value, json};

const RSS: &str = "application/rss+xml; charset=utf-8";
const ATOM: &str = "application/atom+xml; charset=utf-8";
const CALENDAR: &str = "text/calendar; charset=utf-8";

/// Both feeds through feedparser, which also checks the entries' titles in order.
async fn feedparser(s: &Server, titles: &[&str]) -> (Value, Value) {
    let parsed = common::python_json(
        "feeds.py",
        vec![
            s.url("/history.rss"),
            s.url("/history.atom"),
            "--titles".into(),
            json!(titles).to_string(),
        ],
    )
    .await;
    (parsed[0].clone(), parsed[1].clone())
}

fn strings(feed: &Value, field: &str) -> Vec<String> {
    feed["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e[field].as_str().unwrap_or_default().to_string())
        .collect()
}

fn has_link(feed: &Value, rel: &str, href: &str) -> bool {
    feed["links"]
        .as_array()
        .expect("links")
        .iter()
        .any(|l| l["rel"] == rel && l["href"] == href)
}

fn iso(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

async fn content_type(s: &Server, path: &str) -> String {
    let response = s.public(path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string()
}

/// The `href` of the page head's `<link rel="alternate" type="{kind}">`, resolved against the
/// page's URL.
fn alternate(page_url: &str, html: &str, kind: &str) -> Option<Url> {
    let head = html.split("</head>").next()?;
    let tag = head.split('<').find(|tag| {
        tag.starts_with("link ")
            && tag.contains("rel=\"alternate\"")
            && tag.contains(&format!("type=\"{kind}\""))
    })?;
    let href = tag.split("href=\"").nth(1)?.split('"').next()?;
    let href = href.replace("&#x2f;", "/").replace("&amp;", "&");
    Url::parse(page_url).ok()?.join(&href).ok()
}

#[tokio::test]
async fn feeds_parse_newest_first_with_text_titles_absolute_links_and_stable_ids() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let base = format!("{}/", s.base.trim_end_matches('/'));
    let t0 = s.now();

    let db = s.create_incident(&f, "Database failover", 3).await;
    s.advance_mins(10);
    let hostile_title = "Errors <script>alert(1)</script> & \"quotes\" on API";
    let mut hostile = f.new_incident(hostile_title, 3);
    hostile["details"] = json!("We are **investigating**. <script>alert(2)</script>");
    let hostile = s
        .post(&f.path("/incidents"), &s.responder, hostile)
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    s.advance_mins(10);
    let update = json!({"state": "identified", "details": "A replica fell behind; failing over."});
    s.post(
        &f.path(&format!("/incidents/{db}/updates")),
        &s.responder,
        update,
    )
    .await
    .ok(201);
    s.advance_mins(10);
    s.resolve_incident(&f, &db).await;
    for path in ["/history.rss", "/history.atom"] {
        s.public_eventually(path, |b| b.contains("Resolved") && b.contains("alert(2)"))
            .await;
    }

    let (rss, atom) = feedparser(&s, &[hostile_title, "Database failover"]).await;
    assert_eq!(
        (rss["version"].as_str(), atom["version"].as_str()),
        (Some("rss20"), Some("atom10"))
    );
    assert_eq!(rss["title"], "acme status status");
    assert_eq!(atom["title"], "acme status status");
    for feed in [&rss, &atom] {
        assert_eq!(
            strings(feed, "title"),
            [hostile_title, "Database failover"],
            "titles are text, newest first: {feed:#}"
        );
        assert_eq!(
            strings(feed, "link"),
            [
                format!("{base}incidents/{hostile}/"),
                format!("{base}incidents/{db}/")
            ]
        );
        assert!(has_link(feed, "alternate", &base), "{feed:#}");
        // The hostile body: its script is text, never an element.
        let content = strings(feed, "content");
        assert!(content[0].contains("alert(2)"), "{content:?}");
        assert!(!content[0].contains("<script"), "{content:?}");
        assert!(
            content[0].contains("<strong>investigating</strong>"),
            "{content:?}"
        );
        // Every update, newest first, with its state.
        let timeline = &content[1];
        let find = |word: &str| {
            timeline
                .find(word)
                .unwrap_or_else(|| panic!("{word} in {timeline}"))
        };
        assert!(
            find("Resolved") < find("Identified") && find("Identified") < find("Investigating"),
            "{timeline}"
        );
        assert!(timeline.contains("A replica fell behind"), "{timeline}");
        assert!(timeline.contains("2025-06-02 09:20 UTC"), "{timeline}");
    }
    assert!(
        has_link(&rss, "self", &format!("{base}history.rss")),
        "{rss:#}"
    );
    assert!(
        has_link(&atom, "self", &format!("{base}history.atom")),
        "{atom:#}"
    );
    assert_eq!(atom["entries"][0]["title_type"], "text/plain");
    let ids = strings(&atom, "id");
    assert_eq!(
        strings(&rss, "id"),
        ids,
        "one id per incident in both feeds"
    );
    assert_ne!(ids[0], ids[1]);
    assert_eq!(
        strings(&rss, "published"),
        [iso(plus_mins(t0, 10)), iso(t0)]
    );
    assert_eq!(
        strings(&atom, "updated"),
        [iso(plus_mins(t0, 10)), iso(plus_mins(t0, 30))]
    );

    // An update, a new title and a renamed page: the ids stay, `updated` moves.
    s.advance_mins(5);
    let update = json!({"state": "monitoring", "details": "Error rates are back to normal."});
    s.post(
        &f.path(&format!("/incidents/{hostile}/updates")),
        &s.responder,
        update,
    )
    .await
    .ok(201);
    let retitled = "Elevated errors on API";
    s.patch(
        &f.path(&format!("/incidents/{hostile}")),
        &s.responder,
        json!({"title": retitled}),
    )
    .await
    .ok(200);
    // A name with markup in it: the feeds' own title and description are plain text too.
    let renamed = "Acme <b>&amp; Co";
    s.patch(&f.path(""), &s.admin, json!({"name": renamed}))
        .await
        .ok(200);
    for path in ["/history.rss", "/history.atom"] {
        s.public_eventually(path, |b| {
            b.contains(retitled) && b.contains("Acme &lt;b&gt;&amp;amp; Co")
        })
        .await;
    }
    let (rss, atom) = feedparser(&s, &[retitled, "Database failover"]).await;
    assert_eq!(strings(&atom, "id"), ids, "{atom:#}");
    assert_eq!(strings(&rss, "id"), ids, "{rss:#}");
    for feed in [&rss, &atom] {
        assert_eq!(feed["title"], format!("{renamed} status"), "{feed:#}");
        assert_eq!(
            feed["description"],
            format!("Incidents on {renamed}, newest first."),
            "{feed:#}"
        );
    }
    assert_eq!(
        strings(&atom, "updated"),
        [iso(plus_mins(t0, 35)), iso(plus_mins(t0, 30))]
    );
    assert_eq!(
        strings(&atom, "published"),
        [iso(plus_mins(t0, 10)), iso(t0)]
    );
    assert!(strings(&rss, "content")[0].starts_with("<p>Affected"));
    assert!(
        strings(&atom, "content")[0].contains("Error rates are back to normal."),
        "{atom:#}"
    );

    assert_eq!(content_type(&s, "/history.rss").await, RSS);
    assert_eq!(content_type(&s, "/history.atom").await, ATOM);
}

#[tokio::test]
async fn the_home_page_links_both_feeds_and_the_calendar() {
    let s = Server::start().await;
    let _f = s.fixture("acme").await;
    let home = s
        .public_eventually("/", |b| b.contains("history.atom"))
        .await;
    for (kind, path, served_as) in [
        ("application/rss+xml", "/history.rss", RSS),
        ("application/atom+xml", "/history.atom", ATOM),
        ("text/calendar", "/maintenance.ics", CALENDAR),
    ] {
        let url = alternate(&s.url("/"), &home, kind)
            .unwrap_or_else(|| panic!("no <link rel=alternate type={kind}> in {home}"));
        assert_eq!(url.as_str(), s.url(path));
        assert_eq!(content_type(&s, url.path()).await, served_as);
    }
}

#[tokio::test]
async fn the_maintenance_calendar_parses_in_icalendar() {
    let s = Server::start().await;
    let _f = s.fixture("acme").await;
    s.public_eventually("/maintenance.ics", |b| b.contains("acme status"))
        .await;
    assert_eq!(content_type(&s, "/maintenance.ics").await, CALENDAR);
    let parsed = common::python_json("calendar_ics.py", vec![s.url("/maintenance.ics")]).await;
    assert_eq!(parsed["name"], "acme status maintenance", "{parsed:#}");
    assert_eq!(parsed["version"], "2.0");
    assert_eq!(parsed["method"], "PUBLISH");
    assert_eq!(parsed["refresh_interval"], "PT1H");
    // No maintenance model yet: the writer's events are covered by herald-public's tests/ics.rs.
    assert_eq!(parsed["events"], json!([]));
}
