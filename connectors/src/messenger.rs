//! Messenger (a Facebook Page) and Instagram (a professional account), both on Meta's
//! Messenger Platform: webhooks signed as Meta signs them (`meta`), `entry[].messaging[]`
//! items holding messages (text, quick replies, attachments, replies), postbacks, reactions,
//! deliveries and reads (by watermark on Messenger, by message on Instagram) and, on
//! Instagram, unsends (`is_deleted`); the Page's own messages come back as echoes and are
//! ignored. Sends go through `POST /{page_id}/messages`: inside 24 hours of the customer's
//! last message as a `RESPONSE`; up to 7 days only a person may answer, tagged `HUMAN_AGENT`.

use std::time::Duration;

use serde::Deserialize;
use types::DeliveryStatus;

use crate::channel::{
    Field, OutgoingText, Platform, Settings, WebhookError, WebhookRequest, Window,
};
use crate::event::{
    ChannelEvent, Content, IncomingMessage, Media, MediaKind, Sender, StatusUpdate,
};
use crate::{OutboundRequest, SendOutcome, meta};

/// The Graph API version sends go to.
const GRAPH_VERSION: &str = "v21.0";
/// The longest Messenger text, in characters.
pub const MESSENGER_MAX_TEXT: usize = 2_000;
/// The longest Instagram text, in UTF-8 bytes.
pub const INSTAGRAM_MAX_TEXT_BYTES: usize = 1_000;

const FIELDS: &[Field] = &[
    Field::secret("app_secret"),
    Field::secret("verify_token"),
    Field::public("page_id"),
    Field::secret("access_token"),
];

const WINDOW: Window = Window {
    standard: Duration::from_secs(24 * 3600),
    human: Some(Duration::from_secs(7 * 24 * 3600)),
    answers: None,
};

#[derive(Deserialize)]
struct Delivered {
    object: String,
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    messaging: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    /// Absent on items about no one in particular (a plugin's opt-in by `user_ref`).
    sender: Option<Party>,
    timestamp: Option<i64>,
    message: Option<Message>,
    postback: Option<Postback>,
    reaction: Option<Reaction>,
    delivery: Option<DeliveryReport>,
    read: Option<Read>,
}

#[derive(Deserialize)]
struct Party {
    id: String,
}

#[derive(Deserialize)]
struct Message {
    mid: String,
    text: Option<String>,
    #[serde(default)]
    is_echo: bool,
    #[serde(default)]
    is_deleted: bool,
    quick_reply: Option<QuickReply>,
    reply_to: Option<ReplyTo>,
    #[serde(default)]
    attachments: Vec<Attachment>,
}

#[derive(Deserialize)]
struct QuickReply {
    payload: String,
}

#[derive(Deserialize)]
struct ReplyTo {
    mid: Option<String>,
}

#[derive(Deserialize)]
struct Attachment {
    #[serde(rename = "type")]
    kind: String,
    payload: Option<AttachmentPayload>,
}

#[derive(Deserialize)]
struct AttachmentPayload {
    url: Option<String>,
    title: Option<String>,
    coordinates: Option<Coordinates>,
}

#[derive(Deserialize)]
struct Coordinates {
    lat: f64,
    long: f64,
}

#[derive(Deserialize)]
struct Postback {
    mid: Option<String>,
    title: Option<String>,
    payload: Option<String>,
}

#[derive(Deserialize)]
struct Reaction {
    mid: String,
    action: Option<String>,
    emoji: Option<String>,
}

#[derive(Deserialize)]
struct DeliveryReport {
    #[serde(default)]
    mids: Vec<String>,
    watermark: Option<i64>,
}

#[derive(Deserialize)]
struct Read {
    watermark: Option<i64>,
    mid: Option<String>,
}

/// The events of one delivery to a Page (`object` "page") or Instagram account
/// ("instagram"), in order.
fn parse(body: &[u8], object: &str) -> Result<Vec<ChannelEvent>, WebhookError> {
    let delivered: Delivered = serde_json::from_slice(body).map_err(|error| {
        WebhookError::Malformed(format!("not a Meta webhook delivery: {error}"))
    })?;
    if delivered.object != object {
        return Err(WebhookError::Malformed(format!(
            "the delivery is for {:?}, not {object:?}: the webhook of another product",
            delivered.object
        )));
    }
    Ok(delivered
        .entry
        .into_iter()
        .flat_map(|entry| entry.messaging)
        .flat_map(item_events)
        .collect())
}

