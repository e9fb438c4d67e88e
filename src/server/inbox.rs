//! The inbox over HTTP: channel accounts and what they receive, conversations with their
//! messages, and what people do to them (reply, note, claim, assign, hand back, resolve,
//! snooze, label, ask for suggestions).

use std::sync::Arc;

use app::{Assignee, ChannelRequest, ChannelView, CreatedChannel, PersonMessage};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use records::{
    ChannelRecord, ConversationFilter, ConversationOrder, ConversationRecord, ConversationStatus,
    DeliveryStatus, Direction, MessageKind, MessageRecord, OwnerKind, Priority, Role, SenderKind,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, Code, ErrorBody};
use super::pages::{self, PageQuery};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/channels", get(channels).post(create_channel))
        .route("/v1/channels/{id}", get(channel))
        .route("/v1/channel-types", get(channel_type_list))
        .route("/v1/channels/{id}/routing", axum::routing::put(set_routing))
        .route("/v1/channels/{id}/templates", get(channel_templates))
        .route("/v1/conversations/{id}/templates", post(send_template))
        .route("/v1/channels/{id}/inbound", post(inbound))
        .route("/v1/channels/{id}/statuses", post(delivery_status))
        .route("/v1/presence", axum::routing::put(set_presence))
        .route("/v1/contacts/{id}", get(contact))
        .route(
            "/v1/canned-responses",
            get(canned_responses).post(create_canned),
        )
        .route(
            "/v1/canned-responses/{id}",
            axum::routing::delete(delete_canned),
        )
        .route("/v1/macros", get(macros).post(create_macro))
        .route("/v1/macros/{id}", axum::routing::delete(delete_macro))
        .route("/v1/conversations/bulk", post(bulk))
        .route("/v1/conversations/{id}/macros/{macro_id}", post(run_macro))
        .route("/v1/conversations", get(conversations))
        .route("/v1/conversations/{id}", get(conversation))
        .route(
            "/v1/conversations/{id}/messages",
            get(messages).post(post_message),
        )
        .route("/v1/conversations/{id}/claim", post(claim))
        .route(
            "/v1/conversations/{id}/attachments/{checksum}",
            get(attachment),
        )
        .route("/v1/conversations/{id}/read", post(mark_read))
        .route("/v1/conversations/{id}/polish", post(polish_reply))
        .route("/v1/conversations/{id}/assign", post(assign))
        .route("/v1/conversations/{id}/status", post(set_status))
        .route("/v1/conversations/{id}/typing", post(person_typing))
        .route("/v1/conversations/{id}/labels", post(labels))
        .route("/v1/conversations/{id}/priority", post(set_priority))
        .route("/v1/conversations/{id}/handback", post(hand_back))
        .route(
            "/v1/conversations/{id}/suggestions",
            post(conversation_suggestions),
        )
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateChannel {
    /// One of `GET /v1/channel-types`: `api`, `widget`, `whatsapp`, `messenger`, `instagram`,
    /// `telegram`, `line`, `viber`, `sms` or `wechat`.
    #[serde(rename = "type")]
    kind: String,
    name: String,
    /// The AI agent that answers first; absent: straight to people.
    agent_id: Option<String>,
    /// The team that receives handoffs no rule places, and conversations without an agent.
    team_id: Option<String>,
    /// The `api` channel's `webhook_url` (where replies are delivered), or the platform's
    /// settings under the names it gives them: `app_secret`, `verify_token`, `access_token`,
    /// `phone_number_id`, `business_account_id` (whatsapp); `bot_token`, `secret_token`
    /// (telegram); `channel_secret`, `access_token` (line); `auth_token`, `bot_name` (viber).
    /// Secrets are sealed at rest and never shown again.
    #[serde(default)]
    #[schema(value_type = Object)]
    config: serde_json::Map<String, Value>,
    /// Handoff teams by reason, business hours, and what a customer gets outside them.
    #[serde(default)]
    routing: inbox::routing::Routing,
}

/// Makes a channel account; its signing secret is in this response and nowhere else, ever.
#[utoipa::path(post, path = "/v1/channels", tag = "inbox", security(("bearer" = [])),
    request_body = CreateChannel, responses((status = 201, body = CreatedChannel),
        (status = 404, description = "The agent or team is not the workspace's", body = ErrorBody)))]
async fn create_channel(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Json(request): Json<CreateChannel>,
) -> Result<(StatusCode, Json<CreatedChannel>), ApiError> {
    caller.require(Role::Admin)?;
    let created = state
        .app
        .create_channel(
            caller.workspace(),
            caller.actor(),
            ChannelRequest {
                kind: request.kind,
                name: request.name,
                agent_id: request.agent_id,
                team_id: request.team_id,
                config: request.config,
                routing: request.routing,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// The types of channel account `POST /v1/channels` makes, with the settings each takes.
#[utoipa::path(get, path = "/v1/channel-types", tag = "inbox", security(("bearer" = [])),
    responses((status = 200, body = Vec<app::ChannelType>)))]
async fn channel_type_list(_signed_in: Caller) -> Json<Vec<app::ChannelType>> {
    Json(app::channel_types())
}

#[utoipa::path(get, path = "/v1/channels", params(PageQuery), tag = "inbox", security(("bearer" = [])),
    responses((status = 200, description = "a page; the next page's cursor in X-Next-Cursor and a Link header", body = Vec<ChannelView>,
        headers(("X-Next-Cursor" = String, description = "the cursor of the next page, when there is one")))))]
