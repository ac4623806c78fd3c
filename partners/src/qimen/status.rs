//! Wangdiantong trade statuses (`trade_status` 10..90). On the wire the status is a JSON number (a
//! numeric string is accepted). What the codes mean inside Switchyard is in [`super::mapping`].

use crate::numeric_status::numeric_status_serde;

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
}

numeric_status_serde!(WdtTradeStatus, "trade_status");

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
}
