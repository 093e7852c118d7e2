//! Status levels, and their mapping to the codes and names other status-page products use.
//! This is the one place that knows both Status.io's and Atlassian Statuspage's vocabulary.
use serde::{Deserialize, Serialize};

/// How a location is doing, best first: `Ord` puts the worst level last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StatusLevel {
    Operational,
    UnderMaintenance,
    DegradedPerformance,
    PartialServiceDisruption,
    ServiceDisruption,
    SecurityEvent,
}

impl StatusLevel {
    pub const ALL: [StatusLevel; 6] = [
        StatusLevel::Operational,
        StatusLevel::UnderMaintenance,
        StatusLevel::DegradedPerformance,
        StatusLevel::PartialServiceDisruption,
        StatusLevel::ServiceDisruption,
        StatusLevel::SecurityEvent,
    ];

    /// Status.io's numeric status code (100–600).
    pub fn statusio_code(self) -> u16 {
        match self {
            StatusLevel::Operational => 100,
            StatusLevel::UnderMaintenance => 200,
            StatusLevel::DegradedPerformance => 300,
            StatusLevel::PartialServiceDisruption => 400,
            StatusLevel::ServiceDisruption => 500,
            StatusLevel::SecurityEvent => 600,
        }
    }

    pub fn from_statusio_code(code: u16) -> Option<StatusLevel> {
        StatusLevel::ALL
            .into_iter()
            .find(|level| level.statusio_code() == code)
    }

    /// The words a person reads (Status.io's names, "Planned Maintenance" aside).
    pub fn label(self) -> &'static str {
        match self {
            StatusLevel::Operational => "Operational",
            StatusLevel::UnderMaintenance => "Under Maintenance",
            StatusLevel::DegradedPerformance => "Degraded Performance",
            StatusLevel::PartialServiceDisruption => "Partial Service Disruption",
            StatusLevel::ServiceDisruption => "Service Disruption",
            StatusLevel::SecurityEvent => "Security Event",
        }
    }

    /// Status.io's own name for the level, as its API returns it.
    pub fn statusio_label(self) -> &'static str {
        match self {
            StatusLevel::UnderMaintenance => "Planned Maintenance",
            other => other.label(),
        }
    }

    /// Atlassian Statuspage's component status for this level. Statuspage has no security
    /// level, so a security event shows as a major outage there.
    pub fn statuspage_component_status(self) -> &'static str {
        match self {
            StatusLevel::Operational => "operational",
            StatusLevel::UnderMaintenance => "under_maintenance",
            StatusLevel::DegradedPerformance => "degraded_performance",
            StatusLevel::PartialServiceDisruption => "partial_outage",
            StatusLevel::ServiceDisruption | StatusLevel::SecurityEvent => "major_outage",
        }
    }

    pub fn from_statuspage_component_status(status: &str) -> Option<StatusLevel> {
        match status {
            "operational" => Some(StatusLevel::Operational),
            "under_maintenance" => Some(StatusLevel::UnderMaintenance),
            "degraded_performance" => Some(StatusLevel::DegradedPerformance),
            "partial_outage" => Some(StatusLevel::PartialServiceDisruption),
            "major_outage" => Some(StatusLevel::ServiceDisruption),
            _ => None,
        }
    }

    /// The level's name in Herald's own API, also used as a CSS class on the public page.
    pub fn css_key(self) -> &'static str {
        match self {
            StatusLevel::Operational => "operational",
            StatusLevel::UnderMaintenance => "under_maintenance",
            StatusLevel::DegradedPerformance => "degraded_performance",
            StatusLevel::PartialServiceDisruption => "partial_service_disruption",
            StatusLevel::ServiceDisruption => "service_disruption",
            StatusLevel::SecurityEvent => "security_event",
        }
    }

    pub fn is_operational(self) -> bool {
        self == StatusLevel::Operational
    }
}

/// A location's displayed level: the worst of what holds it (active incidents, active
/// maintenance) and its manual override, operational when nothing does. Derived, never stored.
pub fn derive_level(
    manual_override: Option<StatusLevel>,
    held_by: impl IntoIterator<Item = StatusLevel>,
) -> StatusLevel {
    held_by
        .into_iter()
        .chain(manual_override)
        .max()
        .unwrap_or(StatusLevel::Operational)
}

/// The worst of several levels (a component over its locations, a page over its components).
pub fn worst(levels: impl IntoIterator<Item = StatusLevel>) -> StatusLevel {
    levels.into_iter().max().unwrap_or(StatusLevel::Operational)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_order_worst_last() {
        for level in StatusLevel::ALL {
            assert_eq!(
                StatusLevel::from_statusio_code(level.statusio_code()),
                Some(level)
            );
        }
        assert_eq!(StatusLevel::from_statusio_code(250), None);
        assert!(StatusLevel::SecurityEvent > StatusLevel::ServiceDisruption);
        assert!(StatusLevel::UnderMaintenance > StatusLevel::Operational);
    }

    #[test]
    fn statuspage_mapping_covers_every_level() {
        let names: Vec<_> = StatusLevel::ALL
            .iter()
            .map(|l| l.statuspage_component_status())
            .collect();
        assert_eq!(
            names,
            [
                "operational",
                "under_maintenance",
                "degraded_performance",
                "partial_outage",
                "major_outage",
                "major_outage"
            ]
        );
        assert_eq!(
            StatusLevel::from_statuspage_component_status("partial_outage"),
            Some(StatusLevel::PartialServiceDisruption)
        );
    }

    #[test]
    fn derived_level_is_the_worst_holder_or_override() {
        use StatusLevel::*;
        assert_eq!(derive_level(None, []), Operational);
        assert_eq!(
            derive_level(None, [DegradedPerformance, ServiceDisruption]),
            ServiceDisruption
        );
        assert_eq!(
            derive_level(Some(PartialServiceDisruption), [DegradedPerformance]),
            PartialServiceDisruption
        );
    }
}

/// The derived status of a whole page, as the public sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PageStatus {
    pub level: StatusLevel,
    pub components: Vec<ComponentStatus>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComponentStatus {
    pub component_id: crate::Id,
    pub level: StatusLevel,
    pub locations: Vec<LocationStatus>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LocationStatus {
    pub location_id: crate::Id,
    pub level: StatusLevel,
    pub override_level: Option<StatusLevel>,
}

/// Derives every location's, component's and the page's level from what holds each location
/// (`holds`: location id and level, one entry per active incident or maintenance holding it).
pub fn page_status(
    components: &[crate::component::Component],
    holds: &[(crate::Id, StatusLevel)],
) -> PageStatus {
    let components: Vec<ComponentStatus> = components
        .iter()
        .map(|component| {
            let locations: Vec<LocationStatus> = component
                .locations
                .iter()
                .map(|location| LocationStatus {
                    location_id: location.id.clone(),
                    level: derive_level(
                        location.override_level,
                        holds
                            .iter()
                            .filter(|(id, _)| *id == location.id)
                            .map(|(_, level)| *level),
                    ),
                    override_level: location.override_level,
                })
                .collect();
            ComponentStatus {
                component_id: component.id.clone(),
                level: worst(locations.iter().map(|l| l.level)),
                locations,
            }
        })
        .collect();
    PageStatus {
        level: worst(components.iter().map(|c| c.level)),
        components,
    }
}
