//! Webhook signatures as the Standard Webhooks specification has them: headers `webhook-id`,
//! `webhook-timestamp` (Unix seconds) and `webhook-signature` (`v1,` and the base64
//! HMAC-SHA256 of `"{id}.{timestamp}.{body}"`, several space-separated during a key rotation),
//! with a `whsec_`-prefixed base64 secret. One scheme signs what the service sends and checks
//! what the `api` channel receives.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const SECRET_PREFIX: &str = "whsec_";
/// How far a signed timestamp may be from the receiver's clock, either way.
pub const TOLERANCE_SECONDS: i64 = 5 * 60;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the {0} header is missing")]
    Missing(&'static str),
    #[error("webhook-timestamp: {0:?} is not a Unix time in seconds")]
    BadTimestamp(String),
    #[error("webhook-timestamp: more than {TOLERANCE_SECONDS} s from now")]
    Stale,
    #[error("webhook-signature: no signature matches this secret")]
    Mismatch,
    #[error("the signing secret is not whsec_ followed by base64")]
    BadSecret,
}

/// A signing secret: its key bytes.
#[derive(Clone)]
pub struct SigningSecret(Vec<u8>);

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret([secret])")
    }
}

impl SigningSecret {
    /// A secret from its key bytes (24 to 64 random bytes, by the specification).
    pub fn from_bytes(key: Vec<u8>) -> Self {
        SigningSecret(key)
    }

    /// Reads `whsec_<base64>`.
    pub fn parse(text: &str) -> Result<Self, SignatureError> {
        let encoded = text.strip_prefix(SECRET_PREFIX).unwrap_or(text);
        let key = STANDARD
            .decode(encoded)
            .map_err(|_| SignatureError::BadSecret)?;
        if key.is_empty() {
            return Err(SignatureError::BadSecret);
        }
        Ok(SigningSecret(key))
    }

