//! Who is calling the Dujiao-Next provider API: signature, replay, credential status.
//!
//! Contract, in order: headers present and well-formed, timestamp within ±60 s
//! (`missing_auth_headers`, `invalid_timestamp`, `timestamp_expired`, 401), known API key
//! (`invalid_api_key`, 403), signature matches over the request's own method and path and was not
//! seen before (`invalid_signature`, 401), credential `approved` (`user_disabled`, 403). A database
//! failure is the retryable `internal_error` (500), never a pass.

use axum::response::Response;
use chrono::Utc;
use http::{HeaderMap, StatusCode};
use switchyard_partners::dujiao::{AuthHeaders, DujiaoAuthError};
use switchyard_store::credentials::{self, CredentialStatus};

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

/// Verifies the request or returns the protocol's refusal.
pub(crate) async fn authenticate(
    state: &AppState,
    endpoint: &'static str,
    method: &str,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Caller, Response> {
    let now = Utc::now().timestamp();
    let refuse = |error: DujiaoAuthError| {
        state.metrics.count(endpoint, "rejected");
        let status = StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::UNAUTHORIZED);
        dujiao_error(status, error.error_code(), &error.to_string())
    };
    let request = state
        .dujiao
        .parse(&AuthHeaders::from_headers(headers), now)
        .map_err(refuse)?;
    let found =
        credentials::find_by_api_key(&state.pool, &state.secret_box, request.api_key()).await;
    let credential = match found {
        Ok(Some(credential)) => credential,
        Ok(None) => return Err(refuse(DujiaoAuthError::InvalidApiKey)),
        Err(error) => {
            tracing::warn!(%error, "credential lookup failed");
            state.metrics.count(endpoint, "unavailable");
            return Err(Partner::DujiaoProvider.unavailable());
        }
    };
    state
        .dujiao
        .verify(request, &credential.secret, method, path, body, now)
        .map_err(refuse)?;
    if credential.credential.status != CredentialStatus::Approved {
        return Err(refuse(DujiaoAuthError::UserDisabled));
    }
    Ok(Caller {
        credential_id: credential.credential.id,
        user_id: credential.credential.user_id,
    })
}
