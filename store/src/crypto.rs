//! Secrets at rest: AES-256-GCM with a key from configuration.
//!
//! Contract: [`SecretBox::encrypt`] uses a fresh random 96-bit nonce per call and returns the
//! nonce, the ciphertext (with its tag) and the id of the key that sealed it; [`SecretBox::decrypt`]
//! fails with [`CryptoError`] — never garbage — when the key id differs, the key is wrong or the
//! data was tampered with. Neither the key nor any plaintext appears in `Debug` or errors.
//! [`SecretBox::derive_key`] gives a separate 32-byte key per purpose (HMAC-SHA256 of the
//! purpose under the configured key), e.g. for tokens we issue and verify; a derived key reveals
//! nothing of the encryption key, and changes when it rotates.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// Length of an AES-GCM nonce in bytes.
pub const NONCE_LEN: usize = 12;

/// Why a secret could not be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The configured key is not base64 of exactly 32 bytes.
    #[error("encryption key must be base64 of exactly 32 bytes")]
    InvalidKey,
    /// The secret was sealed with a key id this box does not hold.
    #[error("secret was sealed with key `{0}`, which is not configured")]
    UnknownKeyId(String),
    /// Wrong key, wrong nonce or tampered ciphertext.
    #[error("secret could not be decrypted")]
    Undecryptable,
    /// The decrypted bytes are not UTF-8 text.
    #[error("decrypted secret is not text")]
    NotText,
}

/// A sealed secret as stored in the `*_nonce`, `*_ciphertext` and `*_key_id` columns.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedSecret {
    /// The 12-byte nonce.
    pub nonce: Vec<u8>,
    /// Ciphertext followed by the 16-byte tag.
    pub ciphertext: Vec<u8>,
    /// Id of the key that sealed it.
    pub key_id: String,
}

impl std::fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedSecret")
            .field("key_id", &self.key_id)
            .field("ciphertext_len", &self.ciphertext.len())
            .finish_non_exhaustive()
    }
}

/// Encrypts and decrypts secrets with one AES-256-GCM key identified by a key id.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
    key_id: String,
    /// HMAC-SHA256 of the configured key under which purpose keys are derived.
    derive: Hmac<Sha256>,
}

/// A key derived for one purpose; never printed.
#[derive(Clone)]
pub struct DerivedKey([u8; 32]);

impl DerivedKey {
    /// The key bytes.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for DerivedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DerivedKey([redacted])")
    }
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretBox")
            .field("key_id", &self.key_id)
            .field("key", &"[redacted]")
            .finish()
    }
}

