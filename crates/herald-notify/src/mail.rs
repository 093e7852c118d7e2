//! The mail transport: SMTP when an SMTP URL is configured, otherwise `.eml` files in a spool
//! directory, so `herald serve` works with no mail server and every email can still be read.

use std::path::{Path, PathBuf};

use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    transport::smtp,
};

use crate::http::root_cause;

/// Sends email, through SMTP or into the spool directory.
#[derive(Debug)]
pub struct Mailer(Transport);

#[derive(Debug)]
enum Transport {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// The URL without its password, to name the server in errors.
        server: String,
    },
    Spool {
        transport: AsyncFileTransport<Tokio1Executor>,
        dir: PathBuf,
    },
}

/// Why an email was not sent. Only [`MailError::is_permanent`] ones should not be retried.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The configured SMTP URL cannot be used.
    #[error(
        "the SMTP URL {url} is not usable: {reason}; use smtp://host:25, \
         smtp://user:password@host:587?tls=required (STARTTLS) or smtps://user:password@host:465"
    )]
    Config { url: String, reason: String },
    /// A 5xx reply, typically a rejected recipient.
    #[error("the mail server refused the message: {0}")]
    Rejected(String),
    /// A 4xx reply: the server asks to try again later.
    #[error("the mail server deferred the message: {0}")]
    Deferred(String),
    /// No answer: connection refused, timeout, TLS failure, dropped connection.
    #[error("could not reach the mail server at {server}: {reason}")]
    Unreachable { server: String, reason: String },
    /// The spool directory cannot be written.
    #[error("could not write email into {}: {reason}", .dir.display())]
    Spool { dir: PathBuf, reason: String },
}

impl MailError {
    /// Whether retrying the same message cannot help.
    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::Config { .. } | Self::Rejected(_))
    }
}

/// Builds the mailer from the configuration: SMTP (pooled; `smtp://host:port`, `smtps://` for
/// implicit TLS, `?tls=required` for STARTTLS, `user:pass@` for credentials) or, without a URL,
/// the spool directory, created if missing.
pub fn mailer(smtp_url: Option<&str>, spool_dir: &Path) -> Result<Mailer, MailError> {
    match smtp_url {
        Some(url) => smtp_mailer(url),
        None => spool_mailer(spool_dir),
    }
}

fn smtp_mailer(url: &str) -> Result<Mailer, MailError> {
    let server = without_password(url);
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map_err(|error| MailError::Config {
            url: server.clone(),
            reason: root_cause(&error),
        })?
        .build();
    Ok(Mailer(Transport::Smtp { transport, server }))
}

/// The URL as it may appear in logs and reports.
fn without_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut url) => {
            // Fails only for URLs that cannot have credentials, which then have none to hide.
            let _ = url.set_password(None);
            url.to_string()
        }
        Err(_) => "(not a URL)".to_owned(),
    }
}

fn spool_mailer(dir: &Path) -> Result<Mailer, MailError> {
    std::fs::create_dir_all(dir).map_err(|error| MailError::Spool {
        dir: dir.to_owned(),
        reason: error.to_string(),
    })?;
    tracing::info!(
        "no SMTP server is configured ([smtp] url), so email is written as .eml files into {}",
        dir.display()
    );
    let transport = AsyncFileTransport::<Tokio1Executor>::new(dir);
    Ok(Mailer(Transport::Spool {
        transport,
        dir: dir.to_owned(),
    }))
}

impl Mailer {
    /// Sends one message.
    pub async fn send(&self, message: Message) -> Result<(), MailError> {
        match &self.0 {
            Transport::Smtp { transport, server } => match transport.send(message).await {
                Ok(_) => Ok(()),
                Err(error) => Err(smtp_error(&error, server)),
            },
            Transport::Spool { transport, dir } => match transport.send(message).await {
                Ok(_) => Ok(()),
                Err(error) => Err(MailError::Spool {
                    dir: dir.clone(),
                    reason: root_cause(&error),
                }),
            },
        }
    }
}

fn smtp_error(error: &smtp::Error, server: &str) -> MailError {
    let detail = root_cause(error);
    match error.status() {
        Some(code) if error.is_permanent() => MailError::Rejected(format!("{code} {detail}")),
        Some(code) => MailError::Deferred(format!("{code} {detail}")),
        None => MailError::Unreachable {
            server: server.to_owned(),
            reason: detail,
        },
    }
}

#[cfg(test)]
mod tests {
    use tokio::{
        io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
        net::TcpListener,
        sync::mpsc,
    };

    use super::*;

    fn message() -> Message {
        Message::builder()
            .from("Herald <status@example.com>".parse().unwrap())
            .to("Ada <ada@example.com>".parse().unwrap())
            .subject("Degraded performance")
            .body("We are investigating.".to_owned())
            .unwrap()
    }

