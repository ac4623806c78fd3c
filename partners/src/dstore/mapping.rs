//! D-Store's vocabulary ⇄ Switchyard's statuses (README "Status mappings").
//!
//! Contract: every function is total over its input (an exhaustive `match`, no catch-all arm over
//! our enums). One rule settles inquire against notify: `inquireOrderDetail` answers the word we
//! have notified, or would notify, so D-Store never hears two stories. Hence:
//!
//! - our `accepted` is the store's ACCEPTED (we answer `createOrder` with `autoAccept: false`, so
//!   D-Store shows ORDER_SUCCESS only until we notify ACCEPTED); `procuring` is PREPARING.
//! - `partially_refunded` is COMPLETED on both: the order was handled and the customer keeps the
//!   rest; D-Store has no refund status (the amount travels as `refundAmount`). Calling it
//!   CANCELLED would tell D-Store the whole order is off.
//! - `failed` is an operator's exception, not an end: inquire keeps answering PREPARING (ORDER_FAIL
//!   is final at D-Store and would have it refund an order an operator may still deliver), and
//!   nothing is notified (there is no news).
//!
//! Inbound (`pushOrderChange`, an inquiry's answer) reads the words back so that every status we
//! answer with reads back as itself where D-Store has a word for it; READY is our `delivered`
//! (fulfilment done, waiting at the counter), COMPLETED is the customer's confirmation.

use switchyard_domain::OrderStatus;

use super::status::{DstoreOrderStatus, NotifyOrderStatus};

impl DstoreOrderStatus {
    /// The `orderStatus` we answer `inquireOrderDetail` with for an order in `status`.
    pub fn from_order_status(status: OrderStatus) -> Self {
        match status {
            OrderStatus::Accepted => Self::Accepted,
            OrderStatus::Procuring | OrderStatus::PartiallyDelivered => Self::Preparing,
            OrderStatus::Delivered => Self::Ready,
            OrderStatus::Completed => Self::Completed,
            OrderStatus::Canceled | OrderStatus::Refunded => Self::Cancelled,
            // The order was handled; the refunded part travels as `refundAmount`.
            OrderStatus::PartiallyRefunded => Self::Completed,
            OrderStatus::Rejected => Self::Rejected,
            // An operator decides; ORDER_FAIL would be final at D-Store.
            OrderStatus::Failed => Self::Preparing,
        }
    }

    /// What a status D-Store reports (inquiry answer, `pushOrderChange`) means inside Switchyard.
    pub fn to_order_status(self) -> OrderStatus {
        match self {
            Self::OrderSuccess | Self::Accepted => OrderStatus::Accepted,
            Self::Preparing => OrderStatus::Procuring,
            Self::Ready => OrderStatus::Delivered,
            Self::Completed => OrderStatus::Completed,
            Self::Cancelled => OrderStatus::Canceled,
            Self::Rejected => OrderStatus::Rejected,
            Self::OrderFail => OrderStatus::Failed,
        }
    }
}

impl NotifyOrderStatus {
    /// The `orderStatus` to notify D-Store of when an order reaches `status`; `None` when there is
    /// nothing to tell (a failed procurement waits for an operator).
    pub fn for_order_status(status: OrderStatus) -> Option<Self> {
        Some(match status {
            OrderStatus::Accepted => Self::Accepted,
            OrderStatus::Procuring | OrderStatus::PartiallyDelivered => Self::Preparing,
            OrderStatus::Delivered => Self::Ready,
            OrderStatus::Completed | OrderStatus::PartiallyRefunded => Self::Completed,
            OrderStatus::Canceled | OrderStatus::Refunded => Self::Cancelled,
            OrderStatus::Rejected => Self::Rejected,
            OrderStatus::Failed => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DstoreOrderStatus as D;
    use NotifyOrderStatus as N;
    use OrderStatus as O;

    #[test]
    fn what_we_answer_and_notify() {
        let table = [
            (O::Accepted, D::Accepted, Some(N::Accepted)),
            (O::Procuring, D::Preparing, Some(N::Preparing)),
            (O::PartiallyDelivered, D::Preparing, Some(N::Preparing)),
            (O::Delivered, D::Ready, Some(N::Ready)),
            (O::Completed, D::Completed, Some(N::Completed)),
            (O::Canceled, D::Cancelled, Some(N::Cancelled)),
            (O::Refunded, D::Cancelled, Some(N::Cancelled)),
            (O::PartiallyRefunded, D::Completed, Some(N::Completed)),
            (O::Failed, D::Preparing, None),
            (O::Rejected, D::Rejected, Some(N::Rejected)),
        ];
        assert_eq!(table.len(), O::ALL.len(), "one row per status");
        for (ours, inquire, notify) in table {
            assert_eq!(D::from_order_status(ours), inquire, "{ours}");
            assert_eq!(N::for_order_status(ours), notify, "{ours}");
        }
    }

    #[test]
    fn inquire_answers_what_notify_said() {
        for ours in O::ALL {
            if let Some(notified) = N::for_order_status(*ours) {
                assert_eq!(D::from(notified), D::from_order_status(*ours), "{ours}");
            }
        }
    }

    #[test]
    fn what_a_dstore_status_means_for_us() {
        let table = [
            (D::OrderSuccess, O::Accepted),
            (D::Accepted, O::Accepted),
            (D::Preparing, O::Procuring),
            (D::Ready, O::Delivered),
            (D::Completed, O::Completed),
            (D::Cancelled, O::Canceled),
            (D::Rejected, O::Rejected),
            (D::OrderFail, O::Failed),
        ];
        for (theirs, ours) in table {
            assert_eq!(theirs.to_order_status(), ours, "{theirs:?}");
        }
        for ours in [
            O::Accepted,
            O::Procuring,
            O::Delivered,
            O::Completed,
            O::Canceled,
            O::Rejected,
        ] {
            assert_eq!(D::from_order_status(ours).to_order_status(), ours);
        }
    }
}
