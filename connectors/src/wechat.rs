//! WeChat Official Accounts (a service account): every request carries `signature`,
//! `timestamp` and `nonce` in its query, `signature = sha1(the token, timestamp and nonce
//! sorted and joined)`; the server's check (GET) is answered with its `echostr`. Messages and
//! events are XML; in safe mode the body is an envelope whose `Encrypt` is AES-256-CBC under
//! the `encoding_aes_key` (16 random bytes, the XML's length, the XML, the app id), signed as
//! `msg_signature` over the token, timestamp, nonce and ciphertext. WeChat waits 5 s for an
//! answer and retries 3 times: the delivery is answered `success` once stored, and replies
//! go out through the customer-service API with an access token the app id and secret buy.
//! After a customer's message the account may answer for 48 hours, at most 5 messages.

use std::borrow::Cow;
use std::time::Duration;

use aes::cipher::block_padding::NoPadding;
use aes::cipher::{BlockModeDecrypt, KeyIvInit};
use base64::Engine;
use base64::alphabet;
use base64::engine::general_purpose::STANDARD;
use base64::engine::{GeneralPurpose, GeneralPurposeConfig};
use serde::Deserialize;
use sha1::{Digest, Sha1};

use crate::channel::{
    Field, OutgoingText, Platform, Settings, SettingsError, WebhookError, WebhookRequest, Window,
};
use crate::event::{ChannelEvent, Content, IncomingMessage, Media, MediaKind, Sender};
use crate::{OutboundRequest, SendOutcome};

/// Base64 as WeChat's console writes an `EncodingAESKey`: 43 characters whose last one may
/// carry bits past the key's 32 bytes.
const AES_KEY_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
);

/// The key an `EncodingAESKey` stands for.
fn aes_key(encoding_aes_key: &str) -> Option<Vec<u8>> {
    AES_KEY_BASE64
        .decode(format!("{encoding_aes_key}="))
        .ok()
        .filter(|key| encoding_aes_key.len() == 43 && key.len() == 32)
}

