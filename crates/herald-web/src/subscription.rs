//! Email subscription from the public page: the subscribe form's POST, and the pages a
//! subscriber's signed links open (confirm, manage, unsubscribe). They live under the page's
//! root as the public page does (`/` on the default or a bound host, or `/p/{slug}/`), and
//! answer HTML in the page's look, rendered per request.
//!
//! A GET never changes anything: mail scanners follow links. Every change is a POST through the
//! store, which audits it. No token or cookie is needed: the link's signed token authorises
//! confirm, manage and unsubscribe, and the unsubscribe link takes RFC 8058's one-click POST
//! (`List-Unsubscribe=One-Click`), which mail providers send without cookies.
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use herald_core::DomainError;
use herald_core::subscriber::{Subscriber, SubscriberState};
use herald_notify::links::{LinkError, Purpose};
use herald_public::{PageSnapshot, paths};
use herald_store::{StoreError, SubscribeRequest, SubscriberPatch};
use serde_json::{Value, json};

use crate::AppState;
use crate::public::{self, Located};

/// The forms carry an address and a few component ids.
const FORM_LIMIT: usize = 16 * 1024;
/// From the subscribe page (`{root}subscribe`) back to the page's root.
const FROM_SUBSCRIBE: &str = "./";
/// From a link's page (`{root}subscription/…`) back to the page's root.
const FROM_LINK: &str = "../";

pub fn router() -> Router<AppState> {
    let mut router = Router::new();
    for prefix in ["", "/p/{slug}"] {
        let at = |path: &str| format!("{prefix}/{path}");
        router = router
            .route(&at(paths::SUBSCRIBE), post(subscribe))
            .route(
                &at(paths::SUBSCRIPTION_CONFIRM),
                get(confirm_page).post(confirm),
            )
            .route(
                &at(paths::SUBSCRIPTION_MANAGE),
                get(manage_page).post(manage),
            )
            .route(
                &at(paths::SUBSCRIPTION_UNSUBSCRIBE),
                get(unsubscribe_page).post(unsubscribe),
            );
    }
    router.layer(DefaultBodyLimit::max(FORM_LIMIT))
}

/// `POST {root}subscribe`, form-encoded `email=…&components=…&components=…` (no components:
/// all of them). The answer is the same whether the address is new, pending or already
/// subscribed, so the form does not tell anyone who is subscribed.
async fn subscribe(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(snapshot) = page_of(&state, &uri, &headers) else {
        return public::not_found();
    };
    let mut email = String::new();
    let mut components: Vec<String> = Vec::new();
    for (key, value) in form_urlencoded::parse(&body) {
        match &*key {
            "email" => email = value.into_owned(),
            "components" => components.push(value.into_owned()),
            _ => {}
        }
    }
    let address = email.trim();
    let invalid = |message: String| {
        let context = json!({
            "state": "subscribe_invalid",
            "email": address,
            "selected": components,
            "message": message,
        });
        render(&snapshot, FROM_SUBSCRIBE, StatusCode::BAD_REQUEST, context)
    };
    if address.is_empty() {
        return invalid("Enter your email address, such as you@example.com.".into());
    }
    let asked = state
        .store
        .request_subscription(
            &snapshot.page.id,
            address.to_string(),
            components.clone(),
            state.now(),
        )
        .await;
    match asked {
        // Nothing is sent to an active subscriber, but the answer does not say so.
        Ok(
            SubscribeRequest::Created(_)
            | SubscribeRequest::Pending(_)
            | SubscribeRequest::Active(_),
        ) => render(
            &snapshot,
            FROM_SUBSCRIBE,
            StatusCode::OK,
            json!({"state": "sent", "email": address}),
        ),
        Err(StoreError::Domain(DomainError::Invalid { message, .. })) => {
            invalid(sentence(&message))
        }
        Err(err) => failure(&snapshot, FROM_SUBSCRIBE, err),
    }
}

/// `GET {root}subscription/confirm?token=…`: a button that confirms; nothing changes yet.
async fn confirm_page(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let link = match Link::open(&state, &uri, &headers, Purpose::Confirm) {
        Ok(link) => link,
        Err(refused) => return refused.into_response(),
    };
    let subscriber = match link.subscriber(&state).await {
        Ok(subscriber) => subscriber,
        Err(response) => return response,
    };
    if subscriber.state == SubscriberState::Pending {
        link.render(
            StatusCode::OK,
            json!({"state": "confirm", "email": subscriber.address, "token": link.token}),
        )
    } else {
        link.confirmed(&state, &subscriber)
    }
}

