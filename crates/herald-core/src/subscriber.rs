//! Subscribers: who hears about a page's incidents and maintenance, on which channel, and
//! about which components.
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::component::Location;
use crate::{DomainError, Id, text};

/// The channels a subscriber can listen on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Webhook,
    Slack,
    Teams,
}

impl Channel {
    pub const ALL: [Channel; 4] = [
        Channel::Email,
        Channel::Webhook,
        Channel::Slack,
        Channel::Teams,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Webhook => "webhook",
            Channel::Slack => "slack",
            Channel::Teams => "teams",
        }
    }
}

/// What a webhook subscriber receives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WebhookFormat {
    /// Herald's own event: `{"type", "timestamp", "data"}`.
    #[default]
    Herald,
    /// The payload Atlassian Statuspage sends, so its existing receivers work unchanged.
    Statuspage,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SubscriberState {
    /// An email address that has not clicked its confirmation link yet: nothing is sent to it
    /// but the confirmation.
    Pending,
    Active,
    /// Stopped after failing for too long (or answering 410 Gone); an admin can re-enable it.
    Disabled,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Subscriber {
    pub id: Id,
    pub page_id: Id,
    pub channel: Channel,
    /// The email address, or the URL deliveries are posted to.
    pub address: String,
    pub format: WebhookFormat,
    /// Components this subscriber hears about; empty means all of them.
    pub components: Vec<Id>,
    pub state: SubscriberState,
    /// Why deliveries stopped, when disabled.
    pub disabled_reason: Option<String>,
    /// Since when every delivery has failed; cleared by the next success.
    pub failing_since: Option<Timestamp>,
    pub created_at: Timestamp,
    pub confirmed_at: Option<Timestamp>,
    pub updated_at: Timestamp,
}

impl Subscriber {
    /// Whether an item touching `components` concerns this subscriber.
    pub fn hears_about(&self, components: &[Id]) -> bool {
        self.components.is_empty() || self.components.iter().any(|c| components.contains(c))
    }
}

/// A subscriber as asked for, before checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSubscriber {
    pub channel: Channel,
    pub address: String,
    pub format: WebhookFormat,
    pub components: Vec<Id>,
    /// Trusted adds (an operator's own) skip the confirmation email.
    pub confirmed: bool,
}

pub const ADDRESS_MAX: usize = 2000;
pub const EMAIL_MAX: usize = 254;

impl NewSubscriber {
    /// Checks the address for its channel and the components against the page; returns the
    /// subscriber as it will be stored (address trimmed, components de-duplicated).
    pub fn checked(mut self, locations: &[Location]) -> Result<NewSubscriber, DomainError> {
        self.address = self.address.trim().to_string();
        match self.channel {
            Channel::Email => email_address(&self.address)?,
            _ => text::http_url("address", &self.address)?,
        }
        if self.channel != Channel::Webhook && self.format != WebhookFormat::Herald {
            return Err(DomainError::invalid(
                "format",
                "only webhook subscribers choose a payload format",
            ));
        }
        self.components = checked_components(self.components, locations)?;
        Ok(self)
    }

    /// Email needs its owner's confirmation unless the add is trusted; the other channels are
    /// added by people who hold the endpoint's URL.
    pub fn initial_state(&self) -> SubscriberState {
        if self.channel == Channel::Email && !self.confirmed {
            SubscriberState::Pending
        } else {
            SubscriberState::Active
        }
    }
}

