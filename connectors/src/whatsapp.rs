//! WhatsApp Cloud API: the `hub.challenge` handshake, deliveries signed with the app secret
//! (`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`), batches of changes per
//! business account holding messages, statuses (with Meta's errors) and account events;
//! replies go out through `POST /{phone_number_id}/messages`, and a failure carries Meta's
//! error code, some of which mean "wait" (throughput) and some "never as sent" (the 24-hour
//! window closed, the number not on WhatsApp).

use std::time::Duration;

use serde::Deserialize;
use types::DeliveryStatus;

use crate::channel::{
    Field, OutgoingText, Settings, SettingsError, WebhookError, WebhookRequest, Window,
};
use crate::event::{
    ChannelEvent, Content, IncomingMessage, Media, MediaKind, Sender, StatusUpdate,
};
use crate::meta;
use crate::{OutboundRequest, SendOutcome};

/// The longest text message, in characters.
pub const MAX_TEXT_UNITS: usize = 4_096;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WhatsAppError {
    #[error("the delivery does not read as a WhatsApp webhook: {0}")]
    Malformed(String),
}

#[derive(Deserialize)]
struct Delivery {
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Deserialize)]
struct Change {
    field: String,
    value: Value,
}

#[derive(Deserialize)]
struct Value {
    #[serde(default)]
    contacts: Vec<Profile>,
    #[serde(default)]
    messages: Vec<Message>,
    #[serde(default)]
    statuses: Vec<Status>,
}

#[derive(Deserialize)]
struct Profile {
    wa_id: Option<String>,
    profile: Option<ProfileName>,
}

#[derive(Deserialize)]
struct ProfileName {
    name: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    id: String,
    from: String,
    timestamp: Option<String>,
    #[serde(rename = "type")]
    kind: String,
    context: Option<Context>,
    #[serde(flatten)]
    body: Body,
}

/// What a message (or an edit's new message) holds, by its type.
#[derive(Deserialize)]
struct Body {
    text: Option<Text>,
    image: Option<File>,
    video: Option<File>,
    audio: Option<File>,
    document: Option<File>,
    sticker: Option<File>,
    location: Option<Location>,
    #[serde(default)]
    contacts: Vec<Card>,
    interactive: Option<Interactive>,
    button: Option<Button>,
    reaction: Option<Reaction>,
    edit: Option<Box<Edit>>,
    revoke: Option<Revoke>,
}

#[derive(Deserialize)]
struct Context {
    id: Option<String>,
}

#[derive(Deserialize)]
struct Text {
    body: String,
}

#[derive(Deserialize)]
struct File {
    id: String,
    mime_type: Option<String>,
    filename: Option<String>,
    caption: Option<String>,
    voice: Option<bool>,
}

#[derive(Deserialize)]
struct Location {
    latitude: f64,
    longitude: f64,
    name: Option<String>,
}

#[derive(Deserialize)]
struct Card {
    name: CardName,
    #[serde(default)]
    phones: Vec<CardPhone>,
}

#[derive(Deserialize)]
struct CardName {
    formatted_name: Option<String>,
    first_name: Option<String>,
}

#[derive(Deserialize)]
struct CardPhone {
    phone: Option<String>,
}

#[derive(Deserialize)]
struct Interactive {
    button_reply: Option<Reply>,
    list_reply: Option<Reply>,
}

#[derive(Deserialize)]
struct Reply {
    id: String,
    title: Option<String>,
}

/// A template's quick-reply button.
#[derive(Deserialize)]
struct Button {
    payload: Option<String>,
    text: Option<String>,
}

#[derive(Deserialize)]
struct Reaction {
    message_id: String,
    emoji: Option<String>,
}

#[derive(Deserialize)]
struct Edit {
    original_message_id: String,
    message: EditedMessage,
}

#[derive(Deserialize)]
struct EditedMessage {
    #[serde(flatten)]
    body: Body,
}