fn item_events(item: Item) -> Vec<ChannelEvent> {
    let Some(party) = &item.sender else {
        return vec![ChannelEvent::Unhandled {
            kind: "messaging item without a sender".into(),
        }];
    };
    let sender_id = party.id.clone();
    let sender = Sender {
        external_id: sender_id.clone(),
        ..Sender::default()
    };
    let sent_at = item.timestamp.map(|millis| millis / 1000);
    let incoming = |id: String, content: Content, reply_to: Option<String>| {
        ChannelEvent::Message(Box::new(IncomingMessage {
            id,
            sender: sender.clone(),
            content,
            reply_to,
            sent_at,
            reply_token: None,
        }))
    };
    if let Some(message) = item.message {
        if message.is_echo {
            return vec![ChannelEvent::Unhandled {
                kind: "echo".into(),
            }];
        }
        if message.is_deleted {
            return vec![incoming(
                format!("{}:unsend", message.mid),
                Content::Unsend {
                    message_id: message.mid,
                },
                None,
            )];
        }
        let reply_to = message.reply_to.and_then(|reply| reply.mid);
        let content = if let Some(quick) = message.quick_reply {
            Content::Choice {
                payload: quick.payload,
                title: message.text,
            }
        } else if let Some(attachment) = message.attachments.into_iter().next() {
            attachment_content(attachment, message.text)
        } else {
            match message.text {
                Some(text) => Content::Text(text),
                None => {
                    return vec![ChannelEvent::Unhandled {
                        kind: "message without text".into(),
                    }];
                }
            }
        };
        return vec![incoming(message.mid, content, reply_to)];
    }
    if let Some(postback) = item.postback {
        let payload = postback.payload.unwrap_or_default();
        let id = postback.mid.unwrap_or_else(|| {
            format!(
                "postback:{}:{}",
                sender_id,
                item.timestamp.unwrap_or_default()
            )
        });
        return vec![incoming(
            id,
            Content::Choice {
                payload,
                title: postback.title,
            },
            None,
        )];
    }
    if let Some(reaction) = item.reaction {
        let emoji = match reaction.action.as_deref() {
            Some("unreact") => String::new(),
            _ => reaction.emoji.unwrap_or_default(),
        };
        let id = format!(
            "{}:reaction:{}",
            reaction.mid,
            item.timestamp.unwrap_or_default()
        );
        return vec![incoming(
            id,
            Content::Reaction {
                message_id: reaction.mid,
                emoji,
            },
            None,
        )];
    }
    if let Some(delivery) = item.delivery {
        let mut events: Vec<ChannelEvent> = delivery
            .mids
            .into_iter()
            .map(|mid| {
                ChannelEvent::Status(StatusUpdate {
                    message_id: mid,
                    status: DeliveryStatus::Delivered,
                    error: None,
                })
            })
            .collect();
        if let Some(watermark) = delivery.watermark {
            events.push(ChannelEvent::StatusUpTo {
                external_id: sender_id.clone(),
                status: DeliveryStatus::Delivered,
                up_to: watermark,
            });
        }
        return events;
    }
    if let Some(read) = item.read {
        return match (read.mid, read.watermark) {
            (Some(mid), _) => vec![ChannelEvent::Status(StatusUpdate {
                message_id: mid,
                status: DeliveryStatus::Read,
                error: None,
            })],
            (None, Some(watermark)) => vec![ChannelEvent::StatusUpTo {
                external_id: sender_id.clone(),
                status: DeliveryStatus::Read,
                up_to: watermark,
            }],
            (None, None) => vec![ChannelEvent::Unhandled {
                kind: "read".into(),
            }],
        };
    }
    vec![ChannelEvent::Unhandled {
        kind: "messaging item".into(),
    }]
}

