//! The generation path against a real model: llama.cpp's `llama-server` with
//! SmolLM2-135M-Instruct on 127.0.0.1 (scripts/setup-llm.sh builds and caches both). The model
//! is tiny, so these tests check the plumbing (requests, streaming, citations, the checks that
//! follow generation), not the quality of its answers. Skipped with a printed reason when the
//! server is not set up or does not start.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agentflow::config::ResponseLength;
use agentflow::llm::{
    ChatMessage, ChatRole, LlmClient, LlmError, LlmRequest, LlmSettings, OpenAiClient, TokenSink,
};
use agentflow::{Action, Agent, AgentConfig, HandoffReason, ReplyOrigin, TurnRequest};
use knowledge::embed::{Embedder, EmbedderConfig};
use knowledge::index::{EdgeIndex, Scope};
use knowledge::retrieve::Retrieval;
use knowledge::{Limits, chunk_by_tokens};

use common::block_on;
use futures::future::BoxFuture;

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn cache() -> PathBuf {
    std::env::var_os("SWITCHBOARD_CACHE").map_or_else(
        || PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/switchboard"),
        PathBuf::from,
    )
}

fn http_get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

/// Says why the model's tests cannot run: printed, or a failure where
/// SWITCHBOARD_REQUIRE_LLM asks for one (CI, where scripts/setup-llm.sh has run).
fn skip(reason: &str) -> Option<Server> {
    assert!(
        std::env::var_os("SWITCHBOARD_REQUIRE_LLM").is_none(),
        "the local model is required here: {reason}"
    );
    println!("skipped: {reason}");
    None
}

/// The cached llama-server with the cached model on a free port, or `None` with the reason.
fn start() -> Option<Server> {
    start_reading(2048)
}

