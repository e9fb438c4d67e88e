//! SMS through Twilio: inbound messages and status callbacks arrive as form posts signed with
//! the account's auth token (`X-Twilio-Signature`: base64 HMAC-SHA1 of the full webhook URL
//! followed by each parameter's name and value, sorted by name; a JSON body is signed through
//! the URL's `bodySHA256` instead); each is known by its `MessageSid`. Replies go out through
//! the Messages API. No window. An SMS is paid per segment: 160 GSM-7 characters, or 70 UCS-2
//! units once one character (an Arabic letter) is outside GSM-7, fewer in a long message.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use types::DeliveryStatus;

use crate::channel::{Field, OutgoingText, Platform, Settings, WebhookError, WebhookRequest};
use crate::event::{
    ChannelEvent, Content, IncomingMessage, Media, MediaKind, Sender, StatusUpdate,
};
use crate::{OutboundRequest, SendOutcome};

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "x-twilio-signature";
/// The longest body the Messages API takes, in characters; Twilio sends it as several
/// segments joined on the phone.
pub const MAX_TEXT_CHARS: usize = 1_600;

/// Why a Twilio request is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TwilioError {
    #[error("the {SIGNATURE_HEADER} header is missing")]
    MissingSignature,
    #[error(
        "the {SIGNATURE_HEADER} header does not match the request signed with the auth_token (the URL signed is the service's server.public_url with the webhook's path)"
    )]
    WrongSignature,
    #[error("the body's SHA-256 is not the bodySHA256 of the URL")]
    WrongBodyHash,
}

/// Whether a request came from Twilio. `url` is the webhook's full URL as Twilio called it,
/// with its query; `body` the raw form (or JSON) body.
pub fn verify(
    header: Option<&str>,
    url: &str,
    body: &[u8],
    auth_token: &str,
) -> Result<(), TwilioError> {
    let given = header.ok_or(TwilioError::MissingSignature)?;
    let given = STANDARD
        .decode(given.trim())
        .map_err(|_| TwilioError::WrongSignature)?;
    let body_hash = url.split_once('?').and_then(|(_, query)| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == "bodySHA256")
            .map(|(_, value)| value.into_owned())
    });
    let mut signed = url.to_string();
    if body_hash.is_none() {
        let mut parameters: Vec<(String, String)> = form_urlencoded::parse(body)
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        // Sorted by name; a name repeated keeps its values in the order they came.
        parameters.sort_by(|one, other| one.0.cmp(&other.0));
        for (name, value) in parameters {
            signed.push_str(&name);
            signed.push_str(&value);
        }
    }
    let mut mac = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(signed.as_bytes());
    mac.verify_slice(&given)
        .map_err(|_| TwilioError::WrongSignature)?;
    if let Some(expected) = body_hash {
        let actual = hex::encode(Sha256::digest(body));
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            actual.as_bytes(),
            expected.to_ascii_lowercase().as_bytes(),
        )) {
            return Err(TwilioError::WrongBodyHash);
        }
    }
    Ok(())
}

