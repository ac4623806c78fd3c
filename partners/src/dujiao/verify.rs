//! Verification of inbound Dujiao-Next signatures (provider endpoints and callbacks).
//!
//! Contract, in this order: all three headers present → integer timestamp → within ±60 s of
//! now → signature is 64 hex digits → (caller looks up the key's secret) → constant-time HMAC
//! match → not seen before inside the window, or seen over the very same request bytes when the
//! caller's [`ReplayPolicy`] admits identical retries. Each failure is a [`DujiaoAuthError`]
//! carrying the protocol's `error_code`. Only a matching signature enters the replay cache, so
//! forged traffic cannot fill it. [`DujiaoVerifier::verify_signature`] is the HMAC check alone,
//! for a caller that keeps its replay record elsewhere (the ingress: PostgreSQL, shared by its
//! replicas, written only after the credential's status is checked).

use std::fmt;

use secrecy::SecretString;
use subtle::ConstantTimeEq;

use super::error::DujiaoAuthError;
use super::replay::{ReplayCache, ReplayPolicy, ReplayVerdict, RequestDigest};
use super::sign::{sign, DujiaoSignature, HEADER_API_KEY, HEADER_SIGNATURE, HEADER_TIMESTAMP};

/// Allowed distance, in seconds, between the signed timestamp and now (both directions).
pub const SIGNATURE_WINDOW: i64 = 60;

/// The three auth header values as received (any may be missing).
#[derive(Clone, Copy, Default)]
pub struct AuthHeaders<'a> {
    /// `Dujiao-Next-Api-Key`.
    pub api_key: Option<&'a str>,
    /// `Dujiao-Next-Timestamp`.
    pub timestamp: Option<&'a str>,
    /// `Dujiao-Next-Signature`.
    pub signature: Option<&'a str>,
}

impl fmt::Debug for AuthHeaders<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthHeaders")
            .field("api_key", &self.api_key.map(|_| "[redacted]"))
            .field("timestamp", &self.timestamp)
            .field("signature", &self.signature.map(|_| "[redacted]"))
            .finish()
    }
}

impl<'a> AuthHeaders<'a> {
    /// Reads the headers (names are case-insensitive); non-UTF-8 values count as missing.
    pub fn from_headers(headers: &'a http::HeaderMap) -> Self {
        let get = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
        AuthHeaders {
            api_key: get(HEADER_API_KEY),
            timestamp: get(HEADER_TIMESTAMP),
            signature: get(HEADER_SIGNATURE),
        }
    }
}

/// Headers that passed the format and window checks; the secret is still to be looked up.
#[derive(Clone)]
pub struct UnverifiedRequest {
    api_key: String,
    timestamp: i64,
    signature: DujiaoSignature,
}

impl UnverifiedRequest {
    /// The API key whose secret must be looked up.
    pub fn api_key(&self) -> &str {
        &self.api_key
    }
}

impl fmt::Debug for UnverifiedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnverifiedRequest")
            .field("timestamp", &self.timestamp)
            .finish_non_exhaustive()
    }
}

/// A caller whose signature matched and was fresh.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifiedCaller {
    /// The caller's API key (identifies the credential).
    pub api_key: String,
    /// The signed timestamp (Unix seconds).
    pub timestamp: i64,
    /// The signature it sent (the replay record's key, with the API key).
    pub signature: DujiaoSignature,
}

impl VerifiedCaller {
    /// Until when (Unix seconds) its signature is inside the window, so worth remembering.
    pub fn replay_expiry(&self) -> i64 {
        self.timestamp + SIGNATURE_WINDOW
    }
}

impl fmt::Debug for VerifiedCaller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedCaller")
            .field("timestamp", &self.timestamp)
            .finish_non_exhaustive()
    }
}

/// Verifies Dujiao-Next signatures and remembers them to refuse replays.
#[derive(Debug)]
pub struct DujiaoVerifier {
    replay: ReplayCache,
}

impl Default for DujiaoVerifier {
    fn default() -> Self {
        DujiaoVerifier::new(100_000)
    }
}

impl DujiaoVerifier {
    /// A verifier whose replay cache holds at most `replay_capacity` signatures.
    pub fn new(replay_capacity: usize) -> Self {
        DujiaoVerifier {
            replay: ReplayCache::new(replay_capacity),
        }
    }

