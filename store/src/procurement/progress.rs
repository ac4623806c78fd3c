//! Status changes of procurement orders driven by partner answers, callbacks and operators.
//!
//! Contract: each function changes one row and returns it, or [`StoreError::NotFound`]; the
//! operator retry only restarts a `failed` order.

use sqlx::PgExecutor;
use uuid::Uuid;

use super::{ProcurementOrder, ProcurementStatus, COLUMNS};
use crate::error::{StoreError, StoreResult};

/// The partner took the order: store its ids and move it to `status` (submitted / accepted),
/// unless a report already moved it further (a vending dispense result can overtake the attempt
/// that caused it).
pub async fn mark_placed(
    db: impl PgExecutor<'_>,
    id: Uuid,
    status: ProcurementStatus,
    upstream_order_id: Option<&str>,
    upstream_order_no: Option<&str>,
) -> StoreResult<ProcurementOrder> {
    sqlx::query_as::<_, ProcurementOrder>(&format!(
        "UPDATE procurement_orders
         SET status = CASE WHEN status IN ('pending', 'submitted') THEN $2 ELSE status END,
             upstream_order_id = coalesce($3, upstream_order_id),
             upstream_order_no = coalesce($4, upstream_order_no), next_attempt_at = NULL
         WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(status)
    .bind(upstream_order_id)
    .bind(upstream_order_no)
    .fetch_optional(db)
    .await?
    .ok_or(StoreError::NotFound("procurement order"))
}

/// Stores the partner's order id as soon as it is known (before later steps of the attempt).
pub async fn set_upstream_order_id(
    db: impl PgExecutor<'_>,
    id: Uuid,
    upstream_order_id: &str,
) -> StoreResult<()> {
    sqlx::query("UPDATE procurement_orders SET upstream_order_id = $2 WHERE id = $1")
        .bind(id)
        .bind(upstream_order_id)
        .execute(db)
        .await?;
    Ok(())
}

/// Records what the partner actually charged (minor units).
pub async fn set_amount(db: impl PgExecutor<'_>, id: Uuid, amount_minor: i64) -> StoreResult<()> {
    sqlx::query("UPDATE procurement_orders SET amount_minor = $2 WHERE id = $1")
        .bind(id)
        .bind(amount_minor)
        .execute(db)
        .await?;
    Ok(())
}

/// A placed order could not be delivered (e.g. a jammed dispense): `failed`, an operator's
/// exception, with the partner's error code and message.
pub async fn mark_failed(
    db: impl PgExecutor<'_>,
    id: Uuid,
    error_code: &str,
    error: &str,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE procurement_orders
         SET status = 'failed', last_error_code = $2, last_error = $3, next_attempt_at = NULL
         WHERE id = $1",
    )
    .bind(id)
    .bind(error_code)
    .bind(error)
    .execute(db)
    .await?;
    Ok(())
}

/// Records an operator exception on a sub-order without changing its status (an order still
/// waiting for its partner, past the time it should have taken): its `last_error_code` and
/// `last_error` become `error_code` and `error`. True only the first time (false when it already
/// carries `error_code`), so whoever raises it alerts once.
pub async fn flag_exception(
    db: impl PgExecutor<'_>,
    id: Uuid,
    error_code: &str,
    error: &str,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE procurement_orders SET last_error_code = $2, last_error = $3
         WHERE id = $1 AND last_error_code IS DISTINCT FROM $2",
    )
    .bind(id)
    .bind(error_code)
    .bind(error)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Delivered: store the delivery content and move to `fulfilled` (the first delivery time stays).
pub async fn mark_delivered(
    db: impl PgExecutor<'_>,
    id: Uuid,
    delivery_content: &serde_json::Value,
) -> StoreResult<ProcurementOrder> {
    sqlx::query_as::<_, ProcurementOrder>(&format!(
        "UPDATE procurement_orders
         SET status = 'fulfilled', delivery_content = $2,
             delivered_at = coalesce(delivered_at, now()), next_attempt_at = NULL
         WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(delivery_content)
    .fetch_optional(db)
    .await?
    .ok_or(StoreError::NotFound("procurement order"))
}

/// Sets the status (callbacks: canceled, refunded, completed, ...).
pub async fn set_status(
    db: impl PgExecutor<'_>,
    id: Uuid,
    status: ProcurementStatus,
) -> StoreResult<ProcurementOrder> {
    sqlx::query_as::<_, ProcurementOrder>(&format!(
        "UPDATE procurement_orders SET status = $2 WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(status)
    .fetch_optional(db)
    .await?
    .ok_or(StoreError::NotFound("procurement order"))
}

/// Operator retry of a `failed` order: back to `pending`, due now. Other statuses are refused.
pub async fn retry_now(db: impl PgExecutor<'_> + Copy, id: Uuid) -> StoreResult<ProcurementOrder> {
    let updated = sqlx::query_as::<_, ProcurementOrder>(&format!(
        "UPDATE procurement_orders SET status = 'pending', next_attempt_at = now()
         WHERE id = $1 AND status = 'failed' RETURNING {COLUMNS}"
    ))
    .bind(id)
    .fetch_optional(db)
    .await?;
    match updated {
        Some(order) => Ok(order),
        None => {
            let current = super::get(db, id)
                .await?
                .ok_or(StoreError::NotFound("procurement order"))?;
            Err(StoreError::InvalidTransition {
                entity: "procurement order",
                from: current.status.to_string(),
                action: "retry",
            })
        }
    }
}