async fn channels(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    uri: Uri,
    Query(query): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = query.page()?;
    let listed = state
        .app
        .store
        .channels()
        .list(caller.workspace(), &page)
        .await?;
    let listed = records::Listed {
        items: listed
            .items
            .into_iter()
            .map(|channel| state.app.channel_view(channel))
            .collect(),
        next: listed.next,
    };
    Ok(pages::respond(&uri, &page, listed))
}

#[utoipa::path(get, path = "/v1/channels/{id}", params(("id" = String, Path, description = "the id")),
    tag = "inbox", security(("bearer" = [])),
    responses((status = 200, body = ChannelView), (status = 404, body = ErrorBody)))]
async fn channel(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ChannelView>, ApiError> {
    let channel = state
        .app
        .store
        .channels()
        .get(caller.workspace(), &id)
        .await?;
    Ok(Json(state.app.channel_view(channel)))
}

/// Replaces a channel's routing: which team takes a handoff for which reason, its business
/// hours, and what a customer who writes outside them gets (the AI agent, or an away message
/// once per closed spell).
#[utoipa::path(put, path = "/v1/channels/{id}/routing", params(("id" = String, Path, description = "the channel's id")),
    tag = "inbox", security(("bearer" = [])), request_body = inbox::routing::Routing,
    responses((status = 200, body = ChannelRecord),
        (status = 422, description = "A field of the routing is wrong; the error names it", body = ErrorBody),
        (status = 404, description = "The channel, or a team named, is not the workspace's", body = ErrorBody)))]
async fn set_routing(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    Json(routing): Json<inbox::routing::Routing>,
) -> Result<Json<ChannelRecord>, ApiError> {
    caller.require(Role::Admin)?;
    Ok(Json(
        state
            .app
            .set_routing(caller.workspace(), caller.actor(), &id, routing)
            .await?,
    ))
}

