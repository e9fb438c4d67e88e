//! The web chat widget: a script on the business's own site, where the visitor is no platform's
//! user. Pure: the settings a widget channel has, the site's proof of who its signed-in user is
//! (`HMAC-SHA256(user id, hmac_secret)`, hex), the pre-chat form, and the token a visitor keeps
//! in their browser to come back to their conversation.
//!
//! The token holds the visitor's id and what they told the form, signed with the channel's own
//! key: starting a session stores nothing, so a page that opens the widget and leaves costs no
//! contact, and a token cannot be made for another visitor or another channel.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use types::{Email, Phone};

use crate::mac::hmac_sha256_matches;

/// Whether the pre-chat form asks for a detail.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Ask {
    #[default]
    Off,
    Optional,
    Required,
}

/// The pre-chat form: what an anonymous visitor is asked before their first message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PreChat {
    pub name: Ask,
    pub email: Ask,
    pub phone: Ask,
}

/// A widget channel's settings, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WidgetSettings {
    /// The key the site signs its user ids with; without it no visitor is verified.
    pub hmac_secret: Option<String>,
    /// Only visitors the site vouches for may chat.
    pub require_identity: bool,
    pub pre_chat: PreChat,
}

/// The settings a widget channel takes, in `config`.
pub const SETTINGS: [&str; 3] = ["hmac_secret", "require_identity", "pre_chat"];

/// The shortest `hmac_secret`: shorter keys can be guessed.
const MIN_SECRET_CHARS: usize = 16;
/// The longest user id a site may pass.
const MAX_USER_ID_CHARS: usize = 256;
/// The longest name the form takes.
const MAX_NAME_CHARS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WidgetError {
    /// A setting or a form answer that cannot be taken; the message names it.
    #[error("{0}")]
    Invalid(String),
    /// The visitor is not who they say, or must say who they are.
    #[error("{0}")]
    Refused(String),
}

impl WidgetSettings {
    /// Reads the settings given to `POST /v1/channels`; every fault names its `config.` field.
    pub fn read(config: &serde_json::Map<String, serde_json::Value>) -> Result<Self, WidgetError> {
        if let Some(other) = config.keys().find(|key| !SETTINGS.contains(&key.as_str())) {
            return Err(WidgetError::Invalid(format!(
                "config.{other}: not a setting of a widget channel; it has {}",
                SETTINGS.join(", ")
            )));
        }
        let hmac_secret = match config.get("hmac_secret") {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(secret))
                if secret.chars().count() >= MIN_SECRET_CHARS =>
            {
                Some(secret.clone())
            }
            Some(_) => {
                return Err(WidgetError::Invalid(format!(
                    "config.hmac_secret: a text of at least {MIN_SECRET_CHARS} characters"
                )));
            }
        };
        let require_identity = match config.get("require_identity") {
            None | Some(serde_json::Value::Null) => false,
            Some(serde_json::Value::Bool(required)) => *required,
            Some(_) => {
                return Err(WidgetError::Invalid(
                    "config.require_identity: true or false".into(),
                ));
            }
        };
        if require_identity && hmac_secret.is_none() {
            return Err(WidgetError::Invalid(
                "config.require_identity: needs config.hmac_secret, which the site signs its \
                 user ids with"
                    .into(),
            ));
        }
        let pre_chat = match config.get("pre_chat") {
            None | Some(serde_json::Value::Null) => PreChat::default(),
            Some(form) => serde_json::from_value(form.clone()).map_err(|error| {
                WidgetError::Invalid(format!(
                    "config.pre_chat: {error} (each of name, email, phone is off, optional or \
                     required)"
                ))
            })?,
        };
        Ok(WidgetSettings {
            hmac_secret,
            require_identity,
            pre_chat,
        })
    }
}

