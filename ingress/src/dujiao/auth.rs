//! Who is calling the Dujiao-Next provider API, and the answers every provider handler shares.
//!
//! Contract of [`Endpoint::authenticate`], in order: headers present and well-formed, timestamp
//! within ±60 s (`missing_auth_headers`, `invalid_timestamp`, `timestamp_expired`, 401), known API
//! key (`invalid_api_key`, 403), signature matches over the request's own method and path
//! (`invalid_signature`, 401), credential `approved` (`user_disabled`, 403), and only then the
//! shared replay check ([`super::replay`]): every provider endpoint is idempotent (reads, `ping`,
//! `POST /orders` on `downstream_order_no`, cancel by id), so a byte-identical retry — on any
//! replica — goes on to the endpoint's own idempotent handling and gets the original answer; the
//! same signature over other bytes (another query string) is `invalid_signature` (401). A
//! database failure is the retryable `internal_error` (500), never a pass. Credentials are read
//! through the ingress's short-lived cache (`ingress.connection_cache_ttl_ms`); the operator API
//! clears it on every credential change. A key the database does not know is remembered for
//! `ingress.unknown_key_cache_ttl_ms`, so repeats of it are refused without a database read
//! (each read counts in `switchyard_ingress_dujiao_credential_lookups_total`).
//!
//! [`Endpoint`] also gives each handler its refusals and retryable failures in the Dujiao format,
//! each counted under the endpoint's metric name; [`SignedCall`] is the extractor that hands a
//! handler the parts of the request the signature covers.

use std::fmt::Display;
use std::sync::Arc;

use axum::extract::{FromRequest, Request};
use axum::response::Response;
use bytes::Bytes;
use chrono::Utc;
use http::{HeaderMap, Method, StatusCode};
use switchyard_partners::dujiao::{AuthHeaders, DujiaoAuthError, ReplayPolicy, RequestDigest};
use switchyard_store::credentials::{self, CredentialStatus};

use super::replay::{admit, ReplayRefusal};
use crate::answer::{dujiao_error, Partner};
use crate::state::AppState;

/// A verified downstream site.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Caller {
    /// Its credential.
    pub(crate) credential_id: i64,
    /// Its account (wallet owner).
    pub(crate) user_id: i64,
}

/// What a Dujiao signature covers: method, literal path, headers (key, timestamp, signature) and
/// the body as received, plus the request target with its (unsigned) query for the replay check.
/// Must be a handler's last extractor (it takes the body).
pub(crate) struct SignedCall {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) path_and_query: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl<S: Send + Sync> FromRequest<S> for SignedCall {
    type Rejection = Response;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        // The edge guard already buffered the body within the configured limit.
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .map_err(|_| Partner::DujiaoProvider.unavailable())?;
        Ok(Self {
            method: parts.method,
            path: parts.uri.path().to_owned(),
            path_and_query: parts
                .uri
                .path_and_query()
                .map_or_else(|| parts.uri.path().to_owned(), |target| target.to_string()),
            headers: parts.headers,
            body,
        })
    }
}

/// One provider endpoint: its metric name and its answers.
#[derive(Clone, Copy)]
pub(crate) struct Endpoint<'a> {
    state: &'a AppState,
    name: &'static str,
}

impl<'a> Endpoint<'a> {
    pub(crate) fn new(state: &'a AppState, name: &'static str) -> Self {
        Self { state, name }
    }

    /// Counts one request under this endpoint with `outcome`.
    pub(crate) fn count(&self, outcome: &'static str) {
        self.state.metrics.count(self.name, outcome);
    }

    /// A refusal in the Dujiao format (`{ok:false, error_code, error_message}`), counted.
    pub(crate) fn reject(&self, status: StatusCode, code: &str, message: &str) -> Response {
        self.count("rejected");
        dujiao_error(status, code, message)
    }

    /// The retryable failure (`internal_error` 500) after a dependency failed, logged and counted.
    pub(crate) fn unavailable(&self, error: &dyn Display) -> Response {
        tracing::warn!(%error, endpoint = self.name, "dependency unavailable");
        self.count("unavailable");
        Partner::DujiaoProvider.unavailable()
    }

    /// Verifies the call or returns the protocol's refusal.
    pub(crate) async fn authenticate(&self, call: &SignedCall) -> Result<Caller, Response> {
        let state = self.state;
        let now = Utc::now().timestamp();
        let refuse = |error: DujiaoAuthError| {
            let status =
                StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::UNAUTHORIZED);
            self.reject(status, error.error_code(), &error.to_string())
        };
        let request = state
            .dujiao
            .parse(&AuthHeaders::from_headers(&call.headers), now)
            .map_err(refuse)?;
        if state.unknown_api_keys.get(request.api_key()).is_some() {
            return Err(refuse(DujiaoAuthError::InvalidApiKey));
        }
        let credential = match state.credentials.get(request.api_key()) {
            Some(credential) => credential,
            None => {
                state.metrics.credential_lookups.inc();
                let found =
                    credentials::find_by_api_key(&state.pool, &state.secret_box, request.api_key())
                        .await;
                match found {
                    Ok(Some(credential)) => {
                        let credential = Arc::new(credential);
                        let key = request.api_key().to_owned();
                        state.credentials.put(key, credential.clone());
                        credential
                    }
                    Ok(None) => {
                        state.unknown_api_keys.put(request.api_key().to_owned(), ());
                        return Err(refuse(DujiaoAuthError::InvalidApiKey));
                    }
                    Err(error) => return Err(self.unavailable(&error)),
                }
            }
        };
        let caller = state
            .dujiao
            .verify_signature(
                request,
                &credential.secret,
                call.method.as_str(),
                &call.path,
                &call.body,
            )
            .map_err(refuse)?;
        if credential.credential.status != CredentialStatus::Approved {
            return Err(refuse(DujiaoAuthError::UserDisabled));
        }
        let digest = RequestDigest::of(call.method.as_str(), &call.path_and_query, &call.body);
        match admit(state, &caller, digest, ReplayPolicy::IdenticalRetry).await {
            Ok(()) => {}
            Err(ReplayRefusal::Refused(error)) => return Err(refuse(error)),
            Err(ReplayRefusal::Unavailable(error)) => return Err(self.unavailable(&error)),
        }
        Ok(Caller {
            credential_id: credential.credential.id,
            user_id: credential.credential.user_id,
        })
    }
}
