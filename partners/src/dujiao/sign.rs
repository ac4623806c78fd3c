//! Dujiao-Next request signing: `hex(HMAC-SHA256(secret, "METHOD\nPATH\nTS\nmd5_hex(body)"))`.

use std::fmt;

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use super::replay::{ReplayCache, ReplayVerdict};
use super::verify::SIGNATURE_WINDOW;

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

/// Signs requests so that no two ever carry the same signature.
///
/// Dujiao-Next has no nonce: two identical requests (a retry, a repeated poll) in the same second
/// sign identically, and a receiver with replay protection would refuse the second. This signer
/// remembers what it signed inside the window and moves the timestamp forward a second (at most
/// [`MAX_TIMESTAMP_LEAD`] s, well inside the ±60 s window) until the signature is new.
#[derive(Debug)]
pub struct UniqueSigner {
    used: ReplayCache,
}

/// How far ahead of the clock a [`UniqueSigner`] may move a timestamp.
pub const MAX_TIMESTAMP_LEAD: i64 = 30;

impl Default for UniqueSigner {
    fn default() -> Self {
        UniqueSigner {
            used: ReplayCache::new(100_000),
        }
    }
}

impl UniqueSigner {
    /// Signs at `now` (Unix seconds) or the first later second whose signature is unused.
    pub fn sign(
        &self,
        secret: &SecretString,
        method: &str,
        path: &str,
        now: i64,
        body: &[u8],
    ) -> (i64, DujiaoSignature) {
        let mut timestamp = now;
        loop {
            let signature = sign(secret, method, path, timestamp, body);
            let verdict = self
                .used
                .check_and_insert(&signature, timestamp + SIGNATURE_WINDOW, now);
            if verdict != ReplayVerdict::Replayed || timestamp >= now + MAX_TIMESTAMP_LEAD {
                return (timestamp, signature);
            }
            timestamp += 1;
        }
    }
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
    fn unique_signer_never_repeats_a_signature() {
        let signer = UniqueSigner::default();
        let (t1, s1) = signer.sign(&secret(), "GET", "/x", 1_000, b"");
        let (t2, s2) = signer.sign(&secret(), "GET", "/x", 1_000, b"");
        assert_eq!((t1, t2), (1_000, 1_001));
        assert_ne!(s1, s2);
        let (t3, _) = signer.sign(&secret(), "GET", "/y", 1_000, b"");
        assert_eq!(t3, 1_000, "a different request keeps the current second");
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
