//! A real HTTP receiver for deliveries, on a port of 127.0.0.1. It records every request as
//! it arrives; the path's first segment decides the answer, so one receiver plays many
//! endpoints: `/ok/…` 200, `/fail/…` 500, `/gone/…` 410, `/busy/…` 429 with `Retry-After: 120`
//! the first time and 200 after, `/hang/…` never answers, `/slow/…` answers 200 after 5 ms,
//! `/pause/…` after 1.5 s (within a fan-out batch's patience of 2 s).
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// How long `/pause/…` takes to answer.
pub const PAUSE: Duration = Duration::from_millis(1500);

#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    /// When the request arrived.
    pub at: std::time::Instant,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }
}

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<Received>>>);

pub struct Receiver {
    pub base: String,
    log: Log,
}

impl Receiver {
    pub async fn start() -> Receiver {
        Receiver::start_on("127.0.0.1:0").await
    }

    /// A receiver on a chosen address, such as one where nothing listened a moment ago.
    pub async fn start_on(address: &str) -> Receiver {
        let listener = tokio::net::TcpListener::bind(address).await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let log = Log::default();
        let app = Router::new().fallback(answer).with_state(log.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { base, log }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn all(&self) -> Vec<Received> {
        self.log.0.lock().unwrap().clone()
    }

    /// The requests that reached `path`, in arrival order.
    pub fn at(&self, path: &str) -> Vec<Received> {
        self.all().into_iter().filter(|r| r.path == path).collect()
    }

    /// Waits (up to `secs` seconds) until `done` holds for what arrived; fails the test with
    /// what did arrive otherwise.
    pub async fn until(&self, secs: u64, what: &str, done: impl Fn(&[Received]) -> bool) {
        let deadline = std::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let all = self.all();
            if done(&all) {
                return;
            }
            let paths: Vec<&str> = all.iter().map(|r| r.path.as_str()).collect();
            assert!(
                std::time::Instant::now() < deadline,
                "{what}: not within {secs} s; received {} requests: {paths:?}",
                all.len()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

async fn answer(State(log): State<Log>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let path = uri.path().to_string();
    let earlier = {
        let mut all = log.0.lock().unwrap();
        let earlier = all.iter().filter(|r| r.path == path).count();
        all.push(Received {
            path: path.clone(),
            at: std::time::Instant::now(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                .collect(),
            body: body.to_vec(),
        });
        earlier
    };
    let kind = path.trim_start_matches('/').split('/').next().unwrap_or("");
    match kind {
        "fail" => (StatusCode::INTERNAL_SERVER_ERROR, "database exploded").into_response(),
        "gone" => StatusCode::GONE.into_response(),
        "busy" if earlier == 0 => {
            (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "120")]).into_response()
        }
        "hang" => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            StatusCode::OK.into_response()
        }
        "slow" => {
            tokio::time::sleep(Duration::from_millis(5)).await;
            StatusCode::OK.into_response()
        }
        "pause" => {
            tokio::time::sleep(PAUSE).await;
            StatusCode::OK.into_response()
        }
        _ => StatusCode::OK.into_response(),
    }
}
