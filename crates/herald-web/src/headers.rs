//! The security headers of every page Herald serves to browsers.
use axum::http::{HeaderMap, HeaderValue, header};

/// Sets `csp` as the Content-Security-Policy (each policy forbids framing with
/// `frame-ancestors`), `X-Frame-Options` for browsers that predate that directive, and
/// `nosniff` so a browser never runs a response as a type it was not sent as.
pub(crate) fn protect(out: &mut HeaderMap, csp: &'static str) {
    out.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    out.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    out.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}
