//! Viber bots (REST Bot API): callbacks signed with the bot's auth token
//! (`X-Viber-Content-Signature`, hex HMAC-SHA256 of the raw body); messages, subscriptions and
//! delivery receipts arrive as one event each, keyed by `message_token`; replies go out through
//! `send_message` with the `X-Viber-Auth-Token` header, and an error comes back as a status
//! code inside a 200. No window, but only subscribed users can be written to.

use serde::Deserialize;
use types::DeliveryStatus;

use crate::channel::{Field, OutgoingText, Settings, WebhookError, WebhookRequest};
use crate::event::{
    ChannelEvent, Content, IncomingMessage, Media, MediaKind, Sender, StatusUpdate,
};
use crate::{OutboundRequest, SendOutcome};

/// The header that carries the callback's signature.
pub const SIGNATURE_HEADER: &str = "x-viber-content-signature";
/// The longest text message Viber takes, in characters.
pub const MAX_TEXT_UNITS: usize = 7_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ViberError {
    #[error("the {SIGNATURE_HEADER} header is missing")]
    MissingSignature,
    #[error("the {SIGNATURE_HEADER} header does not match the body signed with the auth_token")]
    WrongSignature,
    #[error("the callback does not read as a Viber event: {0}")]
    Malformed(String),
}

/// Whether the callback came from Viber: the signature of the raw body, as received.
pub fn verify(header: Option<&str>, body: &[u8], auth_token: &str) -> Result<(), ViberError> {
    let given = header.ok_or(ViberError::MissingSignature)?;
    let given = hex::decode(given.trim()).map_err(|_| ViberError::WrongSignature)?;
    if crate::mac::hmac_sha256_matches(auth_token, body, &given) {
        Ok(())
    } else {
        Err(ViberError::WrongSignature)
    }
}

#[derive(Deserialize)]
struct Callback {
    event: String,
    timestamp: Option<i64>,
    message_token: Option<u64>,
    sender: Option<User>,
    user: Option<User>,
    user_id: Option<String>,
    message: Option<Message>,
    desc: Option<String>,
}

#[derive(Deserialize)]
struct User {
    id: String,
    name: Option<String>,
    language: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    #[serde(rename = "type")]
    kind: String,
    text: Option<String>,
    media: Option<String>,
    file_name: Option<String>,
    size: Option<u64>,
    location: Option<Location>,
    contact: Option<SharedContact>,
}

#[derive(Deserialize)]
struct Location {
    lat: f64,
    lon: f64,
}

#[derive(Deserialize)]
struct SharedContact {
    name: String,
    phone_number: Option<String>,
}

/// The event of one callback.
pub fn parse(body: &[u8]) -> Result<Vec<ChannelEvent>, ViberError> {
    let callback: Callback =
        serde_json::from_slice(body).map_err(|error| ViberError::Malformed(error.to_string()))?;
    let unhandled = |kind: &str| ChannelEvent::Unhandled {
        kind: kind.to_string(),
    };
    let status = |status| match callback.message_token {
        Some(token) => ChannelEvent::Status(StatusUpdate {
            message_id: token.to_string(),
            status,
            error: callback.desc.clone(),
        }),
        None => unhandled(&callback.event),
    };
    let event = match callback.event.as_str() {
        "message" => match (callback.sender, callback.message, callback.message_token) {
            (Some(sender), Some(message), Some(token)) => match content(message) {
                Some(content) => ChannelEvent::Message(Box::new(IncomingMessage {
                    id: token.to_string(),
                    sender: Sender {
                        external_id: sender.id,
                        name: sender.name,
                        phone: None,
                        language: sender.language,
                    },
                    content,
                    reply_to: None,
                    sent_at: callback.timestamp.map(|millis| millis / 1000),
                    reply_token: None,
                })),
                None => unhandled("message"),
            },
            _ => unhandled("message"),
        },
        "delivered" => status(DeliveryStatus::Delivered),
        "seen" => status(DeliveryStatus::Read),
        "failed" => status(DeliveryStatus::Failed),
        "subscribed" => match callback.user {
            Some(user) => ChannelEvent::Subscription {
                external_id: user.id,
                subscribed: true,
            },
            None => unhandled("subscribed"),
        },
        "unsubscribed" => match callback.user_id {
            Some(user) => ChannelEvent::Subscription {
                external_id: user,
                subscribed: false,
            },
            None => unhandled("unsubscribed"),
        },
        // `webhook` (the check when the webhook is set) and `conversation_started` (the
        // person opened the chat, not yet subscribed) need only the acknowledgement.
        other => unhandled(other),
    };
    Ok(vec![event])
}