    /// `whsec_<base64>`: how the secret is shown, once, and stored.
    pub fn to_text(&self) -> String {
        format!("{SECRET_PREFIX}{}", STANDARD.encode(&self.0))
    }

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// The `webhook-signature` value for this message.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let digest = self.mac(id, timestamp, body).finalize().into_bytes();
        format!("v1,{}", STANDARD.encode(digest))
    }

    /// The three headers that sign `body`.
    pub fn headers(&self, id: &str, timestamp: i64, body: &[u8]) -> Vec<(String, String)> {
        vec![
            ("webhook-id".to_string(), id.to_string()),
            ("webhook-timestamp".to_string(), timestamp.to_string()),
            (
                "webhook-signature".to_string(),
                self.sign(id, timestamp, body),
            ),
        ]
    }

    /// Checks a received message: its timestamp within the tolerance of `now` (Unix seconds)
    /// and one of its signatures made with this secret (compared in constant time). Returns
    /// the message id, the receiver's key against a replay.
    pub fn verify<'a>(
        &self,
        header: impl Fn(&str) -> Option<&'a str>,
        body: &[u8],
        now: i64,
    ) -> Result<&'a str, SignatureError> {
        let id = header("webhook-id").ok_or(SignatureError::Missing("webhook-id"))?;
        let timestamp =
            header("webhook-timestamp").ok_or(SignatureError::Missing("webhook-timestamp"))?;
        let signatures =
            header("webhook-signature").ok_or(SignatureError::Missing("webhook-signature"))?;
        let timestamp: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| SignatureError::BadTimestamp(timestamp.to_string()))?;
        // A sender chooses the timestamp: the difference must not overflow.
        if now.abs_diff(timestamp) > TOLERANCE_SECONDS.unsigned_abs() {
            return Err(SignatureError::Stale);
        }
        let matches = signatures.split_whitespace().any(|signature| {
            let Some(("v1", encoded)) = signature.split_once(',') else {
                return false;
            };
            let Ok(given) = STANDARD.decode(encoded) else {
                return false;
            };
            self.mac(id, timestamp, body).verify_slice(&given).is_ok()
        });
        if matches {
            Ok(id)
        } else {
            Err(SignatureError::Mismatch)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers<'a>(list: &'a [(String, String)]) -> impl Fn(&str) -> Option<&'a str> + 'a {
        move |name| {
            list.iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        }
    }

    #[test]
    fn a_signed_message_verifies_and_any_change_does_not() {
        let secret = SigningSecret::from_bytes(b"a key of twenty-four bytes!".to_vec());
        let body = br#"{"message":{"id":"m1","text":"hello"}}"#;
        let signed = secret.headers("msg_1", 1_700_000_000, body);
        assert_eq!(
            secret.verify(headers(&signed), body, 1_700_000_100),
            Ok("msg_1")
        );
        assert_eq!(
            secret.verify(headers(&signed), b"{}", 1_700_000_100),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            secret.verify(headers(&signed), body, 1_700_000_000 + 301),
            Err(SignatureError::Stale)
        );
        let other = SigningSecret::from_bytes(b"another key, also long enough".to_vec());
        assert_eq!(
            other.verify(headers(&signed), body, 1_700_000_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            secret.verify(|_| None, body, 0),
            Err(SignatureError::Missing("webhook-id"))
        );
    }

    #[test]
    fn a_timestamp_at_the_ends_of_the_range_is_stale_not_a_crash() {
        let secret = SigningSecret::from_bytes(b"a key of twenty-four bytes!".to_vec());
        for timestamp in [i64::MIN, i64::MAX] {
            let signed = secret.headers("msg_1", timestamp, b"{}");
            assert_eq!(
                secret.verify(headers(&signed), b"{}", 1_700_000_000),
                Err(SignatureError::Stale),
                "{timestamp}"
            );
        }
    }

    /// The specification's own vectors (its Python and Rust libraries' tests).
    #[test]
    fn the_specifications_vectors_sign_alike() {
        let vectors = [
            (
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_330,
                r#"{"test": 2432232314}"#,
                "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            ),
            (
                "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
                "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
                1_649_367_553,
                r#"{"email":"test@example.com","username":"test_user"}"#,
                "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=",
            ),
        ];
        for (key, id, timestamp, body, expected) in vectors {
            let secret = SigningSecret::parse(key).unwrap();
            assert_eq!(secret.sign(id, timestamp, body.as_bytes()), expected);
        }
        let secret = SigningSecret::parse(vectors[0].0).unwrap();
        let tampered = vec![
            ("webhook-id".to_string(), vectors[0].1.to_string()),
            ("webhook-timestamp".to_string(), "1614265330".to_string()),
            (
                "webhook-signature".to_string(),
                "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=".to_string(),
            ),
        ];
        assert_eq!(
            secret.verify(headers(&tampered), vectors[0].3.as_bytes(), 1_614_265_330),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_rotated_key_still_verifies_among_several_signatures() {
        let old = SigningSecret::from_bytes(vec![7; 32]);
        let new = SigningSecret::from_bytes(vec![9; 32]);
        let body = b"payload";
        let both = format!("{} {}", old.sign("id", 10, body), new.sign("id", 10, body));
        let list = vec![
            ("webhook-id".to_string(), "id".to_string()),
            ("webhook-timestamp".to_string(), "10".to_string()),
            ("webhook-signature".to_string(), both),
        ];
        assert!(new.verify(headers(&list), body, 10).is_ok());
        assert!(old.verify(headers(&list), body, 10).is_ok());
    }

    #[test]
    fn secrets_read_back_from_their_text() {
        let secret = SigningSecret::from_bytes(vec![1, 2, 3, 250]);
        let text = secret.to_text();
        assert!(text.starts_with("whsec_"));
        let again = SigningSecret::parse(&text).unwrap();
        assert_eq!(again.sign("a", 1, b"b"), secret.sign("a", 1, b"b"));
        assert_eq!(
            SigningSecret::parse("whsec_!!").unwrap_err(),
            SignatureError::BadSecret
        );
    }
}