/// A contact: name, language, phones (E.164) and emails, and each channel account they write
/// from (one person on WhatsApp and the widget is one contact). For admins, and for people who
/// may work one of the contact's conversations.
#[utoipa::path(get, path = "/v1/contacts/{id}", params(("id" = String, Path, description = "the id")),
    tag = "inbox", security(("bearer" = [])),
    responses((status = 200, body = records::ContactProfile), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn contact(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<records::ContactProfile>, ApiError> {
    let viewer = state.app.viewer(&caller.0).await?;
    Ok(Json(
        state
            .app
            .contact_for(caller.workspace(), &viewer, &id)
            .await?,
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct InboundAccepted {
    conversation_id: String,
    message_id: String,
}

/// A customer's message from the business's system. The same message id again answers the
/// same ids and stores nothing. When the request carries Standard Webhooks headers
/// (`webhook-id`, `webhook-timestamp`, `webhook-signature`), they must verify against the
/// channel's secret.
#[utoipa::path(post, path = "/v1/channels/{id}/inbound", params(("id" = String, Path, description = "the channel's id")),
    tag = "inbox", security(("bearer" = [])), request_body = connectors::api::InboundBody,
    responses((status = 200, description = "Stored (or stored before) and acknowledged", body = InboundAccepted),
        (status = 404, body = ErrorBody),
        (status = 413, description = "The text is longer than the limit", body = ErrorBody)))]
async fn inbound(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Json<InboundAccepted>, ApiError> {
    caller.require(Role::Admin)?;
    let limit = connectors::api::MAX_INBOUND_BODY_BYTES;
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<usize>().ok());
    let over_the_limit = || {
        ApiError::new(
            Code::PayloadTooLarge,
            format!(
                "the body is over the api channel's limit of {limit} bytes: an attachment \
                 takes up to {} bytes, sent as base64",
                connectors::api::MAX_ATTACHMENT_BYTES
            ),
        )
    };
    if declared.is_some_and(|length| length > limit) {
        return Err(over_the_limit());
    }
    let body: Bytes = axum::body::to_bytes(body, limit).await.map_err(|error| {
        if declared.is_none() {
            // A body sent in chunks is only known to be too long once it is.
            over_the_limit()
        } else {
            ApiError::new(
                Code::BadRequest,
                format!("the body could not be read whole: {error}"),
            )
        }
    })?;
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let received = state
        .app
        .receive_inbound(caller.workspace(), &id, header, &body)
        .await?;
    Ok(Json(InboundAccepted {
        conversation_id: received.conversation_id,
        message_id: received.message_id,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct DeliveryReport {
    /// The message's id, or the id the webhook answered for it.
    message_id: String,
    status: DeliveryStatus,
    /// The platform's error, with `failed`.
    error: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DeliveryRecorded {
    /// False when the status would have moved backwards (a late report): nothing changed.
    moved: bool,
}

/// How far an outbound message got, as the business's system reports it.
#[utoipa::path(post, path = "/v1/channels/{id}/statuses", params(("id" = String, Path, description = "the channel's id")),
    tag = "inbox", security(("bearer" = [])), request_body = DeliveryReport,
    responses((status = 200, body = DeliveryRecorded), (status = 404, body = ErrorBody)))]
async fn delivery_status(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    Json(report): Json<DeliveryReport>,
) -> Result<Json<DeliveryRecorded>, ApiError> {
    caller.require(Role::Admin)?;
    let moved = state
        .app
        .report_delivery(
            caller.workspace(),
            &id,
            &report.message_id,
            report.status,
            report.error.as_deref(),
        )
        .await?;
    Ok(Json(DeliveryRecorded { moved }))
}

/// Who owns a conversation: `kind` null when nobody does.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OwnerView {
    kind: Option<OwnerKind>,
    id: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ConversationView {
    id: String,
    number: i64,
    channel_id: String,
    contact_id: String,
    /// The contact's name, when they gave one.
    contact_name: Option<String>,
    /// The start of the latest message of the customer or an answer (not notes or activities).
    preview: Option<String>,
    status: ConversationStatus,
    snoozed_until: Option<i64>,
    owner: OwnerView,
    team_id: Option<String>,
    priority: Priority,
    labels: Vec<String>,
    /// The customer's messages since the caller last read it; null for a program's key.
    unread: Option<i64>,
    /// The latest handoff: `reason`, `summary`, `team_id`, and the `citations` the AI used.
    #[schema(value_type = Option<Object>)]
    handoff: Option<Value>,
    first_reply_at: Option<i64>,
    last_activity_at: i64,
    waiting_since: Option<i64>,
    window_expires_at: Option<i64>,
    /// When the customer was last sent the channel's away message.
    away_sent_at: Option<i64>,
    created_at: i64,
}

impl TryFrom<ConversationRecord> for ConversationView {
    type Error = ApiError;

    fn try_from(record: ConversationRecord) -> Result<Self, ApiError> {
        Ok(ConversationView {
            owner: OwnerView {
                kind: record.owner_kind()?,
                id: record.owner_id.clone(),
            },
            handoff: record
                .handoff
                .as_deref()
                .and_then(|text| serde_json::from_str(text).ok()),
            id: record.id,
            number: record.number,
            channel_id: record.channel_id,
            contact_id: record.contact_id,
            contact_name: record.contact_name,
            preview: record.preview,
            status: record.status,
            snoozed_until: record.snoozed_until,
            team_id: record.team_id,
            priority: record.priority,
            labels: record.labels,
            unread: None,
            first_reply_at: record.first_reply_at,
            last_activity_at: record.last_activity_at,
            waiting_since: record.waiting_since,
            window_expires_at: record.window_expires_at,
            away_sent_at: record.away_sent_at,
            created_at: record.created_at,
        })
    }
}

/// Which conversations: a view, then filters.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConversationQuery {
    /// `mine` (the caller's), `unassigned` (their teams' without a person), `teams` (their
    /// teams'), `all` (admins), `handoffs` (open and waiting for a person).
    view: Option<String>,
    /// `last_activity` (the default: the latest first) or `waiting` (only those waiting for
    /// a person, the longest waiting first).
    sort: Option<String>,
    status: Option<ConversationStatus>,
    priority: Option<Priority>,
    /// The owner's kind: `agent`, `team` or `user`.
    owner: Option<OwnerKind>,
    /// The owner's id.
    owner_id: Option<String>,
    team_id: Option<String>,
    label: Option<String>,
    channel_id: Option<String>,
    /// Words in a message of the conversation (Arabic matched without diacritics, with alef,
    /// yaa and taa marbuta forms unified).
    q: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

/// The conversations the caller may see, the latest activity first (or the longest waiting
/// first: `sort=waiting`).
#[utoipa::path(get, path = "/v1/conversations", params(ConversationQuery), tag = "inbox", security(("bearer" = [])),
    responses((status = 200, description = "a page; the next page's cursor in X-Next-Cursor and a Link header", body = Vec<ConversationView>,
        headers(("X-Next-Cursor" = String, description = "the cursor of the next page, when there is one")))))]
async fn conversations(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    uri: Uri,
    Query(query): Query<ConversationQuery>,
) -> Result<Response, ApiError> {
    let page = records::Page::parse(query.limit, query.cursor.as_deref())?;
    let viewer = state.app.viewer(&caller.0).await?;
    let order = match query.sort.as_deref() {
        None | Some("last_activity") => ConversationOrder::LastActivity,
        Some("waiting") => ConversationOrder::LongestWaiting,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "sort: {other:?} is not one of last_activity, waiting"
            ))
            .about("sort"));
        }
    };
    let mut filter = ConversationFilter {
        order,
        status: query.status,
        priority: query.priority,
        owner_kind: query.owner,
        owner_id: query.owner_id,
        team_id: query.team_id,
        label: query.label,
        channel_id: query.channel_id,
        text: query
            .q
            .as_deref()
            .map(app::search_form)
            .filter(|text| !text.is_empty()),
        ..ConversationFilter::default()
    };
    let admin = viewer.role == Role::Admin;
    match query.view.as_deref() {
        None | Some("all") if admin => {}
        None => {}
        Some("all") => {
            return Err(ApiError::new(
                Code::Forbidden,
                "view: all is for admins; team admins and staff see their teams' and their own",
            ));
        }
        Some("mine") => {
            filter.owner_kind = Some(OwnerKind::User);
            filter.owner_id = Some(viewer.user.clone().unwrap_or_default());
        }
        Some("unassigned") => {
            filter.without_person = true;
            if !admin {
                filter.team_id = Some(viewer.team.clone().unwrap_or_default());
            }
        }
        Some("teams") => {
            filter.team_id = Some(viewer.team.clone().unwrap_or_default());
        }
        Some("handoffs") => {
            filter.status = Some(ConversationStatus::Open);
            filter.without_person = true;
        }
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "view: {other:?} is not one of mine, unassigned, teams, all, handoffs"
            ))
            .about("view"));
        }
    }
    if !admin {
        filter.visible_to = Some((viewer.user.clone(), viewer.team.clone()));
    }
    let listed = state
        .app
        .store
        .conversations()
        .list(caller.workspace(), &filter, &page)
        .await?
        .try_map(ConversationView::try_from)?;
    let listed = with_unread(&state, caller.workspace(), &viewer, listed).await?;
    Ok(pages::respond(&uri, &page, listed))
}