/// The hash a site gives with its user's id: lowercase hex HMAC-SHA256 of the id, keyed with
/// the channel's `hmac_secret`.
pub fn identity_hash(hmac_secret: &str, user_id: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(hmac_secret.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(user_id.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A visitor as their token holds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Visitor {
    /// Their id on the channel: `user:<the site's id>` when the site vouched for them,
    /// `visitor:<random>` otherwise.
    pub id: String,
    /// The site proved who they are.
    pub verified: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The interface's language (`ar`, `en`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// What a visitor's browser sends to start or resume a session.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    /// The token of an earlier session: the same visitor, the same conversation.
    pub token: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The site's id for its signed-in user, with `user_hash`.
    pub user_id: Option<String>,
    /// Lowercase hex HMAC-SHA256 of `user_id` with the channel's `hmac_secret`.
    pub user_hash: Option<String>,
    /// The page's language (`ar`, `en-GB`).
    pub language: Option<String>,
}

/// Who a session is for: the visitor the site vouches for, the one a token names, or a new
/// one (`fresh_id` makes their random id). The pre-chat form binds anonymous visitors only.
pub fn start_session(
    settings: &WidgetSettings,
    key: &[u8],
    channel: &str,
    request: &SessionRequest,
    fresh_id: impl FnOnce() -> String,
) -> Result<Visitor, WidgetError> {
    let mut visitor = match (&request.user_id, &request.token) {
        (Some(user_id), _) => verified_visitor(settings, user_id, request.user_hash.as_deref())?,
        (None, Some(token)) => {
            let visitor = read_token(key, channel, token)?;
            // A browser shared after the site's user signed out must not resume them.
            if visitor.verified {
                return Err(WidgetError::Refused(
                    "token: a signed-in user's session resumes with user_id and user_hash".into(),
                ));
            }
            visitor
        }
        (None, None) => Visitor {
            id: format!("visitor:{}", fresh_id()),
            verified: false,
            name: None,
            email: None,
            phone: None,
            language: None,
        },
    };
    if settings.require_identity && !visitor.verified {
        return Err(WidgetError::Refused(
            "this chat is for the site's signed-in users: user_id and user_hash are required"
                .into(),
        ));
    }
    let given = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_string)
    };
    if let Some(name) = given(&request.name) {
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(WidgetError::Invalid(format!(
                "name: at most {MAX_NAME_CHARS} characters"
            )));
        }
        visitor.name = Some(name);
    }
    if let Some(email) = given(&request.email) {
        let email =
            Email::parse(&email).map_err(|error| WidgetError::Invalid(error.to_string()))?;
        visitor.email = Some(email.as_str().to_string());
    }
    if let Some(phone) = given(&request.phone) {
        let phone = Phone::parse(&phone)
            .map_err(|error| WidgetError::Invalid(format!("phone: {error}")))?;
        visitor.phone = Some(phone.as_str().to_string());
    }
    if let Some(language) = given(&request.language) {
        visitor.language = Some(primary_language(&language)?);
    }
    if !visitor.verified {
        let form = &settings.pre_chat;
        for (field, ask, answer) in [
            ("name", form.name, &visitor.name),
            ("email", form.email, &visitor.email),
            ("phone", form.phone, &visitor.phone),
        ] {
            if ask == Ask::Required && answer.is_none() {
                return Err(WidgetError::Invalid(format!(
                    "{field}: the pre-chat form requires it"
                )));
            }
        }
    }
    Ok(visitor)
}

fn verified_visitor(
    settings: &WidgetSettings,
    user_id: &str,
    user_hash: Option<&str>,
) -> Result<Visitor, WidgetError> {
    let Some(secret) = &settings.hmac_secret else {
        return Err(WidgetError::Invalid(
            "user_id: this widget has no hmac_secret, so it cannot verify who its users are".into(),
        ));
    };
    if user_id.trim().is_empty() || user_id.chars().count() > MAX_USER_ID_CHARS {
        return Err(WidgetError::Invalid(format!(
            "user_id: 1 to {MAX_USER_ID_CHARS} characters"
        )));
    }
    let Some(hash) = user_hash else {
        return Err(WidgetError::Refused(
            "user_hash: required with user_id (hex HMAC-SHA256 of user_id with the widget's \
             hmac_secret)"
                .into(),
        ));
    };
    let matches = hex::decode(hash.trim())
        .is_ok_and(|given| hmac_sha256_matches(secret, user_id.as_bytes(), &given));
    if !matches {
        return Err(WidgetError::Refused(
            "user_hash: not the HMAC-SHA256 of user_id with the widget's hmac_secret".into(),
        ));
    }
    Ok(Visitor {
        id: format!("user:{user_id}"),
        verified: true,
        name: None,
        email: None,
        phone: None,
        language: None,
    })
}

/// `ar` of `ar-AE`: the interface and the contact keep the language, not the region.
fn primary_language(tag: &str) -> Result<String, WidgetError> {
    let primary = tag.split(['-', '_']).next().unwrap_or_default();
    if (2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_alphabetic()) {
        Ok(primary.to_ascii_lowercase())
    } else {
        Err(WidgetError::Invalid(format!(
            "language: {tag:?} is not a language tag (like ar or en-GB)"
        )))
    }
}

