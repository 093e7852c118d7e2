//! Herald's HTTP surface. Handlers are thin: parse, authorise, call the store (which runs the
//! core's rules), map the outcome. No business rule lives here.
#![forbid(unsafe_code)]

pub mod admin;
mod auth;
mod problem;
pub mod statusio;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use herald_store::Store;
use jiff::Timestamp;
use tokio::sync::watch;

pub use problem::ApiError;

/// Where handlers read the time; tests inject their own.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// Request bodies larger than this are refused with 413 before they are read in full.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Clock,
    /// The id of the newest audit event, kept current by following the events table.
    pub changes: watch::Receiver<i64>,
}

impl AppState {
    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }
}

pub fn system_clock() -> Clock {
    Arc::new(Timestamp::now)
}

/// Every route Herald serves.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(admin::router())
        .merge(statusio::router())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}
