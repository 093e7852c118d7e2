//! Outbound HTTP for webhooks, Slack and Teams.
//!
//! A subscriber chooses the URL, so a request must not become a way into the operator's own
//! network: unless `[delivery] allow_private_targets` is set, private, loopback and other
//! non-public addresses are refused. Host names are checked after DNS resolution (the client
//! connects only to the addresses that passed, so a name cannot be rebound in between); IP
//! literals are checked before anything else. Redirects are not followed, since following one
//! would reach a target nobody checked.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
    time::Duration,
};

use herald_core::subscriber::{Channel, NewSubscriber};
use herald_core::{DomainError, text};
use jiff::{Timestamp, fmt::rfc2822};
use tokio_rustls::rustls::RootCertStore;
use url::{Host, Url};

use crate::h1::{self, Answer, ExchangeError};

/// How outbound requests behave.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// For the whole exchange: connecting, sending, and reading the answer.
    pub timeout: Duration,
    /// Let requests reach private, loopback and other non-public addresses.
    pub allow_private_targets: bool,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(15),
            allow_private_targets: false,
        }
    }
}

/// A pooled client that remembers the options it was built with. Cheap to clone.
#[derive(Clone)]
pub struct HttpClient {
    pool: Arc<h1::Pool>,
    options: HttpOptions,
}

/// Builds the shared outbound client, trusting the web's public certificate authorities.
pub fn client(options: &HttpOptions) -> HttpClient {
    let roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    client_trusting(options, roots)
}

/// Builds a client that trusts `roots` for https.
pub(crate) fn client_trusting(options: &HttpOptions, roots: RootCertStore) -> HttpClient {
    let filter: h1::AddressFilter = match options.allow_private_targets {
        true => |_, addrs| Ok(addrs),
        false => public_only,
    };
    HttpClient {
        pool: Arc::new(h1::Pool::new(roots, filter)),
        options: options.clone(),
    }
}

/// Why a target URL is refused before anything is sent. Permanent: retrying cannot help.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("not a valid URL: {0}")]
    InvalidUrl(#[from] url::ParseError),
    #[error("{0}: URLs are not supported; use http:// or https://")]
    UnsupportedScheme(String),
    #[error(
        "{0} is a private address; Herald refuses it unless [delivery] allow_private_targets = true"
    )]
    PrivateAddress(IpAddr),
    #[error(
        "{host} resolves only to private addresses ({list}); Herald refuses them unless [delivery] allow_private_targets = true",
        list = join(.addrs)
    )]
    PrivateHost { host: String, addrs: Vec<IpAddr> },
}

