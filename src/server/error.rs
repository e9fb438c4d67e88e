//! Every error the API answers: `{"error": {"code", "message"}}`. One [`Code`] enum gives each
//! error its HTTP status and its stable string code, and the errors of the crates below map
//! onto it exhaustively, so a new kind of failure cannot silently become a 500.

use app::AppError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use records::StoreError;
use serde::Serialize;

/// The stable, machine-readable kinds of error, each with its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    BadRequest,
    InvalidRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    InsufficientCredits,
    RateLimited,
    LlmNotConfigured,
    LlmFailed,
    /// A messaging platform's API failed.
    PlatformFailed,
    NotReady,
    Internal,
}

impl Code {
    fn parts(self) -> (StatusCode, &'static str) {
        match self {
            Code::BadRequest => (StatusCode::BAD_REQUEST, "bad_request"),
            Code::InvalidRequest => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request"),
            Code::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Code::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            Code::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            Code::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Code::Conflict => (StatusCode::CONFLICT, "conflict"),
            Code::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Code::UnsupportedMediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            Code::InsufficientCredits => (StatusCode::PAYMENT_REQUIRED, "insufficient_credits"),
            Code::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Code::LlmNotConfigured => (StatusCode::SERVICE_UNAVAILABLE, "llm_not_configured"),
            Code::LlmFailed => (StatusCode::BAD_GATEWAY, "llm_failed"),
            Code::PlatformFailed => (StatusCode::BAD_GATEWAY, "platform_failed"),
            Code::NotReady => (StatusCode::SERVICE_UNAVAILABLE, "not_ready"),
            Code::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    pub fn status(self) -> StatusCode {
        self.parts().0
    }

    /// The error's `type` as OpenAI's API names it, so OpenAI clients sort errors the same way.
    fn kind(self) -> &'static str {
        match self {
            Code::Unauthorized => "authentication_error",
            Code::Forbidden => "permission_error",
            Code::InsufficientCredits => "insufficient_quota",
            Code::RateLimited => "rate_limit_error",
            Code::LlmNotConfigured
            | Code::LlmFailed
            | Code::PlatformFailed
            | Code::NotReady
            | Code::Internal => "api_error",
            Code::BadRequest
            | Code::InvalidRequest
            | Code::NotFound
            | Code::MethodNotAllowed
            | Code::Conflict
            | Code::PayloadTooLarge
            | Code::UnsupportedMediaType => "invalid_request_error",
        }
    }

    pub fn as_str(self) -> &'static str {
        self.parts().1
    }

    /// The code a status gets when nothing more specific is known (axum's own rejections).
    fn of_status(status: StatusCode) -> Code {
        match status {
            StatusCode::BAD_REQUEST => Code::BadRequest,
            StatusCode::UNAUTHORIZED => Code::Unauthorized,
            StatusCode::NOT_FOUND => Code::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => Code::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => Code::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Code::UnsupportedMediaType,
            StatusCode::UNPROCESSABLE_ENTITY => Code::InvalidRequest,
            StatusCode::TOO_MANY_REQUESTS => Code::RateLimited,
            status if status.is_client_error() => Code::BadRequest,
            _ => Code::Internal,
        }
    }
}

