//! The public page over HTTP: what a visitor's browser and a CDN in front of Herald see.
mod common;

use std::io::Read;

use common::Server;
use reqwest::header;
use serde_json::json;

/// The fixture's last component: once it is shown, the whole fixture is.
const WEBSITE: &str = "class=\"name\">Website<";

#[tokio::test]
async fn a_fresh_install_says_how_to_create_a_page() {
    let s = Server::start().await;
    let home = s.public("/").await;
    assert_eq!(home.status(), 200);
    let body = home.text().await.unwrap();
    assert!(body.contains("herald page create"), "{body}");
    assert_eq!(s.public("/history/").await.status(), 404);
    assert_eq!(s.public("/api/v2/summary.json").await.status(), 404);
}

#[tokio::test]
async fn the_home_page_shows_the_truth_and_escapes_what_leads_write() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let home = s.public_eventually("/", |b| b.contains(WEBSITE)).await;
    assert!(home.contains("All systems operational"), "{home}");
    // A component with several locations lists them; one with a single location does not.
    assert!(
        home.contains("<span>US East</span>") && home.contains("<span>APAC</span>"),
        "{home}"
    );
    assert!(!home.contains("<span>Default</span>"), "{home}");

    let title = "Errors <script>alert(1)</script> on API";
    let mut incident = f.new_incident(title, 2);
    incident["details"] =
        json!("We are **investigating**. <script>alert(2)</script><img src=x onerror=alert(3)>");
    let id = s
        .post(&f.path("/incidents"), &s.responder, incident)
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let home = s
        .public_eventually("/", |b| b.contains("Partial Service Disruption"))
        .await;
    assert!(home.contains("Errors &lt;script&gt;alert(1)&lt;"), "{home}");
    assert!(home.contains("<strong>investigating</strong>"), "{home}");
    assert!(
        home.contains("&lt;script&gt;alert(2)"),
        "shown as text: {home}"
    );
    for raw in ["<script>alert", "<img"] {
        assert!(!home.contains(raw), "{raw} reached the page: {home}");
    }
    assert!(home.contains("Affected: API (US East)"), "{home}");

    // The incident's own page, its canonical directory form, and the history.
    let page = s
        .public_eventually(&format!("/incidents/{id}/"), |b| {
            b.contains("Investigating")
        })
        .await;
    assert!(page.contains("Errors &lt;script&gt;"), "{page}");
    let no_slash = s.public(&format!("/incidents/{id}")).await;
    assert_eq!(no_slash.status(), 200, "followed the redirect");
    assert_eq!(no_slash.url().path(), format!("/incidents/{id}/"));
    assert_eq!(
        s.public("/incidents/000000000000000000000000/")
            .await
            .status(),
        404
    );

    s.advance_mins(20);
    s.resolve_incident(&f, &id).await;
    let postmortem = json!({"url": "https://example.com/postmortems/42"});
    s.put(
        &f.path(&format!("/incidents/{id}/postmortem")),
        &s.responder,
        postmortem,
    )
    .await
    .ok(200);
    let home = s
        .public_eventually("/", |b| b.contains("All systems operational"))
        .await;
    assert!(!home.contains("Current incidents"), "{home}");
    let history = s
        .public_eventually("/history/", |b| b.contains("Errors &lt;script&gt;"))
        .await;
    assert!(
        history.contains(&format!("incidents&#x2f;{id}&#x2f;")),
        "{history}"
    );
    let page = s
        .public_eventually(&format!("/incidents/{id}/"), |b| b.contains("post-mortem"))
        .await;
    assert!(
        page.contains("https:&#x2f;&#x2f;example.com&#x2f;postmortems&#x2f;42"),
        "{page}"
    );
    assert!(page.contains("Resolved"), "{page}");
}

