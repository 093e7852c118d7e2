//! Herald's HTTP surface. Handlers are thin: parse, authorise, call the store (which runs the
//! core's rules), map the outcome. No business rule lives here.
#![forbid(unsafe_code)]

pub mod admin;
mod auth;
mod bounded;
pub mod client;
pub mod console;
mod headers;
pub mod password;
mod problem;
mod public;
pub mod statusio;
mod subscription;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use herald_core::subscriber::NewSubscriber;
use herald_public::Site;
use herald_store::{CreatedSubscriber, Store, StoreError};
use jiff::Timestamp;
use tokio::sync::{Notify, watch};

pub use problem::ApiError;

/// Where handlers read the time; tests inject their own.
pub use herald_public::publisher::Clock;

/// Request bodies larger than this are refused with 413 before they are read in full.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Clock,
    /// The id of the newest audit event, kept current by following the events table.
    pub changes: watch::Receiver<i64>,
    /// Notified after every successful write, so the change is published at once.
    pub nudge: Arc<Notify>,
    /// The public page's current snapshots.
    pub site: Arc<Site>,
    /// Signs and checks subscribers' confirm, manage and unsubscribe links.
    pub links: herald_notify::links::Links,
    /// The responder console's templates, mail and sign-in brake.
    pub console: Arc<console::Console>,
    /// `[delivery] allow_private_targets`: whether subscribers may name private addresses.
    pub allow_private_targets: bool,
    /// `[server] trusted_proxies`: whose forwarding headers name the client.
    pub trusted_proxies: client::TrustedProxies,
}

impl AppState {
    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }

    /// Adds a subscriber once its address passes the checks delivery will make of it.
    pub async fn create_subscriber(
        &self,
        actor: &str,
        page: &str,
        new: NewSubscriber,
    ) -> Result<CreatedSubscriber, StoreError> {
        let warning = herald_notify::http::vet_subscriber(&new, self.allow_private_targets).await?;
        let mut created = self
            .store
            .create_subscriber(actor, page, new, self.now())
            .await?;
        created.warnings.extend(warning);
        Ok(created)
    }
}

pub fn system_clock() -> Clock {
    Arc::new(Timestamp::now)
}

/// Every route Herald serves: the APIs, and the public page for every other path.
pub fn router(state: AppState) -> Router {
    let apis = Router::new()
        .merge(admin::router())
        .merge(statusio::router())
        .merge(subscription::router())
        .merge(console::router())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            nudge_after_writes,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES));
    apis.fallback(public::serve).with_state(state)
}

/// A write that succeeded changes what the public page shows: look for it now rather than at
/// the next poll.
async fn nudge_after_writes(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let writes = !request.method().is_safe();
    let response = next.run(request).await;
    // A console form that worked answers with a redirect to the page it changed.
    let worked = response.status().is_success() || response.status().is_redirection();
    if writes && worked {
        state.nudge.notify_one();
    }
    response
}
