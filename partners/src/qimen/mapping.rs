//! Wangdiantong's `trade_status` ⇄ Switchyard's statuses (README "Status mappings").
//!
//! Contract: total functions (exhaustive `match`, no catch-all arm over our enum). Outbound, a
//! trade is pushed as paid as soon as we hold the order (the ERP ships paid trades); a failed
//! procurement is an operator's call, never an automatic close, and a partial refund is not a
//! trade status: neither is pushed.

use switchyard_domain::OrderStatus;

use super::status::WdtTradeStatus;

impl WdtTradeStatus {
    /// The status to push to the ERP for an order in `status`; `None` when nothing is pushed.
    pub fn for_order_status(status: OrderStatus) -> Option<Self> {
        Some(match status {
            OrderStatus::Accepted | OrderStatus::Procuring => Self::Paid,
            OrderStatus::PartiallyDelivered => Self::PartShipped,
            OrderStatus::Delivered => Self::Shipped,
            OrderStatus::Completed => Self::Completed,
            OrderStatus::Refunded => Self::Refunded,
            OrderStatus::Canceled | OrderStatus::Rejected => Self::Closed,
            OrderStatus::PartiallyRefunded | OrderStatus::Failed => return None,
        })
    }

    /// What an ERP trade status means for the order inside Switchyard.
    pub fn to_order_status(self) -> OrderStatus {
        match self {
            Self::Unpaid | Self::PartPaid => OrderStatus::Accepted,
            Self::Paid => OrderStatus::Procuring,
            Self::PartShipped => OrderStatus::PartiallyDelivered,
            Self::Shipped => OrderStatus::Delivered,
            Self::Completed => OrderStatus::Completed,
            Self::Refunded => OrderStatus::Refunded,
            Self::Closed => OrderStatus::Canceled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus as O;
    use WdtTradeStatus as W;

    #[test]
    fn what_we_push_to_the_erp() {
        let table = [
            (O::Accepted, Some(30)),
            (O::Procuring, Some(30)),
            (O::PartiallyDelivered, Some(40)),
            (O::Delivered, Some(50)),
            (O::Completed, Some(70)),
            (O::Canceled, Some(90)),
            (O::Refunded, Some(80)),
            (O::PartiallyRefunded, None),
            (O::Failed, None),
            (O::Rejected, Some(90)),
        ];
        assert_eq!(table.len(), O::ALL.len(), "one row per status");
        for (ours, code) in table {
            assert_eq!(W::for_order_status(ours).map(W::code), code, "{ours}");
        }
    }

    #[test]
    fn what_a_trade_status_means_for_us() {
        let table = [
            (W::Unpaid, O::Accepted),
            (W::PartPaid, O::Accepted),
            (W::Paid, O::Procuring),
            (W::PartShipped, O::PartiallyDelivered),
            (W::Shipped, O::Delivered),
            (W::Completed, O::Completed),
            (W::Refunded, O::Refunded),
            (W::Closed, O::Canceled),
        ];
        for (theirs, ours) in table {
            assert_eq!(theirs.to_order_status(), ours, "{theirs:?}");
            if ours != O::Accepted {
                assert_eq!(
                    W::for_order_status(ours),
                    Some(theirs),
                    "{theirs:?} reads back"
                );
            }
        }
    }
}
