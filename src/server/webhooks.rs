//! The messaging platforms' webhooks: `/webhooks/{channel_id}`, called by WhatsApp, Telegram,
//! LINE and Viber with their own proof of origin instead of an API key. GET answers a
//! subscription check; POST is acknowledged only once every event in it is stored.

use std::collections::HashMap;
use std::sync::Arc;

use app::channels::{MAX_WEBHOOK_BYTES, WebhookAnswer, WebhookCall, WebhookTally};
use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use super::AppState;
use super::error::{ApiError, Code, ErrorBody};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/webhooks/{channel_id}", get(handshake).post(deliver))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct WebhookReceived {
    #[schema(value_type = Object)]
    received: WebhookTally,
}

/// A platform's subscription check (Meta's `hub.mode=subscribe&hub.verify_token=..&
/// hub.challenge=..`): the challenge, as plain text, when the token is the channel's.
#[utoipa::path(get, path = "/webhooks/{channel_id}", tag = "channels",
    params(("channel_id" = String, Path, description = "the channel's id")),
    responses((status = 200, description = "The challenge, echoed", body = String),
        (status = 401, description = "The verify token is not the channel's", body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn handshake(
    State(state): State<Arc<AppState>>,
    Path(channel_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let query = |name: &str| query.get(name).map(String::as_str);
    let answer = state
        .app
        .receive_webhook(
            &channel_id,
            &WebhookCall {
                handshake: true,
                raw_query: uri.query(),
                header: &header,
                query: &query,
                body: &[],
            },
        )
        .await?;
    match answer {
        WebhookAnswer::Challenge(challenge) => {
            Ok(([(header::CONTENT_TYPE, "text/plain")], challenge).into_response())
        }
        WebhookAnswer::Stored { .. } => Err(ApiError::new(
            Code::BadRequest,
            "the subscription check was not answered",
        )),
    }
}

/// A platform's delivery of events, checked with the channel's secret (a missing or wrong
/// signature is 401 and nothing is stored). Each customer message is stored once, by the
/// platform's id for it: a delivery repeated stores nothing new. Statuses move messages
/// forward only. Events this version does not act on are acknowledged too.
#[utoipa::path(post, path = "/webhooks/{channel_id}", tag = "channels",
    params(("channel_id" = String, Path, description = "the channel's id")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream",
        description = "The platform's payload as it signed it (JSON, a form or XML, as the platform sends)"),
    responses((status = 200, description = "Stored, and acknowledged: a summary, or what the platform reads (TwiML for Twilio)", body = WebhookReceived),
        (status = 401, description = "Not signed with the channel's secret", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 413, description = "Over the limit of 1 MiB", body = ErrorBody),
        (status = 422, description = "Signed, but not in the platform's format", body = ErrorBody)))]
async fn deliver(
    State(state): State<Arc<AppState>>,
    Path(channel_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    let body = axum::body::to_bytes(body, MAX_WEBHOOK_BYTES)
        .await
        .map_err(|_| {
            ApiError::new(
                Code::PayloadTooLarge,
                format!("the delivery is over the webhook's limit of {MAX_WEBHOOK_BYTES} bytes"),
            )
        })?;
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let query = |name: &str| query.get(name).map(String::as_str);
    let answer = state
        .app
        .receive_webhook(
            &channel_id,
            &WebhookCall {
                handshake: false,
                raw_query: uri.query(),
                header: &header,
                query: &query,
                body: &body,
            },
        )
        .await?;
    match answer {
        WebhookAnswer::Stored {
            tally,
            acknowledgment: Some((content_type, body)),
        } => {
            tracing::debug!(?tally, "webhook delivery stored");
            Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
        }
        WebhookAnswer::Stored { tally, .. } => {
            Ok(Json(WebhookReceived { received: tally }).into_response())
        }
        WebhookAnswer::Challenge(_) => Err(ApiError::new(
            Code::BadRequest,
            "a POST carries events, not a subscription check",
        )),
    }
}