#[utoipa::path(get, path = "/v1/conversations/{id}", params(("id" = String, Path, description = "the id")),
    tag = "inbox", security(("bearer" = [])),
    responses((status = 200, body = ConversationView), (status = 404, body = ErrorBody)))]
async fn conversation(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ConversationView>, ApiError> {
    let viewer = state.app.viewer(&caller.0).await?;
    let record = state
        .app
        .conversation_for(caller.workspace(), &viewer, &id)
        .await?;
    let listed = records::Listed {
        items: vec![ConversationView::try_from(record)?],
        next: None,
    };
    let mut listed = with_unread(&state, caller.workspace(), &viewer, listed).await?;
    Ok(Json(listed.items.remove(0)))
}

/// Each conversation's unread count for the person looking (none for a program).
async fn with_unread(
    state: &AppState,
    workspace: &str,
    viewer: &inbox::Viewer,
    mut listed: records::Listed<ConversationView>,
) -> Result<records::Listed<ConversationView>, ApiError> {
    let Some(user) = &viewer.user else {
        return Ok(listed);
    };
    let ids: Vec<String> = listed.items.iter().map(|item| item.id.clone()).collect();
    let unread = state
        .app
        .store
        .conversations()
        .unread(workspace, user, &ids)
        .await?;
    for item in &mut listed.items {
        item.unread = Some(unread.get(&item.id).copied().unwrap_or(0));
    }
    Ok(listed)
}

/// The caller has read the conversation up to now: its unread count for them is 0.
#[utoipa::path(post, path = "/v1/conversations/{id}/read", params(("id" = String, Path, description = "the id")),
    tag = "inbox", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody),
        (status = 422, description = "The credential is a program's, not a person's", body = ErrorBody)))]