/// The component ids a subscriber limits itself to: each must be on the page; repeats go.
pub fn checked_components(ids: Vec<Id>, locations: &[Location]) -> Result<Vec<Id>, DomainError> {
    let mut out: Vec<Id> = Vec::with_capacity(ids.len());
    for id in ids {
        if !locations.iter().any(|l| l.component_id == id) {
            return Err(DomainError::invalid(
                "components",
                format!("{id:?} is not a component of this page"),
            ));
        }
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

/// A deliberately plain check: one `@`, a local part, a dotted domain, no spaces or angle
/// brackets. The confirmation email is the real test.
pub fn email_address(address: &str) -> Result<(), DomainError> {
    text::at_most("address", address, EMAIL_MAX)?;
    let refuse = || {
        DomainError::invalid(
            "address",
            format!("{address:?} is not an email address such as ops@example.com"),
        )
    };
    let (local, domain) = address.rsplit_once('@').ok_or_else(refuse)?;
    let bad_char = |c: char| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\@".contains(c);
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !domain.chars().any(|c| bad_char(c) || c == '_');
    if local.is_empty() || local.chars().any(bad_char) || !domain_ok {
        return Err(refuse());
    }
    Ok(())
}

/// The components whose locations are among `location_ids`, in first-seen order.
pub fn components_of<'a>(
    locations: &[Location],
    location_ids: impl IntoIterator<Item = &'a str>,
) -> Vec<Id> {
    let mut out: Vec<Id> = Vec::new();
    for id in location_ids {
        if let Some(location) = locations.iter().find(|l| l.id == id)
            && !out.contains(&location.component_id)
        {
            out.push(location.component_id.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location(id: &str, component: &str) -> Location {
        Location {
            id: id.into(),
            component_id: component.into(),
            name: "Global".into(),
            position: 0,
            override_level: None,
        }
    }

    fn new(channel: Channel, address: &str) -> NewSubscriber {
        NewSubscriber {
            channel,
            address: address.into(),
            format: WebhookFormat::Herald,
            components: vec![],
            confirmed: false,
        }
    }

    #[test]
    fn email_addresses_are_checked_plainly() {
        for good in ["ops@example.com", "a.b+tag@mail.example.co.uk"] {
            assert!(email_address(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "ops",
            "@example.com",
            "ops@localhost",
            "ops@@example.com",
            "o ps@example.com",
            "ops@example..com",
            "<ops@example.com>",
            "ops@example.com\r\nBcc: x@y.z",
        ] {
            assert!(email_address(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn only_email_waits_for_confirmation() {
        assert_eq!(
            new(Channel::Email, "a@b.co").initial_state(),
            SubscriberState::Pending
        );
        let trusted = NewSubscriber {
            confirmed: true,
            ..new(Channel::Email, "a@b.co")
        };
        assert_eq!(trusted.initial_state(), SubscriberState::Active);
        assert_eq!(
            new(Channel::Slack, "https://hooks.example.com/x").initial_state(),
            SubscriberState::Active
        );
    }

    #[test]
    fn urls_and_formats_are_checked_per_channel() {
        let locations = [location("l1", "c1")];
        assert!(
            new(Channel::Webhook, "ftp://x")
                .checked(&locations)
                .is_err()
        );
        let slack_as_statuspage = NewSubscriber {
            format: WebhookFormat::Statuspage,
            ..new(Channel::Slack, "https://hooks.example.com/x")
        };
        assert!(slack_as_statuspage.checked(&locations).is_err());
        let with = |components: Vec<&str>| NewSubscriber {
            components: components.into_iter().map(String::from).collect(),
            ..new(Channel::Webhook, " https://example.com/hook ")
        };
        let ok = with(vec!["c1", "c1"]).checked(&locations).unwrap();
        assert_eq!(ok.address, "https://example.com/hook");
        assert_eq!(ok.components, vec!["c1".to_string()]);
        assert!(with(vec!["nope"]).checked(&locations).is_err());
    }

    #[test]
    fn a_component_filter_limits_what_is_heard() {
        let mut s = Subscriber {
            id: "s".into(),
            page_id: "p".into(),
            channel: Channel::Email,
            address: "a@b.co".into(),
            format: WebhookFormat::Herald,
            components: vec![],
            state: SubscriberState::Active,
            disabled_reason: None,
            failing_since: None,
            created_at: Timestamp::UNIX_EPOCH,
            confirmed_at: None,
            updated_at: Timestamp::UNIX_EPOCH,
        };
        assert!(s.hears_about(&["c1".into()]));
        s.components = vec!["c2".into()];
        assert!(!s.hears_about(&["c1".into()]));
        assert!(s.hears_about(&["c1".into(), "c2".into()]));
    }

    #[test]
    fn locations_map_to_their_components_once() {
        let locations = [
            location("l1", "c1"),
            location("l2", "c1"),
            location("l3", "c2"),
        ];
        assert_eq!(
            components_of(&locations, ["l2", "l1", "l3", "gone"]),
            vec!["c1".to_string(), "c2".to_string()]
        );
    }
}
