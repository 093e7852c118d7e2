//! The integration-test harness: a real Herald server on a port the test bound, over a real
//! SQLite file in a temporary directory, with a clock the test moves by hand, and one API
//! token per role created directly through the store.
#![allow(dead_code)]

pub mod cli;
pub mod console;
pub mod receiver;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use herald::config::{Config, ServerConfig};
use herald_core::access::Role;
use herald_store::Store;
use jiff::{SignedDuration, Timestamp};
use reqwest::Method;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// Where every test's clock starts: a round instant, so expected times are easy to write.
pub const START: &str = "2025-06-02T09:00:00Z";

/// A token created for the test, with the secret only its creator ever sees.
#[derive(Clone, Debug)]
pub struct Tok {
    pub id: String,
    pub name: String,
    pub secret: String,
}

impl Tok {
    /// How the audit log names a caller using this token.
    pub fn actor(&self) -> String {
        format!("token:{} ({})", self.id, self.name)
    }
}

/// What came back: the status, the content type, and the body (JSON, or a string when the
/// body is not JSON, or null when empty).
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub content_type: String,
    pub www_authenticate: Option<String>,
    pub body: Value,
}

impl Resp {
    /// Asserts an RFC 9457 problem document with this status and code.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "unexpected status: {self:#?}");
        assert_eq!(
            self.content_type, "application/problem+json",
            "errors are problem documents: {self:#?}"
        );
        assert_eq!(self.body["status"], json!(status), "{self:#?}");
        assert_eq!(self.body["code"], json!(code), "{self:#?}");
        let detail = self.body["detail"].as_str().unwrap_or_default();
        assert!(!detail.is_empty(), "a problem says what to do: {self:#?}");
    }

    /// Asserts a success with this status and returns the body.
    #[track_caller]
    pub fn ok(self, status: u16) -> Value {
        assert_eq!(self.status, status, "unexpected status: {self:#?}");
        self.body
    }
}

pub struct Server {
    pub base: String,
    pub config: Config,
    pub client: reqwest::Client,
    pub admin: Tok,
    pub responder: Tok,
    pub viewer: Tok,
    clock: Arc<Mutex<Timestamp>>,
    worker: herald_notify::progress::Progress,
    shutdown: Option<oneshot::Sender<()>>,
    // Dropped last: the server's files live here.
    _dir: Option<TempDir>,
}

impl Server {
    /// A server over a fresh data directory.
    pub async fn start() -> Server {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().to_path_buf();
        Server::start_in(path, Some(dir), |_| {}).await
    }

    /// A server over `data_dir`, which the caller keeps alive.
    pub async fn start_on(data_dir: &Path) -> Server {
        Server::start_in(data_dir.to_path_buf(), None, |_| {}).await
    }

    /// [`Server::start_on`], with the test's changes to the configuration.
    pub async fn start_on_configured(
        data_dir: &Path,
        configure: impl FnOnce(&mut Config),
    ) -> Server {
        Server::start_in(data_dir.to_path_buf(), None, configure).await
    }

    /// A server over a fresh data directory, with the test's changes to the configuration.
    pub async fn start_configured(configure: impl FnOnce(&mut Config)) -> Server {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().to_path_buf();
        Server::start_in(path, Some(dir), configure).await
    }

    async fn start_in(
        data_dir: PathBuf,
        dir: Option<TempDir>,
        configure: impl FnOnce(&mut Config),
    ) -> Server {
        let clock = Arc::new(Mutex::new(START.parse::<Timestamp>().unwrap()));
        let now = *clock.lock().unwrap();
        let store = herald::server::open_store(&data_dir).expect("the store opens");
        let admin = store_token(&store, "ops admin", Role::Admin, now).await;
        let responder = store_token(&store, "on-call responder", Role::Responder, now).await;
        let viewer = store_token(&store, "read-only viewer", Role::Viewer, now).await;
        drop(store);

        let defaults = Config::default();
        let mut config = Config {
            data_dir,
            server: ServerConfig {
                change_poll_ms: 100,
                ..defaults.server
            },
            ..defaults
        };
        // Many test servers run at once: only a test that scrapes metrics listens for them.
        config.metrics.listen = String::new();
        configure(&mut config);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        let served = config.clone();
        let read_clock = clock.clone();
        let herald_clock: herald_web::Clock = Arc::new(move || *read_clock.lock().unwrap());
        let (tell, worker) = oneshot::channel();
        tokio::spawn(async move {
            let shutdown = async move {
                let _ = rx.await;
            };
            let watch = |progress| {
                let _ = tell.send(progress);
            };
            let served =
                herald::server::serve_watched(&served, listener, herald_clock, shutdown, watch);
            if let Err(err) = served.await {
                panic!("the server failed: {err:#}");
            }
        });
        let worker = worker.await.expect("the delivery worker runs");
        Server {
            base,
            config,
            client: reqwest::Client::new(),
            admin,
            responder,
            viewer,
            clock,
            worker,
            shutdown: Some(tx),
            _dir: dir,
        }
    }

