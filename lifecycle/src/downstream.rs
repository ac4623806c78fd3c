//! Callbacks to downstream Dujiao-Next sites: what is queued when an order they placed moves.
//!
//! Contract: [`enqueue`] runs in the transaction that changed the parent order, so a callback is
//! queued exactly when the change commits (a redelivered event changes nothing and queues
//! nothing). The body is built once and stored byte-exact (it is what gets signed); delivery
//! (signing, the 30/60/120/300/300 s schedule, 200 + `ok:true`) is the callback-relayer's sender
//! loop, which [`wake_sender`] nudges in this process. Delivery content comes from the fulfilled
//! sub-orders: their payloads joined by newlines, their delivery data as one value or a list.

use std::sync::OnceLock;

use sqlx::PgConnection;
use switchyard_partners::dujiao::wire::{CallbackBody, Fulfillment};
use switchyard_partners::dujiao::DujiaoOrderStatus;
use switchyard_store::callbacks::{self, NewCallback};
use switchyard_store::orders::{Order, OrderStatus};
use switchyard_store::procurement::{ProcurementOrder, ProcurementStatus};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::error::StepError;

/// Statuses a downstream site is told about.
const RELAYED: [OrderStatus; 5] = [
    OrderStatus::PartiallyDelivered,
    OrderStatus::Delivered,
    OrderStatus::Canceled,
    OrderStatus::Refunded,
    OrderStatus::PartiallyRefunded,
];

/// Wakes this process's callback sender (others find the row when they next poll).
pub fn wake_sender() {
    sender_wakeup().notify_one();
}

/// What the callback sender waits on between polls.
pub fn sender_wakeup() -> &'static Notify {
    static WAKEUP: OnceLock<Notify> = OnceLock::new();
    WAKEUP.get_or_init(Notify::new)
}

/// The order id a downstream site knows for our order: the number in our `order_no`.
pub fn provider_order_id(order_no: &str) -> Option<u64> {
    order_no
        .trim_start_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .ok()
}

/// The downstream site's own order number (`channel_order_id` is `"{credential}/{number}"`).
pub fn downstream_order_no(channel_order_id: &str) -> &str {
    channel_order_id
        .split_once('/')
        .map_or(channel_order_id, |(_, number)| number)
}

/// Queues the callback for `order`'s new status when its downstream site must hear of it.
pub async fn enqueue(
    conn: &mut PgConnection,
    order: &Order,
    sub_orders: &[ProcurementOrder],
) -> Result<(), StepError> {
    if !RELAYED.contains(&order.status) {
        return Ok(());
    }
    let (Some(credential_id), Some(url)) = (order.source_credential_id, &order.callback_url) else {
        return Ok(());
    };
    let body = callback_body(order, sub_orders)?;
    let text = serde_json::to_string(&body)
        .map_err(|_| StepError::invalid("callback body could not be encoded"))?;
    callbacks::enqueue(
        &mut *conn,
        &NewCallback {
            order_id: order.id,
            credential_id,
            event_id: Uuid::now_v7(),
            url,
            body: &text,
        },
    )
    .await?;
    Ok(())
}

/// The callback body for the order's current status.
pub fn callback_body(
    order: &Order,
    sub_orders: &[ProcurementOrder],
) -> Result<CallbackBody, StepError> {
    let order_id = provider_order_id(&order.order_no)
        .ok_or_else(|| StepError::invalid("order number has no digits"))?;
    let delivered = order.status == OrderStatus::Delivered;
    Ok(CallbackBody {
        event: if delivered {
            "order.fulfilled"
        } else {
            "order.status_changed"
        }
        .to_owned(),
        order_id,
        order_no: order.order_no.clone(),
        downstream_order_no: downstream_order_no(&order.channel_order_id).to_owned(),
        status: DujiaoOrderStatus::from_order_status(order.status)
            .as_str()
            .to_owned(),
        fulfillment: delivered.then(|| fulfillment(sub_orders)),
        timestamp: chrono::Utc::now().timestamp(),
    })
}

/// The delivery of the whole order, from its fulfilled sub-orders' content.
pub fn fulfillment(sub_orders: &[ProcurementOrder]) -> Fulfillment {
    let delivered = sub_orders.iter().filter(|sub| {
        matches!(
            sub.status,
            ProcurementStatus::Fulfilled | ProcurementStatus::Completed
        )
    });
    Fulfillment::combine(
        delivered.filter_map(|sub| sub.delivery_content.as_ref()),
        sub_orders.iter().filter_map(|sub| sub.delivered_at).max(),
    )
}

/// What we store as a sub-order's delivery content, from an upstream's fulfillment.
pub fn content_from_fulfillment(fulfillment: &Fulfillment) -> serde_json::Value {
    serde_json::json!({
        "type": fulfillment.kind,
        "payload": fulfillment.payload.expose(),
        "delivery_data": fulfillment.delivery_data.expose(),
        "delivered_at": fulfillment.delivered_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_a_downstream_site_knows() {
        assert_eq!(provider_order_id("SY000000000042"), Some(42));
        assert_eq!(provider_order_id("SY"), None);
        assert_eq!(
            downstream_order_no("7/SY000000000001-1"),
            "SY000000000001-1"
        );
        assert_eq!(downstream_order_no("plain"), "plain");
    }
}
