//! Wangdiantong trade statuses (`trade_status` 10..90) and their mapping onto Switchyard's
//! [`OrderStatus`]. On the wire the status is a JSON number (a numeric string is accepted).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::order_state::OrderStatus;

/// `trade_status` of a pushed trade (and of its lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WdtTradeStatus {
    /// 10: not paid.
    Unpaid,
    /// 20: partly paid.
    PartPaid,
    /// 30: paid, waiting to ship.
    Paid,
    /// 40: partly shipped.
    PartShipped,
    /// 50: shipped.
    Shipped,
    /// 70: completed.
    Completed,
    /// 80: refunded.
    Refunded,
    /// 90: closed.
    Closed,
}

impl WdtTradeStatus {
    /// The numeric wire code.
    pub fn code(self) -> u8 {
        match self {
            Self::Unpaid => 10,
            Self::PartPaid => 20,
            Self::Paid => 30,
            Self::PartShipped => 40,
            Self::Shipped => 50,
            Self::Completed => 70,
            Self::Refunded => 80,
            Self::Closed => 90,
        }
    }

    /// Parses a wire code; `None` for codes the spec does not define.
    pub fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            10 => Self::Unpaid,
            20 => Self::PartPaid,
            30 => Self::Paid,
            40 => Self::PartShipped,
            50 => Self::Shipped,
            70 => Self::Completed,
            80 => Self::Refunded,
            90 => Self::Closed,
            _ => return None,
        })
    }

    /// What this ERP status means for the order inside Switchyard.
    pub fn to_order_status(self) -> OrderStatus {
        match self {
            Self::Unpaid | Self::PartPaid => OrderStatus::Accepted,
            Self::Paid => OrderStatus::Procuring,
            Self::PartShipped => OrderStatus::PartiallyDelivered,
            Self::Shipped => OrderStatus::Delivered,
            Self::Completed => OrderStatus::Completed,
            Self::Refunded => OrderStatus::Refunded,
            Self::Closed => OrderStatus::Canceled,
        }
    }

    /// The status to push to the ERP for an order in `status`; `None` when nothing should be
    /// pushed (a failed procurement is an operator's call, never an automatic close).
    pub fn for_order_status(status: OrderStatus) -> Option<Self> {
        Some(match status {
            OrderStatus::Accepted | OrderStatus::Procuring => Self::Paid,
            OrderStatus::PartiallyDelivered => Self::PartShipped,
            OrderStatus::Delivered => Self::Shipped,
            OrderStatus::Completed => Self::Completed,
            OrderStatus::Refunded => Self::Refunded,
            OrderStatus::Canceled | OrderStatus::Rejected => Self::Closed,
            OrderStatus::PartiallyRefunded | OrderStatus::Failed => return None,
        })
    }
}

impl Serialize for WdtTradeStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.code())
    }
}

impl<'de> Deserialize<'de> for WdtTradeStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let code = match &value {
            serde_json::Value::Number(n) => n.as_u64(),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        code.and_then(|c| u8::try_from(c).ok())
            .and_then(Self::from_code)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown trade_status {value}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_on_the_wire() {
        for code in [10u8, 20, 30, 40, 50, 70, 80, 90] {
            let status = WdtTradeStatus::from_code(code).unwrap();
            assert_eq!(serde_json::to_string(&status).unwrap(), code.to_string());
            let back: WdtTradeStatus = serde_json::from_str(&format!("\"{code}\"")).unwrap();
            assert_eq!(back, status);
        }
        assert!(serde_json::from_str::<WdtTradeStatus>("60").is_err());
    }

    #[test]
    fn mapping_is_consistent_both_ways() {
        for status in [
            WdtTradeStatus::Paid,
            WdtTradeStatus::PartShipped,
            WdtTradeStatus::Shipped,
            WdtTradeStatus::Completed,
            WdtTradeStatus::Refunded,
            WdtTradeStatus::Closed,
        ] {
            assert_eq!(
                WdtTradeStatus::for_order_status(status.to_order_status()),
                Some(status)
            );
        }
        assert_eq!(WdtTradeStatus::for_order_status(OrderStatus::Failed), None);
    }
}
