//! Switchyard's internal order states, shared by every partner mapping and stored in Postgres.
//!
//! Contract: `as_str()` is the snake_case text stored in the database and `FromStr` accepts exactly
//! those strings back; `is_final()` says no further transition is expected (an operator may still
//! act). Partner modules map their own statuses onto [`OrderStatus`]; Dujiao-Next procurement
//! records use [`ProcurementStatus`], which mirrors Dujiao-Next's own procurement list.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A status text that is not one of the known values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} status `{value}`")]
pub struct UnknownStatus {
    /// Which enum was being parsed.
    pub kind: &'static str,
    /// The text that did not match (a status word, never personal data).
    pub value: String,
}

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal, { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The snake_case text stored in Postgres.
            pub fn as_str(&self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl FromStr for $name {
            type Err = UnknownStatus;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(UnknownStatus { kind: $kind, value: other.chars().take(64).collect() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// The life of an order inside Switchyard, whatever channel it came from.
    OrderStatus, "order", {
        /// Received and durable; nothing procured yet.
        Accepted => "accepted",
        /// At least one procurement is under way upstream.
        Procuring => "procuring",
        /// Some lines delivered, others still pending.
        PartiallyDelivered => "partially_delivered",
        /// Every line delivered to the customer.
        Delivered => "delivered",
        /// Closed successfully (confirmed by the channel or by time).
        Completed => "completed",
        /// Canceled before delivery.
        Canceled => "canceled",
        /// Fully refunded.
        Refunded => "refunded",
        /// Part of the amount refunded.
        PartiallyRefunded => "partially_refunded",
        /// Procurement failed for good; an operator must decide.
        Failed => "failed",
        /// Refused at intake (by us or by the fulfiller).
        Rejected => "rejected",
    }
);

impl OrderStatus {
    /// True when no further automatic transition is expected.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            OrderStatus::Completed
                | OrderStatus::Canceled
                | OrderStatus::Refunded
                | OrderStatus::Failed
                | OrderStatus::Rejected
        )
    }
}

text_enum!(
    /// A procurement order placed upstream (Dujiao-Next's procurement list).
    ProcurementStatus, "procurement", {
        /// Recorded locally, not yet sent.
        Pending => "pending",
        /// Sent upstream, answer not yet known.
        Submitted => "submitted",
        /// Upstream accepted and charged; waiting for delivery.
        Accepted => "accepted",
        /// Upstream refused it (non-retryable).
        Rejected => "rejected",
        /// Failed after retries; an operator decides.
        Failed => "failed",
        /// Upstream delivered.
        Fulfilled => "fulfilled",
        /// Closed successfully.
        Completed => "completed",
        /// Part of the amount refunded upstream.
        PartiallyRefunded => "partially_refunded",
        /// Fully refunded upstream.
        Refunded => "refunded",
        /// Canceled upstream.
        Canceled => "canceled",
    }
);

impl ProcurementStatus {
    /// True when no further automatic transition is expected.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            ProcurementStatus::Rejected
                | ProcurementStatus::Failed
                | ProcurementStatus::Completed
                | ProcurementStatus::Refunded
                | ProcurementStatus::Canceled
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_for_every_value() {
        for status in OrderStatus::ALL {
            assert_eq!(status.as_str().parse::<OrderStatus>().unwrap(), *status);
            let json = serde_json::to_string(status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
        for status in ProcurementStatus::ALL {
            assert_eq!(
                status.as_str().parse::<ProcurementStatus>().unwrap(),
                *status
            );
        }
        assert_eq!(OrderStatus::ALL.len(), 10);
        assert_eq!(ProcurementStatus::ALL.len(), 10);
    }

    #[test]
    fn unknown_text_is_an_error() {
        let err = "shipped".parse::<OrderStatus>().unwrap_err();
        assert_eq!(err.to_string(), "unknown order status `shipped`");
        assert!("Accepted".parse::<ProcurementStatus>().is_err());
    }

    #[test]
    fn final_states() {
        assert_eq!(
            OrderStatus::PartiallyDelivered.as_str(),
            "partially_delivered"
        );
        assert!(!OrderStatus::Delivered.is_final());
        assert!(OrderStatus::Completed.is_final());
        assert!(!OrderStatus::PartiallyRefunded.is_final());
        assert!(!ProcurementStatus::Fulfilled.is_final());
        assert!(ProcurementStatus::Canceled.is_final());
    }
}
