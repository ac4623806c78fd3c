//! Dujiao-Next request signing: `hex(HMAC-SHA256(secret, "METHOD\nPATH\nTS\nmd5_hex(body)"))`.

use std::fmt;

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// Header carrying the caller's API key.
pub const HEADER_API_KEY: &str = "Dujiao-Next-Api-Key";
/// Header carrying the Unix-seconds timestamp that was signed.
pub const HEADER_TIMESTAMP: &str = "Dujiao-Next-Timestamp";
/// Header carrying the lowercase hex signature.
pub const HEADER_SIGNATURE: &str = "Dujiao-Next-Signature";
/// The path every callback is signed with, whatever URL it is sent to.
pub const CALLBACK_SIGNED_PATH: &str = "/api/v1/upstream/callback";

/// A computed HMAC-SHA256 signature (32 bytes). `Debug` hides it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DujiaoSignature(pub(crate) [u8; 32]);

impl DujiaoSignature {
    /// Lowercase hex, as sent in the header.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses the header form: exactly 64 hex digits (either case).
    pub fn from_hex(text: &str) -> Option<Self> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut bytes).ok()?;
        Some(DujiaoSignature(bytes))
    }
}

impl fmt::Debug for DujiaoSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DujiaoSignature([redacted])")
    }
}

/// Lowercase hex MD5 of the raw body (empty body → `d41d8cd98f00b204e9800998ecf8427e`).
pub fn body_md5_hex(body: &[u8]) -> String {
    hex::encode(Md5::digest(body))
}

/// The exact text that is signed.
pub fn signing_string(method: &str, path: &str, timestamp: i64, body: &[u8]) -> String {
    format!("{method}\n{path}\n{timestamp}\n{}", body_md5_hex(body))
}

/// Signs a request. `path` is the request path without the query string.
pub fn sign(
    secret: &SecretString,
    method: &str,
    path: &str,
    timestamp: i64,
    body: &[u8],
) -> DujiaoSignature {
    let mut mac = new_mac(secret);
    mac.update(signing_string(method, path, timestamp, body).as_bytes());
    DujiaoSignature(mac.finalize().into_bytes().into())
}

/// A keyed HMAC; any key length is valid for HMAC, so construction cannot fail.
pub(crate) fn new_mac(secret: &SecretString) -> Hmac<Sha256> {
    match <Hmac<Sha256> as Mac>::new_from_slice(secret.expose_secret().as_bytes()) {
        Ok(mac) => mac,
        // HMAC accepts keys of every length (RFC 2104 hashes long keys), so this arm is dead.
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> SecretString {
        SecretString::from("your_api_secret")
    }

    #[test]
    fn protocol_vector_create_order() {
        let body = br#"{"sku_id":1,"quantity":1}"#;
        assert_eq!(body_md5_hex(body), "12967802faf6198d1cd99c4091391636");
        let signature = sign(
            &secret(),
            "POST",
            "/api/v1/upstream/orders",
            1_700_000_000,
            body,
        );
        assert_eq!(
            signature.to_hex(),
            "80e9b0ae078e379001fba9fab6628c2b1ea21518c48dc34035ecb38feba6c265"
        );
    }

    #[test]
    fn protocol_vector_ping_empty_body() {
        assert_eq!(body_md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        let signature = sign(
            &secret(),
            "POST",
            "/api/v1/upstream/ping",
            1_700_000_000,
            b"",
        );
        assert_eq!(
            signature.to_hex(),
            "70e5ddd685198f8b2c3acd26b6011dfe6a15d09c94d0b40b9a01086d86f469d8"
        );
    }

    #[test]
    fn hex_form_round_trips_and_rejects_garbage() {
        let signature = sign(&secret(), "GET", "/x", 1, b"");
        assert_eq!(
            DujiaoSignature::from_hex(&signature.to_hex()),
            Some(signature)
        );
        assert_eq!(
            DujiaoSignature::from_hex(&signature.to_hex().to_uppercase()),
            Some(signature)
        );
        assert_eq!(DujiaoSignature::from_hex("abc"), None);
        assert_eq!(DujiaoSignature::from_hex(&"zz".repeat(32)), None);
        assert_eq!(format!("{signature:?}"), "DujiaoSignature([redacted])");
    }
}
