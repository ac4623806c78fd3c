//! Local stock: availability checks, per-order reservations and operator adjustments.
//!
//! Contract: [`reserve`] takes units from `skus.stock_quantity` (unlimited SKUs are never
//! decremented) and records a reservation keyed by (order, SKU), so calling it again for the same
//! order and SKU changes nothing. [`release`] returns the units only while the reservation is still
//! `reserved`, so a repeated cancel never adds stock twice. Both fail without writing anything.

use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::atomic::Atomic;
use crate::catalog::{Sku, SKU_COLUMNS};
use crate::error::{StoreError, StoreResult};

/// The SKU if it is active (and its fulfiller mapping, if any, is switched on), its product active and not deleted, and it has `quantity` units.
pub async fn check(db: impl PgExecutor<'_>, sku_id: i64, quantity: i32) -> StoreResult<Sku> {
    let sku = sqlx::query_as::<_, Sku>(&format!(
        "SELECT {} FROM skus s JOIN products p ON p.id = s.product_id
         WHERE s.id = $1 AND sku_sellable(s.id, s.is_active) AND p.is_active AND p.deleted_at IS NULL",
        qualified_sku_columns()
    ))
    .bind(sku_id)
    .fetch_optional(db)
    .await?
    .ok_or(StoreError::SkuUnavailable)?;
    ensure_units(&sku, quantity)?;
    Ok(sku)
}

/// [`StoreError::InsufficientStock`] unless `sku` is unlimited or has `quantity` units.
pub(crate) fn ensure_units(sku: &Sku, quantity: i32) -> StoreResult<()> {
    if sku.stock_quantity != -1 && sku.stock_quantity < quantity {
        return Err(StoreError::InsufficientStock);
    }
    Ok(())
}

/// Reserves `quantity` units of `sku_id` for `order_id`; idempotent per (order, SKU).
pub async fn reserve(
    conn: &mut PgConnection,
    order_id: Uuid,
    sku_id: i64,
    quantity: i32,
) -> StoreResult<()> {
    if quantity <= 0 {
        return Err(StoreError::Constraint {
            constraint: "stock_reservations_quantity_check".into(),
        });
    }
    let mut tx = Atomic::begin(conn).await?;
    let created = sqlx::query(
        "INSERT INTO stock_reservations (order_id, sku_id, quantity) VALUES ($1, $2, $3)
         ON CONFLICT (order_id, sku_id) DO NOTHING",
    )
    .bind(order_id)
    .bind(sku_id)
    .bind(quantity)
    .execute(&mut *tx)
    .await?;
    if created.rows_affected() == 0 {
        return Ok(()); // already reserved by an earlier call for this order
    }
    let sku = check(&mut *tx, sku_id, quantity).await?;
    if sku.stock_quantity != -1 {
        // Unlimited stock is never decremented (nor its row locked); otherwise take the units
        // unless a concurrent order took them since the check.
        let taken = sqlx::query(
            "UPDATE skus SET stock_quantity = stock_quantity - $2
             WHERE id = $1 AND stock_quantity <> -1 AND stock_quantity >= $2",
        )
        .bind(sku_id)
        .bind(quantity)
        .execute(&mut *tx)
        .await?;
        if taken.rows_affected() == 0 {
            return Err(StoreError::InsufficientStock);
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Returns the units reserved for `order_id` on `sku_id`; `false` when nothing was reserved or it
/// was already released or consumed.
pub async fn release(conn: &mut PgConnection, order_id: Uuid, sku_id: i64) -> StoreResult<bool> {
    let mut tx = Atomic::begin(conn).await?;
    let quantity: Option<i32> = sqlx::query_scalar(
        "UPDATE stock_reservations SET status = 'released'
         WHERE order_id = $1 AND sku_id = $2 AND status = 'reserved' RETURNING quantity",
    )
    .bind(order_id)
    .bind(sku_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(quantity) = quantity else {
        return Ok(false);
    };
    sqlx::query(
        "UPDATE skus SET stock_quantity = stock_quantity + $2 WHERE id = $1 AND stock_quantity <> -1",
    )
    .bind(sku_id)
    .bind(quantity)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Marks the reservation as delivered (the units are gone for good); `false` if not reserved.
pub async fn consume(db: impl PgExecutor<'_>, order_id: Uuid, sku_id: i64) -> StoreResult<bool> {
    let updated = sqlx::query(
        "UPDATE stock_reservations SET status = 'consumed'
         WHERE order_id = $1 AND sku_id = $2 AND status = 'reserved'",
    )
    .bind(order_id)
    .bind(sku_id)
    .execute(db)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Sets the units on hand (operator or stock sync); -1 = unlimited.
pub async fn set_quantity(db: impl PgExecutor<'_>, sku_id: i64, quantity: i32) -> StoreResult<Sku> {
    sqlx::query_as::<_, Sku>(&format!(
        "UPDATE skus SET stock_quantity = $2 WHERE id = $1 RETURNING {SKU_COLUMNS}"
    ))
    .bind(sku_id)
    .bind(quantity)
    .fetch_optional(db)
    .await?
    .ok_or(StoreError::NotFound("sku"))
}

pub(crate) fn qualified_sku_columns() -> String {
    SKU_COLUMNS
        .split(", ")
        .map(|column| format!("s.{column}"))
        .collect::<Vec<_>>()
        .join(", ")
}
