//! Signing in with a password or an emailed one-time link, and signing out.
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use herald_notify::email;
use herald_store::{NewSession, SignInMethod};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::json;

use super::form::FormData;
use super::session::{
    self, Posted, Refusal, SESSION_COOKIE, SIGN_IN_COOKIE, check_sign_in_csrf, set_cookie,
};
use super::view;
use crate::client::ClientAddr;
use crate::{AppState, password};

/// How long the sign-in form's token cookie lasts.
const FORM_COOKIE_SECS: i64 = 3600;
/// The session cookie outlives no session (the store ends sessions sooner when idle).
const SESSION_COOKIE_SECS: i64 = 7 * 24 * 3600;

#[derive(Deserialize, Default)]
pub struct Next {
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    token: Option<String>,
}

/// Where to go after signing in: a console path asked for, or the dashboard. Anything else
/// (another site, `//host`) is ignored.
fn destination(next: Option<&str>) -> &str {
    match next {
        Some(path) if path.starts_with("/console") && !path.starts_with("//") => path,
        _ => "/console",
    }
}

/// Renders a sign-in page with a fresh double-submit token.
fn sign_in_page(
    state: &AppState,
    status: StatusCode,
    template: &str,
    mut context: serde_json::Value,
) -> Response {
    // 256 random bits: ids are time-ordered, so not tokens.
    let token: String = rand::random::<[u8; 32]>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    context["csrf"] = json!(token);
    let mut response = view::page(state, None, status, template, context);
    if let Ok(value) = set_cookie(
        SIGN_IN_COOKIE,
        &token,
        FORM_COOKIE_SECS,
        state.console.secure_cookies,
    )
    .parse()
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

pub async fn form(State(state): State<AppState>, Query(q): Query<Next>) -> Response {
    let context = json!({"next": destination(q.next.as_deref())});
    sign_in_page(&state, StatusCode::OK, "sign_in.html", context)
}

/// The sign-in page again with a 429 and `Retry-After` when `client` has made too many
/// attempts; `None` when it may go on.
fn too_many(state: &AppState, client: ClientAddr, now: Timestamp) -> Option<Response> {
    let until = state
        .console
        .limiter
        .attempt(&client.0.to_string(), now)
        .err()?;
    let context = json!({"error": format!(
        "Too many sign-in attempts from your address. Try again after {} UTC.",
        until.strftime("%H:%M")
    )});
    Some(with_retry_after(
        sign_in_page(
            state,
            StatusCode::TOO_MANY_REQUESTS,
            "sign_in.html",
            context,
        ),
        until.duration_since(now).as_secs().max(1),
    ))
}

/// A sign-in form as posted, once its token is checked and the client's attempt counted; or
/// the answer that refuses it.
fn attempt(
    state: &AppState,
    client: ClientAddr,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<FormData, Refusal> {
    let form = FormData::parse(body);
    check_sign_in_csrf(state, headers, &form)?;
    match too_many(state, client, state.now()) {
        Some(refused) => Err(Box::new(refused)),
        None => Ok(form),
    }
}

fn with_retry_after(mut response: Response, secs: i64) -> Response {
    if let Ok(value) = secs.to_string().parse() {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

pub async fn password(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match attempt(&state, client, &headers, &body) {
        Ok(form) => form,
        Err(refused) => return *refused,
    };
    let email = form.text("email").to_lowercase();
    let next = destination(form.get("next")).to_string();
    let now = state.now();
    let refuse = |message: String| {
        let context = json!({"next": next, "email": email, "error": message});
        sign_in_page(&state, StatusCode::UNAUTHORIZED, "sign_in.html", context)
    };
    if let Some(until) = state.console.limiter.locked_until(&email, now) {
        return refuse(format!(
            "Too many wrong passwords for this address. Try again after {} UTC, or ask for a sign-in link by email.",
            until.strftime("%H:%M")
        ));
    }
    let Some(_slot) = state.console.limiter.check_slot().await else {
        let context = json!({"next": next, "email": email, "error": "Herald is checking many sign-ins at once. Try again in a few seconds."});
        let busy = sign_in_page(
            &state,
            StatusCode::SERVICE_UNAVAILABLE,
            "sign_in.html",
            context,
        );
        return with_retry_after(busy, 2);
    };
    let candidate = form.get("password").unwrap_or_default().to_string();
    let user = match state.store.user_credentials(&email).await {
        Ok(found) => found,
        Err(error) => return view::failure(&state, None, error.into()),
    };
    let hash = user.as_ref().and_then(|(_, hash)| hash.clone());
    // The check takes as long whether or not the address has an account.
    let matches = tokio::task::spawn_blocking(move || match hash {
        Some(hash) => password::verify(&candidate, &hash),
        None => password::verify_nobody(&candidate),
    })
    .await
    .unwrap_or(false);
    match user {
        Some((user, _)) if matches && user.is_active() => {
            state.console.limiter.succeeded(&email);
            match state
                .store
                .start_session(&user.id, SignInMethod::Password, &client.0.to_string(), now)
                .await
            {
                Ok(new) => signed_in(&state, new, &next),
                Err(error) => view::failure(&state, None, error.into()),
            }
        }
        _ => {
            state.console.limiter.failed(&email, now);
            refuse("That email address and password do not match an active user. Check them, or ask for a sign-in link by email.".into())
        }
    }
}

/// Sets the session cookie and goes on.
fn signed_in(state: &AppState, new: NewSession, next: &str) -> Response {
    let mut response = Redirect::to(next).into_response();
    let cookies = [
        set_cookie(
            SESSION_COOKIE,
            &new.secret,
            SESSION_COOKIE_SECS,
            state.console.secure_cookies,
        ),
        set_cookie(SIGN_IN_COOKIE, "", 0, state.console.secure_cookies),
    ];
    for cookie in cookies {
        if let Ok(value) = cookie.parse() {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

pub async fn email_link(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match attempt(&state, client, &headers, &body) {
        Ok(form) => form,
        Err(refused) => return *refused,
    };
    let email = form.text("email");
    if email.is_empty() {
        let context = json!({"error_email": "Enter the email address you sign in with."});
        return sign_in_page(&state, StatusCode::BAD_REQUEST, "sign_in.html", context);
    }
    match state.store.issue_sign_in_link(&email, state.now()).await {
        Ok(Some((user, secret))) => send_link(&state, &user.email, &user.name, &secret).await,
        Ok(None) => {}
        Err(error) => return view::failure(&state, None, error.into()),
    }
    // The same answer whether or not the address has an account.
    view::message(
        &state,
        None,
        StatusCode::OK,
        "Check your email",
        "If that address belongs to a Herald user, a sign-in link is on its way. It works once, for 15 minutes.",
    )
}

async fn send_link(state: &AppState, to: &str, name: &str, secret: &str) {
    let console = &state.console;
    let url = format!("{}console/sign-in/link?token={secret}", console.base_url);
    let minutes = herald_core::session::LINK_MINUTES;
    let sent = match console
        .emails
        .sign_in(&format!("{}console", console.base_url), name, &url, minutes)
        .and_then(|content| email::message(&console.from, to, &content, None, None))
    {
        Ok(message) => console.mail.send(message).await.map_err(|e| e.to_string()),
        Err(error) => Err(error.to_string()),
    };
    if let Err(error) = sent {
        tracing::warn!(%error, "a sign-in link could not be sent");
    }
}

/// The page an emailed link opens. It signs in only when its button is pressed, so a mail
/// scanner that fetches links does not use the link up.
pub async fn link_form(State(state): State<AppState>, Query(q): Query<Next>) -> Response {
    let context = json!({"token": q.token.unwrap_or_default()});
    sign_in_page(&state, StatusCode::OK, "sign_in.html", context)
}

pub async fn redeem(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = FormData::parse(&body);
    if let Err(refused) = check_sign_in_csrf(&state, &headers, &form) {
        return *refused;
    }
    let token = form.text("token");
    let from = client.0.to_string();
    match state
        .store
        .redeem_sign_in_link(&token, &from, state.now())
        .await
    {
        Ok(Some(new)) => signed_in(&state, new, "/console"),
        Ok(None) => view::message(
            &state,
            None,
            StatusCode::BAD_REQUEST,
            "This link does not work any more",
            "Sign-in links work once, for 15 minutes. Ask for a new one on the sign-in page.",
        ),
        Err(error) => view::failure(&state, None, error.into()),
    }
}

pub async fn sign_out(State(state): State<AppState>, Posted { who, .. }: Posted) -> Response {
    if let Err(error) = state.store.end_session(&who.secret, state.now()).await {
        return view::failure(&state, Some(&who), error.into());
    }
    let mut response = Redirect::to("/console/sign-in").into_response();
    let clear = session::set_cookie(SESSION_COOKIE, "", 0, state.console.secure_cookies);
    if let Ok(value) = clear.parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}
