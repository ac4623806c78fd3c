//! Wangdiantong (via Qimen) wire types: trade push, logistics sync query/ack,
//! stock query and stock-change query/ack.
//!
//! Contract: list parameters (`trade_list`, `logistics_list`, `stock_sync_list`) travel as JSON
//! *strings* inside the business JSON, and their sizes are bounded at construction ([`TradeList`]
//! ≤ 50 trades, [`AckList`] ≤ 50 entries, query `limit` ≤ 100), so an oversized request cannot be
//! built. Amounts are CNY decimal strings on the wire and [`Money`] inside. Privacy fields
//! ([`PRIVACY_FIELDS`]) have no place in these structs: serde drops them, so they are absent.

use serde::{Deserialize, Serialize};

use super::status::WdtTradeStatus;
use switchyard_domain::{Currency, Money};

/// Fields Qimen never returns and Switchyard never stores or logs.
pub const PRIVACY_FIELDS: &[&str] = &[
    "buyer_alipay_no",
    "alipay_id",
    "receiver_name",
    "receiver_address",
    "receiver_mobile",
    "receiver_phone",
    "receiver_email",
    "id_card",
    "buyer_nick",
];

/// Removes every privacy field, at any depth, from a raw JSON value (before it is kept or logged).
pub fn strip_privacy_fields(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.retain(|key, _| !PRIVACY_FIELDS.contains(&key.as_str()));
            map.values_mut().for_each(strip_privacy_fields);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_privacy_fields),
        _ => {}
    }
}

/// Serde for CNY amounts as decimal strings ("12.50"); numbers are accepted when decoding.
pub mod yuan {
    use super::{Currency, Money};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `"12.50"`.
    pub fn serialize<S: Serializer>(money: &Money, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&money.to_decimal_string())
    }

    /// Reads `"12.50"` or `12.5`.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let text = match value {
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) => n.to_string(),
            _ => {
                return Err(serde::de::Error::custom(
                    "amount must be a string or a number",
                ))
            }
        };
        Money::parse_decimal(&text, Currency::CNY).map_err(serde::de::Error::custom)
    }
}

/// One line of a pushed trade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WdtOrderLine {
    /// Line id, unique within the trade.
    pub oid: String,
    /// Quantity.
    pub num: u32,
    /// Unit price.
    #[serde(with = "yuan")]
    pub price: Money,
    /// Line status (same codes as the trade).
    pub status: WdtTradeStatus,
    /// 0 none, 1 refund requested, 2 refunding, 3 refunded, …
    #[serde(default)]
    pub refund_status: u8,
    /// Goods code in the ERP.
    pub goods_no: String,
    /// Spec (SKU) code in the ERP.
    pub spec_no: String,
    /// Display name.
    pub goods_name: String,
}

/// One trade in `trade_list`; `tid` is the idempotency key (unique per `sid`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WdtTrade {
    /// Our order id: a repeat push updates the same ERP trade instead of adding one.
    pub tid: String,
    /// Trade status.
    pub trade_status: WdtTradeStatus,
    /// 0 unpaid, 1 partly paid, 2 paid.
    pub pay_status: u8,
    /// 1 pay before shipping, 2 cash on delivery.
    pub delivery_term: u8,
    /// `yyyy-MM-dd HH:mm:ss` GMT+8.
    pub trade_time: String,
    /// `yyyy-MM-dd HH:mm:ss` GMT+8, when paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pay_time: Option<String>,
    /// Amount paid.
    #[serde(with = "yuan")]
    pub paid: Money,
    /// Shipping fee.
    #[serde(with = "yuan")]
    pub post_amount: Money,
    /// Lines.
    pub order_list: Vec<WdtOrderLine>,
}

/// At most 50 trades, as `wdt.trade.push` demands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeList(Vec<WdtTrade>);

/// The largest `trade_list` one push may carry.
pub const MAX_TRADES_PER_PUSH: usize = 50;

impl TradeList {
    /// Accepts 1..=50 trades.
    pub fn new(trades: Vec<WdtTrade>) -> Result<Self, String> {
        match trades.len() {
            0 => Err("trade_list is empty".into()),
            n if n > MAX_TRADES_PER_PUSH => Err(format!("trade_list has {n} trades, at most 50")),
            _ => Ok(Self(trades)),
        }
    }

    /// The trades.
    pub fn trades(&self) -> &[WdtTrade] {
        &self.0
    }
}

/// Serde for a list carried as a JSON string.
pub mod json_string {
    use serde::de::DeserializeOwned;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Writes the value as a JSON string.
    pub fn serialize<T: Serialize, S: Serializer>(
        value: &T,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let text = serde_json::to_string(value).map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(&text)
    }

    /// Reads a JSON string holding the value (or the value itself).
    pub fn deserialize<'de, T: DeserializeOwned, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<T, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        match value {
            serde_json::Value::String(text) => {
                serde_json::from_str(&text).map_err(serde::de::Error::custom)
            }
            other => serde_json::from_value(other).map_err(serde::de::Error::custom),
        }
    }
}

/// `wdt.trade.push` business parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradePushRequest {
    /// The shop in the ERP.
    pub shop_no: String,
    /// 0 lenient (skip bad trades), 1 strict (all or nothing).
    pub switch: u8,
    /// The trades, as a JSON string on the wire.
    #[serde(with = "json_string")]
    pub trade_list: Vec<WdtTrade>,
}

