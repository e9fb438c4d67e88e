//! The web chat widget's endpoints, called from the business's site by the visitor's browser
//! (any origin: the visitor's token is their credential, never a cookie): the script itself,
//! the chat's settings, sessions, messages both ways (a POST to send, Server-Sent Events to
//! receive) and typing.

use std::collections::{HashSet, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use app::widget::{VisitorMessage, VisitorSession, VisitorText, WidgetConfig};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::{get, post};
use axum::{Json, Router};
use connectors::widget::SessionRequest;
use futures::Stream;
use records::EventRecord;
use serde::{Deserialize, Serialize};
use tower_http::cors::CorsLayer;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::events::{LogTail, resume_point};
use super::inbox::Typing;

/// The script, as written: small enough to need no build step (its gzipped size is in
/// docs/benchmarks.md).
const SCRIPT: &str = include_str!("widget.js");

pub fn routes() -> Router<Arc<AppState>> {
    let visitor_api = Router::new()
        .route("/widget/{channel_id}/config", get(widget_config))
        .route("/widget/{channel_id}/sessions", post(start_visitor_session))
        .route(
            "/widget/{channel_id}/messages",
            get(visitor_messages).post(send_visitor_message),
        )
        .route("/widget/{channel_id}/events", get(visitor_events))
        .route("/widget/{channel_id}/typing", post(visitor_typing))
        .layer(
            CorsLayer::new()
                .allow_origin(tower_http::cors::Any)
                .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
                .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
                .max_age(Duration::from_secs(3600)),
        );
    Router::new()
        .route("/widget.js", get(widget_script))
        .route("/widget/{channel_id}/preview", get(widget_preview))
        .merge(visitor_api)
}

/// The widget's script: one `<script src=".../widget.js" data-channel="...">` on a page.
#[utoipa::path(get, path = "/widget.js", tag = "widget",
    responses((status = 200, description = "The script", content_type = "text/javascript", body = String)))]
async fn widget_script() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
            (
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            ),
        ],
        SCRIPT,
    )
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PreviewQuery {
    /// The page's language: `en` (the default) or `ar`.
    lang: Option<String>,
}

/// A plain page with nothing but the chat on it, to try the widget before putting it on a
/// site: the business sees what its visitors will.
#[utoipa::path(get, path = "/widget/{channel_id}/preview", tag = "widget",
    params(("channel_id" = String, Path, description = "the widget channel's id"), PreviewQuery),
    responses((status = 200, description = "An HTML page with the chat", content_type = "text/html", body = String),
        (status = 404, body = ErrorBody)))]
async fn widget_preview(
    State(state): State<Arc<AppState>>,
    Path(channel_id): Path<String>,
    Query(query): Query<PreviewQuery>,
) -> Result<axum::response::Html<String>, ApiError> {
    let config = state.app.widget_config(&channel_id).await?;
    let arabic = query.lang.as_deref() == Some("ar");
    let (lang, dir, line) = if arabic {
        ("ar", "rtl", "معاينة المحادثة: الزر في أسفل الصفحة.")
    } else {
        (
            "en",
            "ltr",
            "A preview of the chat: the button is at the bottom of the page.",
        )
    };
    let title = quick_xml::escape::escape(config.name.as_str());
    let id = quick_xml::escape::escape(channel_id.as_str());
    Ok(axum::response::Html(format!(
        "<!doctype html><html lang=\"{lang}\" dir=\"{dir}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title></head>\
         <body style=\"font-family:system-ui,sans-serif;margin:2rem\"><h1>{title}</h1><p>{line}</p>\
         <script src=\"/widget.js\" data-channel=\"{id}\" async></script></body></html>"
    )))
}

/// What the chat shows before the visitor writes: its title and its pre-chat form.
#[utoipa::path(get, path = "/widget/{channel_id}/config", tag = "widget",
    params(("channel_id" = String, Path, description = "the widget channel's id (its public token)")),
    responses((status = 200, body = WidgetConfig), (status = 404, body = ErrorBody)))]
