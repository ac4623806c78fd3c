//! The attempt log of procurement orders: one append-only row per call made to a partner.
//!
//! Contract: [`record_attempt`] numbers attempts from 1 and updates the order's counters, last
//! error, `next_attempt_at` and (for a failure with no retry left) its `failed` status in the same
//! transaction as the log row.

use chrono::{DateTime, Utc};
use sqlx::{Acquire, PgConnection, PgExecutor};
use uuid::Uuid;

use crate::error::{StoreError, StoreResult};
use switchyard_domain::text_enum;

text_enum! {
    /// How one attempt ended.
    AttemptOutcome {
        /// The partner accepted the call.
        Succeeded => "succeeded",
        /// Worth retrying (timeout, 5xx, 429).
        TransientFailure => "transient_failure",
        /// Never retried (insufficient_balance, 4xx, ...).
        PermanentFailure => "permanent_failure",
    }
}

/// One recorded attempt.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ProcurementAttempt {
    /// 1-based attempt number.
    pub attempt_no: i32,
    /// When it was made.
    pub attempted_at: DateTime<Utc>,
    /// How it ended.
    pub outcome: AttemptOutcome,
    /// The partner's error code.
    pub error_code: Option<String>,
    /// The error message (no secrets or personal data).
    pub error: Option<String>,
    /// HTTP status, when a response came back.
    pub http_status: Option<i32>,
}

/// An attempt to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptReport {
    /// How it ended.
    pub outcome: AttemptOutcome,
    /// The partner's error code.
    pub error_code: Option<String>,
    /// The error message (no secrets or personal data).
    pub error: Option<String>,
    /// HTTP status, when a response came back.
    pub http_status: Option<u16>,
    /// When to retry (transient failures with retries left); `None` stops retrying.
    pub retry_at: Option<DateTime<Utc>>,
}

/// Appends an attempt and updates the order: a success clears the error and the retry, a
/// transient failure with `retry_at` stays `pending` until then, any other failure becomes `failed`.
pub async fn record_attempt(
    conn: &mut PgConnection,
    id: Uuid,
    report: &AttemptReport,
) -> StoreResult<ProcurementAttempt> {
    let mut tx = conn.begin().await?;
    let failed_for_good = report.outcome != AttemptOutcome::Succeeded && report.retry_at.is_none();
    let attempt_no: i32 = sqlx::query_scalar(
        "UPDATE procurement_orders
         SET attempts = attempts + 1,
             next_attempt_at = $2,
             last_error_code = CASE WHEN $3 THEN NULL ELSE $4 END,
             last_error = CASE WHEN $3 THEN NULL ELSE $5 END,
             status = CASE WHEN $6 THEN 'failed' ELSE status END
         WHERE id = $1 RETURNING attempts",
    )
    .bind(id)
    .bind(report.retry_at)
    .bind(report.outcome == AttemptOutcome::Succeeded)
    .bind(&report.error_code)
    .bind(&report.error)
    .bind(failed_for_good)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound("procurement order"))?;
    let attempt = sqlx::query_as::<_, ProcurementAttempt>(
        "INSERT INTO procurement_attempts
             (procurement_order_id, attempt_no, outcome, error_code, error, http_status)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING attempt_no, attempted_at, outcome, error_code, error, http_status",
    )
    .bind(id)
    .bind(attempt_no)
    .bind(report.outcome)
    .bind(&report.error_code)
    .bind(&report.error)
    .bind(report.http_status.map(i32::from))
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(attempt)
}

/// The attempts of a procurement order, in order.
pub async fn attempts(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<Vec<ProcurementAttempt>> {
    let found = sqlx::query_as::<_, ProcurementAttempt>(
        "SELECT attempt_no, attempted_at, outcome, error_code, error, http_status
         FROM procurement_attempts WHERE procurement_order_id = $1 ORDER BY attempt_no",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    Ok(found)
}
