//! A page's subscribers, and the delivery report of what was broadcast to them. Subscribers'
//! addresses are personal data, so even reading them takes the responder role.
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use herald_core::Id;
use herald_core::access::Role;
use herald_core::broadcast::Subject;
use herald_core::subscriber::{Channel, NewSubscriber, Subscriber, WebhookFormat};
use herald_store::{
    CreatedSubscriber, DeliveryReport, RecipientPage, RecipientQuery, SubscriberPatch,
    SubscriberQuery,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Principal;
use crate::bounded::Limit;
use crate::problem::{Body, Query};
use crate::{ApiError, AppState};

type Result<T> = std::result::Result<T, ApiError>;

/// How many subscribers a list answers with when the caller does not say.
const DEFAULT_LIMIT: u32 = 50;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only this channel: `email`, `webhook`, `slack` or `teams`.
    #[param(inline)]
    pub channel: Option<Channel>,
    /// At most this many (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    pub limit: Option<Limit>,
    /// Where the previous page of results ended: the id of its last subscriber, or the `next`
    /// cursor of a page of recipients.
    pub after: Option<String>,
}

/// A new subscriber: exactly one of `email`, `webhook`, `slack` or `teams`, holding the
/// address to deliver to.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubscriberRequest {
    /// An email address; pending until its owner follows the confirmation link, unless
    /// `confirmed`.
    pub email: Option<String>,
    /// A URL that receives JSON posts signed with the secret this call returns.
    pub webhook: Option<String>,
    /// A Slack incoming-webhook URL.
    pub slack: Option<String>,
    /// A Microsoft Teams incoming-webhook URL.
    pub teams: Option<String>,
    /// The component ids to hear about; none (the default) for all of them.
    #[serde(default)]
    pub components: Vec<Id>,
    /// Webhooks only: `herald` (the default) or `statuspage`.
    pub format: Option<WebhookFormat>,
    /// Email only: the operator vouches for the address, so no confirmation email is sent.
    #[serde(default)]
    pub confirmed: bool,
}

/// The request as the store takes it. Which channel is meant is part of the body's shape, so
/// a body naming none or several is refused as it is read, like any other malformed body.
#[derive(Deserialize)]
#[serde(try_from = "NewSubscriberRequest")]
pub struct NewSubscriberBody(NewSubscriber);

impl TryFrom<NewSubscriberRequest> for NewSubscriberBody {
    type Error = String;

    fn try_from(r: NewSubscriberRequest) -> std::result::Result<Self, String> {
        let given: Vec<(Channel, String)> = [
            (Channel::Email, r.email),
            (Channel::Webhook, r.webhook),
            (Channel::Slack, r.slack),
            (Channel::Teams, r.teams),
        ]
        .into_iter()
        .filter_map(|(channel, address)| address.map(|a| (channel, a)))
        .collect();
        let [(channel, address)] = <[_; 1]>::try_from(given).map_err(|given| {
            let names: Vec<&str> = given.iter().map(|(c, _)| c.name()).collect();
            format!(
                "give exactly one of \"email\", \"webhook\", \"slack\" or \"teams\", holding the address to deliver to; this body has {}",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(" and ")
                }
            )
        })?;
        Ok(NewSubscriberBody(NewSubscriber {
            channel,
            address,
            format: r.format.unwrap_or_default(),
            components: r.components,
            confirmed: r.confirmed,
        }))
    }
}

/// Subscribers, oldest first (responder).
#[utoipa::path(get, path = "/api/v1/pages/{page}/subscribers", tag = "subscribers", params(("page" = String, Path), ListParams),
    responses((status = 200, body = Vec<Subscriber>), (status = 403), (status = 404)))]
pub async fn list(
    State(state): State<AppState>,
    who: Principal,
    Path(page): Path<String>,
    Query(params): Query<ListParams>,
) -> Result<Json<Vec<Subscriber>>> {
    who.require(Role::Responder)?;
    let query = SubscriberQuery {
        channel: params.channel,
        limit: params.limit.map_or(DEFAULT_LIMIT, Limit::get),
        after: params.after,
    };
    Ok(Json(state.store.subscribers(&page, query).await?))
}

/// Adds a subscriber (responder). A webhook's signing secret is in this response and nowhere
/// else, ever.
#[utoipa::path(post, path = "/api/v1/pages/{page}/subscribers", tag = "subscribers", params(("page" = String, Path)),
    request_body = NewSubscriberRequest,
    responses((status = 201, body = CreatedSubscriber), (status = 404), (status = 409, description = "already a subscriber on this channel"), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    who: Principal,
    Path(page): Path<String>,
    Body(NewSubscriberBody(new)): Body<NewSubscriberBody>,
) -> Result<(StatusCode, Json<CreatedSubscriber>)> {
    who.require(Role::Responder)?;
    let created = state.create_subscriber(&who.actor(), &page, new).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// One subscriber, without its signing secret (responder).
#[utoipa::path(get, path = "/api/v1/pages/{page}/subscribers/{subscriber}", tag = "subscribers",
    params(("page" = String, Path), ("subscriber" = String, Path)),
    responses((status = 200, body = Subscriber), (status = 404)))]
pub async fn get(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
) -> Result<Json<Subscriber>> {
    who.require(Role::Responder)?;
    Ok(Json(state.store.subscriber(Some(&page), &id).await?))
}

