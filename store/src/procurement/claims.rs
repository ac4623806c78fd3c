//! Leases on pending procurement orders: who places a sub-order now.
//!
//! Contract: a claim moves `next_attempt_at` `lease` into the future for the claiming process, so
//! two processes (or a handler and the retry loop) never place the same sub-order at once, and a
//! process killed mid-attempt only delays the sub-order until the lease runs out. A claim is not a
//! lock: nothing is held between statements.

use std::time::Duration;

use sqlx::PgExecutor;
use uuid::Uuid;

use crate::error::StoreResult;

/// Takes a pending sub-order for one placement attempt; false when another process holds it, it
/// is not due yet, or it is no longer pending.
pub async fn claim(db: impl PgExecutor<'_>, id: Uuid, lease: Duration) -> StoreResult<bool> {
    let claimed = sqlx::query(
        "UPDATE procurement_orders SET next_attempt_at = now() + $2
         WHERE id = $1 AND status = 'pending'
               AND (next_attempt_at IS NULL OR next_attempt_at <= now())",
    )
    .bind(id)
    .bind(lease)
    .execute(db)
    .await?;
    Ok(claimed.rows_affected() == 1)
}

/// Takes up to `limit` pending sub-orders whose retry is due, oldest due first (skipping rows
/// another process is claiming right now).
pub async fn claim_due(
    db: impl PgExecutor<'_>,
    lease: Duration,
    limit: i64,
) -> StoreResult<Vec<Uuid>> {
    let ids = sqlx::query_scalar(
        "UPDATE procurement_orders SET next_attempt_at = now() + $1
         WHERE id IN (SELECT id FROM procurement_orders
                      WHERE status = 'pending' AND next_attempt_at <= now()
                      ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING id",
    )
    .bind(lease)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(ids)
}
