//! Agents: configure (every update a new version), talk to one (JSON or Server-Sent Events),
//! the assistants for people (smart reply, writing assistant), and thumbs up/down.

use std::convert::Infallible;
use std::sync::Arc;

use agentflow::{AgentConfig, Contact, Message, REPLY_CREDITS, SMART_REPLIES, Turn, TurnRequest};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::Stream;
use inbox::{AgentRecord, AgentVersion, FeedbackRecord, Rating, Role, TurnRecord};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::auth::Caller;
use super::error::ErrorBody;
use super::{ApiError, AppState};

/// The longest customer message an agent is asked, in characters.
const MAX_MESSAGE_CHARS: usize = 4_000;

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

impl From<AgentRecord> for AgentView {
    fn from(record: AgentRecord) -> Self {
        AgentView {
            config: serde_json::from_str(&record.config).unwrap_or(serde_json::Value::Null),
            id: record.id,
            name: record.name,
            version: record.version,
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

/// Validates a configuration as the agent would load it, and checks that its knowledge base
/// is the caller's.
async fn checked_config(
    state: &AppState,
    caller: &Caller,
    config: &serde_json::Value,
) -> Result<(AgentConfig, String), ApiError> {
    let text = config.to_string();
    let parsed =
        AgentConfig::parse("agent", &text).map_err(|error| ApiError::invalid(error.to_string()))?;
    state
        .store
        .knowledge_base(caller.workspace(), &parsed.knowledge_base)
        .await
        .map_err(|_| {
            ApiError::invalid(format!(
                "agent: knowledge_base: there is no knowledge base {:?} in this workspace",
                parsed.knowledge_base
            ))
        })?;
    Ok((parsed, text))
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
    let (parsed, text) = checked_config(&state, &caller, &config).await?;
    let record = state
        .store
        .create_agent(caller.workspace(), caller.actor(), &parsed.name, &text)
        .await?;
    Ok((StatusCode::CREATED, Json(record.into())))
}

#[utoipa::path(get, path = "/v1/agents", tag = "agents", security(("bearer" = [])),
    responses((status = 200, body = Vec<AgentView>)))]
async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Vec<AgentView>>, ApiError> {
    let agents = state.store.agents(caller.workspace()).await?;
    Ok(Json(agents.into_iter().map(AgentView::from).collect()))
}

#[utoipa::path(get, path = "/v1/agents/{id}", params(("id" = String, Path, description = "the id")), tag = "agents", security(("bearer" = [])),
    responses((status = 200, body = AgentView), (status = 404, body = ErrorBody)))]