#[tokio::test]
async fn the_page_names_what_is_affected_and_each_day_tells_its_story() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let home = s.public_eventually("/", |b| b.contains(WEBSITE)).await;
    assert!(
        !home.contains("Affected now"),
        "nothing is affected: {home}"
    );
    // The header's Subscribe button offers every way to follow along.
    let menu = home
        .split("<details class=\"subscribe-menu\">")
        .nth(1)
        .and_then(|rest| rest.split("</details>").next())
        .expect("a Subscribe button in the header");
    for choice in ["By email", "RSS feed", "Atom feed", "Maintenance calendar"] {
        assert!(menu.contains(choice), "{choice}: {menu}");
    }
    assert!(
        home.contains("id=\"subscribe\""),
        "the email form is its target"
    );
    // A dark scheme whose accent is lightened to stay readable on the dark background.
    let dark = home
        .split("@media (prefers-color-scheme:dark){:root{--accent:")
        .nth(1)
        .expect("colours for a dark scheme");
    assert!(!dark.starts_with("#1d4ed8"), "{dark}");

    let id = s
        .create_incident(&f, "Email notifications delayed", 3)
        .await;
    let home = s
        .public_eventually("/", |b| b.contains("Affected now"))
        .await;
    assert!(
        home.contains("<h1>Partial Service Disruption: API</h1>"),
        "the banner names what is affected: {home}"
    );
    let affected = home.find("Affected now").unwrap();
    let api = home.find("class=\"name\">API").unwrap();
    let website = home.find(WEBSITE).unwrap();
    assert!(affected < api && api < website, "affected first: {home}");

    s.advance_mins(130);
    s.resolve_incident(&f, &id).await;
    let home = s
        .public_eventually("/", |b| b.contains("All systems operational"))
        .await;
    assert!(!home.contains("Affected now"), "{home}");
    // Today's bar of the API: its level, how long, and a link to the incident.
    let today = home
        .split("<li class=\"partial_service_disruption late\">")
        .nth(1)
        .and_then(|rest| rest.split("</li>").next())
        .expect("today's bar is its own day");
    assert!(today.contains("2 Jun 2025"), "{today}");
    assert!(today.contains("affected for 2 h 10 min"), "{today}");
    assert!(
        today.contains(&format!(
            "incidents&#x2f;{id}&#x2f;\">Email notifications delayed</a>"
        )),
        "{today}"
    );
    // The days before the component existed are one run, with their own tooltip.
    assert!(
        home.contains("<li class=\"no-data\" style=\"flex-grow:89\"><span class=\"tip\"><strong>5 Mar 2025 to 1 Jun 2025</strong> No data"),
        "{home}"
    );

    let history = s
        .public_eventually("/history/", |b| b.contains("Email notifications delayed"))
        .await;
    assert!(history.contains(">June 2025</h2>"), "by month: {history}");
    assert!(history.contains("class=\"impact-major\""), "{history}");
    assert!(history.contains("lasted 2 h 10 min"), "{history}");
}

#[tokio::test]
async fn the_history_is_paginated_newest_first() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let mut titles = Vec::new();
    for n in 0..25 {
        s.advance_mins(60);
        let id = s
            .create_incident(&f, &format!("Incident number {n:02}"), 3)
            .await;
        s.resolve_incident(&f, &id).await;
        titles.push(format!("Incident number {n:02}"));
    }
    let first = s
        .public_eventually("/history/", |b| b.contains("Incident number 24"))
        .await;
    let second = s.public("/history/2/").await.text().await.unwrap();
    assert!(
        first.contains("Page 1 of 2") && second.contains("Page 2 of 2"),
        "{first}"
    );
    let position = |body: &str, title: &str| body.find(title);
    assert!(position(&first, "number 24") < position(&first, "number 05"));
    assert!(
        !first.contains("number 04")
            && second.contains("number 04")
            && second.contains("number 00")
    );
    assert!(!second.contains("number 05"), "{second}");
    assert_eq!(s.public("/history/3/").await.status(), 404);
    assert_eq!(s.public("/history/2").await.url().path(), "/history/2/");
}