    /// Checks presence, timestamp and signature format; `now` is Unix seconds.
    pub fn parse(
        &self,
        headers: &AuthHeaders<'_>,
        now: i64,
    ) -> Result<UnverifiedRequest, DujiaoAuthError> {
        let (Some(api_key), Some(timestamp), Some(signature)) = (
            present(headers.api_key),
            present(headers.timestamp),
            present(headers.signature),
        ) else {
            return Err(DujiaoAuthError::MissingAuthHeaders);
        };
        let timestamp: i64 = timestamp
            .parse()
            .map_err(|_| DujiaoAuthError::InvalidTimestamp)?;
        if (now - timestamp).abs() > SIGNATURE_WINDOW {
            return Err(DujiaoAuthError::TimestampExpired);
        }
        let signature =
            DujiaoSignature::from_hex(signature).ok_or(DujiaoAuthError::InvalidSignature)?;
        Ok(UnverifiedRequest {
            api_key: api_key.to_owned(),
            timestamp,
            signature,
        })
    }

    /// Checks the signature against `secret` only (no replay check). `path` excludes the query.
    pub fn verify_signature(
        &self,
        request: UnverifiedRequest,
        secret: &SecretString,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<VerifiedCaller, DujiaoAuthError> {
        let expected = sign(secret, method, path, request.timestamp, body);
        if !bool::from(expected.0.ct_eq(&request.signature.0)) {
            return Err(DujiaoAuthError::InvalidSignature);
        }
        Ok(VerifiedCaller {
            api_key: request.api_key,
            timestamp: request.timestamp,
            signature: request.signature,
        })
    }

    /// Checks the signature against `secret` and the replay cache, refusing every second
    /// sighting ([`ReplayPolicy::Strict`]). `path` excludes the query.
    pub fn verify(
        &self,
        request: UnverifiedRequest,
        secret: &SecretString,
        method: &str,
        path: &str,
        body: &[u8],
        now: i64,
    ) -> Result<VerifiedCaller, DujiaoAuthError> {
        let digest = RequestDigest::of(method, path, body);
        self.verify_under(
            request,
            secret,
            (method, path, body),
            digest,
            now,
            ReplayPolicy::Strict,
        )
    }

    fn verify_under(
        &self,
        request: UnverifiedRequest,
        secret: &SecretString,
        (method, path, body): (&str, &str, &[u8]),
        digest: RequestDigest,
        now: i64,
        policy: ReplayPolicy,
    ) -> Result<VerifiedCaller, DujiaoAuthError> {
        let caller = self.verify_signature(request, secret, method, path, body)?;
        let verdict =
            self.replay
                .check_and_insert(&caller.signature, digest, caller.replay_expiry(), now);
        match verdict {
            verdict if policy.admits(verdict) => Ok(caller),
            ReplayVerdict::Full => Err(DujiaoAuthError::ReplayCacheFull),
            _ => Err(DujiaoAuthError::InvalidSignature),
        }
    }

    /// Both steps with a synchronous secret lookup (`Err` for unknown or disabled keys); every
    /// second sighting of a signature is refused.
    #[allow(clippy::too_many_arguments)]
    pub fn verify_with(
        &self,
        headers: &AuthHeaders<'_>,
        method: &str,
        path: &str,
        body: &[u8],
        now: i64,
        secret_for: impl FnOnce(&str) -> Result<SecretString, DujiaoAuthError>,
    ) -> Result<VerifiedCaller, DujiaoAuthError> {
        let request = self.parse(headers, now)?;
        let secret = secret_for(request.api_key())?;
        self.verify(request, &secret, method, path, body, now)
    }

    /// As [`Self::verify_with`] for an idempotent endpoint: a byte-identical retry (same
    /// signature, method, `path_and_query` and body) is admitted
    /// ([`ReplayPolicy::IdenticalRetry`]); the same signature over anything else is refused.
    pub fn verify_retry_with(
        &self,
        headers: &AuthHeaders<'_>,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        now: i64,
        secret_for: impl FnOnce(&str) -> Result<SecretString, DujiaoAuthError>,
    ) -> Result<VerifiedCaller, DujiaoAuthError> {
        let request = self.parse(headers, now)?;
        let secret = secret_for(request.api_key())?;
        let path = path_and_query.split('?').next().unwrap_or(path_and_query);
        let digest = RequestDigest::of(method, path_and_query, body);
        self.verify_under(
            request,
            &secret,
            (method, path, body),
            digest,
            now,
            ReplayPolicy::IdenticalRetry,
        )
    }
}

/// A header value that is there and not blank.
fn present(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests;
