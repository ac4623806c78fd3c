//! Procurement orders (sub-orders per fulfiller) and their attempt log.
//!
//! Contract: [`create`] is idempotent on (connection, idempotency_key) — the key the partner
//! dedupes on — so a redelivered event finds the existing procurement order instead of placing a
//! second one. [`record_attempt`] appends one `procurement_attempts` row and updates the
//! counters, error and `next_attempt_at` together. [`claim`] and [`claim_due`] lease a pending
//! order to one placing process at a time. A permanent failure leaves the row `failed` for
//! an operator; nothing here cancels or refunds automatically.

use chrono::{DateTime, Utc};
use sqlx::{Acquire, PgConnection, PgExecutor};
use uuid::Uuid;

use crate::error::StoreResult;
use crate::mappings::FulfillerKind;
use crate::Inserted;
use switchyard_domain::{text_enum, Currency};

pub use switchyard_domain::ProcurementStatus;

mod attempts;
mod claims;
mod lines;
mod progress;
mod waiting;

pub use attempts::{attempts, record_attempt, AttemptOutcome, AttemptReport, ProcurementAttempt};
pub use claims::{claim, claim_due};
pub use lines::{covered_lines, CoveredLine};
pub use progress::{
    flag_exception, mark_delivered, mark_failed, mark_placed, retry_now, set_amount, set_status,
    set_upstream_order_id,
};
pub use waiting::{wait_for_connection, wake_waiting, WAITING_FOR_CONNECTION};

text_enum! {
    /// Whether we buy or sell.
    SourceType {
        /// A downstream site buys from us.
        Inbound => "inbound",
        /// We buy from a partner.
        Outbound => "outbound",
    }
}

/// A stored procurement order.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ProcurementOrder {
    /// Our id.
    pub id: Uuid,
    /// The parent order.
    pub order_id: Uuid,
    /// Buy or sell.
    pub source_type: SourceType,
    /// Who fulfils it (outbound).
    pub fulfiller: Option<FulfillerKind>,
    /// The partner connection (remote fulfillers).
    pub connection_id: Option<i64>,
    /// The downstream credential (inbound).
    pub credential_id: Option<i64>,
    /// Current status.
    pub status: ProcurementStatus,
    /// The partner's idempotency key (downstream_order_no, trade_id, tid).
    pub idempotency_key: String,
    /// The partner's order id.
    pub upstream_order_id: Option<String>,
    /// The partner's order number.
    pub upstream_order_no: Option<String>,
    /// Amount in minor units.
    pub amount_minor: i64,
    /// Currency.
    pub currency: Currency,
    /// Attempts made so far.
    pub attempts: i32,
    /// When the next retry is due.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The partner's error code from the last failure.
    pub last_error_code: Option<String>,
    /// The last failure's message (no secrets or personal data).
    pub last_error: Option<String>,
    /// What was delivered (codes, payload).
    pub delivery_content: Option<serde_json::Value>,
    /// When it was delivered.
    pub delivered_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A new procurement order covering some lines of its parent order.
#[derive(Debug, Clone)]
pub struct NewProcurement {
    /// Our id.
    pub id: Uuid,
    /// The parent order.
    pub order_id: Uuid,
    /// Buy or sell.
    pub source_type: SourceType,
    /// Who fulfils it.
    pub fulfiller: Option<FulfillerKind>,
    /// The partner connection.
    pub connection_id: Option<i64>,
    /// The downstream credential (inbound).
    pub credential_id: Option<i64>,
    /// The partner's idempotency key; deterministic so a redelivery computes the same one.
    pub idempotency_key: String,
    /// Amount in minor units.
    pub amount_minor: i64,
    /// Currency.
    pub currency: Currency,
    /// (order line id, quantity) covered.
    pub items: Vec<(i64, i32)>,
}

/// Filters for the operator list; unset fields match everything.
#[derive(Debug, Clone, Default)]
pub struct ProcurementFilter {
    /// Only this status.
    pub status: Option<ProcurementStatus>,
    /// Only this connection.
    pub connection_id: Option<i64>,
    /// Created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before.
    pub created_to: Option<DateTime<Utc>>,
    /// At most this many (newest first); 0 means 100.
    pub limit: i64,
}

pub(crate) const COLUMNS: &str = "id, order_id, source_type, fulfiller, connection_id, credential_id, \
                                  status, idempotency_key, upstream_order_id, upstream_order_no, \
                                  amount_minor, currency, attempts, next_attempt_at, last_error_code, \
                                  last_error, delivery_content, delivered_at, created_at, updated_at";

