//! The order list a provider serves to one downstream credential: its orders placed in a time
//! range, oldest first, a page at a time.
//!
//! Contract: only orders the credential placed through the provider API are listed (each with
//! the `downstream_order_no` it was placed with); the order is (created_at, id), so pages are
//! stable while the range is in the past. Reads use `orders_source_credential_idx`.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::error::StoreResult;
use crate::orders::{self, Order};
use crate::provider_orders::qualified;

/// One listed order.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListedOrder {
    /// The order.
    #[sqlx(flatten)]
    pub order: Order,
    /// The downstream site's idempotency key it was placed with.
    pub downstream_order_no: String,
}

/// The range and page asked for.
#[derive(Debug, Clone, Copy)]
pub struct ListRange {
    /// The calling credential.
    pub credential_id: i64,
    /// Placed at or after.
    pub from: DateTime<Utc>,
    /// Placed before.
    pub to: DateTime<Utc>,
    /// 1-based page.
    pub page: u32,
    /// Orders per page (at least 1).
    pub page_size: u32,
}

/// One page of the range, and how many orders the whole range holds.
pub async fn page(pool: &PgPool, range: ListRange) -> StoreResult<(Vec<ListedOrder>, u64)> {
    let total: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM orders
         WHERE source_credential_id = $1 AND created_at >= $2 AND created_at < $3",
    )
    .bind(range.credential_id)
    .bind(range.from)
    .bind(range.to)
    .fetch_one(pool)
    .await?;
    let size = range.page_size.max(1);
    let offset = i64::from(range.page.max(1) - 1) * i64::from(size);
    let orders = sqlx::query_as::<_, ListedOrder>(&format!(
        "SELECT {}, r.downstream_order_no
         FROM orders o JOIN provider_order_requests r ON r.order_id = o.id
         WHERE o.source_credential_id = $1 AND o.created_at >= $2 AND o.created_at < $3
         ORDER BY o.created_at, o.id
         LIMIT $4 OFFSET $5",
        qualified(orders::COLUMNS)
    ))
    .bind(range.credential_id)
    .bind(range.from)
    .bind(range.to)
    .bind(i64::from(size))
    .bind(offset)
    .fetch_all(pool)
    .await?;
    Ok((orders, u64::try_from(total).unwrap_or_default()))
}