/// `wdt.trade.push` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradePushAnswer {
    /// 0 on success.
    pub code: i64,
    /// Message.
    #[serde(default)]
    pub message: String,
    /// Trades created.
    #[serde(default)]
    pub new_count: u32,
    /// Trades updated (a repeated `tid`).
    #[serde(default)]
    pub chg_count: u32,
}

/// `wdt.logistics.sync.query` business parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogisticsSyncQuery {
    /// The shop in the ERP.
    pub shop_no: String,
    /// At most 100.
    pub limit: u32,
}

/// The largest `limit` a logistics or stock-change query may ask for.
pub const MAX_QUERY_LIMIT: u32 = 100;

/// One shipment waiting to be synced to the channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogisticsSyncItem {
    /// Record id to acknowledge.
    pub rec_id: i64,
    /// Our order id.
    pub tid: String,
    /// Tracking number.
    pub logistics_no: String,
    /// Carrier type code.
    #[serde(default)]
    pub logistics_type: i64,
    /// Consign time.
    #[serde(default)]
    pub consign_time: String,
    /// Comma-separated line ids shipped.
    #[serde(default)]
    pub oids: String,
    /// Carrier name.
    #[serde(default)]
    pub logistics_name: String,
    /// 0 pending, 1 synced, 2 failed.
    #[serde(default)]
    pub sync_status: i64,
}

/// `wdt.logistics.sync.query` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogisticsSyncQueryAnswer {
    /// 0 on success.
    pub code: i64,
    /// Message.
    #[serde(default)]
    pub message: String,
    /// Pending shipments; empty means caught up.
    #[serde(default)]
    pub trades: Vec<LogisticsSyncItem>,
}

/// One acknowledgement of a synced shipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogisticsAck {
    /// The record acknowledged.
    pub rec_id: i64,
    /// 0 synced to the channel, 1 failed.
    pub status: u8,
    /// Why it failed (empty on success).
    #[serde(default)]
    pub message: String,
}

/// At most 50 acknowledgements per call.
pub const MAX_ACKS_PER_CALL: usize = 50;

/// `wdt.logistics.sync.ack` business parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogisticsSyncAckRequest {
    /// Acknowledgements, as a JSON string on the wire (≤ 50).
    #[serde(with = "json_string")]
    pub logistics_list: Vec<LogisticsAck>,
}

/// A plain `{code, message}` answer (acks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AckAnswer {
    /// 0 on success.
    pub code: i64,
    /// Message.
    #[serde(default)]
    pub message: String,
}

/// `wdt.stock.query` business parameters (incremental by time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockQuery {
    /// `yyyy-MM-dd HH:mm:ss` GMT+8.
    pub start_time: String,
    /// `yyyy-MM-dd HH:mm:ss` GMT+8.
    pub end_time: String,
    /// 0-based page.
    pub page_no: u32,
    /// Page size (≤ 100).
    pub page_size: u32,
}

/// One stock row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockRow {
    /// Spec (SKU) code.
    pub spec_no: String,
    /// Goods code.
    #[serde(default)]
    pub goods_no: String,
    /// Available quantity.
    pub stock_num: f64,
    /// Warehouse code.
    #[serde(default)]
    pub warehouse_no: String,
}

/// `wdt.stock.query` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockQueryAnswer {
    /// 0 on success.
    pub code: i64,
    /// Total rows across pages.
    #[serde(default)]
    pub total_count: u32,
    /// This page.
    #[serde(default)]
    pub stocks: Vec<StockRow>,
}

/// `wdt.api.goods.stock.change.query` business parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockChangeQuery {
    /// The shop in the ERP.
    pub shop_no: String,
    /// At most 100.
    pub limit: u32,
}

/// One stock change to push to the channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockChange {
    /// Record id to acknowledge.
    pub rec_id: i64,
    /// Channel goods id.
    pub goods_id: String,
    /// Channel spec id.
    pub spec_id: String,
    /// Stock to publish.
    pub sync_stock: i64,
    /// Change counter, echoed in the ack so a newer change is not lost.
    pub stock_change_count: i64,
}

/// `wdt.api.goods.stock.change.query` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockChangeQueryAnswer {
    /// 0 on success.
    pub code: i64,
    /// Pending changes.
    #[serde(default)]
    pub stock_change_list: Vec<StockChange>,
}

/// One stock-change acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockChangeAck {
    /// The record acknowledged.
    pub rec_id: i64,
    /// The stock that was published.
    pub sync_stock: i64,
    /// The change counter read in the query.
    pub stock_change_count: i64,
}

/// `wdt.api.goods.stock.change.ack` business parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockChangeAckRequest {
    /// Acknowledgements, as a JSON string on the wire (≤ 50).
    #[serde(with = "json_string")]
    pub stock_sync_list: Vec<StockChangeAck>,
}

/// Qimen method names.
pub mod methods {
    /// Push trades.
    pub const TRADE_PUSH: &str = "wdt.trade.push";
    /// Pending shipments.
    pub const LOGISTICS_SYNC_QUERY: &str = "wdt.logistics.sync.query";
    /// Acknowledge shipments.
    pub const LOGISTICS_SYNC_ACK: &str = "wdt.logistics.sync.ack";
    /// Incremental stock.
    pub const STOCK_QUERY: &str = "wdt.stock.query";
    /// Pending stock changes.
    pub const STOCK_CHANGE_QUERY: &str = "wdt.api.goods.stock.change.query";
    /// Acknowledge stock changes.
    pub const STOCK_CHANGE_ACK: &str = "wdt.api.goods.stock.change.ack";
}