fn content(message: Message) -> Option<Content> {
    let media = |kind, file: Option<String>| {
        Some(Content::Media(Media {
            kind,
            file: file?,
            name: message.file_name.clone(),
            content_type: None,
            bytes: message.size,
            caption: message.text.clone().filter(|text| !text.is_empty()),
        }))
    };
    match message.kind.as_str() {
        "text" | "url" => message
            .text
            .clone()
            .filter(|text| !text.trim().is_empty())
            .map(Content::Text),
        "picture" => media(MediaKind::Image, message.media.clone()),
        "video" => media(MediaKind::Video, message.media.clone()),
        "file" => media(MediaKind::Document, message.media.clone()),
        "sticker" => media(MediaKind::Sticker, message.media.clone()),
        "location" => message.location.map(|location| Content::Location {
            latitude: location.lat,
            longitude: location.lon,
            name: None,
        }),
        "contact" => message.contact.map(|contact| Content::ContactCard {
            name: contact.name,
            phone: contact.phone_number,
        }),
        _ => None,
    }
}

/// The `send_message` calls that deliver `text` to a subscribed user, signed as `bot_name`
/// (Viber shows it above the message): one per 7,000 units, none for blank text. The last
/// carries `choices` as a keyboard of reply buttons, side by side, whose tap sends the
/// choice as the user's message.
pub fn send_text(
    api_base: &str,
    auth_token: &str,
    bot_name: &str,
    receiver: &str,
    text: &str,
    choices: &[String],
) -> Vec<OutboundRequest> {
    /// A keyboard row is six columns wide.
    const COLUMNS: usize = 6;
    let url = format!("{}/pa/send_message", api_base.trim_end_matches('/'));
    let parts = crate::text::split(text, MAX_TEXT_UNITS);
    let last = parts.len().saturating_sub(1);
    let width = COLUMNS / choices.len().clamp(1, COLUMNS);
    parts
        .into_iter()
        .enumerate()
        .map(|(part, text)| {
            let mut body = serde_json::json!({
                "receiver": receiver, "type": "text", "text": text,
                "sender": { "name": bot_name },
            });
            if part == last && !choices.is_empty() {
                let buttons: Vec<serde_json::Value> = choices
                    .iter()
                    .map(|choice| {
                        serde_json::json!({ "ActionType": "reply", "ActionBody": choice,
                            "Text": choice, "Columns": width, "Rows": 1 })
                    })
                    .collect();
                body["keyboard"] = serde_json::json!({ "Type": "keyboard", "Buttons": buttons });
            }
            OutboundRequest {
                url: url.clone(),
                headers: vec![
                    ("content-type".into(), "application/json".into()),
                    ("x-viber-auth-token".into(), auth_token.to_string()),
                ],
                body: serde_json::to_vec(&body).unwrap_or_default(),
            }
        })
        .collect()
}

#[derive(Deserialize)]
struct Answer {
    status: i64,
    status_message: Option<String>,
    message_token: Option<u64>,
}

/// What Viber's answer means: status 0 with the message's token; 12 (too many requests) is
/// worth retrying, as are 5xx; the rest are final: 5 (not registered), 6 (not subscribed),
/// 23 and 24 (no free messages, no balance) and so on.
pub fn read_send_answer(status: u16, body: &[u8]) -> SendOutcome {
    if status == 429 || status >= 500 {
        return SendOutcome::Transient {
            error: format!("Viber answered {status}"),
            retry_after: None,
        };
    }
    let Ok(answer) = serde_json::from_slice::<Answer>(body) else {
        return SendOutcome::Rejected {
            error: format!("Viber answered {status} with a body that is not its JSON"),
        };
    };
    let error = || {
        format!(
            "Viber status {}: {}",
            answer.status,
            answer.status_message.as_deref().unwrap_or("no description")
        )
    };
    match answer.status {
        0 => SendOutcome::Accepted {
            platform_id: answer.message_token.map(|token| token.to_string()),
        },
        12 => SendOutcome::Transient {
            error: error(),
            retry_after: None,
        },
        _ => SendOutcome::Rejected { error: error() },
    }
}