/// The same, with a context of `context_tokens`.
fn start_reading(context_tokens: u32) -> Option<Server> {
    let binary = cache().join("llama/11434.0.0-portable/llama-server");
    let model = cache().join("models/smollm2-135m-instruct/model.gguf");
    if !binary.exists() || !model.exists() {
        return skip(&format!(
            "no llama-server or model in {} (scripts/setup-llm.sh)",
            cache().display()
        ));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = Command::new(&binary)
        .args([
            "-m",
            model.to_str()?,
            "--alias",
            "smollm2",
            "--host",
            "127.0.0.1",
        ])
        .args([
            "--port",
            &port.to_string(),
            "-c",
            &context_tokens.to_string(),
            "-t",
            "1",
            "--jinja",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let child = match child {
        Ok(child) => child,
        Err(error) => return skip(&format!("llama-server did not start: {error}")),
    };
    let mut server = Server {
        child,
        url: format!("http://127.0.0.1:{port}/v1"),
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    while Instant::now() < deadline {
        if http_get(port, "/health").is_some_and(|response| response.contains("\"ok\"")) {
            return Some(server);
        }
        // A server that died (a crash as it loads the model) will not become healthy.
        if let Ok(Some(status)) = server.child.try_wait() {
            return skip(&format!("llama-server exited as it started: {status}"));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    skip("llama-server did not become healthy within 90 s")
}

fn client(server: &Server) -> OpenAiClient {
    OpenAiClient::new(LlmSettings {
        timeout: Duration::from_secs(120),
        ..LlmSettings::new(&server.url, "smollm2")
    })
}

#[test]
fn the_client_completes_and_streams_from_a_real_server() {
    let Some(server) = start() else { return };
    let llm = client(&server);
    let request = LlmRequest {
        messages: vec![
            ChatMessage::new(
                ChatRole::System,
                "You are a helpful assistant. Answer briefly.",
            ),
            ChatMessage::new(ChatRole::User, "What is the capital of France?"),
        ],
        max_tokens: 24,
    };
    let text = block_on(llm.complete(&request, None)).unwrap();
    assert!(!text.trim().is_empty());
    let mut pieces = Vec::new();
    let mut sink = |piece: &str| pieces.push(piece.to_string());
    let streamed = block_on(llm.complete(&request, Some(&mut sink))).unwrap();
    assert!(pieces.len() > 1, "the reply came in pieces: {pieces:?}");
    assert_eq!(pieces.concat(), streamed);
}

/// The server's model, keeping how each request ended: `Ok` or the error.
struct Recorded {
    model: OpenAiClient,
    outcomes: Mutex<Vec<Result<(), String>>>,
}

impl LlmClient for Recorded {
    fn complete<'a>(
        &'a self,
        request: &'a LlmRequest,
        tokens: Option<TokenSink<'a>>,
    ) -> BoxFuture<'a, Result<String, LlmError>> {
        Box::pin(async move {
            let result = self.model.complete(request, tokens).await;
            let outcome = result.as_ref().map(|_| ()).map_err(|error| match error {
                LlmError::PromptTooLong { .. } => "too long".to_string(),
                other => other.to_string(),
            });
            self.outcomes.lock().unwrap().push(outcome);
            result
        })
    }

    fn model(&self) -> &str {
        self.model.model()
    }
}

/// An agent over `knowledge` with `llm`, or `None` when the embedding model is not installed.
fn agent_over(
    knowledge: &Path,
    config: AgentConfig,
    llm: Arc<dyn LlmClient>,
    dir: &Path,
) -> Option<Agent> {
    if !common::model_ready() {
        return None;
    }
    let embedder = Arc::new(Embedder::load(EmbedderConfig::from_environment()).unwrap());
    let index = EdgeIndex::open(&dir.join("index"), embedder.dimension()).unwrap();
    let retrieval = Arc::new(Retrieval::new(embedder.clone(), Arc::new(index)));
    let name = knowledge.file_name().unwrap().to_str().unwrap();
    let bytes = std::fs::read(knowledge).unwrap();
    let document = knowledge::parse(name, &bytes, &Limits::default()).unwrap();
    let chunks = chunk_by_tokens(name, &document, embedder.tokenizer(), 256, 32);
    retrieval
        .index_source(&Scope::new("local", "default"), name, &chunks, &mut |_| {
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
    Some(Agent::new(config, retrieval, Some(llm)).unwrap())
}

/// Asks `agent`, streaming, and checks that the model answered (whatever the checks after it
/// made of the reply).
fn asked_of_the_model(agent: &Agent, message: &str) -> agentflow::Turn {
    let request = TurnRequest {
        workspace: "local".into(),
        message: message.into(),
        ..TurnRequest::default()
    };
    let mut streamed = String::new();
    let mut sink = |piece: &str| streamed.push_str(piece);
    let turn = block_on(agent.answer(&request, Some(&mut sink))).unwrap();
    assert!(!streamed.trim().is_empty(), "the model streamed its reply");
    assert!(
        turn.trace
            .decided_by
            .as_deref()
            .is_none_or(|why| !why.contains("the model failed")),
        "{turn:#?}"
    );
    turn
}

#[test]
fn an_agent_generates_through_a_real_model_and_checks_what_it_said() {
    let Some(server) = start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = AgentConfig::default_support("default");
    let llm = Arc::new(client(&server));
    let Some(agent) = agent_over(
        Path::new(&common::fixture("faq.md")),
        config,
        llm,
        dir.path(),
    ) else {
        return;
    };
    let turn = asked_of_the_model(&agent, "How long does delivery inside Amman take?");
    match &turn.action {
        Action::Reply(reply) => {
            assert_eq!(reply.origin, ReplyOrigin::Generated);
            assert!(
                !reply.citations.is_empty(),
                "a grounded reply cites: {turn:#?}"
            );
        }
        Action::Handoff(handoff) => assert_eq!(handoff.reason, HandoffReason::Ungrounded),
    }
    let polished = block_on(agent.polish(
        "hi ur order is late sry we will send it tmrw",
        "professional",
    ))
    .unwrap();
    assert!(!polished.text.is_empty());
    assert_eq!(polished.credits, 1);
}

#[test]
fn a_prompt_too_long_for_the_model_is_sent_with_the_passages_that_fit() {
    // SmolLM2 reads Arabic as about a token a letter: a short reply's prompt with three of the
    // FAQ's passages does not fit in 1,280 tokens, one with fewer does.
    let Some(faq) = common::shared("knowledge/sleekflow-faq-ar.txt") else {
        return;
    };
    let Some(server) = start_reading(1280) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let model = Arc::new(Recorded {
        model: client(&server),
        outcomes: Mutex::new(Vec::new()),
    });
    let config = AgentConfig {
        response_length: ResponseLength::Short,
        ..AgentConfig::default_support("default")
    };
    let Some(agent) = agent_over(&faq, config, model.clone(), dir.path()) else {
        return;
    };
    let turn = asked_of_the_model(&agent, "كم تكلفة واجهة واتساب للأعمال؟");
    assert!(turn.trace.retrieved.len() > 1, "{turn:#?}");
    assert!(
        turn.trace
            .prompt_passages
            .is_some_and(|shown| shown >= 1 && shown < turn.trace.retrieved.len()),
        "{turn:#?}"
    );
    assert_eq!(
        *model.outcomes.lock().unwrap(),
        [Err("too long".to_string()), Ok(())],
        "refused as too long, then answered"
    );
}

/// The service with a real model behind it: a message streams the model's tokens and then the
/// checked turn; the writing assistant polishes through the API.
#[tokio::test]
async fn the_service_streams_a_models_tokens_and_polishes_drafts() {
    if !common::model_ready() {
        return;
    }
    let Some(llm) = start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("SWITCHBOARD_LLM__URL", llm.url.as_str()),
        ("SWITCHBOARD_LLM__MODEL", "smollm2"),
        ("SWITCHBOARD_LLM__TIMEOUT_SECONDS", "120"),
    ];
    let (_, key) = common::service::create_workspace(dir.path(), &env, "acme", 100);
    let service = common::service::TestServer::start(dir.path(), &env);
    let api = common::service::Api::new(&service, &key);
    let kb = api.create_knowledge_base("faq").await;
    let faq = std::fs::read(common::fixture("faq.md")).unwrap();
    api.upload(&format!("/v1/knowledge-bases/{kb}/sources"), "faq.md", faq)
        .await;
    api.wait_until_ready(&kb).await;
    let (status, agent) = api
        .post(
            "/v1/agents",
            serde_json::json!({ "name": "helper", "knowledge_base": kb }),
        )
        .await;
    assert_eq!(status, 201, "{agent}");
    let events = api
        .events(
            &format!("/v1/agents/{}/messages", agent["id"].as_str().unwrap()),
            serde_json::json!({ "message": "How much does delivery inside Amman cost?", "stream": true }),
        )
        .await;
    let names: Vec<&str> = events
        .lines()
        .filter_map(|line| line.strip_prefix("event: "))
        .collect();
    assert!(
        names.contains(&"token"),
        "the model's tokens stream: {events}"
    );
    assert_eq!(
        names.last(),
        Some(&"turn"),
        "the checked turn comes last: {events}"
    );

    let (status, polished) = api
        .post(
            "/v1/polish",
            serde_json::json!({ "draft": "hi ur order is late sry we will send it tmrw", "tone": "professional" }),
        )
        .await;
    assert_eq!(status, 200, "{polished}");
    assert!(!polished["text"].as_str().unwrap().is_empty());
    assert_eq!(polished["credits"], 1);
}
