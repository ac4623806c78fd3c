//! D-Store status vocabularies: the `resultStatus` of every answer and the order statuses of
//! `inquireOrderDetail` / `pushOrderChange` (D-Store's view) and `notifyOrderChange` (ours).
//!
//! Journey: ORDER_SUCCESS → ACCEPTED → PREPARING → READY → COMPLETED; CANCELLED, REJECTED and
//! ORDER_FAIL are final.

use serde::{Deserialize, Serialize};

use crate::order_state::OrderStatus;

/// `result.resultStatus`: S success, F failed (never retry), U unknown (retry, same parameters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResultStatus {
    /// `S`.
    #[serde(rename = "S")]
    Success,
    /// `F`: permanent, retrying cannot help.
    #[serde(rename = "F")]
    Failed,
    /// `U`: outcome unknown; retry with identical parameters.
    #[serde(rename = "U")]
    Unknown,
}

/// Order status as D-Store reports or asks about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DstoreOrderStatus {
    /// Created and paid at D-Store, not yet accepted by the store.
    OrderSuccess,
    /// Accepted by the store.
    Accepted,
    /// Being prepared.
    Preparing,
    /// Ready for pickup / dispatch.
    Ready,
    /// Handed over (final).
    Completed,
    /// Cancelled (final).
    Cancelled,
    /// Rejected by the store (final).
    Rejected,
    /// Could not be placed (final).
    OrderFail,
}

impl DstoreOrderStatus {
    /// True for statuses after which nothing changes.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Completed | Self::Cancelled | Self::Rejected | Self::OrderFail
        )
    }
}

/// Order status the POS reports in `notifyOrderChange`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NotifyOrderStatus {
    /// Accepted by the store.
    Accepted,
    /// Being prepared.
    Preparing,
    /// Ready for pickup / dispatch.
    Ready,
    /// Handed over.
    Completed,
    /// Rejected by the store.
    Rejected,
    /// Cancelled.
    Cancelled,
}

impl DstoreOrderStatus {
    /// What a status reported by D-Store (inquiry, pushOrderChange) means inside Switchyard.
    ///
    /// READY (waiting at the counter) is still work in progress for us: only COMPLETED means the
    /// customer has it.
    pub fn to_order_status(self) -> OrderStatus {
        match self {
            Self::OrderSuccess | Self::Accepted => OrderStatus::Accepted,
            Self::Preparing | Self::Ready => OrderStatus::Procuring,
            Self::Completed => OrderStatus::Completed,
            Self::Cancelled => OrderStatus::Canceled,
            Self::Rejected => OrderStatus::Rejected,
            Self::OrderFail => OrderStatus::Failed,
        }
    }
}

impl NotifyOrderStatus {
    /// The status to notify D-Store of when an order reaches `status`; `None` when D-Store is not
    /// told (a failed procurement waits for an operator; a partial refund is not a status).
    pub fn for_order_status(status: OrderStatus) -> Option<Self> {
        Some(match status {
            OrderStatus::Accepted => Self::Accepted,
            OrderStatus::Procuring | OrderStatus::PartiallyDelivered => Self::Preparing,
            OrderStatus::Delivered => Self::Ready,
            OrderStatus::Completed => Self::Completed,
            OrderStatus::Canceled | OrderStatus::Refunded => Self::Cancelled,
            OrderStatus::Rejected => Self::Rejected,
            OrderStatus::PartiallyRefunded | OrderStatus::Failed => return None,
        })
    }
}

impl From<NotifyOrderStatus> for DstoreOrderStatus {
    fn from(status: NotifyOrderStatus) -> Self {
        match status {
            NotifyOrderStatus::Accepted => Self::Accepted,
            NotifyOrderStatus::Preparing => Self::Preparing,
            NotifyOrderStatus::Ready => Self::Ready,
            NotifyOrderStatus::Completed => Self::Completed,
            NotifyOrderStatus::Rejected => Self::Rejected,
            NotifyOrderStatus::Cancelled => Self::Cancelled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_match_the_spec() {
        let json = serde_json::to_string(&DstoreOrderStatus::OrderSuccess).unwrap();
        assert_eq!(json, "\"ORDER_SUCCESS\"");
        let json = serde_json::to_string(&ResultStatus::Unknown).unwrap();
        assert_eq!(json, "\"U\"");
        let parsed: NotifyOrderStatus = serde_json::from_str("\"CANCELLED\"").unwrap();
        assert_eq!(parsed, NotifyOrderStatus::Cancelled);
    }

    #[test]
    fn internal_statuses_map_to_notifications_and_back() {
        assert_eq!(
            NotifyOrderStatus::for_order_status(OrderStatus::Delivered),
            Some(NotifyOrderStatus::Ready)
        );
        assert_eq!(
            NotifyOrderStatus::for_order_status(OrderStatus::Failed),
            None
        );
        for status in [
            OrderStatus::Accepted,
            OrderStatus::Completed,
            OrderStatus::Canceled,
            OrderStatus::Rejected,
        ] {
            let notified = NotifyOrderStatus::for_order_status(status).unwrap();
            assert_eq!(DstoreOrderStatus::from(notified).to_order_status(), status);
        }
        assert_eq!(
            DstoreOrderStatus::OrderFail.to_order_status(),
            OrderStatus::Failed
        );
    }

    #[test]
    fn only_terminal_statuses_are_final() {
        assert!(DstoreOrderStatus::OrderFail.is_final());
        assert!(!DstoreOrderStatus::Ready.is_final());
    }
}
