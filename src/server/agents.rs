//! Agents: configure (every update a new version), talk to one (JSON or Server-Sent Events),
//! the assistants for people (smart reply, writing assistant), and thumbs up/down.

use std::convert::Infallible;
use std::sync::Arc;

use agentflow::{Contact, Message, TurnRequest};
use app::PreparedTurn;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::Stream;
use records::{AgentRecord, AgentVersion, FeedbackRecord, Rating, Role};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::pages::{self, PageQuery};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/agents", get(list).post(create))
        .route("/v1/agents/{id}", get(show).put(update).delete(remove))
        .route("/v1/agents/{id}/versions", get(versions))
        .route("/v1/agents/{id}/messages", post(message))
        .route("/v1/agents/{id}/suggestions", post(suggestions))
        .route("/v1/polish", post(polish))
        .route("/v1/turns/{id}/feedback", post(feedback))
        .route("/v1/agents/{id}/rated-turns", get(rated_turns))
}

/// An agent as the API shows it: its configuration as an object.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AgentView {
    id: String,
    name: String,
    version: i64,
    #[schema(value_type = agentflow::AgentConfig)]
    config: serde_json::Value,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<AgentRecord> for AgentView {
    type Error = ApiError;

    fn try_from(record: AgentRecord) -> Result<Self, ApiError> {
        let config = serde_json::from_str(&record.config)
            .map_err(|error| ApiError::internal(format!("stored agent {}: {error}", record.id)))?;
        Ok(AgentView {
            config,
            id: record.id,
            name: record.name,
            version: record.version,
            created_at: record.created_at,
            updated_at: record.updated_at,
        })
    }
}

/// Creates an agent from its configuration (the same fields as an agent YAML file).
#[utoipa::path(post, path = "/v1/agents", tag = "agents", security(("bearer" = [])),
    request_body(content = agentflow::AgentConfig, description = "the agent's configuration (the fields of an agent YAML file)"),
    responses((status = 201, body = AgentView), (status = 422, body = ErrorBody)))]
async fn create(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Json(config): Json<serde_json::Value>,
) -> Result<(StatusCode, Json<AgentView>), ApiError> {
    caller.require(Role::TeamAdmin)?;
    let record = state
        .app
        .create_agent(caller.workspace(), caller.actor(), &config)
        .await?;
    Ok((StatusCode::CREATED, Json(record.try_into()?)))
}

#[utoipa::path(get, path = "/v1/agents", params(PageQuery), tag = "agents", security(("bearer" = [])),
    responses((status = 200, description = "a page of agents, oldest first; the next page's cursor in X-Next-Cursor", body = Vec<AgentView>)))]
async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    uri: Uri,
    Query(query): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = query.page()?;
    let agents = state
        .app
        .store
        .agents()
        .list(caller.workspace(), &page)
        .await?;
    Ok(pages::respond(
        &uri,
        &page,
        agents.try_map(AgentView::try_from)?,
    ))
}

#[utoipa::path(get, path = "/v1/agents/{id}", params(("id" = String, Path, description = "the id")), tag = "agents", security(("bearer" = [])),
    responses((status = 200, body = AgentView), (status = 404, body = ErrorBody)))]
