//! The messaging platforms behind one interface: what a channel account of each is
//! configured with, how its webhook is verified and read, how a text reaches a customer on
//! it, and the window it lets a business answer in. `app` does the I/O through this; adding
//! a platform is its file and one line of `PLATFORMS`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Duration;

use crate::event::ChannelEvent;
use crate::{
    OutboundRequest, SendOutcome, line, messenger, sms, telegram, viber, wechat, whatsapp,
};

/// Every platform a channel account may be, by its `type`.
pub static PLATFORMS: &[&dyn Platform] = &[
    &whatsapp::WhatsApp,
    &messenger::MESSENGER,
    &messenger::INSTAGRAM,
    &telegram::Telegram,
    &line::Line,
    &viber::Viber,
    &sms::Sms,
    &wechat::WeChat,
];

/// The platform a channel `type` names.
pub fn platform(kind: &str) -> Option<&'static dyn Platform> {
    PLATFORMS
        .iter()
        .copied()
        .find(|platform| platform.kind() == kind)
}

/// One setting of a channel account, under the name the platform gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    /// Sealed at rest and never shown again (tokens, app secrets).
    pub secret: bool,
    pub required: bool,
}

impl Field {
    pub const fn secret(name: &'static str) -> Field {
        Field {
            name,
            secret: true,
            required: true,
        }
    }

    pub const fn public(name: &'static str) -> Field {
        Field {
            name,
            secret: false,
            required: true,
        }
    }

    pub const fn optional(self) -> Field {
        Field {
            required: false,
            ..self
        }
    }
}

/// A channel account's settings, public and secret together, as the platform names them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings(pub BTreeMap<String, String>);

impl Settings {
    /// A setting, or "" when it is not set (a required one always is: see `check`).
    pub fn get(&self, name: &str) -> &str {
        self.0.get(name).map(String::as_str).unwrap_or_default()
    }
}

/// Why a channel account's settings cannot be used, naming the setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("config.{field}: {problem}")]
pub struct SettingsError {
    pub field: String,
    pub problem: String,
}

/// Why a webhook request was turned away.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// Not from the platform, as far as can be told: nothing of it is stored.
    #[error("{0}")]
    Unauthenticated(String),
    /// From the platform but not in its format.
    #[error("{0}")]
    Malformed(String),
}

/// A webhook request as it arrived: what verification reads.
pub struct WebhookRequest<'r, 'q> {
    /// The webhook's full URL as the platform called it (Twilio signs it).
    pub url: &'r str,
    pub header: &'r (dyn Fn(&str) -> Option<&'q str> + Sync),
    pub query: &'r (dyn Fn(&str) -> Option<&'q str> + Sync),
    pub body: &'r [u8],
}

/// A text to deliver to a customer.
#[derive(Debug, Clone, Copy)]
pub struct OutgoingText<'a> {
    /// The customer, by the platform's id for them on this channel account.
    pub to: &'a str,
    pub text: &'a str,
    /// The platform's id of the customer's message this answers.
    pub reply_to: Option<&'a str>,
    /// The platform's token for answering that message, when it is still fresh.
    pub reply_token: Option<&'a str>,
    /// The outbound message's own id: unique, so a platform that takes a retry key gets it.
    pub message_id: &'a str,
    /// The channel account's name, where a platform shows the sender's.
    pub channel_name: &'a str,
    /// A person writes after the platform's standard window, within the longer one it gives
    /// people (`Window::human`): the message says so (Meta's `HUMAN_AGENT` tag).
    pub human_agent: bool,
    /// Short answers the customer may tap instead of typing them (the numbers of the
    /// questions an AI's unanswered reply offers): buttons where the platform has them. The
    /// text says them too, so a platform without buttons loses nothing.
    pub choices: &'a [String],
}

/// How long after the customer's last message a business may write to them freely.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub standard: Duration,
    /// How long a person (never an AI agent, never a promotion) may still answer.
    pub human: Option<Duration>,
    /// How many messages a customer's message allows in answer (WeChat: 5).
    pub answers: Option<u32>,
}

impl Window {
    /// Whether a message may go `since` after the customer's last one, and whether it goes
    /// as a person's late answer; `Err` says why not.
    pub fn admits(&self, since: Duration, by_person: bool) -> Result<bool, String> {
        if since < self.standard {
            return Ok(false);
        }
        match self.human {
            Some(human) if by_person && since < human => Ok(true),
            Some(human) if by_person => Err(format!(
                "{} hours after the customer's last message, past the {} hours a person may \
                 still answer",
                since.as_secs() / 3600,
                human.as_secs() / 3600
            )),
            Some(_) => Err(format!(
                "{} hours after the customer's last message: only a person may answer after {} \
                 hours",
                since.as_secs() / 3600,
                self.standard.as_secs() / 3600
            )),
            None => Err(format!(
                "{} hours after the customer's last message, outside the {}-hour \
                 customer-service window: only an approved template may be sent",
                since.as_secs() / 3600,
                self.standard.as_secs() / 3600
            )),
        }
    }
}