async fn widget_config(
    State(state): State<Arc<AppState>>,
    Path(channel_id): Path<String>,
) -> Result<Json<WidgetConfig>, ApiError> {
    Ok(Json(state.app.widget_config(&channel_id).await?))
}

/// Starts a visitor's session, or resumes one with its `token`. With `user_id` and
/// `user_hash` the site vouches for its signed-in user; a wrong hash is 401, and so is an
/// anonymous visitor where the widget requires identity. A required pre-chat answer missing is
/// 422 naming it.
#[utoipa::path(post, path = "/widget/{channel_id}/sessions", tag = "widget",
    params(("channel_id" = String, Path, description = "the widget channel's id")),
    request_body = SessionRequest,
    responses((status = 200, body = VisitorSession),
        (status = 401, description = "The identity hash is wrong, or required", body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn start_visitor_session(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(channel_id): Path<String>,
    Json(request): Json<SessionRequest>,
) -> Result<Json<VisitorSession>, ApiError> {
    admit(&state, peer)?;
    Ok(Json(
        state
            .app
            .start_visitor_session(&channel_id, &request)
            .await?,
    ))
}

/// A visitor needs no credential: what one client address may ask is limited instead
/// (`rate_limit.visitor_per_second`), as each message may cost an AI turn.
fn admit(state: &AppState, peer: SocketAddr) -> Result<(), ApiError> {
    state
        .visitor_limiter
        .admit(&format!("widget:{}", peer.ip()))
}

/// The visitor's token, from `Authorization: Bearer`.
fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or_else(|| {
            ApiError::from(app::AppError::Unauthorized(
                "Authorization: Bearer <the visitor's token> is required".into(),
            ))
        })
}

/// The visitor's conversation as they see it, oldest first.
#[utoipa::path(get, path = "/widget/{channel_id}/messages", tag = "widget",
    params(("channel_id" = String, Path, description = "the widget channel's id")),
    responses((status = 200, body = Vec<VisitorMessage>),
        (status = 401, description = "No visitor token of this chat", body = ErrorBody)))]
async fn visitor_messages(
    State(state): State<Arc<AppState>>,
    Path(channel_id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Vec<VisitorMessage>>, ApiError> {
    let token = bearer(&headers)?;
    Ok(Json(state.app.visitor_messages(&channel_id, token).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct VisitorMessageStored {
    conversation_id: String,
    message_id: String,
    /// This message was sent before (the same `id`): nothing new was stored.
    duplicate: bool,
}

/// The visitor writes: stored once by its `id`, then answered by the channel's agent or its
/// people, whose answers arrive on the event stream.
#[utoipa::path(post, path = "/widget/{channel_id}/messages", tag = "widget",
    params(("channel_id" = String, Path, description = "the widget channel's id")),
    request_body = VisitorText,
    responses((status = 202, body = VisitorMessageStored),
        (status = 401, description = "No visitor token of this chat", body = ErrorBody)))]
async fn send_visitor_message(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(channel_id): Path<String>,
    headers: HeaderMap,
    Json(posted): Json<VisitorText>,
) -> Result<(StatusCode, Json<VisitorMessageStored>), ApiError> {
    admit(&state, peer)?;
    let token = bearer(&headers)?;
    let received = state
        .app
        .receive_visitor_message(&channel_id, token, posted)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(VisitorMessageStored {
            conversation_id: received.conversation_id,
            message_id: received.message_id,
            duplicate: received.duplicate,
        }),
    ))
}

/// The visitor is typing, or stopped.
#[utoipa::path(post, path = "/widget/{channel_id}/typing", tag = "widget",
    params(("channel_id" = String, Path, description = "the widget channel's id")),
    request_body = Typing,
    responses((status = 204, description = "Announced"),
        (status = 401, description = "No visitor token of this chat", body = ErrorBody)))]
