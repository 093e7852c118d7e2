//! Who is on the other end of a request: the connection's address, or, when that is one of the
//! operator's trusted proxies, the address the proxy says it forwarded for. Behind a reverse
//! proxy every connection comes from the proxy, so limits keyed on the connection alone would
//! treat every visitor as one; headers from anyone else are ignored, or a client could name
//! any address it liked.
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;

use crate::AppState;

/// `[server] trusted_proxies`: addresses and networks whose `Forwarded` and `X-Forwarded-For`
/// headers are believed.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Each entry an address (`127.0.0.1`, `::1`) or a network (`10.0.0.0/8`).
    pub fn parse(entries: &[String]) -> Result<TrustedProxies, String> {
        entries
            .iter()
            .map(|entry| {
                let entry = entry.trim();
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!(
                            "[server] trusted_proxies: {entry:?} is neither an address (10.0.0.1) nor a network (10.0.0.0/8)"
                        )
                    })
            })
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client of a request that reached Herald from `peer`: walking the forwarding chain
    /// back from the nearest hop, the first address that is not a trusted proxy.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.trusts(client) {
            return client;
        }
        for hop in forwarded_chain(headers).into_iter().rev() {
            client = hop;
            if !self.trusts(hop) {
                break;
            }
        }
        client
    }
}

/// The addresses a request was forwarded for, the original client first: from `Forwarded`
/// (RFC 7239) when present, else from `X-Forwarded-For`. Entries that are not addresses
/// (`unknown`, obfuscated names) are left out.
fn forwarded_chain(headers: &HeaderMap) -> Vec<IpAddr> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|v| v.trim().to_string())
            .collect()
    };
    let forwarded = values("forwarded");
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (key, value) = pair.trim().split_once('=')?;
                    key.eq_ignore_ascii_case("for").then(|| node(value))?
                })
            })
            .collect();
    }
    values("x-forwarded-for")
        .iter()
        .filter_map(|v| node(v))
        .collect()
}

/// An address as a forwarding header writes it: `192.0.2.1`, `"192.0.2.1:4711"`,
/// `"[2001:db8::1]:4711"` or `2001:db8::1`.
fn node(value: &str) -> Option<IpAddr> {
    let value = value.trim().trim_matches('"');
    if let Ok(ip) = value.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Ok(addr) = value.parse::<SocketAddr>() {
        return Some(addr.ip().to_canonical());
    }
    let bracketed = value.strip_prefix('[')?.split(']').next()?;
    bracketed.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

/// The client of this request, as [`TrustedProxies::client`] finds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // Served without connection info (a router called directly), the peer is unknown.
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
        Ok(ClientAddr(
            state.trusted_proxies.client(peer, &parts.headers),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        headers
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn headers_are_believed_only_from_trusted_proxies() {
        let proxies = TrustedProxies::parse(&["127.0.0.1".into(), "10.0.0.0/8".into()]).unwrap();
        let forwarded = headers(&[("x-forwarded-for", "203.0.113.7, 10.1.2.3")]);
        // Through two trusted hops, the client is the first untrusted address.
        assert_eq!(
            proxies.client(ip("127.0.0.1"), &forwarded),
            ip("203.0.113.7")
        );
        // From anyone else the header is the client's own claim, and ignored.
        assert_eq!(
            proxies.client(ip("198.51.100.9"), &forwarded),
            ip("198.51.100.9")
        );
        // A client cannot hide behind a forged first entry: the walk stops at the first
        // untrusted hop from the proxy's side.
        let forged = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.7")]);
        assert_eq!(proxies.client(ip("127.0.0.1"), &forged), ip("203.0.113.7"));
        // With no proxies configured, the connection is the client.
        let none = TrustedProxies::default();
        assert_eq!(none.client(ip("127.0.0.1"), &forwarded), ip("127.0.0.1"));
    }

    #[test]
    fn forwarded_is_read_with_ports_brackets_and_quotes() {
        let proxies = TrustedProxies::parse(&["::1".into()]).unwrap();
        let h = headers(&[(
            "forwarded",
            "for=unknown, for=\"[2001:db8::17]:4711\";proto=https, For=\"198.51.100.4:80\"",
        )]);
        assert_eq!(proxies.client(ip("::1"), &h), ip("198.51.100.4"));
        // IPv4 mapped into IPv6 is the IPv4 address.
        let mapped = TrustedProxies::parse(&["127.0.0.1".into()]).unwrap();
        let h = headers(&[("x-forwarded-for", "192.0.2.5")]);
        assert_eq!(mapped.client(ip("::ffff:127.0.0.1"), &h), ip("192.0.2.5"));
    }

    #[test]
    fn entries_that_are_not_addresses_are_refused_with_the_reason() {
        let err = TrustedProxies::parse(&["10.0.0.0/33".into()]).unwrap_err();
        assert!(
            err.contains("10.0.0.0/33") && err.contains("network"),
            "{err}"
        );
        assert!(TrustedProxies::parse(&["proxy.example.com".into()]).is_err());
    }
}
