//! Test encryption keys: fixed, obviously fake, never a production secret.
//!
//! Contract: [`secret_box`] seals with key id [`KEY_ID`] under 32 repetitions of one byte, so two
//! boxes built from the same byte open each other's secrets and boxes from different bytes do not
//! (what key-rotation tests need). [`key_base64`] is the same key as configuration text, for
//! tests that start a process with `SWITCHYARD_SECRETS__…` settings.

use base64::Engine;
use secrecy::SecretString;
use switchyard_store::crypto::SecretBox;

/// The key id every test box uses.
pub const KEY_ID: &str = "k1";

/// The byte the default test key repeats.
pub const DEFAULT_KEY_BYTE: u8 = 0x2a;

/// The test key made of `key_byte`, base64 as configuration carries it.
pub fn key_base64(key_byte: u8) -> String {
    base64::engine::general_purpose::STANDARD.encode([key_byte; 32])
}

/// A secret box under the test key made of `key_byte`.
pub fn secret_box_of(key_byte: u8) -> SecretBox {
    SecretBox::from_base64_key(KEY_ID, &SecretString::from(key_base64(key_byte)))
        .expect("a 32-byte test key is valid")
}

/// The secret box of the default test key.
pub fn secret_box() -> SecretBox {
    secret_box_of(DEFAULT_KEY_BYTE)
}
