//! Applying an upstream Dujiao-Next callback to our sub-order and its parent.
//!
//! Contract: the callback is matched by (connection, `downstream_order_no` = our idempotency
//! key). Statuses that mean nothing to a receiver (`paid`, …) change nothing. "Delivered" is
//! applied only after `GET /orders/:id` on the upstream confirms it; the delivery content is
//! taken from that answer (the callback event does not carry it). Cancels and refunds move
//! only the sub-order: the parent becomes an operator's exception, never auto-refunded.

use switchyard_partners::dujiao::CallbackOutcome;
use switchyard_store::procurement::{self, ProcurementOrder, ProcurementStatus};
use switchyard_store::stock;
use switchyard_topics::events::UpstreamCallbackReceived;
use switchyard_topics::{mark_processed, Delivery, ProcessedMark};

use super::Relayer;
use crate::downstream::content_from_fulfillment;
use crate::error::StepError;
use crate::parent;

/// Applies one callback.
#[tracing::instrument(skip_all, fields(connection_id = %event.connection_id))]
pub async fn apply(
    relayer: &Relayer,
    event: &UpstreamCallbackReceived,
    delivery: &Delivery,
) -> Result<(), StepError> {
    let connection_id: i64 = event
        .connection_id
        .parse()
        .map_err(|_| StepError::invalid("connection_id is not a number"))?;
    let sub =
        procurement::by_idempotency_key(&relayer.pool, connection_id, &event.downstream_order_no)
            .await?
            .ok_or_else(|| StepError::invalid("callback for an unknown procurement order"))?;
    let Some(outcome) = CallbackOutcome::from_callback_status(&event.status) else {
        return Ok(());
    };
    let target = outcome.to_procurement_status();
    if sub.status == target
        || (target == ProcurementStatus::Fulfilled && sub.status == ProcurementStatus::Completed)
    {
        return Ok(());
    }
    let content = match outcome {
        CallbackOutcome::Delivered => {
            Some(confirm_delivery(relayer, connection_id, &sub, event).await?)
        }
        _ => None,
    };
    let mut tx = relayer.pool.begin().await?;
    if mark_processed(&mut tx, delivery).await? == ProcessedMark::AlreadyProcessed {
        return Ok(());
    }
    match &content {
        Some(content) => {
            procurement::mark_delivered(&mut *tx, sub.id, content).await?;
            for line in procurement::covered_lines(&mut *tx, sub.id).await? {
                if let Some(sku_id) = line.sku_id {
                    stock::consume(&mut *tx, sub.order_id, sku_id).await?;
                }
            }
        }
        None => {
            procurement::set_status(&mut *tx, sub.id, target).await?;
        }
    }
    let reason = format!("upstream_{}", target.as_str());
    let change = parent::refresh(&mut tx, sub.order_id).await?;
    relayer.announce(&mut tx, change.as_ref(), &reason).await?;
    tx.commit().await?;
    relayer.committed(change.is_some());
    Ok(())
}

/// Asks the upstream whether the order really is delivered; returns the delivery content.
async fn confirm_delivery(
    relayer: &Relayer,
    connection_id: i64,
    sub: &ProcurementOrder,
    event: &UpstreamCallbackReceived,
) -> Result<serde_json::Value, StepError> {
    let upstream_order_id: u64 = sub
        .upstream_order_id
        .as_deref()
        .unwrap_or(&event.upstream_order_id)
        .parse()
        .map_err(|_| StepError::invalid("upstream order id is not a number"))?;
    let client = relayer.connections.dujiao(connection_id).await?;
    let detail = client.get_order(upstream_order_id).await.map_err(|error| {
        if error.is_retryable() {
            StepError::PartnerUnavailable(error.to_string())
        } else {
            StepError::invalid(format!("upstream order cannot be read: {error}"))
        }
    })?;
    if CallbackOutcome::from_callback_status(&detail.status) != Some(CallbackOutcome::Delivered) {
        return Err(StepError::PartnerUnavailable(format!(
            "upstream says {}, not delivered yet",
            detail.status.chars().take(32).collect::<String>()
        )));
    }
    Ok(detail
        .fulfillment
        .as_ref()
        .map(content_from_fulfillment)
        .unwrap_or_else(|| serde_json::json!({ "type": "auto", "payload": "" })))
}
