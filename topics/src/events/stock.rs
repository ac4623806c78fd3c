//! Stock changes and reconciliation discrepancies.

use serde::{Deserialize, Serialize};

use super::{Event, Money};
use crate::catalogue::names;

/// Origins of stock information.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(missing_docs)]
pub enum StockSource {
    DujiaoUpstream,
    Vending,
    Wdt,
    Local,
}

/// Coarse stock levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(missing_docs)]
pub enum StockStatus {
    Unlimited,
    InStock,
    LowStock,
    OutOfStock,
}

/// Reasons for a stock change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(missing_docs)]
pub enum StockChangeReason {
    Sync,
    Reserved,
    Released,
    Sold,
    Adjusted,
}

/// Stock of one SKU changed (`stock.changed`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockChanged {
    /// Our SKU id.
    pub sku_id: String,
    /// Our SKU code.
    pub sku_code: String,
    /// Where it was observed.
    pub source: StockSource,
    /// Upstream connection, if any.
    pub connection_id: Option<String>,
    /// Units available; `None` = unlimited.
    pub quantity: Option<i64>,
    /// Coarse level.
    pub stock_status: StockStatus,
    /// Sellable at all.
    pub is_active: bool,
    /// Current price, when it changed.
    pub price: Option<Money>,
    /// Why.
    pub reason: StockChangeReason,
    /// Observation time, epoch ms.
    pub observed_at: i64,
}

impl Event for StockChanged {
    const TOPIC: &'static str = names::STOCK_CHANGED;
    const EVENT_TYPE: &'static str = "StockChanged";
    fn key(&self) -> String {
        self.sku_id.clone()
    }
}

/// Reconciliation types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(missing_docs)]
pub enum ReconciliationCheck {
    Status,
    Amount,
    Full,
}

/// Mismatch kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(missing_docs)]
pub enum DiscrepancyKind {
    Status,
    Amount,
    Both,
    MissingUpstream,
    MissingLocal,
}

/// A reconciliation run found a mismatch (`reconciliation.discrepancies`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReconciliationDiscrepancy {
    /// Run id.
    pub run_id: String,
    /// Upstream connection.
    pub connection_id: String,
    /// Our procurement id.
    pub procurement_id: String,
    /// Upstream order id.
    pub upstream_order_id: Option<String>,
    /// What was compared.
    pub check_type: ReconciliationCheck,
    /// What disagrees.
    pub kind: DiscrepancyKind,
    /// Our status.
    pub local_status: Option<String>,
    /// Upstream status.
    pub upstream_status: Option<String>,
    /// Our amount.
    pub local_amount: Option<Money>,
    /// Upstream amount.
    pub upstream_amount: Option<Money>,
    /// Period start, epoch ms.
    pub period_start: i64,
    /// Period end, epoch ms.
    pub period_end: i64,
    /// Detection time, epoch ms.
    pub detected_at: i64,
}

impl Event for ReconciliationDiscrepancy {
    const TOPIC: &'static str = names::RECONCILIATION_DISCREPANCIES;
    const EVENT_TYPE: &'static str = "ReconciliationDiscrepancy";
    /// `{connection_id}:{procurement_id}`; for an upstream order we have no procurement for
    /// (`MISSING_LOCAL`, empty `procurement_id`), `{connection_id}:upstream:{upstream_order_id}`.
    fn key(&self) -> String {
        if self.procurement_id.is_empty() {
            let upstream = self.upstream_order_id.as_deref().unwrap_or_default();
            return format!("{}:upstream:{upstream}", self.connection_id);
        }
        format!("{}:{}", self.connection_id, self.procurement_id)
    }
}
