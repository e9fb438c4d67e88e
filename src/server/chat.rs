//! An OpenAI-compatible endpoint: `POST /v1/chat/completions` with `model` set to an agent's
//! id, so any OpenAI client library talks to an agent. The reply's citations (and a handoff,
//! when the agent hands the conversation to people) ride in extra fields.
//!
//! Streaming sends the turn's checked text, word by word, once the turn is decided: a model's
//! raw tokens are never shown to a customer, because groundedness and the output guardrails
//! may still replace them.

use std::convert::Infallible;
use std::sync::Arc;

use agentflow::{Action, Citation, Contact, Handoff, Message, Turn, TurnRequest};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use records::Page;
use serde::{Deserialize, Serialize};
use serde_json::Value;

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
    messages: Vec<ChatMessage>,
    #[serde(default)]
    stream: bool,
    stream_options: Option<StreamOptions>,
    /// Only 1: an agent gives one answer.
    n: Option<u32>,
    /// Refused: an agent calls no tools of the client's.
    #[schema(value_type = Option<serde_json::Value>)]
    tools: Option<Value>,
    /// Refused: an agent calls no tools of the client's.
    #[schema(value_type = Option<serde_json::Value>)]
    tool_choice: Option<Value>,
    /// Refused: an agent calls no functions of the client's.
    #[schema(value_type = Option<serde_json::Value>)]
    functions: Option<Value>,
    /// Only `{"type": "text"}`: an agent answers in prose with citations.
    #[schema(value_type = Option<serde_json::Value>)]
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

/// One message of the conversation, as OpenAI's chat API takes it.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ChatMessage {
    /// `user` (the customer), `assistant` (the agent), or `system` (ignored: the agent's
    /// configuration is its instructions).
    role: String,
    #[serde(default)]
    content: Option<ChatContent>,
}

/// A message's text, or a list of parts whose text parts are read.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum ChatContent {
    Text(String),
    Parts(Vec<ContentPart>),
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ContentPart {
    /// `text`; other kinds of part are not read.
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
}

impl ChatMessage {
    fn text(&self) -> String {
        match &self.content {
            Some(ChatContent::Text(text)) => text.clone(),
            Some(ChatContent::Parts(parts)) => parts
                .iter()
                .filter(|part| part.kind == "text")
                .filter_map(|part| part.text.as_deref())
                .collect::<Vec<_>>()
                .join("\n"),
            None => String::new(),
        }
    }
}

/// A chat completion, with the turn's citations, its handoff and its id beside OpenAI's fields.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ChatCompletion {
    id: String,
    /// `chat.completion`, or `chat.completion.chunk` in a stream.
    object: &'static str,
    created: i64,
    /// The agent's id.
    model: String,
    choices: Vec<ChatChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<Usage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    citations: Option<Vec<Citation>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    handoff: Option<Handoff>,
    /// The knowledge's questions a reply that could not answer offered, in the order it
    /// numbers them: a client may show them as buttons, and sending one back, or its number,
    /// gets its answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    offered: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    turn_id: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ChatChoice {
    index: u32,
    /// The whole reply (in a chat.completion).
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<ChatReply>,
    /// A piece of the reply (in a chat.completion.chunk).
    #[serde(skip_serializing_if = "Option::is_none")]
    delta: Option<ChatDelta>,
    finish_reason: Option<&'static str>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ChatReply {
    role: &'static str,
    content: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ChatDelta {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<String>,
}

#[derive(Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct Usage {
    prompt_tokens: usize,
    completion_tokens: usize,
    total_tokens: usize,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ModelList {
    /// `list`
    object: &'static str,
    data: Vec<Model>,
}

/// An agent, as OpenAI lists a model.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Model {
    /// The agent's id: the `model` to chat with.
    id: String,
    /// `model`
    object: &'static str,
    created: i64,
    /// The workspace.
    owned_by: String,
    /// The agent's name.
    name: String,
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
                Message::agent_from_words(&message.text())
            }
        })
        .collect();
    let request = TurnRequest {
        workspace: workspace.to_string(),
        message,
        history,
        contact: Contact::default(),
    };
    // What a number picks came from the client too.
    if request.picked_question().is_some() {
        app::check_message(request.asked()).map_err(|_| {
            ApiError::invalid(
                "messages: the offered question the last message picks is empty or too long",
            )
        })?;
    }
    Ok(request)
}

/// What the customer reads, the citations, and the handoff when there is one.
fn content_and_extras(turn: &Turn) -> (String, Vec<Citation>, Option<Handoff>) {
    match &turn.action {
        Action::Reply(reply) => (reply.text.clone(), reply.citations.clone(), None),
        Action::Handoff(handoff) => (handoff.message.clone(), Vec::new(), Some(handoff.clone())),
    }
}

/// Token counts as OpenAI reports them, counted with the embedding model's tokenizer: the
/// extractive answerer has no tokens of its own, and a model behind an agent is asked with a
/// prompt the client never sees, so the counts are of what the client sent and received.
async fn usage(state: &AppState, messages: &[ChatMessage], content: &str) -> Usage {
    let retrieval = state.app.retrieval.clone();
    let texts: Vec<String> = messages.iter().map(ChatMessage::text).collect();
    let content = content.to_string();
    // Tokenizing a long conversation is CPU work: off the async threads.
    let counted = tokio::task::spawn_blocking(move || {
        let tokenizer = retrieval.embedder().tokenizer();
        let count = |text: &str| {
            tokenizer
                .encode(text, false)
                .map_or(text.split_whitespace().count(), |encoding| encoding.len())
        };
        let prompt_tokens: usize = texts.iter().map(|text| count(text)).sum();
        (prompt_tokens, count(&content))
    })
    .await;
    let (prompt_tokens, completion_tokens) = counted.unwrap_or_default();
    Usage {
        prompt_tokens,
        completion_tokens,
        total_tokens: prompt_tokens + completion_tokens,
    }
}