impl SecretBox {
    /// Builds a box from a base64 (standard alphabet) 32-byte key and the id stored beside each
    /// ciphertext (e.g. `"k1"`; bump it when the key rotates).
    pub fn from_base64_key(
        key_id: impl Into<String>,
        key: &SecretString,
    ) -> Result<Self, CryptoError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(key.expose_secret().trim())
            .map_err(|_| CryptoError::InvalidKey)?;
        if bytes.len() != 32 {
            return Err(CryptoError::InvalidKey);
        }
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes));
        let derive =
            <Hmac<Sha256> as Mac>::new_from_slice(&bytes).map_err(|_| CryptoError::InvalidKey)?;
        Ok(Self {
            cipher,
            key_id: key_id.into(),
            derive,
        })
    }

    /// The key for `purpose` (e.g. `"vending-notify-token/v1"`): HMAC-SHA256(key, purpose).
    pub fn derive_key(&self, purpose: &str) -> DerivedKey {
        let mut mac = self.derive.clone();
        mac.update(b"switchyard derived key\0");
        mac.update(purpose.as_bytes());
        DerivedKey(mac.finalize().into_bytes().into())
    }

    /// Seals `plaintext` under a fresh random nonce.
    pub fn encrypt(&self, plaintext: &SecretString) -> Result<SealedSecret, CryptoError> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ciphertext = self
            .cipher
            .encrypt(&nonce, plaintext.expose_secret().as_bytes())
            // Only fails for plaintexts beyond GCM's 64 GiB limit.
            .map_err(|_| CryptoError::Undecryptable)?;
        Ok(SealedSecret {
            nonce: nonce.to_vec(),
            ciphertext,
            key_id: self.key_id.clone(),
        })
    }

    /// Opens a sealed secret; fails cleanly on a different key id, a wrong key or tampering.
    pub fn decrypt(&self, sealed: &SealedSecret) -> Result<SecretString, CryptoError> {
        if sealed.key_id != self.key_id {
            return Err(CryptoError::UnknownKeyId(sealed.key_id.clone()));
        }
        if sealed.nonce.len() != NONCE_LEN {
            return Err(CryptoError::Undecryptable);
        }
        let plaintext = self
            .cipher
            .decrypt(
                Nonce::from_slice(&sealed.nonce),
                sealed.ciphertext.as_slice(),
            )
            .map_err(|_| CryptoError::Undecryptable)?;
        let text = String::from_utf8(plaintext).map_err(|_| CryptoError::NotText)?;
        Ok(SecretString::from(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> SecretString {
        SecretString::from(base64::engine::general_purpose::STANDARD.encode([byte; 32]))
    }

    #[test]
    fn derived_keys_differ_per_purpose_and_per_key() {
        let one = SecretBox::from_base64_key("k1", &key(7)).expect("valid key");
        let other = SecretBox::from_base64_key("k1", &key(8)).expect("valid key");
        let a = one.derive_key("a");
        assert_eq!(a.bytes(), one.derive_key("a").bytes());
        assert_ne!(a.bytes(), one.derive_key("b").bytes());
        assert_ne!(a.bytes(), other.derive_key("a").bytes());
        assert_eq!(format!("{a:?}"), "DerivedKey([redacted])");
    }

    #[test]
    fn round_trips_and_uses_a_fresh_nonce_each_time() {
        let secrets = SecretBox::from_base64_key("k1", &key(7)).expect("valid key");
        let plaintext = SecretString::from("your_api_secret");
        let first = secrets.encrypt(&plaintext).expect("encrypt");
        let second = secrets.encrypt(&plaintext).expect("encrypt");
        assert_ne!(first.nonce, second.nonce);
        assert_ne!(first.ciphertext, second.ciphertext);
        assert!(!first
            .ciphertext
            .windows(15)
            .any(|w| w == b"your_api_secret"));
        let opened = secrets.decrypt(&first).expect("decrypt");
        assert_eq!(opened.expose_secret(), "your_api_secret");
    }

    #[test]
    fn a_wrong_key_fails_cleanly() {
        let sealed = SecretBox::from_base64_key("k1", &key(1))
            .expect("valid key")
            .encrypt(&SecretString::from("s3cret"))
            .expect("encrypt");
        let other = SecretBox::from_base64_key("k1", &key(2)).expect("valid key");
        assert_eq!(
            other.decrypt(&sealed).err(),
            Some(CryptoError::Undecryptable)
        );
        let rotated = SecretBox::from_base64_key("k2", &key(1)).expect("valid key");
        assert_eq!(
            rotated.decrypt(&sealed).err(),
            Some(CryptoError::UnknownKeyId("k1".into()))
        );
    }

    #[test]
    fn tampering_is_detected() {
        let secrets = SecretBox::from_base64_key("k1", &key(3)).expect("valid key");
        let mut sealed = secrets
            .encrypt(&SecretString::from("s3cret"))
            .expect("encrypt");
        sealed.ciphertext[0] ^= 1;
        assert_eq!(
            secrets.decrypt(&sealed).err(),
            Some(CryptoError::Undecryptable)
        );
    }

    #[test]
    fn keys_that_are_not_32_bytes_of_base64_are_refused() {
        for bad in ["not base64!", "AAAA", ""] {
            let result = SecretBox::from_base64_key("k1", &SecretString::from(bad));
            assert_eq!(result.err(), Some(CryptoError::InvalidKey));
        }
    }

    #[test]
    fn debug_never_shows_key_or_ciphertext() {
        let secrets = SecretBox::from_base64_key("k1", &key(9)).expect("valid key");
        let sealed = secrets
            .encrypt(&SecretString::from("s3cret"))
            .expect("encrypt");
        let printed = format!("{secrets:?} {sealed:?}");
        assert!(printed.contains("redacted"));
        assert!(!printed.contains(&base64::engine::general_purpose::STANDARD.encode([9u8; 32])));
        assert!(!printed.contains("s3cret"));
    }
}