/// `POST {root}subscription/confirm?token=…`: the subscription starts. Confirming twice is
/// harmless.
async fn confirm(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let link = match Link::open(&state, &uri, &headers, Purpose::Confirm) {
        Ok(link) => link,
        Err(refused) => return refused.into_response(),
    };
    if let Err(response) = link.subscriber(&state).await {
        return response;
    }
    match state
        .store
        .confirm_subscriber(&link.subscriber_id, state.now())
        .await
    {
        Ok(subscriber) => link.confirmed(&state, &subscriber),
        Err(err) => link.failure(err),
    }
}

/// `GET {root}subscription/manage?token=…`: the components, ticked as subscribed, a Save
/// button and an Unsubscribe button.
async fn manage_page(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let link = match Link::open(&state, &uri, &headers, Purpose::Manage) {
        Ok(link) => link,
        Err(refused) => return refused.into_response(),
    };
    match link.subscriber(&state).await {
        Ok(subscriber) => link.manage(&subscriber, false),
        Err(response) => response,
    }
}

/// `POST {root}subscription/manage?token=…`, form-encoded `components=…` (none: all).
async fn manage(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let link = match Link::open(&state, &uri, &headers, Purpose::Manage) {
        Ok(link) => link,
        Err(refused) => return refused.into_response(),
    };
    let components: Vec<String> = form_urlencoded::parse(&body)
        .filter(|(key, _)| key == "components")
        .map(|(_, value)| value.into_owned())
        .collect();
    let patch = SubscriberPatch {
        components: Some(components),
        ..SubscriberPatch::default()
    };
    let updated = state
        .store
        .update_subscriber(
            &link.actor(),
            &link.snapshot.page.id,
            &link.subscriber_id,
            patch,
            state.now(),
        )
        .await;
    match updated {
        Ok(subscriber) => link.manage(&subscriber, true),
        Err(err) => link.failure(err),
    }
}

/// `GET {root}subscription/unsubscribe?token=…`: a button that unsubscribes; nothing changes
/// yet.
async fn unsubscribe_page(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let link = match Link::open(&state, &uri, &headers, Purpose::Manage) {
        Ok(link) => link,
        Err(refused) => return refused.into_response(),
    };
    let found = state
        .store
        .subscriber(Some(&link.snapshot.page.id), &link.subscriber_id)
        .await;
    match found {
        Ok(subscriber) => link.render(
            StatusCode::OK,
            json!({"state": "unsubscribe", "email": subscriber.address, "token": link.token}),
        ),
        Err(StoreError::NotFound { .. }) => link.unsubscribed(),
        Err(err) => link.failure(err),
    }
}

/// `POST {root}subscription/unsubscribe?token=…`: from the button, or RFC 8058's one-click
/// `List-Unsubscribe=One-Click` (whatever the body, the signed link is what counts). Gone
/// already is still a success.
async fn unsubscribe(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let link = match Link::open(&state, &uri, &headers, Purpose::Manage) {
        Ok(link) => link,
        Err(refused) => return refused.into_response(),
    };
    let deleted = state
        .store
        .delete_subscriber(
            &link.actor(),
            &link.snapshot.page.id,
            &link.subscriber_id,
            state.now(),
        )
        .await;
    match deleted {
        Ok(()) | Err(StoreError::NotFound { .. }) => link.unsubscribed(),
        Err(err) => link.failure(err),
    }
}

/// A signed link as followed: the page it was followed on, its token, and the subscriber the
/// token names.
struct Link {
    snapshot: Arc<PageSnapshot>,
    token: String,
    subscriber_id: String,
}

impl Link {
    /// The page and the subscriber a link names, or why it leads nowhere.
    fn open(
        state: &AppState,
        uri: &Uri,
        headers: &HeaderMap,
        purpose: Purpose,
    ) -> Result<Link, Refused> {
        let snapshot = page_of(state, uri, headers).ok_or(Refused::NoPage)?;
        let token = uri
            .query()
            .and_then(|query| {
                form_urlencoded::parse(query.as_bytes())
                    .find(|(key, _)| key == "token")
                    .map(|(_, value)| value.into_owned())
            })
            .unwrap_or_default();
        match state.links.verify(purpose, &token, state.now()) {
            Ok(subscriber_id) => Ok(Link {
                snapshot,
                token,
                subscriber_id,
            }),
            Err(error) => Err(Refused::Link { snapshot, error }),
        }
    }

    /// How the audit log names a subscriber acting through their own link.
    fn actor(&self) -> String {
        format!("subscriber:{}", self.subscriber_id)
    }

    /// The subscriber, if it is still a subscriber of this page.
    async fn subscriber(&self, state: &AppState) -> Result<Subscriber, Response> {
        state
            .store
            .subscriber(Some(&self.snapshot.page.id), &self.subscriber_id)
            .await
            .map_err(|err| self.failure(err))
    }

