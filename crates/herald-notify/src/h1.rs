//! HTTP/1.1 exchanges on pooled keep-alive connections, done in the delivering task itself.
//!
//! A fan-out sends one small POST to each of thousands of URLs, usually on a few hosts. A
//! general-purpose client hands every request to a connection task and back, and builds and
//! checks a full request object each time; on a busy fan-out that hand-off is most of the cost.
//! Here a delivery takes an idle connection, writes its request in one call, reads the answer's
//! head and as much of the body as it needs, and puts the connection back.
use std::collections::HashMap;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::{TlsConnector, client::TlsStream, rustls};
use url::{Position, Url};

/// Idle connections kept per origin; more are opened while all are busy.
const MAX_IDLE: usize = 1024;
/// Idle connections kept in all: plenty for a fan-out to a few hosts, and a bound on open
/// sockets when subscribers are spread over thousands of hosts.
const MAX_IDLE_TOTAL: usize = 2048;
/// An idle connection older than this is closed rather than reused: receivers close theirs
/// after a minute or so, and writing into a closed one costs a round trip.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// The largest answer head read; anything bigger is not a webhook receiver's answer.
const MAX_HEAD: usize = 64 * 1024;
/// The largest body read to keep a connection; a longer answer closes it instead.
const MAX_DRAIN: usize = 64 * 1024;
/// Header lines an answer may have.
const MAX_HEADERS: usize = 64;

/// Where a connection goes: scheme, host and port.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Origin {
    tls: bool,
    host: String,
    port: u16,
}

/// An answer: its status, its headers (names in lower case), and the start of its body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        let found = self.headers.iter().find(|(n, _)| n == name);
        found.map(|(_, v)| v.as_str())
    }
}

/// Why an exchange did not produce an answer.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// Before anything was sent: the name, the addresses, the connection or the TLS handshake.
    #[error("could not connect to {to}: {reason}")]
    Connect { to: String, reason: String },
    #[error("{0}")]
    Refused(#[from] crate::http::DeliveryError),
    #[error("request failed: {0}")]
    Broken(String),
}

/// Decides which resolved addresses may be connected to.
pub type AddressFilter = fn(&str, Vec<SocketAddr>) -> Result<Vec<SocketAddr>, ExchangeError>;

/// The connection pool, shared by every delivery.
pub struct Pool {
    idle: Mutex<Idle>,
    tls: TlsConnector,
    filter: AddressFilter,
    user_agent: &'static str,
}

impl Pool {
    pub fn new(roots: rustls::RootCertStore, filter: AddressFilter) -> Pool {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Pool {
            idle: Mutex::new(Idle::default()),
            tls: TlsConnector::from(Arc::new(config)),
            filter,
            user_agent: concat!("Herald/", env!("CARGO_PKG_VERSION")),
        }
    }

