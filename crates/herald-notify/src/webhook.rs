//! Webhook deliveries: Herald's own payload or Atlassian Statuspage's, signed as Standard
//! Webhooks (<https://www.standardwebhooks.com>, v1) so receivers verify them with the
//! official libraries.
use std::fmt::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};
use sha2::Sha256;

use herald_store::NudgeToSend;
use jiff::Timestamp;

use crate::announcement::{Announcement, Item, Recipient};

const SECRET_PREFIX: &str = "whsec_";
const STATUSPAGE_DOCS: &str =
    "https://support.atlassian.com/statuspage/docs/enable-webhook-notifications/";

#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("no webhook secret to sign with")]
    NoSecret,
    #[error("a webhook secret is `whsec_` followed by base64, and this one is empty")]
    EmptySecret,
    #[error("a webhook secret is `whsec_` followed by base64: {0}")]
    Base64(#[from] base64::DecodeError),
}

/// The `webhook-signature` header: `v1,<base64 HMAC-SHA256>` for each secret, separated by
/// spaces, so that while a secret is rotated a receiver holding either one accepts. Every
/// delivery is signed, so the header is written in one string without copies in between.
pub fn sign(
    secrets: &[impl AsRef<str>],
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, SignError> {
    if secrets.is_empty() {
        return Err(SignError::NoSecret);
    }
    let mut header = String::with_capacity(secrets.len() * SIGNATURE_LEN);
    for secret in secrets {
        if !header.is_empty() {
            header.push(' ');
        }
        header.push_str("v1,");
        let mac = mac(secret.as_ref(), msg_id, timestamp, body)?;
        STANDARD.encode_string(mac, &mut header);
    }
    Ok(header)
}

/// `v1,` and the base64 of 32 bytes, and the space before the next.
const SIGNATURE_LEN: usize = 48;

/// The HMAC-SHA256 of `{msg_id}.{timestamp}.{body}`.
fn mac(secret: &str, msg_id: &str, timestamp: i64, body: &[u8]) -> Result<[u8; 32], SignError> {
    // The prefix is optional, as in the reference libraries.
    let key = STANDARD.decode(secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret))?;
    if key.is_empty() {
        return Err(SignError::EmptySecret);
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes keys of any length");
    // Written into the MAC as it goes: `write!` on a MAC needs no buffer.
    let _ = write!(MacWriter(&mut mac), "{msg_id}.{timestamp}.");
    mac.update(body);
    Ok(mac.finalize().into_bytes().into())
}

/// Formats straight into a MAC.
struct MacWriter<'m>(&'m mut Hmac<Sha256>);

impl std::fmt::Write for MacWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.update(s.as_bytes());
        Ok(())
    }
}

/// The `webhook-id` of one broadcast's delivery to one subscriber. It is derived from the two
/// ids, never drawn at random, so every retry (after a restart too) carries the same id and a
/// receiver can drop the duplicates of a delivery it already handled. Ids are hex, so the `_`
/// between them is unambiguous.
pub fn message_id(broadcast_id: &str, subscriber_id: &str) -> String {
    // Concatenated rather than formatted: one is made for every delivery.
    ["msg_", broadcast_id, "_", subscriber_id].concat()
}

/// Herald's documented webhook payload:
/// `{"type", "timestamp", "data": {"page", "incident" | "maintenance"}}`.
pub fn herald_body(a: &Announcement) -> Vec<u8> {
    let (kind, mut item) = match &a.item {
        Item::Incident(incident) => (
            "incident",
            json!({
                "id": incident.id,
                "title": incident.title,
                "state": incident.state,
                "severity": incident.severity,
                "postmortem_url": incident.postmortem_url,
            }),
        ),
        Item::Maintenance(window) => (
            "maintenance",
            json!({
                "id": window.id,
                "title": window.title,
                "state": window.state,
                "starts_at": window.starts_at,
                "ends_at": window.ends_at,
            }),
        ),
    };
    item["url"] = json!(a.item_url());
    item["components"] = json!(
        a.components
            .iter()
            .map(|c| json!({"id": c.id, "name": c.name}))
            .collect::<Vec<_>>()
    );
    item["update"] = json!(a.update().map(|u| json!({
        "id": u.id,
        "state": u.state,
        "body": u.details,
        "created_at": u.at,
    })));
    let page = &a.page;
    json!({
        "type": a.event,
        "timestamp": a.at,
        "data": {
            "page": {"id": page.id, "name": page.name, "url": page.url},
            kind: item,
        },
    })
    .to_string()
    .into_bytes()
}

/// A nudge for a person's own webhook: `{"type": "cadence.nudge", "timestamp", "data"}`.
/// Unsigned: a person's nudge channel has no signing secret (see docs/cadence.md).
pub fn nudge_body(n: &NudgeToSend, at: Timestamp) -> Vec<u8> {
    json!({
        "type": "cadence.nudge",
        "timestamp": at,
        "data": {
            "kind": n.kind,
            "subject": n.subject,
            "subject_id": n.subject_id,
            "due_at": n.due_at,
            "page": n.page_name,
            "headline": n.text.headline,
            "body": n.text.body,
            "url": n.text.url,
        },
    })
    .to_string()
    .into_bytes()
}

