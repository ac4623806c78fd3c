//! Dujiao-Next status words: the order status of `POST/GET /orders` and the callback receiver's
//! reading of a callback's `status` (`delivered|completed|fulfilled` → delivered,
//! `canceled|cancelled` → canceled, refunds pass through, anything else is not actionable).
//!
//! Contract: these are Dujiao-Next's words only; what they mean inside Switchyard is in
//! [`super::mapping`].

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use switchyard_domain::UnknownValue;

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
}

impl FromStr for DujiaoOrderStatus {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        serde_json::from_value(serde_json::Value::String(s.to_owned()))
            .map_err(|_| UnknownValue::new("dujiao order status", s))
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_receiver_words() {
        for (word, outcome) in [
            ("delivered", Some(CallbackOutcome::Delivered)),
            ("completed", Some(CallbackOutcome::Delivered)),
            ("fulfilled", Some(CallbackOutcome::Delivered)),
            ("canceled", Some(CallbackOutcome::Canceled)),
            ("cancelled", Some(CallbackOutcome::Canceled)),
            ("refunded", Some(CallbackOutcome::Refunded)),
            (
                "partially_refunded",
                Some(CallbackOutcome::PartiallyRefunded),
            ),
            ("paid", None),
            ("fulfilling", None),
        ] {
            assert_eq!(
                CallbackOutcome::from_callback_status(word),
                outcome,
                "{word}"
            );
        }
    }

    #[test]
    fn order_status_words_round_trip() {
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
    }
}
