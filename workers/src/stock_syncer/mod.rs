//! The stock-syncer: upstream catalogs and stock in, `stock.changed` out, our catalog to channels.
//!
//! # Contract
//! Consumes no topic; everything runs on the shared scheduler, so any number of replicas never
//! pull one connection twice at a time:
//! - [`plan`]: every replica, every few ticks, creates the missing per-connection tasks (an
//!   active Dujiao-Next or WDT connection with product mappings, an active D-Store connection
//!   with `settings.pos_account_id` and `settings.pos_store_id`). Operators make a task due now with `POST /admin/v1/connections/{id}/sync`.
//! - [`dujiao`] (`dujiao-catalog`, one task per upstream): `GET /products` page by page (50 a
//!   page) with `updated_after` every `workers.stock_sync_interval_secs`, and the whole catalog
//!   every `workers.stock_full_sync_interval_secs`; a full sync checks each mapped product it did
//!   not see with `GET /products/{id}` and switches the mapping off, with a reason, on 404. One
//!   page is applied in one transaction together with the task's cursor, so a crash resumes at
//!   the first page not committed.
//! - [`wdt`] (`wdt-stock`, one task per WDT connection with mappings):
//!   `wdt.api.goods.stock.change.query` → apply → `.ack` (only after our commit), and
//!   `wdt.stock.query` for a full refresh every full-sync interval.
//! - [`dstore`] (`dstore-catalog`, one task per active D-Store connection whose settings name
//!   its store): `syncProduct` of the connection's channel products — the whole catalog every
//!   full-sync interval (the first call `FULL`, the rest of the batches `INCREMENTAL`), and every
//!   sync interval only what changed since the previous pass (`INCREMENTAL`), in batches of
//!   `workers.dstore_sync_batch`, each call's request kept in the cursor so a retry resends it
//!   with the same `requestId`.
//! - [`journal`]: the stock-change journal becomes `stock.changed` events (keyed by SKU id)
//!   through the outbox, one publisher at a time.
//!
//! Calls go through the connection's client (its rate limit); a failing run is retried by the
//! scheduler with backoff from the cursor it committed last.

mod dstore;
mod dujiao;
mod dujiao_page;
mod journal;
mod plan;
mod wdt;

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use switchyard_connections::ConnectionRegistry;
use switchyard_topics::KafkaConfig;
use tokio::sync::Notify;

use crate::context::WorkerContext;
use crate::error::WorkerError;
use crate::kit::{NoInput, Worker};
use crate::metrics::WorkerMetrics;
use crate::scheduler::Job;

pub use journal::stock_changed_event;

/// The stock-syncer worker.
#[derive(Clone)]
pub struct StockSyncer {
    shared: Arc<Shared>,
}

struct Shared {
    pool: PgPool,
    kafka: KafkaConfig,
    connections: ConnectionRegistry,
    interval: Duration,
    full_interval: Duration,
    tick: Duration,
    /// Products per D-Store `syncProduct` call.
    dstore_batch: u32,
    metrics: WorkerMetrics,
    /// Wakes the journal publisher after a commit that journalled changes.
    journal_wakeup: Notify,
}

impl Shared {
    fn after(&self, period: Duration) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now() + chrono::Duration::from_std(period).unwrap_or_default()
    }
}

impl Worker for StockSyncer {
    const NAME: &'static str = "stock-syncer";
    const DESCRIPTION: &'static str =
        "pulls upstream catalogs and stock (Dujiao products, WDT stock), announces stock.changed and pushes our catalog to D-Store (syncProduct)";
    type Handler = NoInput;

    fn build(ctx: &WorkerContext, metrics: &WorkerMetrics) -> Result<Self, WorkerError> {
        Ok(Self {
            shared: Arc::new(Shared {
                pool: ctx.pool.clone(),
                kafka: ctx.kafka.clone(),
                connections: ctx.connections.clone(),
                interval: ctx.config.stock_sync_interval(),
                full_interval: ctx.config.stock_full_sync_interval(),
                tick: std::time::Duration::from_millis(ctx.config.poll_interval_ms),
                dstore_batch: ctx.config.dstore_sync_batch,
                metrics: metrics.clone(),
                journal_wakeup: Notify::new(),
            }),
        })
    }

    fn handler(&self) -> NoInput {
        NoInput
    }

    fn jobs(&self) -> Vec<Job> {
        let shared = &self.shared;
        vec![
            Job::Polled(Arc::new(plan::Plan(Arc::clone(shared)))),
            Job::Polled(Arc::new(journal::Publish(Arc::clone(shared)))),
            Job::Tasks(Arc::new(dujiao::CatalogPull(Arc::clone(shared)))),
            Job::Tasks(Arc::new(wdt::StockPull(Arc::clone(shared)))),
            Job::Tasks(Arc::new(dstore::CatalogPush(Arc::clone(shared)))),
        ]
    }
}