/// Statuspage's webhook payload (`meta`, `page`, `incident`; maintenance is an `incident` there
/// too), for receivers written for Statuspage. `generated_at` is the announcement's time, so
/// every retry sends the same body.
pub fn statuspage_body(a: &Announcement, r: &Recipient) -> Vec<u8> {
    let mut body = match &a.statuspage {
        Value::Object(parts) => parts.clone(),
        _ => Map::new(),
    };
    body.insert(
        "meta".into(),
        json!({
            "unsubscribe": r.unsubscribe_url,
            "documentation": STATUSPAGE_DOCS,
            "generated_at": a.at,
        }),
    );
    Value::Object(body).to_string().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    // The test vector of the Standard Webhooks reference libraries.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const MSG_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: i64 = 1614265330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn parse(body: &[u8]) -> Value {
        serde_json::from_slice(body).expect("JSON")
    }

    #[test]
    fn signs_the_standard_webhooks_test_vector() {
        assert_eq!(sign(&[SECRET], MSG_ID, TIMESTAMP, BODY).unwrap(), SIGNATURE);
        let unprefixed = SECRET.strip_prefix("whsec_").unwrap();
        assert_eq!(
            sign(&[unprefixed], MSG_ID, TIMESTAMP, BODY).unwrap(),
            SIGNATURE
        );
    }

    #[test]
    fn a_rotation_sends_one_signature_per_secret() {
        let new = "whsec_dGhlIG5leHQgc2VjcmV0IGFmdGVyIGEgcm90YXRpb24=";
        let header = sign(&[new, SECRET], MSG_ID, TIMESTAMP, BODY).unwrap();
        let signatures: Vec<&str> = header.split(' ').collect();
        assert_eq!(signatures.len(), 2, "{header}");
        assert!(signatures[0].starts_with("v1,"), "{header}");
        assert_ne!(signatures[0], SIGNATURE);
        assert_eq!(signatures[1], SIGNATURE);
    }

    #[test]
    fn a_bad_secret_is_an_error() {
        assert!(matches!(
            sign(&["whsec_not base64!"], MSG_ID, TIMESTAMP, BODY),
            Err(SignError::Base64(_))
        ));
        assert!(matches!(
            sign(&["whsec_"], MSG_ID, TIMESTAMP, BODY),
            Err(SignError::EmptySecret)
        ));
        assert!(matches!(
            sign(&[] as &[&str], MSG_ID, TIMESTAMP, BODY),
            Err(SignError::NoSecret)
        ));
    }

    #[test]
    fn message_ids_are_stable_per_subscriber() {
        assert_eq!(message_id("b1", "s1"), message_id("b1", "s1"));
        assert_ne!(message_id("b1", "s1"), message_id("b1", "s2"));
        assert_eq!(message_id("ab12", "cd34"), "msg_ab12_cd34");
    }

    #[test]
    fn the_herald_payload_describes_the_update() {
        let body = parse(&herald_body(&fixtures::incident()));
        assert_eq!(body["type"], "incident.updated");
        assert_eq!(body["timestamp"], "2024-05-01T12:03:00Z");
        assert_eq!(
            body["data"]["page"],
            json!({"id": "p1", "name": "Example", "url": "https://status.example.com/"})
        );
        let incident = &body["data"]["incident"];
        assert_eq!(incident["title"], "API errors");
        assert_eq!(incident["state"], "identified");
        assert_eq!(incident["severity"], 2);
        assert_eq!(incident["url"], "https://status.example.com/incidents/i1/");
        assert_eq!(
            incident["components"][1],
            json!({"id": "c1", "name": "Website"})
        );
        assert_eq!(incident["postmortem_url"], Value::Null);
        assert_eq!(
            incident["update"],
            json!({
                "id": "u1",
                "state": "identified",
                "body": fixtures::DETAILS,
                "created_at": "2024-05-01T12:03:00Z",
            })
        );
    }

    #[test]
    fn the_herald_payload_of_a_window_or_a_post_mortem() {
        let body = parse(&herald_body(&fixtures::maintenance()));
        let window = &body["data"]["maintenance"];
        assert_eq!(window["state"], "scheduled");
        assert_eq!(window["starts_at"], "2024-05-02T00:00:00Z");
        assert_eq!(window["update"]["state"], "scheduled");
        assert!(body["data"].get("incident").is_none());

        let body = parse(&herald_body(&fixtures::postmortem()));
        let incident = &body["data"]["incident"];
        assert_eq!(incident["update"], Value::Null);
        assert_eq!(
            incident["postmortem_url"],
            "https://example.com/postmortems/1"
        );
    }

    #[test]
    fn the_statuspage_payload_adds_the_recipients_meta() {
        let a = fixtures::incident();
        let body = parse(&statuspage_body(&a, &fixtures::recipient()));
        assert_eq!(
            body["meta"]["unsubscribe"],
            "https://status.example.com/unsubscribe?token=u"
        );
        assert_eq!(body["meta"]["documentation"], STATUSPAGE_DOCS);
        assert_eq!(body["meta"]["generated_at"], "2024-05-01T12:03:00Z");
        assert_eq!(body["page"], a.statuspage["page"]);
        assert_eq!(body["incident"], a.statuspage["incident"]);
    }
}