async fn visitor_typing(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(channel_id): Path<String>,
    headers: HeaderMap,
    Json(request): Json<Typing>,
) -> Result<StatusCode, ApiError> {
    admit(&state, peer)?;
    let token = bearer(&headers)?;
    state
        .app
        .visitor_typing(&channel_id, token, request.typing)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VisitorEventsQuery {
    /// The visitor's token: a browser's `EventSource` cannot send headers.
    token: String,
    /// Resume after this event (as `Last-Event-ID` does).
    last_event_id: Option<i64>,
}

/// What is said to the visitor, live: `message` (`{id, direction, sender, text, created_at}`,
/// their own messages from another tab too) and `typing` (`{by, typing}`: the AI or a person).
/// Each event's `id` is its place in the log: a reconnecting `EventSource` resumes after it.
#[utoipa::path(get, path = "/widget/{channel_id}/events", tag = "widget",
    params(("channel_id" = String, Path, description = "the widget channel's id"), VisitorEventsQuery),
    responses((status = 200, description = "text/event-stream of the visitor's conversation", content_type = "text/event-stream", body = String),
        (status = 401, description = "No visitor token of this chat", body = ErrorBody)))]
async fn visitor_events(
    State(state): State<Arc<AppState>>,
    Path(channel_id): Path<String>,
    headers: HeaderMap,
    Query(query): Query<VisitorEventsQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let (widget, visitor) = state.app.visitor(&channel_id, &query.token).await?;
    // Where the log is read from first, then the conversation: one made in between is seen
    // created in the log.
    let resume = resume_point(&headers, query.last_event_id);
    let tail = LogTail::start(state.clone(), &widget.workspace, resume).await?;
    let conversations: HashSet<String> = state
        .app
        .visitor_conversation(&widget, &visitor)
        .await?
        .map(|conversation| conversation.id)
        .into_iter()
        .collect();
    let reader = VisitorReader {
        tail,
        channel: channel_id,
        visitor: visitor.id,
        conversations,
        pending: VecDeque::new(),
    };
    let stream = futures::stream::unfold(reader, |mut reader| async move {
        let event = reader.next().await?;
        Some((Ok(event), reader))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// One visitor's view of the workspace's event log.
struct VisitorReader {
    tail: LogTail,
    channel: String,
    visitor: String,
    /// Their conversations: known at the start, or seen created in the log.
    conversations: HashSet<String>,
    pending: VecDeque<Event>,
}

impl VisitorReader {
    async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(event);
            }
            for event in self.tail.next_batch().await? {
                if let Some(shown) = self.shown(&event) {
                    self.pending.push_back(shown);
                }
            }
        }
    }

    /// The event as the visitor sees it, if it is theirs to see.
    fn shown(&mut self, event: &EventRecord) -> Option<Event> {
        let payload: serde_json::Value = serde_json::from_str(&event.payload).ok()?;
        let conversation = event.conversation_id.as_deref()?;
        if event.kind == "conversation.created"
            && payload["channel_id"] == self.channel.as_str()
            && payload["external_id"] == self.visitor.as_str()
        {
            self.conversations.insert(conversation.to_string());
            return None;
        }
        if !self.conversations.contains(conversation) {
            return None;
        }
        let data = match event.kind.as_str() {
            "message.created" if !["note", "activity"].contains(&payload["kind"].as_str()?) => {
                let direction = payload["direction"].as_str()?;
                let sender = match direction {
                    "in" => "contact",
                    _ => payload["sender"]["kind"].as_str().unwrap_or("system"),
                };
                let mut shown = serde_json::json!({
                    "id": payload["message_id"], "direction": direction, "sender": sender,
                    "text": payload["text"], "created_at": event.created_at,
                });
                let offered = &payload["details"]["offered"];
                if offered
                    .as_array()
                    .is_some_and(|offered| !offered.is_empty())
                {
                    shown["offered"] = offered.clone();
                }
                shown
            }
            "conversation.typing" if payload["by"] != "contact" => {
                serde_json::json!({ "by": payload["by"], "typing": payload["typing"] })
            }
            _ => return None,
        };
        let name = if event.kind == "message.created" {
            "message"
        } else {
            "typing"
        };
        Some(
            Event::default()
                .id(event.seq.to_string())
                .event(name)
                .data(data.to_string()),
        )
    }
}
