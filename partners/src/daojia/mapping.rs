//! 58 Daojia's `orderStatus` ⇄ Switchyard's statuses (README "Status mappings").
//!
//! Contract: total functions (exhaustive `match`, no catch-all arm over our enum). Outbound, 58 is
//! told only what is its provider's to say: the payment steps (30, 40) are 58's own, a failed
//! fulfilment waits for an operator (no news), and a partial refund is not an `orderStatus`.
//! Inbound, 58's payment steps are work in progress for us.

use switchyard_domain::OrderStatus;

use super::status::DaojiaOrderStatus;

impl DaojiaOrderStatus {
    /// The status to report to 58 when the order reaches `status`; `None` when 58 is not told.
    pub fn for_order_status(status: OrderStatus) -> Option<Self> {
        Some(match status {
            OrderStatus::Accepted => Self::Accepted,
            OrderStatus::Procuring | OrderStatus::PartiallyDelivered => Self::InService,
            OrderStatus::Delivered | OrderStatus::Completed => Self::Completed,
            OrderStatus::Canceled | OrderStatus::Refunded | OrderStatus::Rejected => {
                Self::Cancelled
            }
            OrderStatus::PartiallyRefunded | OrderStatus::Failed => return None,
        })
    }

    /// What a 58 status means inside Switchyard.
    pub fn to_order_status(self) -> OrderStatus {
        match self {
            Self::Booked | Self::Accepted => OrderStatus::Accepted,
            Self::AwaitingPayment | Self::Paid | Self::InService => OrderStatus::Procuring,
            Self::Completed => OrderStatus::Completed,
            Self::Cancelled => OrderStatus::Canceled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DaojiaOrderStatus as D;
    use OrderStatus as O;

    #[test]
    fn what_we_report_to_58() {
        let table = [
            (O::Accepted, Some(20)),
            (O::Procuring, Some(50)),
            (O::PartiallyDelivered, Some(50)),
            (O::Delivered, Some(60)),
            (O::Completed, Some(60)),
            (O::Canceled, Some(70)),
            (O::Refunded, Some(70)),
            (O::PartiallyRefunded, None),
            (O::Failed, None),
            (O::Rejected, Some(70)),
        ];
        assert_eq!(table.len(), O::ALL.len(), "one row per status");
        for (ours, code) in table {
            assert_eq!(D::for_order_status(ours).map(D::code), code, "{ours}");
        }
    }

    #[test]
    fn what_a_58_status_means_for_us() {
        let table = [
            (D::Booked, O::Accepted),
            (D::Accepted, O::Accepted),
            (D::AwaitingPayment, O::Procuring),
            (D::Paid, O::Procuring),
            (D::InService, O::Procuring),
            (D::Completed, O::Completed),
            (D::Cancelled, O::Canceled),
        ];
        for (theirs, ours) in table {
            assert_eq!(theirs.to_order_status(), ours, "{theirs:?}");
        }
    }
}
