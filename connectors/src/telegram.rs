//! Telegram bots: updates arrive at the webhook set with `setWebhook`, whose `secret_token`
//! comes back in every request's `X-Telegram-Bot-Api-Secret-Token` (compared whole, in
//! constant time: there is no signature); replies go out through `sendMessage`. No window:
//! a bot may write to whoever started it.

use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::channel::{Field, OutgoingText, Settings, SettingsError, WebhookError, WebhookRequest};
use crate::event::{ChannelEvent, Content, IncomingMessage, Media, MediaKind, Sender};
use crate::{OutboundRequest, SendOutcome};

/// The header that carries the webhook's secret token.
pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";
/// The longest text one `sendMessage` takes, in characters (UTF-16 code units, as Telegram
/// counts them).
pub const MAX_TEXT_UNITS: usize = 4_096;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TelegramError {
    #[error("the {SECRET_HEADER} header is missing")]
    MissingSecret,
    #[error("the {SECRET_HEADER} header does not match the channel's secret_token")]
    WrongSecret,
    #[error("secret_token: {0}")]
    BadSecretToken(&'static str),
    #[error("the update does not read as a Telegram Update: {0}")]
    Malformed(String),
}

/// The token `setWebhook` is given, checked as Telegram checks it: 1 to 256 characters of
/// `A-Z`, `a-z`, `0-9`, `_` and `-`.
pub fn check_secret_token(token: &str) -> Result<(), TelegramError> {
    if token.is_empty() || token.len() > 256 {
        return Err(TelegramError::BadSecretToken("1 to 256 characters"));
    }
    if !token
        .bytes()
        .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
    {
        return Err(TelegramError::BadSecretToken(
            "only letters, digits, _ and - are allowed",
        ));
    }
    Ok(())
}

/// Whether the request came from Telegram: its secret-token header equals the channel's.
pub fn verify(header: Option<&str>, secret_token: &str) -> Result<(), TelegramError> {
    let given = header.ok_or(TelegramError::MissingSecret)?;
    if bool::from(given.as_bytes().ct_eq(secret_token.as_bytes())) {
        Ok(())
    } else {
        Err(TelegramError::WrongSecret)
    }
}

#[derive(Deserialize)]
struct Update {
    update_id: i64,
    message: Option<Message>,
    edited_message: Option<Message>,
    callback_query: Option<CallbackQuery>,
    message_reaction: Option<Reaction>,
    my_chat_member: Option<MemberUpdate>,
    #[serde(flatten)]
    rest: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct Message {
    message_id: i64,
    from: Option<User>,
    chat: Chat,
    date: Option<i64>,
    edit_date: Option<i64>,
    text: Option<String>,
    caption: Option<String>,
    #[serde(default)]
    photo: Vec<File>,
    document: Option<File>,
    audio: Option<File>,
    voice: Option<File>,
    video: Option<File>,
    sticker: Option<File>,
    location: Option<Location>,
    venue: Option<Venue>,
    contact: Option<SharedContact>,
    reply_to_message: Option<Box<Message>>,
}

#[derive(Deserialize)]
struct User {
    id: i64,
    first_name: Option<String>,
    last_name: Option<String>,
    username: Option<String>,
    language_code: Option<String>,
}

#[derive(Deserialize)]
struct Chat {
    id: i64,
}

#[derive(Deserialize)]
struct File {
    file_id: String,
    file_name: Option<String>,
    mime_type: Option<String>,
    file_size: Option<u64>,
}

#[derive(Deserialize)]
struct Location {
    latitude: f64,
    longitude: f64,
}

#[derive(Deserialize)]
struct Venue {
    title: String,
}

#[derive(Deserialize)]
struct SharedContact {
    phone_number: Option<String>,
    first_name: String,
    last_name: Option<String>,
}

#[derive(Deserialize)]
struct CallbackQuery {
    id: String,
    from: User,
    message: Option<CallbackMessage>,
    data: Option<String>,
}

#[derive(Deserialize)]
struct CallbackMessage {
    chat: Chat,
}

#[derive(Deserialize)]
struct Reaction {
    chat: Chat,
    message_id: i64,
    date: i64,
    user: Option<User>,
    #[serde(default)]
    new_reaction: Vec<ReactionType>,
}

#[derive(Deserialize)]
struct ReactionType {
    emoji: Option<String>,
}

#[derive(Deserialize)]
struct MemberUpdate {
    chat: Chat,
    new_chat_member: ChatMember,
}

#[derive(Deserialize)]
struct ChatMember {
    status: String,
}

/// The events of one update. A message's id is its chat's and its own (`chat:message`), so an
/// edit or a reaction names the message it changes; the update's own id would not.
pub fn parse(body: &[u8]) -> Result<Vec<ChannelEvent>, TelegramError> {
    let update: Update = serde_json::from_slice(body)
        .map_err(|error| TelegramError::Malformed(error.to_string()))?;
    let event = if let Some(message) = update.message {
        message_event(message)
    } else if let Some(edited) = update.edited_message {
        let changed = message_key(edited.chat.id, edited.message_id);
        match edited.text.or(edited.caption) {
            Some(text) => ChannelEvent::Message(Box::new(IncomingMessage {
                id: format!("{changed}:edit:{}", update.update_id),
                sender: sender(edited.chat.id, edited.from.as_ref()),
                content: Content::Edit {
                    message_id: changed,
                    text,
                },
                reply_to: None,
                sent_at: edited.edit_date.or(edited.date),
                reply_token: None,
            })),
            // A live location moving, or a file replaced: no text changed.
            None => ChannelEvent::Unhandled {
                kind: "edited_message".into(),
            },
        }
    } else if let Some(query) = update.callback_query {
        // A button under an inline-mode message has no chat: the person is answered in their
        // private chat with the bot (there only if they started it).
        let chat = query
            .message
            .map_or(query.from.id, |message| message.chat.id);
        ChannelEvent::Message(Box::new(IncomingMessage {
            id: format!("callback:{}", query.id),
            sender: sender(chat, Some(&query.from)),
            content: Content::Choice {
                payload: query.data.unwrap_or_default(),
                title: None,
            },
            reply_to: None,
            sent_at: None,
            reply_token: None,
        }))
    } else if let Some(reaction) = update.message_reaction {
        // No reaction left is a reaction taken back; a custom or paid one has no emoji to show.
        let emoji = if reaction.new_reaction.is_empty() {
            Some(String::new())
        } else {
            reaction
                .new_reaction
                .into_iter()
                .find_map(|reaction| reaction.emoji)
        };
        match emoji {
            Some(emoji) => ChannelEvent::Message(Box::new(IncomingMessage {
                id: format!("reaction:{}", update.update_id),
                sender: sender(reaction.chat.id, reaction.user.as_ref()),
                content: Content::Reaction {
                    message_id: message_key(reaction.chat.id, reaction.message_id),
                    emoji,
                },
                reply_to: None,
                sent_at: Some(reaction.date),
                reply_token: None,
            })),
            None => ChannelEvent::Unhandled {
                kind: "message_reaction".into(),
            },
        }
    } else if let Some(member) = update.my_chat_member {
        // The person blocked the bot ("kicked") or started it again.
        ChannelEvent::Subscription {
            external_id: member.chat.id.to_string(),
            subscribed: member.new_chat_member.status != "kicked",
        }
    } else {
        let kind = update
            .rest
            .keys()
            .next()
            .cloned()
            .unwrap_or_else(|| "empty".into());
        ChannelEvent::Unhandled { kind }
    };
    Ok(vec![event])
}

fn message_key(chat: i64, message: i64) -> String {
    format!("{chat}:{message}")
}

fn sender(chat: i64, user: Option<&User>) -> Sender {
    let name = user.and_then(|user| {
        let full = [user.first_name.as_deref(), user.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        Some(full)
            .filter(|full| !full.trim().is_empty())
            .or_else(|| user.username.clone())
    });
    Sender {
        external_id: chat.to_string(),
        name,
        phone: None,
        language: user.and_then(|user| user.language_code.clone()),
    }
}

fn message_event(message: Message) -> ChannelEvent {
    let media = |kind, file: File, caption: Option<String>| {
        Content::Media(Media {
            kind,
            file: file.file_id,
            name: file.file_name,
            content_type: file.mime_type,
            bytes: file.file_size,
            caption,
        })
    };
    let caption = message.caption;
    // The largest size of a photo is the last one Telegram lists.
    let content = if let Some(photo) = message.photo.into_iter().last() {
        media(MediaKind::Image, photo, caption)
    } else if let Some(file) = message.document {
        media(MediaKind::Document, file, caption)
    } else if let Some(file) = message.video {
        media(MediaKind::Video, file, caption)
    } else if let Some(file) = message.voice {
        media(MediaKind::Voice, file, caption)
    } else if let Some(file) = message.audio {
        media(MediaKind::Audio, file, caption)
    } else if let Some(file) = message.sticker {
        media(MediaKind::Sticker, file, caption)
    } else if let Some(location) = message.location {
        Content::Location {
            latitude: location.latitude,
            longitude: location.longitude,
            name: message.venue.map(|venue| venue.title),
        }
    } else if let Some(contact) = message.contact {
        let name = [Some(contact.first_name), contact.last_name]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        Content::ContactCard {
            name,
            phone: contact.phone_number,
        }
    } else if let Some(text) = message.text.filter(|text| !text.trim().is_empty()) {
        Content::Text(text)
    } else {
        // A poll, a dice, a story, a service message (a pin, members joining): nothing a
        // person or an agent answers.
        return ChannelEvent::Unhandled {
            kind: "message".into(),
        };
    };
    ChannelEvent::Message(Box::new(IncomingMessage {
        id: message_key(message.chat.id, message.message_id),
        sender: sender(message.chat.id, message.from.as_ref()),
        content,
        reply_to: message
            .reply_to_message
            .map(|replied| message_key(replied.chat.id, replied.message_id)),
        sent_at: message.date,
        reply_token: None,
    }))
}

/// `choices` as a keyboard under a message; without choices, the removal of a keyboard an
/// earlier offer left, which a customer who typed instead of tapping still has open and whose
/// numbers would now pick nothing.
fn keyboard(choices: &[String]) -> serde_json::Value {
    if choices.is_empty() {
        return serde_json::json!({ "remove_keyboard": true });
    }
    let row: Vec<serde_json::Value> = choices
        .iter()
        .map(|choice| serde_json::json!({ "text": choice }))
        .collect();
    serde_json::json!({ "keyboard": [row], "one_time_keyboard": true, "resize_keyboard": true })
}

/// The `sendMessage` calls that deliver `text` to a chat: one per 4,096 UTF-16 units, cut
/// at a line or word break where there is one (none for blank text, which Telegram refuses).
/// The first answers `reply_to` (a message id this module gave) when it is the same chat's;
/// the last carries `choices` as a keyboard that sends the one tapped as the customer's
/// message, and hides once used, or, without choices, removes such a keyboard.
pub fn send_text(
    api_base: &str,
    bot_token: &str,
    chat_id: &str,
    text: &str,
    reply_to: Option<&str>,
    choices: &[String],
) -> Vec<OutboundRequest> {
    let url = format!(
        "{}/bot{bot_token}/sendMessage",
        api_base.trim_end_matches('/')
    );
    let replied = reply_to
        .and_then(|key| key.rsplit_once(':'))
        .filter(|(chat, _)| *chat == chat_id)
        .and_then(|(_, message)| message.parse::<i64>().ok());
    let parts = crate::text::split(text, MAX_TEXT_UNITS);
    let last = parts.len().saturating_sub(1);
    parts
        .into_iter()
        .enumerate()
        .map(|(part, text)| {
            let mut body = serde_json::json!({ "chat_id": chat_id, "text": text });
            if let (0, Some(message)) = (part, replied) {
                body["reply_parameters"] = serde_json::json!({
                    "message_id": message, "allow_sending_without_reply": true,
                });
            }
            if part == last {
                body["reply_markup"] = keyboard(choices);
            }
            OutboundRequest {
                url: url.clone(),
                headers: vec![("content-type".into(), "application/json".into())],
                body: serde_json::to_vec(&body).unwrap_or_default(),
            }
        })
        .collect()
}

#[derive(Deserialize)]
struct Answer {
    ok: bool,
    #[serde(default, deserialize_with = "sent_message")]
    result: Option<SentMessage>,
    error_code: Option<u16>,
    description: Option<String>,
    parameters: Option<AnswerParameters>,
}

/// A send's `result` (a message); `setWebhook`'s is `true`, which is none.
fn sent_message<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<SentMessage>, D::Error> {
    let value = serde_json::Value::deserialize(deserializer)?;
    Ok(serde_json::from_value(value).ok())
}

#[derive(Deserialize)]
struct SentMessage {
    message_id: i64,
    chat: Chat,
}

#[derive(Deserialize)]
struct AnswerParameters {
    retry_after: Option<u64>,
}

/// What Bot API's answer to a send means: `ok` with the message (its id in the form `parse`
/// gives, so a status or reply can name it); 429 with `retry_after`, and 5xx, are worth
/// retrying; any other error is not (a blocked bot is 403, a chat not found 400).
pub fn read_send_answer(status: u16, body: &[u8]) -> SendOutcome {
    let answer: Option<Answer> = serde_json::from_slice(body).ok();
    match answer {
        Some(Answer {
            ok: true,
            result: Some(sent),
            ..
        }) => SendOutcome::Accepted {
            platform_id: Some(message_key(sent.chat.id, sent.message_id)),
        },
        Some(answer) => {
            let code = answer.error_code.unwrap_or(status);
            let error = format!(
                "Telegram {code}: {}",
                answer.description.as_deref().unwrap_or("no description")
            );
            if code == 429 || code >= 500 {
                SendOutcome::Transient {
                    error,
                    retry_after: answer
                        .parameters
                        .and_then(|parameters| parameters.retry_after),
                }
            } else {
                SendOutcome::Rejected { error }
            }
        }
        None if status == 429 || status >= 500 => SendOutcome::Transient {
            error: format!("Telegram answered {status}"),
            retry_after: None,
        },
        None => SendOutcome::Rejected {
            error: format!("Telegram answered {status} with a body that is not its JSON"),
        },
    }
}

/// Telegram as a channel account's platform: one bot.
pub struct Telegram;

impl crate::channel::Platform for Telegram {
    fn kind(&self) -> &'static str {
        "telegram"
    }

    fn fields(&self) -> &'static [Field] {
        const FIELDS: &[Field] = &[Field::secret("bot_token"), Field::secret("secret_token")];
        FIELDS
    }

    fn default_api_base(&self) -> &'static str {
        "https://api.telegram.org"
    }

    fn check(&self, settings: &Settings) -> Result<(), SettingsError> {
        check_secret_token(settings.get("secret_token")).map_err(|error| SettingsError {
            field: "secret_token".into(),
            problem: match error {
                TelegramError::BadSecretToken(problem) => problem.to_string(),
                other => other.to_string(),
            },
        })
    }

    fn verify(
        &self,
        settings: &Settings,
        request: &WebhookRequest<'_, '_>,
    ) -> Result<(), WebhookError> {
        verify(
            (request.header)(SECRET_HEADER),
            settings.get("secret_token"),
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
        Ok(send_text(
            api_base,
            settings.get("bot_token"),
            delivery.to,
            delivery.text,
            delivery.reply_to,
            delivery.choices,
        ))
    }

    /// Bot API's stated ceiling for a bot's messages to many chats.
    fn sends_per_second(&self) -> u32 {
        30
    }

    fn read_send_answer(&self, status: u16, body: &[u8]) -> SendOutcome {
        read_send_answer(status, body)
    }

    /// `setWebhook` with the channel's secret token, for the updates `parse` reads.
    fn register_webhook(
        &self,
        api_base: &str,
        settings: &Settings,
        url: &str,
    ) -> Option<OutboundRequest> {
        let body = serde_json::json!({
            "url": url,
            "secret_token": settings.get("secret_token"),
            "allowed_updates": ["message", "edited_message", "callback_query",
                "message_reaction", "my_chat_member"],
        });
        Some(OutboundRequest {
            url: format!(
                "{}/bot{}/setWebhook",
                api_base.trim_end_matches('/'),
                settings.get("bot_token")
            ),
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(&body).unwrap_or_default(),
        })
    }

    fn read_register_answer(&self, status: u16, body: &[u8]) -> Result<(), String> {
        match serde_json::from_slice::<Answer>(body) {
            Ok(Answer { ok: true, .. }) => Ok(()),
            Ok(answer) => Err(format!(
                "Telegram {}: {}",
                answer.error_code.unwrap_or(status),
                answer.description.as_deref().unwrap_or("no description")
            )),
            Err(_) => Err(format!("Telegram answered {status}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn samples() -> Option<PathBuf> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/data/webhooks/telegram/core.telegram.org_webhooks_samples");
        if dir.is_dir() {
            Some(dir)
        } else {
            println!("skipped: {} is absent", dir.display());
            None
        }
    }

    fn sample(dir: &std::path::Path, name: &str) -> Vec<ChannelEvent> {
        parse(&std::fs::read(dir.join(name)).unwrap()).unwrap()
    }

    /// The one message a sample update holds.
    fn message(dir: &std::path::Path, name: &str) -> IncomingMessage {
        match sample(dir, name).as_slice() {
            [ChannelEvent::Message(message)] => message.as_ref().clone(),
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn every_sample_update_of_telegrams_guide_parses() {
        let Some(dir) = samples() else { return };
        let mut read = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path
                .extension()
                .is_some_and(|extension| extension == "json")
            {
                let events = parse(&std::fs::read(&path).unwrap())
                    .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
                assert_eq!(events.len(), 1, "{}", path.display());
                read += 1;
            }
        }
        assert_eq!(read, 13);

        let text = message(&dir, "02_message_text.json");
        assert_eq!(text.id, "1111111:1365");
        assert_eq!(text.sender.external_id, "1111111");
        assert_eq!(
            text.sender.name.as_deref(),
            Some("Test Firstname Test Lastname")
        );
        assert_eq!(text.content, Content::Text("/start".into()));

        let document = message(&dir, "10_message_document.json");
        let Content::Media(media) = &document.content else {
            panic!("{:?}", document.content)
        };
        assert_eq!(media.kind, MediaKind::Document);
        assert_eq!(media.name.as_deref(), Some("Testfile.pdf"));
        assert_eq!(media.content_type.as_deref(), Some("application/pdf"));

        let edit = message(&dir, "06_edited_message.json");
        assert!(
            matches!(&edit.content, Content::Edit { message_id, .. } if message_id == "1111111:1365")
        );

        let choice = message(&dir, "13_callback_query.json");
        assert_eq!(
            choice.content,
            Content::Choice {
                payload: "Data from button callback".into(),
                title: None
            }
        );
        assert!(matches!(
            sample(&dir, "11_inline_query.json").as_slice(),
            [ChannelEvent::Unhandled { kind }] if kind == "inline_query"
        ));
    }

    #[test]
    fn updates_with_nothing_to_answer_are_unhandled_not_empty_messages() {
        let chat = r#""chat":{"id":42,"type":"private"},"from":{"id":42,"is_bot":false,"first_name":"Huda"}"#;
        let unhandled = |update: String| match parse(update.as_bytes()).unwrap().as_slice() {
            [ChannelEvent::Unhandled { kind }] => kind.clone(),
            other => panic!("{update}: {other:?}"),
        };
        let poll = format!(
            r#"{{"update_id":1,"message":{{"message_id":5,"date":1,{chat},"poll":{{"id":"p"}}}}}}"#
        );
        assert_eq!(unhandled(poll), "message");
        let live_location = format!(
            r#"{{"update_id":2,"edited_message":{{"message_id":5,"date":1,"edit_date":9,{chat},
                "location":{{"latitude":25.2,"longitude":55.3}}}}}}"#
        );
        assert_eq!(unhandled(live_location), "edited_message");
        let custom = r#"{"update_id":3,"message_reaction":{"chat":{"id":42,"type":"private"},
            "message_id":5,"date":1,"old_reaction":[],
            "new_reaction":[{"type":"custom_emoji","custom_emoji_id":"1"}]}}"#;
        assert_eq!(unhandled(custom.into()), "message_reaction");

        let removed = r#"{"update_id":4,"message_reaction":{"chat":{"id":42,"type":"private"},
            "message_id":5,"date":1,"old_reaction":[{"type":"emoji","emoji":"👍"}],"new_reaction":[]}}"#;
        let events = parse(removed.as_bytes()).unwrap();
        let [ChannelEvent::Message(reaction)] = events.as_slice() else {
            panic!("a reaction taken back")
        };
        assert_eq!(
            reaction.content,
            Content::Reaction {
                message_id: "42:5".into(),
                emoji: String::new()
            }
        );
        let edit = format!(
            r#"{{"update_id":5,"edited_message":{{"message_id":5,"date":1,"edit_date":9,{chat},"text":"السعر؟"}}}}"#
        );
        let events = parse(edit.as_bytes()).unwrap();
        let [ChannelEvent::Message(edit)] = events.as_slice() else {
            panic!("an edit")
        };
        assert_eq!(edit.sent_at, Some(9), "an edit is dated when it was made");
        assert!(matches!(
            parse(b"{\"message\": 1}"),
            Err(TelegramError::Malformed(_))
        ));
    }

    #[test]
    fn the_secret_token_is_compared_whole() {
        verify(Some("s3cret-Token_1"), "s3cret-Token_1").unwrap();
        assert_eq!(
            verify(Some("s3cret-Token_2"), "s3cret-Token_1"),
            Err(TelegramError::WrongSecret)
        );
        assert_eq!(
            verify(Some("s3cret"), "s3cret-Token_1"),
            Err(TelegramError::WrongSecret)
        );
        assert_eq!(
            verify(None, "s3cret-Token_1"),
            Err(TelegramError::MissingSecret)
        );
        check_secret_token("s3cret-Token_1").unwrap();
        assert!(check_secret_token("").is_err());
        assert!(check_secret_token("has space").is_err());
        assert!(check_secret_token(&"a".repeat(257)).is_err());
    }

    #[test]
    fn a_long_text_goes_in_parts_of_at_most_4096_units_cut_at_a_break() {
        let paragraph = "مرحبا بك في متجرنا، التوصيل خلال يومين. ".repeat(300);
        let requests = send_text(
            "http://127.0.0.1:9/",
            "123:abc",
            "42",
            &paragraph,
            Some("42:7"),
            &[],
        );
        assert!(requests.len() > 1);
        let mut rejoined = Vec::new();
        for (part, request) in requests.iter().enumerate() {
            assert_eq!(request.url, "http://127.0.0.1:9/bot123:abc/sendMessage");
            let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
            let text = body["text"].as_str().unwrap();
            assert!(text.encode_utf16().count() <= MAX_TEXT_UNITS);
            assert!(!text.starts_with(' ') && !text.ends_with(' '));
            assert_eq!(body["chat_id"], "42");
            assert_eq!(body.get("reply_parameters").is_some(), part == 0);
            rejoined.push(text.to_string());
        }
        assert_eq!(rejoined.join(" "), paragraph.trim());
        // A reply to another chat's message is sent without the reference.
        let other = send_text("http://t", "1:a", "42", "hi", Some("43:7"), &[]);
        let body: serde_json::Value = serde_json::from_slice(&other[0].body).unwrap();
        assert!(body.get("reply_parameters").is_none());
        assert_eq!(
            body["reply_markup"],
            serde_json::json!({ "remove_keyboard": true })
        );
        assert!(send_text("http://t", "1:a", "42", "  \n ", None, &[]).is_empty());
        // Choices go under the last part, as a keyboard that sends the one tapped.
        let choices = ["1".to_string(), "2".to_string()];
        let offered = send_text("http://t", "1:a", "42", &paragraph, None, &choices);
        for (part, request) in offered.iter().enumerate() {
            let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
            let markup = &body["reply_markup"];
            if part + 1 < offered.len() {
                assert!(markup.is_null());
            } else {
                assert_eq!(
                    markup["keyboard"],
                    serde_json::json!([[{ "text": "1" }, { "text": "2" }]])
                );
                assert_eq!(markup["one_time_keyboard"], true);
            }
        }
        // Emoji count two units each, as Telegram counts them.
        let emoji = "😀".repeat(3_000);
        let parts = crate::text::split(&emoji, MAX_TEXT_UNITS);
        assert_eq!(parts.len(), 2);
        assert!(
            parts
                .iter()
                .all(|part| part.encode_utf16().count() <= MAX_TEXT_UNITS)
        );
    }

    #[test]
    fn send_answers_are_read_as_the_bot_api_gives_them() {
        let ok =
            br#"{"ok":true,"result":{"message_id":99,"chat":{"id":42,"type":"private"},"date":1}}"#;
        assert_eq!(
            read_send_answer(200, ok),
            SendOutcome::Accepted {
                platform_id: Some("42:99".into())
            }
        );
        let flood = br#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}"#;
        assert!(matches!(
            read_send_answer(429, flood),
            SendOutcome::Transient {
                retry_after: Some(7),
                ..
            }
        ));
        let blocked = br#"{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}"#;
        let SendOutcome::Rejected { error } = read_send_answer(403, blocked) else {
            panic!("a block is final")
        };
        assert!(error.contains("blocked"), "{error}");
        assert!(matches!(
            read_send_answer(502, b"<html>Bad Gateway</html>"),
            SendOutcome::Transient { .. }
        ));
    }
}
