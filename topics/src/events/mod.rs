//! Every event the hub moves, as Rust structs that mirror the `avro/<topic>.avsc` schemas
//! field for field (same names, same order), plus the [`Event`] trait tying each to its topic.
//!
//! Conventions: money is [`Money`] in minor units; times are UTC milliseconds since the epoch
//! (`timestamp-millis`, `i64` here); ids are strings; no phone, address or name in clear.

mod common;
mod inbound;
mod orders;
mod procurement;
mod status_symbol;
mod stock;

pub use common::{Channel, Fulfiller};
pub use inbound::{UpstreamCallbackEvent, UpstreamCallbackReceived, VendingDispenseResult};
pub use orders::{
    ChannelOrderUpdate, ChannelUpdateKind, OrderAccepted, OrderLine, OrderStatusChanged,
    StatusSource,
};
pub use procurement::{
    ProcurementLine, ProcurementOutcome, ProcurementRequested, ProcurementResult,
};
pub use stock::{
    DiscrepancyKind, ReconciliationCheck, ReconciliationDiscrepancy, StockChangeReason,
    StockChanged, StockSource, StockStatus,
};
/// The domain types events carry, defined once in `switchyard-domain`.
pub use switchyard_domain::{Currency, Money, OrderStatus};

use serde::de::DeserializeOwned;
use serde::Serialize;

/// An event type: its value schema is the one of `TOPIC` in the catalogue.
pub trait Event: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Logical topic (without prefix) this event is written to.
    const TOPIC: &'static str;
    /// Value of the `event-type` header, e.g. `OrderAccepted`.
    const EVENT_TYPE: &'static str;
    /// Record key; events sharing a key are kept in order. Never personal data.
    fn key(&self) -> String;
}

/// Key of order-scoped topics: `"{channel}:{channel_order_id}"`.
pub fn order_key(channel: Channel, channel_order_id: &str) -> String {
    format!("{}:{channel_order_id}", channel.as_str())
}