async fn mark_read(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let viewer = state.app.viewer(&caller.0).await?;
    state
        .app
        .conversation_for(caller.workspace(), &viewer, &id)
        .await?;
    let Some(user) = &viewer.user else {
        return Err(ApiError::invalid(
            "reading is a person's: sign in as the person",
        ));
    };
    state
        .app
        .store
        .conversations()
        .mark_read(caller.workspace(), &id, user)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who wrote a message.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SenderView {
    kind: SenderKind,
    id: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MessageView {
    id: String,
    conversation_id: String,
    direction: Direction,
    sender: SenderView,
    kind: MessageKind,
    text: String,
    status: DeliveryStatus,
    /// Why it failed, as the platform said.
    error: Option<String>,
    reply_to: Option<String>,
    platform_message_id: Option<String>,
    /// The AI turn that wrote it.
    turn_id: Option<String>,
    /// An AI reply's citations.
    #[schema(value_type = Option<Vec<agentflow::Citation>>)]
    citations: Option<Value>,
    /// A handoff activity's reason, summary and citations.
    #[schema(value_type = Option<Object>)]
    handoff: Option<Value>,
    /// What another activity records, for an interface to say in its reader's language:
    /// `kind` (`claimed`, `assigned` and `assigned_to_team` with `to` and `note`,
    /// `unassigned`, `auto_assigned`, `handed_back` with `agent`, `status` with `status`,
    /// `snooze_ended`); `text` says it in English.
    #[schema(value_type = Option<Object>)]
    activity: Option<Value>,
    /// The files it carries (`media`); each is read at
    /// `GET /v1/conversations/{id}/attachments/{checksum}`.
    attachments: Vec<records::Attachment>,
    /// A file the customer sent that stays on the platform: its kind, the platform's id or
    /// address for it, its name and type where given.
    #[schema(value_type = Option<Object>)]
    media: Option<Value>,
    /// A place the customer shared: latitude and longitude.
    #[schema(value_type = Option<Object>)]
    location: Option<Value>,
    /// The customer's emoji on this message.
    reaction: Option<String>,
    /// When the customer last changed its text (ms).
    edited_at: Option<i64>,
    /// When the customer took it back (ms): its text is gone.
    unsent_at: Option<i64>,
    /// What sending it cost in the platform's billing units (SMS: segments, 160 GSM-7
    /// characters or 70 UCS-2 units each, fewer when split).
    cost_units: Option<i64>,
    /// A web chat visitor's message: whether the site vouched for them, what they told the
    /// pre-chat form (`email`, `phone`: unverified unless `verified`) and the page they wrote
    /// from (`page_url`).
    #[schema(value_type = Option<Object>)]
    visitor: Option<Value>,
    created_at: i64,
}

impl From<MessageRecord> for MessageView {
    fn from(record: MessageRecord) -> Self {
        let details: Option<Value> = record
            .details
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok());
        let citations = details
            .as_ref()
            .filter(|_| record.kind != MessageKind::Activity)
            .and_then(|details| details.get("citations").cloned());
        let said = |name: &str| {
            details
                .as_ref()
                .and_then(|details| details.get(name).cloned())
        };
        let visitor = said("visitor");
        let activity = said("activity").filter(|_| record.kind == MessageKind::Activity);
        let (media, location, reaction, edited_at, unsent_at, cost_units) = (
            said("media"),
            said("location"),
            said("reaction").and_then(|value| value.as_str().map(str::to_string)),
            said("edited_at").and_then(|value| value.as_i64()),
            said("unsent_at").and_then(|value| value.as_i64()),
            said("cost_units").and_then(|value| value.as_i64()),
        );
        let handoff = details.filter(|details| {
            record.kind == MessageKind::Activity && details.get("reason").is_some()
        });
        MessageView {
            id: record.id,
            conversation_id: record.conversation_id,
            direction: record.direction,
            sender: SenderView {
                kind: record.sender_kind,
                id: record.sender_id,
            },
            kind: record.kind,
            text: record.text,
            status: record.status,
            error: record.error,
            reply_to: record.reply_to,
            platform_message_id: record.platform_message_id,
            turn_id: record.turn_id,
            citations,
            activity,
            handoff,
            attachments: record.attachments,
            media,
            location,
            reaction,
            edited_at,
            unsent_at,
            cost_units,
            visitor,
            created_at: record.created_at,
        }
    }
}

/// A file a message of the conversation carries, for one who may work the conversation.
#[utoipa::path(get, path = "/v1/conversations/{id}/attachments/{checksum}",
    params(("id" = String, Path, description = "the conversation's id"),
        ("checksum" = String, Path, description = "the attachment's checksum")),
    tag = "inbox", security(("bearer" = [])),
    responses((status = 200, description = "The file's bytes, with its content type", content_type = "application/octet-stream"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn attachment(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((id, checksum)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let viewer = state.app.viewer(&caller.0).await?;
    state
        .app
        .conversation_for(caller.workspace(), &viewer, &id)
        .await?;
    let attachment = state
        .app
        .store
        .conversations()
        .attachment(caller.workspace(), &id, &checksum)
        .await?;
    let bytes = state
        .app
        .files
        .read(&attachment.checksum)
        .await
        .map_err(|error| {
            ApiError::from(app::AppError::Internal(format!(
                "attachment {}: {error}",
                attachment.checksum
            )))
        })?;
    let name: String = attachment
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Response::builder()
        .header(axum::http::header::CONTENT_TYPE, &attachment.content_type)
        .header(
            axum::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        )
        .header(axum::http::header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(axum::http::header::CONTENT_SECURITY_POLICY, "sandbox")
        .body(axum::body::Body::from(bytes))
        .map_err(|error| ApiError::from(app::AppError::Internal(error.to_string())))
}

/// The conversation's messages, oldest first: the customer's, the AI's and people's replies,
/// notes and activities.
#[utoipa::path(get, path = "/v1/conversations/{id}/messages", params(("id" = String, Path, description = "the id"), PageQuery),
    tag = "inbox", security(("bearer" = [])),
    responses((status = 200, description = "a page; the next page's cursor in X-Next-Cursor and a Link header", body = Vec<MessageView>,
        headers(("X-Next-Cursor" = String, description = "the cursor of the next page, when there is one"))),
        (status = 404, body = ErrorBody)))]
async fn messages(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    uri: Uri,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = query.page()?;
    let viewer = state.app.viewer(&caller.0).await?;
    state
        .app
        .conversation_for(caller.workspace(), &viewer, &id)
        .await?;
    let listed = state
        .app
        .store
        .conversations()
        .messages(caller.workspace(), &id, &page)
        .await?;
    let listed = records::Listed {
        items: listed.items.into_iter().map(MessageView::from).collect(),
        next: listed.next,
    };
    Ok(pages::respond(&uri, &page, listed))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PostMessage {
    /// What to send; or leave it out and send `canned`.
    text: Option<String>,
    /// A canned response's short code: its text is sent, its variables filled.
    canned: Option<String>,
    /// `text` (a reply to the customer, the default) or `note` (private, for people).
    kind: Option<MessageKind>,
}

/// A person's reply (it reopens a resolved conversation) or private note (it never reaches
/// the customer; `@name` mentions notify people).
#[utoipa::path(post, path = "/v1/conversations/{id}/messages", params(("id" = String, Path, description = "the id")),
    tag = "inbox", security(("bearer" = [])), request_body = PostMessage,
    responses((status = 201, body = MessageView), (status = 404, body = ErrorBody),
        (status = 409, description = "The conversation changed meanwhile", body = ErrorBody),
        (status = 413, description = "The text is longer than the limit", body = ErrorBody)))]
async fn post_message(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    Json(request): Json<PostMessage>,
) -> Result<(StatusCode, Json<MessageView>), ApiError> {
    let kind = match request.kind {
        None | Some(MessageKind::Text) => PersonMessage::Reply,
        Some(MessageKind::Note) => PersonMessage::Note,
        Some(other) => {
            return Err(
                ApiError::invalid(format!("kind: people send text or note, not {other}"))
                    .about("kind"),
            );
        }
    };
    let viewer = state.app.viewer(&caller.0).await?;
    let text = match (request.text, request.canned) {
        (Some(text), None) => text,
        (None, Some(code)) => {
            state
                .app
                .render_canned(caller.workspace(), &viewer, &id, &code)
                .await?
        }
        _ => {
            return Err(ApiError::invalid("send text or canned, one of the two").about("text"));
        }
    };
    let message = state
        .app
        .post_message(caller.workspace(), &viewer, &id, &text, kind)
        .await?;
    Ok((StatusCode::CREATED, Json(message.into())))
}

/// A WhatsApp channel account's message templates as WhatsApp lists them (read again every 5
/// minutes): what may be sent outside the 24-hour window.
#[utoipa::path(get, path = "/v1/channels/{id}/templates", params(("id" = String, Path, description = "the channel's id")),
    tag = "inbox", security(("bearer" = [])),
    responses((status = 200, body = Vec<connectors::whatsapp_templates::TemplateDefinition>),
        (status = 422, description = "Not a WhatsApp channel", body = ErrorBody),
        (status = 502, description = "WhatsApp's list could not be read", body = ErrorBody)))]