#[derive(Deserialize)]
struct Revoke {
    original_message_id: String,
}

#[derive(Deserialize)]
struct Status {
    id: String,
    status: String,
    #[serde(default)]
    errors: Vec<MetaError>,
}

#[derive(Deserialize)]
struct MetaError {
    code: i64,
    title: Option<String>,
    message: Option<String>,
}

/// The events of one delivery, in order: each message and status of each change. Other
/// fields (template and account updates, marketing preferences, calls) are unhandled.
pub fn parse(body: &[u8]) -> Result<Vec<ChannelEvent>, WhatsAppError> {
    let delivery: Delivery = serde_json::from_slice(body)
        .map_err(|error| WhatsAppError::Malformed(error.to_string()))?;
    let mut events = Vec::new();
    for change in delivery.entry.into_iter().flat_map(|entry| entry.changes) {
        if change.field != "messages" {
            events.push(ChannelEvent::Unhandled { kind: change.field });
            continue;
        }
        let contacts = change.value.contacts;
        for message in change.value.messages {
            let name = contacts
                .iter()
                .find(|contact| contact.wa_id.as_deref() == Some(&message.from))
                .and_then(|contact| contact.profile.as_ref()?.name.clone());
            events.push(message_event(message, name));
        }
        for status in change.value.statuses {
            events.push(status_event(status));
        }
    }
    Ok(events)
}

fn message_event(message: Message, name: Option<String>) -> ChannelEvent {
    let content = match message.kind.as_str() {
        "edit" => message.body.edit.and_then(|edit| {
            let text = match content(edit.message.body)? {
                Content::Text(text) => text,
                Content::Media(media) => media.caption?,
                _ => return None,
            };
            Some(Content::Edit {
                message_id: edit.original_message_id,
                text,
            })
        }),
        "revoke" => message.body.revoke.map(|revoke| Content::Unsend {
            message_id: revoke.original_message_id,
        }),
        _ => content(message.body),
    };
    let Some(content) = content else {
        // `unsupported`, `system`, `order`, an interactive reply that came with an error.
        return ChannelEvent::Unhandled {
            kind: format!("messages.{}", message.kind),
        };
    };
    ChannelEvent::Message(Box::new(IncomingMessage {
        id: message.id,
        sender: Sender {
            // A WhatsApp id is the person's number without its `+`.
            phone: Some(format!("+{}", message.from)),
            external_id: message.from,
            name,
            language: None,
        },
        content,
        reply_to: message.context.and_then(|context| context.id),
        sent_at: message.timestamp.and_then(|seconds| seconds.parse().ok()),
        reply_token: None,
    }))
}

fn content(body: Body) -> Option<Content> {
    let media = |kind, file: File| {
        let kind = match (kind, file.voice) {
            (MediaKind::Audio, Some(true)) => MediaKind::Voice,
            (kind, _) => kind,
        };
        Content::Media(Media {
            kind,
            file: file.id,
            name: file.filename,
            content_type: file.mime_type,
            bytes: None,
            caption: file.caption,
        })
    };
    if let Some(Text { body }) = body.text {
        return (!body.trim().is_empty()).then_some(Content::Text(body));
    }
    let content = if let Some(file) = body.image {
        media(MediaKind::Image, file)
    } else if let Some(file) = body.video {
        media(MediaKind::Video, file)
    } else if let Some(file) = body.audio {
        media(MediaKind::Audio, file)
    } else if let Some(file) = body.document {
        media(MediaKind::Document, file)
    } else if let Some(file) = body.sticker {
        media(MediaKind::Sticker, file)
    } else if let Some(location) = body.location {
        Content::Location {
            latitude: location.latitude,
            longitude: location.longitude,
            name: location.name,
        }
    } else if let Some(card) = body.contacts.into_iter().next() {
        Content::ContactCard {
            name: card
                .name
                .formatted_name
                .or(card.name.first_name)
                .unwrap_or_default(),
            phone: card.phones.into_iter().find_map(|phone| phone.phone),
        }
    } else if let Some(interactive) = body.interactive {
        let reply = interactive.button_reply.or(interactive.list_reply)?;
        Content::Choice {
            payload: reply.id,
            title: reply.title,
        }
    } else if let Some(button) = body.button {
        Content::Choice {
            payload: button.payload.or(button.text.clone())?,
            title: button.text,
        }
    } else if let Some(reaction) = body.reaction {
        Content::Reaction {
            message_id: reaction.message_id,
            emoji: reaction.emoji.unwrap_or_default(),
        }
    } else {
        return None;
    };
    Some(content)
}