fn join(addrs: &[IpAddr]) -> String {
    addrs
        .iter()
        .map(IpAddr::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks what can be checked before resolution: the scheme, and a host that is an IP literal.
/// Host names are checked by the client's resolver.
pub fn check_target(url: &Url, allow_private: bool) -> Result<(), DeliveryError> {
    if !matches!(url.scheme(), "http" | "https") {
        // Only the scheme: the rest of a webhook URL is often a secret.
        return Err(DeliveryError::UnsupportedScheme(url.scheme().to_owned()));
    }
    let ip = match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
        _ => return Ok(()),
    };
    if allow_private || is_public(ip) {
        Ok(())
    } else {
        Err(DeliveryError::PrivateAddress(ip))
    }
}

/// Keeps the public addresses a host name resolved to; none is a refusal.
fn public_only(host: &str, addrs: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, ExchangeError> {
    Ok(public_addresses(host, addrs)?)
}

fn public_addresses(host: &str, addrs: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, DeliveryError> {
    let (public, private): (Vec<SocketAddr>, Vec<SocketAddr>) =
        addrs.into_iter().partition(|addr| is_public(addr.ip()));
    if public.is_empty() && !private.is_empty() {
        let addrs = private.iter().map(SocketAddr::ip).collect();
        let host = host.to_owned();
        return Err(DeliveryError::PrivateHost { host, addrs });
    }
    Ok(public)
}

/// How long checking a new subscriber's host name may take before it is accepted unchecked.
const VET_TIMEOUT: Duration = Duration::from_secs(3);

/// Checks a new subscriber's URL as delivery will check it, so that an address Herald would
/// never deliver to is refused when it is given rather than disabled at its first delivery:
/// the scheme, an IP literal, and the addresses a host name resolves to. A name that does not
/// resolve now is accepted, with the warning returned: it may resolve by the time Herald
/// delivers, which checks it again.
pub async fn vet_subscriber(
    new: &NewSubscriber,
    allow_private: bool,
) -> Result<Option<String>, DomainError> {
    // An email address, or a URL the subscriber rules refuse, is theirs to answer.
    let address = new.address.trim();
    if new.channel == Channel::Email || text::http_url("address", address).is_err() {
        return Ok(None);
    }
    let Ok(url) = Url::parse(address) else {
        return Ok(None);
    };
    vet_url(&url, allow_private)
        .await
        .map_err(|error| DomainError::invalid("address", error.to_string()))
}

async fn vet_url(url: &Url, allow_private: bool) -> Result<Option<String>, DeliveryError> {
    check_target(url, allow_private)?;
    let (Some(Host::Domain(host)), false) = (url.host(), allow_private) else {
        return Ok(None);
    };
    let port = url.port_or_known_default().unwrap_or(443);
    let looked_up = tokio::time::timeout(VET_TIMEOUT, tokio::net::lookup_host((host, port))).await;
    let addrs: Vec<SocketAddr> = match looked_up {
        Ok(Ok(addrs)) => addrs.collect(),
        _ => Vec::new(),
    };
    if addrs.is_empty() {
        return Ok(Some(format!(
            "{host} does not resolve from this server now; deliveries will fail until it does"
        )));
    }
    public_addresses(host, addrs).map(|_| None)
}

/// Whether an address is publicly routable: not private, loopback, link-local, unspecified,
/// multicast, broadcast, documentation, shared (CGNAT), benchmarking or otherwise reserved.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_public_v4(ip),
        IpAddr::V6(ip) => is_public_v6(ip),
    }
}

/// IPv4 ranges that are not publicly routable (IANA special-purpose registry).
const NON_PUBLIC_V4: &[(Ipv4Addr, u8)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 8),       // "this network", unspecified
    (Ipv4Addr::new(10, 0, 0, 0), 8),      // private
    (Ipv4Addr::new(100, 64, 0, 0), 10),   // shared address space (CGNAT)
    (Ipv4Addr::new(127, 0, 0, 0), 8),     // loopback
    (Ipv4Addr::new(169, 254, 0, 0), 16),  // link-local
    (Ipv4Addr::new(172, 16, 0, 0), 12),   // private
    (Ipv4Addr::new(192, 0, 0, 0), 24),    // IETF protocol assignments
    (Ipv4Addr::new(192, 0, 2, 0), 24),    // documentation (TEST-NET-1)
    (Ipv4Addr::new(192, 88, 99, 0), 24),  // 6to4 relay anycast (deprecated)
    (Ipv4Addr::new(192, 168, 0, 0), 16),  // private
    (Ipv4Addr::new(198, 18, 0, 0), 15),   // benchmarking
    (Ipv4Addr::new(198, 51, 100, 0), 24), // documentation (TEST-NET-2)
    (Ipv4Addr::new(203, 0, 113, 0), 24),  // documentation (TEST-NET-3)
    (Ipv4Addr::new(224, 0, 0, 0), 4),     // multicast
    (Ipv4Addr::new(240, 0, 0, 0), 4),     // reserved, and 255.255.255.255 broadcast
];

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let ip = u32::from(ip);
    !NON_PUBLIC_V4.iter().any(|&(net, len)| {
        let mask = u32::MAX << (32 - len);
        ip & mask == u32::from(net)
    })
}

/// Inside global unicast (2000::/3), the ranges that are not publicly routable or that tunnel
/// to an IPv4 address we cannot see.
const NON_PUBLIC_V6: &[(Ipv6Addr, u8)] = &[
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 23), // IETF protocol assignments, Teredo
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32), // documentation
    (Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16), // 6to4
    (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20), // documentation
];

/// NAT64 well-known prefix 64:ff9b::/96: the last 32 bits are the IPv4 address reached.
const NAT64: (Ipv6Addr, u8) = (Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96);

fn in_v6(ip: Ipv6Addr, (net, len): (Ipv6Addr, u8)) -> bool {
    let mask = u128::MAX << (128 - len);
    u128::from(ip) & mask == u128::from(net)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    // Addresses that stand for an IPv4 address are judged by that address.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    if in_v6(ip, NAT64) {
        return is_public_v4(Ipv4Addr::from(u128::from(ip) as u32));
    }
    // Everything outside global unicast is loopback, unspecified, unique-local (fc00::/7),
    // link-local (fe80::/10), multicast (ff00::/8) or reserved.
    let global_unicast = (Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3);
    in_v6(ip, global_unicast) && !NON_PUBLIC_V6.iter().any(|&range| in_v6(ip, range))
}

