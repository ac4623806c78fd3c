//! Procurement events: requested and result.

use serde::{Deserialize, Serialize};

use super::{order_key, Channel, Event, Fulfiller, Money};
use crate::catalogue::names;

/// One item bought from a fulfiller.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcurementLine {
    /// Our SKU id.
    pub sku_id: String,
    /// The fulfiller's reference for the item.
    pub upstream_sku_ref: String,
    /// Units bought.
    pub quantity: i32,
    /// Expected unit cost.
    pub unit_price: Money,
}

/// The procurer decided to buy (part of) an order (`procurement.requested`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcurementRequested {
    /// Our procurement id, also the upstream idempotency key.
    pub procurement_id: String,
    /// Parent order id.
    pub order_id: String,
    /// Parent order channel.
    pub channel: Channel,
    /// Parent order channel id.
    pub channel_order_id: String,
    /// Fulfiller kind.
    pub fulfiller: Fulfiller,
    /// Upstream connection used.
    pub connection_id: String,
    /// Items bought.
    pub lines: Vec<ProcurementLine>,
    /// Expected total cost.
    pub amount: Money,
    /// Decision time, epoch ms.
    pub requested_at: i64,
}

impl Event for ProcurementRequested {
    const TOPIC: &'static str = names::PROCUREMENT_REQUESTED;
    const EVENT_TYPE: &'static str = "ProcurementRequested";
    fn key(&self) -> String {
        order_key(self.channel, &self.channel_order_id)
    }
}

/// Outcome of a procurement attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(missing_docs)]
pub enum ProcurementOutcome {
    Accepted,
    Fulfilled,
    Rejected,
    Failed,
    Canceled,
}

/// What a fulfiller answered (`procurement.results`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcurementResult {
    /// Our procurement id.
    pub procurement_id: String,
    /// Parent order id.
    pub order_id: String,
    /// Parent order channel.
    pub channel: Channel,
    /// Parent order channel id.
    pub channel_order_id: String,
    /// Fulfiller kind.
    pub fulfiller: Fulfiller,
    /// Upstream connection used.
    pub connection_id: String,
    /// Outcome.
    pub outcome: ProcurementOutcome,
    /// Fulfiller's order id.
    pub upstream_order_id: Option<String>,
    /// Fulfiller's raw status.
    pub upstream_status: Option<String>,
    /// Amount charged.
    pub amount: Option<Money>,
    /// Fulfiller's error code.
    pub error_code: Option<String>,
    /// Whether the procurer will try again.
    pub retryable: bool,
    /// Attempt number, from 1.
    pub attempt: i32,
    /// Result time, epoch ms.
    pub decided_at: i64,
}

impl Event for ProcurementResult {
    const TOPIC: &'static str = names::PROCUREMENT_RESULTS;
    const EVENT_TYPE: &'static str = "ProcurementResult";
    fn key(&self) -> String {
        order_key(self.channel, &self.channel_order_id)
    }
}
