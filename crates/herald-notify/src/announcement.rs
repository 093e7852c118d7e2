//! What a broadcast says, in the form every channel renders from.
use herald_core::Id;
use herald_core::incident::{Incident, IncidentState};
use herald_core::maintenance::{Maintenance, MaintenanceState};
use herald_public::paths;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;
use serde_json::Value;

/// The page a broadcast comes from.
#[derive(Clone, Debug, PartialEq)]
pub struct PageInfo {
    pub id: Id,
    pub name: String,
    /// The public page's root, ending in `/` (`https://status.example.com/`).
    pub url: String,
    pub time_zone: String,
}

/// The incident or maintenance window as it was published.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Incident(Incident),
    Maintenance(Maintenance),
}

/// A component the announcement is about.
#[derive(Clone, Debug, PartialEq)]
pub struct ComponentRef {
    pub id: Id,
    pub name: String,
}

/// One broadcast, ready to render on any channel. Built once per broadcast; only the
/// recipient's links differ between subscribers.
#[derive(Clone, Debug, PartialEq)]
pub struct Announcement {
    pub broadcast_id: Id,
    /// The event type, such as `incident.updated` (see `herald_core::broadcast`).
    pub event: String,
    pub page: PageInfo,
    pub item: Item,
    /// The update announced (none for a post-mortem).
    pub update_id: Option<Id>,
    /// The components the item touches, in page order.
    pub components: Vec<ComponentRef>,
    /// When the announced change was published.
    pub at: Timestamp,
    /// Statuspage's view of the item and of the page's status, for webhook subscribers that
    /// asked for Statuspage's payload: `{"page": {...}, "incident": {...}}`.
    pub statuspage: Value,
}

/// Where one recipient manages or ends its subscription.
#[derive(Clone, Debug, PartialEq)]
pub struct Recipient {
    pub subscriber_id: Id,
    /// A signed link to change components or unsubscribe.
    pub manage_url: String,
    /// A signed link that unsubscribes with one POST (RFC 8058).
    pub unsubscribe_url: String,
}

/// The state of an incident or of a maintenance window; serialises as the item's own state
/// (`identified`, `in_progress`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ItemState {
    Incident(IncidentState),
    Maintenance(MaintenanceState),
}

impl ItemState {
    pub fn label(self) -> &'static str {
        match self {
            ItemState::Incident(state) => state.label(),
            ItemState::Maintenance(state) => state.label(),
        }
    }
}

/// The update an announcement carries, whichever kind of item it belongs to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Announced<'a> {
    pub id: &'a str,
    /// The item's state after this update.
    pub state: ItemState,
    /// Markdown, as written.
    pub details: &'a str,
    pub at: Timestamp,
}

impl Announcement {
    pub fn title(&self) -> &str {
        match &self.item {
            Item::Incident(incident) => &incident.title,
            Item::Maintenance(window) => &window.title,
        }
    }