/// Changes the components, the webhook format or the address (responder). A changed email
/// address is pending until its owner confirms it.
#[utoipa::path(patch, path = "/api/v1/pages/{page}/subscribers/{subscriber}", tag = "subscribers",
    params(("page" = String, Path), ("subscriber" = String, Path)), request_body = SubscriberPatch,
    responses((status = 200, body = Subscriber), (status = 404), (status = 409), (status = 422)))]
pub async fn update(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
    Body(patch): Body<SubscriberPatch>,
) -> Result<Json<Subscriber>> {
    who.require(Role::Responder)?;
    Ok(Json(
        state
            .store
            .update_subscriber(&who.actor(), &page, &id, patch, state.now())
            .await?,
    ))
}

/// Removes a subscriber; nothing more is sent to it (responder).
#[utoipa::path(delete, path = "/api/v1/pages/{page}/subscribers/{subscriber}", tag = "subscribers",
    params(("page" = String, Path), ("subscriber" = String, Path)),
    responses((status = 204), (status = 404)))]
pub async fn delete(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
) -> Result<StatusCode> {
    who.require(Role::Responder)?;
    state
        .store
        .delete_subscriber(&who.actor(), &page, &id, state.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new signing secret for a webhook, shown this once (responder). The previous secret keeps
/// signing for 24 hours as well, so the receiver can switch without missing a delivery.
#[utoipa::path(post, path = "/api/v1/pages/{page}/subscribers/{subscriber}/rotate-secret", tag = "subscribers",
    params(("page" = String, Path), ("subscriber" = String, Path)),
    responses((status = 200, body = CreatedSubscriber), (status = 404), (status = 409, description = "not a webhook")))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
) -> Result<Json<CreatedSubscriber>> {
    who.require(Role::Responder)?;
    Ok(Json(
        state
            .store
            .rotate_subscriber_secret(&who.actor(), &page, &id, state.now())
            .await?,
    ))
}

/// Resumes delivery to a subscriber disabled after failing (responder); its failure streak
/// starts over. Enabling one that is not disabled changes nothing.
#[utoipa::path(post, path = "/api/v1/pages/{page}/subscribers/{subscriber}/enable", tag = "subscribers",
    params(("page" = String, Path), ("subscriber" = String, Path)),
    responses((status = 200, body = Subscriber), (status = 404)))]
pub async fn enable(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
) -> Result<Json<Subscriber>> {
    who.require(Role::Responder)?;
    Ok(Json(
        state
            .store
            .enable_subscriber(&who.actor(), &page, &id, state.now())
            .await?,
    ))
}

/// Every broadcast about an incident, with how far delivery got on each channel.
#[utoipa::path(get, path = "/api/v1/pages/{page}/incidents/{incident}/deliveries", tag = "subscribers",
    params(("page" = String, Path), ("incident" = String, Path)),
    responses((status = 200, body = Vec<DeliveryReport>), (status = 404)))]
pub async fn incident_deliveries(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
) -> Result<Json<Vec<DeliveryReport>>> {
    who.require(Role::Viewer)?;
    report(&state, &page, Subject::Incident, &id).await
}

/// Every broadcast about a maintenance window, with how far delivery got on each channel.
#[utoipa::path(get, path = "/api/v1/pages/{page}/maintenance/{maintenance}/deliveries", tag = "subscribers",
    params(("page" = String, Path), ("maintenance" = String, Path)),
    responses((status = 200, body = Vec<DeliveryReport>), (status = 404)))]
pub async fn maintenance_deliveries(
    State(state): State<AppState>,
    who: Principal,
    Path((page, id)): Path<(String, String)>,
) -> Result<Json<Vec<DeliveryReport>>> {
    who.require(Role::Viewer)?;
    report(&state, &page, Subject::Maintenance, &id).await
}

/// Who a broadcast went to, a page at a time: failures first, then retrying, queued and
/// delivered recipients, each with its last error, its retry state and whether its subscriber
/// is disabled (responder: the list shows subscribers' addresses).
#[utoipa::path(get, path = "/api/v1/pages/{page}/broadcasts/{broadcast}/recipients", tag = "subscribers",
    params(("page" = String, Path), ("broadcast" = String, Path), ListParams),
    responses((status = 200, body = RecipientPage), (status = 404), (status = 422)))]
pub async fn recipients(
    State(state): State<AppState>,
    who: Principal,
    Path((page, broadcast)): Path<(String, String)>,
    Query(params): Query<ListParams>,
) -> Result<Json<RecipientPage>> {
    who.require(Role::Responder)?;
    let query = RecipientQuery {
        channel: params.channel,
        after: params.after,
        limit: params.limit.map_or(DEFAULT_LIMIT, Limit::get),
    };
    Ok(Json(
        state.store.recipients(&page, &broadcast, query).await?,
    ))
}

/// The report of one incident or window. An id that is not one on the page is a 404, not an
/// empty report that would look like nothing was sent.
async fn report(
    state: &AppState,
    page: &str,
    subject: Subject,
    id: &str,
) -> Result<Json<Vec<DeliveryReport>>> {
    match subject {
        Subject::Incident => {
            state.store.incident(page, id).await?;
        }
        Subject::Maintenance => {
            state.store.maintenance(page, id).await?;
        }
    }
    Ok(Json(state.store.delivery_report(page, id).await?))
}
