//! The delivery a downstream site reads back with `GET /api/v1/upstream/orders/:id`.
//!
//! Contract: an order in `delivered` shows `fulfillment {type:"auto", status:"delivered",
//! payload, delivery_data, delivered_at}` built from its fulfilled sub-orders (local stock and
//! remote alike) exactly as the callback-relayer builds the callback it sends: payloads joined by
//! newlines, delivery data as the one value or `{"items": [...]}`, the latest delivery time. Any
//! other status shows no fulfillment. The shape must match the relayer's because a downstream
//! Switchyard confirms a callback by reading this and storing what it finds; both build it with
//! `Fulfillment::combine` from the partners crate.

use switchyard_partners::dujiao::wire::Fulfillment;
use switchyard_store::procurement::{ProcurementOrder, ProcurementStatus};

/// The whole order's delivery, from its sub-orders (only fulfilled or completed ones count).
pub(crate) fn order_fulfillment(sub_orders: &[ProcurementOrder]) -> Fulfillment {
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

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use switchyard_store::procurement::SourceType;
    use uuid::Uuid;

    use super::*;

    fn sub(status: ProcurementStatus, content: Option<serde_json::Value>) -> ProcurementOrder {
        let at = Utc.timestamp_opt(1_700_000_000, 0).single().expect("time");
        ProcurementOrder {
            id: Uuid::now_v7(),
            order_id: Uuid::nil(),
            source_type: SourceType::Outbound,
            fulfiller: None,
            connection_id: None,
            credential_id: None,
            status,
            idempotency_key: "k".to_owned(),
            upstream_order_id: None,
            upstream_order_no: None,
            amount_minor: 100,
            currency: switchyard_store::Currency::CNY,
            attempts: 1,
            next_attempt_at: None,
            last_error_code: None,
            last_error: None,
            delivered_at: content.as_ref().map(|_| at),
            delivery_content: content,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn one_sub_order_shows_its_content_as_is() {
        let content =
            serde_json::json!({"payload": "CODE-1", "delivery_data": {"codes": ["CODE-1"]}});
        let shown = order_fulfillment(&[sub(ProcurementStatus::Fulfilled, Some(content))]);
        assert_eq!(shown.payload.expose(), "CODE-1");
        assert_eq!(
            shown.delivery_data.expose(),
            &serde_json::json!({"codes": ["CODE-1"]})
        );
        assert_eq!(shown.status, "delivered");
        assert!(shown.delivered_at.is_some());
    }

    #[test]
    fn several_sub_orders_are_joined_and_unfinished_ones_left_out() {
        let first = serde_json::json!({"payload": "A", "delivery_data": {"codes": ["A"]}});
        let second = serde_json::json!({"payload": "B", "delivery_data": {"codes": ["B"]}});
        let pending = serde_json::json!({"payload": "X", "delivery_data": {"codes": ["X"]}});
        let shown = order_fulfillment(&[
            sub(ProcurementStatus::Fulfilled, Some(first)),
            sub(ProcurementStatus::Completed, Some(second)),
            sub(ProcurementStatus::Failed, Some(pending)),
        ]);
        assert_eq!(shown.payload.expose(), "A\nB");
        assert_eq!(
            shown.delivery_data.expose(),
            &serde_json::json!({"items": [{"codes": ["A"]}, {"codes": ["B"]}]})
        );
    }
}
