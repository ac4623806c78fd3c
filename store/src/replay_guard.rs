//! The Dujiao-Next replay guard: signatures seen inside their window, shared by every replica.
//!
//! Contract: [`record`] remembers (api_key, signature) with the digest of the request it signed,
//! until `expires_at`, and says what it found ([`Sighting`]). The insert is one
//! `INSERT … ON CONFLICT DO NOTHING`, so of two concurrent first sightings — on any replicas —
//! exactly one is [`Sighting::First`]. A key holds at most `per_key_limit` live rows: past it a
//! new signature is [`Sighting::OverLimit`] and nothing is stored (a second sighting of a
//! signature already stored is still recognised). The bound is checked in the same statement, so
//! concurrent first sightings of one key may pass it by at most the number in flight. Expired
//! rows are never reused (a signature past its expiry fails the timestamp check first) and are
//! deleted by retention (`retention::Purge::DujiaoReplayGuard`).

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use crate::error::StoreResult;

/// What [`record`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sighting {
    /// Not seen before: now remembered.
    First,
    /// Seen before over the same request digest.
    SameRequest,
    /// Seen before over another request digest.
    OtherRequest,
    /// Not seen before, and the key already has `per_key_limit` live rows: not remembered.
    OverLimit,
}

/// One signature to remember.
#[derive(Debug, Clone, Copy)]
pub struct Signed<'a> {
    /// The caller's API key.
    pub api_key: &'a str,
    /// The signature's 32 bytes.
    pub signature: &'a [u8; 32],
    /// SHA-256 of the request it signed.
    pub request_digest: &'a [u8; 32],
    /// When the signature leaves its window.
    pub expires_at: DateTime<Utc>,
}

/// Remembers `signed` unless it is already known or its key is at `per_key_limit` live rows.
pub async fn record(
    db: impl PgExecutor<'_> + Copy,
    signed: Signed<'_>,
    now: DateTime<Utc>,
    per_key_limit: i64,
) -> StoreResult<Sighting> {
    let inserted = sqlx::query(
        "INSERT INTO dujiao_replay_guard (api_key, signature, request_digest, expires_at)
         SELECT $1, $2, $3, $4
          WHERE (SELECT count(*) FROM (
                   SELECT 1 FROM dujiao_replay_guard
                    WHERE api_key = $1 AND expires_at >= $5 LIMIT $6) AS live) < $6
         ON CONFLICT (api_key, signature) DO NOTHING",
    )
    .bind(signed.api_key)
    .bind(signed.signature.as_slice())
    .bind(signed.request_digest.as_slice())
    .bind(signed.expires_at)
    .bind(now)
    .bind(per_key_limit)
    .execute(db)
    .await?;
    if inserted.rows_affected() == 1 {
        return Ok(Sighting::First);
    }
    // A new statement sees a row a concurrent first sighting committed meanwhile.
    let seen: Option<Vec<u8>> = sqlx::query_scalar(
        "SELECT request_digest FROM dujiao_replay_guard WHERE api_key = $1 AND signature = $2",
    )
    .bind(signed.api_key)
    .bind(signed.signature.as_slice())
    .fetch_optional(db)
    .await?;
    Ok(match seen {
        Some(digest) if digest == signed.request_digest.as_slice() => Sighting::SameRequest,
        Some(_) => Sighting::OtherRequest,
        None => Sighting::OverLimit,
    })
}

/// Live rows of `api_key` (what the per-key bound counts).
pub async fn live_count(
    db: impl PgExecutor<'_>,
    api_key: &str,
    now: DateTime<Utc>,
) -> StoreResult<i64> {
    let count = sqlx::query_scalar(
        "SELECT count(*) FROM dujiao_replay_guard WHERE api_key = $1 AND expires_at >= $2",
    )
    .bind(api_key)
    .bind(now)
    .fetch_one(db)
    .await?;
    Ok(count)
}
