//! The expiry-sweeper: nothing stays stuck, and bookkeeping does not grow without end.
//!
//! # Contract
//! A worker driven only by time ([`NoInput`]); every job runs on the shared scheduler, so any
//! number of replicas share the work and each due job runs on one of them at a time. Every job
//! is idempotent (a run repeated after a crash changes nothing more).
//! - [`vending_expiry`] (`vending-expiry`, a task per vending sub-order, scheduled by the
//!   procurer when it creates the platform order): an order still unpaid after
//!   `sweeper.vending_unpaid_expiry_secs` is closed on the platform, or confirmed expired by its
//!   query; its reserved stock returns and the sub-order becomes an operator exception with the
//!   reason. An order paid before the deadline is left alone.
//! - [`dujiao_poll`] (`dujiao-fallback-poll`, a task per accepted Dujiao-Next sub-order,
//!   scheduled by the procurer when the upstream accepts): until the callback moves the order,
//!   `GET /orders/:id` on the ladder of `sweeper.dujiao_poll_ladder_secs`, then every
//!   `sweeper.dujiao_poll_every_secs`; an answer that the order is delivered, canceled or
//!   refunded is applied exactly as a callback is ([`crate::upstream_outcome`]). Past
//!   `sweeper.dujiao_stuck_after_secs` it alerts once (metric and operator exception) and keeps
//!   polling.
//! - [`retention`] (`retention`, a leader job every `sweeper.retention_period_secs`): purges
//!   bookkeeping rows past their age in small batches.

pub mod dujiao_poll;
pub mod retention;
mod settings;
pub mod vending_expiry;

pub use settings::SweeperConfig;

use std::sync::Arc;

use sqlx::PgPool;
use switchyard_connections::ConnectionRegistry;
use switchyard_topics::KafkaConfig;

use crate::config::WorkersConfig;
use crate::context::WorkerContext;
use crate::error::WorkerError;
use crate::kit::{NoInput, Worker};
use crate::metrics::WorkerMetrics;
use crate::scheduler::Job;

/// The expiry-sweeper worker.
pub struct ExpirySweeper {
    shared: Arc<Shared>,
}

/// What the sweeper's jobs share.
struct Shared {
    pool: PgPool,
    kafka: KafkaConfig,
    connections: ConnectionRegistry,
    config: WorkersConfig,
    metrics: WorkerMetrics,
}

impl Worker for ExpirySweeper {
    const NAME: &'static str = "expiry-sweeper";
    const DESCRIPTION: &'static str =
        "closes unpaid vending orders, polls upstream orders whose callback never came (alerting after a day), purges old bookkeeping rows";
    type Handler = NoInput;

    fn build(ctx: &WorkerContext, metrics: &WorkerMetrics) -> Result<Self, WorkerError> {
        Ok(Self {
            shared: Arc::new(Shared {
                pool: ctx.pool.clone(),
                kafka: ctx.kafka.clone(),
                connections: ctx.connections.clone(),
                config: ctx.config.clone(),
                metrics: metrics.clone(),
            }),
        })
    }

    fn handler(&self) -> NoInput {
        NoInput
    }

    fn jobs(&self) -> Vec<Job> {
        let shared = &self.shared;
        vec![
            Job::Tasks(Arc::new(vending_expiry::VendingExpiry(Arc::clone(shared)))),
            Job::Tasks(Arc::new(dujiao_poll::FallbackPoll(Arc::clone(shared)))),
            Job::Leader(Arc::new(retention::Retention(Arc::clone(shared)))),
        ]
    }
}

impl Shared {
    /// `period` after `time_scale`, as a chrono duration.
    fn scaled(&self, period: std::time::Duration) -> chrono::Duration {
        chrono::Duration::from_std(self.config.scaled(period)).unwrap_or(chrono::Duration::MAX)
    }
}
