//! The Dujiao-Next replay check of the ingress, over the replay guard every replica shares
//! (`dujiao_replay_guard` in PostgreSQL).
//!
//! Contract: [`admit`] runs after the signature matched and the caller's credential (or
//! connection) was found usable, so neither forged traffic nor a disabled key ever writes a row.
//! It remembers (api_key, signature) until the signature leaves its window, with the digest of
//! the request as received (method, path with query, body). A second sighting — on this replica
//! or another — is admitted only under [`ReplayPolicy::IdenticalRetry`] and only over the same
//! bytes: the endpoint's own idempotency then answers it as it answered the first (same order,
//! no second debit). Anything else is refused `invalid_signature` (401). A key that already holds
//! `ingress.replay_entries_per_key` live signatures gets the retryable 503 `internal_error` for a
//! new one. Each outcome other than a first sighting is counted under the `dujiao_replay`
//! endpoint label (`retry` admitted, `replayed`, `over_limit`).

use chrono::{DateTime, Utc};
use switchyard_partners::dujiao::{
    DujiaoAuthError, ReplayPolicy, ReplayVerdict, RequestDigest, VerifiedCaller,
};
use switchyard_store::replay_guard::{self, Sighting, Signed};
use switchyard_store::StoreError;

use crate::state::AppState;

const METRIC: &str = "dujiao_replay";

/// Why [`admit`] did not let a request through.
#[derive(Debug)]
pub(crate) enum ReplayRefusal {
    /// Refused in the protocol's terms.
    Refused(DujiaoAuthError),
    /// The guard could not be read or written (retryable).
    Unavailable(StoreError),
}

/// Remembers `caller`'s signature over `digest`, or refuses the request (see the module docs).
pub(crate) async fn admit(
    state: &AppState,
    caller: &VerifiedCaller,
    digest: RequestDigest,
    policy: ReplayPolicy,
) -> Result<(), ReplayRefusal> {
    let expires_at = DateTime::<Utc>::from_timestamp(caller.replay_expiry(), 0)
        .ok_or(ReplayRefusal::Refused(DujiaoAuthError::InvalidTimestamp))?;
    let signed = Signed {
        api_key: &caller.api_key,
        signature: caller.signature.as_bytes(),
        request_digest: &digest.0,
        expires_at,
    };
    let limit = i64::try_from(state.config.replay_entries_per_key).unwrap_or(i64::MAX);
    let sighting = replay_guard::record(&state.pool, signed, Utc::now(), limit)
        .await
        .map_err(ReplayRefusal::Unavailable)?;
    let verdict = match sighting {
        Sighting::First => ReplayVerdict::Fresh,
        Sighting::SameRequest => ReplayVerdict::Retry,
        Sighting::OtherRequest => ReplayVerdict::Replayed,
        Sighting::OverLimit => ReplayVerdict::Full,
    };
    match verdict {
        ReplayVerdict::Fresh => Ok(()),
        ReplayVerdict::Retry if policy.admits(verdict) => {
            state.metrics.count(METRIC, "retry");
            Ok(())
        }
        ReplayVerdict::Full => {
            state.metrics.count(METRIC, "over_limit");
            Err(ReplayRefusal::Refused(DujiaoAuthError::ReplayCacheFull))
        }
        ReplayVerdict::Retry | ReplayVerdict::Replayed => {
            state.metrics.count(METRIC, "replayed");
            Err(ReplayRefusal::Refused(DujiaoAuthError::InvalidSignature))
        }
    }
}
