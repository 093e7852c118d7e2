//! What publishing a draft would do, without doing it: the lints and the next update due.
use jiff::Timestamp;
use serde::Serialize;

use crate::DomainError;
use crate::cadence::next_update_due;
use crate::event::EventKind;
use crate::incident::{
    self, Decision, Incident, NewIds, NewIncident, PageContext, RecentIncident, UpdateDraft,
};
use crate::lint::{self, Lint};

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Preview {
    pub lints: Vec<Lint>,
    /// `None` when the draft resolves the incident.
    pub next_update_due: Option<Timestamp>,
    /// The incident as it would be after publishing.
    pub incident: Incident,
    /// What publishing it would record, which decides its broadcast; not part of the answer.
    #[serde(skip)]
    pub event: Option<EventKind>,
}

/// Previews an update to an existing incident. A draft the rules refuse is refused here too;
/// one that only a blocking lint would refuse is previewed, with that lint.
pub fn update(
    current: &Incident,
    ctx: PageContext,
    draft: UpdateDraft,
    actor: &str,
    now: Timestamp,
) -> Result<Preview, DomainError> {
    let decision = incident::decide_update(current, ctx, "preview".into(), draft, actor, now)?;
    Ok(finish(ctx, decision))
}

/// Previews the first update of a new incident.
pub fn create(
    ctx: PageContext,
    recent: &[RecentIncident],
    input: NewIncident,
    actor: &str,
    now: Timestamp,
) -> Result<Preview, DomainError> {
    let ids = NewIds {
        incident: "preview".into(),
        update: "preview".into(),
    };
    let decision = incident::decide_create(ctx, recent, ids, input, actor, now)?;
    Ok(finish(ctx, decision))
}

fn finish(ctx: PageContext, decision: Decision) -> Preview {
    let after = decision.incident;
    let last = after
        .updates
        .last()
        .expect("an incident always has an update");
    let draft = lint::Draft {
        state: last.state,
        details: &last.details,
        overridden_locations: overridden(ctx, &after),
    };
    Preview {
        lints: lint::check(&ctx.page.settings.lint, &draft),
        next_update_due: next_update_due(&ctx.page.settings.cadence, &after),
        incident: after,
        event: decision.events.first().map(|e| e.kind),
    }
}

/// The incident's locations that a manual override keeps worse than operational.
fn overridden(ctx: PageContext, incident: &Incident) -> Vec<String> {
    incident
        .affected
        .iter()
        .filter_map(|a| ctx.locations.iter().find(|l| l.id == a.location_id))
        .filter(|l| {
            l.override_level
                .is_some_and(|level| !level.is_operational())
        })
        .map(|l| l.name.clone())
        .collect()
}