/// The workspace's agents, as OpenAI lists models: each agent's id is a `model` to chat with.
#[utoipa::path(get, path = "/v1/models", tag = "agents", security(("bearer" = [])),
    responses((status = 200, description = "a list object of models, one per agent", body = ModelList)))]
async fn models(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<ModelList>, ApiError> {
    let agents = state
        .app
        .store
        .agents()
        .list(caller.workspace(), &Page::all())
        .await?;
    let data = agents
        .items
        .into_iter()
        .map(|agent| Model {
            id: agent.id,
            object: "model",
            created: agent.created_at / 1000,
            owned_by: caller.workspace().to_string(),
            name: agent.name,
        })
        .collect();
    Ok(Json(ModelList {
        object: "list",
        data,
    }))
}

/// Chat with an agent as with an OpenAI model.
#[utoipa::path(post, path = "/v1/chat/completions", tag = "agents", security(("bearer" = [])),
    request_body = ChatRequest,
    responses((status = 200, description = "a chat.completion with `citations`, `handoff` and `turn_id`; with `stream`, chat.completion.chunk events ending in `[DONE]`",
            content((ChatCompletion = "application/json"), (String = "text/event-stream"))),
        (status = 400, body = ErrorBody), (status = 402, body = ErrorBody), (status = 404, body = ErrorBody)))]
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
    let (content, citations, handoff) = content_and_extras(&turn);
    let used = usage(&state, &request.messages, &content).await;
    let completion = |object, choices, usage| ChatCompletion {
        id: format!("chatcmpl-{}", turn.id.simple()),
        object,
        created: records::now() / 1000,
        model: request.model.clone(),
        choices,
        usage,
        citations: None,
        handoff: None,
        offered: None,
        turn_id: None,
    };
    let with_extras = |mut completion: ChatCompletion| {
        completion.citations = Some(citations.clone());
        completion.handoff = handoff.clone();
        completion.offered = turn
            .reply()
            .map(|reply| reply.offered.clone())
            .filter(|offered| !offered.is_empty());
        completion.turn_id = Some(turn.id.to_string());
        completion
    };
    if !wants_events(&headers, request.stream) {
        let choice = ChatChoice {
            index: 0,
            message: Some(ChatReply {
                role: "assistant",
                content: content.clone(),
            }),
            delta: None,
            finish_reason: Some("stop"),
        };
        let body = with_extras(completion("chat.completion", vec![choice], Some(used)));
        return Ok(Json(body).into_response());
    }
    let chunk = |role: Option<&'static str>, text: Option<&str>, finish| {
        let choice = ChatChoice {
            index: 0,
            message: None,
            delta: Some(ChatDelta {
                role,
                content: text.map(str::to_string),
            }),
            finish_reason: finish,
        };
        completion("chat.completion.chunk", vec![choice], None)
    };
    let mut events = vec![chunk(Some("assistant"), Some(""), None)];
    events.extend(
        content
            .split_inclusive(' ')
            .map(|word| chunk(None, Some(word), None)),
    );
    events.push(with_extras(chunk(None, None, Some("stop"))));
    if request
        .stream_options
        .as_ref()
        .is_some_and(|options| options.include_usage)
    {
        events.push(completion("chat.completion.chunk", Vec::new(), Some(used)));
    }
    let stream = futures::stream::iter(
        events
            .into_iter()
            .map(|event| Event::default().data(serde_json::to_string(&event).unwrap_or_default()))
            .chain(std::iter::once(Event::default().data("[DONE]")))
            .map(Ok::<_, Infallible>),
    );
    Ok(Sse::new(stream).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(role: &str, text: &str) -> ChatMessage {
        ChatMessage {
            role: role.to_string(),
            content: Some(ChatContent::Text(text.to_string())),
        }
    }

    /// The client keeps the conversation, as words: a number after a decline still picks the
    /// question it offered, and a yes still takes the offer of a person.
    #[test]
    fn a_decline_sent_back_as_words_keeps_its_offer() {
        let decline = "I couldn't find an exact answer to that. Our FAQ answers 1. “How do I add contacts?”, 2. “How much does the Pro plan cost?” and 3. “Can I import a CSV?”: reply with a number to get its answer, or would you like me to connect you with our team?";
        let conversation = |answer: &str| {
            vec![
                said("user", "what's the price of premium"),
                said("assistant", decline),
                said("user", answer),
            ]
        };
        let picked = turn_request("w", &conversation("2")).unwrap();
        assert_eq!(picked.asked(), "How much does the Pro plan cost?");
        let accepted = turn_request("w", &conversation("yes please")).unwrap();
        assert!(accepted.offered_a_person());
        assert_eq!(accepted.unanswered_in_a_row(), 1);
        let answered = vec![
            said("user", "how much is delivery?"),
            said("assistant", "Delivery costs 15 AED [1]."),
            said("user", "2"),
        ];
        let request = turn_request("w", &answered).unwrap();
        assert_eq!(request.asked(), "2");
        assert!(!request.offered_a_person());
    }
}