/// The token a visitor's browser keeps: their details, then a MAC over the channel and them.
pub fn sign_token(key: &[u8], channel: &str, visitor: &Visitor) -> String {
    let claims = URL_SAFE_NO_PAD.encode(serde_json::to_vec(visitor).unwrap_or_default());
    let mac = URL_SAFE_NO_PAD.encode(token_mac(key, channel, &claims).finalize().into_bytes());
    format!("{claims}.{mac}")
}

/// The visitor a token names, if this channel's key signed it.
pub fn read_token(key: &[u8], channel: &str, token: &str) -> Result<Visitor, WidgetError> {
    let refused = || {
        WidgetError::Refused(
            "token: not a visitor token of this chat; start a new session without it".into(),
        )
    };
    let (claims, mac) = token.trim().split_once('.').ok_or_else(refused)?;
    let mac = URL_SAFE_NO_PAD.decode(mac).map_err(|_| refused())?;
    token_mac(key, channel, claims)
        .verify_slice(&mac)
        .map_err(|_| refused())?;
    let claims = URL_SAFE_NO_PAD.decode(claims).map_err(|_| refused())?;
    serde_json::from_slice(&claims).map_err(|_| refused())
}

fn token_mac(key: &[u8], channel: &str, claims: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(b"switchboard widget visitor\n");
    mac.update(channel.as_bytes());
    mac.update(b"\n");
    mac.update(claims.as_bytes());
    mac
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn settings(config: serde_json::Value) -> Result<WidgetSettings, WidgetError> {
        WidgetSettings::read(config.as_object().unwrap())
    }

    fn verifying() -> WidgetSettings {
        settings(json!({ "hmac_secret": "webwidget.hmac_token" })).unwrap()
    }

    const KEY: &[u8] = b"the channel's visitor key, 32 b.";

    #[test]
    fn the_identity_hash_is_keyed_with_the_secret_over_the_user_id() {
        // The widget vector in ../shared/research/channels-and-inbox.md (section 4).
        let hash = identity_hash("webwidget.hmac_token", "identifier");
        assert_eq!(
            hash,
            "c86fb0978a6600bc1121d785571e4aa730b223e5a0ea9987f1b925799c3ec291"
        );
        let request = |hash: String| SessionRequest {
            user_id: Some("identifier".into()),
            user_hash: Some(hash),
            ..SessionRequest::default()
        };
        let visitor = start_session(&verifying(), KEY, "ch1", &request(hash), String::new)
            .expect("the right hash is taken");
        assert_eq!(visitor.id, "user:identifier");
        assert!(visitor.verified);
        // Their token alone does not resume them: the page must say who is signed in.
        let alone = SessionRequest {
            token: Some(sign_token(KEY, "ch1", &visitor)),
            ..SessionRequest::default()
        };
        let resumed = start_session(&verifying(), KEY, "ch1", &alone, String::new);
        assert!(
            matches!(resumed, Err(WidgetError::Refused(_))),
            "{resumed:?}"
        );
        // A documented mistake: key and message swapped.
        let swapped = identity_hash("identifier", "webwidget.hmac_token");
        let refused = start_session(&verifying(), KEY, "ch1", &request(swapped), String::new);
        assert!(
            matches!(refused, Err(WidgetError::Refused(_))),
            "{refused:?}"
        );
        let garbage = start_session(&verifying(), KEY, "ch1", &request("zz".into()), String::new);
        assert!(matches!(garbage, Err(WidgetError::Refused(_))));
    }

    #[test]
    fn a_widget_that_requires_identity_refuses_anonymous_visitors_and_their_tokens() {
        let strict =
            settings(json!({ "hmac_secret": "0123456789abcdef", "require_identity": true }))
                .unwrap();
        let anonymous = start_session(&strict, KEY, "ch1", &SessionRequest::default(), || {
            "abc".into()
        });
        assert!(
            matches!(anonymous, Err(WidgetError::Refused(message)) if message.contains("user_id"))
        );
        let earlier = sign_token(
            KEY,
            "ch1",
            &Visitor {
                id: "visitor:abc".into(),
                verified: false,
                name: None,
                email: None,
                phone: None,
                language: None,
            },
        );
        let request = SessionRequest {
            token: Some(earlier),
            ..SessionRequest::default()
        };
        assert!(matches!(
            start_session(&strict, KEY, "ch1", &request, String::new),
            Err(WidgetError::Refused(_))
        ));
    }

    #[test]
    fn a_token_names_its_visitor_on_its_channel_only() {
        let open = settings(json!({})).unwrap();
        let request = SessionRequest {
            name: Some("  Amal ".into()),
            language: Some("ar-AE".into()),
            ..SessionRequest::default()
        };
        let visitor = start_session(&open, KEY, "ch1", &request, || "r4nd".into()).unwrap();
        assert_eq!(visitor.id, "visitor:r4nd");
        assert_eq!(visitor.name.as_deref(), Some("Amal"));
        assert_eq!(visitor.language.as_deref(), Some("ar"));
        let token = sign_token(KEY, "ch1", &visitor);
        assert_eq!(read_token(KEY, "ch1", &token), Ok(visitor.clone()));
        assert!(read_token(KEY, "ch2", &token).is_err(), "another channel");
        assert!(read_token(b"another key", "ch1", &token).is_err());
        // Claims changed by the browser: the MAC no longer matches.
        let (_, mac) = token.split_once('.').unwrap();
        let forged = URL_SAFE_NO_PAD.encode(
            serde_json::to_vec(&Visitor {
                id: "user:ceo".into(),
                verified: true,
                ..visitor
            })
            .unwrap(),
        );
        assert!(read_token(KEY, "ch1", &format!("{forged}.{mac}")).is_err());
        for junk in ["", ".", "a.b", "no-dot", "é.é"] {
            assert!(read_token(KEY, "ch1", junk).is_err(), "{junk:?}");
        }
    }

    #[test]
    fn the_pre_chat_form_names_what_it_lacks_and_checks_what_it_gets() {
        let form =
            settings(json!({ "pre_chat": { "name": "required", "email": "optional" } })).unwrap();
        let ask =
            |request: SessionRequest| start_session(&form, KEY, "ch1", &request, || "x".into());
        assert_eq!(
            ask(SessionRequest::default()),
            Err(WidgetError::Invalid(
                "name: the pre-chat form requires it".into()
            ))
        );
        let bad_email = ask(SessionRequest {
            name: Some("Omar".into()),
            email: Some("omar at example".into()),
            ..SessionRequest::default()
        });
        assert!(
            matches!(bad_email, Err(WidgetError::Invalid(message)) if message.starts_with("email"))
        );
        let bad_phone = ask(SessionRequest {
            name: Some("Omar".into()),
            phone: Some("12".into()),
            ..SessionRequest::default()
        });
        assert!(
            matches!(bad_phone, Err(WidgetError::Invalid(message)) if message.starts_with("phone"))
        );
        let taken = ask(SessionRequest {
            name: Some("Omar".into()),
            email: Some("Omar@Example.com".into()),
            phone: Some("+971 50 123 4567".into()),
            ..SessionRequest::default()
        })
        .unwrap();
        assert_eq!(taken.email.as_deref(), Some("omar@example.com"));
        assert_eq!(taken.phone.as_deref(), Some("+971501234567"));
        // A returning visitor answered already: their token carries the answers.
        let again = SessionRequest {
            token: Some(sign_token(KEY, "ch1", &taken)),
            ..SessionRequest::default()
        };
        assert_eq!(ask(again), Ok(taken));
    }

    #[test]
    fn settings_name_the_field_at_fault() {
        for (config, field) in [
            (json!({ "colour": "red" }), "config.colour"),
            (json!({ "hmac_secret": "short" }), "config.hmac_secret"),
            (
                json!({ "require_identity": "yes" }),
                "config.require_identity",
            ),
            (
                json!({ "require_identity": true }),
                "config.require_identity",
            ),
            (
                json!({ "pre_chat": { "name": "always" } }),
                "config.pre_chat",
            ),
            (
                json!({ "pre_chat": { "age": "required" } }),
                "config.pre_chat",
            ),
        ] {
            let error = settings(config.clone()).unwrap_err().to_string();
            assert!(error.starts_with(field), "{config}: {error}");
        }
        let user_without_secret = start_session(
            &settings(json!({})).unwrap(),
            KEY,
            "ch1",
            &SessionRequest {
                user_id: Some("42".into()),
                user_hash: Some("00".into()),
                ..SessionRequest::default()
            },
            String::new,
        );
        assert!(
            matches!(user_without_secret, Err(WidgetError::Invalid(message)) if message.starts_with("user_id"))
        );
    }
}
