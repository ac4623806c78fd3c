//! Dujiao-Next status words and their mapping onto Switchyard's internal states.
//!
//! Contract: upstream order statuses map onto [`OrderStatus`] (for the order we sell) and
//! [`ProcurementStatus`] (for our purchase record); our [`OrderStatus`] maps back to the word a
//! downstream site expects; callback statuses follow the protocol's receiver mapping
//! (`delivered|completed|fulfilled` → delivered, `canceled|cancelled` → canceled, refunds pass
//! through, anything else is not actionable).

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::order_state::{OrderStatus, ProcurementStatus, UnknownStatus};

/// A Dujiao-Next order status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DujiaoOrderStatus {
    /// Created, wallet not yet charged.
    PendingPayment,
    /// Paid from the wallet.
    Paid,
    /// Being fulfilled.
    Fulfilling,
    /// Some items delivered.
    PartiallyDelivered,
    /// Everything delivered.
    Delivered,
    /// Closed.
    Completed,
    /// Canceled.
    Canceled,
    /// Refunded.
    Refunded,
    /// Partly refunded.
    PartiallyRefunded,
}

impl DujiaoOrderStatus {
    /// The wire word.
    pub fn as_str(&self) -> &'static str {
        match self {
            DujiaoOrderStatus::PendingPayment => "pending_payment",
            DujiaoOrderStatus::Paid => "paid",
            DujiaoOrderStatus::Fulfilling => "fulfilling",
            DujiaoOrderStatus::PartiallyDelivered => "partially_delivered",
            DujiaoOrderStatus::Delivered => "delivered",
            DujiaoOrderStatus::Completed => "completed",
            DujiaoOrderStatus::Canceled => "canceled",
            DujiaoOrderStatus::Refunded => "refunded",
            DujiaoOrderStatus::PartiallyRefunded => "partially_refunded",
        }
    }

    /// The internal state of the order this upstream order fulfils.
    pub fn to_order_status(self) -> OrderStatus {
        match self {
            DujiaoOrderStatus::PendingPayment => OrderStatus::Accepted,
            DujiaoOrderStatus::Paid | DujiaoOrderStatus::Fulfilling => OrderStatus::Procuring,
            DujiaoOrderStatus::PartiallyDelivered => OrderStatus::PartiallyDelivered,
            DujiaoOrderStatus::Delivered => OrderStatus::Delivered,
            DujiaoOrderStatus::Completed => OrderStatus::Completed,
            DujiaoOrderStatus::Canceled => OrderStatus::Canceled,
            DujiaoOrderStatus::Refunded => OrderStatus::Refunded,
            DujiaoOrderStatus::PartiallyRefunded => OrderStatus::PartiallyRefunded,
        }
    }

    /// The state of our procurement record for this upstream order.
    pub fn to_procurement_status(self) -> ProcurementStatus {
        match self {
            DujiaoOrderStatus::PendingPayment => ProcurementStatus::Submitted,
            DujiaoOrderStatus::Paid
            | DujiaoOrderStatus::Fulfilling
            | DujiaoOrderStatus::PartiallyDelivered => ProcurementStatus::Accepted,
            DujiaoOrderStatus::Delivered => ProcurementStatus::Fulfilled,
            DujiaoOrderStatus::Completed => ProcurementStatus::Completed,
            DujiaoOrderStatus::Canceled => ProcurementStatus::Canceled,
            DujiaoOrderStatus::Refunded => ProcurementStatus::Refunded,
            DujiaoOrderStatus::PartiallyRefunded => ProcurementStatus::PartiallyRefunded,
        }
    }

    /// The word a downstream site sees for an order we sell it.
    ///
    /// A failed procurement is an operator's exception, not a cancel, so downstream still sees
    /// `fulfilling`; a rejected order never charged anything and reads as `canceled`.
    pub fn from_order_status(status: OrderStatus) -> Self {
        match status {
            OrderStatus::Accepted => DujiaoOrderStatus::Paid,
            OrderStatus::Procuring | OrderStatus::Failed => DujiaoOrderStatus::Fulfilling,
            OrderStatus::PartiallyDelivered => DujiaoOrderStatus::PartiallyDelivered,
            OrderStatus::Delivered => DujiaoOrderStatus::Delivered,
            OrderStatus::Completed => DujiaoOrderStatus::Completed,
            OrderStatus::Canceled | OrderStatus::Rejected => DujiaoOrderStatus::Canceled,
            OrderStatus::Refunded => DujiaoOrderStatus::Refunded,
            OrderStatus::PartiallyRefunded => DujiaoOrderStatus::PartiallyRefunded,
        }
    }
}