fn status_event(status: Status) -> ChannelEvent {
    let delivery = match status.status.as_str() {
        "sent" => DeliveryStatus::Sent,
        "delivered" => DeliveryStatus::Delivered,
        // A voice message played has been read.
        "read" | "played" => DeliveryStatus::Read,
        "failed" => DeliveryStatus::Failed,
        other => {
            return ChannelEvent::Unhandled {
                kind: format!("statuses.{other}"),
            };
        }
    };
    ChannelEvent::Status(StatusUpdate {
        message_id: status.id,
        status: delivery,
        error: status.errors.first().map(describe),
    })
}

fn describe(error: &MetaError) -> String {
    let what = error
        .message
        .as_deref()
        .or(error.title.as_deref())
        .unwrap_or("no description");
    match meaning(error.code) {
        Some(meaning) => format!("WhatsApp {}: {what} ({meaning})", error.code),
        None => format!("WhatsApp {}: {what}", error.code),
    }
}

/// What the codes a person must act on mean, in the inbox's words.
fn meaning(code: i64) -> Option<&'static str> {
    Some(match code {
        131047 => "more than 24 hours since the customer last wrote: only a template can be sent",
        131026 => "the number cannot receive it: not on WhatsApp, or an old app",
        130429 => "the number's throughput limit was reached",
        131049 => "WhatsApp holds back marketing to this person for now: try after 24 hours",
        131050 => "the person stopped marketing messages",
        132000 => "the template's parameters do not match its definition",
        132001 => "the template does not exist in this language",
        _ => return None,
    })
}

/// The request that sends `text` to a customer from the business's number.
pub fn send_text(
    graph_base: &str,
    access_token: &str,
    phone_number_id: &str,
    to: &str,
    text: &str,
    reply_to: Option<&str>,
) -> OutboundRequest {
    let mut body = serde_json::json!({
        "messaging_product": "whatsapp", "recipient_type": "individual",
        "to": to, "type": "text", "text": { "body": text, "preview_url": false },
    });
    if let Some(message) = reply_to {
        body["context"] = serde_json::json!({ "message_id": message });
    }
    message_request(graph_base, access_token, phone_number_id, &body)
}

/// Reply buttons under one message: at most three, each title at most 20 characters, the text
/// at most 1,024 (Meta's interactive reply buttons message).
const MAX_BUTTONS: usize = 3;
const MAX_BUTTON_TITLE: usize = 20;
const MAX_BUTTONS_TEXT: usize = 1_024;

/// `text` with `choices` as reply buttons, when they fit an interactive message; a tap comes
/// back as the customer's message, the button's title as its text.
fn send_buttons(
    graph_base: &str,
    access_token: &str,
    phone_number_id: &str,
    delivery: &OutgoingText<'_>,
) -> Option<OutboundRequest> {
    let fits = (1..=MAX_BUTTONS).contains(&delivery.choices.len())
        && delivery
            .choices
            .iter()
            .all(|choice| (1..=MAX_BUTTON_TITLE).contains(&choice.chars().count()))
        && delivery.text.chars().count() <= MAX_BUTTONS_TEXT
        && !delivery.text.trim().is_empty();
    if !fits {
        return None;
    }
    let buttons: Vec<serde_json::Value> = delivery
        .choices
        .iter()
        .map(|choice| serde_json::json!({ "type": "reply", "reply": { "id": choice, "title": choice } }))
        .collect();
    let mut body = serde_json::json!({
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": delivery.to,
        "type": "interactive",
        "interactive": {
            "type": "button", "body": { "text": delivery.text }, "action": { "buttons": buttons },
        },
    });
    if let Some(message) = delivery.reply_to {
        body["context"] = serde_json::json!({ "message_id": message });
    }
    Some(message_request(
        graph_base,
        access_token,
        phone_number_id,
        &body,
    ))
}

