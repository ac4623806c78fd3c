//! Worker metrics, registered once per process and cloned into every worker built there.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;
use switchyard_topics::RunnerMetrics;

use crate::scheduler::SchedulerMetrics;

/// Labels of procurement attempts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct AttemptLabels {
    /// `local_stock`, `dujiao_upstream`, `vending` or `wdt_erp`.
    pub fulfiller: String,
    /// `succeeded`, `transient_failure` or `permanent_failure`.
    pub outcome: String,
}

/// Labels of relayed callbacks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct RelayLabels {
    /// `delivered`, `retry` or `failed`.
    pub outcome: String,
}

/// Labels of D-Store `syncProduct` calls.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct CatalogPushLabels {
    /// `full` or `incremental`.
    pub sync_type: String,
    /// `applied` (S), `refused` (F: skipped, recorded) or `retry` (U, 5xx, timeout: sent again).
    pub outcome: String,
}

/// Labels of rows purged by retention.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct TableLabels {
    /// The table purged.
    pub table: String,
}

/// Every metric family of the workers (the consumer runner's included).
#[derive(Debug, Clone, Default)]
pub struct WorkerMetrics {
    /// The consumer runner's families, shared by every runner of the process.
    pub runner: RunnerMetrics,
    /// The shared scheduler's families.
    pub scheduler: SchedulerMetrics,
    pub(crate) attempts: Family<AttemptLabels, Counter>,
    pub(crate) relays: Family<RelayLabels, Counter>,
    pub(crate) outbox_published: Counter,
    pub(crate) sweeper_stuck: Counter,
    pub(crate) sweeper_vending_expired: Counter,
    pub(crate) retention_purged: Family<TableLabels, Counter>,
    pub(crate) catalog_pushes: Family<CatalogPushLabels, Counter>,
    pub(crate) catalog_products: Counter,
}

impl WorkerMetrics {
    /// Creates the families and registers them in `registry` (call once per process).
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            runner: RunnerMetrics::register(registry),
            scheduler: SchedulerMetrics::register(registry),
            ..Self::default()
        };
        registry.register(
            "switchyard_procurement_attempts",
            "Calls made to place procurement orders, by fulfiller and outcome",
            metrics.attempts.clone(),
        );
        registry.register(
            "switchyard_callback_relays",
            "Callbacks relayed to downstream sites, by outcome",
            metrics.relays.clone(),
        );
        registry.register(
            "switchyard_outbox_published",
            "Outbox events this process's worker drainers published to the broker",
            metrics.outbox_published.clone(),
        );
        registry.register(
            "switchyard_sweeper_stuck_orders",
            "Accepted upstream sub-orders still undelivered past the alert threshold (once each)",
            metrics.sweeper_stuck.clone(),
        );
        registry.register(
            "switchyard_sweeper_vending_expired",
            "Unpaid vending orders closed or confirmed expired by the sweeper",
            metrics.sweeper_vending_expired.clone(),
        );
        registry.register(
            "switchyard_retention_purged_rows",
            "Rows purged past their retention, by table",
            metrics.retention_purged.clone(),
        );
        registry.register(
            "switchyard_dstore_catalog_pushes",
            "D-Store syncProduct calls by sync type and outcome (applied, refused, retry)",
            metrics.catalog_pushes.clone(),
        );
        registry.register(
            "switchyard_dstore_catalog_products",
            "Products D-Store accepted in syncProduct calls",
            metrics.catalog_products.clone(),
        );
        metrics
    }

    /// D-Store `syncProduct` calls so far with this sync type and outcome (tests read it).
    pub fn catalog_pushes(&self, sync_type: &str, outcome: &str) -> u64 {
        self.catalog_pushes
            .get_or_create(&CatalogPushLabels {
                sync_type: sync_type.to_owned(),
                outcome: outcome.to_owned(),
            })
            .get()
    }

    /// Products D-Store accepted so far (tests and benches read it).
    pub fn catalog_products(&self) -> u64 {
        self.catalog_products.get()
    }

    /// Sub-orders the sweeper alerted on as stuck, so far (tests read it).
    pub fn sweeper_stuck_orders(&self) -> u64 {
        self.sweeper_stuck.get()
    }

    /// Unpaid vending orders the sweeper expired so far (tests read it).
    pub fn sweeper_vending_expired(&self) -> u64 {
        self.sweeper_vending_expired.get()
    }

    /// Rows purged from `table` so far (tests read it).
    pub fn retention_purged(&self, table: &str) -> u64 {
        self.retention_purged
            .get_or_create(&TableLabels {
                table: table.to_owned(),
            })
            .get()
    }

    pub(crate) fn attempt(&self, fulfiller: &str, outcome: &str) {
        self.attempts
            .get_or_create(&AttemptLabels {
                fulfiller: fulfiller.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    pub(crate) fn catalog_push(&self, sync_type: &str, outcome: &str) {
        self.catalog_pushes
            .get_or_create(&CatalogPushLabels {
                sync_type: sync_type.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    pub(crate) fn relay(&self, outcome: &str) {
        self.relays
            .get_or_create(&RelayLabels {
                outcome: outcome.to_owned(),
            })
            .inc();
    }
}