impl FromStr for DujiaoOrderStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|_| UnknownStatus {
            kind: "dujiao order",
            value: s.chars().take(64).collect(),
        })
    }
}

/// What a received callback means for the procurement order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackOutcome {
    /// Delivered (`delivered`, `completed`, `fulfilled`).
    Delivered,
    /// Canceled (`canceled`, `cancelled`).
    Canceled,
    /// Fully refunded.
    Refunded,
    /// Partly refunded.
    PartiallyRefunded,
}

impl CallbackOutcome {
    /// The receiver mapping; `None` for statuses that change nothing (e.g. `paid`).
    pub fn from_callback_status(status: &str) -> Option<Self> {
        match status {
            "delivered" | "completed" | "fulfilled" => Some(CallbackOutcome::Delivered),
            "canceled" | "cancelled" => Some(CallbackOutcome::Canceled),
            "refunded" => Some(CallbackOutcome::Refunded),
            "partially_refunded" => Some(CallbackOutcome::PartiallyRefunded),
            _ => None,
        }
    }

    /// The internal order state this outcome moves the parent order to.
    pub fn to_order_status(self) -> OrderStatus {
        match self {
            CallbackOutcome::Delivered => OrderStatus::Delivered,
            CallbackOutcome::Canceled => OrderStatus::Canceled,
            CallbackOutcome::Refunded => OrderStatus::Refunded,
            CallbackOutcome::PartiallyRefunded => OrderStatus::PartiallyRefunded,
        }
    }

    /// The procurement record's new state.
    pub fn to_procurement_status(self) -> ProcurementStatus {
        match self {
            CallbackOutcome::Delivered => ProcurementStatus::Fulfilled,
            CallbackOutcome::Canceled => ProcurementStatus::Canceled,
            CallbackOutcome::Refunded => ProcurementStatus::Refunded,
            CallbackOutcome::PartiallyRefunded => ProcurementStatus::PartiallyRefunded,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_receiver_mapping() {
        for word in ["delivered", "completed", "fulfilled"] {
            assert_eq!(
                CallbackOutcome::from_callback_status(word),
                Some(CallbackOutcome::Delivered)
            );
        }
        for word in ["canceled", "cancelled"] {
            assert_eq!(
                CallbackOutcome::from_callback_status(word),
                Some(CallbackOutcome::Canceled)
            );
        }
        assert_eq!(
            CallbackOutcome::from_callback_status("partially_refunded")
                .map(CallbackOutcome::to_order_status),
            Some(OrderStatus::PartiallyRefunded)
        );
        assert_eq!(
            CallbackOutcome::from_callback_status("refunded").map(CallbackOutcome::to_order_status),
            Some(OrderStatus::Refunded)
        );
        assert_eq!(CallbackOutcome::from_callback_status("paid"), None);
    }

    #[test]
    fn order_statuses_map_both_ways() {
        let all = [
            "pending_payment",
            "paid",
            "fulfilling",
            "partially_delivered",
            "delivered",
            "completed",
            "canceled",
            "refunded",
            "partially_refunded",
        ];
        for word in all {
            let status: DujiaoOrderStatus = word.parse().unwrap();
            assert_eq!(status.as_str(), word);
        }
        assert!("shipped".parse::<DujiaoOrderStatus>().is_err());
        assert_eq!(
            DujiaoOrderStatus::Paid.to_order_status(),
            OrderStatus::Procuring
        );
        assert_eq!(
            DujiaoOrderStatus::Delivered.to_procurement_status(),
            ProcurementStatus::Fulfilled
        );
        for status in OrderStatus::ALL {
            let word = DujiaoOrderStatus::from_order_status(*status);
            if !matches!(status, OrderStatus::Failed | OrderStatus::Rejected) {
                assert_eq!(
                    word.to_order_status(),
                    if *status == OrderStatus::Accepted {
                        OrderStatus::Procuring
                    } else {
                        *status
                    }
                );
            }
        }
    }
}
