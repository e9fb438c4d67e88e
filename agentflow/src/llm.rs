//! The language model behind generation, smart replies and the writing assistant: any server
//! that speaks the OpenAI chat-completions API (a hosted model, or llama.cpp's server on the
//! same machine), through `async-openai`, with a deadline per attempt and retries for what is
//! worth retrying.

use std::time::Duration;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::types::chat::{
    ChatCompletionRequestAssistantMessage, ChatCompletionRequestMessage,
    ChatCompletionRequestSystemMessage, ChatCompletionRequestUserMessage,
    CreateChatCompletionRequest, CreateChatCompletionRequestArgs,
};
use futures::StreamExt;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

/// Where the model is and how patiently to wait for it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LlmSettings {
    /// The API's base URL, up to and including `/v1`.
    pub base_url: String,
    pub model: String,
    #[serde(default, skip_serializing)]
    pub api_key: Option<String>,
    /// The deadline of one attempt, first token to last.
    #[serde(default = "default_timeout")]
    pub timeout: Duration,
    /// How many times a failed attempt (timeout, refused connection, 429, 5xx) is retried.
    #[serde(default = "default_retries")]
    pub retries: u32,
    #[serde(default = "default_temperature")]
    pub temperature: f32,
}

fn default_timeout() -> Duration {
    Duration::from_secs(60)
}
fn default_retries() -> u32 {
    2
}
fn default_temperature() -> f32 {
    0.2
}