fn attachment_content(attachment: Attachment, text: Option<String>) -> Content {
    let payload = attachment.payload;
    if let Some(Coordinates { lat, long }) = payload.as_ref().and_then(|p| p.coordinates.as_ref()) {
        return Content::Location {
            latitude: *lat,
            longitude: *long,
            name: payload.as_ref().and_then(|p| p.title.clone()),
        };
    }
    let kind = match attachment.kind.as_str() {
        "image" | "story_mention" => MediaKind::Image,
        "video" | "ig_reel" | "reel" => MediaKind::Video,
        "audio" => MediaKind::Audio,
        _ => MediaKind::Document,
    };
    let caption = match attachment.kind.as_str() {
        "story_mention" => Some(text.unwrap_or_else(|| "(mentioned you in their story)".into())),
        _ => text,
    };
    Content::Media(Media {
        kind,
        file: payload.and_then(|p| p.url).unwrap_or_default(),
        name: None,
        content_type: None,
        bytes: None,
        caption,
    })
}

/// The Send API requests that deliver `parts`, in order.
fn send_parts(
    api_base: &str,
    settings: &Settings,
    delivery: &OutgoingText<'_>,
    parts: Vec<String>,
) -> Vec<OutboundRequest> {
    let url = format!(
        "{}/{GRAPH_VERSION}/{}/messages",
        api_base.trim_end_matches('/'),
        settings.get("page_id")
    );
    let last = parts.len().saturating_sub(1);
    parts
        .into_iter()
        .enumerate()
        .map(|(part, text)| {
            let mut body = serde_json::json!({
                "recipient": { "id": delivery.to },
                "messaging_type": "RESPONSE",
                "message": { "text": text },
            });
            if part == last && !delivery.choices.is_empty() {
                body["message"]["quick_replies"] = quick_replies(delivery.choices).into();
            }
            if delivery.human_agent {
                body["messaging_type"] = "MESSAGE_TAG".into();
                body["tag"] = "HUMAN_AGENT".into();
            }
            OutboundRequest {
                url: url.clone(),
                headers: vec![
                    ("content-type".into(), "application/json".into()),
                    (
                        "authorization".into(),
                        format!("Bearer {}", settings.get("access_token")),
                    ),
                ],
                body: serde_json::to_vec(&body).unwrap_or_default(),
            }
        })
        .collect()
}

/// Choices as quick replies (at most 13, each title at most 20 characters): a tap comes back
/// as the customer's message, the title as its text. Those that do not fit are left to the
/// text, which names them.
fn quick_replies(choices: &[String]) -> Vec<serde_json::Value> {
    const MAX_QUICK_REPLIES: usize = 13;
    const MAX_TITLE: usize = 20;
    choices
        .iter()
        .filter(|choice| (1..=MAX_TITLE).contains(&choice.chars().count()))
        .take(MAX_QUICK_REPLIES)
        .map(|choice| serde_json::json!({ "content_type": "text", "title": choice, "payload": choice }))
        .collect()
}

#[derive(Deserialize)]
struct Answer {
    message_id: Option<String>,
    error: Option<GraphError>,
}

#[derive(Deserialize)]
struct GraphError {
    message: Option<String>,
    code: Option<i64>,
    error_subcode: Option<i64>,
}

/// What the Send API's answer means. Temporary errors (1, 2), rate limits (4, 17, 32, 613)
/// and 5xx are worth retrying; the rest are final, with the code's meaning where known.
fn read_answer(product: &str, status: u16, body: &[u8]) -> SendOutcome {
    let answer: Option<Answer> = serde_json::from_slice(body).ok();
    if let (
        200..=299,
        Some(Answer {
            message_id: Some(id),
            ..
        }),
    ) = (status, &answer)
    {
        return SendOutcome::Accepted {
            platform_id: Some(id.clone()),
        };
    }
    let Some(error) = answer.and_then(|answer| answer.error) else {
        let error = format!("{product} answered {status}");
        return if status == 429 || status >= 500 {
            SendOutcome::Transient {
                error,
                retry_after: None,
            }
        } else {
            SendOutcome::Rejected { error }
        };
    };
    let code = error.code.unwrap_or_default();
    let meaning = match (code, error.error_subcode) {
        (10, Some(2018278)) => Some("outside the window for answering this person"),
        (551, _) => Some("this person is not available to receive messages now"),
        (190, _) => Some("the access_token is not valid (expired or revoked)"),
        (200 | 10, _) => Some("the access_token lacks the permission to send"),
        _ => None,
    };
    let description = format!(
        "{product} error {code}{}: {}{}",
        error
            .error_subcode
            .map(|subcode| format!("/{subcode}"))
            .unwrap_or_default(),
        error.message.as_deref().unwrap_or("no description"),
        meaning
            .map(|meaning| format!(" ({meaning})"))
            .unwrap_or_default()
    );
    if matches!(code, 1 | 2 | 4 | 17 | 32 | 613) || status >= 500 {
        SendOutcome::Transient {
            error: description,
            retry_after: None,
        }
    } else {
        SendOutcome::Rejected { error: description }
    }
}

