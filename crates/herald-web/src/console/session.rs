//! Who is at the console: the session cookie and the CSRF checks every form passes.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use herald_core::access::Role;
use herald_store::Session;
use serde_json::json;

use super::form::FormData;
use super::view;
use crate::AppState;

pub const SESSION_COOKIE: &str = "herald_session";
/// Before sign-in there is no session to hold a CSRF token, so the sign-in forms use a
/// double-submit token: a random cookie that the form must repeat.
pub const SIGN_IN_COOKIE: &str = "herald_sign_in";
/// The field (or, for script calls, the `x-csrf-token` header) that carries the token back.
pub const CSRF_FIELD: &str = "_csrf";

/// The page that refuses a request (boxed: a response is large, and most calls pass).
pub type Refusal = Box<Response>;

/// The value of cookie `name`, if the request has it.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value for the console's path: never readable by script, not sent on
/// cross-site requests.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/console; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}")
}

/// A signed-in person, with the cookie's secret (to sign out with).
pub struct SignedIn {
    pub session: Session,
    pub secret: String,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    /// Without a live session, a page view goes to the sign-in form (and comes back after);
    /// anything else is refused with 401.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        if let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) {
            match state.store.session(secret, state.now()).await {
                Ok(Some(session)) => {
                    return Ok(SignedIn {
                        session,
                        secret: secret.to_string(),
                    });
                }
                Ok(None) => {}
                Err(error) => return Err(view::failure(state, None, error.into())),
            }
        }
        if parts.method == Method::GET || parts.method == Method::HEAD {
            let next = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/console");
            let to = format!(
                "/console/sign-in?next={}",
                form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            );
            return Err(Redirect::to(&to).into_response());
        }
        Err(view::message(
            state,
            None,
            StatusCode::UNAUTHORIZED,
            "Sign in first",
            "Your session has ended or you have not signed in. Sign in, then try again.",
        ))
    }
}

impl SignedIn {
    pub fn actor(&self) -> String {
        self.session.actor()
    }

    /// Refuses (403) a person whose role is below `needed`.
    pub fn require(&self, state: &AppState, needed: Role) -> Result<(), Refusal> {
        if self.session.user.role.allows(needed) {
            return Ok(());
        }
        Err(Box::new(view::message(
            state,
            Some(self),
            StatusCode::FORBIDDEN,
            "Not allowed",
            &format!(
                "This needs the {} role; you have the {} role. Ask an administrator.",
                needed.as_str(),
                self.session.user.role.as_str()
            ),
        )))
    }

    /// Refuses (403) a form that does not carry this session's CSRF token, or that a page of
    /// another site sent.
    pub fn check_csrf(
        &self,
        state: &AppState,
        headers: &HeaderMap,
        form: &FormData,
    ) -> Result<(), Refusal> {
        let sent = form
            .get(CSRF_FIELD)
            .or_else(|| headers.get("x-csrf-token").and_then(|v| v.to_str().ok()));
        if same_origin(headers) && sent.is_some_and(|token| same(token, &self.session.csrf)) {
            return Ok(());
        }
        Err(Box::new(csrf_refusal(state, Some(self))))
    }

    /// What every signed-in page's template gets.
    pub fn context(&self) -> serde_json::Value {
        json!({
            "user": {
                "name": self.session.user.name,
                "email": self.session.user.email,
                "role": self.session.user.role.as_str(),
                "can_publish": self.session.user.role.allows(Role::Responder),
                "can_manage": self.session.user.role.allows(Role::Admin),
            },
            "csrf": self.session.csrf,
        })
    }
}

/// A form a signed-in person sent from a console page: its CSRF token checked, its fields
/// parsed. Changing anything needs the responder role too (see [`Posted::responder`]).
pub struct Posted {
    pub who: SignedIn,
    pub form: FormData,
}

impl FromRequest<AppState> for Posted {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let who = SignedIn::from_request_parts(&mut parts, state).await?;
        let Ok(bytes) = axum::body::to_bytes(body, crate::MAX_BODY_BYTES).await else {
            return Err(view::message(
                state,
                Some(&who),
                StatusCode::PAYLOAD_TOO_LARGE,
                "Too much to send",
                "The form is larger than Herald accepts; shorten the text and try again.",
            ));
        };
        let form = FormData::parse(&bytes);
        who.check_csrf(state, &parts.headers, &form)
            .map_err(|refused| *refused)?;
        Ok(Posted { who, form })
    }
}

/// A signed-in admin, on a page only admins see.
pub struct AdminView(pub SignedIn);

/// A signed-in responder or admin, on a page viewers do not see (subscribers' addresses).
pub struct ResponderView(pub SignedIn);

/// A signed-in person with at least the `needed` role.
async fn signed_in_as(
    parts: &mut Parts,
    state: &AppState,
    needed: Role,
) -> Result<SignedIn, Response> {
    let who = SignedIn::from_request_parts(parts, state).await?;
    who.require(state, needed).map_err(|refused| *refused)?;
    Ok(who)
}

impl FromRequestParts<AppState> for AdminView {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        signed_in_as(parts, state, Role::Admin).await.map(AdminView)
    }
}

impl FromRequestParts<AppState> for ResponderView {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        signed_in_as(parts, state, Role::Responder)
            .await
            .map(ResponderView)
    }
}

/// A [`Posted`] form from someone who may change incidents: a responder or an admin.
pub struct Responder(pub Posted);

/// A [`Posted`] form from an admin: pages, components, users.
pub struct Admin(pub Posted);

/// A [`Posted`] form from someone with at least the `needed` role.
async fn posted_as(request: Request, state: &AppState, needed: Role) -> Result<Posted, Response> {
    let posted = Posted::from_request(request, state).await?;
    posted
        .who
        .require(state, needed)
        .map_err(|refused| *refused)?;
    Ok(posted)
}

impl FromRequest<AppState> for Responder {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        posted_as(request, state, Role::Responder)
            .await
            .map(Responder)
    }
}

impl FromRequest<AppState> for Admin {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        posted_as(request, state, Role::Admin).await.map(Admin)
    }
}

/// Checks a sign-in form's double-submit token against its cookie.
pub fn check_sign_in_csrf(
    state: &AppState,
    headers: &HeaderMap,
    form: &FormData,
) -> Result<(), Refusal> {
    let cookie = cookie(headers, SIGN_IN_COOKIE);
    let sent = form.get(CSRF_FIELD);
    match (cookie, sent) {
        (Some(cookie), Some(sent)) if same_origin(headers) && same(cookie, sent) => Ok(()),
        _ => Err(Box::new(csrf_refusal(state, None))),
    }
}

fn csrf_refusal(state: &AppState, who: Option<&SignedIn>) -> Response {
    view::message(
        state,
        who,
        StatusCode::FORBIDDEN,
        "The form could not be checked",
        "This form expired or was sent from another site, so nothing was changed. Go back, reload the page and try again.",
    )
}

/// A browser names the page a form came from in `Origin`; when it does, it must be this
/// host. (Without `Origin`, the token alone decides.)
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'));
    matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
}

/// Compares secrets in time that does not depend on where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            "a=1; herald_session=xyz; b=2".parse().unwrap(),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&headers, "missing"), None);
    }

    #[test]
    fn another_sites_origin_is_refused() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "status.example.com".parse().unwrap());
        assert!(same_origin(&headers));
        headers.insert(
            header::ORIGIN,
            "https://status.example.com".parse().unwrap(),
        );
        assert!(same_origin(&headers));
        headers.insert(header::ORIGIN, "https://evil.example".parse().unwrap());
        assert!(!same_origin(&headers));
    }
}
