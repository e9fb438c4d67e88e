//! Secrets handed out once (API keys, session tokens) and stored only as hashes.

use sha2::{Digest, Sha256};

/// A new random secret: `prefix` then 64 hex digits (244 random bits from two v4 UUIDs).
pub(crate) fn generate(prefix: &str) -> String {
    let first = uuid::Uuid::new_v4().simple().to_string();
    let second = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}{first}{second}")
}

/// Secrets are long and random, so a fast hash is enough to make a leaked table useless
/// (passwords, which are neither, get argon2).
pub(crate) fn hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
