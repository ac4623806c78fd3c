//! Applying an upstream Dujiao-Next callback to our sub-order and its parent.
//!
//! Contract: the callback is matched by (connection, `downstream_order_no` = our idempotency
//! key). Statuses that mean nothing to a receiver (`paid`, …) change nothing. "Delivered" is
//! applied only after `GET /orders/:id` on the upstream confirms it; the delivery content is
//! taken from that answer (the callback event does not carry it). The change itself is
//! [`crate::upstream_outcome::apply`], shared with the expiry-sweeper's fallback poll: cancels
//! and refunds move only the sub-order, the parent becomes an operator's exception.

use switchyard_partners::dujiao::CallbackOutcome;
use switchyard_store::procurement::{self, ProcurementOrder};
use switchyard_topics::events::{StatusSource, UpstreamCallbackReceived};
use switchyard_topics::Delivery;

use super::Relayer;
use crate::error::StepError;
use crate::upstream_outcome::{self, UpstreamReport};

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
    if upstream_outcome::already_there(sub.status, outcome.to_procurement_status()) {
        return Ok(());
    }
    let content = match outcome {
        CallbackOutcome::Delivered => {
            Some(confirm_delivery(relayer, connection_id, &sub, event).await?)
        }
        _ => None,
    };
    let report = UpstreamReport {
        sub_id: sub.id,
        outcome,
        content,
        source: StatusSource::CallbackRelayer,
        event: Some(delivery),
    };
    upstream_outcome::apply(&relayer.pool, &relayer.kafka, &report).await?;
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
    let detail =
        upstream_outcome::read(&relayer.connections, connection_id, upstream_order_id).await?;
    if CallbackOutcome::from_callback_status(&detail.status) != Some(CallbackOutcome::Delivered) {
        return Err(StepError::PartnerUnavailable(format!(
            "upstream says {}, not delivered yet",
            detail.status.chars().take(32).collect::<String>()
        )));
    }
    Ok(upstream_outcome::delivery_content(&detail))
}
