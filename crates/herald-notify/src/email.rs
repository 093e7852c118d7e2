//! Emails: rendered from templates built in (`templates/email/`) or the operator's copies, and
//! built into MIME messages with a plain-text and an HTML part.
//!
//! HTML templates escape every value; the update's text goes in as the sanitised HTML of its
//! Markdown. Plain-text templates show the Markdown as written.
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use herald_public::render::markdown;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use minijinja::{Environment, Value, context};

use herald_store::NudgeToSend;

use crate::announcement::{Announcement, PageInfo, Recipient};

#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    #[error("email template {0}")]
    Template(#[from] minijinja::Error),
    #[error("the email template {path}: {source}")]
    TemplateFile {
        path: String,
        source: std::io::Error,
    },
    #[error("{address:?} is not an email address Herald can send to: {source}")]
    Address {
        address: String,
        source: lettre::address::AddressError,
    },
    #[error("the email could not be built: {0}")]
    Build(#[from] lettre::error::Error),
}

/// An email's subject and its two bodies.
#[derive(Clone, Debug, PartialEq)]
pub struct Content {
    pub subject: String,
    pub text: String,
    pub html: String,
}

const TEMPLATES: [(&str, &str); 11] = [
    (
        "email/layout.html",
        include_str!("../templates/email/layout.html"),
    ),
    (
        "email/update.txt",
        include_str!("../templates/email/update.txt"),
    ),
    (
        "email/update.html",
        include_str!("../templates/email/update.html"),
    ),
    (
        "email/confirm.txt",
        include_str!("../templates/email/confirm.txt"),
    ),
    (
        "email/confirm.html",
        include_str!("../templates/email/confirm.html"),
    ),
    (
        "email/notice.txt",
        include_str!("../templates/email/notice.txt"),
    ),
    (
        "email/notice.html",
        include_str!("../templates/email/notice.html"),
    ),
    (
        "email/sign_in.txt",
        include_str!("../templates/email/sign_in.txt"),
    ),
    (
        "email/sign_in.html",
        include_str!("../templates/email/sign_in.html"),
    ),
    (
        "email/nudge.txt",
        include_str!("../templates/email/nudge.txt"),
    ),
    (
        "email/nudge.html",
        include_str!("../templates/email/nudge.html"),
    ),
];

/// The email templates: built in, or the operator's copies where an override directory has
/// them (`email/update.html` in it replaces the built-in one).
pub struct Emails {
    env: Environment<'static>,
}

impl Emails {
    pub fn new(override_dir: Option<&Path>) -> Result<Emails, EmailError> {
        // minijinja's default escapes by file name: `.html` as HTML, `.txt` not at all.
        let mut env = Environment::new();
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        for (name, source) in TEMPLATES {
            match override_dir.map(|dir| dir.join(name)) {
                Some(path) if path.exists() => {
                    let text = std::fs::read_to_string(&path).map_err(|source| {
                        EmailError::TemplateFile {
                            path: path.display().to_string(),
                            source,
                        }
                    })?;
                    env.add_template_owned(name, text)?;
                }
                _ => env.add_template(name, source)?,
            }
        }
        Ok(Emails { env })
    }

    /// A broadcast to one email subscriber. Subject: `[Page] Identified: API errors`.
    pub fn update(&self, a: &Announcement, r: &Recipient) -> Result<Content, EmailError> {
        let details = a.details();
        let ctx = context! {
            page => page(&a.page),
            headline => a.headline(),
            title => a.title(),
            facts => a.facts(),
            body_text => details,
            body_html => Value::from_safe_string(markdown::to_html(&details)),
            item_url => a.item_url(),
            manage_url => r.manage_url,
            unsubscribe_url => r.unsubscribe_url,
        };
        let subject = format!("[{}] {}", a.page.name, a.headline());
        self.render("update", subject, ctx)
    }

    /// The double opt-in: nothing is sent to the address until its owner follows the link.
    pub fn confirmation(&self, page: &PageInfo, confirm_url: &str) -> Result<Content, EmailError> {
        let subject = format!("Confirm your subscription to {} status updates", page.name);
        let ctx = context! { page => self::page(page), confirm_url };
        self.render("confirm", subject, ctx)
    }

    /// Tells the page's administrators that Herald gave up on a subscriber, and why.
    pub fn notice(
        &self,
        page: &PageInfo,
        subscriber_address: &str,
        channel: &str,
        reason: &str,
    ) -> Result<Content, EmailError> {
        let subject = format!(
            "[{}] Herald stopped delivering to {subscriber_address}",
            page.name
        );
        let ctx = context! {
            page => self::page(page),
            subscriber => subscriber_address,
            channel,
            reason,
        };
        self.render("notice", subject, ctx)
    }

    /// A console user's one-time sign-in link, valid for `minutes`. The heading links to the
    /// console at `console_url`.
    pub fn sign_in(
        &self,
        console_url: &str,
        name: &str,
        sign_in_url: &str,
        minutes: i64,
    ) -> Result<Content, EmailError> {
        let console = context! { name => "Herald", url => console_url };
        let ctx = context! { page => console, name, sign_in_url, minutes };
        self.render("sign_in", "Sign in to Herald".to_string(), ctx)
    }

    /// Tells a person running an incident or window that its next public update is (nearly)
    /// due or overdue. Subject: `[Page] Update due now: API errors`.
    pub fn nudge(&self, n: &NudgeToSend) -> Result<Content, EmailError> {
        let t = &n.text;
        let first = t.body.split("\n\n").next().unwrap_or_default();
        let ctx = context! {
            page => context! { name => n.page_name, url => t.url },
            subject => n.subject.label(),
            headline => t.headline,
            body => t.body,
            first,
            url => t.url,
        };
        let subject = format!("[{}] {}", n.page_name, t.headline);
        self.render("nudge", subject, ctx)
    }

    fn render(&self, name: &str, subject: String, ctx: Value) -> Result<Content, EmailError> {
        let part = |ext: &str| {
            self.env
                .get_template(&format!("email/{name}.{ext}"))?
                .render(&ctx)
        };
        Ok(Content {
            subject,
            text: part("txt")?,
            html: part("html")?,
        })
    }
}

fn page(page: &PageInfo) -> Value {
    context! { name => page.name, url => page.url }
}

/// The message to send: `content` as multipart/alternative text and HTML. With `unsubscribe`,
/// it carries RFC 8058's one-click unsubscribe headers, which mail providers show as an
/// "Unsubscribe" button. `message_id` is the id without angle brackets (`local@domain`); a
/// delivery that keeps it on every retry lets mail clients drop the duplicates. Without one, a
/// random id at the sender's domain.
pub fn message(
    from: &str,
    to: &str,
    content: &Content,
    unsubscribe: Option<&Recipient>,
    message_id: Option<&str>,
) -> Result<lettre::Message, EmailError> {
    let from = mailbox(from)?;
    let id = match message_id {
        Some(id) => format!("<{id}>"),
        None => format!(
            "<{}@{}>",
            URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>()),
            from.email.domain()
        ),
    };
    let mut builder = lettre::Message::builder()
        .from(from)
        .to(mailbox(to)?)
        .subject(content.subject.as_str())
        .message_id(Some(id));
    if let Some(recipient) = unsubscribe {
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{}>", recipient.unsubscribe_url),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_string(),
            ));
    }
    let body = MultiPart::alternative_plain_html(content.text.clone(), content.html.clone());
    Ok(builder.multipart(body)?)
}

