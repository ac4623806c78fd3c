//! Sub-orders that wait for their fulfiller's connection to be enabled.
//!
//! Contract: a `pending` sub-order whose connection is `pending` or `disabled` is not attempted
//! (no attempt row, the attempt counter and retry budget untouched) and not failed: it stays
//! `pending` with [`WAITING_FOR_CONNECTION`] as `last_error_code`, a reason an operator reads in
//! `last_error`, and `next_attempt_at` at the next check. [`wake_waiting`] makes the sub-orders
//! waiting on a connection due now (an operator enabled it). A successful attempt later clears
//! the reason.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::error::StoreResult;

/// `last_error_code` of a sub-order waiting for its connection.
pub const WAITING_FOR_CONNECTION: &str = "connection_not_active";

/// Parks pending sub-order `id` until `check_at` with `reason`; false when it is not pending.
pub async fn wait_for_connection(
    db: impl PgExecutor<'_>,
    id: Uuid,
    reason: &str,
    check_at: DateTime<Utc>,
) -> StoreResult<bool> {
    let parked = sqlx::query(
        "UPDATE procurement_orders
         SET last_error_code = $2, last_error = $3, next_attempt_at = $4
         WHERE id = $1 AND status = 'pending'",
    )
    .bind(id)
    .bind(WAITING_FOR_CONNECTION)
    .bind(reason)
    .bind(check_at)
    .execute(db)
    .await?;
    Ok(parked.rows_affected() == 1)
}

/// Makes every sub-order waiting on `connection_id` due now; returns how many.
pub async fn wake_waiting(db: impl PgExecutor<'_>, connection_id: i64) -> StoreResult<u64> {
    let woken = sqlx::query(
        "UPDATE procurement_orders SET next_attempt_at = now()
         WHERE connection_id = $1 AND status = 'pending' AND last_error_code = $2",
    )
    .bind(connection_id)
    .bind(WAITING_FOR_CONNECTION)
    .execute(db)
    .await?;
    Ok(woken.rows_affected())
}
