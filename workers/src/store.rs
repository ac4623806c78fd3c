//! Worker-specific SQL over the migrations' schema (what the shared store crate does not offer).
//!
//! Contract: claims are leases. [`claim_procurement`] and [`claim_due_procurements`] move
//! `next_attempt_at` into the future for the claiming process, so two processes (or a handler
//! and the retry loop) never place the same sub-order at once, and a process killed mid-attempt
//! only delays the sub-order until the lease runs out. The same holds for callback deliveries.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection, PgExecutor};
use switchyard_store::callbacks::CallbackDelivery;
use switchyard_store::orders::{Channel, OrderStatus};
use switchyard_store::procurement::ProcurementStatus;
use switchyard_store::Currency;
use uuid::Uuid;

use crate::error::StepError;

/// The parent order fields the workers need.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ParentRow {
    /// Our id.
    pub id: Uuid,
    /// Our order number (`SY000000000001`).
    pub order_no: String,
    /// Sales channel.
    pub channel: Channel,
    /// The channel's id for it.
    pub channel_order_id: String,
    /// The downstream credential that placed it (Dujiao downstream orders).
    pub source_credential_id: Option<i64>,
    /// Current status.
    pub status: OrderStatus,
    /// Total in minor units.
    pub total_minor: i64,
    /// Currency of the total.
    pub currency: Currency,
    /// Where status callbacks go.
    pub callback_url: Option<String>,
    /// The channel's trace id.
    pub trace_id: Option<String>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

const PARENT_COLUMNS: &str = "id, order_no, channel, channel_order_id, source_credential_id, \
                              status, total_minor, currency, callback_url, trace_id, updated_at";

