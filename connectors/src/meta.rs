//! What Meta's platforms (WhatsApp, Messenger, Instagram) share at the webhook: the
//! subscription check (`GET ?hub.mode=subscribe&hub.verify_token=T&hub.challenge=X`) and the
//! signature of every delivery (`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body
//! with the app secret>`).

use crate::channel::{Settings, WebhookError, WebhookRequest};

/// The header that carries a delivery's signature.
pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetaError {
    #[error("the {SIGNATURE_HEADER} header is missing")]
    MissingSignature,
    #[error("the {SIGNATURE_HEADER} header does not match the body signed with the app_secret")]
    WrongSignature,
    #[error("hub.verify_token does not match the channel's verify_token")]
    WrongVerifyToken,
}

/// The answer to the subscription check: the challenge, when the token is the channel's.
pub fn handshake<'q>(
    mode: Option<&str>,
    verify_token: Option<&str>,
    challenge: Option<&'q str>,
    expected_token: &str,
) -> Result<&'q str, MetaError> {
    let given = verify_token.unwrap_or_default().as_bytes();
    let matches = bool::from(subtle::ConstantTimeEq::ct_eq(
        given,
        expected_token.as_bytes(),
    ));
    match (mode, challenge) {
        (Some("subscribe"), Some(challenge)) if matches => Ok(challenge),
        _ => Err(MetaError::WrongVerifyToken),
    }
}

/// Whether the delivery came from Meta: the signature of the raw body, as received.
pub fn verify(header: Option<&str>, body: &[u8], app_secret: &str) -> Result<(), MetaError> {
    let given = header.ok_or(MetaError::MissingSignature)?;
    let given = given
        .trim()
        .strip_prefix("sha256=")
        .and_then(|hex| hex::decode(hex).ok())
        .ok_or(MetaError::WrongSignature)?;
    if crate::mac::hmac_sha256_matches(app_secret, body, &given) {
        Ok(())
    } else {
        Err(MetaError::WrongSignature)
    }
}

/// The subscription check of a channel whose settings hold its `verify_token`.
pub(crate) fn answer_handshake<'q>(
    settings: &Settings,
    query: &dyn Fn(&str) -> Option<&'q str>,
) -> Result<String, WebhookError> {
    handshake(
        query("hub.mode"),
        query("hub.verify_token"),
        query("hub.challenge"),
        settings.get("verify_token"),
    )
    .map(str::to_string)
    .map_err(|error| WebhookError::Unauthenticated(error.to_string()))
}

/// The signature check of a channel whose settings hold its `app_secret`.
pub(crate) fn verify_request(
    settings: &Settings,
    request: &WebhookRequest<'_, '_>,
) -> Result<(), WebhookError> {
    verify(
        (request.header)(SIGNATURE_HEADER),
        request.body,
        settings.get("app_secret"),
    )
    .map_err(|error| WebhookError::Unauthenticated(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_handshake_echoes_the_challenge_only_for_the_channels_token() {
        assert_eq!(
            handshake(Some("subscribe"), Some("tok"), Some("1158201444"), "tok"),
            Ok("1158201444")
        );
        assert!(handshake(Some("subscribe"), Some("other"), Some("1"), "tok").is_err());
        assert!(handshake(Some("unsubscribe"), Some("tok"), Some("1"), "tok").is_err());
        assert!(handshake(Some("subscribe"), None, Some("1"), "tok").is_err());
    }
}
