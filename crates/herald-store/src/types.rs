//! The inputs and records the store speaks in, beyond the domain types.
use herald_core::Id;
use herald_core::incident::{IncidentState, Severity};
use herald_core::page::PageSettings;
pub use herald_core::session::{Session, SignInMethod};
pub use herald_core::token::Token;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct PagePatch {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub time_zone: Option<String>,
    pub settings: Option<PageSettings>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct NewComponent {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: String,
    pub description: String,
    /// An existing group of the page.
    pub group_id: Option<Id>,
    /// A group by name, created when the page has none of that name.
    pub group_name: Option<String>,
    /// Named locations; none gives the component its one default location.
    pub locations: Vec<String>,
    /// Where it sorts (0 to 1,000,000); after the last component when not given.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1000000))]
    pub position: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct ComponentPatch {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: Option<String>,
    pub description: Option<String>,
    /// `Some(None)` (JSON `null`) takes the component out of its group.
    #[serde(deserialize_with = "present")]
    pub group_id: Option<Option<Id>>,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1000000))]
    pub position: Option<i64>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IncidentFilter {
    #[default]
    All,
    Active,
    Resolved,
}

/// Newest first, `limit` at a time; `before` is the id of the last incident of the previous
/// page of results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentQuery {
    pub filter: IncidentFilter,
    pub limit: u32,
    pub before: Option<Id>,
}

impl Default for IncidentQuery {
    fn default() -> Self {
        IncidentQuery {
            filter: IncidentFilter::All,
            limit: 50,
            before: None,
        }
    }
}

/// A search of a page's incidents: every filter given must hold. Newest first, `limit` at a
/// time; `before` is the id of the last incident of the previous page of results.
#[derive(Clone, Debug, PartialEq)]
pub struct IncidentSearch {
    pub state: Option<IncidentState>,
    pub severity: Option<Severity>,
    /// A component's id: incidents that affect any of its locations.
    pub component: Option<Id>,
    /// Declared at or after this instant.
    pub from: Option<Timestamp>,
    /// Declared before this instant.
    pub until: Option<Timestamp>,
    /// Words, each of which must appear (letter case aside) in the title or in an update.
    pub text: String,
    pub limit: u32,
    pub before: Option<Id>,
}

impl Default for IncidentSearch {
    fn default() -> Self {
        IncidentSearch {
            state: None,
            severity: None,
            component: None,
            from: None,
            until: None,
            text: String::new(),
            limit: 50,
            before: None,
        }
    }
}

impl IncidentSearch {
    /// The most words a search looks for; later ones are ignored.
    pub const MAX_WORDS: usize = 8;

    /// The words searched for, distinct, at most [`IncidentSearch::MAX_WORDS`].
    pub fn words(&self) -> Vec<&str> {
        let mut words: Vec<&str> = Vec::new();
        for word in self.text.split_whitespace() {
            if !words.contains(&word) && words.len() < Self::MAX_WORDS {
                words.push(word);
            }
        }
        words
    }
}

/// Which maintenance windows to list; see [`herald_core::maintenance::Maintenance::is_upcoming`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MaintenanceFilter {
    #[default]
    All,
    /// Scheduled, with the planned end still ahead.
    Upcoming,
    /// In progress or verifying.
    Active,
    /// Completed, cancelled, or never started before the planned end.
    Past,
}

/// Latest planned start first, `limit` at a time; `before` is the id of the last window of
/// the previous page of results. One order for every filter keeps the cursor simple; a caller
/// that wants the next window first reverses the (short) upcoming list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MaintenanceQuery {
    pub filter: MaintenanceFilter,
    pub limit: u32,
    pub before: Option<Id>,
}

impl Default for MaintenanceQuery {
    fn default() -> Self {
        MaintenanceQuery {
            filter: MaintenanceFilter::All,
            limit: 50,
            before: None,
        }
    }
}

pub const MAX_LIST_LIMIT: u32 = 500;

/// A token just created: the only time its secret is seen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewToken {
    #[serde(flatten)]
    pub token: Token,
    pub secret: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventRecord {
    pub id: i64,
    pub page_id: Option<Id>,
    pub at: Timestamp,
    pub actor: String,
    pub kind: String,
    pub subject_type: String,
    pub subject_id: Id,
    pub note: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// What one audit event changed: see [`crate::Store::changes`].
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub id: i64,
    pub page_id: Option<Id>,
    /// The event's kind as stored: one of [`herald_core::event::EventKind`]'s names, or a
    /// newer version's.
    pub kind: String,
    pub subject_type: String,
    pub subject_id: Id,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventQuery {
    pub page_id: Option<Id>,
    /// Only events with a larger id.
    pub after: i64,
    pub limit: u32,
}

impl Default for EventQuery {
    fn default() -> Self {
        EventQuery {
            page_id: None,
            after: 0,
            limit: 100,
        }
    }
}

/// Tells a field given as `null` (`Some(None)`) from a field left out (`None`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A session just started: the only time its secret (the cookie's value) is seen.
#[derive(Clone, Debug, PartialEq)]
pub struct NewSession {
    pub session: Session,
    pub secret: String,
}
