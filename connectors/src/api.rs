//! The `api` channel: a business's own system posts its customers' messages as JSON and
//! receives the replies at its webhook URL, signed with the channel's secret (Standard
//! Webhooks). The first channel of the inbox, and the shape every other channel's messages are
//! turned into.

use serde::{Deserialize, Serialize};
use types::{Email, Phone};

use crate::signing::SigningSecret;
use crate::{OutboundRequest, SendOutcome};

/// The longest message text taken or sent, in characters (WhatsApp's limit, the largest of
/// the channels').
pub const MAX_TEXT_CHARS: usize = 4_096;
/// The longest id or name a sender gives, in characters.
const MAX_FIELD_CHARS: usize = 256;
/// The largest attachment taken, in bytes (WhatsApp's cap on video and audio).
pub const MAX_ATTACHMENT_BYTES: usize = 16 * 1024 * 1024;
/// The most attachments one message carries.
pub const MAX_ATTACHMENTS: usize = 10;
/// The largest body `inbound` reads: one attachment at its cap as base64, and the rest.
pub const MAX_INBOUND_BODY_BYTES: usize = MAX_ATTACHMENT_BYTES / 3 * 4 + 1024 * 1024;

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
    /// With its country code (`+971501234567`). A contact another channel knows by the same
    /// number is the same person.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Phone>,
    /// A contact another channel knows by the same address is the same person.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub email: Option<Email>,
    /// The language they write in, as a BCP 47 tag (`ar`, `en-GB`).
    #[serde(default)]
    pub language: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
pub struct InboundMessage {
    /// The message's id in the business's system: a message posted twice is stored once.
    pub id: String,
    /// May be empty when the message carries attachments.
    #[serde(default)]
    pub text: String,
    /// Files the customer sent (up to 10, each up to 16 MiB).
    #[serde(default)]
    pub attachments: Vec<InboundAttachment>,
}

/// A file as the business's system posts it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
pub struct InboundAttachment {
    /// The file's name, as the customer's device gave it.
    pub name: String,
    /// `image/jpeg`, `application/pdf`, ...
    pub content_type: String,
    /// The file's bytes, in standard base64.
    #[schema(value_type = String, format = Byte)]
    pub data: Base64Bytes,
}

/// Bytes sent as standard base64.
#[derive(Clone, PartialEq, Eq)]
pub struct Base64Bytes(pub Vec<u8>);

impl std::fmt::Debug for Base64Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} bytes", self.0.len())
    }
}

impl<'de> Deserialize<'de> for Base64Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use base64::Engine;
        let text = String::deserialize(deserializer)?;
        base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map(Base64Bytes)
            .map_err(|error| serde::de::Error::custom(format!("not base64: {error}")))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InboundError {
    #[error("the body is not the api channel's JSON: {0}")]
    Malformed(String),
    #[error("{0}: must not be empty")]
    Empty(&'static str),
    #[error("contact.language: {0:?} is not a language tag like \"ar\" or \"en-GB\"")]
    Language(String),
    #[error("message.attachments: {0} attachments, more than the limit of {MAX_ATTACHMENTS}")]
    TooManyAttachments(usize),
    #[error(
        "message.attachments[{index}]: {bytes} bytes, more than the limit of {MAX_ATTACHMENT_BYTES} bytes (16 MiB)"
    )]
    AttachmentTooLarge { index: usize, bytes: usize },
    #[error("message.attachments[{index}].{field}: {problem}")]
    Attachment {
        index: usize,
        field: &'static str,
        problem: &'static str,
    },
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
            } | InboundError::AttachmentTooLarge { .. }
                | InboundError::TooManyAttachments(_)
        )
    }
}

