//! Finding past incidents on a page's Incidents tab: filters by state, severity, component and
//! the days declared (in the page's zone), words searched in titles and updates, pages of
//! results, bad filters refused beside their field, and the post-mortem link set in place.
mod common;

use common::console::{Answer, Browser, PASSWORD, add_user};
use common::*;
use herald_core::access::Role;
use serde_json::{Value, json};

const TAB: &str = "/console/pages/main/incidents";

async fn declare(s: &Server, f: &Fixture, title: &str, severity: u8, location: &str) -> String {
    let incident = s
        .post(
            &f.path("/incidents"),
            &s.responder,
            json!({"title": title, "severity": severity, "details": "Investigating.",
                   "affected": [{"location_id": location, "level": "degraded_performance"}]}),
        )
        .await
        .ok(201);
    incident["id"].as_str().unwrap().to_string()
}

async fn resolve(s: &Server, f: &Fixture, id: &str, details: &str) {
    s.post(
        &f.path(&format!("/incidents/{id}/updates")),
        &s.responder,
        json!({"state": "resolved", "details": details}),
    )
    .await
    .ok(201);
}

/// The ids of the incidents the tab lists, in order.
fn listed(answer: &Answer) -> Vec<String> {
    assert_eq!(answer.status, 200, "{answer:#?}");
    let marker = format!("<p><a href=\"{TAB}/");
    answer
        .body
        .split(&marker)
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_string())
        .collect()
}

#[tokio::test]
async fn past_incidents_are_found_by_words_and_filters_a_page_at_a_time() {
    let s = Server::start().await;
    let f = s.fixture("main").await;
    s.patch(&f.path(""), &s.admin, json!({"time_zone": "Europe/Berlin"}))
        .await
        .ok(200);
    // Last week: a database incident, resolved with an update naming the replica.
    let old = declare(&s, &f, "Database latency", 2, &f.us_east).await;
    resolve(&s, &f, &old, "The read REPLICA lagged; it has caught up.").await;
    s.advance_mins(7 * 24 * 60);
    let login = declare(&s, &f, "Login failures <script>", 3, &f.website_default).await;
    let failover = declare(&s, &f, "Database failover", 1, &f.apac).await;
    add_user(&s, "lead@example.com", Role::Responder, Some(PASSWORD)).await;
    let mut b = Browser::new(&s);
    b.sign_in("lead@example.com", PASSWORD).await;

    let all = b.get(TAB).await;
    assert_eq!(
        listed(&all),
        [&failover, &login, &old].map(String::clone),
        "newest first"
    );
    assert!(
        all.body.contains("Login failures &lt;script&gt;"),
        "escaped"
    );
    assert!(!all.body.contains("<script>"));
    let dashboard = b.get("/console").await;
    assert!(
        dashboard.body.contains(&format!("href=\"{TAB}\"")),
        "the tab is linked"
    );

    let website = format!("component={}", f.website);
    let api = format!("component={}", f.api);
    for (query, found) in [
        ("q=replica", vec![&old]),
        ("q=database", vec![&failover, &old]),
        ("q=database+lagged", vec![&old]),
        ("q=nothing+like+this", vec![]),
        ("q=50%25", vec![]),
        ("state=resolved", vec![&old]),
        ("state=investigating", vec![&failover, &login]),
        ("severity=3", vec![&login]),
        (website.as_str(), vec![&login]),
        (api.as_str(), vec![&failover, &old]),
        ("from=2025-06-02&to=2025-06-02", vec![&old]),
        ("from=2025-06-03", vec![&failover, &login]),
        ("to=2025-06-08", vec![&old]),
        ("q=database&from=2025-06-09&severity=1", vec![&failover]),
    ] {
        let answer = b.get(&format!("{TAB}?{query}")).await;
        let want: Vec<String> = found.into_iter().cloned().collect();
        assert_eq!(listed(&answer), want, "{query}");
    }
    let none = b.get(&format!("{TAB}?q=nothing")).await;
    assert!(none.body.contains("No incident matches."));

    // Bad filters: the reason beside the field, no results.
    for (query, field) in [
        ("severity=9", "severity"),
        ("state=asleep", "state"),
        ("component=nope", "component"),
        ("from=yesterday", "from"),
        ("from=2025-06-09&to=2025-06-02", "to"),
    ] {
        let answer = b.get(&format!("{TAB}?{query}")).await;
        assert_eq!(answer.status, 422, "{query}: {answer:#?}");
        assert!(
            answer.body.contains(&format!("id=\"error-{field}\"")),
            "{query}: {}",
            answer.body
        );
        assert!(
            answer
                .body
                .contains(&format!("aria-describedby=\"error-{field}\"")),
            "{query}"
        );
        assert!(!answer.body.contains(&format!("{TAB}/{old}\"")), "{query}");
    }

    // Pages of 25, newest first, the filters kept.
    let mut made = Vec::new();
    for n in 0..27 {
        made.push(declare(&s, &f, &format!("Queue delay {n}"), 4, &f.us_east).await);
    }
    made.reverse();
    let first = b.get(&format!("{TAB}?q=queue")).await;
    assert_eq!(listed(&first), made[..25]);
    let older = format!("{TAB}?q=queue&amp;before={}", made[24]);
    // Links as the browser reads them.
    let unescaped = |a: &Answer| a.body.replace("&#x2f;", "/");
    assert!(unescaped(&first).contains(&older), "{}", first.body);
    let second = b.get(&format!("{TAB}?q=queue&before={}", made[24])).await;
    assert_eq!(listed(&second), made[25..]);
    assert!(!second.body.contains("Older results"));
    assert!(
        unescaped(&second).contains(&format!("href=\"{TAB}?q=queue\"")),
        "back to the newest"
    );
}