/// Locks the order row for the rest of the transaction and returns it.
pub async fn lock_order(conn: &mut PgConnection, id: Uuid) -> Result<Option<ParentRow>, StepError> {
    let row = sqlx::query_as::<_, ParentRow>(&format!(
        "SELECT {PARENT_COLUMNS} FROM orders WHERE id = $1 FOR UPDATE"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row)
}

/// Reads the order without locking.
pub async fn order(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<ParentRow>, StepError> {
    let row = sqlx::query_as::<_, ParentRow>(&format!(
        "SELECT {PARENT_COLUMNS} FROM orders WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await?;
    Ok(row)
}

/// Sets the status of an order the caller has locked.
pub async fn set_order_status(
    db: impl PgExecutor<'_>,
    id: Uuid,
    status: OrderStatus,
) -> Result<ParentRow, StepError> {
    let row = sqlx::query_as::<_, ParentRow>(&format!(
        "UPDATE orders SET status = $2 WHERE id = $1 RETURNING {PARENT_COLUMNS}"
    ))
    .bind(id)
    .bind(status)
    .fetch_one(db)
    .await?;
    Ok(row)
}

/// Takes a pending sub-order for one placement attempt; false when another process holds it,
/// it is not due yet, or it is no longer pending.
pub async fn claim_procurement(
    db: impl PgExecutor<'_>,
    id: Uuid,
    lease: Duration,
) -> Result<bool, StepError> {
    let claimed = sqlx::query(
        "UPDATE procurement_orders SET next_attempt_at = now() + $2
         WHERE id = $1 AND status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= now())",
    )
    .bind(id)
    .bind(lease)
    .execute(db)
    .await?;
    Ok(claimed.rows_affected() == 1)
}

/// Takes up to `limit` pending sub-orders whose retry is due (skipping rows another process is
/// claiming right now).
pub async fn claim_due_procurements(
    db: impl PgExecutor<'_>,
    lease: Duration,
    limit: i64,
) -> Result<Vec<Uuid>, StepError> {
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

/// The fulfiller took the sub-order: store its ids and move it to `status`, unless a report
/// already moved it further (a dispense result can overtake the attempt that caused it).
pub async fn mark_placed(
    db: impl PgExecutor<'_>,
    id: Uuid,
    status: ProcurementStatus,
    upstream_order_id: Option<&str>,
    upstream_order_no: Option<&str>,
) -> Result<(), StepError> {
    sqlx::query(
        "UPDATE procurement_orders
         SET status = CASE WHEN status IN ('pending', 'submitted') THEN $2 ELSE status END,
             upstream_order_id = coalesce($3, upstream_order_id),
             upstream_order_no = coalesce($4, upstream_order_no), next_attempt_at = NULL
         WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(upstream_order_id)
    .bind(upstream_order_no)
    .execute(db)
    .await?;
    Ok(())
}

/// Records what the fulfiller actually charged.
pub async fn set_procurement_amount(
    db: impl PgExecutor<'_>,
    id: Uuid,
    amount_minor: i64,
) -> Result<(), StepError> {
    sqlx::query("UPDATE procurement_orders SET amount_minor = $2 WHERE id = $1")
        .bind(id)
        .bind(amount_minor)
        .execute(db)
        .await?;
    Ok(())
}

/// A placed sub-order could not be delivered (e.g. a jammed dispense): an operator's exception.
pub async fn mark_procurement_failed(
    db: impl PgExecutor<'_>,
    id: Uuid,
    error_code: &str,
    error: &str,
) -> Result<(), StepError> {
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

/// One order line covered by a sub-order.
#[derive(Clone, PartialEq, FromRow)]
pub struct CoveredLine {
    /// Order line id.
    pub order_item_id: i64,
    /// Line number in the parent order.
    pub line_no: i32,
    /// Our SKU.
    pub sku_id: Option<i64>,
    /// Units covered.
    pub quantity: i32,
    /// Our unit price (minor units).
    pub unit_price_minor: i64,
    /// Buyer form input (may hold personal data: never log it).
    pub manual_form_data: Option<serde_json::Value>,
}

/// The order lines a sub-order covers, by line number.
pub async fn covered_lines(
    db: impl PgExecutor<'_>,
    procurement_id: Uuid,
) -> Result<Vec<CoveredLine>, StepError> {
    let lines = sqlx::query_as::<_, CoveredLine>(
        "SELECT i.id AS order_item_id, i.line_no, i.sku_id, p.quantity, i.unit_price_minor,
                i.manual_form_data
         FROM procurement_order_items p JOIN order_items i ON i.id = p.order_item_id
         WHERE p.procurement_order_id = $1 ORDER BY i.line_no",
    )
    .bind(procurement_id)
    .fetch_all(db)
    .await?;
    Ok(lines)
}

/// Stores the fulfiller's order id as soon as it is known (before later steps of the attempt).
pub async fn set_upstream_order_id(
    db: impl PgExecutor<'_>,
    id: Uuid,
    upstream_order_id: &str,
) -> Result<(), StepError> {
    sqlx::query("UPDATE procurement_orders SET upstream_order_id = $2 WHERE id = $1")
        .bind(id)
        .bind(upstream_order_id)
        .execute(db)
        .await?;
    Ok(())
}

/// Vending sub-orders the platform knows by `vending_order_id`.
pub async fn vending_procurements(
    db: impl PgExecutor<'_>,
    vending_order_id: &str,
) -> Result<Vec<Uuid>, StepError> {
    let ids = sqlx::query_scalar(
        "SELECT id FROM procurement_orders
         WHERE fulfiller = 'vending' AND upstream_order_id = $1 ORDER BY created_at",
    )
    .bind(vending_order_id)
    .fetch_all(db)
    .await?;
    Ok(ids)
}

/// Takes up to `limit` due callback deliveries for one attempt each.
pub async fn claim_due_callbacks(
    db: impl PgExecutor<'_>,
    lease: Duration,
    limit: i64,
) -> Result<Vec<CallbackDelivery>, StepError> {
    let rows = sqlx::query_as::<_, CallbackDelivery>(
        "UPDATE callback_deliveries SET next_attempt_at = now() + $1
         WHERE id IN (SELECT id FROM callback_deliveries
                      WHERE status = 'pending' AND next_attempt_at <= now()
                      ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING id, order_id, credential_id, event_id, url, body, status, attempts,
                   next_attempt_at, last_error, last_http_status, delivered_at",
    )
    .bind(lease)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows)
}