/// The longest text a customer-service message carries, in UTF-8 bytes.
pub const MAX_TEXT_BYTES: usize = 2_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeChatError {
    #[error("the query has no {0}")]
    Missing(&'static str),
    #[error("the {0} does not match the request signed with the channel's token")]
    WrongSignature(&'static str),
    #[error("the request's timestamp is more than 5 minutes from now: a replay, or a clock off")]
    Stale,
    #[error("the Encrypt envelope does not open with the encoding_aes_key: {0}")]
    Undecryptable(&'static str),
    #[error("the message is for app id {given:?}, not the channel's {expected:?}")]
    OtherApp { given: String, expected: String },
    #[error("the delivery does not read as WeChat XML: {0}")]
    Malformed(String),
}

/// `sha1` of the parts sorted and joined, as hex: WeChat's signature.
fn signature(parts: &mut [&str]) -> String {
    parts.sort_unstable();
    hex::encode(Sha1::digest(parts.concat().as_bytes()))
}

fn matches(given: &str, expected: &str) -> bool {
    bool::from(subtle::ConstantTimeEq::ct_eq(
        given.trim().to_ascii_lowercase().as_bytes(),
        expected.as_bytes(),
    ))
}

/// Whether a request's `signature` is the channel's (the check every request carries).
pub fn verify_signature<'q>(
    query: &dyn Fn(&str) -> Option<&'q str>,
    token: &str,
) -> Result<(), WeChatError> {
    let given = query("signature").ok_or(WeChatError::Missing("signature"))?;
    let timestamp = query("timestamp").ok_or(WeChatError::Missing("timestamp"))?;
    let nonce = query("nonce").ok_or(WeChatError::Missing("nonce"))?;
    if !matches(given, &signature(&mut [token, timestamp, nonce])) {
        return Err(WeChatError::WrongSignature("signature"));
    }
    // The signature covers no body: a request seen once must not serve for long.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs() as i64);
    match timestamp.parse::<i64>() {
        // The sender chooses the timestamp: the difference must not overflow.
        Ok(sent) if now.abs_diff(sent) <= MAX_CLOCK_SKEW_SECONDS.unsigned_abs() => Ok(()),
        _ => Err(WeChatError::Stale),
    }
}

/// How far a request's timestamp may be from now.
const MAX_CLOCK_SKEW_SECONDS: i64 = 300;

/// The flat fields of a WeChat XML document (`<xml><Name>value</Name>...</xml>`), by name.
fn fields(xml: &[u8]) -> Result<Vec<(String, String)>, WeChatError> {
    use quick_xml::events::Event;
    let text = std::str::from_utf8(xml)
        .map_err(|_| WeChatError::Malformed("the body is not UTF-8".into()))?;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut fields = Vec::new();
    let mut depth = 0;
    let mut current: Option<(String, String)> = None;
    loop {
        match reader
            .read_event()
            .map_err(|error| WeChatError::Malformed(error.to_string()))?
        {
            Event::Start(element) => {
                depth += 1;
                if depth == 2 {
                    let name = element.local_name().into_inner().to_string();
                    current = Some((name, String::new()));
                }
            }
            Event::End(_) => {
                if depth == 2
                    && let Some(field) = current.take()
                {
                    fields.push((field.0, field.1.trim().to_string()));
                }
                depth -= 1;
            }
            Event::Text(content) if depth == 2 => {
                if let Some((_, value)) = current.as_mut() {
                    value.push_str(&content.xml10_content());
                }
            }
            Event::CData(content) if depth == 2 => {
                if let Some((_, value)) = current.as_mut() {
                    value.push_str(&content.xml10_content());
                }
            }
            Event::GeneralRef(reference) if depth == 2 => {
                if let Some((_, value)) = current.as_mut() {
                    if let Ok(Some(character)) = reference.resolve_char_ref() {
                        value.push(character);
                    } else if let Some(resolved) =
                        quick_xml::escape::resolve_predefined_entity(&reference.xml10_content())
                    {
                        value.push_str(resolved);
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if fields.is_empty() {
        return Err(WeChatError::Malformed("no fields inside <xml>".into()));
    }
    Ok(fields)
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(given, _)| given == name)
        .map(|(_, value)| value.as_str())
}

/// The XML inside a safe-mode envelope, checked against `msg_signature` and the app id.
pub fn open_envelope<'q>(
    body: &[u8],
    query: &dyn Fn(&str) -> Option<&'q str>,
    token: &str,
    encoding_aes_key: &str,
    app_id: &str,
) -> Result<Vec<u8>, WeChatError> {
    let envelope = fields(body)?;
    let encrypted = field(&envelope, "Encrypt").ok_or(WeChatError::Malformed(
        "safe mode without an Encrypt field".into(),
    ))?;
    let given = query("msg_signature").ok_or(WeChatError::Missing("msg_signature"))?;
    let timestamp = query("timestamp").ok_or(WeChatError::Missing("timestamp"))?;
    let nonce = query("nonce").ok_or(WeChatError::Missing("nonce"))?;
    if !matches(given, &signature(&mut [token, timestamp, nonce, encrypted])) {
        return Err(WeChatError::WrongSignature("msg_signature"));
    }
    let key = aes_key(encoding_aes_key).ok_or(WeChatError::Undecryptable(
        "the key is not 43 characters of base64",
    ))?;
    let mut data = STANDARD
        .decode(encrypted)
        .map_err(|_| WeChatError::Undecryptable("Encrypt is not base64"))?;
    let decryptor = cbc::Decryptor::<aes::Aes256>::new_from_slices(&key, &key[..16])
        .map_err(|_| WeChatError::Undecryptable("the key is not 32 bytes"))?;
    let plain = decryptor
        .decrypt_padded::<NoPadding>(&mut data)
        .map_err(|_| WeChatError::Undecryptable("not whole AES blocks"))?;
    // PKCS#7 over 32-byte blocks, as WeChat pads.
    let padding = usize::from(*plain.last().unwrap_or(&0));
    if !(1..=32).contains(&padding) || padding > plain.len() {
        return Err(WeChatError::Undecryptable("the padding is wrong"));
    }
    let plain = &plain[..plain.len() - padding];
    if plain.len() < 20 {
        return Err(WeChatError::Undecryptable("too short"));
    }
    let length = u32::from_be_bytes([plain[16], plain[17], plain[18], plain[19]]) as usize;
    let rest = &plain[20..];
    if length > rest.len() {
        return Err(WeChatError::Undecryptable("the length is past the end"));
    }
    let (xml, from_app) = rest.split_at(length);
    let from_app = String::from_utf8_lossy(from_app).into_owned();
    if from_app != app_id {
        return Err(WeChatError::OtherApp {
            given: from_app,
            expected: app_id.to_string(),
        });
    }
    Ok(xml.to_vec())
}

/// The event one message or event XML is.
fn parse(xml: &[u8]) -> Result<Vec<ChannelEvent>, WeChatError> {
    let fields = fields(xml)?;
    let get = |name: &str| field(&fields, name).map(str::to_string);
    let from = get("FromUserName").ok_or(WeChatError::Malformed("no FromUserName".into()))?;
    let kind = get("MsgType").ok_or(WeChatError::Malformed("no MsgType".into()))?;
    let sent_at = get("CreateTime").and_then(|time| time.parse::<i64>().ok());
    // Messages are known by MsgId; events, which have none, by who and when.
    let id = get("MsgId").unwrap_or_else(|| {
        format!(
            "{from}:{}:{}",
            sent_at.unwrap_or_default(),
            get("Event").unwrap_or_default()
        )
    });
    let media = |kind: MediaKind| {
        Content::Media(Media {
            kind,
            file: get("MediaId").or_else(|| get("PicUrl")).unwrap_or_default(),
            name: None,
            content_type: None,
            bytes: None,
            // Voice comes with WeChat's transcript when the account turned recognition on.
            caption: get("Recognition").filter(|text| !text.is_empty()),
        })
    };
    let content = match kind.as_str() {
        "text" => Content::Text(get("Content").unwrap_or_default()),
        "image" => media(MediaKind::Image),
        "voice" => media(MediaKind::Voice),
        "video" | "shortvideo" => media(MediaKind::Video),
        "location" => Content::Location {
            latitude: get("Location_X")
                .and_then(|value| value.parse().ok())
                .unwrap_or_default(),
            longitude: get("Location_Y")
                .and_then(|value| value.parse().ok())
                .unwrap_or_default(),
            name: get("Label").filter(|label| !label.is_empty()),
        },
        "link" => Content::Text(
            [get("Title"), get("Description"), get("Url")]
                .into_iter()
                .flatten()
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        "event" => {
            let event = get("Event").unwrap_or_default();
            return Ok(vec![match event.to_ascii_lowercase().as_str() {
                "subscribe" => ChannelEvent::Subscription {
                    external_id: from,
                    subscribed: true,
                },
                "unsubscribe" => ChannelEvent::Subscription {
                    external_id: from,
                    subscribed: false,
                },
                "click" => ChannelEvent::Message(Box::new(IncomingMessage {
                    id,
                    sender: Sender {
                        external_id: from,
                        ..Sender::default()
                    },
                    content: Content::Choice {
                        payload: get("EventKey").unwrap_or_default(),
                        title: None,
                    },
                    reply_to: None,
                    sent_at,
                    reply_token: None,
                })),
                _ => ChannelEvent::Unhandled {
                    kind: format!("event {event}"),
                },
            }]);
        }
        other => {
            return Ok(vec![ChannelEvent::Unhandled {
                kind: format!("message {other}"),
            }]);
        }
    };
    Ok(vec![ChannelEvent::Message(Box::new(IncomingMessage {
        id,
        sender: Sender {
            external_id: from,
            ..Sender::default()
        },
        content,
        reply_to: None,
        sent_at,
        reply_token: None,
    }))])
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    expires_in: Option<u64>,
    errcode: Option<i64>,
    errmsg: Option<String>,
}

#[derive(Deserialize)]
struct SendAnswer {
    errcode: Option<i64>,
    errmsg: Option<String>,
}

/// WeChat as a channel account's platform: one service account.
pub struct WeChat;

impl Platform for WeChat {
    fn kind(&self) -> &'static str {
        "wechat"
    }

    fn fields(&self) -> &'static [Field] {
        const FIELDS: &[Field] = &[
            Field::secret("token"),
            Field::public("app_id"),
            Field::secret("app_secret"),
            // Safe mode: set, every delivery must come encrypted.
            Field::secret("encoding_aes_key").optional(),
        ];
        FIELDS
    }

    fn default_api_base(&self) -> &'static str {
        "https://api.weixin.qq.com"
    }

    fn check(&self, settings: &Settings) -> Result<(), SettingsError> {
        match settings.0.get("encoding_aes_key") {
            Some(key) if aes_key(key).is_none() => Err(SettingsError {
                field: "encoding_aes_key".into(),
                problem: "43 characters of base64, as the WeChat console gives it".into(),
            }),
            _ => Ok(()),
        }
    }

    fn handshake<'q>(
        &self,
        settings: &Settings,
        query: &dyn Fn(&str) -> Option<&'q str>,
    ) -> Option<Result<String, WebhookError>> {
        Some(
            verify_signature(query, settings.get("token"))
                .map_err(|error| WebhookError::Unauthenticated(error.to_string()))
                .and_then(|()| {
                    query("echostr").map(str::to_string).ok_or_else(|| {
                        WebhookError::Malformed("the server check has no echostr".into())
                    })
                }),
        )
    }

    /// The query's `signature`; in safe mode `open` checks the envelope's too.
    fn verify(
        &self,
        settings: &Settings,
        request: &WebhookRequest<'_, '_>,
    ) -> Result<(), WebhookError> {
        verify_signature(request.query, settings.get("token"))
            .map_err(|error| WebhookError::Unauthenticated(error.to_string()))
    }

    fn parse(&self, body: &[u8]) -> Result<Vec<ChannelEvent>, WebhookError> {
        parse(body).map_err(|error| WebhookError::Malformed(error.to_string()))
    }

    /// In safe mode, what the envelope holds (a plain delivery is refused); else the body.
    fn open<'r>(
        &self,
        settings: &Settings,
        request: &WebhookRequest<'r, '_>,
    ) -> Result<Cow<'r, [u8]>, WebhookError> {
        if !settings.0.contains_key("encoding_aes_key") {
            return Ok(Cow::Borrowed(request.body));
        }
        open_envelope(
            request.body,
            request.query,
            settings.get("token"),
            settings.get("encoding_aes_key"),
            settings.get("app_id"),
        )
        .map(Cow::Owned)
        .map_err(|error| match error {
            WeChatError::Malformed(_) => WebhookError::Malformed(error.to_string()),
            other => WebhookError::Unauthenticated(other.to_string()),
        })
    }

    fn token_request(&self, api_base: &str, settings: &Settings) -> Option<OutboundRequest> {
        let body = serde_json::json!({
            "grant_type": "client_credential",
            "appid": settings.get("app_id"),
            "secret": settings.get("app_secret"),
        });
        Some(OutboundRequest {
            url: format!("{}/cgi-bin/stable_token", api_base.trim_end_matches('/')),
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(&body).unwrap_or_default(),
        })
    }

    fn read_token(&self, status: u16, body: &[u8]) -> Result<(String, Duration), String> {
        match serde_json::from_slice::<TokenAnswer>(body) {
            Ok(TokenAnswer {
                access_token: Some(token),
                expires_in,
                ..
            }) => Ok((token, Duration::from_secs(expires_in.unwrap_or(7200)))),
            Ok(answer) => Err(format!(
                "WeChat refused an access token ({}): {}",
                answer.errcode.unwrap_or_default(),
                answer.errmsg.as_deref().unwrap_or("no description")
            )),
            Err(_) => Err(format!("WeChat answered the token request with {status}")),
        }
    }

    fn send_text(
        &self,
        api_base: &str,
        settings: &Settings,
        delivery: &OutgoingText<'_>,
    ) -> Result<Vec<OutboundRequest>, String> {
        let url = format!(
            "{}/cgi-bin/message/custom/send?access_token={}",
            api_base.trim_end_matches('/'),
            settings.get("access_token")
        );
        Ok(crate::text::split_bytes(delivery.text, MAX_TEXT_BYTES)
            .into_iter()
            .map(|text| {
                let body = serde_json::json!({
                    "touser": delivery.to, "msgtype": "text", "text": { "content": text },
                });
                OutboundRequest {
                    url: url.clone(),
                    headers: vec![("content-type".into(), "application/json".into())],
                    body: serde_json::to_vec(&body).unwrap_or_default(),
                }
            })
            .collect())
    }

    /// `errcode` 0 is sent (WeChat gives no message id). A busy system (-1), the call limit
    /// (45009) and a stale token (40001, 40014, 42001: a new one is bought) are worth
    /// retrying; past the window (45015), past the 5 answers (45047), or a follower who left
    /// (43004) are final.
    fn read_send_answer(&self, status: u16, body: &[u8]) -> SendOutcome {
        let Ok(answer) = serde_json::from_slice::<SendAnswer>(body) else {
            let error = format!("WeChat answered {status}");
            return if status >= 500 || status == 429 {
                SendOutcome::Transient {
                    error,
                    retry_after: None,
                }
            } else {
                SendOutcome::Rejected { error }
            };
        };
        let code = answer.errcode.unwrap_or_default();
        if code == 0 {
            return SendOutcome::Accepted { platform_id: None };
        }
        let meaning = match code {
            45015 => " (past the 48 hours after the customer's last message)",
            45047 => " (past the 5 answers a customer's message allows)",
            43004 => " (the customer no longer follows the account)",
            40003 => " (not a follower of this account)",
            _ => "",
        };
        let error = format!(
            "WeChat {code}: {}{meaning}",
            answer.errmsg.as_deref().unwrap_or("no description")
        );
        if matches!(code, -1 | 45009 | 40001 | 40014 | 42001) {
            SendOutcome::Transient {
                error,
                retry_after: None,
            }
        } else {
            SendOutcome::Rejected { error }
        }
    }

    fn window(&self) -> Option<Window> {
        Some(Window {
            standard: Duration::from_secs(48 * 3600),
            human: None,
            answers: Some(5),
        })
    }

    /// The customer-service API's stated default limit is per day, not per second; this
    /// keeps a burst polite.
    fn sends_per_second(&self) -> u32 {
        50
    }

    /// WeChat stops retrying on `success`.
    fn acknowledgment(&self) -> Option<(&'static str, &'static str)> {
        Some(("text/plain", "success"))
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn fixtures() -> Option<PathBuf> {
        let dir =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/webhooks/wechat/xml");
        if dir.is_dir() {
            Some(dir)
        } else {
            println!("skipped: {} is absent", dir.display());
            None
        }
    }

    fn query<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> {
        move |name| {
            pairs
                .iter()
                .find(|(given, _)| *given == name)
                .map(|(_, value)| *value)
        }
    }

    /// wechatpy's safe-mode vector: its token, key and app id, the envelope as WeChat sent
    /// it, and the `msg_signature` that came with it.
    #[test]
    fn a_real_encrypted_delivery_opens_and_a_changed_one_does_not() {
        let Some(dir) = fixtures() else { return };
        let body = std::fs::read(dir.join("test_crypto__test_decrypt_message.xml")).unwrap();
        let pairs = [
            ("msg_signature", "74d92dfeb87ba7c714f89d98870ae5eb62dff26d"),
            ("timestamp", "1411525903"),
            ("nonce", "461056294"),
        ];
        let key = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";
        let xml =
            open_envelope(&body, &query(&pairs), "123456", key, "wx49f0ab532d5d035a").unwrap();
        let events = parse(&xml).unwrap();
        let [ChannelEvent::Message(message)] = events.as_slice() else {
            panic!("{events:?}")
        };
        assert_eq!(message.id, "4363689963896700987");
        assert_eq!(message.sender.external_id, "messense");
        assert_eq!(message.content, Content::Text("test".into()));
        assert_eq!(message.sent_at, Some(1411525903));
        assert_eq!(
            open_envelope(&body, &query(&pairs), "654321", key, "wx49f0ab532d5d035a"),
            Err(WeChatError::WrongSignature("msg_signature"))
        );
        assert!(matches!(
            open_envelope(&body, &query(&pairs), "123456", key, "wx0000000000000000"),
            Err(WeChatError::OtherApp { .. })
        ));
    }

    fn now() -> String {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            .to_string()
    }

    #[test]
    fn a_signature_seen_long_ago_does_not_serve_again() {
        let token = "123456";
        let old = signature(&mut [token, "1411525903", "461056294"]);
        let pairs = [
            ("signature", old.as_str()),
            ("timestamp", "1411525903"),
            ("nonce", "461056294"),
        ];
        assert_eq!(
            verify_signature(&query(&pairs), token),
            Err(WeChatError::Stale)
        );
    }

    #[test]
    fn a_timestamp_at_the_ends_of_the_range_is_stale_not_a_crash() {
        let token = "123456";
        for sent in [i64::MIN, i64::MAX].map(|sent| sent.to_string()) {
            let signed = signature(&mut [token, &sent, "461056294"]);
            let pairs = [
                ("signature", signed.as_str()),
                ("timestamp", sent.as_str()),
                ("nonce", "461056294"),
            ];
            assert_eq!(
                verify_signature(&query(&pairs), token),
                Err(WeChatError::Stale)
            );
        }
    }

    #[test]
    fn the_server_check_echoes_only_for_the_channels_token() {
        let token = "123456";
        let now = now();
        let expected = signature(&mut [token, &now, "461056294"]);
        let pairs = [
            ("signature", expected.as_str()),
            ("timestamp", now.as_str()),
            ("nonce", "461056294"),
            ("echostr", "5837397520665436492"),
        ];
        let settings = Settings([("token".to_string(), token.to_string())].into());
        assert_eq!(
            WeChat.handshake(&settings, &query(&pairs)),
            Some(Ok("5837397520665436492".to_string()))
        );
        let other = Settings([("token".to_string(), "guess".to_string())].into());
        assert!(matches!(
            WeChat.handshake(&other, &query(&pairs)),
            Some(Err(WebhookError::Unauthenticated(_)))
        ));
    }

    /// Every official-account message and event in wechatpy's suite reads (WeCom's, which
    /// another product sends, too).
    #[test]
    fn every_documented_message_and_event_reads() {
        let Some(dir) = fixtures() else { return };
        let mut read = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if name.starts_with("test_crypto") {
                continue;
            }
            let body = std::fs::read(&path).unwrap();
            let events = parse(&body).unwrap_or_else(|error| panic!("{name}: {error}"));
            assert_eq!(events.len(), 1, "{name}");
            read += 1;
        }
        assert!(read >= 70, "{read}");
        let text = std::fs::read(dir.join("test_parser__test_parse_text_message.xml")).unwrap();
        let events = parse(&text).unwrap();
        let [ChannelEvent::Message(message)] = events.as_slice() else {
            panic!("{events:?}")
        };
        assert_eq!(message.content, Content::Text("this is a test".into()));
        assert_eq!(message.id, "1234567890123456");
        let location =
            std::fs::read(dir.join("test_parser__test_parse_location_message.xml")).unwrap();
        let events = parse(&location).unwrap();
        let [ChannelEvent::Message(message)] = events.as_slice() else {
            panic!("{events:?}")
        };
        assert_eq!(
            message.content,
            Content::Location {
                latitude: 23.134521,
                longitude: 113.358803,
                name: Some("位置信息".into()),
            }
        );
        let subscribe = std::fs::read(dir.join("test_events__test_subscribe_event.xml")).unwrap();
        assert_eq!(
            parse(&subscribe).unwrap(),
            [ChannelEvent::Subscription {
                external_id: "FromUser".into(),
                subscribed: true,
            }]
        );
        assert!(parse(b"<xml><MsgType>text</MsgType></xml>").is_err());
        assert!(parse(b"not xml at all").is_err());
    }

    #[test]
    fn answers_name_the_window_and_the_quota() {
        assert_eq!(
            WeChat.read_send_answer(200, br#"{"errcode":0,"errmsg":"ok"}"#),
            SendOutcome::Accepted { platform_id: None }
        );
        let SendOutcome::Rejected { error } = WeChat.read_send_answer(
            200,
            br#"{"errcode":45047,"errmsg":"out of response count limit"}"#,
        ) else {
            panic!()
        };
        assert!(error.contains("5 answers"), "{error}");
        assert!(matches!(
            WeChat.read_send_answer(200, br#"{"errcode":42001,"errmsg":"access_token expired"}"#),
            SendOutcome::Transient { .. }
        ));
        assert_eq!(
            WeChat.read_token(200, br#"{"access_token":"ACCESS","expires_in":7200}"#),
            Ok(("ACCESS".to_string(), Duration::from_secs(7200)))
        );
        assert!(
            WeChat
                .read_token(200, br#"{"errcode":40013,"errmsg":"invalid appid"}"#)
                .is_err()
        );
    }
}
