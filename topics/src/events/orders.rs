//! Order events: accepted, status changed, changed by the channel.

use serde::{Deserialize, Serialize};
use switchyard_domain::OrderStatus;

use super::{order_key, Channel, Event, Money};
use crate::catalogue::names;

/// A channel placed an order and the ingress accepted it (`orders.accepted`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderAccepted {
    /// Our order id.
    pub order_id: String,
    /// Channel the order came from.
    pub channel: Channel,
    /// The channel's order id.
    pub channel_order_id: String,
    /// Credential or connection it came through (never a secret).
    pub connection_id: String,
    /// Ordered items.
    pub lines: Vec<OrderLine>,
    /// Order total.
    pub total: Money,
    /// Callback URL (Dujiao downstream only).
    pub callback_url: Option<String>,
    /// Salted hash of the customer, if any.
    pub customer_ref: Option<String>,
    /// Acceptance time, epoch ms.
    pub accepted_at: i64,
}

/// One ordered item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderLine {
    /// Our SKU id.
    pub sku_id: String,
    /// Our SKU code.
    pub sku_code: String,
    /// Units ordered.
    pub quantity: i32,
    /// Price of one unit.
    pub unit_price: Money,
}

impl Event for OrderAccepted {
    const TOPIC: &'static str = names::ORDERS_ACCEPTED;
    const EVENT_TYPE: &'static str = "OrderAccepted";
    fn key(&self) -> String {
        order_key(self.channel, &self.channel_order_id)
    }
}

/// Which part of the hub caused a status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(missing_docs)]
pub enum StatusSource {
    Ingress,
    Procurer,
    CallbackRelayer,
    Channel,
    ExpirySweeper,
    Operator,
    /// Appended (readers of older versions do not know it): the WDT logistics pull.
    StatusSyncer,
}

/// Our order moved to a new status (`orders.status-changed`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderStatusChanged {
    /// Our order id.
    pub order_id: String,
    /// Channel that owns the order.
    pub channel: Channel,
    /// The channel's order id.
    pub channel_order_id: String,
    /// New status.
    #[serde(with = "super::status_symbol")]
    pub status: OrderStatus,
    /// Status before the change.
    #[serde(with = "super::status_symbol::option")]
    pub previous_status: Option<OrderStatus>,
    /// Who changed it.
    pub source: StatusSource,
    /// Machine-readable reason code.
    pub reason: Option<String>,
    /// Amount refunded so far.
    pub refunded_amount: Option<Money>,
    /// Delivery time, epoch ms.
    pub delivered_at: Option<i64>,
    /// Change time, epoch ms.
    pub changed_at: i64,
}

impl Event for OrderStatusChanged {
    const TOPIC: &'static str = names::ORDERS_STATUS_CHANGED;
    const EVENT_TYPE: &'static str = "OrderStatusChanged";
    fn key(&self) -> String {
        order_key(self.channel, &self.channel_order_id)
    }
}

/// Kinds of change a channel can push.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(missing_docs)]
pub enum ChannelUpdateKind {
    CancelRequested,
    RefundRequested,
    StatusChanged,
    Modified,
}

/// A channel changed an order on its side (`orders.channel-updates`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelOrderUpdate {
    /// Channel that pushed the change.
    pub channel: Channel,
    /// The channel's order id.
    pub channel_order_id: String,
    /// Our order id, when resolved.
    pub order_id: Option<String>,
    /// What changed.
    pub kind: ChannelUpdateKind,
    /// The channel's raw status word.
    pub channel_status: Option<String>,
    /// Refund asked for.
    pub refund_amount: Option<Money>,
    /// Reason code.
    pub reason: Option<String>,
    /// The channel's idempotency id for the push.
    pub channel_request_id: Option<String>,
    /// Receipt time, epoch ms.
    pub received_at: i64,
}

impl Event for ChannelOrderUpdate {
    const TOPIC: &'static str = names::ORDERS_CHANNEL_UPDATES;
    const EVENT_TYPE: &'static str = "ChannelOrderUpdate";
    fn key(&self) -> String {
        order_key(self.channel, &self.channel_order_id)
    }
}
