//! The vending platform's statuses ⇄ Switchyard's statuses (README "Status mappings").
//!
//! Contract: total functions (exhaustive `match`, no catch-all arm over our enum). Vending is a
//! fulfiller: outbound we only ever set a machine order paid (dispense may start) or end it
//! (`PUT /orders/{id}`; anything but paid returns the stock). Inbound, the query's order status
//! says whether payment went through; whether the customer got the goods is decided by the
//! dispense records alone ([`order_status_from_records`]).

use switchyard_domain::{OrderStatus, ProcurementStatus};

use super::status::{RecordStatus, UpdateStatus, VendingOrderStatus};

impl UpdateStatus {
    /// The update to send for an order in `status`; `None` when the machine order is left alone.
    pub fn for_order_status(status: OrderStatus) -> Option<Self> {
        match status {
            // No machine order exists yet.
            OrderStatus::Accepted => None,
            // The machine order was created: mark it paid so the machine may dispense.
            OrderStatus::Procuring => Some(Self::Paid),
            // Dispensing or done; a failed dispense is an operator's call.
            OrderStatus::PartiallyDelivered
            | OrderStatus::Delivered
            | OrderStatus::Completed
            | OrderStatus::PartiallyRefunded
            | OrderStatus::Failed => None,
            OrderStatus::Canceled | OrderStatus::Rejected => Some(Self::Closed),
            OrderStatus::Refunded => Some(Self::Refund),
        }
    }
}

impl VendingOrderStatus {
    /// What a machine order's status means for our order (before any dispense result).
    pub fn to_order_status(self) -> OrderStatus {
        match self {
            Self::Success | Self::Pickupcode | Self::Testpay | Self::Userpaying | Self::Notpay => {
                OrderStatus::Procuring
            }
            Self::Refund => OrderStatus::Refunded,
            Self::Closed | Self::Revoked => OrderStatus::Canceled,
            Self::Payerror => OrderStatus::Failed,
        }
    }
}

/// What a queried machine order (its status read through [`order_status_from_records`] or
/// [`VendingOrderStatus::to_order_status`]) means for our procurement record of it, by the
/// relayer's rule: every record delivered is `fulfilled`; a final order with any record not
/// delivered is a failed dispense, `failed`.
pub fn procurement_status_of(status: OrderStatus) -> ProcurementStatus {
    match status {
        OrderStatus::Accepted | OrderStatus::Procuring => ProcurementStatus::Accepted,
        OrderStatus::Delivered | OrderStatus::Completed => ProcurementStatus::Fulfilled,
        OrderStatus::PartiallyDelivered | OrderStatus::Failed => ProcurementStatus::Failed,
        OrderStatus::Canceled | OrderStatus::Rejected => ProcurementStatus::Canceled,
        OrderStatus::Refunded => ProcurementStatus::Refunded,
        OrderStatus::PartiallyRefunded => ProcurementStatus::PartiallyRefunded,
    }
}

/// Our order's status once every dispense record is final; `None` while any is still open.
pub fn order_status_from_records(records: &[RecordStatus]) -> Option<OrderStatus> {
    if records.is_empty() || !records.iter().all(|r| r.is_final()) {
        return None;
    }
    let delivered = records.iter().filter(|r| r.is_delivered()).count();
    Some(match delivered {
        0 => OrderStatus::Failed,
        n if n == records.len() => OrderStatus::Delivered,
        _ => OrderStatus::PartiallyDelivered,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus as O;
    use UpdateStatus as U;
    use VendingOrderStatus as V;

    #[test]
    fn what_we_set_on_the_machine_order() {
        let table = [
            (O::Accepted, None),
            (O::Procuring, Some(U::Paid)),
            (O::PartiallyDelivered, None),
            (O::Delivered, None),
            (O::Completed, None),
            (O::Canceled, Some(U::Closed)),
            (O::Refunded, Some(U::Refund)),
            (O::PartiallyRefunded, None),
            (O::Failed, None),
            (O::Rejected, Some(U::Closed)),
        ];
        assert_eq!(table.len(), O::ALL.len(), "one row per status");
        for (ours, update) in table {
            assert_eq!(U::for_order_status(ours), update, "{ours}");
        }
    }

    #[test]
    fn what_a_machine_order_status_means_for_us() {
        let table = [
            (V::Success, O::Procuring),
            (V::Refund, O::Refunded),
            (V::Closed, O::Canceled),
            (V::Revoked, O::Canceled),
            (V::Userpaying, O::Procuring),
            (V::Payerror, O::Failed),
            (V::Pickupcode, O::Procuring),
            (V::Notpay, O::Procuring),
            (V::Testpay, O::Procuring),
        ];
        for (theirs, ours) in table {
            assert_eq!(theirs.to_order_status(), ours, "{theirs:?}");
        }
    }

    #[test]
    fn what_a_queried_order_means_for_our_procurement() {
        use ProcurementStatus as P;
        let table = [
            (O::Accepted, P::Accepted),
            (O::Procuring, P::Accepted),
            (O::PartiallyDelivered, P::Failed),
            (O::Delivered, P::Fulfilled),
            (O::Completed, P::Fulfilled),
            (O::Canceled, P::Canceled),
            (O::Refunded, P::Refunded),
            (O::PartiallyRefunded, P::PartiallyRefunded),
            (O::Failed, P::Failed),
            (O::Rejected, P::Canceled),
        ];
        assert_eq!(table.len(), O::ALL.len(), "one row per status");
        for (ours, procurement) in table {
            assert_eq!(procurement_status_of(ours), procurement, "{ours}");
        }
    }

    #[test]
    fn records_decide_delivery() {
        use RecordStatus::*;
        let table = [
            (vec![IsSuccess, IsSuccess], Some(O::Delivered)),
            (vec![IsPickedUp], Some(O::Delivered)),
            (vec![IsSuccess, IsFailed], Some(O::PartiallyDelivered)),
            (vec![IsTimeout], Some(O::Failed)),
            (vec![IsRefund], Some(O::Failed)),
            (vec![IsSuccess, IsDelivering], None),
            (vec![WaitingPickedUp], None),
            (vec![], None),
        ];
        for (records, ours) in table {
            assert_eq!(order_status_from_records(&records), ours, "{records:?}");
        }
    }
}