/// What one inbound message or status callback says.
fn parse(body: &[u8]) -> Result<Vec<ChannelEvent>, WebhookError> {
    let form: Vec<(String, String)> = form_urlencoded::parse(body)
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    let get = |name: &str| {
        form.iter()
            .find(|(given, _)| given == name)
            .map(|(_, value)| value.clone())
    };
    let Some(sid) = get("MessageSid").or_else(|| get("SmsSid")) else {
        return Err(WebhookError::Malformed(
            "the request has no MessageSid: not a Twilio messaging webhook".into(),
        ));
    };
    if let Some(status) = get("MessageStatus").filter(|status| status != "received") {
        let status = match status.as_str() {
            "sent" => DeliveryStatus::Sent,
            "delivered" => DeliveryStatus::Delivered,
            "read" => DeliveryStatus::Read,
            "failed" | "undelivered" | "canceled" => DeliveryStatus::Failed,
            // queued, accepted, sending, scheduled: still on its way.
            other => {
                return Ok(vec![ChannelEvent::Unhandled {
                    kind: format!("status {other}"),
                }]);
            }
        };
        let error = (status == DeliveryStatus::Failed).then(|| {
            match (get("ErrorCode"), get("ErrorMessage")) {
                (Some(code), Some(message)) => format!("Twilio {code}: {message}"),
                (Some(code), None) => format!("Twilio {code}"),
                _ => "Twilio could not deliver it".to_string(),
            }
        });
        return Ok(vec![ChannelEvent::Status(StatusUpdate {
            message_id: sid,
            status,
            error,
        })]);
    }
    let Some(from) = get("From") else {
        return Err(WebhookError::Malformed(
            "the message has no From: not a Twilio messaging webhook".into(),
        ));
    };
    let sender = Sender {
        external_id: from.clone(),
        phone: Some(from.clone()),
        ..Sender::default()
    };
    let text = get("Body").unwrap_or_default();
    let media = get("MediaUrl0");
    let content = match media {
        Some(url) => {
            let content_type = get("MediaContentType0");
            let kind = match content_type.as_deref().unwrap_or_default() {
                kind if kind.starts_with("image/") => MediaKind::Image,
                kind if kind.starts_with("video/") => MediaKind::Video,
                kind if kind.starts_with("audio/") => MediaKind::Audio,
                _ => MediaKind::Document,
            };
            Content::Media(Media {
                kind,
                file: url,
                name: None,
                content_type,
                bytes: None,
                caption: Some(text).filter(|text| !text.is_empty()),
            })
        }
        None => Content::Text(text),
    };
    let mut events = vec![ChannelEvent::Message(Box::new(IncomingMessage {
        id: sid,
        sender,
        content,
        reply_to: None,
        sent_at: None,
        reply_token: None,
    }))];
    // Twilio answers STOP and START itself; the inbox records what the customer chose.
    match get("OptOutType").as_deref() {
        Some("STOP") => events.push(ChannelEvent::Subscription {
            external_id: from,
            subscribed: false,
        }),
        Some("START") => events.push(ChannelEvent::Subscription {
            external_id: from,
            subscribed: true,
        }),
        _ => {}
    }
    Ok(events)
}

/// How an SMS text is encoded, and how many segments it is billed as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segments {
    /// Every character is in the GSM-7 alphabet (else UCS-2).
    pub gsm7: bool,
    pub count: usize,
}

/// The GSM 03.38 basic alphabet.
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// Characters of the extension table: each takes two septets.
const GSM7_EXTENDED: &str = "^{}\\[~]|€\u{c}";

/// The segments `text` is sent as: 160 septets in one GSM-7 segment, 153 each when split;
/// 70 UTF-16 units in one UCS-2 segment, 67 each when split.
pub fn segments(text: &str) -> Segments {
    let septets: Option<usize> = text
        .chars()
        .map(|character| {
            if GSM7_BASIC.contains(character) {
                Some(1)
            } else if GSM7_EXTENDED.contains(character) {
                Some(2)
            } else {
                None
            }
        })
        .sum();
    let (length, single, each) = match septets {
        Some(septets) => (septets, 160, 153),
        None => (text.encode_utf16().count(), 70, 67),
    };
    let count = match length {
        0 => 1,
        length if length <= single => 1,
        length => length.div_ceil(each),
    };
    Segments {
        gsm7: septets.is_some(),
        count,
    }
}

#[derive(Deserialize)]
struct Answer {
    sid: Option<String>,
    code: Option<i64>,
    message: Option<String>,
}

/// SMS through Twilio as a channel account's platform: one sender (a number or a Messaging
/// Service).
pub struct Sms;