impl LlmSettings {
    pub fn new(base_url: &str, model: &str) -> Self {
        LlmSettings {
            base_url: base_url.trim_end_matches('/').to_string(),
            model: model.to_string(),
            api_key: None,
            timeout: default_timeout(),
            retries: default_retries(),
            temperature: default_temperature(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatRole {
    System,
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatMessage {
    pub role: ChatRole,
    pub content: String,
}

impl ChatMessage {
    pub fn new(role: ChatRole, content: impl Into<String>) -> Self {
        ChatMessage {
            role,
            content: content.into(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct LlmRequest {
    pub messages: Vec<ChatMessage>,
    pub max_tokens: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("the language model at {url} did not answer within {after:?} ({attempts} attempts)")]
    Timeout {
        url: String,
        after: Duration,
        attempts: u32,
    },
    #[error("the language model at {url} could not be reached ({attempts} attempts): {message}")]
    Unreachable {
        url: String,
        attempts: u32,
        message: String,
    },
    #[error("the language model at {url} refused the request: {message}")]
    Refused { url: String, message: String },
    #[error("the language model at {url} returned no text")]
    Empty { url: String },
    #[error(
        "the language model at {url} reads at most {context_tokens} tokens; the prompt had {prompt_tokens}"
    )]
    PromptTooLong {
        url: String,
        prompt_tokens: u32,
        context_tokens: u32,
    },
}

/// An error body as llama.cpp's server writes it (`{"error": {"code": 400, "message": …}}`):
/// the code is a number, and a prompt longer than the context says both lengths.
struct ServerError {
    code: Option<u64>,
    message: String,
    /// The prompt's tokens and the context's, when the prompt did not fit.
    too_long: Option<(u32, u32)>,
}

fn server_error(content: &str) -> Option<ServerError> {
    let body: serde_json::Value = serde_json::from_str(content).ok()?;
    let error = body.get("error")?;
    let count = |field: &str| {
        error
            .get(field)
            .and_then(serde_json::Value::as_u64)
            .and_then(|count| u32::try_from(count).ok())
    };
    Some(ServerError {
        code: error.get("code").and_then(serde_json::Value::as_u64),
        message: error.get("message")?.as_str()?.to_string(),
        too_long: count("n_prompt_tokens").zip(count("n_ctx")),
    })
}

/// Receives the reply's text as it is generated.
pub type TokenSink<'a> = &'a mut (dyn FnMut(&str) + Send);

/// A chat model. Object-safe so agents hold `Arc<dyn LlmClient>` and tests script one.
pub trait LlmClient: Send + Sync {
    /// The reply to `request`; with `tokens`, streamed into it as it comes.
    fn complete<'a>(
        &'a self,
        request: &'a LlmRequest,
        tokens: Option<TokenSink<'a>>,
    ) -> BoxFuture<'a, Result<String, LlmError>>;

    /// The model's name, for traces.
    fn model(&self) -> &str;
}

/// [`LlmClient`] over `async-openai`.
pub struct OpenAiClient {
    settings: LlmSettings,
    client: Client<OpenAIConfig>,
}

impl std::fmt::Debug for OpenAiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiClient")
            .field("base_url", &self.settings.base_url)
            .field("model", &self.settings.model)
            .finish_non_exhaustive()
    }
}

enum Failure {
    /// Worth another attempt: a timeout, a refused connection, a 429 or a 5xx.
    Transient(String),
    TimedOut,
    Final(LlmError),
}

impl OpenAiClient {
    pub fn new(settings: LlmSettings) -> Self {
        let mut config = OpenAIConfig::new().with_api_base(&settings.base_url);
        if let Some(key) = &settings.api_key {
            config = config.with_api_key(key);
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()
            .expect("an HTTP client with default TLS settings builds");
        OpenAiClient {
            client: Client::with_config(config).with_http_client(http),
            settings,
        }
    }

    fn build(&self, request: &LlmRequest) -> Result<CreateChatCompletionRequest, LlmError> {
        let messages: Vec<ChatCompletionRequestMessage> = request
            .messages
            .iter()
            .map(|message| match message.role {
                ChatRole::System => {
                    ChatCompletionRequestSystemMessage::from(message.content.as_str()).into()
                }
                ChatRole::User => {
                    ChatCompletionRequestUserMessage::from(message.content.as_str()).into()
                }
                ChatRole::Assistant => {
                    ChatCompletionRequestAssistantMessage::from(message.content.as_str()).into()
                }
            })
            .collect();
        CreateChatCompletionRequestArgs::default()
            .model(&self.settings.model)
            .messages(messages)
            .max_completion_tokens(request.max_tokens)
            .temperature(self.settings.temperature)
            .build()
            .map_err(|error| self.refused(error.to_string()))
    }

    fn refused(&self, message: String) -> LlmError {
        LlmError::Refused {
            url: self.settings.base_url.clone(),
            message,
        }
    }

    fn classify(&self, error: OpenAIError) -> Failure {
        match error {
            OpenAIError::Reqwest(error) => Failure::Transient(error.to_string()),
            OpenAIError::StreamError(error) => Failure::Transient(error.to_string()),
            OpenAIError::ApiError(response)
                if response.status_code.as_u16() == 429
                    || response.status_code.is_server_error() =>
            {
                Failure::Transient(response.to_string())
            }
            // llama.cpp's server writes its error's code as a number, which the OpenAI types
            // cannot read: its own message says what went wrong ("exceeds the available context
            // size"), and its code whether trying again can help.
            OpenAIError::JSONDeserialize(error, content) => match server_error(&content) {
                Some(ServerError {
                    too_long: Some((prompt_tokens, context_tokens)),
                    ..
                }) => Failure::Final(LlmError::PromptTooLong {
                    url: self.settings.base_url.clone(),
                    prompt_tokens,
                    context_tokens,
                }),
                Some(ServerError { code, message, .. })
                    if code == Some(429) || code.is_some_and(|c| c >= 500) =>
                {
                    Failure::Transient(message)
                }
                Some(ServerError { message, .. }) => Failure::Final(self.refused(message)),
                None => Failure::Final(self.refused(format!(
                    "an unreadable response ({error}): {}",
                    crate::text::excerpt(&content, 300)
                ))),
            },
            other => Failure::Final(self.refused(other.to_string())),
        }
    }

    async fn attempt(
        &self,
        request: &LlmRequest,
        tokens: &mut Option<TokenSink<'_>>,
        streamed_any: &mut bool,
    ) -> Result<String, Failure> {
        let body = self.build(request).map_err(Failure::Final)?;
        let Some(sink) = tokens.as_mut() else {
            let response = self
                .client
                .chat()
                .create(body)
                .await
                .map_err(|error| self.classify(error))?;
            return Ok(response
                .choices
                .into_iter()
                .next()
                .and_then(|choice| choice.message.content)
                .unwrap_or_default());
        };
        let mut stream = self
            .client
            .chat()
            .create_stream(body)
            .await
            .map_err(|error| self.classify(error))?;
        let mut text = String::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|error| self.classify(error))?;
            for choice in chunk.choices {
                if let Some(piece) = choice.delta.content {
                    *streamed_any = true;
                    sink(&piece);
                    text.push_str(&piece);
                }
            }
        }
        Ok(text)
    }
}

impl LlmClient for OpenAiClient {
    fn complete<'a>(
        &'a self,
        request: &'a LlmRequest,
        mut tokens: Option<TokenSink<'a>>,
    ) -> BoxFuture<'a, Result<String, LlmError>> {
        Box::pin(async move {
            let url = self.settings.base_url.clone();
            let attempts = self.settings.retries + 1;
            let mut last = Failure::TimedOut;
            for attempt in 0..attempts {
                if attempt > 0 {
                    tokio::time::sleep(Duration::from_millis(250 << attempt.min(5))).await;
                }
                let mut streamed_any = false;
                let outcome = tokio::time::timeout(
                    self.settings.timeout,
                    self.attempt(request, &mut tokens, &mut streamed_any),
                )
                .await
                .unwrap_or(Err(Failure::TimedOut));
                match outcome {
                    Ok(text) if text.trim().is_empty() => return Err(LlmError::Empty { url }),
                    Ok(text) => return Ok(text),
                    Err(Failure::Final(error)) => return Err(error),
                    // Text already shown cannot be taken back: a half-streamed reply is not
                    // retried.
                    Err(failure) if streamed_any => {
                        last = failure;
                        break;
                    }
                    Err(failure) => last = failure,
                }
            }
            Err(match last {
                Failure::TimedOut => LlmError::Timeout {
                    url,
                    after: self.settings.timeout,
                    attempts,
                },
                Failure::Transient(message) => LlmError::Unreachable {
                    url,
                    attempts,
                    message,
                },
                Failure::Final(error) => error,
            })
        })
    }

