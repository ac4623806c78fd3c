//! D-Store message signatures.
//!
//! Content to sign: `"{METHOD} {PATH}\n{Client-Id}.{Request-Time}.{raw body}"` — for an answer the
//! time is `Response-Time`. The signature is RSA256 (PKCS#1 v1.5, SHA-256), standard base64, then
//! URL-encoded, carried as `Signature: algorithm=RSA256,keyVersion=1,signature=<value>`.
//!
//! Contract: the time header is used *verbatim* (ISO-8601, epoch ms and epoch ns all occur; any
//! re-formatting would break the signature), header names are case-insensitive (`http::HeaderMap`),
//! and the `Signature` header is parsed tolerantly (any order, spaces, unknown attributes) but must
//! carry `algorithm=RSA256` and a signature. D-Store defines no freshness window, so none is applied.
//! Every failure maps to D-Store's own `resultCode` and is permanent (`F`).

use base64::Engine as _;
use http::HeaderMap;

use super::keys::{DstorePrivateKey, DstorePublicKey};

/// Header carrying the caller's Client-Id.
pub const CLIENT_ID_HEADER: &str = "client-id";
/// Header carrying the request time, signed verbatim.
pub const REQUEST_TIME_HEADER: &str = "request-time";
/// Header carrying the answer time, signed verbatim.
pub const RESPONSE_TIME_HEADER: &str = "response-time";
/// Header carrying the signature attributes.
pub const SIGNATURE_HEADER: &str = "signature";

/// Builds the exact bytes D-Store signs.
pub fn content_to_sign(
    method: &str,
    path: &str,
    client_id: &str,
    time: &str,
    body: &[u8],
) -> Vec<u8> {
    let mut content = format!("{method} {path}\n{client_id}.{time}.").into_bytes();
    content.extend_from_slice(body);
    content
}

/// Signs `content` and returns the `Signature` header value.
pub fn signature_header(key: &DstorePrivateKey, content: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(key.sign(content));
    format!(
        "algorithm=RSA256,keyVersion=1,signature={}",
        urlencoding::encode(&encoded)
    )
}

/// Why a signed D-Store message was rejected. All variants are permanent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DstoreAuthError {
    /// No `Client-Id` header.
    #[error("missing Client-Id header")]
    MissingClientId,
    /// The `Client-Id` is not the one configured for this connection.
    #[error("unknown Client-Id")]
    UnknownClientId,
    /// No `Request-Time` / `Response-Time` header.
    #[error("missing {0} header")]
    MissingTime(&'static str),
    /// No `Signature` header.
    #[error("missing Signature header")]
    MissingSignature,
    /// The `Signature` header could not be parsed (no signature attribute, bad base64, …).
    #[error("malformed Signature header")]
    MalformedSignature,
    /// The header names an algorithm other than RSA256.
    #[error("unsupported signature algorithm")]
    UnsupportedAlgorithm,
    /// The signature does not match the content under the configured public key.
    #[error("signature does not verify")]
    InvalidSignature,
}

impl DstoreAuthError {
    /// D-Store's `resultCode` for this rejection (answered with `resultStatus` `F`).
    pub fn result_code(&self) -> &'static str {
        match self {
            Self::MissingClientId | Self::UnknownClientId => "ACCESS_DENIED",
            Self::MissingTime(_) => "PARAM_ILLEGAL",
            Self::MissingSignature
            | Self::MalformedSignature
            | Self::UnsupportedAlgorithm
            | Self::InvalidSignature => "INVALID_SIGNATURE",
        }
    }
}

/// The parsed attributes of a `Signature` header.
#[derive(Clone, PartialEq, Eq)]
pub struct SignatureAttributes {
    /// `keyVersion`, when present (informational; keys are configured per connection).
    pub key_version: Option<String>,
    /// The decoded raw signature bytes.
    pub signature: Vec<u8>,
}

impl std::fmt::Debug for SignatureAttributes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignatureAttributes")
            .field("key_version", &self.key_version)
            .field("signature", &"<redacted>")
            .finish()
    }
}