impl Platform for Sms {
    fn kind(&self) -> &'static str {
        "sms"
    }

    fn fields(&self) -> &'static [Field] {
        const FIELDS: &[Field] = &[
            Field::public("account_sid"),
            Field::secret("auth_token"),
            // A number in E.164, or a Messaging Service's SID (MG...).
            Field::public("from"),
        ];
        FIELDS
    }

    fn default_api_base(&self) -> &'static str {
        "https://api.twilio.com"
    }

    fn verify(
        &self,
        settings: &Settings,
        request: &WebhookRequest<'_, '_>,
    ) -> Result<(), WebhookError> {
        verify(
            (request.header)(SIGNATURE_HEADER),
            request.url,
            request.body,
            settings.get("auth_token"),
        )
        .map_err(|error| WebhookError::Unauthenticated(error.to_string()))
    }

    fn parse(&self, body: &[u8]) -> Result<Vec<ChannelEvent>, WebhookError> {
        parse(body)
    }

    fn send_text(
        &self,
        api_base: &str,
        settings: &Settings,
        delivery: &OutgoingText<'_>,
    ) -> Result<Vec<OutboundRequest>, String> {
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            api_base.trim_end_matches('/'),
            settings.get("account_sid")
        );
        let credentials = STANDARD.encode(format!(
            "{}:{}",
            settings.get("account_sid"),
            settings.get("auth_token")
        ));
        let from = settings.get("from");
        let sender = if from.starts_with("MG") {
            "MessagingServiceSid"
        } else {
            "From"
        };
        Ok(crate::text::split(delivery.text, MAX_TEXT_CHARS)
            .into_iter()
            .map(|text| {
                let body = form_urlencoded::Serializer::new(String::new())
                    .append_pair("To", delivery.to)
                    .append_pair(sender, from)
                    .append_pair("Body", &text)
                    .finish();
                OutboundRequest {
                    url: url.clone(),
                    headers: vec![
                        (
                            "content-type".into(),
                            "application/x-www-form-urlencoded".into(),
                        ),
                        ("authorization".into(), format!("Basic {credentials}")),
                    ],
                    body: body.into_bytes(),
                }
            })
            .collect())
    }

    /// 201 with the message's SID; 429 and 5xx are worth retrying (as is 20429, too many
    /// requests); other errors are final (21211 a number that is not one, 21610 a recipient
    /// who replied STOP).
    fn read_send_answer(&self, status: u16, body: &[u8]) -> SendOutcome {
        let answer: Option<Answer> = serde_json::from_slice(body).ok();
        if let (200..=299, Some(Answer { sid: Some(sid), .. })) = (status, &answer) {
            return SendOutcome::Accepted {
                platform_id: Some(sid.clone()),
            };
        }
        let (code, message) = answer
            .map(|answer| (answer.code, answer.message))
            .unwrap_or_default();
        let error = format!(
            "Twilio {status}{}: {}",
            code.map(|code| format!(" ({code})")).unwrap_or_default(),
            message.as_deref().unwrap_or("no description")
        );
        if status == 429 || status >= 500 || code == Some(20429) {
            SendOutcome::Transient {
                error,
                retry_after: None,
            }
        } else {
            SendOutcome::Rejected { error }
        }
    }

    /// The segments of each part the text is sent as.
    fn cost_units(&self, text: &str) -> Option<u32> {
        let count: usize = crate::text::split(text, MAX_TEXT_CHARS)
            .iter()
            .map(|part| segments(part).count)
            .sum();
        Some(u32::try_from(count).unwrap_or(u32::MAX))
    }

    /// Twilio queues what a number cannot send at once (a long code sends about one segment a
    /// second); this keeps the API calls to a steady pace.
    fn sends_per_second(&self) -> u32 {
        10
    }

    /// Twilio reads the answer as TwiML: an empty response sends nothing back by itself.
    fn acknowledgment(&self) -> Option<(&'static str, &'static str)> {
        Some(("text/xml", "<Response></Response>"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Twilio's documented example (its security guide): this URL, these parameters and the
    /// auth token `12345` give `0/KCTR6DLpKmkAf8muzZqo1nDgQ=`.
    #[test]
    fn the_documented_signature_verifies_and_a_changed_request_does_not() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let body = b"CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030&To=%2B18005551212";
        let signature = Some("0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
        verify(signature, url, body, "12345").unwrap();
        // The parameters in another order sign the same.
        let shuffled = b"To=%2B18005551212&Digits=1234&CallSid=CA1234567890ABCDE&From=%2B12349013030&Caller=%2B12349013030";
        verify(signature, url, shuffled, "12345").unwrap();
        let changed = b"CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1235&From=%2B12349013030&To=%2B18005551212";
        assert_eq!(
            verify(signature, url, changed, "12345"),
            Err(TwilioError::WrongSignature)
        );
        assert_eq!(
            verify(
                signature,
                "https://mycompany.com:8443/myapp.php?foo=1&bar=2",
                body,
                "12345"
            ),
            Err(TwilioError::WrongSignature),
            "another port is another URL"
        );
        assert_eq!(
            verify(None, url, body, "12345"),
            Err(TwilioError::MissingSignature)
        );
    }

    /// A JSON body is signed through the URL's `bodySHA256` (Twilio's sample body and its
    /// hash); the body must hash to it.
    #[test]
    fn a_json_body_is_checked_against_the_hash_the_url_carries() {
        let body = br#"{"CallSid":"CA1234567890ABCDE","Caller":"+12349013030"}"#;
        let url = "https://example.com/myapp?bodySHA256=5ccde7145dfb8f56479710896586cb9d5911809d83afbe34627818790db0aec9";
        let mut mac = Hmac::<Sha1>::new_from_slice(b"12345").unwrap();
        mac.update(url.as_bytes());
        let signature = STANDARD.encode(mac.finalize().into_bytes());
        verify(Some(&signature), url, body, "12345").unwrap();
        assert_eq!(
            verify(Some(&signature), url, br#"{"CallSid":"CA0"}"#, "12345"),
            Err(TwilioError::WrongBodyHash)
        );
    }

    #[test]
    fn inbound_messages_statuses_and_opt_outs_are_read() {
        let inbound = b"ToCountry=AE&SmsMessageSid=SM1&NumMedia=0&SmsSid=SM1&SmsStatus=received&Body=%D9%85%D8%B1%D8%AD%D8%A8%D8%A7&To=%2B97140000000&MessageSid=SM1&AccountSid=AC1&From=%2B971501234567&ApiVersion=2010-04-01";
        let events = parse(inbound).unwrap();
        let [ChannelEvent::Message(message)] = events.as_slice() else {
            panic!("{events:?}")
        };
        assert_eq!(message.id, "SM1");
        assert_eq!(message.sender.external_id, "+971501234567");
        assert_eq!(message.content, Content::Text("مرحبا".into()));
        let failed = b"MessageSid=SM2&MessageStatus=undelivered&ErrorCode=30003&To=%2B971501234567";
        assert_eq!(
            parse(failed).unwrap(),
            [ChannelEvent::Status(StatusUpdate {
                message_id: "SM2".into(),
                status: DeliveryStatus::Failed,
                error: Some("Twilio 30003".into()),
            })]
        );
        let stop = b"MessageSid=SM3&From=%2B971501234567&Body=STOP&OptOutType=STOP";
        assert_eq!(
            parse(stop).unwrap()[1],
            ChannelEvent::Subscription {
                external_id: "+971501234567".into(),
                subscribed: false,
            }
        );
        assert!(parse(b"Body=hello").is_err());
    }

    #[test]
    fn an_arabic_sms_is_seventy_units_a_segment() {
        assert_eq!(
            segments("Your order is on its way"),
            Segments {
                gsm7: true,
                count: 1
            }
        );
        assert_eq!(segments(&"a".repeat(160)).count, 1);
        assert_eq!(segments(&"a".repeat(161)).count, 2);
        assert_eq!(segments(&"{".repeat(80)).count, 1, "two septets each");
        let arabic = "م".repeat(70);
        assert_eq!(
            segments(&arabic),
            Segments {
                gsm7: false,
                count: 1
            }
        );
        assert_eq!(segments(&"م".repeat(71)).count, 2);
        assert_eq!(segments(&"م".repeat(134)).count, 2);
        assert_eq!(segments(&"م".repeat(135)).count, 3);
        assert_eq!(Sms.cost_units(&"م".repeat(135)), Some(3));
    }

    #[test]
    fn sends_are_form_posts_with_basic_auth() {
        let settings = Settings(
            [
                ("account_sid", "AC1"),
                ("auth_token", "tok"),
                ("from", "+15005550006"),
            ]
            .into_iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect(),
        );
        let requests = Sms
            .send_text(
                "http://127.0.0.1:9/",
                &settings,
                &OutgoingText {
                    to: "+971501234567",
                    text: "شكرا",
                    reply_to: None,
                    reply_token: None,
                    message_id: "m",
                    channel_name: "Acme",
                    human_agent: false,
                    choices: &[],
                },
            )
            .unwrap();
        assert_eq!(
            requests[0].url,
            "http://127.0.0.1:9/2010-04-01/Accounts/AC1/Messages.json"
        );
        let form: Vec<(String, String)> = form_urlencoded::parse(&requests[0].body)
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        assert!(form.contains(&("Body".into(), "شكرا".into())));
        assert!(form.contains(&("From".into(), "+15005550006".into())));
        assert_eq!(
            Sms.read_send_answer(201, br#"{"sid":"SM9","status":"queued"}"#),
            SendOutcome::Accepted {
                platform_id: Some("SM9".into())
            }
        );
        assert!(matches!(
            Sms.read_send_answer(400, br#"{"code":21610,"message":"Attempt to send to unsubscribed recipient","status":400}"#),
            SendOutcome::Rejected { .. }
        ));
    }
}
