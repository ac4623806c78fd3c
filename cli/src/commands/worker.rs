//! The worker names the CLI accepts; each is one consumer group.

use clap::ValueEnum;

/// One of the six workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WorkerName {
    /// Places procurement orders with fulfillers.
    Procurer,
    /// Applies upstream callbacks and dispense results; relays callbacks downstream.
    CallbackRelayer,
    /// Pushes order status to the channel that owns the order.
    StatusSyncer,
    /// Pulls upstream stock and pushes it to channels.
    StockSyncer,
    /// Expires what a deadline governs.
    ExpirySweeper,
    /// Compares local procurement records with upstreams'.
    Reconciler,
}

impl WorkerName {
    /// Every worker, in the order `up` starts them.
    pub const ALL: [WorkerName; 6] = [
        WorkerName::Procurer,
        WorkerName::CallbackRelayer,
        WorkerName::StatusSyncer,
        WorkerName::StockSyncer,
        WorkerName::ExpirySweeper,
        WorkerName::Reconciler,
    ];

    /// The name used in consumer group ids, metrics and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkerName::Procurer => "procurer",
            WorkerName::CallbackRelayer => "callback-relayer",
            WorkerName::StatusSyncer => "status-syncer",
            WorkerName::StockSyncer => "stock-syncer",
            WorkerName::ExpirySweeper => "expiry-sweeper",
            WorkerName::Reconciler => "reconciler",
        }
    }
}