async fn channel_templates(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<connectors::whatsapp_templates::TemplateDefinition>>, ApiError> {
    let templates = state
        .app
        .whatsapp_templates(caller.workspace(), &id)
        .await?;
    Ok(Json(templates.as_ref().clone()))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SendTemplate {
    /// The template's name, as WhatsApp lists it.
    name: String,
    /// Its language code (`en_US`, `ar`).
    language: String,
    #[serde(default)]
    values: connectors::whatsapp_templates::TemplateValues,
}

/// A person sends an approved WhatsApp template: the one message that may go outside the
/// 24-hour window. Its values are checked against the template before it is queued: a value
/// for each placeholder of the header, body and URL buttons, a media header's https link.
#[utoipa::path(post, path = "/v1/conversations/{id}/templates", params(("id" = String, Path, description = "the conversation's id")),
    tag = "inbox", security(("bearer" = [])), request_body = SendTemplate,
    responses((status = 201, body = MessageView),
        (status = 422, description = "No such approved template, or values that do not fit it; the error names which", body = ErrorBody),
        (status = 502, description = "WhatsApp's list could not be read", body = ErrorBody)))]
async fn send_template(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    Json(request): Json<SendTemplate>,
) -> Result<(StatusCode, Json<MessageView>), ApiError> {
    let viewer = state.app.viewer(&caller.0).await?;
    let message = state
        .app
        .send_template(
            caller.workspace(),
            &viewer,
            &id,
            &request.name,
            &request.language,
            request.values,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(message.into())))
}

/// The caller takes the conversation. Of several people claiming at once one wins; the
/// others are answered 409.
#[utoipa::path(post, path = "/v1/conversations/{id}/claim", params(("id" = String, Path, description = "the id")),
    tag = "inbox", security(("bearer" = [])),
    responses((status = 200, body = ConversationView), (status = 404, body = ErrorBody),
        (status = 409, description = "Another person has it", body = ErrorBody)))]
async fn claim(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ConversationView>, ApiError> {
    let viewer = state.app.viewer(&caller.0).await?;
    let record = state.app.claim(caller.workspace(), &viewer, &id).await?;
    Ok(Json(record.try_into()?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Assign {
    /// A person of the workspace.
    user_id: Option<String>,
    /// A team's queue.
    team_id: Option<String>,
    /// Why it is handed over, kept with the transfer for those who take it (never sent to the
    /// customer).
    note: Option<String>,
}

/// Gives the conversation to a person or a team's queue; neither: back to its team's queue.
#[utoipa::path(post, path = "/v1/conversations/{id}/assign", params(("id" = String, Path, description = "the id")),
    tag = "inbox", security(("bearer" = [])), request_body = Assign,
    responses((status = 200, body = ConversationView), (status = 404, body = ErrorBody),
        (status = 409, description = "The conversation changed meanwhile", body = ErrorBody)))]
async fn assign(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    Json(request): Json<Assign>,
) -> Result<Json<ConversationView>, ApiError> {
    let viewer = state.app.viewer(&caller.0).await?;
    let workspace = caller.workspace();
    let record = match (request.user_id, request.team_id) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid("send user_id or team_id, not both").about("user_id"));
        }
        (Some(user), None) => {
            state
                .app
                .assign(
                    workspace,
                    &viewer,
                    &id,
                    Assignee::User(user),
                    request.note.as_deref(),
                )
                .await?
        }
        (None, Some(team)) => {
            state
                .app
                .assign(
                    workspace,
                    &viewer,
                    &id,
                    Assignee::Team(team),
                    request.note.as_deref(),
                )
                .await?
        }
        (None, None) if request.note.is_some() => {
            return Err(
                ApiError::invalid("note: a transfer note goes with user_id or team_id")
                    .about("note"),
            );
        }
        (None, None) => state.app.unassign(workspace, &viewer, &id).await?,
    };
    Ok(Json(record.try_into()?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SetStatus {
    status: ConversationStatus,
    /// With `snoozed`: when it opens again (milliseconds since the Unix epoch).
    snoozed_until: Option<i64>,
}

/// Opens, resolves, or snoozes the conversation until a time.
#[utoipa::path(post, path = "/v1/conversations/{id}/status", params(("id" = String, Path, description = "the id")),
    tag = "inbox", security(("bearer" = [])), request_body = SetStatus,
    responses((status = 200, body = ConversationView), (status = 404, body = ErrorBody),
        (status = 409, description = "The conversation changed meanwhile", body = ErrorBody)))]
