//! Dujiao-Next's vocabulary ⇄ Switchyard's statuses (README "Status mappings").
//!
//! Contract: every function is total over its input (an exhaustive `match`, no catch-all arm over
//! our enums), so a new status cannot compile until each partner decides what it means.
//!
//! - Outbound, [`DujiaoOrderStatus::from_order_status`]: the one word a downstream site sees for an
//!   order we sell it, used alike by `GET /orders/:id` (ingress) and by status callbacks
//!   (workers), so a poll and a callback never disagree. A failed procurement reads `fulfilling`
//!   in both: it is an operator's exception, not a cancel, and the word never moves backward
//!   (`fulfilling` → `paid` would be a transition Dujiao-Next does not have). A rejected order
//!   was never charged: `canceled`.
//! - Inbound, [`DujiaoOrderStatus::to_order_status`] / [`DujiaoOrderStatus::to_procurement_status`]:
//!   an upstream site's answer about the order we bought there; [`CallbackOutcome`] the same for
//!   its callbacks.

use switchyard_domain::{OrderStatus, ProcurementStatus};

use super::status::{CallbackOutcome, DujiaoOrderStatus};

impl DujiaoOrderStatus {
    /// The word a downstream site sees for an order we sell it (order view and callbacks).
    pub fn from_order_status(status: OrderStatus) -> Self {
        match status {
            OrderStatus::Accepted => Self::Paid,
            OrderStatus::Procuring => Self::Fulfilling,
            OrderStatus::PartiallyDelivered => Self::PartiallyDelivered,
            OrderStatus::Delivered => Self::Delivered,
            OrderStatus::Completed => Self::Completed,
            OrderStatus::Canceled => Self::Canceled,
            OrderStatus::Refunded => Self::Refunded,
            OrderStatus::PartiallyRefunded => Self::PartiallyRefunded,
            // Waiting for an operator: still in progress as far as the buyer can tell.
            OrderStatus::Failed => Self::Fulfilling,
            // Refused before anything was charged.
            OrderStatus::Rejected => Self::Canceled,
        }
    }

    /// What an upstream order's status means for the order of ours it fulfils.
    pub fn to_order_status(self) -> OrderStatus {
        match self {
            Self::PendingPayment => OrderStatus::Accepted,
            Self::Paid | Self::Fulfilling => OrderStatus::Procuring,
            Self::PartiallyDelivered => OrderStatus::PartiallyDelivered,
            Self::Delivered => OrderStatus::Delivered,
            Self::Completed => OrderStatus::Completed,
            Self::Canceled => OrderStatus::Canceled,
            Self::Refunded => OrderStatus::Refunded,
            Self::PartiallyRefunded => OrderStatus::PartiallyRefunded,
        }
    }

    /// What an upstream order's status means for our procurement record of it.
    pub fn to_procurement_status(self) -> ProcurementStatus {
        match self {
            Self::PendingPayment => ProcurementStatus::Submitted,
            Self::Paid | Self::Fulfilling | Self::PartiallyDelivered => ProcurementStatus::Accepted,
            Self::Delivered => ProcurementStatus::Fulfilled,
            Self::Completed => ProcurementStatus::Completed,
            Self::Canceled => ProcurementStatus::Canceled,
            Self::Refunded => ProcurementStatus::Refunded,
            Self::PartiallyRefunded => ProcurementStatus::PartiallyRefunded,
        }
    }
}

impl CallbackOutcome {
    /// The status an upstream callback moves our order to.
    pub fn to_order_status(self) -> OrderStatus {
        match self {
            Self::Delivered => OrderStatus::Delivered,
            Self::Canceled => OrderStatus::Canceled,
            Self::Refunded => OrderStatus::Refunded,
            Self::PartiallyRefunded => OrderStatus::PartiallyRefunded,
        }
    }

    /// The status an upstream callback moves our procurement record to.
    pub fn to_procurement_status(self) -> ProcurementStatus {
        match self {
            Self::Delivered => ProcurementStatus::Fulfilled,
            Self::Canceled => ProcurementStatus::Canceled,
            Self::Refunded => ProcurementStatus::Refunded,
            Self::PartiallyRefunded => ProcurementStatus::PartiallyRefunded,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DujiaoOrderStatus as D;
    use OrderStatus as O;
    use ProcurementStatus as P;

    #[test]
    fn what_a_downstream_site_sees() {
        let table = [
            (O::Accepted, "paid"),
            (O::Procuring, "fulfilling"),
            (O::PartiallyDelivered, "partially_delivered"),
            (O::Delivered, "delivered"),
            (O::Completed, "completed"),
            (O::Canceled, "canceled"),
            (O::Refunded, "refunded"),
            (O::PartiallyRefunded, "partially_refunded"),
            (O::Failed, "fulfilling"),
            (O::Rejected, "canceled"),
        ];
        assert_eq!(table.len(), O::ALL.len(), "one row per status");
        for (ours, word) in table {
            assert_eq!(D::from_order_status(ours).as_str(), word, "{ours}");
        }
    }

    #[test]
    fn what_an_upstream_order_means_for_us() {
        let table = [
            (D::PendingPayment, O::Accepted, P::Submitted),
            (D::Paid, O::Procuring, P::Accepted),
            (D::Fulfilling, O::Procuring, P::Accepted),
            (D::PartiallyDelivered, O::PartiallyDelivered, P::Accepted),
            (D::Delivered, O::Delivered, P::Fulfilled),
            (D::Completed, O::Completed, P::Completed),
            (D::Canceled, O::Canceled, P::Canceled),
            (D::Refunded, O::Refunded, P::Refunded),
            (
                D::PartiallyRefunded,
                O::PartiallyRefunded,
                P::PartiallyRefunded,
            ),
        ];
        for (theirs, order, procurement) in table {
            assert_eq!(theirs.to_order_status(), order, "{theirs:?}");
            assert_eq!(theirs.to_procurement_status(), procurement, "{theirs:?}");
        }
    }

    #[test]
    fn what_a_callback_means_for_us() {
        let table = [
            (CallbackOutcome::Delivered, O::Delivered, P::Fulfilled),
            (CallbackOutcome::Canceled, O::Canceled, P::Canceled),
            (CallbackOutcome::Refunded, O::Refunded, P::Refunded),
            (
                CallbackOutcome::PartiallyRefunded,
                O::PartiallyRefunded,
                P::PartiallyRefunded,
            ),
        ];
        for (outcome, order, procurement) in table {
            assert_eq!(outcome.to_order_status(), order, "{outcome:?}");
            assert_eq!(outcome.to_procurement_status(), procurement, "{outcome:?}");
        }
    }

    #[test]
    fn a_status_we_publish_reads_back_as_itself_where_dujiao_has_the_word() {
        for ours in [
            O::PartiallyDelivered,
            O::Delivered,
            O::Completed,
            O::Canceled,
            O::Refunded,
            O::PartiallyRefunded,
        ] {
            assert_eq!(D::from_order_status(ours).to_order_status(), ours);
        }
    }
}
