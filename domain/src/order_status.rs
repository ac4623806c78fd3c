//! [`OrderStatus`]: the life of an order inside Switchyard, whatever channel it came from.
//!
//! Contract: stored as `as_str()` in `orders.status` (CHECK list in `migrations/`), published as
//! [`OrderStatus::symbol`] in `orders.status-changed` (`avro/orders.status-changed.avsc`). Each
//! partner maps it to its own vocabulary in `partners/src/<partner>/mapping.rs`.

crate::text_enum! {
    /// The life of an order inside Switchyard, whatever channel it came from.
    OrderStatus {
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
        /// Procurement failed for good: an exception an operator must decide (never an automatic
        /// cancel or refund). Channels keep seeing the order in progress meanwhile.
        Failed => "failed",
        /// Refused at intake (by us or by the fulfiller); nothing was charged.
        Rejected => "rejected",
    }
}

impl OrderStatus {
    /// True when no further automatic transition is expected (an operator may still act).
    pub fn is_final(&self) -> bool {
        match self {
            OrderStatus::Completed
            | OrderStatus::Canceled
            | OrderStatus::Refunded
            | OrderStatus::Failed
            | OrderStatus::Rejected => true,
            OrderStatus::Accepted
            | OrderStatus::Procuring
            | OrderStatus::PartiallyDelivered
            | OrderStatus::Delivered
            | OrderStatus::PartiallyRefunded => false,
        }
    }

    /// The Avro enum symbol of `orders.status-changed`: upper snake case of [`Self::as_str`], but
    /// `failed` keeps the symbol it has always been published under, `EXCEPTION` (the schema may
    /// only grow: data written under every earlier version must stay readable).
    pub fn symbol(&self) -> &'static str {
        match self {
            OrderStatus::Accepted => "ACCEPTED",
            OrderStatus::Procuring => "PROCURING",
            OrderStatus::PartiallyDelivered => "PARTIALLY_DELIVERED",
            OrderStatus::Delivered => "DELIVERED",
            OrderStatus::Completed => "COMPLETED",
            OrderStatus::Canceled => "CANCELED",
            OrderStatus::Refunded => "REFUNDED",
            OrderStatus::PartiallyRefunded => "PARTIALLY_REFUNDED",
            OrderStatus::Failed => "EXCEPTION",
            OrderStatus::Rejected => "REJECTED",
        }
    }

    /// The status whose [`Self::symbol`] is `symbol`.
    pub fn from_symbol(symbol: &str) -> Result<Self, crate::UnknownValue> {
        Self::ALL
            .iter()
            .copied()
            .find(|status| status.symbol() == symbol)
            .ok_or_else(|| crate::UnknownValue::new("OrderStatus symbol", symbol))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_symbol_round_trip_for_every_value() {
        assert_eq!(OrderStatus::ALL.len(), 10);
        for status in OrderStatus::ALL {
            assert_eq!(status.as_str().parse::<OrderStatus>(), Ok(*status));
            if *status != OrderStatus::Failed {
                assert_eq!(status.symbol(), status.as_str().to_uppercase());
            }
            assert_eq!(OrderStatus::from_symbol(status.symbol()), Ok(*status));
            let json = serde_json::to_string(status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
    }

    #[test]
    fn unknown_text_is_an_error() {
        let err = "shipped".parse::<OrderStatus>().unwrap_err();
        assert_eq!(err.to_string(), "unknown OrderStatus `shipped`");
        assert!("Accepted".parse::<OrderStatus>().is_err());
        assert_eq!(
            OrderStatus::from_symbol("EXCEPTION"),
            Ok(OrderStatus::Failed)
        );
        assert!(OrderStatus::from_symbol("EXPIRED").is_err());
    }

    #[test]
    fn final_states() {
        let finals: Vec<_> = OrderStatus::ALL.iter().filter(|s| s.is_final()).collect();
        assert_eq!(
            finals,
            [
                &OrderStatus::Completed,
                &OrderStatus::Canceled,
                &OrderStatus::Refunded,
                &OrderStatus::Failed,
                &OrderStatus::Rejected
            ]
        );
    }
}