    #[tokio::test]
    async fn without_smtp_email_is_spooled_as_eml_files() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("spool");
        let mailer = mailer(None, &dir).unwrap();
        mailer.send(message()).await.unwrap();

        let files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].extension().unwrap(), "eml");
        let eml = std::fs::read_to_string(&files[0]).unwrap();
        let (head, body) = eml
            .split_once("\r\n\r\n")
            .expect("headers, blank line, body");
        let headers: Vec<&str> = head.split("\r\n").collect();
        assert!(
            headers.contains(&"From: Herald <status@example.com>"),
            "{eml}"
        );
        assert!(headers.contains(&"To: Ada <ada@example.com>"), "{eml}");
        assert!(headers.contains(&"Subject: Degraded performance"), "{eml}");
        assert_eq!(body.trim_end(), "We are investigating.");
    }

    /// A one-connection SMTP server that accepts everything except that it answers RCPT TO
    /// with `rcpt_reply`; each message it takes is sent on the returned channel.
    async fn fake_smtp(rcpt_reply: &'static str) -> (u16, mpsc::UnboundedReceiver<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (sender, received) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            let (read, mut write) = socket.into_split();
            let mut lines = BufReader::new(read).lines();
            let mut data: Option<String> = None;
            let mut reply = Some("220 fake ESMTP");
            loop {
                if let Some(reply) = reply.take() {
                    write
                        .write_all(format!("{reply}\r\n").as_bytes())
                        .await
                        .unwrap();
                }
                let Ok(Some(line)) = lines.next_line().await else {
                    return;
                };
                // Inside DATA, collect lines until the lone dot.
                if let Some(text) = data.as_mut() {
                    if line != "." {
                        text.push_str(&line);
                        text.push('\n');
                        continue;
                    }
                    sender.send(data.take().unwrap()).unwrap();
                    reply = Some("250 queued");
                    continue;
                }
                let verb = line.split(' ').next().unwrap_or_default().to_uppercase();
                reply = Some(match verb.as_str() {
                    "RCPT" => rcpt_reply,
                    "DATA" => {
                        data = Some(String::new());
                        "354 end with <CRLF>.<CRLF>"
                    }
                    "QUIT" => "221 bye",
                    _ => "250 ok",
                });
            }
        });
        (port, received)
    }

    #[tokio::test]
    async fn smtp_delivers_the_message() {
        let (port, mut received) = fake_smtp("250 ok").await;
        let mailer = mailer(Some(&format!("smtp://127.0.0.1:{port}")), Path::new("")).unwrap();
        mailer.send(message()).await.unwrap();
        let data = received.recv().await.unwrap();
        assert!(data.contains("Subject: Degraded performance"), "{data}");
    }

    #[tokio::test]
    async fn a_5xx_is_a_permanent_refusal() {
        let (port, _) = fake_smtp("550 5.1.1 <ada@example.com>: no such user").await;
        let mailer = mailer(Some(&format!("smtp://127.0.0.1:{port}")), Path::new("")).unwrap();
        let error = mailer.send(message()).await.unwrap_err();
        assert!(error.is_permanent());
        assert_eq!(
            error.to_string(),
            "the mail server refused the message: 550 5.1.1 <ada@example.com>: no such user"
        );
    }

    #[tokio::test]
    async fn a_4xx_is_transient() {
        let (port, _) = fake_smtp("451 4.3.0 try again later").await;
        let mailer = mailer(Some(&format!("smtp://127.0.0.1:{port}")), Path::new("")).unwrap();
        let error = mailer.send(message()).await.unwrap_err();
        assert!(!error.is_permanent());
        assert_eq!(
            error.to_string(),
            "the mail server deferred the message: 451 4.3.0 try again later"
        );
    }

    #[tokio::test]
    async fn an_unreachable_server_is_transient() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let mailer = mailer(Some(&format!("smtp://127.0.0.1:{port}")), Path::new("")).unwrap();
        let error = mailer.send(message()).await.unwrap_err();
        assert!(!error.is_permanent());
        let expected = format!(
            "could not reach the mail server at smtp://127.0.0.1:{port}: connection refused"
        );
        assert_eq!(error.to_string(), expected);
    }

    #[test]
    fn a_bad_smtp_url_is_a_config_error_that_hides_the_password() {
        let error = mailer(
            Some("smtp://ada:s3cret@mail.example.com?tls=sometimes"),
            Path::new(""),
        )
        .unwrap_err();
        assert!(error.is_permanent());
        let text = error.to_string();
        assert!(
            text.starts_with(
                "the SMTP URL smtp://ada@mail.example.com?tls=sometimes is not usable: "
            ),
            "{text}"
        );
        assert!(!text.contains("s3cret"), "{text}");
    }
}
