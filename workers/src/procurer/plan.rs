//! Splitting an order into sub-orders, one per fulfiller (pure logic).
//!
//! Contract: every line goes to exactly one sub-order; the idempotency key of each sub-order is
//! derived from the order number and the fulfiller only, so a redelivered event computes the same
//! keys and finds the sub-orders it created before. Grouping follows what each protocol can buy
//! in one call: local stock — one sub-order for all local lines; Dujiao-Next — one per line
//! (`POST /orders` takes one SKU; key `{order_no}-{line_no}`, the `downstream_order_no`);
//! vending — one per machine (key `{order_no}M{machine_no}`, a valid 20–32 character
//! `trade_id`); WDT — one trade per connection (key `{order_no}-W{connection}`, the `tid`).

use std::collections::HashMap;

use switchyard_store::mappings::Fulfiller;
use switchyard_store::orders::OrderItem;

/// One sub-order to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedSubOrder {
    /// Who fulfils it.
    pub fulfiller: Fulfiller,
    /// The partner's idempotency key.
    pub idempotency_key: String,
    /// (order line id, quantity) covered.
    pub items: Vec<(i64, i32)>,
    /// Our sale value of the covered lines, minor units (the expected cost until the partner says).
    pub amount_minor: i64,
}

/// Why an order cannot be split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The channel sent an item that resolved to none of our SKUs.
    #[error("line {0} has no SKU")]
    UnmappedLine(i32),
    /// A SKU has no fulfiller in the resolved map (a bug in the caller).
    #[error("line {0} has no fulfiller")]
    NoFulfiller(i32),
    /// The order has no lines.
    #[error("order has no lines")]
    Empty,
}

/// Groups `items` into sub-orders using each SKU's fulfiller.
pub fn split(
    order_no: &str,
    items: &[OrderItem],
    fulfillers: &HashMap<i64, Fulfiller>,
) -> Result<Vec<PlannedSubOrder>, PlanError> {
    if items.is_empty() {
        return Err(PlanError::Empty);
    }
    let mut planned: Vec<PlannedSubOrder> = Vec::new();
    for item in items {
        let sku_id = item.sku_id.ok_or(PlanError::UnmappedLine(item.line_no))?;
        let fulfiller = fulfillers
            .get(&sku_id)
            .ok_or(PlanError::NoFulfiller(item.line_no))?;
        let key = idempotency_key(order_no, item.line_no, fulfiller);
        let amount = item
            .unit_price_minor
            .saturating_mul(i64::from(item.quantity));
        match planned.iter_mut().find(|sub| sub.idempotency_key == key) {
            Some(sub) => {
                sub.items.push((item.id, item.quantity));
                sub.amount_minor = sub.amount_minor.saturating_add(amount);
            }
            None => planned.push(PlannedSubOrder {
                fulfiller: fulfiller.clone(),
                idempotency_key: key,
                items: vec![(item.id, item.quantity)],
                amount_minor: amount,
            }),
        }
    }
    Ok(planned)
}

fn idempotency_key(order_no: &str, line_no: i32, fulfiller: &Fulfiller) -> String {
    match fulfiller {
        Fulfiller::LocalStock => format!("{order_no}-L"),
        Fulfiller::DujiaoUpstream { .. } => format!("{order_no}-{line_no}"),
        Fulfiller::Vending { machine_no, .. } => format!("{order_no}M{machine_no}"),
        Fulfiller::WdtErp { connection_id, .. } => format!("{order_no}-W{connection_id}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn item(id: i64, line_no: i32, sku_id: Option<i64>, quantity: i32) -> OrderItem {
        OrderItem {
            id,
            order_id: Uuid::nil(),
            line_no,
            sku_id,
            channel_item_id: None,
            title: None,
            quantity,
            unit_price_minor: 100,
            manual_form_data: None,
        }
    }

    fn upstream(connection_id: i64, sku: i64) -> Fulfiller {
        Fulfiller::DujiaoUpstream {
            connection_id,
            upstream_product_id: None,
            upstream_sku_id: sku,
        }
    }

    #[test]
    fn a_mixed_cart_splits_per_fulfiller() {
        let fulfillers = HashMap::from([
            (1, Fulfiller::LocalStock),
            (2, upstream(10, 11)),
            (3, upstream(20, 12)),
            (4, Fulfiller::LocalStock),
        ]);
        let items = [
            item(100, 1, Some(1), 1),
            item(101, 2, Some(2), 2),
            item(102, 3, Some(3), 1),
            item(103, 4, Some(4), 3),
        ];
        let planned = split("SY000000000007", &items, &fulfillers).unwrap();
        let keys: Vec<_> = planned.iter().map(|p| p.idempotency_key.as_str()).collect();
        assert_eq!(
            keys,
            ["SY000000000007-L", "SY000000000007-2", "SY000000000007-3"]
        );
        assert_eq!(planned[0].items, vec![(100, 1), (103, 3)]);
        assert_eq!(planned[0].amount_minor, 400);
        assert_eq!(planned[1].amount_minor, 200);
    }

    #[test]
    fn keys_are_stable_and_vending_keys_are_valid_trade_ids() {
        let machine = Fulfiller::Vending {
            connection_id: 3,
            machine_no: "12345678".into(),
            product_id: "p1".into(),
        };
        let fulfillers = HashMap::from([(1, machine.clone()), (2, machine)]);
        let items = [item(1, 1, Some(1), 1), item(2, 2, Some(2), 1)];
        let first = split("SY000000000001", &items, &fulfillers).unwrap();
        assert_eq!(first, split("SY000000000001", &items, &fulfillers).unwrap());
        assert_eq!(first.len(), 1);
        let key = &first[0].idempotency_key;
        assert!(
            switchyard_partners::vending::TradeId::parse(key).is_ok(),
            "{key}"
        );
    }

    #[test]
    fn unmapped_lines_and_empty_orders_are_refused() {
        let fulfillers = HashMap::new();
        assert_eq!(
            split("SY1", &[item(1, 1, None, 1)], &fulfillers),
            Err(PlanError::UnmappedLine(1))
        );
        assert_eq!(split("SY1", &[], &fulfillers), Err(PlanError::Empty));
        assert_eq!(
            split("SY1", &[item(1, 2, Some(9), 1)], &fulfillers),
            Err(PlanError::NoFulfiller(2))
        );
    }
}