    /// The announced update; none for a post-mortem (or an update no longer in the item).
    pub fn update(&self) -> Option<Announced<'_>> {
        let id = self.update_id.as_deref()?;
        match &self.item {
            Item::Incident(incident) => {
                incident
                    .updates
                    .iter()
                    .find(|u| u.id == id)
                    .map(|u| Announced {
                        id: &u.id,
                        state: ItemState::Incident(u.state),
                        details: &u.details,
                        at: u.at,
                    })
            }
            Item::Maintenance(window) => {
                window
                    .updates
                    .iter()
                    .find(|u| u.id == id)
                    .map(|u| Announced {
                        id: &u.id,
                        state: ItemState::Maintenance(u.state),
                        details: &u.details,
                        at: u.at,
                    })
            }
        }
    }

    /// The state the announcement reports: the update's, or the item's for a post-mortem.
    pub fn state(&self) -> ItemState {
        match (self.update(), &self.item) {
            (Some(update), _) => update.state,
            (None, Item::Incident(incident)) => ItemState::Incident(incident.state),
            (None, Item::Maintenance(window)) => ItemState::Maintenance(window.state),
        }
    }

    /// A reminder that a maintenance window is coming up (it announces no update).
    pub fn reminds(&self) -> bool {
        self.event == herald_core::broadcast::REMINDER
    }

    /// One line that says what happened: "Identified: API errors", or "Identified (corrected):
    /// API errors" for a correction told again.
    pub fn headline(&self) -> String {
        let what = match self.update() {
            Some(update) => update.state.label(),
            None if self.reminds() => "Reminder",
            None => "Post-mortem",
        };
        match self.event == herald_core::broadcast::CORRECTION {
            true => format!("{what} (corrected): {}", self.title()),
            false => format!("{what}: {}", self.title()),
        }
    }

    /// What the announcement says, in Markdown: the update's details, or a link to the
    /// post-mortem.
    pub fn details(&self) -> String {
        match (self.update(), &self.item) {
            (Some(update), _) => update.details.to_string(),
            (None, Item::Maintenance(window)) if self.reminds() => format!(
                "This scheduled maintenance starts at {} and is planned to end at {}.\n\n{}",
                self.page.local_time(window.starts_at),
                self.page.local_time(window.ends_at),
                window.updates.first().map_or("", |u| u.details.as_str())
            ),
            (
                None,
                Item::Incident(Incident {
                    postmortem_url: Some(url),
                    ..
                }),
            ) => format!("[Read the post-mortem]({url})"),
            (None, _) => "The post-mortem is published.".to_string(),
        }
    }

    /// The item's public page.
    pub fn item_url(&self) -> String {
        let dir = match &self.item {
            Item::Incident(incident) => paths::incident_dir(&incident.id),
            Item::Maintenance(window) => paths::maintenance_dir(&window.id),
        };
        format!("{}{dir}", self.page.url)
    }

    /// Label and value of what every channel shows beside the text, times in the page's
    /// time zone.
    pub fn facts(&self) -> Vec<(&'static str, String)> {
        let mut facts = vec![("State", self.state().label().to_string())];
        if !self.components.is_empty() {
            let names: Vec<&str> = self.components.iter().map(|c| c.name.as_str()).collect();
            facts.push(("Components", names.join(", ")));
        }
        if let Item::Maintenance(window) = &self.item {
            let planned = format!(
                "{} to {}",
                self.page.local_time(window.starts_at),
                self.page.local_time(window.ends_at)
            );
            facts.push(("Planned", planned));
        }
        facts.push(("Posted", self.page.local_time(self.at)));
        facts
    }
}

impl PageInfo {
    /// `2024-05-01 14:03 CEST`; in UTC if the page's zone is unknown to this build.
    pub fn local_time(&self, at: Timestamp) -> String {
        let zone = TimeZone::get(&self.time_zone).unwrap_or(TimeZone::UTC);
        at.to_zoned(zone).strftime("%Y-%m-%d %H:%M %Z").to_string()
    }
}

#[cfg(test)]
mod tests {
    use crate::fixtures;

    #[test]
    fn an_update_reads_as_its_state_and_title() {
        let a = fixtures::incident();
        assert_eq!(a.headline(), "Identified: API errors");
        assert_eq!(a.item_url(), "https://status.example.com/incidents/i1/");
        assert_eq!(a.details(), fixtures::DETAILS);
        assert_eq!(
            a.facts(),
            [
                ("State", "Identified".to_string()),
                ("Components", "API, Website".to_string()),
                ("Posted", "2024-05-01 14:03 CEST".to_string()),
            ]
        );
    }

    #[test]
    fn a_correction_told_again_says_so() {
        let mut a = fixtures::incident();
        a.event = herald_core::broadcast::CORRECTION.into();
        assert_eq!(a.headline(), "Identified (corrected): API errors");
        assert_eq!(a.details(), fixtures::DETAILS);
    }

    #[test]
    fn a_post_mortem_links_to_it() {
        let a = fixtures::postmortem();
        assert_eq!(a.headline(), "Post-mortem: API errors");
        assert_eq!(
            a.details(),
            "[Read the post-mortem](https://example.com/postmortems/1)"
        );
        assert_eq!(a.facts()[0], ("State", "Resolved".to_string()));
    }

    #[test]
    fn a_maintenance_window_shows_its_plan() {
        let a = fixtures::maintenance();
        assert_eq!(a.headline(), "Scheduled: Database upgrade");
        assert_eq!(a.item_url(), "https://status.example.com/maintenance/m1/");
        assert!(a.facts().contains(&(
            "Planned",
            "2024-05-02 02:00 CEST to 2024-05-02 04:00 CEST".to_string()
        )));
    }

    #[test]
    fn a_reminder_says_when_the_window_starts() {
        let mut a = fixtures::maintenance();
        a.event = herald_core::broadcast::REMINDER.into();
        a.update_id = None;
        assert_eq!(a.headline(), "Reminder: Database upgrade");
        assert_eq!(
            a.details(),
            "This scheduled maintenance starts at 2024-05-02 02:00 CEST and is planned to end \
             at 2024-05-02 04:00 CEST.\n\nWe upgrade the database."
        );
    }
}
