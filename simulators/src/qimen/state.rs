//! What the simulated ERP holds: pushed trades (and every push as received), pending shipments
//! and acks, stock and stock changes, and scripted gateway or ERP errors.

use std::collections::{BTreeMap, VecDeque};

use switchyard_partners::qimen::wire::{
    LogisticsAck, LogisticsSyncItem, StockChange, StockChangeAck, StockRow, TradePushRequest,
    WdtTrade,
};

/// A scripted error answer: the TOP gateway's or the Qimen custom API's format.
#[derive(Debug, Clone)]
pub(crate) struct ScriptedError {
    pub(crate) code: String,
    pub(crate) sub_code: Option<String>,
    pub(crate) format: ErrorFormat,
}

/// Which error body a scripted error is answered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorFormat {
    /// `{"error_response":{code,msg,sub_code,…}}`.
    Top,
    /// `{"response":{"flag":"failure",code,message,sub_code,…}}`.
    Qimen,
}

#[derive(Debug, Default)]
pub(crate) struct ErpState {
    /// Trades by `tid`.
    pub(crate) trades: BTreeMap<String, WdtTrade>,
    /// Every authenticated `trade.push` the ERP handled, in arrival order.
    pub(crate) trade_pushes: Vec<TradePushRequest>,
    /// Shipments not yet acknowledged, by `rec_id`.
    pub(crate) pending_shipments: BTreeMap<i64, LogisticsSyncItem>,
    /// Every logistics ack received.
    pub(crate) logistics_acks: Vec<LogisticsAck>,
    /// Stock rows served by `wdt.stock.query`.
    pub(crate) stock: Vec<StockRow>,
    /// Stock changes not yet acknowledged, by `rec_id`.
    pub(crate) pending_stock_changes: BTreeMap<i64, StockChange>,
    /// Every stock-change ack received.
    pub(crate) stock_change_acks: Vec<StockChangeAck>,
    /// Errors to answer with, after authentication, before handling.
    pub(crate) scripted: VecDeque<ScriptedError>,
    /// TOP error codes answered for authentication failures, in order.
    pub(crate) auth_failures: Vec<String>,
}
