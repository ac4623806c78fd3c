//! D-Store status vocabularies: the `resultStatus` of every answer and the order statuses of
//! `inquireOrderDetail` / `pushOrderChange` (D-Store's view) and `notifyOrderChange` (ours).
//!
//! Journey: ORDER_SUCCESS → ACCEPTED → PREPARING → READY → COMPLETED; CANCELLED, REJECTED and
//! ORDER_FAIL are final. What these words mean inside Switchyard is in [`super::mapping`].

use serde::{Deserialize, Serialize};

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
    fn only_terminal_statuses_are_final() {
        assert!(DstoreOrderStatus::OrderFail.is_final());
        assert!(!DstoreOrderStatus::Ready.is_final());
    }
}