    /// POSTs `body` as JSON to `url` (http or https) with the extra `headers`. A kept-alive
    /// connection the receiver closed meanwhile is replaced once, transparently.
    pub async fn post(
        &self,
        url: &Url,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Result<Answer, ExchangeError> {
        let origin = Origin {
            tls: url.scheme() == "https",
            host: url.host_str().unwrap_or_default().to_owned(),
            port: url.port_or_known_default().unwrap_or(80),
        };
        // Written into the connection's own buffer, which every request on it reuses.
        let write = |conn: &mut Conn| self.request(&mut conn.out, url, headers, body);
        if let Some(mut conn) = self.take(&origin) {
            write(&mut conn);
            match conn.exchange().await {
                Ok((answer, reusable)) => return Ok(self.keep(origin, conn, answer, reusable)),
                // Closed while idle: the receiver saw nothing of this request.
                Err(Failure::Stale) => {}
                Err(Failure::Broken(reason)) => return Err(ExchangeError::Broken(reason)),
            }
        }
        // Boxed: connecting (resolving, the TLS handshake) is rare, and unboxed its state would
        // be part of every delivery's future.
        let mut conn = Box::pin(self.connect(&origin)).await?;
        write(&mut conn);
        match conn.exchange().await {
            Ok((answer, reusable)) => Ok(self.keep(origin, conn, answer, reusable)),
            Err(Failure::Stale) => Err(ExchangeError::Broken(
                "the connection was closed before an answer".into(),
            )),
            Err(Failure::Broken(reason)) => Err(ExchangeError::Broken(reason)),
        }
    }

    fn request(&self, out: &mut Vec<u8>, url: &Url, headers: &[(&str, String)], body: &[u8]) {
        let host = &url[Position::BeforeHost..Position::AfterPort];
        let target = &url[Position::BeforePath..Position::AfterQuery];
        out.clear();
        out.reserve(512 + body.len());
        // Writing to a Vec cannot fail.
        let _ = write!(
            out,
            "POST {target} HTTP/1.1\r\nhost: {host}\r\nuser-agent: {}\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n",
            self.user_agent,
            body.len()
        );
        for (name, value) in headers {
            let _ = write!(out, "{name}: {value}\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(body);
    }

    fn take(&self, origin: &Origin) -> Option<Conn> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        idle.take(origin)
    }

    fn keep(&self, origin: Origin, conn: Conn, answer: Answer, reusable: bool) -> Answer {
        if reusable {
            let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
            idle.keep(origin, conn);
        }
        answer
    }

    async fn connect(&self, origin: &Origin) -> Result<Conn, ExchangeError> {
        let to = match origin.host.contains(':') {
            true => format!("[{}]:{}", origin.host, origin.port),
            false => format!("{}:{}", origin.host, origin.port),
        };
        let failed = |reason: String| ExchangeError::Connect {
            to: to.clone(),
            reason,
        };
        let host = origin.host.trim_start_matches('[').trim_end_matches(']');
        let resolved = tokio::net::lookup_host((host, origin.port)).await;
        let addrs = resolved.map_err(|e| failed(io_reason(&e)))?.collect();
        let addrs = (self.filter)(host, addrs)?;
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address found");
        let mut tcp = None;
        for addr in addrs {
            match TcpStream::connect(addr).await {
                Ok(stream) => {
                    tcp = Some(stream);
                    break;
                }
                Err(err) => last = err,
            }
        }
        let tcp = tcp.ok_or_else(|| failed(io_reason(&last)))?;
        tcp.set_nodelay(true).map_err(|e| failed(io_reason(&e)))?;
        let io: Box<dyn Io> = if origin.tls {
            let name = rustls::pki_types::ServerName::try_from(host.to_owned())
                .map_err(|e| failed(e.to_string()))?;
            let tls = self.tls.connect(name, tcp).await;
            Box::new(tls.map_err(|e| failed(crate::http::root_cause(&e)))?)
        } else {
            Box::new(tcp)
        };
        Ok(Conn {
            io,
            out: Vec::new(),
            buf: Vec::with_capacity(1024),
        })
    }
}

/// Connections waiting for their next request, per origin, with when each became idle.
#[derive(Default)]
struct Idle {
    by_origin: HashMap<Origin, Vec<(Instant, Conn)>>,
    count: usize,
}

impl Idle {
    /// The most recently used connection to `origin` that has not idled too long.
    fn take(&mut self, origin: &Origin) -> Option<Conn> {
        let conns = self.by_origin.get_mut(origin)?;
        let mut found = None;
        while let Some((since, conn)) = conns.pop() {
            self.count -= 1;
            if since.elapsed() < IDLE_TIMEOUT {
                found = Some(conn);
                break;
            }
        }
        if conns.is_empty() {
            self.by_origin.remove(origin);
        }
        found
    }

    fn keep(&mut self, origin: Origin, conn: Conn) {
        if self.count >= MAX_IDLE_TOTAL {
            self.close_expired();
            if self.count >= MAX_IDLE_TOTAL {
                return;
            }
        }
        let conns = self.by_origin.entry(origin).or_default();
        if conns.len() < MAX_IDLE {
            conns.push((Instant::now(), conn));
            self.count += 1;
        }
    }

    fn close_expired(&mut self) {
        self.by_origin.retain(|_, conns| {
            conns.retain(|(since, _)| since.elapsed() < IDLE_TIMEOUT);
            !conns.is_empty()
        });
        self.count = self.by_origin.values().map(Vec::len).sum();
    }
}

/// What the connection is read from and written to: TCP, or TLS over it.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl Io for TcpStream {}

impl Io for TlsStream<TcpStream> {}

/// One connection, the request being written on it, and what has been read from it but not
/// used yet.
struct Conn {
    io: Box<dyn Io>,
    out: Vec<u8>,
    buf: Vec<u8>,
}

enum Failure {
    /// The connection ended before a single byte of the answer.
    Stale,
    Broken(String),
}

impl From<io::Error> for Failure {
    fn from(err: io::Error) -> Failure {
        Failure::Broken(io_reason(&err))
    }
}

/// How the answer's body is delimited (RFC 9112, section 6.3).
enum Framing {
    Empty,
    Length(usize),
    Chunked,
    UntilClose,
}

impl Conn {
    /// Sends the request in `out` and reads the answer; also says whether the connection can
    /// be reused.
    async fn exchange(&mut self) -> Result<(Answer, bool), Failure> {
        if let Err(err) = self.io.write_all(&self.out).await {
            return Err(stale_or(err));
        }
        self.io.flush().await.map_err(stale_or)?;
        let Head {
            status,
            framing,
            keep_alive,
            headers,
        } = self.head().await?;
        let (body, complete) = match framing {
            Framing::Empty => (Vec::new(), true),
            Framing::Length(n) => self.fixed(n).await?,
            Framing::Chunked => self.chunked().await?,
            Framing::UntilClose => (self.until_close().await?, false),
        };
        let answer = Answer {
            status,
            headers,
            body,
        };
        Ok((answer, keep_alive && complete && self.buf.is_empty()))
    }

    /// Reads more into the buffer; an end of stream is an error here.
    async fn fill(&mut self) -> Result<(), Failure> {
        // Read straight into the buffer: a stack array here would make every delivery in
        // flight that much bigger.
        self.buf.reserve(4096);
        let n = self.io.read_buf(&mut self.buf).await?;
        if n == 0 {
            return Err(Failure::Broken(
                "the connection was closed in the middle of the answer".into(),
            ));
        }
        Ok(())
    }

    /// The status line and headers, skipping interim (1xx) answers.
    async fn head(&mut self) -> Result<Head, Failure> {
        let mut started = false;
        loop {
            if let Some((head, len)) = parse_head(&self.buf)? {
                self.buf.drain(..len);
                if (100..200).contains(&head.status) {
                    started = true;
                    continue;
                }
                return Ok(head);
            }
            let empty = self.buf.is_empty() && !started;
            match self.fill().await {
                Err(_) if empty => return Err(Failure::Stale),
                other => other?,
            }
            started = true;
        }
    }

    /// A body of `len` bytes: its first [`crate::http::MAX_BODY`] kept, the rest read past.
    async fn fixed(&mut self, len: usize) -> Result<(Vec<u8>, bool), Failure> {
        if len > MAX_DRAIN {
            let body = self.keep_first(len.min(crate::http::MAX_BODY)).await?;
            return Ok((body, false));
        }
        while self.buf.len() < len {
            self.fill().await?;
        }
        let body = self.buf[..len.min(crate::http::MAX_BODY)].to_vec();
        self.buf.drain(..len);
        Ok((body, true))
    }

    /// Reads until `n` bytes are buffered (or the stream ends) and returns them.
    async fn keep_first(&mut self, n: usize) -> Result<Vec<u8>, Failure> {
        while self.buf.len() < n {
            if self.fill().await.is_err() {
                break;
            }
        }
        Ok(self.buf[..n.min(self.buf.len())].to_vec())
    }

    /// A chunked body; the connection is kept only if it ends within [`MAX_DRAIN`].
    async fn chunked(&mut self) -> Result<(Vec<u8>, bool), Failure> {
        let mut body = Vec::new();
        let mut read = 0usize;
        loop {
            let size = match httparse::parse_chunk_size(&self.buf) {
                Ok(httparse::Status::Complete((used, size))) => {
                    self.buf.drain(..used);
                    size as usize
                }
                Ok(httparse::Status::Partial) => {
                    self.fill().await?;
                    continue;
                }
                Err(_) => return Err(Failure::Broken("the answer's chunks are malformed".into())),
            };
            if size == 0 {
                self.trailers().await?;
                return Ok((body, true));
            }
            read += size;
            if read > MAX_DRAIN {
                return Ok((body, false));
            }
            while self.buf.len() < size + 2 {
                self.fill().await?;
            }
            let room = crate::http::MAX_BODY.saturating_sub(body.len());
            body.extend_from_slice(&self.buf[..size.min(room)]);
            self.buf.drain(..size + 2);
        }
    }

    /// Reads past the trailer section that ends a chunked body.
    async fn trailers(&mut self) -> Result<(), Failure> {
        loop {
            if let Some(end) = self.buf.windows(2).position(|w| w == b"\r\n") {
                self.buf.drain(..end + 2);
                if end == 0 {
                    return Ok(());
                }
                continue;
            }
            self.fill().await?;
        }
    }

    /// A body that ends with the connection: read up to [`MAX_DRAIN`], then the connection goes.
    async fn until_close(&mut self) -> Result<Vec<u8>, Failure> {
        let body = self.keep_first(MAX_DRAIN).await?;
        Ok(body[..body.len().min(crate::http::MAX_BODY)].to_vec())
    }
}

/// An answer's status line and headers, as far as delivery needs them.
struct Head {
    status: u16,
    framing: Framing,
    keep_alive: bool,
    headers: Vec<(String, String)>,
}

/// The answer's head at the start of `buf` and its length, or None while it is incomplete.
/// Parsed outside the async reader so that the header slots are not part of every delivery's
/// future, which is copied whenever a delivery is started.
fn parse_head(buf: &[u8]) -> Result<Option<(Head, usize)>, Failure> {
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Response::new(&mut slots);
    match parsed.parse(buf) {
        Ok(httparse::Status::Complete(len)) => {
            let status = parsed.code.unwrap_or_default();
            let head = Head {
                status,
                framing: framing(status, parsed.headers),
                keep_alive: parsed.version == Some(1) && !closes(parsed.headers),
                headers: kept(parsed.headers),
            };
            Ok(Some((head, len)))
        }
        Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => Ok(None),
        Ok(httparse::Status::Partial) => {
            Err(Failure::Broken("the answer's headers are too large".into()))
        }
        Err(err) => Err(Failure::Broken(format!("the answer is not HTTP: {err}"))),
    }
}

/// The headers an attempt is judged by; the others are not copied out of the buffer.
const KEPT: [&str; 3] = ["retry-after", "location", "content-type"];

fn kept(headers: &[httparse::Header]) -> Vec<(String, String)> {
    let kept = headers.iter().filter_map(|h| {
        let name = KEPT.into_iter().find(|k| h.name.eq_ignore_ascii_case(k))?;
        let value = String::from_utf8_lossy(h.value).trim().to_owned();
        Some((name.to_owned(), value))
    });
    kept.collect()
}

/// The trimmed text of each header called `name`.
fn values<'h>(headers: &'h [httparse::Header], name: &'h str) -> impl Iterator<Item = &'h str> {
    headers
        .iter()
        .filter(move |h| h.name.eq_ignore_ascii_case(name))
        .filter_map(|h| std::str::from_utf8(h.value).ok().map(str::trim))
}

fn framing(status: u16, headers: &[httparse::Header]) -> Framing {
    if status == 204 || status == 304 {
        return Framing::Empty;
    }
    if let Some(coding) = values(headers, "transfer-encoding").last() {
        let last = coding.rsplit(',').next().unwrap_or_default().trim();
        return match last.eq_ignore_ascii_case("chunked") {
            true => Framing::Chunked,
            false => Framing::UntilClose,
        };
    }
    match values(headers, "content-length").next().map(str::parse) {
        Some(Ok(len)) => Framing::Length(len),
        _ => Framing::UntilClose,
    }
}

fn closes(headers: &[httparse::Header]) -> bool {
    values(headers, "connection")
        .flat_map(|v| v.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case("close"))
}

/// A write that fails on a reused connection means the receiver had closed it.
fn stale_or(err: io::Error) -> Failure {
    match err.kind() {
        io::ErrorKind::BrokenPipe
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted => Failure::Stale,
        _ => err.into(),
    }
}

/// "connection refused" rather than "Connection refused (os error 111)".
fn io_reason(err: &io::Error) -> String {
    match err.raw_os_error() {
        Some(_) => err.kind().to_string(),
        None => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::net::TcpListener;
    use tokio_rustls::TlsAcceptor;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

    use super::*;

    fn pool(roots: rustls::RootCertStore) -> Pool {
        Pool::new(roots, |_, addrs| Ok(addrs))
    }

    fn url(port: u16) -> Url {
        Url::parse(&format!("http://127.0.0.1:{port}/hook?k=1")).unwrap()
    }

    /// Reads one request (head and Content-Length body) and returns its head.
    async fn read_request(io: &mut (impl AsyncRead + Unpin), buf: &mut Vec<u8>) -> Option<String> {
        loop {
            let mut slots = [httparse::EMPTY_HEADER; 16];
            let mut request = httparse::Request::new(&mut slots);
            if let Ok(httparse::Status::Complete(len)) = request.parse(buf) {
                let length = request.headers.iter().find(|h| h.name == "content-length");
                let body: usize = std::str::from_utf8(length?.value).ok()?.parse().ok()?;
                if buf.len() >= len + body {
                    let head = String::from_utf8_lossy(&buf[..len]).into_owned();
                    buf.drain(..len + body);
                    return Some(head);
                }
            }
            let mut chunk = [0u8; 4096];
            let n = io.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// A server that answers the requests on each connection with `answers` in turn, then
    /// closes that connection. Counts the connections it accepted.
    async fn scripted(answers: &'static [&'static str]) -> (u16, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    for answer in answers {
                        if read_request(&mut stream, &mut buf).await.is_none() {
                            return;
                        }
                        stream.write_all(answer.as_bytes()).await.unwrap();
                    }
                });
            }
        });
        (port, accepted)
    }

    impl Io for tokio::io::DuplexStream {}

    fn idle_conn() -> Conn {
        Conn {
            io: Box::new(tokio::io::duplex(64).0),
            out: Vec::new(),
            buf: Vec::new(),
        }
    }

    #[test]
    fn idle_connections_are_bounded_per_origin_and_in_all() {
        let origin = |n: usize| Origin {
            tls: false,
            host: format!("host{n}.example.com"),
            port: 80,
        };
        let mut idle = Idle::default();
        for _ in 0..MAX_IDLE + 10 {
            idle.keep(origin(0), idle_conn());
        }
        assert_eq!(idle.count, MAX_IDLE);
        for n in 1..=MAX_IDLE_TOTAL {
            idle.keep(origin(n), idle_conn());
        }
        assert_eq!(idle.count, MAX_IDLE_TOTAL);
        assert!(
            idle.take(&origin(MAX_IDLE_TOTAL)).is_none(),
            "kept beyond the bound"
        );
        // Taking the last one of an origin forgets the origin.
        assert!(idle.take(&origin(1)).is_some());
        assert!(!idle.by_origin.contains_key(&origin(1)));
        assert_eq!(idle.count, MAX_IDLE_TOTAL - 1);
    }

    #[tokio::test]
    async fn a_chunked_answer_is_read_whole_and_the_connection_reused() {
        const CHUNKED: &str = "HTTP/1.1 500 Oops\r\ntransfer-encoding: chunked\r\n\r\n\
                               5\r\nhello\r\n6\r\n world\r\n0\r\nx-trailer: 1\r\n\r\n";
        let (port, accepted) = scripted(&[CHUNKED, "HTTP/1.1 204 No Content\r\n\r\n"]).await;
        let pool = pool(rustls::RootCertStore::empty());
        let first = pool.post(&url(port), &[], b"{}").await.unwrap();
        assert_eq!((first.status, &first.body[..]), (500, &b"hello world"[..]));
        let second = pool.post(&url(port), &[], b"{}").await.unwrap();
        assert_eq!(second.status, 204);
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn interim_answers_are_skipped() {
        const ANSWER: &str =
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
        let (port, _) = scripted(&[ANSWER]).await;
        let answer = pool(rustls::RootCertStore::empty())
            .post(&url(port), &[], b"{}")
            .await
            .unwrap();
        assert_eq!((answer.status, &answer.body[..]), (200, &b"ok"[..]));
    }

    #[tokio::test]
    async fn a_closed_connection_is_replaced_and_close_is_honoured() {
        // Each connection answers once and closes: the first without saying so (the pooled
        // connection is found closed on the next request), the next ones with `connection: close`.
        const KEEP: &str = "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        let (port, accepted) = scripted(&[KEEP]).await;
        let pool = pool(rustls::RootCertStore::empty());
        for _ in 0..3 {
            let answer = pool.post(&url(port), &[], b"{}").await.unwrap();
            assert_eq!(answer.status, 200);
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 3);

        const CLOSE: &str = "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";
        let (port, accepted) = scripted(&[CLOSE, CLOSE]).await;
        for _ in 0..2 {
            pool.post(&url(port), &[], b"{}").await.unwrap();
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_request_carries_its_target_host_headers_and_body() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buf = Vec::new();
            let head = read_request(&mut stream, &mut buf).await.unwrap();
            stream
                .write_all(b"HTTP/1.1 204 No Content\r\n\r\n")
                .await
                .unwrap();
            head
        });
        let headers = [("webhook-id", "msg_1".to_owned())];
        let answer = pool(rustls::RootCertStore::empty())
            .post(&url(port), &headers, br#"{"a":1}"#)
            .await
            .unwrap();
        assert_eq!(answer.status, 204);
        let head = server.await.unwrap();
        assert!(head.starts_with("POST /hook?k=1 HTTP/1.1\r\n"), "{head}");
        for line in [
            format!("host: 127.0.0.1:{port}\r\n"),
            "content-type: application/json\r\n".into(),
            "content-length: 7\r\n".into(),
            "webhook-id: msg_1\r\n".into(),
        ] {
            assert!(head.contains(&line), "{line} missing from {head}");
        }
    }

    #[tokio::test]
    async fn https_is_verified_against_the_trusted_roots() {
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let der = CertificateDer::from(cert.cert.der().to_vec());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.signing_key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![der.clone()], key)
            .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut buf = Vec::new();
                    while read_request(&mut tls, &mut buf).await.is_some() {
                        tls.write_all(b"HTTP/1.1 204 No Content\r\n\r\n")
                            .await
                            .unwrap();
                    }
                });
            }
        });
        let url = Url::parse(&format!("https://localhost:{port}/hook")).unwrap();

        let mut roots = rustls::RootCertStore::empty();
        roots.add(der).unwrap();
        let trusting = pool(roots);
        for _ in 0..2 {
            let answer = trusting.post(&url, &[], b"{}").await.unwrap();
            assert_eq!(answer.status, 204);
        }

        let public_roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let error = pool(public_roots).post(&url, &[], b"{}").await.unwrap_err();
        let error = error.to_string();
        assert!(
            error.starts_with(&format!("could not connect to localhost:{port}: "))
                && error.contains("certificate"),
            "{error}"
        );
    }
}