async fn show(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<AgentView>, ApiError> {
    let record = state
        .app
        .store
        .agents()
        .get(caller.workspace(), &id)
        .await?;
    Ok(Json(record.try_into()?))
}

/// Replaces the agent's configuration: a new version; earlier ones stay readable.
#[utoipa::path(put, path = "/v1/agents/{id}", params(("id" = String, Path, description = "the id")), tag = "agents", security(("bearer" = [])),
    request_body(content = agentflow::AgentConfig, description = "the agent's configuration (the fields of an agent YAML file)"),
    responses((status = 200, body = AgentView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    Json(config): Json<serde_json::Value>,
) -> Result<Json<AgentView>, ApiError> {
    caller.require(Role::TeamAdmin)?;
    let record = state
        .app
        .update_agent(caller.workspace(), caller.actor(), &id, &config)
        .await?;
    Ok(Json(record.try_into()?))
}

#[utoipa::path(delete, path = "/v1/agents/{id}", params(("id" = String, Path, description = "the id")), tag = "agents", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn remove(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(Role::TeamAdmin)?;
    state
        .app
        .store
        .agents()
        .delete(caller.workspace(), caller.actor(), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/agents/{id}/versions", params(("id" = String, Path, description = "the id"), PageQuery), tag = "agents", security(("bearer" = [])),
    responses((status = 200, body = Vec<AgentVersion>), (status = 404, body = ErrorBody)))]
async fn versions(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    uri: Uri,
    Query(query): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = query.page()?;
    let versions = state
        .app
        .store
        .agents()
        .versions(caller.workspace(), &id, &page)
        .await?;
    Ok(pages::respond(&uri, &page, versions))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MessageRequest {
    /// The customer's message.
    message: String,
    /// Earlier messages, oldest first.
    #[serde(default)]
    history: Vec<Message>,
    #[serde(default)]
    contact: Contact,
    /// Answer as Server-Sent Events (`token` events as a model writes, then `turn`); the same
    /// as sending `Accept: text/event-stream`.
    #[serde(default)]
    stream: bool,
}

pub(super) fn wants_events(headers: &HeaderMap, stream: bool) -> bool {
    stream
        || headers
            .get(header::ACCEPT)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.contains("text/event-stream"))
}

/// Sends a customer message to the agent and returns its turn: a reply with citations or a
/// handoff, with the trace. One credit per AI reply.
#[utoipa::path(post, path = "/v1/agents/{id}/messages", params(("id" = String, Path, description = "the id")), tag = "agents", security(("bearer" = [])),
    request_body = MessageRequest,
    responses((status = 200, description = "the turn (or, streaming, `token` events and then a `turn` event)",
            content((agentflow::Turn = "application/json"), (String = "text/event-stream"))),
        (status = 402, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn message(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(request): Json<MessageRequest>,
) -> Result<Response, ApiError> {
    app::check_message(&request.message)?;
    let streaming = wants_events(&headers, request.stream);
    let turn_request = TurnRequest {
        workspace: caller.workspace().to_string(),
        message: request.message,
        history: request.history,
        contact: request.contact,
    };
    if streaming {
        let prepared = state.app.prepare_turn(caller.workspace(), &id).await?;
        return Ok(stream_turn(state, prepared, turn_request).into_response());
    }
    let turn = state.app.run_turn(&id, &turn_request, None).await?;
    Ok(Json(turn).into_response())
}

/// The turn as Server-Sent Events: `token` while a model writes, then `turn` (or `error`).
/// The turn runs to the end even if the client goes away, so credits and records agree.
fn stream_turn(
    state: Arc<AppState>,
    prepared: PreparedTurn,
    request: TurnRequest,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel::<Event>();
    tokio::spawn(async move {
        let token_sender = sender.clone();
        let mut sink = move |token: &str| {
            let _ = token_sender.send(
                Event::default()
                    .event("token")
                    .data(json!({ "text": token }).to_string()),
            );
        };
        let event = match prepared.run(&state.app, &request, Some(&mut sink)).await {
            Ok(turn) => Event::default()
                .event("turn")
                .data(serde_json::to_string(&turn).unwrap_or_default()),
            Err(error) => Event::default()
                .event("error")
                .data(ApiError::from(error).to_json().to_string()),
        };
        let _ = sender.send(event);
    });
    Sse::new(futures::stream::unfold(
        receiver,
        |mut receiver| async move { receiver.recv().await.map(|event| (Ok(event), receiver)) },
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SuggestionsRequest {
    /// The customer's last message.
    message: String,
    #[serde(default)]
    history: Vec<Message>,
}

/// Smart reply: up to three grounded replies a person may send. One credit per suggestion.
#[utoipa::path(post, path = "/v1/agents/{id}/suggestions", params(("id" = String, Path, description = "the id")), tag = "assistants", security(("bearer" = [])),
    request_body = SuggestionsRequest,
    responses((status = 200, body = agentflow::Suggestions), (status = 402, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn suggestions(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    Json(request): Json<SuggestionsRequest>,
) -> Result<Json<agentflow::Suggestions>, ApiError> {
    let suggested = state
        .app
        .suggest_replies(&id, caller.workspace(), request.message, request.history)
        .await?;
    Ok(Json(suggested))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PolishRequest {
    pub(super) draft: String,
    /// A named tone (`friendly`, `formal`, ...) or a description.
    #[serde(default = "default_tone")]
    pub(super) tone: String,
}

fn default_tone() -> String {
    "friendly".to_string()
}

/// The writing assistant: a person's draft polished to a tone. Needs an LLM. One credit.
#[utoipa::path(post, path = "/v1/polish", tag = "assistants", security(("bearer" = [])),
    request_body = PolishRequest,
    responses((status = 200, body = agentflow::Polished), (status = 402, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn polish(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Json(request): Json<PolishRequest>,
) -> Result<Json<agentflow::Polished>, ApiError> {
    let polished = state
        .app
        .polish(caller.workspace(), &request.draft, &request.tone)
        .await?;
    Ok(Json(polished))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct FeedbackRequest {
    rating: Rating,
    /// What the reply should have said (with a thumbs-down).
    correction: Option<String>,
}

/// Thumbs up or down on a turn, with an optional correction.
#[utoipa::path(post, path = "/v1/turns/{id}/feedback", params(("id" = String, Path, description = "the id")), tag = "agents", security(("bearer" = [])),
    request_body = FeedbackRequest,
    responses((status = 201, body = FeedbackRecord), (status = 404, body = ErrorBody)))]
async fn feedback(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    Json(request): Json<FeedbackRequest>,
) -> Result<(StatusCode, Json<FeedbackRecord>), ApiError> {
    let correction = request
        .correction
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty());
    if correction.is_some() && request.rating == Rating::Up {
        return Err(ApiError::invalid(
            "correction: only a thumbs-down carries a correction",
        ));
    }
    let record = state
        .app
        .store
        .turns()
        .rate(
            caller.workspace(),
            caller.actor(),
            &id,
            request.rating,
            correction,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(record)))
}

/// A turn people rated, with what they said: what eval suites are built from.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RatedTurnView {
    turn_id: String,
    question: String,
    agent_version: i64,
    #[schema(value_type = agentflow::Turn)]
    turn: serde_json::Value,
    rating: Rating,
    correction: Option<String>,
    rated_at: i64,
}

/// The agent's rated turns, oldest first (`switchboard eval from-feedback` reads them).
#[utoipa::path(get, path = "/v1/agents/{id}/rated-turns", params(("id" = String, Path, description = "the id"), PageQuery), tag = "agents", security(("bearer" = [])),
    responses((status = 200, body = Vec<RatedTurnView>), (status = 404, body = ErrorBody)))]
async fn rated_turns(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    uri: Uri,
    Query(query): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = query.page()?;
    state
        .app
        .store
        .agents()
        .get(caller.workspace(), &id)
        .await?;
    let rated = state
        .app
        .store
        .turns()
        .rated(caller.workspace(), &id, &page)
        .await?;
    let views = rated.try_map(|(turn, feedback)| {
        Ok::<_, ApiError>(RatedTurnView {
            turn: serde_json::from_str(&turn.turn)
                .map_err(|error| ApiError::internal(format!("stored turn {}: {error}", turn.id)))?,
            turn_id: turn.id,
            question: turn.question,
            agent_version: turn.agent_version,
            rating: feedback.rating,
            correction: feedback.correction,
            rated_at: feedback.created_at,
        })
    })?;
    Ok(pages::respond(&uri, &page, views))
}