fn mailbox(address: &str) -> Result<Mailbox, EmailError> {
    address.parse().map_err(|source| EmailError::Address {
        address: address.to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    fn emails() -> Emails {
        Emails::new(None).expect("the built-in templates")
    }

    fn update(a: &Announcement) -> Content {
        emails().update(a, &fixtures::recipient()).unwrap()
    }

    /// How the HTML templates write `text` (minijinja escapes `/` too).
    fn escaped(text: &str) -> String {
        minijinja::HtmlEscape(text).to_string()
    }

    #[test]
    fn an_update_has_the_text_the_facts_and_the_links() {
        let content = update(&fixtures::incident());
        assert_eq!(content.subject, "[Example] Identified: API errors");
        let links = [
            "https://status.example.com/incidents/i1/",
            "https://status.example.com/subscription?token=m",
            "https://status.example.com/unsubscribe?token=u",
        ];
        for link in links {
            assert!(content.text.contains(link), "{}", content.text);
            assert!(content.html.contains(&escaped(link)), "{}", content.html);
        }
        assert!(content.text.contains(fixtures::DETAILS), "{}", content.text);
        assert!(
            content
                .text
                .contains("\nState: Identified\nComponents: API, Website\n"),
            "{}",
            content.text
        );
        assert!(
            content.html.contains("<strong>bad deploy</strong>"),
            "{}",
            content.html
        );
        assert!(content.html.contains(">API, Website<"), "{}", content.html);
    }

    #[test]
    fn markup_in_a_title_or_text_is_escaped_in_html() {
        let content = update(&fixtures::incident_saying(
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(2)> **ok**",
        ));
        assert!(!content.html.contains("<script"), "{}", content.html);
        assert!(!content.html.contains("<img"), "{}", content.html);
        assert!(
            content.html.contains("&lt;script&gt;alert(1)"),
            "{}",
            content.html
        );
        assert!(
            content.html.contains("<strong>ok</strong>"),
            "{}",
            content.html
        );
    }

    #[test]
    fn a_confirmation_has_the_link_and_promises_nothing_else() {
        let content = emails()
            .confirmation(
                &fixtures::incident().page,
                "https://status.example.com/c?t=1&x=2",
            )
            .unwrap();
        assert_eq!(
            content.subject,
            "Confirm your subscription to Example status updates"
        );
        assert!(
            content
                .text
                .contains("https://status.example.com/c?t=1&x=2")
        );
        assert!(
            content
                .html
                .contains(&escaped("https://status.example.com/c?t=1&x=2"))
        );
        assert!(
            content
                .text
                .contains("Nothing will be sent until you confirm")
        );
    }

    #[test]
    fn a_notice_names_the_subscriber_and_the_reason() {
        let content = emails()
            .notice(
                &fixtures::incident().page,
                "https://hooks.example.com/<x>",
                "webhook",
                "410 Gone",
            )
            .unwrap();
        assert_eq!(
            content.subject,
            "[Example] Herald stopped delivering to https://hooks.example.com/<x>"
        );
        assert!(
            content.text.contains("Reason: 410 Gone"),
            "{}",
            content.text
        );
        assert!(
            content
                .html
                .contains(&escaped("https://hooks.example.com/<x>"))
        );
    }

    #[test]
    fn an_override_replaces_a_built_in_template() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("email")).unwrap();
        std::fs::write(
            dir.path().join("email/update.txt"),
            "Custom: {{ headline }} <{{ item_url }}>",
        )
        .unwrap();
        let emails = Emails::new(Some(dir.path())).unwrap();
        let content = emails
            .update(&fixtures::incident(), &fixtures::recipient())
            .unwrap();
        assert_eq!(
            content.text,
            "Custom: Identified: API errors <https://status.example.com/incidents/i1/>"
        );
        assert!(content.html.contains("View on the status page"), "built in");
    }

    #[test]
    fn a_broken_override_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("email")).unwrap();
        std::fs::write(dir.path().join("email/update.html"), "{% if %}").unwrap();
        assert!(matches!(
            Emails::new(Some(dir.path())),
            Err(EmailError::Template(_))
        ));
    }

    #[test]
    fn a_message_has_both_parts_and_the_one_click_headers() {
        let content = update(&fixtures::incident());
        let recipient = fixtures::recipient();
        let message = message(
            "Example status <status@example.com>",
            "reader@example.org",
            &content,
            Some(&recipient),
            Some("msg_b1_s1@status.example.com"),
        )
        .unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(
            raw.contains("List-Unsubscribe: <https://status.example.com/unsubscribe?token=u>\r\n"),
            "{raw}"
        );
        assert!(
            raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"),
            "{raw}"
        );
        assert!(
            raw.contains("Message-ID: <msg_b1_s1@status.example.com>\r\n"),
            "{raw}"
        );
        assert!(
            raw.contains("Subject: [Example] Identified: API errors\r\n"),
            "{raw}"
        );
        assert!(raw.contains("Content-Type: multipart/alternative"), "{raw}");
        assert!(
            raw.contains("Content-Type: text/plain; charset=utf-8"),
            "{raw}"
        );
        assert!(
            raw.contains("Content-Type: text/html; charset=utf-8"),
            "{raw}"
        );
    }

    #[test]
    fn a_message_without_a_subscription_has_no_unsubscribe_header() {
        let content = update(&fixtures::incident());
        let message = message(
            "status@example.com",
            "admin@example.org",
            &content,
            None,
            None,
        )
        .unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(!raw.contains("List-Unsubscribe"), "{raw}");
        assert!(
            raw.contains("@example.com>\r\n"),
            "a generated Message-ID: {raw}"
        );
    }

    #[test]
    fn a_bad_address_is_an_error() {
        let content = update(&fixtures::incident());
        let result = message("status@example.com", "not an address", &content, None, None);
        assert!(
            matches!(result, Err(EmailError::Address { .. })),
            "{result:?}"
        );
    }

    #[test]
    fn a_subject_cannot_inject_headers() {
        let mut content = update(&fixtures::incident());
        content.subject = "Down\r\nBcc: victim@example.org".into();
        let message = message("status@example.com", "a@example.org", &content, None, None).unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(!raw.contains("\r\nBcc:"), "{raw}");
    }
}
