//! `procurement.requested` and `procurement.results`: what the procurer tells the rest of the
//! fleet (the reconciler and dashboards read them; nothing waits on them).
//!
//! Contract: each is written into the outbox in the transaction that records what it announces
//! (the sub-order's creation, the attempt), so it exists exactly when that commits.

use sqlx::PgConnection;
use switchyard_store::mappings::FulfillerKind;
use switchyard_store::orders::Order;
use switchyard_store::procurement::{ProcurementOrder, ProcurementStatus};
use switchyard_topics::events::{
    Fulfiller, Money, ProcurementOutcome, ProcurementRequested, ProcurementResult,
};
use switchyard_topics::{encode, outbox, EventMeta, KafkaConfig};

use super::attempt::AttemptResult;
use crate::error::StepError;
use crate::parent::event_channel;

/// Announces a new sub-order with a remote fulfiller (local stock is not a procurement).
pub async fn announce_requested(
    conn: &mut PgConnection,
    kafka: &KafkaConfig,
    order: &Order,
    sub: &ProcurementOrder,
) -> Result<(), StepError> {
    let (Some(channel), Some(fulfiller)) = (event_channel(order.channel), fulfiller(sub)) else {
        return Ok(());
    };
    let event = ProcurementRequested {
        procurement_id: sub.id.to_string(),
        order_id: order.id.to_string(),
        channel,
        channel_order_id: order.channel_order_id.clone(),
        fulfiller,
        connection_id: sub
            .connection_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        lines: Vec::new(),
        amount: Money::from_minor(sub.amount_minor, sub.currency),
        requested_at: chrono::Utc::now().timestamp_millis(),
    };
    let encoded = encode(kafka, &event, EventMeta::new())?;
    outbox::write(&mut *conn, &encoded).await?;
    Ok(())
}

/// Announces the outcome of one attempt.
pub async fn announce_result(
    conn: &mut PgConnection,
    kafka: &KafkaConfig,
    order: &Order,
    sub: &ProcurementOrder,
    result: &AttemptResult,
    attempt: i32,
    retrying: bool,
) -> Result<(), StepError> {
    let Some(fulfiller) = fulfiller(sub) else {
        return Ok(());
    };
    let Some(channel) = event_channel(order.channel) else {
        return Ok(());
    };
    let (outcome, upstream_order_id, error_code, amount) = match result {
        AttemptResult::Delivered { .. } => (ProcurementOutcome::Fulfilled, None, None, None),
        AttemptResult::Placed {
            status,
            upstream_order_id,
            amount_minor,
            ..
        } => (
            if *status == ProcurementStatus::Fulfilled {
                ProcurementOutcome::Fulfilled
            } else {
                ProcurementOutcome::Accepted
            },
            upstream_order_id.clone(),
            None,
            amount_minor.map(|minor| Money::from_minor(minor, sub.currency)),
        ),
        AttemptResult::Failed(failure) => (
            if failure.transient {
                ProcurementOutcome::Failed
            } else {
                ProcurementOutcome::Rejected
            },
            None,
            failure.code.clone(),
            None,
        ),
    };
    let event = ProcurementResult {
        procurement_id: sub.id.to_string(),
        order_id: order.id.to_string(),
        channel,
        channel_order_id: order.channel_order_id.clone(),
        fulfiller,
        connection_id: sub
            .connection_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        outcome,
        upstream_order_id,
        upstream_status: None,
        amount,
        error_code,
        retryable: retrying,
        attempt,
        decided_at: chrono::Utc::now().timestamp_millis(),
    };
    let encoded = encode(kafka, &event, EventMeta::new())?;
    outbox::write(&mut *conn, &encoded).await?;
    Ok(())
}

fn fulfiller(sub: &ProcurementOrder) -> Option<Fulfiller> {
    match sub.fulfiller? {
        FulfillerKind::LocalStock => None,
        FulfillerKind::DujiaoUpstream => Some(Fulfiller::DujiaoUpstream),
        FulfillerKind::Vending => Some(Fulfiller::Vending),
        FulfillerKind::WdtErp => Some(Fulfiller::Wdt),
    }
}