/// Parses `algorithm=RSA256,keyVersion=1,signature=...` tolerantly.
pub fn parse_signature_header(value: &str) -> Result<SignatureAttributes, DstoreAuthError> {
    let mut algorithm = None;
    let mut key_version = None;
    let mut signature = None;
    for part in value.split(',') {
        let Some((name, val)) = part.split_once('=') else {
            continue;
        };
        let val = val.trim().trim_matches('"');
        match name.trim().to_ascii_lowercase().as_str() {
            "algorithm" => algorithm = Some(val.to_string()),
            "keyversion" => key_version = Some(val.to_string()),
            "signature" => signature = Some(val.to_string()),
            _ => {}
        }
    }
    match algorithm.as_deref() {
        Some(a) if a.eq_ignore_ascii_case("RSA256") => {}
        Some(_) => return Err(DstoreAuthError::UnsupportedAlgorithm),
        None => return Err(DstoreAuthError::MalformedSignature),
    }
    let encoded = signature
        .filter(|s| !s.is_empty())
        .ok_or(DstoreAuthError::MalformedSignature)?;
    // URL-decoding leaves an un-encoded base64 value unchanged ('+' is not turned into a space),
    // so senders that forget the URL-encoding step are still understood.
    let decoded = urlencoding::decode(&encoded).map_err(|_| DstoreAuthError::MalformedSignature)?;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(decoded.as_bytes())
        .map_err(|_| DstoreAuthError::MalformedSignature)?;
    Ok(SignatureAttributes {
        key_version,
        signature,
    })
}

/// Whether the message is a request (signed with `Request-Time`) or an answer (`Response-Time`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// A request: time in `Request-Time`.
    Request,
    /// An answer: time in `Response-Time`.
    Response,
}

impl MessageKind {
    /// The header that carries this kind's time.
    pub fn time_header(self) -> &'static str {
        match self {
            Self::Request => REQUEST_TIME_HEADER,
            Self::Response => RESPONSE_TIME_HEADER,
        }
    }
}

/// What a verified message proved: who sent it and the time it carried (verbatim).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSender {
    /// The verified Client-Id.
    pub client_id: String,
    /// The verbatim time header value.
    pub time: String,
}

/// Verifies a signed D-Store message: headers, then signature over method, path, id, time, body.
///
/// `expected_client_id` is the Client-Id configured for this connection; `None` accepts any.
pub fn verify_message(
    key: &DstorePublicKey,
    kind: MessageKind,
    expected_client_id: Option<&str>,
    method: &str,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<VerifiedSender, DstoreAuthError> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let client_id = text(CLIENT_ID_HEADER).ok_or(DstoreAuthError::MissingClientId)?;
    if expected_client_id.is_some_and(|expected| expected != client_id) {
        return Err(DstoreAuthError::UnknownClientId);
    }
    let time_header = kind.time_header();
    let time = text(time_header).ok_or(DstoreAuthError::MissingTime(time_header))?;
    let header = text(SIGNATURE_HEADER).ok_or(DstoreAuthError::MissingSignature)?;
    let attributes = parse_signature_header(&header)?;
    let content = content_to_sign(method, path, &client_id, &time, body);
    if key.verify(&content, &attributes.signature) {
        Ok(VerifiedSender { client_id, time })
    } else {
        Err(DstoreAuthError::InvalidSignature)
    }
}

/// Builds the three signing headers for a message (`Client-Id`, time, `Signature`).
pub fn sign_message(
    key: &DstorePrivateKey,
    kind: MessageKind,
    client_id: &str,
    time: &str,
    method: &str,
    path: &str,
    body: &[u8],
) -> Vec<(&'static str, String)> {
    let content = content_to_sign(method, path, client_id, time, body);
    vec![
        (CLIENT_ID_HEADER, client_id.to_string()),
        (kind.time_header(), time.to_string()),
        (SIGNATURE_HEADER, signature_header(key, &content)),
    ]
}