async fn show(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<AgentView>, ApiError> {
    Ok(Json(
        state.store.agent(caller.workspace(), &id).await?.into(),
    ))
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
    let (parsed, text) = checked_config(&state, &caller, &config).await?;
    let record = state
        .store
        .update_agent(caller.workspace(), caller.actor(), &id, &parsed.name, &text)
        .await?;
    Ok(Json(record.into()))
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
        .store
        .delete_agent(caller.workspace(), caller.actor(), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/agents/{id}/versions", params(("id" = String, Path, description = "the id")), tag = "agents", security(("bearer" = [])),
    responses((status = 200, body = Vec<AgentVersion>), (status = 404, body = ErrorBody)))]
async fn versions(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<AgentVersion>>, ApiError> {
    Ok(Json(
        state.store.agent_versions(caller.workspace(), &id).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MessageRequest {
    /// The customer's message.
    message: String,
    /// Earlier messages, oldest first.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    history: Vec<Message>,
    #[serde(default)]
    #[schema(value_type = Object)]
    contact: Contact,
    /// Answer as Server-Sent Events (`token` events as a model writes, then `turn`); the same
    /// as sending `Accept: text/event-stream`.
    #[serde(default)]
    stream: bool,
}

pub(super) fn check_message(message: &str) -> Result<(), ApiError> {
    if message.trim().is_empty() {
        return Err(ApiError::invalid("message: must not be empty"));
    }
    let length = message.chars().count();
    if length > MAX_MESSAGE_CHARS {
        return Err(ApiError::invalid(format!(
            "message: {length} characters, more than the limit of {MAX_MESSAGE_CHARS}"
        )));
    }
    Ok(())
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
    responses((status = 200, description = "the turn (or, streaming, `token` events and then a `turn` event)", body = agentflow::Turn),
        (status = 402, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn message(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(request): Json<MessageRequest>,
) -> Result<Response, ApiError> {
    check_message(&request.message)?;
    let streaming = wants_events(&headers, request.stream);
    let turn_request = TurnRequest {
        workspace: caller.workspace().to_string(),
        message: request.message,
        history: request.history,
        contact: request.contact,
    };
    let run = TurnRun::begin(&state, &caller, &id).await?;
    if streaming {
        return Ok(run.stream(state, turn_request).into_response());
    }
    let turn = run.finish(&state, &turn_request, None).await?;
    Ok(Json(turn).into_response())
}

/// One metered agent turn: the agent built, credits reserved; finished with the turn recorded
/// and the credits settled at what it cost (nothing, when it failed).
pub(super) struct TurnRun {
    workspace: String,
    record: AgentRecord,
    agent: Arc<agentflow::Agent>,
    reservation: inbox::Reservation,
}

impl TurnRun {
    pub(super) async fn begin(
        state: &AppState,
        caller: &Caller,
        agent: &str,
    ) -> Result<Self, ApiError> {
        let record = state.store.agent(caller.workspace(), agent).await?;
        let built = state.agent(&record)?;
        let reservation = state
            .store
            .reserve_credits(caller.workspace(), i64::from(REPLY_CREDITS), "agent reply")
            .await?;
        Ok(TurnRun {
            workspace: caller.workspace().to_string(),
            record,
            agent: built,
            reservation,
        })
    }

    pub(super) async fn finish(
        self,
        state: &AppState,
        request: &TurnRequest,
        tokens: Option<agentflow::llm::TokenSink<'_>>,
    ) -> Result<Turn, ApiError> {
        let agent = &self.agent;
        let answered = off_the_reactor(|| agent.answer(request, tokens));
        let used = answered.as_ref().map_or(0, |turn| i64::from(turn.credits));
        state.store.settle_credits(self.reservation, used).await?;
        let turn = answered?;
        let record = TurnRecord {
            id: turn.id.to_string(),
            agent_id: self.record.id.clone(),
            agent_version: self.record.version,
            question: request.message.clone(),
            turn: serde_json::to_string(&turn).map_err(ApiError::internal)?,
            created_at: now_millis(),
        };
        state.store.record_turn(&self.workspace, &record).await?;
        Ok(turn)
    }

    /// The turn as Server-Sent Events: `token` while a model writes, then `turn` (or `error`).
    /// The turn runs to the end even if the client goes away, so credits and records agree.
    fn stream(
        self,
        state: Arc<AppState>,
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
            let event = match self.finish(&state, &request, Some(&mut sink)).await {
                Ok(turn) => Event::default()
                    .event("turn")
                    .data(serde_json::to_string(&turn).unwrap_or_default()),
                Err(error) => Event::default().event("error").data(
                    json!({ "error": { "code": error.code, "message": error.message } })
                        .to_string(),
                ),
            };
            let _ = sender.send(event);
        });
        Sse::new(futures::stream::unfold(
            receiver,
            |mut receiver| async move { receiver.recv().await.map(|event| (Ok(event), receiver)) },
        ))
    }
}

/// Runs an agent's work (embedding is CPU-bound for milliseconds at a time) where it does not
/// hold up the tasks doing I/O, such as a database transaction waiting to commit.
fn off_the_reactor<F: std::future::Future>(work: impl FnOnce() -> F) -> F::Output {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(work()))
}

pub(super) fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SuggestionsRequest {
    /// The customer's last message.
    message: String,
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    history: Vec<Message>,
}

/// Smart reply: up to three grounded replies a person may send. One credit per suggestion.
#[utoipa::path(post, path = "/v1/agents/{id}/suggestions", params(("id" = String, Path, description = "the id")), tag = "assistants", security(("bearer" = [])),
    request_body = SuggestionsRequest,
    responses((status = 200, body = agentflow::Suggestions), (status = 402, body = ErrorBody)))]
async fn suggestions(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    Json(request): Json<SuggestionsRequest>,
) -> Result<Json<agentflow::Suggestions>, ApiError> {
    check_message(&request.message)?;
    let record = state.store.agent(caller.workspace(), &id).await?;
    let agent = state.agent(&record)?;
    let reservation = state
        .store
        .reserve_credits(caller.workspace(), SMART_REPLIES as i64, "smart reply")
        .await?;
    let request = TurnRequest {
        workspace: caller.workspace().to_string(),
        message: request.message,
        history: request.history,
        contact: Contact::default(),
    };
    let suggested = off_the_reactor(|| agent.suggest_replies(&request));
    let used = suggested
        .as_ref()
        .map_or(0, |found| i64::from(found.credits));
    state.store.settle_credits(reservation, used).await?;
    Ok(Json(suggested?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PolishRequest {
    draft: String,
    /// A named tone (`friendly`, `formal`, ...) or a description.
    #[serde(default = "default_tone")]
    tone: String,
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
    check_message(&request.draft)?;
    if state.llm.is_none() {
        return Err(agentflow::AgentError::WritingAssistantNeedsLlm.into());
    }
    let reservation = state
        .store
        .reserve_credits(
            caller.workspace(),
            i64::from(REPLY_CREDITS),
            "writing assistant",
        )
        .await?;
    let polished = agentflow::polish(state.llm.as_deref(), &request.draft, &request.tone).await;
    let used = polished.as_ref().map_or(0, |done| i64::from(done.credits));
    state.store.settle_credits(reservation, used).await?;
    Ok(Json(polished?))
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
        .store
        .record_feedback(
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
    #[schema(value_type = Object)]
    turn: serde_json::Value,
    rating: Rating,
    correction: Option<String>,
    rated_at: i64,
}

/// The agent's rated turns, oldest first (`switchboard eval from-feedback` reads them).
#[utoipa::path(get, path = "/v1/agents/{id}/rated-turns", params(("id" = String, Path, description = "the id")), tag = "agents", security(("bearer" = [])),
    responses((status = 200, body = Vec<RatedTurnView>), (status = 404, body = ErrorBody)))]
async fn rated_turns(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<RatedTurnView>>, ApiError> {
    state.store.agent(caller.workspace(), &id).await?;
    let rated = state.store.rated_turns(caller.workspace(), &id).await?;
    Ok(Json(
        rated
            .into_iter()
            .map(|(turn, feedback)| RatedTurnView {
                turn: serde_json::from_str(&turn.turn).unwrap_or(serde_json::Value::Null),
                turn_id: turn.id,
                question: turn.question,
                agent_version: turn.agent_version,
                rating: feedback.rating,
                correction: feedback.correction,
                rated_at: feedback.created_at,
            })
            .collect(),
    ))
}