/// A product of the Messenger Platform as a channel account's platform.
pub struct MessagingProduct {
    kind: &'static str,
    /// The `object` its deliveries carry.
    object: &'static str,
    /// Its name in errors.
    name: &'static str,
    /// How its texts are cut: the limit, and the cut that counts characters (Messenger) or
    /// bytes (Instagram) against it.
    text_limit: usize,
    split: fn(&str, usize) -> Vec<String>,
}

/// Messenger: one Facebook Page.
pub const MESSENGER: MessagingProduct = MessagingProduct {
    kind: "messenger",
    object: "page",
    name: "Messenger",
    text_limit: MESSENGER_MAX_TEXT,
    split: crate::text::split,
};

/// Instagram: one professional account, through its Page; texts are counted in bytes.
pub const INSTAGRAM: MessagingProduct = MessagingProduct {
    kind: "instagram",
    object: "instagram",
    name: "Instagram",
    text_limit: INSTAGRAM_MAX_TEXT_BYTES,
    split: crate::text::split_bytes,
};

impl Platform for MessagingProduct {
    fn kind(&self) -> &'static str {
        self.kind
    }

    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn default_api_base(&self) -> &'static str {
        "https://graph.facebook.com"
    }

    fn handshake<'q>(
        &self,
        settings: &Settings,
        query: &dyn Fn(&str) -> Option<&'q str>,
    ) -> Option<Result<String, WebhookError>> {
        Some(meta::answer_handshake(settings, query))
    }

    fn verify(
        &self,
        settings: &Settings,
        request: &WebhookRequest<'_, '_>,
    ) -> Result<(), WebhookError> {
        meta::verify_request(settings, request)
    }

    fn parse(&self, body: &[u8]) -> Result<Vec<ChannelEvent>, WebhookError> {
        parse(body, self.object)
    }

    fn send_text(
        &self,
        api_base: &str,
        settings: &Settings,
        delivery: &OutgoingText<'_>,
    ) -> Result<Vec<OutboundRequest>, String> {
        let parts = (self.split)(delivery.text, self.text_limit);
        Ok(send_parts(api_base, settings, delivery, parts))
    }

    fn read_send_answer(&self, status: u16, body: &[u8]) -> SendOutcome {
        read_answer(self.name, status, body)
    }

    fn window(&self) -> Option<Window> {
        Some(WINDOW)
    }

    /// The Send API's limit for text per Page.
    fn sends_per_second(&self) -> u32 {
        300
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    /// Meta's documented `messaging[]` items, each wrapped in a delivery as the docs say.
    fn documented_items() -> Option<Vec<(String, Vec<u8>)>> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/data/webhooks/messenger/meta-docs");
        if !dir.is_dir() {
            println!("skipped: {} is absent", dir.display());
            return None;
        }
        let mut items = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path
                .extension()
                .is_some_and(|extension| extension == "json")
            {
                let item: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
                let delivery = serde_json::json!({ "object": "page", "entry": [{
                    "id": "PAGE_ID", "time": 1458692752478_i64, "messaging": [item] }] });
                items.push((
                    path.file_name().unwrap().to_string_lossy().to_string(),
                    serde_json::to_vec(&delivery).unwrap(),
                ));
            }
        }
        items.sort();
        Some(items)
    }

    #[test]
    fn every_documented_messenger_item_reads_as_what_it_is() {
        let Some(items) = documented_items() else {
            return;
        };
        assert_eq!(items.len(), 5);
        for (name, body) in items {
            let events = MESSENGER.parse(&body).unwrap();
            match name.as_str() {
                "message_deliveries.json" => assert_eq!(
                    events,
                    [
                        ChannelEvent::Status(StatusUpdate {
                            message_id: "mid.1458668856218:ed81099e15d3f4f233".into(),
                            status: DeliveryStatus::Delivered,
                            error: None,
                        }),
                        ChannelEvent::StatusUpTo {
                            external_id: "<PSID>".into(),
                            status: DeliveryStatus::Delivered,
                            up_to: 1458668856253,
                        }
                    ]
                ),
                "message_reads.json" => assert_eq!(
                    events,
                    [ChannelEvent::StatusUpTo {
                        external_id: "<PSID>".into(),
                        status: DeliveryStatus::Read,
                        up_to: 1458668856253,
                    }]
                ),
                "message_reactions.json" => {
                    let [ChannelEvent::Message(message)] = events.as_slice() else {
                        panic!("{name}: {events:?}");
                    };
                    assert_eq!(
                        message.content,
                        Content::Reaction {
                            message_id: "<MID_OF_ReactedTo_Message>".into(),
                            emoji: "❤️".into(),
                        }
                    );
                }
                "messages_reply_to.json" => {
                    let [ChannelEvent::Message(message)] = events.as_slice() else {
                        panic!("{name}: {events:?}");
                    };
                    assert_eq!(message.content, Content::Text("hello, world!".into()));
                    assert_eq!(
                        message.reply_to.as_deref(),
                        Some("m_1fTq8oLumEyIp3Q2MR-aY7IfLZDamVrALniheU")
                    );
                    assert_eq!(message.sender.external_id, "<PSID>");
                    assert_eq!(message.sent_at, Some(1458692752));
                }
                "messages_text_quick_reply.json" => {
                    let [ChannelEvent::Message(message)] = events.as_slice() else {
                        panic!("{name}: {events:?}");
                    };
                    assert_eq!(
                        message.content,
                        Content::Choice {
                            payload: "<DEVELOPER_DEFINED_PAYLOAD>".into(),
                            title: Some("hello, world!".into()),
                        }
                    );
                }
                other => panic!("a fixture this test does not know: {other}"),
            }
        }
    }

    #[test]
    fn an_item_about_no_one_does_not_cost_the_rest_of_the_delivery() {
        let body = serde_json::json!({ "object": "page", "entry": [{ "id": "1", "time": 1, "messaging": [
            { "recipient": { "id": "PAGE" }, "timestamp": 1, "optin": { "user_ref": "ref-1" } },
            { "sender": { "id": "PSID" }, "recipient": { "id": "PAGE" }, "timestamp": 2000,
              "message": { "mid": "m1", "text": "hello" } },
        ] }] });
        let events = MESSENGER
            .parse(&serde_json::to_vec(&body).unwrap())
            .unwrap();
        assert!(matches!(events[0], ChannelEvent::Unhandled { .. }));
        assert!(matches!(&events[1], ChannelEvent::Message(message) if message.id == "m1"));
    }

    #[test]
    fn echoes_are_ignored_and_instagram_unsends_and_story_mentions_are_read() {
        let body = serde_json::json!({ "object": "instagram", "entry": [{ "id": "17841", "time": 1, "messaging": [
            { "sender": { "id": "PAGE" }, "recipient": { "id": "IGSID" }, "timestamp": 1,
              "message": { "mid": "m1", "text": "ours", "is_echo": true } },
            { "sender": { "id": "IGSID" }, "recipient": { "id": "PAGE" }, "timestamp": 2000,
              "message": { "mid": "m0", "is_deleted": true } },
            { "sender": { "id": "IGSID" }, "recipient": { "id": "PAGE" }, "timestamp": 3000,
              "message": { "mid": "m2", "attachments": [{ "type": "story_mention",
                  "payload": { "url": "https://lookaside.example/story" } }] } },
            { "sender": { "id": "IGSID" }, "recipient": { "id": "PAGE" }, "timestamp": 4000,
              "read": { "mid": "m_ours" } },
        ] }] });
        let events = INSTAGRAM
            .parse(&serde_json::to_vec(&body).unwrap())
            .unwrap();
        assert_eq!(
            events[0],
            ChannelEvent::Unhandled {
                kind: "echo".into()
            }
        );
        let ChannelEvent::Message(unsend) = &events[1] else {
            panic!("{events:?}")
        };
        assert_eq!(
            unsend.content,
            Content::Unsend {
                message_id: "m0".into()
            }
        );
        let ChannelEvent::Message(mention) = &events[2] else {
            panic!("{events:?}")
        };
        let Content::Media(media) = &mention.content else {
            panic!("{mention:?}")
        };
        assert_eq!(media.file, "https://lookaside.example/story");
        assert!(media.caption.as_deref().unwrap().contains("story"));
        assert_eq!(
            events[3],
            ChannelEvent::Status(StatusUpdate {
                message_id: "m_ours".into(),
                status: DeliveryStatus::Read,
                error: None,
            })
        );
        assert!(
            MESSENGER
                .parse(&serde_json::to_vec(&body).unwrap())
                .is_err(),
            "an Instagram delivery is not a Page's"
        );
    }

    fn settings() -> Settings {
        Settings(
            [("page_id", "1234"), ("access_token", "page-token")]
                .into_iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect(),
        )
    }

    fn delivery(text: &str, human_agent: bool) -> OutgoingText<'_> {
        OutgoingText {
            to: "PSID",
            text,
            reply_to: None,
            reply_token: None,
            message_id: "0193",
            channel_name: "Acme",
            human_agent,
            choices: &[],
        }
    }

    #[test]
    fn a_late_answer_by_a_person_is_tagged_human_agent() {
        let requests = MESSENGER
            .send_text("http://127.0.0.1:9", &settings(), &delivery("hello", true))
            .unwrap();
        assert_eq!(requests[0].url, "http://127.0.0.1:9/v21.0/1234/messages");
        let body: serde_json::Value = serde_json::from_slice(&requests[0].body).unwrap();
        assert_eq!(body["messaging_type"], "MESSAGE_TAG");
        assert_eq!(body["tag"], "HUMAN_AGENT");
        assert_eq!(body["recipient"]["id"], "PSID");
        let requests = MESSENGER
            .send_text("http://127.0.0.1:9", &settings(), &delivery("hello", false))
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&requests[0].body).unwrap();
        assert_eq!(body["messaging_type"], "RESPONSE");
        assert!(body.get("tag").is_none());
    }

    #[test]
    fn choices_go_as_quick_replies_under_the_last_part() {
        let choices = ["1".to_string(), "2".to_string()];
        let long = "مرحبا ".repeat(200);
        for (platform, text) in [(MESSENGER, "hello"), (INSTAGRAM, long.as_str())] {
            let requests = platform
                .send_text(
                    "http://127.0.0.1:9",
                    &settings(),
                    &OutgoingText {
                        choices: &choices,
                        ..delivery(text, false)
                    },
                )
                .unwrap();
            for (part, request) in requests.iter().enumerate() {
                let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
                let quick = &body["message"]["quick_replies"];
                if part + 1 < requests.len() {
                    assert!(quick.is_null());
                } else {
                    assert_eq!(
                        quick[1],
                        serde_json::json!({ "content_type": "text", "title": "2", "payload": "2" })
                    );
                }
            }
        }
    }

    #[test]
    fn instagram_texts_are_cut_by_bytes() {
        let arabic = "مرحبا ".repeat(200);
        let requests = INSTAGRAM
            .send_text("http://127.0.0.1:9", &settings(), &delivery(&arabic, false))
            .unwrap();
        assert!(requests.len() >= 3, "{}", requests.len());
        for request in &requests {
            let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
            assert!(body["message"]["text"].as_str().unwrap().len() <= INSTAGRAM_MAX_TEXT_BYTES);
        }
    }

    #[test]
    fn send_answers_say_what_to_do() {
        assert_eq!(
            MESSENGER.read_send_answer(200, br#"{"recipient_id":"1","message_id":"m_1"}"#),
            SendOutcome::Accepted {
                platform_id: Some("m_1".into())
            }
        );
        let outside = br#"{"error":{"message":"(#10) This message is sent outside of allowed window.","type":"OAuthException","code":10,"error_subcode":2018278}}"#;
        let SendOutcome::Rejected { error } = MESSENGER.read_send_answer(400, outside) else {
            panic!()
        };
        assert!(error.contains("outside the window"), "{error}");
        let limited = br#"{"error":{"message":"(#613) Calls to this api have exceeded the rate limit.","code":613}}"#;
        assert!(matches!(
            MESSENGER.read_send_answer(400, limited),
            SendOutcome::Transient { .. }
        ));
    }
}