    fn render(&self, status: StatusCode, context: Value) -> Response {
        render(&self.snapshot, FROM_LINK, status, context)
    }

    fn failure(&self, err: StoreError) -> Response {
        failure(&self.snapshot, FROM_LINK, err)
    }

    fn confirmed(&self, state: &AppState, subscriber: &Subscriber) -> Response {
        let manage_token = state
            .links
            .token(Purpose::Manage, &subscriber.id, state.now());
        self.render(
            StatusCode::OK,
            json!({
                "state": "confirmed",
                "email": subscriber.address,
                "manage_token": manage_token,
            }),
        )
    }

    fn manage(&self, subscriber: &Subscriber, saved: bool) -> Response {
        self.render(
            StatusCode::OK,
            json!({
                "state": "manage",
                "email": subscriber.address,
                "selected": subscriber.components,
                "token": self.token,
                "saved": saved,
            }),
        )
    }

    fn unsubscribed(&self) -> Response {
        self.render(StatusCode::OK, json!({"state": "unsubscribed"}))
    }
}

/// A link that leads nowhere: no such page, or a token that is not genuine and current.
enum Refused {
    NoPage,
    Link {
        snapshot: Arc<PageSnapshot>,
        error: LinkError,
    },
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::NoPage => public::not_found(),
            Refused::Link { snapshot, error } => render(
                &snapshot,
                FROM_LINK,
                StatusCode::BAD_REQUEST,
                json!({"state": "invalid_link", "message": sentence(&error.to_string())}),
            ),
        }
    }
}

/// The page the request is under, found as the public page finds it.
fn page_of(state: &AppState, uri: &Uri, headers: &HeaderMap) -> Option<Arc<PageSnapshot>> {
    let pages = state.site.pages();
    match public::locate(&pages, uri.path(), public::host(headers)) {
        Located::Page { snapshot, .. } => Some(snapshot.clone()),
        _ => None,
    }
}

/// A store error as a page: what went wrong and, where it helps, what to do.
fn failure(snapshot: &PageSnapshot, root: &str, err: StoreError) -> Response {
    let (status, context) = match err {
        StoreError::NotFound { .. } => (StatusCode::NOT_FOUND, json!({"state": "gone"})),
        StoreError::Domain(DomainError::Invalid { message, .. }) => (
            StatusCode::BAD_REQUEST,
            json!({"state": "error", "message": sentence(&message)}),
        ),
        StoreError::Domain(err) => (
            StatusCode::BAD_REQUEST,
            json!({"state": "error", "message": sentence(&err.to_string())}),
        ),
        StoreError::Conflict(message) => (
            StatusCode::CONFLICT,
            json!({"state": "error", "message": sentence(&message)}),
        ),
        // A visitor is told no file paths: they are the operator's to read, in the log.
        StoreError::Unavailable(detail) | StoreError::FileChanged(detail) => {
            tracing::error!(%detail, "database unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"state": "error", "message": "The status page cannot reach its database just now; nothing was changed. Try again in a few minutes."}),
            )
        }
        StoreError::Internal(_) | StoreError::LeaseLost { .. } => {
            tracing::error!(detail = %err, "internal error");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"state": "error", "message": "Something went wrong on our side and has been logged; nothing was changed. Try again later."}),
            )
        }
    };
    render(snapshot, root, status, context)
}

/// A message as a sentence: a capital first letter and a full stop.
fn sentence(message: &str) -> String {
    let mut chars = message.trim().chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// The page from `subscription.html`, never cached (it names an address) and never sending
/// its address (its link's token) on as a referrer.
fn render(snapshot: &PageSnapshot, root: &str, status: StatusCode, context: Value) -> Response {
    let html = match snapshot.subscription_page(root, context) {
        Ok(html) => html,
        Err(err) => {
            tracing::error!(%err, "could not render a subscription page");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "The page could not be shown; the error has been logged.\n",
            )
                .into_response();
        }
    };
    let mut response = (status, html).into_response();
    let out = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "no-referrer"),
    ] {
        out.insert(name, HeaderValue::from_static(value));
    }
    out.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    crate::headers::protect(out, public::CSP);
    response
}

#[cfg(test)]
mod tests {
    use super::sentence;

    #[test]
    fn messages_read_as_sentences() {
        assert_eq!(
            sentence("this link is not valid; use the latest link"),
            "This link is not valid; use the latest link."
        );
        assert_eq!(
            sentence("\"x\" is not an address"),
            "\"x\" is not an address."
        );
        assert_eq!(sentence("Done."), "Done.");
        assert_eq!(sentence(""), "");
    }
}