#[tokio::test]
async fn the_post_mortem_link_is_added_and_changed_on_the_tab() {
    let s = Server::start().await;
    let f = s.fixture("main").await;
    let id = declare(&s, &f, "Database latency", 2, &f.us_east).await;
    resolve(&s, &f, &id, "Resolved.").await;
    let active = declare(&s, &f, "Login failures", 3, &f.website_default).await;
    add_user(&s, "lead@example.com", Role::Responder, Some(PASSWORD)).await;
    let mut b = Browser::new(&s);
    b.sign_in("lead@example.com", PASSWORD).await;
    let tab = b.get(&format!("{TAB}?q=database")).await;
    assert!(tab.body.contains(&format!("id=\"postmortem-{id}\"")));
    assert!(
        !tab.body.contains(&format!("id=\"postmortem-{active}\"")),
        "only a resolved incident has one"
    );
    let csrf = tab.csrf();
    let incident = async || -> Value {
        s.get(&f.path(&format!("/incidents/{id}")), &s.viewer)
            .await
            .ok(200)
    };
    for url in ["https://example.com/pm/1", "https://example.com/pm/2"] {
        let set = b
            .post(
                &format!("{TAB}/{id}/postmortem"),
                &[
                    ("_csrf", &csrf),
                    ("postmortem_url", url),
                    ("return_to", "q=database"),
                ],
            )
            .await;
        assert_eq!(set.status, 303, "{set:#?}");
        assert_eq!(set.location.as_deref(), Some(&*format!("{TAB}?q=database")));
        assert_eq!(incident().await["postmortem_url"], url);
    }
    let tab = b.get(&format!("{TAB}?q=database")).await;
    assert!(tab.body.contains("Change the post-mortem"), "{}", tab.body);
    assert!(
        tab.body
            .contains("value=\"https:&#x2f;&#x2f;example.com&#x2f;pm&#x2f;2\"")
    );

    // A link that is not one is refused beside its incident, on the same results.
    let refused = b
        .post(
            &format!("{TAB}/{id}/postmortem"),
            &[
                ("_csrf", &csrf),
                ("postmortem_url", "javascript:alert(1)"),
                ("return_to", "q=database"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{refused:#?}");
    assert!(
        refused
            .body
            .contains(&format!("id=\"error-postmortem-{id}\"")),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("value=\"javascript:alert(1)\""),
        "kept"
    );
    assert!(
        refused.body.contains("value=\"database\""),
        "the search kept"
    );
    assert_eq!(
        incident().await["postmortem_url"],
        "https://example.com/pm/2"
    );

    // Only the search's own fields go back: nothing else is carried into the address.
    let set = b
        .post(
            &format!("{TAB}/{id}/postmortem"),
            &[
                ("_csrf", &csrf),
                ("postmortem_url", "https://example.com/pm/3"),
                ("return_to", "q=data+base&evil=%2F%2Fexample.com"),
            ],
        )
        .await;
    assert_eq!(
        set.location.as_deref(),
        Some(&*format!("{TAB}?q=data+base"))
    );
}