/// A platform a channel account speaks.
pub trait Platform: Sync {
    /// The channel `type` (`whatsapp`, `telegram`, ...).
    fn kind(&self) -> &'static str;

    /// The settings a channel account of this platform has.
    fn fields(&self) -> &'static [Field];

    /// The platform's API, where sends go unless the service's settings point elsewhere.
    fn default_api_base(&self) -> &'static str;

    /// Checks the settings' values beyond their presence.
    fn check(&self, _settings: &Settings) -> Result<(), SettingsError> {
        Ok(())
    }

    /// The answer to a subscription check made with a GET (Meta's `hub.challenge`), or
    /// `None` where the platform makes none.
    fn handshake<'q>(
        &self,
        _settings: &Settings,
        _query: &dyn Fn(&str) -> Option<&'q str>,
    ) -> Option<Result<String, WebhookError>> {
        None
    }

    /// Whether a delivery came from the platform.
    fn verify(
        &self,
        settings: &Settings,
        request: &WebhookRequest<'_, '_>,
    ) -> Result<(), WebhookError>;

    /// The payload of a verified delivery: its body, or what a sealed envelope holds (and
    /// whose own signature is checked on opening).
    fn open<'r>(
        &self,
        _settings: &Settings,
        request: &WebhookRequest<'r, '_>,
    ) -> Result<Cow<'r, [u8]>, WebhookError> {
        Ok(Cow::Borrowed(request.body))
    }

    /// The events of a verified, opened delivery.
    fn parse(&self, body: &[u8]) -> Result<Vec<ChannelEvent>, WebhookError>;

    /// The request that points the platform's webhook at `url`, where the platform takes it
    /// through its API (Telegram's `setWebhook`, Viber's `set_webhook`); `None` where the
    /// business sets it in the platform's console.
    fn register_webhook(
        &self,
        _api_base: &str,
        _settings: &Settings,
        _url: &str,
    ) -> Option<OutboundRequest> {
        None
    }

    /// Whether the platform took the webhook (`Err`: its reason).
    fn read_register_answer(&self, status: u16, _body: &[u8]) -> Result<(), String> {
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(format!("{} answered {status}", self.kind()))
        }
    }

    /// The request that buys a short-lived access token, where the platform's API wants one
    /// (WeChat): sends then find it in the settings as `access_token`.
    fn token_request(&self, _api_base: &str, _settings: &Settings) -> Option<OutboundRequest> {
        None
    }

    /// The token and how long it lasts, from the answer to `token_request`.
    fn read_token(&self, status: u16, _body: &[u8]) -> Result<(String, Duration), String> {
        Err(format!(
            "{} sells no access tokens (answered {status})",
            self.kind()
        ))
    }

    /// The requests that deliver a text, in order.
    fn send_text(
        &self,
        api_base: &str,
        settings: &Settings,
        delivery: &OutgoingText<'_>,
    ) -> Result<Vec<OutboundRequest>, String>;

    /// What the platform's answer to one of those requests means.
    fn read_send_answer(&self, status: u16, body: &[u8]) -> SendOutcome;

    /// How long after the customer's last message the business may write freely; `None`:
    /// no limit.
    fn window(&self) -> Option<Window> {
        None
    }

    /// How long a reply token stays good after the message it came with.
    fn reply_token_life(&self) -> Option<Duration> {
        None
    }

    /// What sending `text` costs in the platform's billing units, where it bills per unit of
    /// text (SMS segments); `None` where a message is a message.
    fn cost_units(&self, _text: &str) -> Option<u32> {
        None
    }

    /// What a delivery is answered with once stored (content type and body), where the
    /// platform reads the answer; `None`: a JSON summary.
    fn acknowledgment(&self) -> Option<(&'static str, &'static str)> {
        None
    }

    /// The most sends a second one channel account makes, unless its `sends_per_second`
    /// setting says otherwise: the platform's limit, or a polite pace where it states none.
    fn sends_per_second(&self) -> u32;
}

/// The setting every channel account of a platform has beside the platform's own.
pub const SENDS_PER_SECOND: Field = Field::public("sends_per_second").optional();

/// How many sends a second a channel account makes: its setting, else its platform's pace.
pub fn sends_per_second(platform: &dyn Platform, settings: &Settings) -> u32 {
    settings
        .get(SENDS_PER_SECOND.name)
        .parse()
        .ok()
        .filter(|rate| *rate > 0)
        .unwrap_or_else(|| platform.sends_per_second())
}