fn decode(encoding: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match encoding {
        "br" => brotli::Decompressor::new(body, 4096).read_to_end(&mut out),
        "gzip" => flate2::read::GzDecoder::new(body).read_to_end(&mut out),
        other => panic!("unexpected encoding {other}"),
    }
    .expect("the variant decodes");
    out
}

#[tokio::test]
async fn files_are_precompressed_cached_and_revalidated() {
    let s = Server::start().await;
    s.fixture("acme").await;
    s.public_eventually("/", |b| b.contains(WEBSITE)).await;
    let get = |path: &str, headers: &[(&str, &str)]| {
        let mut request = s.client.get(s.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send()
    };
    let plain = get("/", &[]).await.unwrap();
    let etag = plain.headers()[header::ETAG].to_str().unwrap().to_string();
    let cache = plain.headers()[header::CACHE_CONTROL]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        etag.starts_with('"') && !etag.starts_with("W/"),
        "a strong ETag: {etag}"
    );
    assert!(
        cache.contains("max-age") && cache.contains("stale-if-error"),
        "{cache}"
    );
    assert_eq!(plain.headers()[header::VARY], "Accept-Encoding");
    let identity = plain.bytes().await.unwrap();

    for encoding in ["br", "gzip"] {
        let response = get("/", &[("accept-encoding", encoding)]).await.unwrap();
        assert_eq!(response.headers()[header::CONTENT_ENCODING], encoding);
        let tag = response.headers()[header::ETAG]
            .to_str()
            .unwrap()
            .to_string();
        assert_ne!(tag, etag, "each encoding has its own strong ETag");
        let body = response.bytes().await.unwrap();
        assert!(body.len() < identity.len());
        assert_eq!(decode(encoding, &body), identity);
        // Revalidating with the encoded variant's tag is a 304 too.
        let again = get(
            "/",
            &[("accept-encoding", encoding), ("if-none-match", &tag)],
        )
        .await
        .unwrap();
        assert_eq!(again.status(), 304);
    }

    let not_modified = get("/", &[("if-none-match", &etag)]).await.unwrap();
    assert_eq!(not_modified.status(), 304);
    assert_eq!(not_modified.headers()[header::ETAG].to_str().unwrap(), etag);
    assert!(not_modified.bytes().await.unwrap().is_empty());
    let head = s.client.head(s.url("/")).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()[header::ETAG].to_str().unwrap(), etag);
    assert_eq!(
        s.client.post(s.url("/")).send().await.unwrap().status(),
        405
    );

    // A change makes a new file with a new tag: the old tag no longer matches.
    let f_page = json!({"name": "Acme Cloud"});
    s.patch("/api/v1/pages/acme", &s.admin, f_page)
        .await
        .ok(200);
    s.public_eventually("/", |b| b.contains("Acme Cloud")).await;
    let changed = get("/", &[("if-none-match", &etag)]).await.unwrap();
    assert_eq!(changed.status(), 200);
    assert_ne!(changed.headers()[header::ETAG].to_str().unwrap(), etag);
}

