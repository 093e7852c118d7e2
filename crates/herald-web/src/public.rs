//! The public status page: bytes from the current snapshot, never the database. A page is
//! found by the request's host name, by `/p/{slug}/`, or is the default page at `/`.
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use herald_public::render::{STYLESHEET, WELCOME_HTML};
use herald_public::{Asset, Encoding, PageSnapshot, SitePages, paths};

use crate::AppState;

/// A CDN in front may keep a copy briefly, and serve it stale while Herald is unreachable.
const CACHE_CONTROL: &str = "public, max-age=10, stale-while-revalidate=30, stale-if-error=86400";
/// Everything the page loads comes from its own origin; its forms (email subscription) post
/// there too.
pub(crate) const CSP: &str = "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; script-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Where a request path leads.
pub(crate) enum Located<'a> {
    /// A page: its snapshot, the path within it, and where its root is on this host.
    Page {
        snapshot: &'a Arc<PageSnapshot>,
        rest: &'a str,
        root: &'a str,
    },
    /// `/p/{slug}` without its slash: the page is at this path.
    Redirect(String),
    /// No page exists yet: the path asked of the welcome screen.
    Welcome(&'a str),
    NotFound,
}

/// The page a request names: `/p/{slug}/…`, Status.io's `/1.0/status/{page_id}` on any host,
/// or the page bound to `host` (a `Host` header), else the default page, at `/`.
pub(crate) fn locate<'a>(pages: &'a SitePages, path: &'a str, host: Option<&str>) -> Located<'a> {
    match path.strip_prefix("/p/") {
        Some(after) => {
            let Some((slug, rest)) = after.split_once('/') else {
                return match pages.by_slug(after) {
                    Some(_) => Located::Redirect(format!("/p/{after}/")),
                    None => Located::NotFound,
                };
            };
            match pages.by_slug(slug) {
                Some(snapshot) => Located::Page {
                    snapshot,
                    rest,
                    root: &path[..path.len() - rest.len()],
                },
                None => Located::NotFound,
            }
        }
        None => {
            let rest = path.trim_start_matches('/');
            // Status.io's public API names its page by id, on any host.
            let by_id = rest.strip_prefix("1.0/status/").map(|id| pages.by_id(id));
            match by_id.unwrap_or_else(|| pages.for_host(host)) {
                Some(snapshot) => Located::Page {
                    snapshot,
                    rest,
                    root: "/",
                },
                None if by_id.is_none() && pages.by_slug.is_empty() => Located::Welcome(rest),
                None => Located::NotFound,
            }
        }
    }
}

/// The request's `Host` header, if it is readable.
pub(crate) fn host(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::HOST).and_then(|h| h.to_str().ok())
}

/// Answers every GET or HEAD the other routers did not take.
pub async fn serve(State(state): State<AppState>, request: Request) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
        )
            .into_response();
    }
    let pages = state.site.pages();
    let path = request.uri().path();
    let headers = request.headers();
    let (snapshot, rest, root) = match locate(&pages, path, host(headers)) {
        Located::Page {
            snapshot,
            rest,
            root,
        } => (snapshot, rest, root),
        Located::Redirect(to) => return redirect(&to),
        Located::Welcome(rest) => return welcome(rest),
        Located::NotFound => return not_found(),
    };
    match snapshot.get(&paths::key_for(rest)) {
        Some(asset) => respond(&asset, headers),
        // A page's directories are served with their slash, so relative links resolve.
        None if !rest.is_empty() && !rest.ends_with('/') && snapshot.has_dir(rest) => {
            redirect(&format!("{root}{rest}/"))
        }
        None => not_found(),
    }
}

/// The asset, or 304 when the client's copy is current.
fn respond(asset: &Asset, headers: &HeaderMap) -> Response {
    let accept = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (encoding, body, etag) = asset.variant(accept);
    let mut response = match headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        Some(tags) if asset.matches(tags) => StatusCode::NOT_MODIFIED.into_response(),
        _ => {
            let mut response = Response::new(Body::from(body.clone()));
            let out = response.headers_mut();
            out.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            );
            match encoding {
                Encoding::Brotli => {
                    out.insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
                }
                Encoding::Gzip => {
                    out.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                }
                Encoding::Identity => {}
            }
            response
        }
    };
    let out = response.headers_mut();
    if let Ok(etag) = HeaderValue::from_maybe_shared(etag.clone()) {
        out.insert(header::ETAG, etag);
    }
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    out.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    out.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    crate::headers::protect(out, CSP);
    response
}

/// A fresh install: one screen that says how to create the first page.
fn welcome(rest: &str) -> Response {
    match rest {
        "" => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            WELCOME_HTML,
        )
            .into_response(),
        "assets/herald.css" => (
            [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
            STYLESHEET,
        )
            .into_response(),
        _ => not_found(),
    }
}

fn redirect(to: &str) -> Response {
    (
        StatusCode::PERMANENT_REDIRECT,
        [(header::LOCATION, to.to_string())],
    )
        .into_response()
}

pub(crate) fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "Not found\n",
    )
        .into_response()
}
