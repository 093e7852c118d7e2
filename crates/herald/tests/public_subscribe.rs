//! Email subscription from the public page: the subscribe form, the confirmation email's link
//! (a GET shows a button, only the POST confirms), the manage link, and RFC 8058 one-click
//! unsubscribe. State is read straight from the store the server writes to; every change is
//! checked in the audit log.
mod common;

use std::time::{Duration, Instant};

use common::{Fixture, Server};
use herald_core::subscriber::{Subscriber, SubscriberState};
use herald_notify::links::{Links, Purpose};
use herald_store::{Store, StoreError, SubscriberQuery};
use herald_store_sqlite::SqliteStore;
use reqwest::header;

/// An answer to a form or a link: status, content type, body.
#[derive(Debug)]
struct Page {
    status: u16,
    content_type: String,
    cache_control: String,
    body: String,
}

async fn page(response: reqwest::RequestBuilder) -> Page {
    let response = response.send().await.expect("the server answers");
    let header = |name| {
        response
            .headers()
            .get(name)
            .map(|v: &header::HeaderValue| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    Page {
        status: response.status().as_u16(),
        content_type: header(header::CONTENT_TYPE),
        cache_control: header(header::CACHE_CONTROL),
        body: response.text().await.unwrap(),
    }
}

impl Page {
    #[track_caller]
    fn assert(&self, status: u16, text: &str) -> &Page {
        assert_eq!(self.status, status, "{self:#?}");
        assert_eq!(self.content_type, "text/html; charset=utf-8", "{self:#?}");
        assert_eq!(self.cache_control, "no-store", "{self:#?}");
        assert!(self.body.contains(text), "no {text:?} in {self:#?}");
        self
    }
}

/// Posts the subscribe form, form-encoded as a browser sends it.
async fn subscribe(s: &Server, path: &str, email: &str, components: &[&str]) -> Page {
    let mut form = vec![("email", email)];
    form.extend(components.iter().map(|c| ("components", *c)));
    page(s.client.post(s.url(path)).form(&form)).await
}

async fn get(s: &Server, path: &str) -> Page {
    page(s.client.get(s.url(path))).await
}

async fn post_form(s: &Server, path: &str, form: &[(&str, &str)]) -> Page {
    page(s.client.post(s.url(path)).form(form)).await
}

/// RFC 8058: what a mail provider posts to the `List-Unsubscribe` URL, with no cookies.
async fn one_click(s: &Server, path: &str) -> Page {
    let request = s
        .client
        .post(s.url(path))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click");
    page(request).await
}

/// The harness's fixture page, once its public page is up: the subscription routes find a
/// page through the public snapshot, as visitors do.
async fn published(s: &Server, slug: &str) -> Fixture {
    let f = s.fixture(slug).await;
    let home = format!("/p/{slug}/");
    s.public_eventually(&home, |b| b.contains(&f.website)).await;
    f
}

fn store(s: &Server) -> SqliteStore {
    herald::server::open_store(s.data_dir()).expect("the store opens")
}

async fn subscribers(store: &SqliteStore, slug: &str) -> Vec<Subscriber> {
    let query = SubscriberQuery {
        limit: 100,
        ..SubscriberQuery::default()
    };
    store.subscribers(slug, query).await.unwrap()
}

/// The page's only subscriber.
async fn only_subscriber(store: &SqliteStore, slug: &str) -> Subscriber {
    let all = subscribers(store, slug).await;
    assert_eq!(all.len(), 1, "{all:#?}");
    all.into_iter().next().unwrap()
}

async fn links(store: &SqliteStore) -> Links {
    Links::new(store.link_key().await.unwrap())
}

/// A body part as written, with quoted-printable soft line breaks and `=3D` undone.
fn unfold(eml: &str) -> String {
    eml.replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=")
}

/// Waits (up to five seconds) for the email to `address` in the spool (`{data_dir}/mail`, as
/// no SMTP server is configured) and returns it, unfolded.
async fn email_to(s: &Server, address: &str) -> String {
    let dir = s.data_dir().join("mail");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let found = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|entry| entry.path().extension().is_some_and(|e| e == "eml"))
            .map(|entry| std::fs::read_to_string(entry.path()).unwrap_or_default())
            .find(|eml| {
                eml.lines()
                    .any(|l| l.starts_with("To: ") && l.contains(address))
            });
        if let Some(eml) = found {
            return unfold(&eml);
        }
        assert!(
            Instant::now() < deadline,
            "no email to {address} in {}",
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The path (with its query) of the first link in `email` that contains `marker`, without
/// the base URL it was written under.
fn link_path(s: &Server, email: &str, marker: &str) -> String {
    let at = email
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} link in {email}"));
    let start = email[..at].rfind("http").expect("an absolute link");
    let end = email[at..]
        .find(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .map_or(email.len(), |n| at + n);
    let url = &email[start..end];
    let base = s.base.trim_end_matches('/');
    assert!(url.starts_with(base), "{url} is under {base}");
    url[base.len()..].to_string()
}

/// The confirmation link a visitor got by email after subscribing.
async fn confirm_link(s: &Server, address: &str) -> String {
    let email = email_to(s, address).await;
    link_path(s, &email, "subscription/confirm?token=")
}

/// A subscriber who subscribed through the form and confirmed: (id, manage token).
async fn active_subscriber(
    s: &Server,
    store: &SqliteStore,
    f: &Fixture,
    address: &str,
) -> (String, String) {
    let path = format!("/p/{}/subscribe", f.slug);
    subscribe(s, &path, address, &[]).await.assert(200, address);
    let id = subscribers(store, &f.slug)
        .await
        .into_iter()
        .find(|sub| sub.address == address)
        .expect("the new subscriber")
        .id;
    store.confirm_subscriber(&id, s.now()).await.unwrap();
    let token = links(store).await.token(Purpose::Manage, &id, s.now());
    (id, token)
}

#[tokio::test]
async fn a_visitor_subscribes_with_the_form_and_confirms_with_a_post_not_a_get() {
    let s = Server::start().await;
    let f = published(&s, "acme").await;
    let store = store(&s);

    // The home page offers the form, and its policy lets the form post to the page's origin.
    let home = s
        .public_eventually("/p/acme/", |b| b.contains(&f.website))
        .await;
    assert!(
        home.contains("<form class=\"subscribe\" method=\"post\" action=\"subscribe\">"),
        "{home}"
    );
    assert!(home.contains("Get updates by email"), "{home}");
    for component in [&f.api, &f.website] {
        let checkbox = format!(
            "type=\"checkbox\" id=\"c-{component}\" name=\"components\" value=\"{component}\""
        );
        assert!(home.contains(&checkbox), "{checkbox} in {home}");
    }
    let csp = s.public("/p/acme/").await.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("form-action 'self'"), "{csp}");

    let before = s.last_event_id().await;
    let answer = subscribe(&s, "/p/acme/subscribe", " ada@example.com ", &[&f.api]).await;
    answer.assert(200, "Check your inbox");
    assert!(answer.body.contains("<strong>ada@example.com</strong>"));
    let pending = only_subscriber(&store, "acme").await;
    assert_eq!(pending.address, "ada@example.com");
    assert_eq!(pending.state, SubscriberState::Pending);
    assert_eq!(pending.components, vec![f.api.clone()]);
    s.assert_events_after(
        before,
        &[("subscriber.created", "public:ada@example.com".into())],
    )
    .await;

    // The email's link, followed: a button, and nothing changes, however often.
    let link = confirm_link(&s, "ada@example.com").await;
    assert!(
        link.starts_with("/p/acme/subscription/confirm?token="),
        "{link}"
    );
    let after_subscribe = s.last_event_id().await;
    for _ in 0..2 {
        let shown = get(&s, &link).await;
        shown.assert(200, "Confirm your subscription");
        let token = link.split_once('?').unwrap().1;
        let form = format!("<form method=\"post\" action=\"confirm?{token}\">");
        assert!(shown.body.contains(&form), "{form} in {shown:#?}");
        assert!(shown.body.contains("Confirm subscription</button>"));
    }
    assert_eq!(
        store.subscriber(None, &pending.id).await.unwrap().state,
        SubscriberState::Pending,
        "a GET confirmed the subscription"
    );
    s.assert_events_after(after_subscribe, &[]).await;

    // The button: now it is active, audited as the subscriber's own act.
    let confirmed = page(s.client.post(s.url(&link))).await;
    confirmed.assert(200, "You’re subscribed");
    assert!(
        confirmed.body.contains("href=\"manage?token="),
        "{confirmed:#?}"
    );
    let active = store.subscriber(None, &pending.id).await.unwrap();
    assert_eq!(active.state, SubscriberState::Active);
    assert_eq!(active.confirmed_at, Some(s.now()));
    let actor = format!("subscriber:{}", pending.id);
    s.assert_events_after(after_subscribe, &[("subscriber.confirmed", actor)])
        .await;

    // Again: the same answer, nothing new in the log.
    let confirmed_again = s.last_event_id().await;
    page(s.client.post(s.url(&link)))
        .await
        .assert(200, "You’re subscribed");
    s.assert_events_after(confirmed_again, &[]).await;

    // The manage link the page gave works.
    let manage = confirmed
        .body
        .split("href=\"")
        .find_map(|rest| rest.strip_prefix("manage?token="))
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    get(&s, &format!("/p/acme/subscription/manage?token={manage}"))
        .await
        .assert(200, "ada@example.com");
}

#[tokio::test]
async fn the_default_page_takes_the_form_at_the_root() {
    let s = Server::start().await;
    let _acme = published(&s, "acme").await;
    let _other = published(&s, "other").await;
    let store = store(&s);
    s.public_eventually("/", |b| b.contains("action=\"subscribe\""))
        .await;

    subscribe(&s, "/subscribe", "root@example.com", &[])
        .await
        .assert(200, "Check your inbox");
    let subscriber = only_subscriber(&store, "acme").await;
    assert_eq!(subscriber.address, "root@example.com");
    assert!(subscribers(&store, "other").await.is_empty());

    subscribe(&s, "/p/other/subscribe", "other@example.com", &[])
        .await
        .assert(200, "Check your inbox");
    assert_eq!(
        only_subscriber(&store, "other").await.address,
        "other@example.com"
    );

    // No such page; and a GET of the form's address changes nothing.
    let before = s.last_event_id().await;
    let missing = subscribe(&s, "/p/nope/subscribe", "x@example.com", &[]).await;
    assert_eq!(missing.status, 404, "{missing:#?}");
    let got = get(&s, "/subscribe?email=get%40example.com").await;
    assert_eq!(got.status, 405, "{got:#?}");
    s.assert_events_after(before, &[]).await;
    assert_eq!(subscribers(&store, "acme").await.len(), 1);
}

#[tokio::test]
async fn a_page_bound_to_a_host_name_takes_the_form_and_its_links_at_its_root() {
    let s = Server::start().await;
    let _acme = published(&s, "acme").await;
    let _beta = published(&s, "beta").await;
    let store = store(&s);
    let host = "status.beta.test";
    let bind = serde_json::json!({"settings": {"host": host}});
    s.patch("/api/v1/pages/beta", &s.admin, bind).await.ok(200);
    let on_host = |method: reqwest::Method, path: &str| {
        s.client
            .request(method, s.url(path))
            .header(header::HOST, host)
    };
    let deadline = Instant::now() + Duration::from_secs(2);
    while !page(on_host(reqwest::Method::GET, "/"))
        .await
        .body
        .contains("beta status")
    {
        assert!(Instant::now() < deadline, "the host binding was not served");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let form = [("email", "ada@example.com")];
    page(on_host(reqwest::Method::POST, "/subscribe").form(&form))
        .await
        .assert(200, "Check your inbox");
    let pending = only_subscriber(&store, "beta").await;
    assert!(subscribers(&store, "acme").await.is_empty());

    // The email links to the page's own host; the link works at its root there.
    let email = email_to(&s, "ada@example.com").await;
    let prefix = format!("https://{host}/subscription/confirm?token=");
    let at = email
        .find(&prefix)
        .unwrap_or_else(|| panic!("{prefix} in {email}"));
    let link = email[at + "https://".len() + host.len()..]
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .next()
        .unwrap()
        .to_string();
    page(on_host(reqwest::Method::GET, &link))
        .await
        .assert(200, "Confirm subscription");
    page(on_host(reqwest::Method::POST, &link))
        .await
        .assert(200, "You’re subscribed");
    let active = store.subscriber(None, &pending.id).await.unwrap();
    assert_eq!(active.state, SubscriberState::Active);
}

#[tokio::test]
async fn the_answer_is_the_same_for_a_new_a_pending_and_a_subscribed_address() {
    let s = Server::start().await;
    let f = published(&s, "acme").await;
    let store = store(&s);
    let path = "/p/acme/subscribe";

    let new = subscribe(&s, path, "ada@example.com", &[]).await;
    new.assert(200, "Check your inbox");
    let pending = subscribe(&s, path, "ada@example.com", &[]).await;
    let id = only_subscriber(&store, "acme").await.id;
    store.confirm_subscriber(&id, s.now()).await.unwrap();
    let before = s.last_event_id().await;
    let active = subscribe(&s, path, "ada@example.com", &[&f.website]).await;

    assert_eq!(new.status, pending.status);
    assert_eq!(new.status, active.status);
    assert_eq!(new.body, pending.body, "a pending address is told apart");
    assert_eq!(new.body, active.body, "a subscribed address is told apart");
    // Asking again changed nothing for the subscriber, not even the components.
    let after = only_subscriber(&store, "acme").await;
    assert_eq!(after.state, SubscriberState::Active);
    assert!(after.components.is_empty(), "{after:#?}");
    s.assert_events_after(before, &[]).await;
}

#[tokio::test]
async fn a_bad_address_gets_a_400_page_that_says_what_to_fix() {
    let s = Server::start().await;
    let f = published(&s, "acme").await;
    let store = store(&s);
    let before = s.last_event_id().await;
    let path = "/p/acme/subscribe";

    let bad = subscribe(&s, path, "not-an-address", &[&f.api]).await;
    bad.assert(400, "is not an email address such as ops@example.com");
    // The form again, filled in as sent, so the visitor can correct it.
    assert!(bad.body.contains("value=\"not-an-address\""), "{bad:#?}");
    assert!(bad.body.contains("aria-invalid=\"true\""), "{bad:#?}");
    let ticked = format!(
        "value=\"{}\" aria-describedby=\"choices-hint\" checked",
        f.api
    );
    assert!(bad.body.contains(&ticked), "{bad:#?}");

    subscribe(&s, path, "  ", &[])
        .await
        .assert(400, "Enter your email address");
    page(s.client.post(s.url(path)))
        .await
        .assert(400, "Enter your email address");
    subscribe(&s, path, "ada@example.com", &["nope"])
        .await
        .assert(400, "is not a component of this page");

    // What a visitor typed is shown as text.
    let hostile = subscribe(&s, path, "<script>alert(1)</script>@x.com", &[]).await;
    hostile.assert(400, "&lt;script&gt;");
    assert!(!hostile.body.contains("<script>alert"), "{hostile:#?}");

    assert!(subscribers(&store, "acme").await.is_empty());
    s.assert_events_after(before, &[]).await;
}

#[tokio::test]
async fn a_subscriber_chooses_components_on_the_manage_page() {
    let s = Server::start().await;
    let f = published(&s, "acme").await;
    let store = store(&s);
    let (id, token) = active_subscriber(&s, &store, &f, "ada@example.com").await;
    let path = format!("/p/acme/subscription/manage?token={token}");
    let unchecked = |c: &str| format!("value=\"{c}\" aria-describedby=\"choices-hint\"> <label");
    let checked = |c: &str| format!("value=\"{c}\" aria-describedby=\"choices-hint\" checked>");

    // Looking changes nothing.
    let before = s.last_event_id().await;
    let shown = get(&s, &path).await;
    shown.assert(200, "ada@example.com");
    assert!(shown.body.contains(&unchecked(&f.api)), "{shown:#?}");
    assert!(shown.body.contains(&unchecked(&f.website)), "{shown:#?}");
    let save = format!("<form method=\"post\" action=\"manage?token={token}\">");
    let unsubscribe = format!("<form method=\"post\" action=\"unsubscribe?token={token}\">");
    assert!(shown.body.contains(&save), "{shown:#?}");
    assert!(shown.body.contains(&unsubscribe), "{shown:#?}");
    s.assert_events_after(before, &[]).await;

    let saved = post_form(&s, &path, &[("components", &f.website)]).await;
    saved.assert(200, "Saved");
    assert!(saved.body.contains(&checked(&f.website)), "{saved:#?}");
    assert!(saved.body.contains(&unchecked(&f.api)), "{saved:#?}");
    let after = store.subscriber(None, &id).await.unwrap();
    assert_eq!(after.components, vec![f.website.clone()]);
    let actor = format!("subscriber:{id}");
    s.assert_events_after(before, &[("subscriber.updated", actor.clone())])
        .await;

    let shown = get(&s, &path).await;
    assert!(shown.body.contains(&checked(&f.website)), "{shown:#?}");

    // None ticked: every component.
    post_form(&s, &path, &[]).await.assert(200, "Saved");
    assert!(
        store
            .subscriber(None, &id)
            .await
            .unwrap()
            .components
            .is_empty()
    );

    // A component that is not the page's is refused, and nothing changes.
    let before = s.last_event_id().await;
    post_form(&s, &path, &[("components", "nope")])
        .await
        .assert(400, "is not a component of this page");
    s.assert_events_after(before, &[]).await;
}

#[tokio::test]
async fn one_click_unsubscribe_removes_the_subscriber_once_and_a_get_never_does() {
    let s = Server::start().await;
    let f = published(&s, "acme").await;
    let store = store(&s);
    let (ada, ada_token) = active_subscriber(&s, &store, &f, "ada@example.com").await;
    let (bob, bob_token) = active_subscriber(&s, &store, &f, "bob@example.com").await;
    let ada_path = format!("/p/acme/subscription/unsubscribe?token={ada_token}");
    let bob_path = format!("/p/acme/subscription/unsubscribe?token={bob_token}");

    // Following the link (a mail scanner does) shows a button and changes nothing.
    let before = s.last_event_id().await;
    for _ in 0..2 {
        let shown = get(&s, &ada_path).await;
        shown.assert(200, "ada@example.com");
        let button = format!("<form method=\"post\" action=\"unsubscribe?token={ada_token}\">");
        assert!(shown.body.contains(&button), "{shown:#?}");
    }
    assert_eq!(subscribers(&store, "acme").await.len(), 2);
    s.assert_events_after(before, &[]).await;

    // A mail provider's one-click POST.
    one_click(&s, &ada_path)
        .await
        .assert(200, "You’re unsubscribed");
    assert!(matches!(
        store.subscriber(None, &ada).await,
        Err(StoreError::NotFound { .. })
    ));
    s.assert_events_after(
        before,
        &[("subscriber.deleted", format!("subscriber:{ada}"))],
    )
    .await;

    // Twice is still a success, and writes nothing.
    let once = s.last_event_id().await;
    one_click(&s, &ada_path)
        .await
        .assert(200, "You’re unsubscribed");
    get(&s, &ada_path).await.assert(200, "You’re unsubscribed");
    s.assert_events_after(once, &[]).await;
    let manage = format!("/p/acme/subscription/manage?token={ada_token}");
    let gone = get(&s, &manage).await;
    gone.assert(404, "This subscription no longer exists");

    // RFC 8058 lets the POST be multipart; the page's own button sends an empty form.
    let boundary = "herald-test-boundary";
    let multipart = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--{boundary}--\r\n"
    );
    let request = s
        .client
        .post(s.url(&bob_path))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(multipart);
    page(request).await.assert(200, "You’re unsubscribed");
    assert!(subscribers(&store, "acme").await.is_empty());
    s.assert_events_after(once, &[("subscriber.deleted", format!("subscriber:{bob}"))])
        .await;
}

#[tokio::test]
async fn a_tampered_expired_or_misused_token_gets_400_and_changes_nothing() {
    let s = Server::start().await;
    let f = published(&s, "acme").await;
    let _other = published(&s, "other").await;
    let store = store(&s);
    subscribe(&s, "/p/acme/subscribe", "ada@example.com", &[])
        .await
        .assert(200, "Check your inbox");
    let pending = only_subscriber(&store, "acme").await;
    let (bob, bob_manage) = active_subscriber(&s, &store, &f, "bob@example.com").await;
    let links = links(&store).await;
    let confirm = links.token(Purpose::Confirm, &pending.id, s.now());
    let before = s.last_event_id().await;

    let mut tampered = confirm.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let moved = confirm.replacen(&pending.id, &bob, 1);
    let stale = links.token(
        Purpose::Confirm,
        &pending.id,
        common::plus_mins(s.now(), -8 * 24 * 60),
    );
    let not_valid = "This link is not valid; use the latest link from your email.";
    let cases = [
        ("confirm", tampered.as_str(), not_valid),
        ("confirm", moved.as_str(), not_valid),
        ("confirm", "", not_valid),
        ("confirm", "junk", not_valid),
        // A manage link does not confirm, and a confirmation link does not manage.
        ("confirm", bob_manage.as_str(), not_valid),
        ("manage", confirm.as_str(), not_valid),
        ("unsubscribe", confirm.as_str(), not_valid),
        (
            "confirm",
            stale.as_str(),
            "This confirmation link has expired",
        ),
    ];
    for (action, token, message) in cases {
        let path = format!("/p/acme/subscription/{action}?token={token}");
        get(&s, &path).await.assert(400, message);
        one_click(&s, &path).await.assert(400, message);
    }
    // A genuine link followed on another page's address finds no subscriber there.
    let elsewhere = format!("/p/other/subscription/unsubscribe?token={bob_manage}");
    one_click(&s, &elsewhere)
        .await
        .assert(200, "You’re unsubscribed");
    let elsewhere = format!("/p/other/subscription/confirm?token={confirm}");
    page(s.client.post(s.url(&elsewhere)))
        .await
        .assert(404, "This subscription no longer exists");

    s.assert_events_after(before, &[]).await;
    let all = subscribers(&store, "acme").await;
    assert_eq!(all.len(), 2, "{all:#?}");
    let ada = store.subscriber(None, &pending.id).await.unwrap();
    assert_eq!(ada.state, SubscriberState::Pending);
}

/// The subscriber's pages pass the same checkers as the public page (`interop_pages.rs`).
#[tokio::test(flavor = "multi_thread")]
async fn the_subscription_pages_are_valid_and_accessible() {
    let s = Server::start().await;
    let f = published(&s, "acme").await;
    let store = store(&s);
    subscribe(&s, "/p/acme/subscribe", "ada@example.com", &[])
        .await
        .assert(200, "Check your inbox");
    let confirm = confirm_link(&s, "ada@example.com").await;
    let (_, manage) = active_subscriber(&s, &store, &f, "bob@example.com").await;
    let urls: Vec<String> = [
        confirm,
        format!("/p/acme/subscription/manage?token={manage}"),
        format!("/p/acme/subscription/unsubscribe?token={manage}"),
    ]
    .iter()
    .map(|path| s.url(path))
    .collect();
    let report = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = urls.iter().map(String::as_str).collect();
        common::node("html_checks.mjs", &args)
    })
    .await
    .unwrap();
    assert!(report.contains("\"violations\": []"), "{report}");
    // Nothing changed by the checkers' GETs.
    assert_eq!(
        store
            .subscriber(None, &only_pending(&store).await)
            .await
            .unwrap()
            .state,
        SubscriberState::Pending
    );
}

/// The one pending subscriber of the fixture page.
async fn only_pending(store: &SqliteStore) -> String {
    subscribers(store, "acme")
        .await
        .into_iter()
        .find(|sub| sub.state == SubscriberState::Pending)
        .expect("a pending subscriber")
        .id
}
