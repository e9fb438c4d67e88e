//! An OpenAI-compatible endpoint: `POST /v1/chat/completions` with `model` set to an agent's
//! id, so any OpenAI client library talks to an agent. The reply's citations (and a handoff,
//! when the agent hands the conversation to people) ride in extra fields.
//!
//! Streaming sends the turn's checked text, word by word, once the turn is decided: a model's
//! raw tokens are never shown to a customer, because groundedness and the output guardrails
//! may still replace them.

use std::convert::Infallible;
use std::sync::Arc;

use agentflow::{Action, Contact, Message, Turn, TurnRequest};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::agents::wants_events;
use super::auth::Caller;
use super::error::{ApiError, Code, ErrorBody};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/chat/completions", post(completions))
        .route("/v1/models", get(models))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ChatRequest {
    /// The agent's id.
    model: String,
    #[schema(value_type = Vec<Object>)]
    messages: Vec<ChatMessage>,
    #[serde(default)]
    stream: bool,
    stream_options: Option<StreamOptions>,
    /// Only 1: an agent gives one answer.
    n: Option<u32>,
    /// Refused: an agent calls no tools of the client's.
    #[schema(value_type = Option<Object>)]
    tools: Option<Value>,
    /// Refused: an agent calls no tools of the client's.
    #[schema(value_type = Option<Object>)]
    tool_choice: Option<Value>,
    /// Refused: an agent calls no functions of the client's.
    #[schema(value_type = Option<Object>)]
    functions: Option<Value>,
    /// Only `{"type": "text"}`: an agent answers in prose with citations.
    #[schema(value_type = Option<Object>)]
    response_format: Option<Value>,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct StreamOptions {
    /// Send a last chunk with the token counts before `[DONE]`.
    #[serde(default)]
    include_usage: bool,
}

impl ChatRequest {
    /// Refuses what an OpenAI model would do and an agent cannot, rather than ignoring it.
    fn check(&self) -> Result<(), ApiError> {
        let refused = |param: &'static str, why: &str| {
            Err(ApiError::new(Code::BadRequest, format!("{param}: {why}")).about(param))
        };
        if self.n.is_some_and(|n| n != 1) {
            return refused("n", "an agent gives one answer; send n = 1 or leave it out");
        }
        for (param, given) in [
            ("tools", &self.tools),
            ("tool_choice", &self.tool_choice),
            ("functions", &self.functions),
        ] {
            if given.as_ref().is_some_and(|value| !value.is_null()) {
                return refused(param, "an agent calls no tools of the client's");
            }
        }
        if let Some(format) = &self.response_format
            && format.get("type").and_then(Value::as_str) != Some("text")
        {
            return refused(
                "response_format",
                "an agent answers in text with citations; only {\"type\": \"text\"} is accepted",
            );
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct ChatMessage {
    role: String,
    #[serde(default)]
    content: Value,
}

impl ChatMessage {
    /// A string, or the text parts of a list of content parts.
    fn text(&self) -> String {
        match &self.content {
            Value::String(text) => text.clone(),
            Value::Array(parts) => parts
                .iter()
                .filter_map(|part| part.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("\n"),
            _ => String::new(),
        }
    }
}

/// The last user message is the customer's; the user and assistant messages before it are the
/// conversation. System messages are ignored: the agent's configuration is its instructions.
fn turn_request(workspace: &str, messages: &[ChatMessage]) -> Result<TurnRequest, ApiError> {
    let conversation: Vec<&ChatMessage> = messages
        .iter()
        .filter(|message| message.role == "user" || message.role == "assistant")
        .collect();
    let Some((last, earlier)) = conversation.split_last() else {
        return Err(ApiError::invalid("messages: needs a user message"));
    };
    if last.role != "user" {
        return Err(ApiError::invalid(
            "messages: the last message must be the user's",
        ));
    }
    let message = last.text();
    app::check_message(&message)?;
    let history = earlier
        .iter()
        .map(|message| {
            if message.role == "user" {
                Message::customer(&message.text())
            } else {
                Message::agent(&message.text(), false)
            }
        })
        .collect();
    Ok(TurnRequest {
        workspace: workspace.to_string(),
        message,
        history,
        contact: Contact::default(),
    })
}

/// What the customer reads, and the extra fields beside it.
fn content_and_extras(turn: &Turn) -> (String, Value) {
    match &turn.action {
        Action::Reply(reply) => (
            reply.text.clone(),
            json!({ "citations": reply.citations, "turn_id": turn.id }),
        ),
        Action::Handoff(handoff) => (
            handoff.message.clone(),
            json!({ "citations": [], "handoff": handoff, "turn_id": turn.id }),
        ),
    }
}

/// Token counts as OpenAI reports them, counted with the embedding model's tokenizer: the
/// extractive answerer has no tokens of its own, and a model behind an agent is asked with a
/// prompt the client never sees, so the counts are of what the client sent and received.
fn usage(state: &AppState, messages: &[ChatMessage], content: &str) -> Value {
    let tokenizer = state.app.retrieval.embedder().tokenizer();
    let count = |text: &str| {
        tokenizer
            .encode(text, false)
            .map_or(text.split_whitespace().count(), |encoding| encoding.len())
    };
    let prompt: usize = messages.iter().map(|message| count(&message.text())).sum();
    let completion = count(content);
    json!({
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion
    })
}

/// The workspace's agents, as OpenAI lists models: each agent's id is a `model` to chat with.
#[utoipa::path(get, path = "/v1/models", tag = "agents", security(("bearer" = [])),
    responses((status = 200, description = "a list object of models, one per agent", body = Object)))]
async fn models(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    let agents = state.app.store.agents().list(caller.workspace()).await?;
    let data: Vec<Value> = agents
        .iter()
        .map(|agent| {
            json!({
                "id": agent.id,
                "object": "model",
                "created": agent.created_at / 1000,
                "owned_by": caller.workspace(),
                "name": agent.name,
            })
        })
        .collect();
    Ok(Json(json!({ "object": "list", "data": data })))
}

/// Chat with an agent as with an OpenAI model.
#[utoipa::path(post, path = "/v1/chat/completions", tag = "agents", security(("bearer" = [])),
    request_body = ChatRequest,
    responses((status = 200, description = "a chat.completion object (or chat.completion.chunk events) with `citations`", body = Object),
        (status = 402, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn completions(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    headers: HeaderMap,
    Json(request): Json<ChatRequest>,
) -> Result<Response, ApiError> {
    request.check()?;
    let turn_request = turn_request(caller.workspace(), &request.messages)?;
    let turn = state
        .app
        .run_turn(&request.model, &turn_request, None)
        .await?;
    let (content, extras) = content_and_extras(&turn);
    let id = format!("chatcmpl-{}", turn.id.simple());
    let created = records::now() / 1000;
    if !wants_events(&headers, request.stream) {
        let mut body = json!({
            "id": id,
            "object": "chat.completion",
            "created": created,
            "model": request.model,
            "choices": [{
                "index": 0,
                "message": { "role": "assistant", "content": content },
                "finish_reason": "stop"
            }],
            "usage": usage(&state, &request.messages, &content)
        });
        merge(&mut body, extras);
        return Ok(Json(body).into_response());
    }
    let chunk = |delta: Value, finish: Option<&str>| {
        json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": request.model,
            "choices": [{ "index": 0, "delta": delta, "finish_reason": finish }]
        })
    };
    let mut events = vec![chunk(json!({ "role": "assistant", "content": "" }), None)];
    events.extend(
        content
            .split_inclusive(' ')
            .map(|word| chunk(json!({ "content": word }), None)),
    );
    let mut last = chunk(json!({}), Some("stop"));
    merge(&mut last, extras);
    events.push(last);
    if request
        .stream_options
        .as_ref()
        .is_some_and(|options| options.include_usage)
    {
        events.push(json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": request.model,
            "choices": [],
            "usage": usage(&state, &request.messages, &content)
        }));
    }
    let stream = futures::stream::iter(
        events
            .into_iter()
            .map(|event| Event::default().data(event.to_string()))
            .chain(std::iter::once(Event::default().data("[DONE]")))
            .map(Ok::<_, Infallible>),
    );
    Ok(Sse::new(stream).into_response())
}

fn merge(into: &mut Value, extras: Value) {
    if let (Value::Object(into), Value::Object(extras)) = (into, extras) {
        into.extend(extras);
    }
}
