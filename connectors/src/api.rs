//! The `api` channel: a business's own system posts its customers' messages as JSON and
//! receives the replies at its webhook URL, signed with the channel's secret (Standard
//! Webhooks). The first channel of the inbox, and the shape every other channel's messages are
//! turned into.

use serde::{Deserialize, Serialize};

use crate::signing::SigningSecret;
use crate::{OutboundRequest, SendOutcome};

/// The longest message text taken or sent, in characters (WhatsApp's limit, the largest of
/// the channels').
pub const MAX_TEXT_CHARS: usize = 4_096;
/// The longest id or name a sender gives, in characters.
const MAX_FIELD_CHARS: usize = 256;

/// A customer's message as the business's system posts it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
pub struct InboundBody {
    pub contact: InboundContact,
    pub message: InboundMessage,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
pub struct InboundContact {
    /// The customer's id in the business's system: the same id is the same contact.
    pub external_id: String,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
pub struct InboundMessage {
    /// The message's id in the business's system: a message posted twice is stored once.
    pub id: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InboundError {
    #[error("the body is not the api channel's JSON: {0}")]
    Malformed(String),
    #[error("{0}: must not be empty")]
    Empty(&'static str),
    #[error("{field}: {length} characters, more than the limit of {limit}")]
    TooLong {
        field: &'static str,
        length: usize,
        limit: usize,
    },
}

impl InboundError {
    /// Whether the error is about size (answered 413 rather than 422).
    pub fn is_too_large(&self) -> bool {
        matches!(
            self,
            InboundError::TooLong {
                field: "message.text",
                ..
            }
        )
    }
}

/// Reads and checks a posted message: every field named when it is wrong.
pub fn parse(body: &[u8]) -> Result<InboundBody, InboundError> {
    let inbound: InboundBody =
        serde_json::from_slice(body).map_err(|error| InboundError::Malformed(error.to_string()))?;
    let fields = [
        (
            "contact.external_id",
            inbound.contact.external_id.as_str(),
            MAX_FIELD_CHARS,
        ),
        ("message.id", inbound.message.id.as_str(), MAX_FIELD_CHARS),
        (
            "message.text",
            inbound.message.text.as_str(),
            MAX_TEXT_CHARS,
        ),
    ];
    for (field, value, limit) in fields {
        if value.trim().is_empty() {
            return Err(InboundError::Empty(field));
        }
        let length = value.chars().count();
        if length > limit {
            return Err(InboundError::TooLong {
                field,
                length,
                limit,
            });
        }
    }
    if let Some(name) = &inbound.contact.name {
        let length = name.chars().count();
        if length > MAX_FIELD_CHARS {
            return Err(InboundError::TooLong {
                field: "contact.name",
                length,
                limit: MAX_FIELD_CHARS,
            });
        }
    }
    Ok(inbound)
}

/// A message to deliver to the business's webhook.
#[derive(Debug, Clone, Serialize)]
pub struct OutboundMessage<'a> {
    /// `message.created`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub conversation_id: &'a str,
    pub contact: OutboundContact<'a>,
    pub message: OutboundText<'a>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OutboundContact<'a> {
    pub external_id: &'a str,
}

#[derive(Debug, Clone, Serialize)]
pub struct OutboundText<'a> {
    pub id: &'a str,
    pub text: &'a str,
    /// The business's id of the customer message this answers, when it answers one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<&'a str>,
}

/// The signed POST that delivers `message`: the delivery's id is the message's, so a retried
/// delivery carries the same `webhook-id` and the receiver can drop the repeat.
pub fn outbound(
    webhook_url: &str,
    secret: &SigningSecret,
    message: &OutboundMessage<'_>,
    now_seconds: i64,
) -> OutboundRequest {
    let body = serde_json::to_vec(message).unwrap_or_default();
    let mut headers = secret.headers(message.message.id, now_seconds, &body);
    headers.push(("content-type".into(), "application/json".into()));
    OutboundRequest {
        url: webhook_url.to_string(),
        headers,
        body,
    }
}

/// What the business's answer means: any 2xx took it (its JSON `id`, when it gives one, is the
/// message's id there); 408, 425, 429 and 5xx are worth retrying; other statuses are not.
pub fn read_answer(status: u16, retry_after: Option<u64>, body: &[u8]) -> SendOutcome {
    match status {
        200..=299 => SendOutcome::Accepted {
            platform_id: serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|answer| answer.get("id")?.as_str().map(str::to_string)),
        },
        408 | 425 | 429 | 500..=599 => SendOutcome::Transient {
            error: format!("the webhook answered {status}"),
            retry_after,
        },
        _ => SendOutcome::Rejected {
            error: format!(
                "the webhook answered {status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_posted_message_is_read_and_each_wrong_field_named() {
        let body = br#"{"contact":{"external_id":"c-1","name":"Amal"},"message":{"id":"m-1","text":"hello"}}"#;
        let inbound = parse(body).unwrap();
        assert_eq!(inbound.contact.name.as_deref(), Some("Amal"));
        assert_eq!(inbound.message.text, "hello");

        let empty = br#"{"contact":{"external_id":" "},"message":{"id":"m","text":"x"}}"#;
        assert_eq!(
            parse(empty),
            Err(InboundError::Empty("contact.external_id"))
        );
        let long = format!(
            r#"{{"contact":{{"external_id":"c"}},"message":{{"id":"m","text":"{}"}}}}"#,
            "ا".repeat(MAX_TEXT_CHARS + 1)
        );
        let error = parse(long.as_bytes()).unwrap_err();
        assert!(error.is_too_large());
        assert!(error.to_string().contains("4096"), "{error}");
        assert!(matches!(parse(b"{}"), Err(InboundError::Malformed(_))));
    }

    #[test]
    fn a_delivery_is_signed_and_its_answer_read() {
        let secret = SigningSecret::from_bytes(vec![3; 32]);
        let message = OutboundMessage {
            kind: "message.created",
            conversation_id: "conv",
            contact: OutboundContact { external_id: "c-1" },
            message: OutboundText {
                id: "msg-1",
                text: "مرحبا",
                reply_to: Some("m-1"),
            },
        };
        let request = outbound("http://127.0.0.1:9/hook", &secret, &message, 1_700_000_000);
        let header = |name: &str| {
            request
                .headers
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        assert_eq!(
            secret.verify(header, &request.body, 1_700_000_000),
            Ok("msg-1")
        );
        let sent: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(sent["message"]["reply_to"], "m-1");

        assert_eq!(
            read_answer(200, None, br#"{"id":"ext-9"}"#),
            SendOutcome::Accepted {
                platform_id: Some("ext-9".into())
            }
        );
        assert!(matches!(
            read_answer(503, Some(5), b""),
            SendOutcome::Transient {
                retry_after: Some(5),
                ..
            }
        ));
        assert!(matches!(
            read_answer(410, None, b"gone"),
            SendOutcome::Rejected { .. }
        ));
    }
}