#[derive(Debug)]
pub struct ApiError {
    pub code: Code,
    pub message: String,
    /// The request field at fault, when one is.
    pub param: Option<&'static str>,
    /// Seconds, on 429.
    pub retry_after: Option<u64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable and machine-readable, e.g. `not_found`, `insufficient_credits`.
    pub code: String,
    pub message: String,
    /// The class of error as OpenAI's API names it (`invalid_request_error`,
    /// `authentication_error`, `rate_limit_error`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// The request field at fault, or null.
    pub param: Option<String>,
}

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            param: None,
            retry_after: None,
        }
    }

    /// An error about one field of the request.
    pub fn about(mut self, param: &'static str) -> Self {
        self.param = Some(param);
        self
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError::new(Code::InvalidRequest, message)
    }

    pub fn unauthorized() -> Self {
        ApiError::new(
            Code::Unauthorized,
            "send a valid API key or session token as Authorization: Bearer <credential>",
        )
    }

    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "request failed");
        ApiError::new(Code::Internal, "the server failed; the error is in its log")
    }

    /// The body an event stream sends in place of a status it can no longer change.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "error": {
            "code": self.code.as_str(),
            "message": self.message,
            "type": self.code.kind(),
            "param": self.param,
        } })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.as_str().to_string(),
                message: self.message,
                kind: self.code.kind().to_string(),
                param: self.param.map(str::to_string),
            },
        };
        let mut response = (self.code.status(), axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => {
                ApiError::new(Code::NotFound, format!("{what} not found"))
            }
            StoreError::Conflict(message) => ApiError::new(Code::Conflict, message),
            error @ StoreError::LimitReached { .. } => ApiError::invalid(error.to_string()),
            StoreError::InvalidPage(message) => ApiError::invalid(message),
            StoreError::Unavailable(message) => ApiError::new(Code::NotReady, message),
            error @ StoreError::InsufficientCredits { .. } => {
                ApiError::new(Code::InsufficientCredits, error.to_string())
            }
            error @ (StoreError::UnsupportedUrl(_)
            | StoreError::Migration { .. }
            | StoreError::Password(_)
            | StoreError::Corrupt(_)
            | StoreError::Database(_)) => ApiError::internal(error),
        }
    }
}

impl From<agentflow::AgentError> for ApiError {
    fn from(error: agentflow::AgentError) -> Self {
        use agentflow::AgentError;
        match error {
            error @ AgentError::WritingAssistantNeedsLlm => {
                ApiError::new(Code::LlmNotConfigured, error.to_string())
            }
            error @ AgentError::NothingToReplyTo => ApiError::invalid(error.to_string()),
            AgentError::Llm(error) => ApiError::new(Code::LlmFailed, error.to_string()),
            error @ (AgentError::Retrieve(_)
            | AgentError::Embed(_)
            | AgentError::Interrupted(_)) => ApiError::internal(error),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::Store(error) => error.into(),
            AppError::Agent(error) => error.into(),
            AppError::Invalid(message) => ApiError::invalid(message),
            AppError::TooLarge(message) => ApiError::new(Code::PayloadTooLarge, message),
            AppError::Unauthorized(message) => ApiError::new(Code::Unauthorized, message),
            AppError::Forbidden(message) => ApiError::new(Code::Forbidden, message),
            AppError::Platform(message) => ApiError::new(Code::PlatformFailed, message),
            error @ (AppError::Index(_) | AppError::Internal(_)) => ApiError::internal(error),
        }
    }
}

/// Rewrites the plain-text errors axum's extractors and router produce (a malformed JSON body,
/// an unknown route) into the API's JSON shape, so clients parse one error format.
pub async fn json_errors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let original_headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let message = String::from_utf8_lossy(&body).trim().to_string();
    let message = if message.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        message
    };
    let code = Code::of_status(status);
    // Keep the status axum chose (405, 413, ...) even where the code is a broad one.
    let mut response = ApiError::new(code, message).into_response();
    *response.status_mut() = status;
    // Keep what the original answer said besides its body (`Allow` on a 405, ...).
    for (name, value) in &original_headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            response.headers_mut().insert(name.clone(), value.clone());
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_store_error_has_its_status() {
        let cases = [
            (StoreError::NotFound("source"), StatusCode::NOT_FOUND),
            (StoreError::Conflict("taken".into()), StatusCode::CONFLICT),
            (
                StoreError::InsufficientCredits {
                    workspace: "w".into(),
                    plan: "trial".into(),
                    balance: 0,
                    needed: 1,
                },
                StatusCode::PAYMENT_REQUIRED,
            ),
            (
                StoreError::Corrupt("kind".into()),
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
        ];
        for (error, status) in cases {
            assert_eq!(ApiError::from(error).code.status(), status);
        }
        assert_eq!(
            ApiError::from(AppError::TooLarge("big".into())).code,
            Code::PayloadTooLarge
        );
    }
}
