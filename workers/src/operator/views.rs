//! JSON views of procurement orders and attempts for operators (no delivery content).

use chrono::{DateTime, Utc};
use serde::Serialize;
use switchyard_store::procurement::{ProcurementAttempt, ProcurementOrder};
use uuid::Uuid;

/// A sub-order as an operator sees it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ProcurementView {
    /// Our id.
    pub id: Uuid,
    /// The parent order.
    pub order_id: Uuid,
    /// `local_stock`, `dujiao_upstream`, `vending`, `wdt_erp`.
    pub fulfiller: Option<String>,
    /// The partner connection.
    pub connection_id: Option<i64>,
    /// Status (`pending`, `accepted`, `fulfilled`, `failed`, …).
    pub status: String,
    /// The partner's idempotency key.
    pub idempotency_key: String,
    /// The partner's order id.
    pub upstream_order_id: Option<String>,
    /// Amount, minor units.
    pub amount_minor: i64,
    /// Currency.
    pub currency: String,
    /// Attempts made.
    pub attempts: i32,
    /// Next attempt, when one is scheduled.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Last failure's code.
    pub last_error_code: Option<String>,
    /// Last failure's reason.
    pub last_error: Option<String>,
    /// Whether delivery content is stored (the content itself is the buyer's).
    pub delivered: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl From<&ProcurementOrder> for ProcurementView {
    fn from(row: &ProcurementOrder) -> Self {
        Self {
            id: row.id,
            order_id: row.order_id,
            fulfiller: row.fulfiller.map(|kind| kind.as_str().to_owned()),
            connection_id: row.connection_id,
            status: row.status.as_str().to_owned(),
            idempotency_key: row.idempotency_key.clone(),
            upstream_order_id: row.upstream_order_id.clone(),
            amount_minor: row.amount_minor,
            currency: row.currency.to_string(),
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at,
            last_error_code: row.last_error_code.clone(),
            last_error: row.last_error.clone(),
            delivered: row.delivery_content.is_some(),
            created_at: row.created_at,
        }
    }
}

/// One attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct AttemptView {
    /// 1-based number.
    pub attempt_no: i32,
    /// When.
    pub attempted_at: DateTime<Utc>,
    /// `succeeded`, `transient_failure`, `permanent_failure`.
    pub outcome: String,
    /// The partner's code.
    pub error_code: Option<String>,
    /// Why.
    pub error: Option<String>,
    /// HTTP status of the answer.
    pub http_status: Option<i32>,
}

impl From<&ProcurementAttempt> for AttemptView {
    fn from(row: &ProcurementAttempt) -> Self {
        Self {
            attempt_no: row.attempt_no,
            attempted_at: row.attempted_at,
            outcome: row.outcome.as_str().to_owned(),
            error_code: row.error_code.clone(),
            error: row.error.clone(),
            http_status: row.http_status,
        }
    }
}

/// A sub-order with its attempts.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ProcurementDetail {
    /// The sub-order.
    pub procurement: ProcurementView,
    /// Every attempt, in order.
    pub attempts: Vec<AttemptView>,
}