async fn set_status(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    Json(request): Json<SetStatus>,
) -> Result<Json<ConversationView>, ApiError> {
    let viewer = state.app.viewer(&caller.0).await?;
    let record = state
        .app
        .set_status(
            caller.workspace(),
            &viewer,
            &id,
            request.status,
            request.snoozed_until,
        )
        .await?;
    Ok(Json(record.try_into()?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Typing {
    /// `true` while typing (send it again every few seconds), `false` on stopping.
    pub(super) typing: bool,
}

/// The caller is typing a reply (or stopped): the customer sees it where their channel shows
/// typing (the web chat widget), and the people on the conversation see it live.
#[utoipa::path(post, path = "/v1/conversations/{id}/typing", params(("id" = String, Path, description = "the id")),
    tag = "inbox", security(("bearer" = [])), request_body = Typing,
    responses((status = 204, description = "Announced"), (status = 404, body = ErrorBody)))]
async fn person_typing(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    Json(request): Json<Typing>,
) -> Result<StatusCode, ApiError> {
    let viewer = state.app.viewer(&caller.0).await?;
    state
        .app
        .person_typing(caller.workspace(), &viewer, &id, request.typing)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ChangeLabels {
    #[serde(default)]
    add: Vec<String>,
    #[serde(default)]
    remove: Vec<String>,
}

/// Adds and removes labels; answers the conversation's labels after.
#[utoipa::path(post, path = "/v1/conversations/{id}/labels", params(("id" = String, Path, description = "the id")),
    tag = "inbox", security(("bearer" = [])), request_body = ChangeLabels,
    responses((status = 200, body = Vec<String>), (status = 404, body = ErrorBody)))]