/// The settings of a channel account of `platform`, read from what was posted: each known
/// one a non-empty string, every required one present, none unknown.
pub fn read_settings(
    platform: &dyn Platform,
    posted: &serde_json::Map<String, serde_json::Value>,
) -> Result<Settings, SettingsError> {
    let fields: Vec<Field> = platform
        .fields()
        .iter()
        .copied()
        .chain([SENDS_PER_SECOND])
        .collect();
    let names = || {
        fields
            .iter()
            .map(|field| field.name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut settings = BTreeMap::new();
    for (name, value) in posted {
        if !fields.iter().any(|field| field.name == name) {
            return Err(SettingsError {
                field: name.clone(),
                problem: format!(
                    "not a setting of a {} channel; they are {}",
                    platform.kind(),
                    names()
                ),
            });
        }
        let text = match value {
            serde_json::Value::String(text) => text.trim().to_string(),
            serde_json::Value::Bool(flag) => flag.to_string(),
            serde_json::Value::Number(number) => number.to_string(),
            _ => {
                return Err(SettingsError {
                    field: name.clone(),
                    problem: "must be a string".into(),
                });
            }
        };
        if text.is_empty() {
            return Err(SettingsError {
                field: name.clone(),
                problem: "must not be empty".into(),
            });
        }
        settings.insert(name.clone(), text);
    }
    if let Some(missing) = fields
        .iter()
        .find(|field| field.required && !settings.contains_key(field.name))
    {
        return Err(SettingsError {
            field: missing.name.to_string(),
            problem: format!("a {} channel needs it", platform.kind()),
        });
    }
    let settings = Settings(settings);
    if let Some(rate) = settings.0.get(SENDS_PER_SECOND.name)
        && !rate
            .parse::<u32>()
            .is_ok_and(|rate| (1..=10_000).contains(&rate))
    {
        return Err(SettingsError {
            field: SENDS_PER_SECOND.name.to_string(),
            problem: "a whole number from 1 to 10000".into(),
        });
    }
    platform.check(&settings)?;
    Ok(settings)
}

/// The settings split into those shown and those sealed.
pub fn split_secrets(platform: &dyn Platform, settings: &Settings) -> (Settings, Settings) {
    let (secret, public): (BTreeMap<_, _>, BTreeMap<_, _>) =
        settings.0.clone().into_iter().partition(|(name, _)| {
            platform
                .fields()
                .iter()
                .any(|field| field.secret && field.name == name)
        });
    (Settings(public), Settings(secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_lets_people_answer_late_only_where_the_platform_does() {
        let hours = |count: u64| Duration::from_secs(count * 3600);
        let meta = Window {
            standard: hours(24),
            human: Some(hours(24 * 7)),
            answers: None,
        };
        assert_eq!(meta.admits(hours(2), false), Ok(false));
        assert_eq!(meta.admits(hours(30), true), Ok(true));
        assert!(meta.admits(hours(30), false).is_err(), "never the AI");
        assert!(meta.admits(hours(24 * 8), true).is_err());
        let whatsapp = Window {
            standard: hours(24),
            human: None,
            answers: None,
        };
        assert!(
            whatsapp
                .admits(hours(25), true)
                .unwrap_err()
                .contains("template")
        );
    }

    fn posted(json: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        json.as_object().unwrap().clone()
    }

    #[test]
    fn every_platform_is_found_by_its_type_once() {
        for listed in PLATFORMS {
            let same = PLATFORMS
                .iter()
                .filter(|other| other.kind() == listed.kind())
                .count();
            assert_eq!(same, 1, "{}", listed.kind());
            assert_eq!(platform(listed.kind()).unwrap().kind(), listed.kind());
        }
        assert!(platform("api").is_none());
    }

    #[test]
    fn settings_name_what_is_missing_unknown_or_empty() {
        let whatsapp = platform("whatsapp").unwrap();
        let error = read_settings(
            whatsapp,
            &posted(serde_json::json!({
                "app_secret": "s", "verify_token": "v", "access_token": "a",
            })),
        )
        .unwrap_err();
        assert_eq!(error.field, "phone_number_id");
        let error = read_settings(
            whatsapp,
            &posted(serde_json::json!({ "app_secret": "s", "pin": "1" })),
        )
        .unwrap_err();
        assert_eq!(error.field, "pin");
        assert!(error.to_string().contains("app_secret"), "{error}");
        let error = read_settings(whatsapp, &posted(serde_json::json!({ "app_secret": "  " })))
            .unwrap_err();
        assert_eq!(error.to_string(), "config.app_secret: must not be empty");
    }

    #[test]
    fn secrets_are_split_from_what_is_shown() {
        let whatsapp = platform("whatsapp").unwrap();
        let settings = read_settings(
            whatsapp,
            &posted(serde_json::json!({
                "app_secret": "s", "verify_token": "v", "access_token": "a",
                "phone_number_id": "106540352242922", "business_account_id": "102290129340398",
            })),
        )
        .unwrap();
        let (public, secret) = split_secrets(whatsapp, &settings);
        assert_eq!(
            public.0.keys().collect::<Vec<_>>(),
            ["business_account_id", "phone_number_id"]
        );
        assert_eq!(
            secret.0.keys().collect::<Vec<_>>(),
            ["access_token", "app_secret", "verify_token"]
        );
    }
}
