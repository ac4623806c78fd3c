//! Which procurements a run covers: our outbound sub-orders of the connection created in the
//! period, in id order (the resume cursor is the last id handled).

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::error::StoreResult;
use crate::procurement::{ProcurementOrder, COLUMNS};

/// The period and connection of a run.
#[derive(Debug, Clone, Copy)]
pub struct InScope {
    /// The connection.
    pub connection_id: i64,
    /// Created at or after.
    pub from: DateTime<Utc>,
    /// Created before.
    pub to: DateTime<Utc>,
}

/// Up to `limit` procurements of `scope` with an id after `after`, in id order.
pub async fn in_period(
    db: impl PgExecutor<'_>,
    scope: &InScope,
    after: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<ProcurementOrder>> {
    let rows = sqlx::query_as::<_, ProcurementOrder>(&format!(
        "SELECT {COLUMNS} FROM procurement_orders
         WHERE connection_id = $1 AND source_type = 'outbound'
           AND created_at >= $2 AND created_at < $3 AND ($4::uuid IS NULL OR id > $4)
         ORDER BY id LIMIT $5"
    ))
    .bind(scope.connection_id)
    .bind(scope.from)
    .bind(scope.to)
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows)
}

/// How many procurements `scope` covers.
pub async fn in_period_count(db: impl PgExecutor<'_>, scope: &InScope) -> StoreResult<i64> {
    let count = sqlx::query_scalar(
        "SELECT count(*) FROM procurement_orders
         WHERE connection_id = $1 AND source_type = 'outbound'
           AND created_at >= $2 AND created_at < $3",
    )
    .bind(scope.connection_id)
    .bind(scope.from)
    .bind(scope.to)
    .fetch_one(db)
    .await?;
    Ok(count)
}

/// Of the partner's orders (its order id, our idempotency key as it echoes it), the ones we
/// have a procurement for on `connection_id`, whenever it was created (a period boundary never
/// makes an order look missing).
pub async fn known_upstream(
    db: impl PgExecutor<'_>,
    connection_id: i64,
    upstream_ids: &[String],
    idempotency_keys: &[String],
) -> StoreResult<Vec<(Option<String>, String)>> {
    let rows = sqlx::query_as(
        "SELECT upstream_order_id, idempotency_key FROM procurement_orders
         WHERE connection_id = $1
           AND (upstream_order_id = ANY($2) OR idempotency_key = ANY($3))",
    )
    .bind(connection_id)
    .bind(upstream_ids)
    .bind(idempotency_keys)
    .fetch_all(db)
    .await?;
    Ok(rows)
}
