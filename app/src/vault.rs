//! Secrets at rest: a channel's signing secret (and, with the channels, its platform tokens)
//! is sealed with AES-256-GCM under the service's key before it is stored, and opened only
//! where it is used. A sealed value is base64 of a fresh 12-byte nonce and the ciphertext.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

use crate::AppError;

/// The key that seals the workspace's secrets.
pub struct Vault {
    key: LessSafeKey,
    random: SystemRandom,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault([key])")
    }
}

/// The length of the key, in bytes.
pub const KEY_BYTES: usize = 32;

impl Vault {
    pub fn new(key: &[u8; KEY_BYTES]) -> Self {
        let key = UnboundKey::new(&AES_256_GCM, key).expect("a 32-byte key is an AES-256 key");
        Vault {
            key: LessSafeKey::new(key),
            random: SystemRandom::new(),
        }
    }

    /// A new random key (for a data directory that has none yet).
    pub fn generate_key() -> Result<[u8; KEY_BYTES], AppError> {
        let mut key = [0; KEY_BYTES];
        SystemRandom::new()
            .fill(&mut key)
            .map_err(|_| AppError::Internal("the system's random source failed".into()))?;
        Ok(key)
    }

    /// `count` random bytes (a new signing secret).
    pub fn random_bytes(&self, count: usize) -> Result<Vec<u8>, AppError> {
        let mut bytes = vec![0; count];
        self.random
            .fill(&mut bytes)
            .map_err(|_| AppError::Internal("the system's random source failed".into()))?;
        Ok(bytes)
    }

    pub fn seal(&self, secret: &str) -> Result<String, AppError> {
        let mut nonce = [0; NONCE_LEN];
        self.random
            .fill(&mut nonce)
            .map_err(|_| AppError::Internal("the system's random source failed".into()))?;
        let mut sealed = secret.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::empty(),
                &mut sealed,
            )
            .map_err(|_| AppError::Internal("sealing a secret failed".into()))?;
        let mut stored = nonce.to_vec();
        stored.extend_from_slice(&sealed);
        Ok(STANDARD.encode(stored))
    }

    /// Opens what [`Vault::seal`] sealed; fails when the value was sealed under another key or
    /// changed.
    pub fn open(&self, stored: &str) -> Result<String, AppError> {
        let unreadable = || {
            AppError::Internal(
                "a stored secret does not open with this key (was secrets.key changed?)".into(),
            )
        };
        let bytes = STANDARD.decode(stored).map_err(|_| unreadable())?;
        if bytes.len() < NONCE_LEN {
            return Err(unreadable());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| unreadable())?;
        let mut sealed = sealed.to_vec();
        let opened = self
            .key
            .open_in_place(nonce, Aad::empty(), &mut sealed)
            .map_err(|_| unreadable())?;
        String::from_utf8(opened.to_vec()).map_err(|_| unreadable())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key() {
        let vault = Vault::new(&[7; KEY_BYTES]);
        let sealed = vault.seal("whsec_c2VjcmV0").unwrap();
        assert!(
            !sealed.contains("whsec_"),
            "the secret is not stored readable"
        );
        assert_eq!(vault.open(&sealed).unwrap(), "whsec_c2VjcmV0");
        assert_ne!(
            vault.seal("whsec_c2VjcmV0").unwrap(),
            sealed,
            "a fresh nonce each time"
        );
        let other = Vault::new(&[8; KEY_BYTES]);
        assert!(other.open(&sealed).is_err());
        let mut tampered = STANDARD.decode(&sealed).unwrap();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(vault.open(&STANDARD.encode(tampered)).is_err());
    }
}
