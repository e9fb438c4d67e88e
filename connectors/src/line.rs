//! LINE Messaging API: webhook deliveries signed with the channel secret (`X-Line-Signature`,
//! base64 HMAC-SHA256 of the raw body), events in batches; replies go out with the event's
//! reply token while it is fresh (free), else by push with `X-Line-Retry-Key`, so a push
//! retried after a lost answer is not sent twice (LINE answers 409). No window.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::time::Duration;

use serde::Deserialize;

use crate::channel::{Field, OutgoingText, Settings, WebhookError, WebhookRequest};
use crate::event::{ChannelEvent, Content, IncomingMessage, Media, MediaKind, Sender};
use crate::{OutboundRequest, SendOutcome};

/// The header that carries the delivery's signature.
pub const SIGNATURE_HEADER: &str = "x-line-signature";
/// The most message objects one reply or push carries.
pub const MAX_MESSAGES_PER_REQUEST: usize = 5;
/// The longest text message, in UTF-16 units.
pub const MAX_TEXT_UNITS: usize = 5_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error("the {SIGNATURE_HEADER} header is missing")]
    MissingSignature,
    #[error("the {SIGNATURE_HEADER} header does not match the body signed with the channel_secret")]
    WrongSignature,
    #[error("the delivery does not read as a LINE webhook: {0}")]
    Malformed(String),
    #[error(
        "a text of {units} UTF-16 units needs more than {MAX_MESSAGES_PER_REQUEST} messages of {MAX_TEXT_UNITS}"
    )]
    TooLong { units: usize },
}

/// Whether the delivery came from LINE: the signature of the raw body, as received.
pub fn verify(header: Option<&str>, body: &[u8], channel_secret: &str) -> Result<(), LineError> {
    let given = header.ok_or(LineError::MissingSignature)?;
    let given = STANDARD
        .decode(given.trim())
        .map_err(|_| LineError::WrongSignature)?;
    if crate::mac::hmac_sha256_matches(channel_secret, body, &given) {
        Ok(())
    } else {
        Err(LineError::WrongSignature)
    }
}

