//! [`ProcurementStatus`]: a sub-order placed with (or received from) another site.
//!
//! Contract: stored as `as_str()` in `procurement_orders.status` (CHECK list in `migrations/`);
//! the values mirror Dujiao-Next's procurement list, so that partner's mapping is one-to-one.

crate::text_enum! {
    /// A procurement order's status (Dujiao-Next's procurement list).
    ProcurementStatus {
        /// Recorded locally, not yet placed (or waiting for a retry).
        Pending => "pending",
        /// Sent to the partner, answer not yet known.
        Submitted => "submitted",
        /// The partner took it (and charged); waiting for delivery.
        Accepted => "accepted",
        /// The partner refused it (non-retryable).
        Rejected => "rejected",
        /// Could not be placed after retries: an exception for an operator.
        Failed => "failed",
        /// Delivered by the partner.
        Fulfilled => "fulfilled",
        /// Closed after delivery.
        Completed => "completed",
        /// Part of the amount refunded by the partner.
        PartiallyRefunded => "partially_refunded",
        /// Fully refunded by the partner.
        Refunded => "refunded",
        /// Canceled.
        Canceled => "canceled",
    }
}

impl ProcurementStatus {
    /// True when no further automatic transition is expected.
    pub fn is_final(&self) -> bool {
        match self {
            ProcurementStatus::Rejected
            | ProcurementStatus::Failed
            | ProcurementStatus::Completed
            | ProcurementStatus::Refunded
            | ProcurementStatus::Canceled => true,
            ProcurementStatus::Pending
            | ProcurementStatus::Submitted
            | ProcurementStatus::Accepted
            | ProcurementStatus::Fulfilled
            | ProcurementStatus::PartiallyRefunded => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_and_finals() {
        assert_eq!(ProcurementStatus::ALL.len(), 10);
        for status in ProcurementStatus::ALL {
            assert_eq!(status.as_str().parse::<ProcurementStatus>(), Ok(*status));
        }
        assert!("Accepted".parse::<ProcurementStatus>().is_err());
        assert!(!ProcurementStatus::Fulfilled.is_final());
        assert!(ProcurementStatus::Canceled.is_final());
    }
}
