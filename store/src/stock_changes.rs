//! The stock-change journal (`stock_changes`, migration 0016): every change of a SKU's stock,
//! price or sellability, waiting to be announced as a `stock.changed` event.
//!
//! Contract: rows are written in the transaction of the change (the `skus` trigger, and
//! [`crate::upstream_stock`] for upstream-only changes), so a change that commits is never lost.
//! [`take`] removes the oldest rows in the caller's transaction and returns them in journal
//! order; the caller writes their events to the outbox in that same transaction, so each row
//! becomes exactly one outbox event. Callers serialise on [`PUBLISH_LOCK`] so per-SKU order
//! holds across replicas.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::error::StoreResult;
use switchyard_domain::Currency;

/// Transaction-scoped advisory lock taken by the one publisher at a time ("STOCKCHG").
pub const PUBLISH_LOCK: i64 = 0x5354_4f43_4b43_4847;

/// One journalled change.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StockChange {
    /// Journal position.
    pub id: i64,
    /// Our SKU.
    pub sku_id: i64,
    /// Our SKU code.
    pub sku_code: String,
    /// `DUJIAO_UPSTREAM`, `VENDING`, `WDT` or `LOCAL`.
    pub source: String,
    /// `SYNC`, `RESERVED`, `RELEASED`, `SOLD` or `ADJUSTED`.
    pub reason: String,
    /// The upstream connection, for a synced change.
    pub connection_id: Option<i64>,
    /// Units after the change; -1 unlimited.
    pub quantity: i32,
    /// Stock level after the change (`skus.stock_status`).
    pub stock_status: String,
    /// Our selling price after the change.
    pub price_minor: i64,
    /// Its currency.
    pub currency: Currency,
    /// Whether the price changed.
    pub price_changed: bool,
    /// Whether the SKU can be sold after the change.
    pub is_active: bool,
    /// When the change happened.
    pub observed_at: DateTime<Utc>,
}

/// Takes the transaction-scoped publish lock; false when another publisher holds it.
pub async fn try_lock(tx: &mut PgConnection) -> StoreResult<bool> {
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
        .bind(PUBLISH_LOCK)
        .fetch_one(&mut *tx)
        .await?;
    Ok(locked)
}

/// Removes and returns up to `limit` of the oldest changes, oldest first.
pub async fn take(tx: &mut PgConnection, limit: i64) -> StoreResult<Vec<StockChange>> {
    let mut rows = sqlx::query_as::<_, StockChange>(
        "DELETE FROM stock_changes c
         WHERE c.id IN (SELECT id FROM stock_changes ORDER BY id LIMIT $1)
         RETURNING c.id, c.sku_id, (SELECT sku_code FROM skus WHERE skus.id = c.sku_id) AS sku_code,
                   c.source, c.reason, c.connection_id, c.quantity, c.stock_status, c.price_minor, c.currency,
                   c.price_changed, c.is_active, c.observed_at",
    )
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    rows.sort_by_key(|row| row.id);
    Ok(rows)
}

/// Changes waiting (for metrics and tests).
pub async fn pending(db: impl sqlx::PgExecutor<'_>) -> StoreResult<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM stock_changes")
        .fetch_one(db)
        .await?)
}