/// Reads and checks a posted message: every field named when it is wrong.
pub fn parse(body: &[u8]) -> Result<InboundBody, InboundError> {
    let mut reader = serde_json::Deserializer::from_slice(body);
    let inbound: InboundBody = serde_path_to_error::deserialize(&mut reader)
        .map_err(|error| InboundError::Malformed(error.to_string()))?;
    if let Some(language) = &inbound.contact.language
        && !is_language_tag(language)
    {
        return Err(InboundError::Language(language.clone()));
    }
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
    let attached = !inbound.message.attachments.is_empty();
    for (field, value, limit) in fields {
        if value.trim().is_empty() && !(field == "message.text" && attached) {
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
    check_attachments(&inbound.message.attachments)?;
    Ok(inbound)
}

/// Each attachment within its cap, named, typed and not empty.
fn check_attachments(attachments: &[InboundAttachment]) -> Result<(), InboundError> {
    if attachments.len() > MAX_ATTACHMENTS {
        return Err(InboundError::TooManyAttachments(attachments.len()));
    }
    for (index, attachment) in attachments.iter().enumerate() {
        let problem = |field, problem| InboundError::Attachment {
            index,
            field,
            problem,
        };
        let bytes = attachment.data.0.len();
        if bytes > MAX_ATTACHMENT_BYTES {
            return Err(InboundError::AttachmentTooLarge { index, bytes });
        }
        if bytes == 0 {
            return Err(problem("data", "the file is empty"));
        }
        let name = attachment.name.trim();
        if name.is_empty() || name.chars().count() > MAX_FIELD_CHARS || name.contains(['/', '\\']) {
            return Err(problem(
                "name",
                "a file name of 1 to 256 characters, without / or \\",
            ));
        }
        let typed = attachment
            .content_type
            .split_once('/')
            .is_some_and(|(kind, sub)| {
                let token = |part: &str| {
                    !part.is_empty()
                        && part.len() <= 127
                        && part
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c))
                };
                token(kind) && token(sub)
            });
        if !typed {
            return Err(problem("content_type", "a media type like image/jpeg"));
        }
    }
    Ok(())
}

/// A BCP 47 tag's shape: a primary language of 2 or 3 letters, then subtags of 1 to 8
/// letters or digits.
fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or_default();
    tag.len() <= 35
        && (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|part| {
            (1..=8).contains(&part.len()) && part.chars().all(|c| c.is_ascii_alphanumeric())
        })
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
    use serde_json::Value;

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
    fn a_contacts_phone_email_and_language_are_read_in_one_spelling() {
        let body = br#"{"contact":{"external_id":"c-1","phone":"+971 50 123 4567",
            "email":"Huda@Example.com","language":"ar-AE"},"message":{"id":"m-1","text":"hi"}}"#;
        let contact = parse(body).unwrap().contact;
        assert_eq!(contact.phone.unwrap().as_str(), "+971501234567");
        assert_eq!(contact.email.unwrap().as_str(), "huda@example.com");
        assert_eq!(contact.language.as_deref(), Some("ar-AE"));

        let with = |field: &str, value: &str| {
            format!(
                r#"{{"contact":{{"external_id":"c","{field}":"{value}"}},"message":{{"id":"m","text":"x"}}}}"#
            )
        };
        for (field, value) in [
            ("phone", "0501234567"),
            ("email", "huda"),
            ("language", "arabic!"),
        ] {
            let error = parse(with(field, value).as_bytes()).unwrap_err();
            assert!(
                error.to_string().contains(&format!("contact.{field}")),
                "{field}: {error}"
            );
        }
    }

    #[test]
    fn attachments_are_decoded_and_held_to_their_caps() {
        use base64::Engine;
        let encode = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        let body = |attachments: Value| {
            serde_json::to_vec(&serde_json::json!({
                "contact": { "external_id": "c" },
                "message": { "id": "m", "attachments": attachments },
            }))
            .unwrap()
        };
        let photo = serde_json::json!({ "name": "receipt.jpg", "content_type": "image/jpeg",
                                        "data": encode(b"\xff\xd8\xff photo") });
        let inbound = parse(&body(serde_json::json!([photo]))).unwrap();
        assert_eq!(inbound.message.text, "", "a file alone is a message");
        assert_eq!(inbound.message.attachments[0].data.0, b"\xff\xd8\xff photo");

        let large = serde_json::json!({ "name": "video.mp4", "content_type": "video/mp4",
                                        "data": encode(&vec![0; MAX_ATTACHMENT_BYTES + 1]) });
        let error = parse(&body(serde_json::json!([photo, large]))).unwrap_err();
        assert!(error.is_too_large());
        assert!(
            error.to_string().starts_with("message.attachments[1]:"),
            "{error}"
        );
        assert!(
            error
                .to_string()
                .contains(&MAX_ATTACHMENT_BYTES.to_string()),
            "{error}"
        );

        let error = parse(&body(serde_json::json!(vec![
            photo.clone();
            MAX_ATTACHMENTS + 1
        ])))
        .unwrap_err();
        assert!(error.is_too_large(), "{error}");
        for (field, value) in [
            ("name", json_str("../etc/passwd")),
            ("content_type", json_str("jpeg")),
            ("data", json_str("***")),
        ] {
            let mut wrong = photo.clone();
            wrong[field] = value;
            let error = parse(&body(serde_json::json!([wrong]))).unwrap_err();
            assert!(
                error
                    .to_string()
                    .contains(&format!("message.attachments[0].{field}")),
                "{field}: {error}"
            );
        }
    }

    fn json_str(text: &str) -> Value {
        Value::String(text.into())
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
