//! What an upstream Dujiao-Next site says became of one of our sub-orders, applied to it and its
//! parent. One path for both ways we learn it — a callback (the callback-relayer) and the
//! expiry-sweeper's fallback poll of `GET /orders/:id` — so both change exactly the same things.
//!
//! Contract:
//! - [`read`] asks the upstream for the order (`GET /orders/:id`); a retryable failure is
//!   [`StepError::PartnerUnavailable`], any other an invalid step.
//! - [`delivery_content`] is what we store from a delivered answer (its fulfillment).
//! - [`apply`] runs one transaction: it records the consumed event id when there is one (a
//!   redelivered event then changes nothing), locks the sub-order and stops when it is already
//!   there, stores the delivery content and consumes the reserved stock (delivered) or sets the
//!   status (canceled, refunded), re-derives the parent — which queues a downstream site's
//!   callback — and writes its `orders.status-changed` into the outbox. After the commit it wakes
//!   the outbox drainer and, when the parent moved, the callback sender. Cancels and refunds move
//!   only the sub-order: the parent becomes an operator's exception, never auto-refunded.

use sqlx::PgPool;
use switchyard_connections::ConnectionRegistry;
use switchyard_partners::dujiao::wire::OrderDetail;
use switchyard_partners::dujiao::CallbackOutcome;
use switchyard_store::procurement::{self, ProcurementStatus};
use switchyard_store::stock;
use switchyard_topics::events::StatusSource;
use switchyard_topics::{mark_processed, outbox, Delivery, KafkaConfig, ProcessedMark};
use uuid::Uuid;

use crate::downstream::content_from_fulfillment;
use crate::error::StepError;
use crate::parent;

/// An upstream's report on one sub-order, ready to apply.
#[derive(Debug, Clone)]
pub struct UpstreamReport<'a> {
    /// Our sub-order.
    pub sub_id: Uuid,
    /// What became of it.
    pub outcome: CallbackOutcome,
    /// The delivery content (for [`CallbackOutcome::Delivered`]).
    pub content: Option<serde_json::Value>,
    /// Who learnt it (the status event's `source`).
    pub source: StatusSource,
    /// The consumed event that carried it, recorded in the same transaction.
    pub event: Option<&'a Delivery>,
}

/// Reads upstream order `upstream_order_id` over connection `connection_id`.
pub async fn read(
    connections: &ConnectionRegistry,
    connection_id: i64,
    upstream_order_id: u64,
) -> Result<OrderDetail, StepError> {
    let client = connections.dujiao(connection_id).await?;
    client.get_order(upstream_order_id).await.map_err(|error| {
        if error.is_retryable() {
            StepError::PartnerUnavailable(error.to_string())
        } else {
            StepError::invalid(format!("upstream order cannot be read: {error}"))
        }
    })
}

/// The delivery content stored from a delivered answer.
pub fn delivery_content(detail: &OrderDetail) -> serde_json::Value {
    detail
        .fulfillment
        .as_ref()
        .map(content_from_fulfillment)
        .unwrap_or_else(|| serde_json::json!({ "type": "auto", "payload": "" }))
}

/// Applies `report`; true when the sub-order changed (false: already there, or the event was
/// already processed).
pub async fn apply(
    pool: &PgPool,
    kafka: &KafkaConfig,
    report: &UpstreamReport<'_>,
) -> Result<bool, StepError> {
    let target = report.outcome.to_procurement_status();
    let mut tx = pool.begin().await?;
    if let Some(event) = report.event {
        if mark_processed(&mut tx, event).await? == ProcessedMark::AlreadyProcessed {
            return Ok(false);
        }
    }
    let sub = procurement::lock(&mut tx, report.sub_id)
        .await?
        .ok_or_else(|| StepError::invalid("procurement order vanished"))?;
    if already_there(sub.status, target) {
        tx.commit().await?;
        return Ok(false);
    }
    match &report.content {
        Some(content) if report.outcome == CallbackOutcome::Delivered => {
            procurement::mark_delivered(&mut *tx, sub.id, content).await?;
            for line in procurement::covered_lines(&mut *tx, sub.id).await? {
                if let Some(sku_id) = line.sku_id {
                    stock::consume(&mut *tx, sub.order_id, sku_id).await?;
                }
            }
        }
        _ => {
            procurement::set_status(&mut *tx, sub.id, target).await?;
        }
    }
    let reason = format!("upstream_{}", target.as_str());
    let change = parent::refresh(&mut tx, sub.order_id).await?;
    if let Some(change) = &change {
        parent::announce(&mut tx, kafka, change, report.source, Some(&reason), None).await?;
    }
    tx.commit().await?;
    outbox::wake();
    if change.is_some() {
        crate::downstream::wake_sender();
    }
    Ok(true)
}

/// True when a sub-order at `current` needs nothing to reach `target` (a delivered order that
/// was since completed counts as delivered).
pub fn already_there(current: ProcurementStatus, target: ProcurementStatus) -> bool {
    current == target
        || (target == ProcurementStatus::Fulfilled && current == ProcurementStatus::Completed)
}
