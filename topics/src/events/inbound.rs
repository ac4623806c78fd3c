//! Events received from fulfillers: upstream Dujiao callbacks and vending dispense reports.

use serde::{Deserialize, Serialize};

use super::Event;
use crate::catalogue::names;

/// Dujiao callback events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UpstreamCallbackEvent {
    /// `order.status_changed`.
    OrderStatusChanged,
    /// `order.fulfilled`.
    OrderFulfilled,
}

/// An upstream site called back about a procurement (`upstream.callbacks`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpstreamCallbackReceived {
    /// Our connection to the upstream.
    pub connection_id: String,
    /// Our procurement id as the upstream knows it.
    pub downstream_order_no: String,
    /// Upstream order id.
    pub upstream_order_id: String,
    /// Upstream order number.
    pub upstream_order_no: String,
    /// Callback event.
    pub callback_event: UpstreamCallbackEvent,
    /// Raw upstream status.
    pub status: String,
    /// Fulfillment type, when attached.
    pub fulfillment_type: Option<String>,
    /// Delivery time, epoch ms.
    pub delivered_at: Option<i64>,
    /// The callback's timestamp, epoch ms.
    pub upstream_timestamp: i64,
    /// Receipt time, epoch ms.
    pub received_at: i64,
}

impl Event for UpstreamCallbackReceived {
    const TOPIC: &'static str = names::UPSTREAM_CALLBACKS;
    const EVENT_TYPE: &'static str = "UpstreamCallbackReceived";
    fn key(&self) -> String {
        format!("{}:{}", self.connection_id, self.downstream_order_no)
    }
}

/// A vending platform reported a dispense (`vending.dispense-results`); unverified.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VendingDispenseResult {
    /// Machine number.
    pub machine_no: String,
    /// Platform order id.
    pub vending_order_id: String,
    /// Dispensed record id.
    pub record_id: String,
    /// Reported success (unverified).
    pub reported_delivered: bool,
    /// Raw floor status.
    pub floor_status: String,
    /// Platform error message.
    pub error_message: Option<String>,
    /// Receipt time, epoch ms.
    pub received_at: i64,
    /// Our procurement sub-order, from the verified token of the notify URL (absent for a
    /// report accepted without a token).
    #[serde(default)]
    pub procurement_id: Option<String>,
}

impl Event for VendingDispenseResult {
    const TOPIC: &'static str = names::VENDING_DISPENSE_RESULTS;
    const EVENT_TYPE: &'static str = "VendingDispenseResult";
    fn key(&self) -> String {
        format!("{}:{}", self.machine_no, self.vending_order_id)
    }
}
