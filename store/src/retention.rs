//! Retention: bookkeeping rows past their age, purged in small batches.
//!
//! Contract: [`purge_batch`] deletes at most `limit` rows of one [`Purge`] target older than a
//! cutoff, in one short statement that locks only those rows (`ctid = ANY(ARRAY(… LIMIT n))`, a
//! TID scan: no long lock, no table scan under a lock), and returns how many went; the caller
//! loops until a batch comes back short. Each target's age column is indexed
//! (`migrations/0014_retention.sql`). What each target keeps:
//! - ingress dedupe claims: by creation time (`ingress_dedupe.created_at`);
//! - consumer dedupe: by processing time (`processed_events.processed_at`);
//! - the outbox: only published rows, by publication time (unpublished and refused rows stay);
//! - procurement attempts: only those of sub-orders that ended (fulfilled, completed, canceled,
//!   refunded, partially refunded, rejected), by attempt time; a failed or open sub-order keeps
//!   its log for an operator. The append-only guard on `procurement_attempts` lets a delete
//!   through only in a transaction that set `switchyard.retention_purge` (this one);
//! - the Dujiao-Next replay guard: by expiry (`dujiao_replay_guard.expires_at`); a row past its
//!   expiry can never match again, so its caller's cutoff is now.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::error::StoreResult;

/// A kind of row retention purges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purge {
    /// `ingress_dedupe`: repeated partner pushes.
    IngressDedupe,
    /// `processed_events`: the consumers' dedupe.
    ProcessedEvents,
    /// `event_outbox`: events already published.
    PublishedOutbox,
    /// `procurement_attempts` of sub-orders that ended.
    FinishedAttempts,
    /// `dujiao_replay_guard`: signatures past their window.
    DujiaoReplayGuard,
}

impl Purge {
    /// Every target, in purge order.
    pub const ALL: [Purge; 5] = [
        Purge::IngressDedupe,
        Purge::ProcessedEvents,
        Purge::PublishedOutbox,
        Purge::FinishedAttempts,
        Purge::DujiaoReplayGuard,
    ];

    /// The table it purges (the metrics label).
    pub fn table(self) -> &'static str {
        match self {
            Purge::IngressDedupe => "ingress_dedupe",
            Purge::ProcessedEvents => "processed_events",
            Purge::PublishedOutbox => "event_outbox",
            Purge::FinishedAttempts => "procurement_attempts",
            Purge::DujiaoReplayGuard => "dujiao_replay_guard",
        }
    }

    fn statement(self) -> &'static str {
        match self {
            Purge::IngressDedupe => {
                "DELETE FROM ingress_dedupe WHERE ctid = ANY(ARRAY(
                     SELECT ctid FROM ingress_dedupe WHERE created_at < $1 LIMIT $2))"
            }
            Purge::ProcessedEvents => {
                "DELETE FROM processed_events WHERE ctid = ANY(ARRAY(
                     SELECT ctid FROM processed_events WHERE processed_at < $1 LIMIT $2))"
            }
            Purge::PublishedOutbox => {
                "DELETE FROM event_outbox WHERE ctid = ANY(ARRAY(
                     SELECT ctid FROM event_outbox
                      WHERE published_at IS NOT NULL AND published_at < $1 LIMIT $2))"
            }
            Purge::FinishedAttempts => {
                "DELETE FROM procurement_attempts WHERE ctid = ANY(ARRAY(
                     SELECT a.ctid FROM procurement_attempts a
                       JOIN procurement_orders p ON p.id = a.procurement_order_id
                      WHERE a.attempted_at < $1
                        AND p.status IN ('fulfilled', 'completed', 'canceled', 'refunded',
                                         'partially_refunded', 'rejected')
                      LIMIT $2))"
            }
            Purge::DujiaoReplayGuard => {
                "DELETE FROM dujiao_replay_guard WHERE ctid = ANY(ARRAY(
                     SELECT ctid FROM dujiao_replay_guard WHERE expires_at < $1 LIMIT $2))"
            }
        }
    }
}

/// Deletes up to `limit` rows of `purge` older than `before`; returns how many.
pub async fn purge_batch(
    pool: &PgPool,
    purge: Purge,
    before: DateTime<Utc>,
    limit: i64,
) -> StoreResult<u64> {
    let mut tx = pool.begin().await?;
    if purge == Purge::FinishedAttempts {
        sqlx::query("SELECT set_config('switchyard.retention_purge', 'on', true)")
            .execute(&mut *tx)
            .await?;
    }
    let deleted = sqlx::query(purge.statement())
        .bind(before)
        .bind(limit)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(deleted.rows_affected())
}
