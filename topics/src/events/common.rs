//! Types shared by several events: money, sales channels, fulfiller kinds.

use serde::{Deserialize, Serialize};

/// An amount in the currency's minor unit (cents, fen) with its ISO 4217 code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    /// Amount in minor units.
    pub amount_minor: i64,
    /// ISO 4217 alphabetic code.
    pub currency: String,
}

impl Money {
    /// Builds an amount from minor units and a currency code.
    pub fn new(amount_minor: i64, currency: impl Into<String>) -> Self {
        Self {
            amount_minor,
            currency: currency.into(),
        }
    }
}

/// Sales channels that push orders to the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Channel {
    /// A downstream Dujiao-Next site buying from us.
    DujiaoDownstream,
    /// Alipay+ D-Store.
    Dstore,
    /// 58 Daojia.
    Daojia,
}

impl Channel {
    /// The Avro symbol, also used in record keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DujiaoDownstream => "DUJIAO_DOWNSTREAM",
            Self::Dstore => "DSTORE",
            Self::Daojia => "DAOJIA",
        }
    }
}

/// Fulfiller kinds the hub procures from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Fulfiller {
    /// An upstream Dujiao-Next site.
    DujiaoUpstream,
    /// A vending machine platform.
    Vending,
    /// The Wangdiantong ERP through Qimen.
    Wdt,
}