/// The request that sends `body` (a message of any type) from the business's number.
pub(crate) fn message_request(
    graph_base: &str,
    access_token: &str,
    phone_number_id: &str,
    body: &serde_json::Value,
) -> OutboundRequest {
    OutboundRequest {
        url: format!(
            "{}/{phone_number_id}/messages",
            graph_base.trim_end_matches('/')
        ),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("authorization".into(), format!("Bearer {access_token}")),
        ],
        body: serde_json::to_vec(body).unwrap_or_default(),
    }
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    messages: Vec<SentMessage>,
    error: Option<MetaError>,
}

#[derive(Deserialize)]
struct SentMessage {
    id: String,
}

/// What the Graph API's answer to a send means. Throughput and rate limits (130429, 131056,
/// 4, 80007) and 5xx are worth retrying; other errors are final for that message, with the
/// code's meaning beside Meta's words.
pub fn read_send_answer(status: u16, body: &[u8]) -> SendOutcome {
    let answer: Option<Answer> = serde_json::from_slice(body).ok();
    let sent = answer.as_ref().and_then(|answer| answer.messages.first());
    if let (Some(sent), 200..=299) = (sent, status) {
        return SendOutcome::Accepted {
            platform_id: Some(sent.id.clone()),
        };
    }
    match answer.and_then(|answer| answer.error) {
        Some(error) if matches!(error.code, 130429 | 131056 | 4 | 80007) || status >= 500 => {
            SendOutcome::Transient {
                error: describe(&error),
                retry_after: None,
            }
        }
        Some(error) => SendOutcome::Rejected {
            error: describe(&error),
        },
        None if status == 429 || status >= 500 => SendOutcome::Transient {
            error: format!("WhatsApp answered {status}"),
            retry_after: None,
        },
        None => SendOutcome::Rejected {
            error: format!("WhatsApp answered {status} with a body that is not its JSON"),
        },
    }
}

/// The messaging limit of a business portfolio before it is told: a new portfolio's.
pub const DEFAULT_MESSAGING_LIMIT: u32 = 250;

/// How many customers a business portfolio may start conversations with (templates outside
/// their window) in a moving 24 hours, read leniently from how WhatsApp Manager and the
/// Graph API write it: `250`, `2,000`, `10K`, `TIER_100K`, `TIER_UNLIMITED`. `Some(None)`:
/// unlimited; `None`: not a limit.
pub fn read_messaging_limit(text: &str) -> Option<Option<u32>> {
    let upper = text.trim().to_ascii_uppercase();
    let bare = upper.strip_prefix("TIER_").unwrap_or(&upper);
    if bare == "UNLIMITED" {
        return Some(None);
    }
    let digits: String = bare
        .chars()
        .filter(|c| !matches!(c, ',' | '_' | ' '))
        .collect();
    let (number, scale) = match digits.strip_suffix('K') {
        Some(number) => (number, 1_000),
        None => (digits.as_str(), 1),
    };
    let count: u32 = number.parse().ok()?;
    count
        .checked_mul(scale)
        .filter(|limit| *limit > 0)
        .map(Some)
}

/// WhatsApp as a channel account's platform: one business phone number.
pub struct WhatsApp;

/// The Graph API version sends go to.
pub const GRAPH_VERSION: &str = "v21.0";

