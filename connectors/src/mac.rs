//! The HMAC-SHA256 check the platforms' webhook signatures share.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Whether `given` is the HMAC-SHA256 of `body` under `key`, compared in constant time.
pub(crate) fn hmac_sha256_matches(key: &str, body: &[u8], given: &[u8]) -> bool {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(body);
    mac.verify_slice(given).is_ok()
}