#[tokio::test]
async fn pages_are_served_by_slug_and_by_bound_host_name() {
    let s = Server::start().await;
    s.fixture("acme").await;
    s.fixture("beta").await;
    s.public_eventually("/p/beta/", |b| b.contains("beta status"))
        .await;
    // The first page created is the default one.
    let home = s.public("/").await.text().await.unwrap();
    assert!(home.contains("acme status"), "{home}");
    let redirected = s.public("/p/beta").await;
    assert_eq!(redirected.url().path(), "/p/beta/");
    assert_eq!(s.public("/p/nope/").await.status(), 404);
    assert_eq!(s.public("/p/beta/history/").await.status(), 200);
    assert_eq!(s.public("/p/beta/api/v2/summary.json").await.status(), 200);

    let bind = json!({"settings": {"host": "status.beta.test"}});
    s.patch("/api/v1/pages/beta", &s.admin, bind).await.ok(200);
    let by_host = || {
        s.client
            .get(s.url("/"))
            .header(header::HOST, "status.beta.test:443")
            .send()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        let body = by_host().await.unwrap().text().await.unwrap();
        if body.contains("beta status") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the host binding was not served: {body}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // Other host names still get the default page.
    let other = s
        .client
        .get(s.url("/"))
        .header(header::HOST, "status.acme.test")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(other.contains("acme status"), "{other}");
}

#[tokio::test]
async fn the_page_keeps_serving_when_the_database_is_gone() {
    let s = Server::start().await;
    s.fixture("acme").await;
    let before = s.public_eventually("/", |b| b.contains(WEBSITE)).await;

    // Overwrite the database and its log with zeros: every query now fails.
    for name in ["herald.db", "herald.db-wal"] {
        let path = s.data_dir().join(name);
        if let Ok(meta) = std::fs::metadata(&path) {
            std::fs::write(&path, vec![0u8; meta.len() as usize]).unwrap();
        }
    }
    let read = s.get("/api/v1/pages/acme/components", &s.admin).await;
    assert!(read.status >= 500, "the database really is gone: {read:#?}");
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    for _ in 0..3 {
        let response = s.public("/").await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), before);
    }
}

#[tokio::test]
async fn branding_templates_and_assets_come_from_the_operator() {
    let assets = tempfile::tempdir().unwrap();
    std::fs::write(
        assets.path().join("logo.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    )
    .unwrap();
    let templates = tempfile::tempdir().unwrap();
    let builtin = include_str!("../../herald-public/templates/history.html");
    let reworded = builtin.replace("<h1>History</h1>", "<h1>Past events</h1>");
    std::fs::write(templates.path().join("history.html"), reworded).unwrap();
    let (assets_dir, templates_dir) = (assets.path().to_path_buf(), templates.path().to_path_buf());
    let s = Server::start_configured(|config| {
        config.public.assets_dir = Some(assets_dir);
        config.public.templates_dir = Some(templates_dir);
    })
    .await;
    s.fixture("acme").await;
    let branding = json!({"settings": {"branding": {
        "logo": "/assets/site/logo.svg",
        "colors": {"accent": "#0a7", "background": "#fffdf8", "text": "#222"},
        "custom_css": ".banner { border-radius: 0 }",
        "header_links": [{"label": "Acme <home>", "url": "https://acme.example/"}],
        "footer_links": [{"label": "Support", "url": "mailto:ops@acme.example"}],
    }}});
    s.patch("/api/v1/pages/acme", &s.admin, branding)
        .await
        .ok(200);
    let home = s.public_eventually("/", |b| b.contains("Support")).await;
    for expected in [
        "--accent:#0a7",
        "--bg:#fffdf8",
        ".banner { border-radius: 0 }",
        "Acme &lt;home&gt;",
        "mailto:ops@acme.example",
        "logo.svg\" alt=\"acme status\"",
    ] {
        assert!(home.contains(expected), "{expected} is missing: {home}");
    }
    let logo = s.public("/assets/site/logo.svg").await;
    assert_eq!(logo.status(), 200);
    assert_eq!(logo.headers()[header::CONTENT_TYPE], "image/svg+xml");
    let history = s.public("/history/").await.text().await.unwrap();
    assert!(history.contains("<h1>Past events</h1>"), "{history}");

    // CSS that could close the style element is refused, and the page keeps its branding.
    let breakout =
        json!({"settings": {"branding": {"custom_css": "</style><script>alert(1)</script>"}}});
    let refused = s.patch("/api/v1/pages/acme", &s.admin, breakout).await;
    refused.assert_problem(422, "invalid-field");
    assert!(
        s.public("/")
            .await
            .text()
            .await
            .unwrap()
            .contains("--accent:#0a7")
    );
}
