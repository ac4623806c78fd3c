//! Types shared by several events: sales channels, fulfiller kinds. (Money is the domain's
//! `switchyard_domain::Money`, whose serde form is the Avro record `Money`.)

use serde::{Deserialize, Serialize};

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