/// How one delivery attempt ended, classified per the Standard Webhooks sender rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// Any 2xx.
    Delivered,
    /// 410: the endpoint asks to be disabled.
    Gone { status: u16 },
    /// 429, 502, 503, 504: retry later, no sooner than `retry_after` if the receiver said so.
    SlowDown {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// Anything else (another status, a redirect, a timeout, a connection error): retry.
    Failed { error: String },
    /// The target is not allowed (a private address) or not a usable URL: permanent, no retry.
    Refused { error: String },
}

/// The longest wait a receiver's `Retry-After` can impose.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// How much of an answer's body is kept (to quote it in an error); the rest is dropped.
pub(crate) const MAX_BODY: usize = 1024;

/// How many characters of the body an error message quotes.
const MAX_QUOTE: usize = 200;

/// POSTs a JSON body with the given extra headers and classifies the answer.
pub async fn post_json(
    client: &HttpClient,
    url: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> Attempt {
    let checked = Url::parse(url)
        .map_err(DeliveryError::from)
        .and_then(|url| check_target(&url, client.options.allow_private_targets).map(|()| url));
    let url = match checked {
        Ok(url) => url,
        Err(error) => return refused(&error),
    };
    let exchange = client.pool.post(&url, headers, body);
    match tokio::time::timeout(client.options.timeout, exchange).await {
        Ok(Ok(answer)) => classify(&answer),
        Ok(Err(ExchangeError::Refused(error))) => refused(&error),
        Ok(Err(error)) => Attempt::Failed {
            error: error.to_string(),
        },
        Err(_) => Attempt::Failed {
            error: format!(
                "did not answer within {} s",
                client.options.timeout.as_secs_f64()
            ),
        },
    }
}

fn refused(error: &DeliveryError) -> Attempt {
    Attempt::Refused {
        error: error.to_string(),
    }
}

fn classify(answer: &Answer) -> Attempt {
    let status = answer.status;
    let retry_after = answer
        .header("retry-after")
        .and_then(|v| retry_after(v, Timestamp::now()));
    match status {
        200..=299 => Attempt::Delivered,
        410 => Attempt::Gone { status: 410 },
        429 | 502 | 503 | 504 => Attempt::SlowDown {
            status,
            retry_after,
        },
        _ => {
            let error = match answer.header("location") {
                Some(to) if (300..400).contains(&status) => format!(
                    "answered {} with a redirect to {to}; redirects are not followed, so use that URL",
                    describe(status)
                ),
                _ => format!("answered {}{}", describe(status), quote(answer)),
            };
            Attempt::Failed { error }
        }
    }
}

/// "500 Internal Server Error", or just "599" for a code without a standard reason.
fn describe(status: u16) -> String {
    let reason = http::StatusCode::from_u16(status).ok();
    match reason.and_then(|s| s.canonical_reason()) {
        Some(reason) => format!("{status} {reason}"),
        None => status.to_string(),
    }
}

/// ": <first words>" of the answer's body to quote in an error (nothing for HTML error pages,
/// whose markup would drown the message).
fn quote(answer: &Answer) -> String {
    let is_html = answer
        .header("content-type")
        .is_some_and(|v| v.starts_with("text/html"));
    let text = String::from_utf8_lossy(&answer.body);
    let words: Vec<&str> = text.split_whitespace().collect();
    if is_html || words.is_empty() {
        return String::new();
    }
    format!(
        ": {}",
        words.join(" ").chars().take(MAX_QUOTE).collect::<String>()
    )
}

/// Parses `Retry-After` (delta-seconds or an HTTP-date), capped at [`MAX_RETRY_AFTER`].
fn retry_after(value: &str, now: Timestamp) -> Option<Duration> {
    let value = value.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => {
            let at = rfc2822::DateTimeParser::new().parse_timestamp(value).ok()?;
            // A date in the past means "now".
            Duration::try_from(at.duration_since(now)).unwrap_or(Duration::ZERO)
        }
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// What actually happened, for a person: the innermost error ("connection refused"), since the
/// outer ones only say where ("error sending request", "client error (Connect)").
pub(crate) fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut error = error;
    while let Some(source) = error.source() {
        error = source;
    }
    // "connection refused" rather than "Connection refused (os error 111)".
    match error.downcast_ref::<std::io::Error>() {
        Some(io) if io.raw_os_error().is_some() => io.kind().to_string(),
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::future::pending;

    use axum::{
        Router,
        body::Bytes,
        http::{HeaderMap, StatusCode},
        routing::post,
    };
    use tokio::net::TcpListener;

    use super::*;

    /// Serves `app` on 127.0.0.1 and returns its port.
    async fn serve(app: Router) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        port
    }

    /// A server that answers every request with `status` and `headers`.
    async fn answering(status: u16, headers: &'static [(&'static str, &'static str)]) -> u16 {
        let handler = move || async move {
            let mut map = HeaderMap::new();
            for (name, value) in headers {
                map.insert(*name, value.parse().unwrap());
            }
            (StatusCode::from_u16(status).unwrap(), map, "busy elsewhere")
        };
        serve(Router::new().fallback(handler)).await
    }

    fn options(allow_private_targets: bool) -> HttpOptions {
        HttpOptions {
            timeout: Duration::from_secs(5),
            allow_private_targets,
        }
    }

    async fn send(port: u16, host: &str, allow_private: bool) -> Attempt {
        let client = client(&options(allow_private));
        let url = format!("http://{host}:{port}/hook");
        post_json(&client, &url, &[], b"{}").await
    }

    #[tokio::test]
    async fn a_2xx_is_delivered_with_the_headers_and_body() {
        // The server accepts only what post_json is meant to send.
        let handler = |headers: HeaderMap, body: Bytes| async move {
            let ok = headers["content-type"] == "application/json"
                && headers["webhook-id"] == "msg_1"
                && body == r#"{"a":1}"#;
            if ok {
                StatusCode::NO_CONTENT
            } else {
                StatusCode::BAD_REQUEST
            }
        };
        let port = serve(Router::new().route("/hook", post(handler))).await;
        let client = client(&options(true));
        let url = format!("http://127.0.0.1:{port}/hook");
        let headers = [("webhook-id", "msg_1".to_owned())];
        let attempt = post_json(&client, &url, &headers, br#"{"a":1}"#).await;
        assert_eq!(attempt, Attempt::Delivered);
    }

    #[tokio::test]
    async fn a_500_fails_quoting_the_status_and_body() {
        let port = answering(500, &[]).await;
        let error = "answered 500 Internal Server Error: busy elsewhere".to_owned();
        assert_eq!(
            send(port, "127.0.0.1", true).await,
            Attempt::Failed { error }
        );
    }

    #[tokio::test]
    async fn a_410_is_gone() {
        let port = answering(410, &[]).await;
        assert_eq!(
            send(port, "127.0.0.1", true).await,
            Attempt::Gone { status: 410 }
        );
    }

    #[tokio::test]
    async fn a_429_slows_down_for_retry_after() {
        let port = answering(429, &[("retry-after", "7")]).await;
        let expected = Attempt::SlowDown {
            status: 429,
            retry_after: Some(Duration::from_secs(7)),
        };
        assert_eq!(send(port, "127.0.0.1", true).await, expected);
    }

    #[tokio::test]
    async fn a_503_without_retry_after_slows_down() {
        let port = answering(503, &[]).await;
        let expected = Attempt::SlowDown {
            status: 503,
            retry_after: None,
        };
        assert_eq!(send(port, "127.0.0.1", true).await, expected);
    }

    #[tokio::test]
    async fn a_redirect_is_not_followed() {
        let port = answering(302, &[("location", "https://example.com/new")]).await;
        let error = "answered 302 Found with a redirect to https://example.com/new; \
                     redirects are not followed, so use that URL"
            .to_owned();
        assert_eq!(
            send(port, "127.0.0.1", true).await,
            Attempt::Failed { error }
        );
    }

    #[tokio::test]
    async fn a_silent_server_times_out() {
        let port = serve(Router::new().fallback(pending::<()>)).await;
        let client = client(&HttpOptions {
            timeout: Duration::from_secs(1),
            allow_private_targets: true,
        });
        let url = format!("http://127.0.0.1:{port}/");
        let error = "did not answer within 1 s".to_owned();
        assert_eq!(
            post_json(&client, &url, &[], b"{}").await,
            Attempt::Failed { error }
        );
    }

    #[tokio::test]
    async fn a_closed_port_fails_to_connect() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let Attempt::Failed { error } = send(port, "127.0.0.1", true).await else {
            panic!("expected a failure");
        };
        let expected = format!("could not connect to 127.0.0.1:{port}: connection refused");
        assert_eq!(error, expected);
    }

    #[tokio::test]
    async fn private_targets_are_refused_unless_allowed() {
        let port = answering(200, &[]).await;
        let error = "127.0.0.1 is a private address; \
                     Herald refuses it unless [delivery] allow_private_targets = true";
        assert_eq!(
            send(port, "127.0.0.1", false).await,
            Attempt::Refused {
                error: error.to_owned()
            }
        );
        let Attempt::Refused { error } = send(port, "localhost", false).await else {
            panic!("localhost must be refused");
        };
        assert!(
            error.starts_with("localhost resolves only to private addresses (")
                && error.contains("127.0.0.1"),
            "{error}"
        );
        assert_eq!(send(port, "localhost", true).await, Attempt::Delivered);
        assert_eq!(send(port, "127.0.0.1", true).await, Attempt::Delivered);
    }

    #[tokio::test]
    async fn unusable_urls_are_refused() {
        let client = client(&options(true));
        for (url, error) in [
            ("not a url", "not a valid URL: relative URL without a base"),
            (
                "ftp://example.com/",
                "ftp: URLs are not supported; use http:// or https://",
            ),
        ] {
            let error = error.to_owned();
            let attempt = post_json(&client, url, &[], b"{}").await;
            assert_eq!(attempt, Attempt::Refused { error });
        }
    }

    #[test]
    fn ip_literals_in_urls_are_checked() {
        let check = |url: &str, allow| check_target(&Url::parse(url).unwrap(), allow).is_ok();
        assert!(!check("http://[::1]:8080/", false));
        assert!(!check("http://[::ffff:10.0.0.5]/", false));
        assert!(!check("https://2130706433/", false)); // 127.0.0.1 spelled as a number
        assert!(check("https://[::1]/", true));
        assert!(check("https://8.8.8.8/", false));
        assert!(check("https://hooks.example.com/", false));
    }

    #[test]
    fn addresses_are_classified() {
        let cases = [
            ("8.8.8.8", true),
            ("1.1.1.1", true),
            ("100.63.255.255", true),
            ("100.128.0.0", true),
            ("172.32.0.1", true),
            ("0.0.0.0", false),
            ("10.0.0.5", false),
            ("100.64.0.1", false),
            ("100.127.255.255", false),
            ("127.0.0.1", false),
            ("127.255.255.254", false),
            ("169.254.169.254", false),
            ("172.16.0.1", false),
            ("172.31.255.255", false),
            ("192.0.0.8", false),
            ("192.0.2.1", false),
            ("192.168.1.1", false),
            ("198.18.0.1", false),
            ("198.51.100.7", false),
            ("203.0.113.9", false),
            ("224.0.0.251", false),
            ("240.0.0.1", false),
            ("255.255.255.255", false),
            ("2606:4700:4700::1111", true),
            ("2a00:1450:4001:82b::200e", true),
            ("::ffff:8.8.8.8", true),
            ("64:ff9b::808:808", true),
            ("::", false),
            ("::1", false),
            ("::ffff:127.0.0.1", false),
            ("::ffff:10.0.0.5", false),
            ("::ffff:169.254.169.254", false),
            ("64:ff9b::a00:5", false),
            ("::10.0.0.5", false),
            ("fc00::1", false),
            ("fd12:3456::1", false),
            ("fe80::1", false),
            ("fec0::1", false),
            ("ff02::1", false),
            ("100::1", false),
            ("2001:db8::1", false),
            ("2001::1", false),
            ("2002:a00:5::1", false),
            ("3fff::1", false),
        ];
        for (ip, public) in cases {
            assert_eq!(is_public(ip.parse().unwrap()), public, "{ip}");
        }
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        let now: Timestamp = "2024-01-10T10:34:45Z".parse().unwrap();
        let secs = |s| Some(Duration::from_secs(s));
        assert_eq!(retry_after("7", now), secs(7));
        assert_eq!(retry_after(" 0 ", now), secs(0));
        assert_eq!(retry_after("Wed, 10 Jan 2024 10:35:45 GMT", now), secs(60));
        assert_eq!(retry_after("Wed, 10 Jan 2024 10:00:00 GMT", now), secs(0));
        assert_eq!(retry_after("99999999", now), Some(MAX_RETRY_AFTER));
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-5", now), None);
    }
}