async fn labels(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    Json(request): Json<ChangeLabels>,
) -> Result<Json<Vec<String>>, ApiError> {
    let viewer = state.app.viewer(&caller.0).await?;
    Ok(Json(
        state
            .app
            .label(
                caller.workspace(),
                &viewer,
                &id,
                &request.add,
                &request.remove,
            )
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ChangePriority {
    priority: Priority,
}

/// Sets how urgent the conversation is: `none`, `low`, `medium`, `high` or `urgent`.
#[utoipa::path(post, path = "/v1/conversations/{id}/priority", params(("id" = String, Path, description = "the id")),
    tag = "inbox", security(("bearer" = [])), request_body = ChangePriority,
    responses((status = 200, body = ConversationView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn set_priority(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    Json(request): Json<ChangePriority>,
) -> Result<Json<ConversationView>, ApiError> {
    let viewer = state.app.viewer(&caller.0).await?;
    let record = state
        .app
        .set_priority(caller.workspace(), &viewer, &id, request.priority)
        .await?;
    Ok(Json(ConversationView::try_from(record)?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct HandBack {
    /// The AI agent that answers the customer's next message.
    agent_id: String,
}

/// Hands the conversation back to an AI agent.
#[utoipa::path(post, path = "/v1/conversations/{id}/handback", params(("id" = String, Path, description = "the id")),
    tag = "inbox", security(("bearer" = [])), request_body = HandBack,
    responses((status = 200, body = ConversationView), (status = 404, body = ErrorBody),
        (status = 409, description = "The conversation changed meanwhile", body = ErrorBody)))]
async fn hand_back(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    Json(request): Json<HandBack>,
) -> Result<Json<ConversationView>, ApiError> {
    let viewer = state.app.viewer(&caller.0).await?;
    let record = state
        .app
        .hand_back(caller.workspace(), &viewer, &id, &request.agent_id)
        .await?;
    Ok(Json(record.try_into()?))
}

#[derive(Default, Deserialize, utoipa::ToSchema)]
pub struct SuggestFor {
    /// The agent whose knowledge suggests; the channel's agent when absent.
    agent_id: Option<String>,
}

/// Smart replies to the customer's latest message, over the conversation so far: one credit
/// per suggestion.
#[utoipa::path(post, path = "/v1/conversations/{id}/suggestions", params(("id" = String, Path, description = "the id")),
    tag = "inbox", security(("bearer" = [])), request_body = SuggestFor,
    responses((status = 200, body = agentflow::Suggestions), (status = 404, body = ErrorBody),
        (status = 402, body = ErrorBody)))]
async fn conversation_suggestions(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    Json(request): Json<SuggestFor>,
) -> Result<Json<agentflow::Suggestions>, ApiError> {
    let viewer = state.app.viewer(&caller.0).await?;
    Ok(Json(
        state
            .app
            .suggest_for_conversation(
                caller.workspace(),
                &viewer,
                &id,
                request.agent_id.as_deref(),
            )
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SetPresence {
    presence: records::Presence,
}

/// Whether the signed-in person takes conversations: coming `online`, they are given what
/// waits in their team's queue (the fewest open first, within their capacity).
#[utoipa::path(put, path = "/v1/presence", tag = "inbox", security(("bearer" = [])),
    request_body = SetPresence, responses((status = 200, body = records::User)))]
async fn set_presence(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Json(request): Json<SetPresence>,
) -> Result<Json<records::User>, ApiError> {
    let viewer = state.app.viewer(&caller.0).await?;
    Ok(Json(
        state
            .app
            .set_presence(caller.workspace(), &viewer, request.presence)
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateCanned {
    /// What people type to use it: letters, digits, - or _.
    short_code: String,
    /// With `{{contact.name}}`, `{{agent.name}}` or `{{conversation.number}}`.
    text: String,
    /// Shared by the workspace (admins); otherwise the signed-in person's own.
    #[serde(default)]
    shared: bool,
}

/// Makes a canned response.
#[utoipa::path(post, path = "/v1/canned-responses", tag = "inbox", security(("bearer" = [])),
    request_body = CreateCanned, responses((status = 201, body = records::CannedResponse),
        (status = 409, description = "The short code is taken", body = ErrorBody)))]
async fn create_canned(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Json(request): Json<CreateCanned>,
) -> Result<(StatusCode, Json<records::CannedResponse>), ApiError> {
    let viewer = state.app.viewer(&caller.0).await?;
    let canned = state
        .app
        .create_canned(
            caller.workspace(),
            &viewer,
            &request.short_code,
            &request.text,
            request.shared,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(canned)))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CannedQuery {
    /// Only the short codes that start with this.
    prefix: Option<String>,
}

/// The canned responses the caller may use (shared and their own), by short code.
#[utoipa::path(get, path = "/v1/canned-responses", params(CannedQuery), tag = "inbox", security(("bearer" = [])),
    responses((status = 200, body = Vec<records::CannedResponse>)))]
async fn canned_responses(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(query): Query<CannedQuery>,
) -> Result<Json<Vec<records::CannedResponse>>, ApiError> {
    let viewer = state.app.viewer(&caller.0).await?;
    let prefix = query.prefix.unwrap_or_default().trim().to_lowercase();
    Ok(Json(
        state
            .app
            .store
            .canned_responses()
            .usable(caller.workspace(), viewer.user.as_deref(), &prefix)
            .await?,
    ))
}

/// Deletes a canned response: a person their own, an admin any.
#[utoipa::path(delete, path = "/v1/canned-responses/{id}", params(("id" = String, Path, description = "the id")),
    tag = "inbox", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_canned(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let viewer = state.app.viewer(&caller.0).await?;
    state
        .app
        .store
        .canned_responses()
        .delete(caller.workspace(), viewer.deletes_as(), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateMacro {
    name: String,
    /// Run in order: `add_label`, `remove_label`, `assign_user`, `assign_team`, `unassign`,
    /// `set_status`, `send_canned`, `note`.
    actions: Vec<inbox::macros::MacroAction>,
    /// Shared by the workspace (admins); otherwise the signed-in person's own.
    #[serde(default)]
    shared: bool,
}

/// Makes a macro.
#[utoipa::path(post, path = "/v1/macros", tag = "inbox", security(("bearer" = [])),
    request_body = CreateMacro, responses((status = 201, body = app::MacroView)))]
async fn create_macro(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Json(request): Json<CreateMacro>,
) -> Result<(StatusCode, Json<app::MacroView>), ApiError> {
    let viewer = state.app.viewer(&caller.0).await?;
    let created = state
        .app
        .create_macro(
            caller.workspace(),
            &viewer,
            &request.name,
            request.actions,
            request.shared,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// The macros the caller may run (shared and their own), oldest first.
#[utoipa::path(get, path = "/v1/macros", tag = "inbox", security(("bearer" = [])),
    responses((status = 200, body = Vec<app::MacroView>)))]
async fn macros(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Vec<app::MacroView>>, ApiError> {
    let viewer = state.app.viewer(&caller.0).await?;
    Ok(Json(
        state.app.macros_for(caller.workspace(), &viewer).await?,
    ))
}

/// Deletes a macro: a person their own, an admin any.
#[utoipa::path(delete, path = "/v1/macros/{id}", params(("id" = String, Path, description = "the id")),
    tag = "inbox", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_macro(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let viewer = state.app.viewer(&caller.0).await?;
    state
        .app
        .store
        .macros()
        .delete(caller.workspace(), viewer.deletes_as(), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Runs a macro's actions on the conversation in order; the first that cannot be done stops
/// it, named by its place (`actions[2]: ...`), and the ones before it stay done.
#[utoipa::path(post, path = "/v1/conversations/{id}/macros/{macro_id}",
    params(("id" = String, Path, description = "the conversation"), ("macro_id" = String, Path, description = "the macro")),
    tag = "inbox", security(("bearer" = [])),
    responses((status = 200, body = ConversationView), (status = 404, body = ErrorBody),
        (status = 409, description = "The conversation changed meanwhile", body = ErrorBody)))]
async fn run_macro(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((id, macro_id)): Path<(String, String)>,
) -> Result<Json<ConversationView>, ApiError> {
    let viewer = state.app.viewer(&caller.0).await?;
    let record = state
        .app
        .run_macro(caller.workspace(), &viewer, &id, &macro_id)
        .await?;
    Ok(Json(record.try_into()?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct BulkAction {
    /// Up to 500 conversations (a list the person filtered and selected).
    conversation_ids: Vec<String>,
    action: inbox::macros::MacroAction,
}

/// One action over many conversations: for each, done, or why not.
#[utoipa::path(post, path = "/v1/conversations/bulk", tag = "inbox", security(("bearer" = [])),
    request_body = BulkAction, responses((status = 200, body = Vec<app::BulkOutcome>)))]
async fn bulk(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Json(request): Json<BulkAction>,
) -> Result<Json<Vec<app::BulkOutcome>>, ApiError> {
    let viewer = state.app.viewer(&caller.0).await?;
    Ok(Json(
        state
            .app
            .bulk(
                caller.workspace(),
                &viewer,
                &request.conversation_ids,
                &request.action,
            )
            .await?,
    ))
}

/// The writing assistant on a reply to this conversation: the person's draft polished to a
/// tone. Needs an LLM; one credit.
#[utoipa::path(post, path = "/v1/conversations/{id}/polish", params(("id" = String, Path, description = "the id")),
    tag = "inbox", security(("bearer" = [])), request_body = super::agents::PolishRequest,
    responses((status = 200, body = agentflow::Polished), (status = 404, body = ErrorBody),
        (status = 402, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn polish_reply(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    Json(request): Json<super::agents::PolishRequest>,
) -> Result<Json<agentflow::Polished>, ApiError> {
    let viewer = state.app.viewer(&caller.0).await?;
    state
        .app
        .conversation_for(caller.workspace(), &viewer, &id)
        .await?;
    Ok(Json(
        state
            .app
            .polish(caller.workspace(), &request.draft, &request.tone)
            .await?,
    ))
}