    pub fn data_dir(&self) -> &Path {
        &self.config.data_dir
    }

    pub fn now(&self) -> Timestamp {
        *self.clock.lock().unwrap()
    }

    /// Waits until the delivery worker has done everything committed so far and everything
    /// due by the test clock's time now: after it, what has not happened will not happen at
    /// this instant.
    pub async fn idle(&self) {
        let mut worker = self.worker.clone();
        let wait = worker.idle_at(self.now());
        let limit = std::time::Duration::from_secs(10);
        if tokio::time::timeout(limit, wait).await.is_err() {
            panic!("the delivery worker was still busy after 10 s");
        }
    }

    pub fn advance_mins(&self, minutes: i64) -> Timestamp {
        let mut now = self.clock.lock().unwrap();
        *now = now.checked_add(SignedDuration::from_mins(minutes)).unwrap();
        *now
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request with `Authorization: Bearer <secret>` when a token is given.
    pub fn request(
        &self,
        method: Method,
        path: &str,
        tok: Option<&Tok>,
    ) -> reqwest::RequestBuilder {
        let builder = self.client.request(method, self.url(path));
        match tok {
            Some(tok) => builder.bearer_auth(&tok.secret),
            None => builder,
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        tok: Option<&Tok>,
        body: Option<&Value>,
    ) -> Resp {
        let mut builder = self.request(method, path, tok);
        if let Some(body) = body {
            builder = builder.json(body);
        }
        send(builder).await
    }

    pub async fn get(&self, path: &str, tok: &Tok) -> Resp {
        self.call(Method::GET, path, Some(tok), None).await
    }

    pub async fn post(&self, path: &str, tok: &Tok, body: Value) -> Resp {
        self.call(Method::POST, path, Some(tok), Some(&body)).await
    }

    pub async fn patch(&self, path: &str, tok: &Tok, body: Value) -> Resp {
        self.call(Method::PATCH, path, Some(tok), Some(&body)).await
    }

    pub async fn put(&self, path: &str, tok: &Tok, body: Value) -> Resp {
        self.call(Method::PUT, path, Some(tok), Some(&body)).await
    }

    pub async fn delete(&self, path: &str, tok: &Tok) -> Resp {
        self.call(Method::DELETE, path, Some(tok), None).await
    }

    /// A body sent as given, with the given content type (none when `None`).
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        tok: Option<&Tok>,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> Resp {
        let mut builder = self.request(method, path, tok).body(body);
        if let Some(content_type) = content_type {
            builder = builder.header("content-type", content_type);
        }
        send(builder).await
    }

    /// The whole audit log, oldest first (read with the admin token).
    pub async fn events(&self) -> Vec<Value> {
        self.events_after(0).await
    }

    pub async fn events_after(&self, after: i64) -> Vec<Value> {
        let mut all = Vec::new();
        let mut after = after;
        loop {
            let path = format!("/api/v1/events?after={after}&limit=500");
            let batch = self.get(&path, &self.admin).await.ok(200);
            let batch = batch.as_array().expect("an array of events").clone();
            if batch.is_empty() {
                return all;
            }
            after = batch.last().unwrap()["id"].as_i64().unwrap();
            all.extend(batch);
        }
    }

    /// The kinds of the events appended after `after`, oldest first.
    pub async fn kinds_after(&self, after: i64) -> Vec<String> {
        let events = self.events_after(after).await;
        events
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_string())
            .collect()
    }

    pub async fn last_event_id(&self) -> i64 {
        self.events()
            .await
            .last()
            .map_or(0, |e| e["id"].as_i64().unwrap())
    }

    /// Asserts that exactly these events (kind, actor) were appended after `after`.
    pub async fn assert_events_after(&self, after: i64, expected: &[(&str, String)]) -> Vec<Value> {
        let events = self.events_after(after).await;
        let got: Vec<(String, String)> = events
            .iter()
            .map(|e| {
                (
                    e["kind"].as_str().unwrap().to_string(),
                    e["actor"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(k, a)| (k.to_string(), a.clone()))
            .collect();
        assert_eq!(got, expected, "the audit log after event {after}");
        events
    }

    /// A token made through the API, as an admin would.
    pub async fn create_token(&self, name: &str, role: &str) -> Tok {
        let body = self
            .post(
                "/api/v1/tokens",
                &self.admin,
                json!({"name": name, "role": role}),
            )
            .await
            .ok(201);
        Tok {
            id: body["id"].as_str().unwrap().into(),
            name: body["name"].as_str().unwrap().into(),
            secret: body["secret"].as_str().unwrap().into(),
        }
    }

    /// A page with two components: "API" in "US East" and "APAC", "Website" with its one
    /// default location.
    /// Declares an incident on the fixture's US East location as the responder; its id.
    pub async fn create_incident(&self, f: &Fixture, title: &str, severity: u8) -> String {
        let created = self
            .post(
                &f.path("/incidents"),
                &self.responder,
                f.new_incident(title, severity),
            )
            .await
            .ok(201);
        created["id"].as_str().unwrap().to_string()
    }

    /// Resolves an incident as the responder.
    pub async fn resolve_incident(&self, f: &Fixture, id: &str) {
        let path = f.path(&format!("/incidents/{id}/updates"));
        let body = json!({"state": "resolved", "details": "Fixed."});
        self.post(&path, &self.responder, body).await.ok(201);
    }

    pub async fn fixture(&self, slug: &str) -> Fixture {
        let page = self
            .post(
                "/api/v1/pages",
                &self.admin,
                json!({"slug": slug, "name": format!("{slug} status")}),
            )
            .await
            .ok(201);
        let page_id = page["id"].as_str().unwrap().to_string();
        let api = self
            .post(
                &format!("/api/v1/pages/{slug}/components"),
                &self.admin,
                json!({"name": "API", "locations": ["US East", "APAC"]}),
            )
            .await
            .ok(201);
        let website = self
            .post(
                &format!("/api/v1/pages/{slug}/components"),
                &self.admin,
                json!({"name": "Website"}),
            )
            .await
            .ok(201);
        let loc = |c: &Value, i: usize| c["locations"][i]["id"].as_str().unwrap().to_string();
        Fixture {
            slug: slug.into(),
            page_id,
            api: api["id"].as_str().unwrap().into(),
            us_east: loc(&api, 0),
            apac: loc(&api, 1),
            website: website["id"].as_str().unwrap().into(),
            website_default: loc(&website, 0),
        }
    }
}

impl Server {
    /// An anonymous GET of a public path, as a visitor's browser sends it.
    pub async fn public(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("the server answers")
    }

    /// The public page's snapshot follows writes within milliseconds, not synchronously: waits
    /// (up to two seconds) until `path` answers 200 with a body that satisfies `seen`.
    pub async fn public_eventually(&self, path: &str, seen: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        loop {
            let response = self.public(path).await;
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            if status == 200 && seen(&body) {
                return body;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{path} did not show the change within 2 s; last answer {status}: {body}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

/// [`Server::public_eventually`] for a JSON file: waits until it parses and satisfies `seen`.
pub async fn json_when(s: &Server, path: &str, seen: impl Fn(&Value) -> bool) -> Value {
    let body = s
        .public_eventually(path, |b| {
            serde_json::from_str::<Value>(b).is_ok_and(|v| seen(&v))
        })
        .await;
    serde_json::from_str(&body).unwrap()
}

/// Runs `tests/interop/<script>` with Python and returns what it printed; fails the test with
/// the script's output when it fails. The scripts use real third-party clients
/// (`tests/interop/requirements.txt`). It blocks while the script runs, so a test that has
/// it talk to the test's own server needs `#[tokio::test(flavor = "multi_thread")]`.
pub fn python(script: &str, args: &[&str]) -> String {
    interop("python3", script, args)
}

/// Runs a Python interop script off the runtime's thread, so the test's server can answer it
/// meanwhile, and parses the JSON it prints.
pub async fn python_json(script: &'static str, args: Vec<String>) -> Value {
    let out = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        python(script, &args)
    })
    .await
    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{script} printed no JSON ({e}): {out}"))
}

/// Runs `tests/interop/<script>` with Node (its packages: `tests/interop/package.json`).
pub fn node(script: &str, args: &[&str]) -> String {
    interop("node", script, args)
}

fn interop(program: &str, script: &str, args: &[&str]) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop");
    let output = std::process::Command::new(program)
        .arg(dir.join(script))
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} runs ({e}); .ci/run installs what tests/interop needs")
        });
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{script} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub struct Fixture {
    pub slug: String,
    pub page_id: String,
    pub api: String,
    pub us_east: String,
    pub apac: String,
    pub website: String,
    pub website_default: String,
}

impl Fixture {
    /// `/api/v1/pages/{slug}` followed by `rest`.
    pub fn path(&self, rest: &str) -> String {
        format!("/api/v1/pages/{}{rest}", self.slug)
    }

    /// A valid new incident on the API component's US East location.
    pub fn new_incident(&self, title: &str, severity: u8) -> Value {
        json!({
            "title": title,
            "severity": severity,
            "details": "We are investigating elevated error rates.",
            "affected": [{"location_id": self.us_east, "level": "partial_service_disruption"}],
        })
    }
}

async fn store_token(store: &dyn Store, name: &str, role: Role, now: Timestamp) -> Tok {
    let created = store
        .create_token("test-harness", name.into(), role, now)
        .await
        .expect("a token");
    Tok {
        id: created.token.id,
        name: created.token.name,
        secret: created.secret,
    }
}

pub async fn send(builder: reqwest::RequestBuilder) -> Resp {
    let response = builder.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    let content_type = header("content-type").unwrap_or_default();
    let www_authenticate = header("www-authenticate");
    let bytes = response.bytes().await.expect("a body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Resp {
        status,
        content_type,
        www_authenticate,
        body,
    }
}

/// Parses an RFC 3339 timestamp from a JSON value.
#[track_caller]
pub fn ts(value: &Value) -> Timestamp {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{value} is not a timestamp string"))
        .parse()
        .unwrap_or_else(|e| panic!("{value} is not a timestamp: {e}"))
}

pub fn plus_mins(t: Timestamp, minutes: i64) -> Timestamp {
    t.checked_add(SignedDuration::from_mins(minutes)).unwrap()
}

/// True for 24 lowercase hex characters, the shape of every Herald id.
pub fn is_id(value: &Value) -> bool {
    value.as_str().is_some_and(|s| {
        s.len() == 24
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// Waits (up to 5 s) until `probe` gives something; fails the test with `what` and the last
/// thing the probe saw otherwise.
pub async fn eventually<T>(what: &str, probe: impl AsyncFn() -> Result<T, String>) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match probe().await {
            Ok(found) => return found,
            Err(last) => assert!(
                std::time::Instant::now() < deadline,
                "{what}: not within 5 s; last seen: {last}"
            ),
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

pub fn minus_mins(t: Timestamp, minutes: i64) -> Timestamp {
    plus_mins(t, -minutes)
}

/// Lets the delivery worker finish what is due now, then moves the test clock to `t`. A job
/// still running when the clock jumps would outlive its lease and be claimed a second time.
pub async fn advance_when_idle(s: &Server, t: Timestamp) {
    s.idle().await;
    advance_to(s, t);
}

/// Moves the test clock forward to `t` (a whole number of minutes ahead).
pub fn advance_to(s: &Server, t: Timestamp) {
    let ahead = t.duration_since(s.now());
    assert!(
        ahead >= SignedDuration::ZERO && ahead.as_secs() % 60 == 0,
        "{t} is not whole minutes ahead of {}",
        s.now()
    );
    assert_eq!(s.advance_mins(ahead.as_secs() / 60), t);
}