impl crate::channel::Platform for WhatsApp {
    fn kind(&self) -> &'static str {
        "whatsapp"
    }

    fn fields(&self) -> &'static [Field] {
        const FIELDS: &[Field] = &[
            Field::secret("app_secret"),
            Field::secret("verify_token"),
            Field::secret("access_token"),
            Field::public("phone_number_id"),
            Field::public("business_account_id"),
            // The business portfolio's messaging limit, as WhatsApp Manager shows it.
            Field::public("messaging_limit").optional(),
        ];
        FIELDS
    }

    fn check(&self, settings: &Settings) -> Result<(), SettingsError> {
        match settings.0.get("messaging_limit") {
            Some(limit) if read_messaging_limit(limit).is_none() => Err(SettingsError {
                field: "messaging_limit".into(),
                problem: format!(
                    "{limit:?} is not a messaging limit: a number of customers (250, 2000, \
                     10K, 100K), a tier (TIER_250, TIER_2K, ...) or unlimited"
                ),
            }),
            _ => Ok(()),
        }
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
        parse(body).map_err(|error| WebhookError::Malformed(error.to_string()))
    }

    fn send_text(
        &self,
        api_base: &str,
        settings: &Settings,
        delivery: &OutgoingText<'_>,
    ) -> Result<Vec<OutboundRequest>, String> {
        let graph = format!("{}/{GRAPH_VERSION}", api_base.trim_end_matches('/'));
        let token = settings.get("access_token");
        let number = settings.get("phone_number_id");
        if let Some(buttons) = send_buttons(&graph, token, number, delivery) {
            return Ok(vec![buttons]);
        }
        Ok(crate::text::split(delivery.text, MAX_TEXT_UNITS)
            .iter()
            .enumerate()
            .map(|(part, text)| {
                send_text(
                    &graph,
                    token,
                    number,
                    delivery.to,
                    text,
                    delivery.reply_to.filter(|_| part == 0),
                )
            })
            .collect())
    }

    fn read_send_answer(&self, status: u16, body: &[u8]) -> SendOutcome {
        read_send_answer(status, body)
    }

    /// The customer-service window: free-form messages up to 24 hours after the customer's
    /// last message; after it, only approved templates.
    /// Cloud API's default throughput per business number.
    fn sends_per_second(&self) -> u32 {
        80
    }

    fn window(&self) -> Option<Window> {
        Some(Window {
            standard: Duration::from_secs(24 * 3600),
            human: None,
            answers: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::channel::Platform;
    use crate::meta::MetaError;

    #[test]
    fn messaging_limits_are_read_as_whatsapp_writes_them() {
        assert_eq!(read_messaging_limit("250"), Some(Some(250)));
        assert_eq!(read_messaging_limit("2,000"), Some(Some(2_000)));
        assert_eq!(read_messaging_limit("TIER_10K"), Some(Some(10_000)));
        assert_eq!(read_messaging_limit("tier_100k"), Some(Some(100_000)));
        assert_eq!(read_messaging_limit("TIER_UNLIMITED"), Some(None));
        assert_eq!(read_messaging_limit("lots"), None);
        assert_eq!(read_messaging_limit("0"), None);
    }

    fn fixtures() -> Option<PathBuf> {
        let dir =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/webhooks/whatsapp");
        if dir.is_dir() {
            Some(dir)
        } else {
            println!("skipped: {} is absent", dir.display());
            None
        }
    }

    /// Every delivery in a fixture file: the file's bytes as they are, or each value of a file
    /// that names several examples.
    fn deliveries(path: &Path) -> Vec<(String, Vec<u8>)> {
        let bytes = std::fs::read(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(json) if json.get("object").is_none() => json
                .as_object()
                .unwrap()
                .iter()
                .map(|(example, delivery)| {
                    (
                        format!("{name} {example}"),
                        serde_json::to_vec(delivery).unwrap(),
                    )
                })
                .collect(),
            _ => vec![(name, bytes)],
        }
    }

    #[test]
    fn every_delivery_of_pywa_and_the_java_sdk_parses() {
        let Some(dir) = fixtures() else { return };
        let mut read = 0;
        let mut refused = Vec::new();
        let mut messages = Vec::new();
        for folder in ["pywa/updates", "bindambc-java/deserialization"] {
            for entry in std::fs::read_dir(dir.join(folder)).unwrap() {
                for (name, body) in deliveries(&entry.unwrap().path()) {
                    let events = match parse(&body) {
                        Ok(events) => events,
                        Err(error) => {
                            refused.push((name, error.to_string()));
                            continue;
                        }
                    };
                    assert!(!events.is_empty(), "{name}");
                    read += 1;
                    messages.extend(events.into_iter().filter_map(|event| match event {
                        ChannelEvent::Message(message) => Some(*message),
                        _ => None,
                    }));
                }
            }
        }
        assert!(read >= 98, "{read} deliveries");
        // One fixture is two JSON documents run together, the second cut short.
        let [(name, error)] = refused.as_slice() else {
            panic!("{refused:?}")
        };
        assert_eq!(name, "textMessageStatusRead.json");
        assert!(
            error.contains("does not read as a WhatsApp webhook: trailing characters"),
            "{error}"
        );
        let has = |test: &dyn Fn(&Content) -> bool| messages.iter().any(|m| test(&m.content));
        assert!(has(
            &|c| matches!(c, Content::Text(text) if text == "hi everyone!")
        ));
        assert!(has(&|c| matches!(
            c,
            Content::Media(Media {
                kind: MediaKind::Voice,
                ..
            })
        )));
        assert!(has(
            &|c| matches!(c, Content::Choice { payload, .. } if payload == "callback_data")
        ));
        assert!(has(
            &|c| matches!(c, Content::Reaction { emoji, .. } if emoji.is_empty())
        ));
        assert!(has(
            &|c| matches!(c, Content::Edit { text, .. } if text == "Updated image caption")
        ));
        assert!(has(&|c| matches!(c, Content::Unsend { .. })));
        assert!(has(
            &|c| matches!(c, Content::ContactCard { name, .. } if name == "Chandler Bing")
        ));
        let text = messages
            .iter()
            .find(|message| message.content == Content::Text("hi everyone!".into()))
            .unwrap();
        assert_eq!(text.sender.name.as_deref(), Some("Mauricio Binda"));
        assert_eq!(text.sender.phone.as_deref(), Some("+1111111111111"));
        assert_eq!(text.sent_at, Some(1_672_947_578));
    }

    #[test]
    fn a_status_carries_metas_error_and_what_it_means() {
        let Some(dir) = fixtures() else { return };
        let body =
            std::fs::read(dir.join("bindambc-java/deserialization/reEngagementMessageError.json"))
                .unwrap();
        let events = parse(&body).unwrap();
        let [ChannelEvent::Status(status)] = events.as_slice() else {
            panic!("{events:?}")
        };
        assert_eq!(status.status, DeliveryStatus::Failed);
        let error = status.error.as_deref().unwrap();
        assert!(error.starts_with("WhatsApp 131047"), "{error}");
        assert!(error.contains("only a template"), "{error}");
    }

    #[test]
    fn a_real_signed_delivery_verifies_and_a_changed_one_does_not() {
        let Some(dir) = fixtures() else { return };
        let body = std::fs::read(dir.join("pywa/real_signed_webhook.body.json")).unwrap();
        let headers =
            std::fs::read_to_string(dir.join("pywa/real_signed_webhook.headers.txt")).unwrap();
        let signature = headers
            .lines()
            .find_map(|line| line.strip_prefix("X-Hub-Signature-256: "))
            .unwrap();
        let secret = headers
            .lines()
            .find_map(|line| line.split_once("app_secret").map(|(_, rest)| rest))
            .and_then(|rest| rest.rsplit(' ').next())
            .unwrap();
        meta::verify(Some(signature), &body, secret).unwrap();
        let mut changed = body.clone();
        changed[10] ^= 1;
        assert_eq!(
            meta::verify(Some(signature), &changed, secret),
            Err(MetaError::WrongSignature)
        );
        assert_eq!(
            meta::verify(Some(signature.trim_start_matches("sha256=")), &body, secret),
            Err(MetaError::WrongSignature),
            "the scheme prefix is required"
        );
        assert_eq!(
            meta::verify(None, &body, secret),
            Err(MetaError::MissingSignature)
        );
    }

    #[test]
    fn choices_that_fit_go_as_reply_buttons_and_others_as_text() {
        let choices = ["1".to_string(), "2".to_string(), "3".to_string()];
        let delivery = OutgoingText {
            to: "971501234567",
            text: "تجيب أسئلتنا الشائعة عن 1. «…» و2. «…» و3. «…»: أرسل رقم السؤال",
            reply_to: Some("wamid.in"),
            reply_token: None,
            message_id: "m",
            channel_name: "Acme",
            human_agent: false,
            choices: &choices,
        };
        let settings = Settings(
            [("access_token", "token"), ("phone_number_id", "1122")]
                .into_iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect(),
        );
        let requests = WhatsApp
            .send_text("http://127.0.0.1:9", &settings, &delivery)
            .unwrap();
        assert_eq!(requests.len(), 1);
        let body: serde_json::Value = serde_json::from_slice(&requests[0].body).unwrap();
        assert_eq!(body["type"], "interactive");
        assert_eq!(body["interactive"]["type"], "button");
        assert_eq!(body["interactive"]["body"]["text"], delivery.text);
        assert_eq!(
            body["interactive"]["action"]["buttons"][2],
            serde_json::json!({ "type": "reply", "reply": { "id": "3", "title": "3" } })
        );
        assert_eq!(body["context"]["message_id"], "wamid.in");
        // Four choices, or a text longer than an interactive message takes: plain text.
        let four = [choices.to_vec(), vec!["4".to_string()]].concat();
        let long = "ا".repeat(MAX_BUTTONS_TEXT + 1);
        for delivery in [
            OutgoingText {
                choices: &four,
                ..delivery
            },
            OutgoingText {
                text: &long,
                ..delivery
            },
        ] {
            let requests = WhatsApp
                .send_text("http://127.0.0.1:9", &settings, &delivery)
                .unwrap();
            let body: serde_json::Value = serde_json::from_slice(&requests[0].body).unwrap();
            assert_eq!(body["type"], "text");
        }
    }

    #[test]
    fn sends_and_their_answers_follow_the_graph_api() {
        let request = send_text(
            "http://127.0.0.1:9/v23.0/",
            "token",
            "1122334455667",
            "971501234567",
            "أهلاً",
            Some("wamid.in"),
        );
        assert_eq!(
            request.url,
            "http://127.0.0.1:9/v23.0/1122334455667/messages"
        );
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(body["messaging_product"], "whatsapp");
        assert_eq!(body["text"]["body"], "أهلاً");
        assert_eq!(body["context"]["message_id"], "wamid.in");

        let sent = br#"{"messaging_product":"whatsapp","contacts":[{"input":"971501234567","wa_id":"971501234567"}],"messages":[{"id":"wamid.out"}]}"#;
        assert_eq!(
            read_send_answer(200, sent),
            SendOutcome::Accepted {
                platform_id: Some("wamid.out".into())
            }
        );
        let throughput = br#"{"error":{"message":"(#130429) Rate limit hit","type":"OAuthException","code":130429}}"#;
        assert!(matches!(
            read_send_answer(400, throughput),
            SendOutcome::Transient { .. }
        ));
        let window = br#"{"error":{"message":"Re-engagement message","type":"OAuthException","code":131047}}"#;
        let SendOutcome::Rejected { error } = read_send_answer(400, window) else {
            panic!("a closed window is final for free text")
        };
        assert!(error.contains("only a template"), "{error}");
    }
}