/// Stores a procurement order and its lines, or returns the one with the same
/// (connection, idempotency_key).
pub async fn create(
    conn: &mut PgConnection,
    new: &NewProcurement,
) -> StoreResult<Inserted<ProcurementOrder>> {
    let mut tx = conn.begin().await?;
    let created = sqlx::query_as::<_, ProcurementOrder>(&format!(
        "INSERT INTO procurement_orders (id, order_id, source_type, fulfiller, connection_id,
                                         credential_id, idempotency_key, amount_minor, currency)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (connection_id, idempotency_key) DO NOTHING
         RETURNING {COLUMNS}"
    ))
    .bind(new.id)
    .bind(new.order_id)
    .bind(new.source_type)
    .bind(new.fulfiller)
    .bind(new.connection_id)
    .bind(new.credential_id)
    .bind(&new.idempotency_key)
    .bind(new.amount_minor)
    .bind(new.currency)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(procurement) = created else {
        let existing = sqlx::query_as::<_, ProcurementOrder>(&format!(
            "SELECT {COLUMNS} FROM procurement_orders
             WHERE connection_id IS NOT DISTINCT FROM $1 AND idempotency_key = $2"
        ))
        .bind(new.connection_id)
        .bind(&new.idempotency_key)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        return Ok(Inserted::Existing(existing));
    };
    for (order_item_id, quantity) in &new.items {
        sqlx::query(
            "INSERT INTO procurement_order_items (procurement_order_id, order_item_id, quantity)
             VALUES ($1, $2, $3)",
        )
        .bind(procurement.id)
        .bind(order_item_id)
        .bind(quantity)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Inserted::Created(procurement))
}

/// The procurement order with id `id`.
pub async fn get(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<Option<ProcurementOrder>> {
    let found = sqlx::query_as::<_, ProcurementOrder>(&format!(
        "SELECT {COLUMNS} FROM procurement_orders WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await?;
    Ok(found)
}

/// The procurement order `id`, locked until the caller's transaction ends: two reports of one
/// order (an upstream callback and a fallback poll) are applied one after the other, and the
/// second sees the first.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> StoreResult<Option<ProcurementOrder>> {
    let found = sqlx::query_as::<_, ProcurementOrder>(&format!(
        "SELECT {COLUMNS} FROM procurement_orders WHERE id = $1 FOR UPDATE"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(found)
}

/// The procurement order a partner knows by our idempotency key (a callback's
/// `downstream_order_no`, a vending `trade_id`).
pub async fn by_idempotency_key(
    db: impl PgExecutor<'_>,
    connection_id: i64,
    idempotency_key: &str,
) -> StoreResult<Option<ProcurementOrder>> {
    let found = sqlx::query_as::<_, ProcurementOrder>(&format!(
        "SELECT {COLUMNS} FROM procurement_orders WHERE connection_id = $1 AND idempotency_key = $2"
    ))
    .bind(connection_id)
    .bind(idempotency_key)
    .fetch_optional(db)
    .await?;
    Ok(found)
}

/// The sub-orders `fulfiller` knows by its order id `upstream_order_id`, oldest first (a vending
/// dispense result names the platform's order, which may cover several sub-orders).
pub async fn by_upstream_order_id(
    db: impl PgExecutor<'_>,
    fulfiller: FulfillerKind,
    upstream_order_id: &str,
) -> StoreResult<Vec<Uuid>> {
    let ids = sqlx::query_scalar(
        "SELECT id FROM procurement_orders
         WHERE fulfiller = $1 AND upstream_order_id = $2 ORDER BY created_at",
    )
    .bind(fulfiller)
    .bind(upstream_order_id)
    .fetch_all(db)
    .await?;
    Ok(ids)
}

/// Every procurement order of a parent order (to decide delivered vs partially delivered).
pub async fn for_order(
    db: impl PgExecutor<'_>,
    order_id: Uuid,
) -> StoreResult<Vec<ProcurementOrder>> {
    let found = sqlx::query_as::<_, ProcurementOrder>(&format!(
        "SELECT {COLUMNS} FROM procurement_orders WHERE order_id = $1 ORDER BY created_at, id"
    ))
    .bind(order_id)
    .fetch_all(db)
    .await?;
    Ok(found)
}

/// The operator list: filtered by status, connection and creation period, newest first.
pub async fn list(
    db: impl PgExecutor<'_>,
    filter: &ProcurementFilter,
) -> StoreResult<Vec<ProcurementOrder>> {
    let limit = if filter.limit > 0 { filter.limit } else { 100 };
    let found = sqlx::query_as::<_, ProcurementOrder>(&format!(
        "SELECT {COLUMNS} FROM procurement_orders
         WHERE ($1::text IS NULL OR status = $1)
           AND ($2::bigint IS NULL OR connection_id = $2)
           AND ($3::timestamptz IS NULL OR created_at >= $3)
           AND ($4::timestamptz IS NULL OR created_at < $4)
         ORDER BY created_at DESC, id DESC LIMIT $5"
    ))
    .bind(filter.status)
    .bind(filter.connection_id)
    .bind(filter.created_from)
    .bind(filter.created_to)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(found)
}