#[derive(Deserialize)]
struct Delivery {
    events: Vec<Event>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    #[serde(rename = "type")]
    kind: String,
    webhook_event_id: Option<String>,
    timestamp: Option<i64>,
    source: Option<Source>,
    reply_token: Option<String>,
    message: Option<Message>,
    postback: Option<Postback>,
    unsend: Option<Unsend>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Source {
    #[serde(rename = "type")]
    kind: String,
    user_id: Option<String>,
    group_id: Option<String>,
    room_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Message {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    text: Option<String>,
    file_name: Option<String>,
    file_size: Option<u64>,
    title: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    package_id: Option<String>,
    sticker_id: Option<String>,
    quoted_message_id: Option<String>,
}

#[derive(Deserialize)]
struct Postback {
    data: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Unsend {
    message_id: String,
}

/// The events of one delivery, in order. A message's id is LINE's message id (stable across
/// redeliveries); other events are known by their `webhookEventId`.
pub fn parse(body: &[u8]) -> Result<Vec<ChannelEvent>, LineError> {
    let delivery: Delivery =
        serde_json::from_slice(body).map_err(|error| LineError::Malformed(error.to_string()))?;
    Ok(delivery.events.into_iter().map(event).collect())
}

fn event(event: Event) -> ChannelEvent {
    let unhandled = |kind: &str| ChannelEvent::Unhandled {
        kind: kind.to_string(),
    };
    // Replies go to where the person wrote: their own chat, or the group or room.
    let Some(external_id) = event
        .source
        .as_ref()
        .and_then(|source| match source.kind.as_str() {
            "group" => source.group_id.clone(),
            "room" => source.room_id.clone(),
            _ => source.user_id.clone(),
        })
    else {
        return unhandled(&event.kind);
    };
    let sender = Sender {
        external_id: external_id.clone(),
        ..Sender::default()
    };
    let sent_at = event.timestamp.map(|millis| millis / 1000);
    let incoming = |id: String, content: Content, reply_to: Option<String>| {
        ChannelEvent::Message(Box::new(IncomingMessage {
            id,
            sender: sender.clone(),
            content,
            reply_to,
            sent_at,
            reply_token: event.reply_token.clone(),
        }))
    };
    match event.kind.as_str() {
        "message" | "messageEdited" => {
            let Some(message) = event.message else {
                return unhandled(&event.kind);
            };
            let Some(content) = content(&message) else {
                return unhandled(&format!("message.{}", message.kind));
            };
            if event.kind == "messageEdited" {
                let Content::Text(text) = content else {
                    return unhandled("messageEdited");
                };
                let id = event
                    .webhook_event_id
                    .unwrap_or_else(|| format!("{}:edit", message.id));
                let edit = Content::Edit {
                    message_id: message.id,
                    text,
                };
                return incoming(id, edit, None);
            }
            incoming(message.id, content, message.quoted_message_id)
        }
        "postback" => match (event.postback, event.webhook_event_id.clone()) {
            (Some(postback), Some(id)) => incoming(
                id,
                Content::Choice {
                    payload: postback.data,
                    title: None,
                },
                None,
            ),
            _ => unhandled("postback"),
        },
        "unsend" => match (event.unsend, event.webhook_event_id.clone()) {
            (Some(unsend), Some(id)) => incoming(
                id,
                Content::Unsend {
                    message_id: unsend.message_id,
                },
                None,
            ),
            _ => unhandled("unsend"),
        },
        "follow" | "unfollow" => ChannelEvent::Subscription {
            external_id,
            subscribed: event.kind == "follow",
        },
        other => unhandled(other),
    }
}

fn content(message: &Message) -> Option<Content> {
    let media = |kind| {
        Content::Media(Media {
            kind,
            // Fetched through the content API by the message's id.
            file: message.id.clone(),
            name: message.file_name.clone(),
            content_type: None,
            bytes: message.file_size,
            caption: None,
        })
    };
    Some(match message.kind.as_str() {
        "text" => Content::Text(
            message
                .text
                .clone()
                .filter(|text| !text.trim().is_empty())?,
        ),
        "image" => media(MediaKind::Image),
        "video" => media(MediaKind::Video),
        "audio" => media(MediaKind::Audio),
        "file" => media(MediaKind::Document),
        "sticker" => Content::Media(Media {
            kind: MediaKind::Sticker,
            file: format!(
                "{}/{}",
                message.package_id.as_deref().unwrap_or_default(),
                message.sticker_id.as_deref().unwrap_or_default()
            ),
            name: None,
            content_type: None,
            bytes: None,
            caption: message.text.clone(),
        }),
        "location" => Content::Location {
            latitude: message.latitude?,
            longitude: message.longitude?,
            name: message.title.clone(),
        },
        _ => return None,
    })
}

/// How a text reaches a LINE user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    /// With the reply token of the message answered, while it is fresh: free.
    Reply { reply_token: &'a str },
    /// To the user, group or room by id, counted against the monthly quota. `retry_key` (a
    /// UUID: the outbound message's id) makes a repeated push a no-op.
    Push { to: &'a str, retry_key: &'a str },
}

/// The one request that delivers `text`: up to five text messages of 5,000 units each, the
/// last with `choices` as quick reply buttons (at most 13, labels of at most 20 characters)
/// whose tap sends the label as the user's message.
pub fn send_text(
    api_base: &str,
    access_token: &str,
    route: Route<'_>,
    text: &str,
    choices: &[String],
) -> Result<OutboundRequest, LineError> {
    const MAX_QUICK_REPLIES: usize = 13;
    const MAX_LABEL: usize = 20;
    let units = text.encode_utf16().count();
    let parts = crate::text::split(text, MAX_TEXT_UNITS);
    if parts.len() > MAX_MESSAGES_PER_REQUEST {
        return Err(LineError::TooLong { units });
    }
    let mut messages: Vec<_> = parts
        .iter()
        .map(|part| serde_json::json!({ "type": "text", "text": part }))
        .collect();
    let items: Vec<serde_json::Value> = choices
        .iter()
        .filter(|choice| (1..=MAX_LABEL).contains(&choice.chars().count()))
        .take(MAX_QUICK_REPLIES)
        .map(|choice| {
            serde_json::json!({ "type": "action",
                "action": { "type": "message", "label": choice, "text": choice } })
        })
        .collect();
    if let (Some(last), false) = (messages.last_mut(), items.is_empty()) {
        last["quickReply"] = serde_json::json!({ "items": items });
    }
    let base = api_base.trim_end_matches('/');
    let mut headers = vec![
        ("content-type".to_string(), "application/json".to_string()),
        (
            "authorization".to_string(),
            format!("Bearer {access_token}"),
        ),
    ];
    let (url, body) = match route {
        Route::Reply { reply_token } => (
            format!("{base}/v2/bot/message/reply"),
            serde_json::json!({ "replyToken": reply_token, "messages": messages }),
        ),
        Route::Push { to, retry_key } => {
            headers.push(("x-line-retry-key".to_string(), retry_key.to_string()));
            (
                format!("{base}/v2/bot/message/push"),
                serde_json::json!({ "to": to, "messages": messages }),
            )
        }
    };
    Ok(OutboundRequest {
        url,
        headers,
        body: serde_json::to_vec(&body).unwrap_or_default(),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    #[serde(default)]
    sent_messages: Vec<SentMessage>,
    message: Option<String>,
}

#[derive(Deserialize)]
struct SentMessage {
    id: String,
}

/// What LINE's answer to a send means. 409 to a push answers a retry key already used: the
/// first push went out, so this one is accepted, not sent again. 429 and 5xx are worth
/// retrying, as is a refused reply token (400: the retry pushes instead); any other error is
/// not.
pub fn read_send_answer(status: u16, body: &[u8]) -> SendOutcome {
    let answer: Option<Answer> = serde_json::from_slice(body).ok();
    let described = || {
        answer
            .as_ref()
            .and_then(|answer| answer.message.clone())
            .unwrap_or_else(|| "no description".into())
    };
    match status {
        200..=299 => SendOutcome::Accepted {
            platform_id: answer
                .as_ref()
                .and_then(|answer| answer.sent_messages.first())
                .map(|sent| sent.id.clone()),
        },
        409 => SendOutcome::Accepted { platform_id: None },
        // The reply token was spent or too old: worth trying again at once, as a push.
        400 if described().to_ascii_lowercase().contains("reply token") => SendOutcome::Transient {
            error: format!("LINE 400: {}", described()),
            retry_after: Some(0),
        },
        429 | 500..=599 => SendOutcome::Transient {
            error: format!("LINE {status}: {}", described()),
            retry_after: None,
        },
        _ => SendOutcome::Rejected {
            error: format!("LINE {status}: {}", described()),
        },
    }
}

/// LINE as a channel account's platform: one Messaging API channel.
pub struct Line;

impl crate::channel::Platform for Line {
    fn kind(&self) -> &'static str {
        "line"
    }

    fn fields(&self) -> &'static [Field] {
        const FIELDS: &[Field] = &[
            Field::secret("channel_secret"),
            Field::secret("access_token"),
        ];
        FIELDS
    }

    fn default_api_base(&self) -> &'static str {
        "https://api.line.me"
    }

    fn verify(
        &self,
        settings: &Settings,
        request: &WebhookRequest<'_, '_>,
    ) -> Result<(), WebhookError> {
        verify(
            (request.header)(SIGNATURE_HEADER),
            request.body,
            settings.get("channel_secret"),
        )
        .map_err(|error| WebhookError::Unauthenticated(error.to_string()))
    }

    fn parse(&self, body: &[u8]) -> Result<Vec<ChannelEvent>, WebhookError> {
        parse(body).map_err(|error| WebhookError::Malformed(error.to_string()))
    }

    /// One request: a reply while the token is fresh (free), else a push keyed by the
    /// message's id, so a retried push is not delivered twice.
    fn send_text(
        &self,
        api_base: &str,
        settings: &Settings,
        delivery: &OutgoingText<'_>,
    ) -> Result<Vec<OutboundRequest>, String> {
        let retry_key = retry_key(delivery.message_id);
        let route = match delivery.reply_token {
            Some(reply_token) => Route::Reply { reply_token },
            None => Route::Push {
                to: delivery.to,
                retry_key: &retry_key,
            },
        };
        send_text(
            api_base,
            settings.get("access_token"),
            route,
            delivery.text,
            delivery.choices,
        )
        .map(|request| vec![request])
        .map_err(|error| error.to_string())
    }

    /// The Messaging API's limit on a channel's sending endpoints.
    fn sends_per_second(&self) -> u32 {
        2_000
    }

    fn read_send_answer(&self, status: u16, body: &[u8]) -> SendOutcome {
        read_send_answer(status, body)
    }

    /// LINE takes a reply token within a minute of the event; a little less leaves time for
    /// the request to arrive.
    fn reply_token_life(&self) -> Option<Duration> {
        Some(Duration::from_secs(50))
    }
}

/// The retry key of a push: LINE takes a UUID in its hyphenated form. The message's id is a
/// UUID; anything else is kept as given (and LINE refuses it, which says why).
fn retry_key(message_id: &str) -> String {
    let hex: String = message_id.chars().filter(char::is_ascii_hexdigit).collect();
    if hex.len() == 32 && message_id.len() <= 36 {
        format!(
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        )
    } else {
        message_id.to_string()
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    use super::*;

    #[test]
    fn a_refused_reply_token_is_tried_again_as_a_push() {
        assert!(matches!(
            read_send_answer(400, br#"{"message":"Invalid reply token"}"#),
            SendOutcome::Transient { .. }
        ));
        assert!(matches!(
            read_send_answer(400, br#"{"message":"The request body has 1 error(s)"}"#),
            SendOutcome::Rejected { .. }
        ));
    }

    fn sample() -> Option<Vec<u8>> {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/data/webhooks/line/line-bot-sdk-python_v3_webhook.json");
        match std::fs::read(&path) {
            Ok(body) => Some(body),
            Err(_) => {
                println!("skipped: {} is absent", path.display());
                None
            }
        }
    }

    fn sign(body: &[u8], secret: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body);
        STANDARD.encode(mac.finalize().into_bytes())
    }

    #[test]
    fn every_event_of_the_sdks_webhook_sample_is_read() {
        let Some(body) = sample() else { return };
        let events = parse(&body).unwrap();
        assert_eq!(events.len(), 28);
        let messages: Vec<&IncomingMessage> = events
            .iter()
            .filter_map(|event| match event {
                ChannelEvent::Message(message) => Some(message.as_ref()),
                _ => None,
            })
            .collect();
        let text = messages[0];
        assert_eq!(text.id, "325708");
        assert_eq!(text.sender.external_id, "U206d25c2ea6bd87c17655609a1c37cb8");
        assert_eq!(text.content, Content::Text("Hello, world".into()));
        assert_eq!(
            text.reply_token.as_deref(),
            Some("nHuyWiB7yP5Zw52FIkcQobQuGDXCTA")
        );
        assert_eq!(text.sent_at, Some(1_462_629_479));
        // A message in a room is answered in the room.
        assert_eq!(
            messages[1].sender.external_id,
            "Ra8dbf4673c4c812cd491258042226c99"
        );
        assert!(messages.iter().any(|message| matches!(
            &message.content,
            Content::Location { name: Some(name), .. } if name == "my location"
        )));
        assert!(messages.iter().any(|message| matches!(
            &message.content,
            Content::Media(Media {
                kind: MediaKind::Document,
                ..
            })
        )));
        assert!(
            messages
                .iter()
                .any(|message| matches!(&message.content, Content::Unsend { .. }))
        );
        assert!(
            messages
                .iter()
                .any(|message| matches!(&message.content, Content::Edit { .. }))
        );
        assert!(events.contains(&ChannelEvent::Subscription {
            external_id: "U206d25c2ea6bd87c17655609a1c37cb8".into(),
            subscribed: false
        }));
        assert!(events.contains(&ChannelEvent::Unhandled {
            kind: "undefined".into()
        }));
    }

    #[test]
    fn the_signature_covers_the_raw_body() {
        let body = br#"{"destination":"U1","events":[]}"#;
        let signature = sign(body, "channel-secret");
        verify(Some(&signature), body, "channel-secret").unwrap();
        let reformatted = br#"{"destination": "U1", "events": []}"#;
        assert_eq!(
            verify(Some(&signature), reformatted, "channel-secret"),
            Err(LineError::WrongSignature)
        );
        assert_eq!(
            verify(Some(&signature), body, "another-secret"),
            Err(LineError::WrongSignature)
        );
        assert_eq!(
            verify(Some("not base64!"), body, "channel-secret"),
            Err(LineError::WrongSignature)
        );
        assert_eq!(
            verify(None, body, "channel-secret"),
            Err(LineError::MissingSignature)
        );
    }

    #[test]
    fn a_reply_uses_the_token_and_a_push_its_retry_key() {
        let reply = send_text(
            "http://127.0.0.1:9",
            "token",
            Route::Reply { reply_token: "r-1" },
            "مرحبا",
            &[],
        )
        .unwrap();
        assert_eq!(reply.url, "http://127.0.0.1:9/v2/bot/message/reply");
        let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(body["replyToken"], "r-1");
        assert_eq!(body["messages"][0]["text"], "مرحبا");
        assert!(
            !reply
                .headers
                .iter()
                .any(|(name, _)| name == "x-line-retry-key")
        );

        let long = "word ".repeat(4_000);
        let push = send_text(
            "http://127.0.0.1:9/",
            "token",
            Route::Push {
                to: "U1",
                retry_key: "0190f0e4-0000-7000-8000-000000000001",
            },
            &long,
            &["1".to_string(), "2".to_string()],
        )
        .unwrap();
        assert_eq!(push.url, "http://127.0.0.1:9/v2/bot/message/push");
        assert!(push.headers.contains(&(
            "x-line-retry-key".into(),
            "0190f0e4-0000-7000-8000-000000000001".into()
        )));
        let body: serde_json::Value = serde_json::from_slice(&push.body).unwrap();
        let messages = body["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 4);
        assert!(messages.iter().all(|message| {
            message["text"].as_str().unwrap().encode_utf16().count() <= MAX_TEXT_UNITS
        }));
        // The choices ride on the last message, as buttons that send their label.
        assert!(
            messages[..3]
                .iter()
                .all(|message| message.get("quickReply").is_none())
        );
        assert_eq!(
            messages[3]["quickReply"]["items"][1],
            serde_json::json!({ "type": "action",
                "action": { "type": "message", "label": "2", "text": "2" } })
        );
        let too_long = "x".repeat(MAX_TEXT_UNITS * MAX_MESSAGES_PER_REQUEST + 1);
        assert!(matches!(
            send_text(
                "http://t",
                "token",
                Route::Reply { reply_token: "r" },
                &too_long,
                &[]
            ),
            Err(LineError::TooLong { .. })
        ));
    }

    #[test]
    fn a_repeated_push_is_accepted_not_sent_again() {
        assert_eq!(
            read_send_answer(
                200,
                br#"{"sentMessages":[{"id":"461230966842064897","quoteToken":"q"}]}"#
            ),
            SendOutcome::Accepted {
                platform_id: Some("461230966842064897".into())
            }
        );
        assert_eq!(
            read_send_answer(409, br#"{"message":"The retry key is already accepted"}"#),
            SendOutcome::Accepted { platform_id: None }
        );
        assert!(matches!(
            read_send_answer(429, br#"{"message":"Too Many Requests"}"#),
            SendOutcome::Transient { .. }
        ));
        let SendOutcome::Rejected { error } =
            read_send_answer(400, br#"{"message":"The request body has 1 error(s)"}"#)
        else {
            panic!("a malformed request is final")
        };
        assert!(error.contains("1 error(s)"), "{error}");
    }
}
