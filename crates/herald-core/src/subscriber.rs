//! Subscribers: who hears about a page's incidents and maintenance, on which channel, and
//! about which components.
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::component::Location;
use crate::event::{Event, EventKind};
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

/// A pending subscriber asking again gets another confirmation email at most this often.
const CONFIRM_RESEND_AFTER: SignedDuration = SignedDuration::from_mins(10);
/// After a rotation, the old secret still signs deliveries this long, so receivers can switch.
pub const ROTATION_OVERLAP: SignedDuration = SignedDuration::from_hours(24);

/// A change to a subscriber as the rules decide it: the subscriber as it is to be stored, its
/// audit event, and whether a confirmation email goes to its address.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub subscriber: Subscriber,
    pub event: Event,
    pub confirm: bool,
}

impl Decision {
    fn new(kind: EventKind, before: Option<&Subscriber>, after: Subscriber) -> Decision {
        Decision {
            event: Event::new(kind, &after.id, before, Some(&after)),
            subscriber: after,
            confirm: false,
        }
    }

    /// The same, with a confirmation email to the address when it is pending.
    fn confirming(kind: EventKind, before: Option<&Subscriber>, after: Subscriber) -> Decision {
        Decision {
            confirm: after.state == SubscriberState::Pending,
            ..Decision::new(kind, before, after)
        }
    }
}

/// A subscriber from a checked request: pending (and asked to confirm) when an email address
/// was not added as confirmed.
pub fn create(id: Id, page_id: &str, new: NewSubscriber, now: Timestamp) -> Decision {
    let state = new.initial_state();
    let subscriber = Subscriber {
        id,
        page_id: page_id.to_string(),
        channel: new.channel,
        address: new.address,
        format: new.format,
        components: new.components,
        state,
        disabled_reason: None,
        failing_since: None,
        created_at: now,
        confirmed_at: (state == SubscriberState::Active).then_some(now),
        updated_at: now,
    };
    Decision::confirming(EventKind::SubscriberCreated, None, subscriber)
}

/// The subscriber with a checked request's address, format and components. A new email
/// address goes back to pending: its owner confirms it before anything is sent to it.
pub fn update(before: &Subscriber, asked: NewSubscriber, now: Timestamp) -> Decision {
    let mut after = before.clone();
    let reconfirm = asked.address != before.address && before.channel == Channel::Email;
    if reconfirm {
        after.state = SubscriberState::Pending;
        after.confirmed_at = None;
    }
    after.address = asked.address;
    after.format = asked.format;
    after.components = asked.components;
    after.updated_at = now;
    match reconfirm {
        true => Decision::confirming(EventKind::SubscriberUpdated, Some(before), after),
        false => Decision::new(EventKind::SubscriberUpdated, Some(before), after),
    }
}

/// The address's owner followed the confirmation link; None when it is not pending.
pub fn confirm(before: &Subscriber, now: Timestamp) -> Option<Decision> {
    if before.state != SubscriberState::Pending {
        return None;
    }
    let mut after = before.clone();
    after.state = SubscriberState::Active;
    after.confirmed_at = Some(now);
    after.updated_at = now;
    Some(Decision::new(
        EventKind::SubscriberConfirmed,
        Some(before),
        after,
    ))
}

/// Delivery resumes, its failure streak starting over; an address never confirmed is pending
/// again. None when the subscriber is not disabled.
pub fn enable(before: &Subscriber, now: Timestamp) -> Option<Decision> {
    if before.state != SubscriberState::Disabled {
        return None;
    }
    let mut after = before.clone();
    after.state = match after.confirmed_at {
        Some(_) => SubscriberState::Active,
        None => SubscriberState::Pending,
    };
    after.disabled_reason = None;
    after.failing_since = None;
    after.updated_at = now;
    Some(Decision::new(
        EventKind::SubscriberEnabled,
        Some(before),
        after,
    ))
}

/// Delivery stops, for the reason given; None when it already had.
pub fn disable(before: &Subscriber, reason: &str, now: Timestamp) -> Option<Decision> {
    if before.state == SubscriberState::Disabled {
        return None;
    }
    let mut after = before.clone();
    after.state = SubscriberState::Disabled;
    after.disabled_reason = Some(reason.to_string());
    after.updated_at = now;
    Some(Decision::new(
        EventKind::SubscriberDisabled,
        Some(before),
        after,
    ))
}

pub fn deleted(before: &Subscriber) -> Event {
    Event::new(EventKind::SubscriberDeleted, &before.id, Some(before), None)
}

/// A webhook's new signing secret, taken into use now: until when the old one still signs,
/// and the audit event (which never holds a secret).
pub fn rotate_secret(s: &Subscriber, now: Timestamp) -> Result<(Timestamp, Event), DomainError> {
    if s.channel != Channel::Webhook {
        return Err(DomainError::Conflict(format!(
            "subscriber {} is on the {} channel; only webhooks have a signing secret",
            s.id,
            s.channel.name()
        )));
    }
    let until = now.checked_add(ROTATION_OVERLAP).unwrap_or(now);
    let event = Event::new::<Subscriber>(EventKind::SubscriberSecretRotated, &s.id, None, None)
        .with_note(format!("the previous secret signs until {until}"));
    Ok((until, event))
}

