//! Callbacks relayed one level down to downstream Dujiao-Next sites.
//!
//! Contract: [`enqueue`] is idempotent on the causing event id, so a redelivered event queues
//! nothing new. The body is stored byte-exact (it is what gets signed). A delivery is `delivered`
//! only when the relayer saw HTTP 200 + `ok:true`; each failure either schedules the next try or,
//! with none left, marks the delivery `failed`. [`claim_due`] hands each due delivery to one
//! relayer at a time (a lease, not a lock).

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::error::{StoreError, StoreResult};
use crate::Inserted;
use switchyard_domain::text_enum;

text_enum! {
    /// Delivery state of a relayed callback.
    CallbackStatus {
        /// Waiting for (another) try.
        Pending => "pending",
        /// The downstream answered 200 + ok:true.
        Delivered => "delivered",
        /// Every try failed.
        Failed => "failed",
    }
}

/// A stored callback delivery.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CallbackDelivery {
    /// Primary key.
    pub id: i64,
    /// The order the callback is about.
    pub order_id: Uuid,
    /// The downstream credential that signs it.
    pub credential_id: i64,
    /// The event that caused it.
    pub event_id: Option<Uuid>,
    /// Destination URL.
    pub url: String,
    /// Exact JSON body to send and sign.
    pub body: String,
    /// Delivery state.
    pub status: CallbackStatus,
    /// Tries made.
    pub attempts: i32,
    /// When the next try is due.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Last failure (no secrets).
    pub last_error: Option<String>,
    /// Last HTTP status seen.
    pub last_http_status: Option<i32>,
    /// When it was delivered.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A callback to relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCallback<'a> {
    /// The order the callback is about.
    pub order_id: Uuid,
    /// The downstream credential that signs it.
    pub credential_id: i64,
    /// The event that caused it.
    pub event_id: Uuid,
    /// Destination URL.
    pub url: &'a str,
    /// Exact JSON body.
    pub body: &'a str,
}

const COLUMNS: &str = "id, order_id, credential_id, event_id, url, body, status, attempts, \
                       next_attempt_at, last_error, last_http_status, delivered_at";

/// Queues a callback, due now; returns the existing one if `event_id` already queued one.
pub async fn enqueue(
    db: impl PgExecutor<'_>,
    new: &NewCallback<'_>,
) -> StoreResult<Inserted<CallbackDelivery>> {
    let (delivery, created): (CallbackDelivery, bool) = {
        let row = sqlx::query_as::<_, CreatedRow>(&format!(
            "INSERT INTO callback_deliveries (order_id, credential_id, event_id, url, body)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (event_id) DO UPDATE SET event_id = excluded.event_id
             RETURNING {COLUMNS}, (xmax = 0) AS created"
        ))
        .bind(new.order_id)
        .bind(new.credential_id)
        .bind(new.event_id)
        .bind(new.url)
        .bind(new.body)
        .fetch_one(db)
        .await?;
        (row.delivery, row.created)
    };
    Ok(if created {
        Inserted::Created(delivery)
    } else {
        Inserted::Existing(delivery)
    })
}

/// Takes up to `limit` due deliveries for one try each: their `next_attempt_at` moves `lease`
/// ahead, so another relayer (or this one's next poll) skips them while the try runs, and a relayer
/// killed mid-try only delays them until the lease runs out. Rows another process is claiming
/// right now are skipped.
pub async fn claim_due(
    db: impl PgExecutor<'_>,
    lease: Duration,
    limit: i64,
) -> StoreResult<Vec<CallbackDelivery>> {
    let claimed = sqlx::query_as::<_, CallbackDelivery>(&format!(
        "UPDATE callback_deliveries SET next_attempt_at = now() + $1
         WHERE id IN (SELECT id FROM callback_deliveries
                      WHERE status = 'pending' AND next_attempt_at <= now()
                      ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING {COLUMNS}"
    ))
    .bind(lease)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(claimed)
}

/// The downstream acknowledged it (200 + ok:true).
pub async fn mark_delivered(
    db: impl PgExecutor<'_>,
    id: i64,
    http_status: u16,
) -> StoreResult<CallbackDelivery> {
    sqlx::query_as::<_, CallbackDelivery>(&format!(
        "UPDATE callback_deliveries
         SET status = 'delivered', attempts = attempts + 1, last_http_status = $2,
             delivered_at = now(), next_attempt_at = NULL, last_error = NULL
         WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(i32::from(http_status))
    .fetch_optional(db)
    .await?
    .ok_or(StoreError::NotFound("callback delivery"))
}

/// A try failed: retry at `retry_at`, or mark the delivery `failed` when it is `None`.
pub async fn record_failure(
    db: impl PgExecutor<'_>,
    id: i64,
    error: &str,
    http_status: Option<u16>,
    retry_at: Option<DateTime<Utc>>,
) -> StoreResult<CallbackDelivery> {
    sqlx::query_as::<_, CallbackDelivery>(&format!(
        "UPDATE callback_deliveries
         SET attempts = attempts + 1, last_error = $2, last_http_status = $3, next_attempt_at = $4,
             status = CASE WHEN $4::timestamptz IS NULL THEN 'failed' ELSE 'pending' END
         WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(error)
    .bind(http_status.map(i32::from))
    .bind(retry_at)
    .fetch_optional(db)
    .await?
    .ok_or(StoreError::NotFound("callback delivery"))
}

/// Every delivery for an order, oldest first.
pub async fn for_order(
    db: impl PgExecutor<'_>,
    order_id: Uuid,
) -> StoreResult<Vec<CallbackDelivery>> {
    let found = sqlx::query_as::<_, CallbackDelivery>(&format!(
        "SELECT {COLUMNS} FROM callback_deliveries WHERE order_id = $1 ORDER BY id"
    ))
    .bind(order_id)
    .fetch_all(db)
    .await?;
    Ok(found)
}

#[derive(sqlx::FromRow)]
struct CreatedRow {
    #[sqlx(flatten)]
    delivery: CallbackDelivery,
    created: bool,
}