/// Viber as a channel account's platform: one bot (a public account).
pub struct Viber;

impl crate::channel::Platform for Viber {
    fn kind(&self) -> &'static str {
        "viber"
    }

    fn fields(&self) -> &'static [Field] {
        const FIELDS: &[Field] = &[
            Field::secret("auth_token"),
            // The sender's name Viber shows above each message; the channel's name if unset.
            Field::public("bot_name").optional(),
        ];
        FIELDS
    }

    fn default_api_base(&self) -> &'static str {
        "https://chatapi.viber.com"
    }

    fn verify(
        &self,
        settings: &Settings,
        request: &WebhookRequest<'_, '_>,
    ) -> Result<(), WebhookError> {
        verify(
            (request.header)(SIGNATURE_HEADER),
            request.body,
            settings.get("auth_token"),
        )
        .map_err(|error| WebhookError::Unauthenticated(error.to_string()))
    }

    fn parse(&self, body: &[u8]) -> Result<Vec<ChannelEvent>, WebhookError> {
        parse(body).map_err(|error| WebhookError::Malformed(error.to_string()))
    }

    fn send_text(
        &self,
        api_base: &str,
        settings: &Settings,
        delivery: &OutgoingText<'_>,
    ) -> Result<Vec<OutboundRequest>, String> {
        let name = match settings.get("bot_name") {
            "" => delivery.channel_name,
            name => name,
        };
        Ok(send_text(
            api_base,
            settings.get("auth_token"),
            name,
            delivery.to,
            delivery.text,
            delivery.choices,
        ))
    }

    /// Viber states no rate; it answers 12 ("too many requests") when crossed.
    fn sends_per_second(&self) -> u32 {
        100
    }

    fn read_send_answer(&self, status: u16, body: &[u8]) -> SendOutcome {
        read_send_answer(status, body)
    }

    /// `set_webhook` for the events `parse` reads (Viber checks the URL at once with a
    /// signed `webhook` event, which the webhook acknowledges).
    fn register_webhook(
        &self,
        api_base: &str,
        settings: &Settings,
        url: &str,
    ) -> Option<OutboundRequest> {
        let body = serde_json::json!({
            "url": url,
            "event_types": ["delivered", "seen", "failed", "subscribed", "unsubscribed",
                "conversation_started"],
            "send_name": true,
            "send_photo": false,
        });
        Some(OutboundRequest {
            url: format!("{}/pa/set_webhook", api_base.trim_end_matches('/')),
            headers: vec![
                ("content-type".into(), "application/json".into()),
                (
                    "x-viber-auth-token".into(),
                    settings.get("auth_token").to_string(),
                ),
            ],
            body: serde_json::to_vec(&body).unwrap_or_default(),
        })
    }

    fn read_register_answer(&self, status: u16, body: &[u8]) -> Result<(), String> {
        match serde_json::from_slice::<Answer>(body) {
            Ok(Answer { status: 0, .. }) => Ok(()),
            Ok(answer) => Err(format!(
                "Viber status {}: {}",
                answer.status,
                answer.status_message.as_deref().unwrap_or("no description")
            )),
            Err(_) => Err(format!("Viber answered {status}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    use super::*;

    fn sign(body: &[u8], token: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(token.as_bytes()).unwrap();
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    #[test]
    fn the_sdks_unicode_message_is_read_with_its_token() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/data/webhooks/viber/viber-bot-python_unicode_message_request.json");
        let Ok(body) = std::fs::read(&path) else {
            println!("skipped: {} is absent", path.display());
            return;
        };
        let events = parse(&body).unwrap();
        let [ChannelEvent::Message(message)] = events.as_slice() else {
            panic!("{events:?}")
        };
        assert_eq!(message.id, "4912661846655238145");
        assert_eq!(message.sender.external_id, "01234567890A=");
        assert!(
            message
                .sender
                .name
                .as_deref()
                .is_some_and(|name| name.starts_with("ふで"))
        );
        let Content::Text(text) = &message.content else {
            panic!("{:?}", message.content)
        };
        assert!(text.starts_with("批封廟根縄華勢田郎"), "{text}");
        assert_eq!(message.sent_at, Some(1_457_764_197));
        let signature = sign(&body, "auth-token");
        verify(Some(&signature), &body, "auth-token").unwrap();
    }

    #[test]
    fn receipts_and_subscriptions_are_read_and_the_signature_checked() {
        let delivered = br#"{"event":"delivered","timestamp":1457764197627,"message_token":491266184665523145,"user_id":"01234567890A="}"#;
        assert_eq!(
            parse(delivered).unwrap(),
            vec![ChannelEvent::Status(StatusUpdate {
                message_id: "491266184665523145".into(),
                status: DeliveryStatus::Delivered,
                error: None,
            })]
        );
        let failed = br#"{"event":"failed","timestamp":1,"message_token":7,"user_id":"u","desc":"failure description"}"#;
        let events = parse(failed).unwrap();
        let [ChannelEvent::Status(failure)] = events.as_slice() else {
            panic!("a failure: {events:?}")
        };
        assert_eq!(failure.status, DeliveryStatus::Failed);
        assert_eq!(failure.error.as_deref(), Some("failure description"));
        let unsubscribed =
            br#"{"event":"unsubscribed","timestamp":1,"user_id":"u-9","message_token":8}"#;
        assert_eq!(
            parse(unsubscribed).unwrap(),
            vec![ChannelEvent::Subscription {
                external_id: "u-9".into(),
                subscribed: false
            }]
        );
        let webhook = br#"{"event":"webhook","timestamp":1,"message_token":9}"#;
        assert_eq!(
            parse(webhook).unwrap(),
            vec![ChannelEvent::Unhandled {
                kind: "webhook".into()
            }]
        );

        let signature = sign(delivered, "auth-token");
        verify(Some(&signature), delivered, "auth-token").unwrap();
        assert_eq!(
            verify(Some(&signature.to_uppercase()), delivered, "auth-token"),
            Ok(()),
            "hex in either case"
        );
        assert_eq!(
            verify(Some(&signature), failed, "auth-token"),
            Err(ViberError::WrongSignature)
        );
        assert_eq!(
            verify(Some("zz"), delivered, "auth-token"),
            Err(ViberError::WrongSignature)
        );
        assert_eq!(
            verify(None, delivered, "auth-token"),
            Err(ViberError::MissingSignature)
        );
    }

    #[test]
    fn sends_carry_the_token_and_answers_map_viber_statuses() {
        let requests = send_text("http://127.0.0.1:9/", "tok", "Acme", "u-1", "أهلاً", &[]);
        let [request] = requests.as_slice() else {
            panic!("{requests:?}")
        };
        assert_eq!(request.url, "http://127.0.0.1:9/pa/send_message");
        assert!(
            request
                .headers
                .contains(&("x-viber-auth-token".into(), "tok".into()))
        );
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(body["receiver"], "u-1");
        assert_eq!(body["sender"]["name"], "Acme");
        assert!(send_text("http://t", "tok", "Acme", "u-1", " ", &[]).is_empty());
        let choices = ["1".to_string(), "2".to_string(), "3".to_string()];
        let offered = send_text("http://t", "tok", "Acme", "u-1", "1, 2 or 3?", &choices);
        let body: serde_json::Value = serde_json::from_slice(&offered[0].body).unwrap();
        assert_eq!(
            body["keyboard"]["Buttons"][2],
            serde_json::json!({ "ActionType": "reply", "ActionBody": "3", "Text": "3",
                "Columns": 2, "Rows": 1 })
        );

        assert_eq!(
            read_send_answer(
                200,
                br#"{"status":0,"status_message":"ok","message_token":5741311803571721087}"#
            ),
            SendOutcome::Accepted {
                platform_id: Some("5741311803571721087".into())
            }
        );
        assert!(matches!(
            read_send_answer(200, br#"{"status":12,"status_message":"tooManyRequests"}"#),
            SendOutcome::Transient { .. }
        ));
        let SendOutcome::Rejected { error } = read_send_answer(
            200,
            br#"{"status":6,"status_message":"receiverNotSubscribed"}"#,
        ) else {
            panic!("not subscribed is final")
        };
        assert!(error.contains("receiverNotSubscribed"), "{error}");
    }
}