/// Whether a pending subscriber asking again is sent the confirmation email again.
pub fn resend_confirmation(last_sent: Option<Timestamp>, now: Timestamp) -> bool {
    last_sent.is_none_or(|at| now.duration_since(at) >= CONFIRM_RESEND_AFTER)
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

    fn at(minutes: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + minutes * 60).unwrap()
    }

    #[test]
    fn a_new_email_address_is_confirmed_by_its_owner_before_anything_goes_to_it() {
        let made = create("s1".into(), "p1", new(Channel::Email, "a@b.co"), at(0));
        assert_eq!(
            (made.subscriber.state, made.confirm),
            (SubscriberState::Pending, true)
        );
        assert_eq!(made.event.kind, EventKind::SubscriberCreated);
        let on = confirm(&made.subscriber, at(1)).expect("confirmed");
        assert_eq!(
            (on.subscriber.state, on.confirm),
            (SubscriberState::Active, false)
        );
        assert_eq!(on.subscriber.confirmed_at, Some(at(1)));
        assert_eq!(
            confirm(&on.subscriber, at(2)),
            None,
            "confirming twice is harmless"
        );

        // Only a changed address asks again, and only for email.
        let moved = update(&on.subscriber, new(Channel::Email, "c@d.co"), at(3));
        assert_eq!(
            (moved.subscriber.state, moved.confirm),
            (SubscriberState::Pending, true)
        );
        assert_eq!(moved.subscriber.confirmed_at, None);
        let same = update(&on.subscriber, new(Channel::Email, "a@b.co"), at(3));
        assert_eq!(
            (same.subscriber.state, same.confirm),
            (SubscriberState::Active, false)
        );
        assert_eq!(same.event.kind, EventKind::SubscriberUpdated);
        let hook = create(
            "s2".into(),
            "p1",
            new(Channel::Webhook, "https://x.example/a"),
            at(0),
        );
        let rehomed = update(
            &hook.subscriber,
            new(Channel::Webhook, "https://x.example/b"),
            at(3),
        );
        assert_eq!(
            (rehomed.subscriber.state, rehomed.confirm),
            (SubscriberState::Active, false)
        );
    }

    #[test]
    fn disabling_stops_delivery_and_enabling_starts_the_streak_over() {
        let mut s = create("s1".into(), "p1", new(Channel::Email, "a@b.co"), at(0)).subscriber;
        s = confirm(&s, at(0)).unwrap().subscriber;
        s.failing_since = Some(at(1));
        let off = disable(&s, "410 Gone", at(2)).expect("disabled");
        assert_eq!(off.subscriber.disabled_reason.as_deref(), Some("410 Gone"));
        assert_eq!(off.event.kind, EventKind::SubscriberDisabled);
        assert_eq!(disable(&off.subscriber, "again", at(3)), None);
        let on = enable(&off.subscriber, at(4)).expect("enabled");
        assert_eq!(on.subscriber.state, SubscriberState::Active);
        assert_eq!((on.subscriber.failing_since, on.confirm), (None, false));
        assert_eq!(enable(&on.subscriber, at(5)), None);
        // Never confirmed: it comes back pending, and is not emailed again for it.
        let pending = create("s2".into(), "p1", new(Channel::Email, "e@f.co"), at(0)).subscriber;
        let back = enable(
            &disable(&pending, "bounced", at(1)).unwrap().subscriber,
            at(2),
        );
        let back = back.expect("enabled");
        assert_eq!(
            (back.subscriber.state, back.confirm),
            (SubscriberState::Pending, false)
        );
    }

    #[test]
    fn only_webhooks_rotate_a_secret_and_the_old_one_signs_a_day_longer() {
        let hook = create(
            "s1".into(),
            "p1",
            new(Channel::Webhook, "https://x.example"),
            at(0),
        );
        let (until, event) = rotate_secret(&hook.subscriber, at(10)).unwrap();
        assert_eq!(until, at(10 + 24 * 60));
        assert_eq!(
            (event.kind, event.before, event.after),
            (EventKind::SubscriberSecretRotated, None, None)
        );
        let email = create("s2".into(), "p1", new(Channel::Email, "a@b.co"), at(0));
        assert!(rotate_secret(&email.subscriber, at(10)).is_err());
    }

    #[test]
    fn a_confirmation_email_is_sent_again_at_most_every_ten_minutes() {
        assert!(resend_confirmation(None, at(0)));
        assert!(!resend_confirmation(Some(at(0)), at(9)));
        assert!(resend_confirmation(Some(at(0)), at(10)));
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