    fn model(&self) -> &str {
        &self.settings.model
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// A local server that speaks just enough HTTP: each connection gets the next of
    /// `responses` (status, body), or silence when the list runs out of them.
    async fn serve(responses: Vec<(u16, &'static str)>) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let served = Arc::new(AtomicUsize::new(0));
        let counter = served.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let index = counter.fetch_add(1, Ordering::SeqCst);
                let response = responses.get(index).copied();
                tokio::spawn(async move {
                    let mut buffer = vec![0u8; 65536];
                    let _ = socket.read(&mut buffer).await;
                    let Some((status, body)) = response else {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        return;
                    };
                    let reply = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(reply.as_bytes()).await;
                });
            }
        });
        (format!("http://{address}/v1"), served)
    }

    const COMPLETION: &str = r#"{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Delivery takes two days [1]."},"finish_reason":"stop"}]}"#;
    const OVERLOADED: &str =
        r#"{"error":{"message":"busy","type":"server_error","param":null,"code":null}}"#;
    const BAD_REQUEST: &str = r#"{"error":{"message":"model not found","type":"invalid_request_error","param":null,"code":null}}"#;
    /// As llama.cpp's server writes them: the code is a number.
    const TOO_LONG: &str = r#"{"error":{"code":400,"message":"request (2293 tokens) exceeds the available context size (2048 tokens), try increasing it","type":"exceed_context_size_error","n_prompt_tokens":2293,"n_ctx":2048}}"#;
    const LOADING: &str =
        r#"{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}"#;
    const NO_GRAMMAR: &str = r#"{"error":{"code":400,"message":"Failed to parse grammar","type":"invalid_request_error"}}"#;

    fn request() -> LlmRequest {
        LlmRequest {
            messages: vec![ChatMessage::new(ChatRole::User, "How long is delivery?")],
            max_tokens: 32,
        }
    }

    fn client(url: &str, timeout: Duration) -> OpenAiClient {
        OpenAiClient::new(LlmSettings {
            timeout,
            ..LlmSettings::new(url, "m")
        })
    }

    #[tokio::test]
    async fn server_errors_are_retried_until_an_answer() {
        let (url, served) = serve(vec![
            (503, OVERLOADED),
            (500, OVERLOADED),
            (200, COMPLETION),
        ])
        .await;
        let text = client(&url, Duration::from_secs(10))
            .complete(&request(), None)
            .await
            .unwrap();
        assert_eq!(text, "Delivery takes two days [1].");
        assert_eq!(served.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_refused_request_is_not_retried() {
        let (url, served) = serve(vec![(404, BAD_REQUEST), (200, COMPLETION)]).await;
        let error = client(&url, Duration::from_secs(10))
            .complete(&request(), None)
            .await
            .unwrap_err();
        assert!(matches!(error, LlmError::Refused { .. }), "{error}");
        assert!(error.to_string().contains("model not found"), "{error}");
        assert_eq!(served.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_llama_server_error_says_what_it_said() {
        let (url, served) = serve(vec![(400, TOO_LONG), (200, COMPLETION)]).await;
        let error = client(&url, Duration::from_secs(10))
            .complete(&request(), None)
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                LlmError::PromptTooLong {
                    prompt_tokens: 2293,
                    context_tokens: 2048,
                    ..
                }
            ),
            "{error}"
        );
        assert!(
            error
                .to_string()
                .ends_with("reads at most 2048 tokens; the prompt had 2293"),
            "{error}"
        );
        assert_eq!(served.load(Ordering::SeqCst), 1);
        let (url, _) = serve(vec![(400, NO_GRAMMAR)]).await;
        let error = client(&url, Duration::from_secs(10))
            .complete(&request(), None)
            .await
            .unwrap_err();
        assert!(
            error
                .to_string()
                .ends_with("refused the request: Failed to parse grammar"),
            "{error}"
        );
        let (url, served) = serve(vec![(503, LOADING), (200, COMPLETION)]).await;
        let text = client(&url, Duration::from_secs(10))
            .complete(&request(), None)
            .await
            .unwrap();
        assert_eq!(text, "Delivery takes two days [1].");
        assert_eq!(
            served.load(Ordering::SeqCst),
            2,
            "a numeric 503 is tried again"
        );
    }

    #[tokio::test]
    async fn a_silent_server_times_out_after_every_attempt() {
        let (url, served) = serve(Vec::new()).await;
        let error = client(&url, Duration::from_millis(300))
            .complete(&request(), None)
            .await
            .unwrap_err();
        assert!(
            matches!(error, LlmError::Timeout { attempts: 3, .. }),
            "{error}"
        );
        assert_eq!(served.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn nothing_listening_is_unreachable() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let settings = LlmSettings {
            retries: 0,
            ..LlmSettings::new(&format!("http://127.0.0.1:{port}/v1"), "m")
        };
        let error = OpenAiClient::new(settings)
            .complete(&request(), None)
            .await
            .unwrap_err();
        assert!(matches!(error, LlmError::Unreachable { .. }), "{error}");
    }
}
