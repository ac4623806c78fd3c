//! The reconciler: compares our procurement records with each partner's, by connection and
//! period, and records every disagreement.
//!
//! # Contract
//! - A **run** covers one connection and one period `[start, end)`, of type `status`, `amount`
//!   or `full`. It is requested through the operator API / CLI ([`request`]) or by the daily job
//!   ([`daily`]: yesterday, per active fulfiller connection); a request for a (connection,
//!   period, type) that has a run returns that run.
//! - A requested run is a `scheduled_tasks` row ([`task`]): one replica executes it at a time;
//!   when that replica dies, the lease ends and another (or the restarted one) resumes the run
//!   from its cursor ([`execute`]).
//! - For each of our outbound sub-orders of the connection created in the period, in id order,
//!   the partner's view is fetched ([`partner`]: Dujiao `GET /orders/:id`, the vending order
//!   query) and compared ([`compare`]): `status`, `amount`, `both`, or `missing_upstream` when
//!   the partner does not know the order. Then, where the partner lists its orders, every order
//!   it has that we do not is `missing_local`. A partner without a query (WDT through Qimen has
//!   no trade query) or without a list is not guessed at: the run says so in its `note`.
//! - Each discrepancy is stored once per run ([`record`]) and announced on
//!   `reconciliation.discrepancies` through the outbox, in the transaction that stores it and
//!   moves the run's counters and cursor; a resumed run therefore never records one twice.
//! - Every partner call goes through the connection's client from the connection registry, so
//!   it is paced by the connection's `rate_limit_per_minute` (shared with the other work of this
//!   process on that connection).

pub mod compare;
pub mod daily;
mod execute;
mod partner;
mod record;
mod remote;
pub mod request;
mod task;

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use switchyard_connections::ConnectionRegistry;
use switchyard_topics::KafkaConfig;

use crate::context::WorkerContext;
use crate::error::WorkerError;
use crate::kit::{NoInput, Worker};
use crate::metrics::WorkerMetrics;
use crate::scheduler::Job;

pub use request::{request_run, RUN_JOB};

/// How often the daily job looks for yesterday's missing runs.
const DAILY_CHECK: Duration = Duration::from_secs(3_600);

/// The reconciler worker (cheap to clone).
#[derive(Clone)]
pub struct Reconciler {
    shared: Arc<Shared>,
}

pub(crate) struct Shared {
    pool: PgPool,
    kafka: KafkaConfig,
    connections: ConnectionRegistry,
    daily_check: Duration,
}

impl Worker for Reconciler {
    const NAME: &'static str = "reconciler";
    const DESCRIPTION: &'static str =
        "reconciles each connection's procurements with the partner by period (status, amount, missing orders), daily and on demand";
    type Handler = NoInput;

    fn build(ctx: &WorkerContext, _metrics: &WorkerMetrics) -> Result<Self, WorkerError> {
        Ok(Self {
            shared: Arc::new(Shared {
                pool: ctx.pool.clone(),
                kafka: ctx.kafka.clone(),
                connections: ctx.connections.clone(),
                daily_check: DAILY_CHECK,
            }),
        })
    }

    fn handler(&self) -> NoInput {
        NoInput
    }

    fn jobs(&self) -> Vec<Job> {
        vec![
            Job::Tasks(Arc::new(task::RunTask(Arc::clone(&self.shared)))),
            Job::Leader(Arc::new(daily::DailyRuns(Arc::clone(&self.shared)))),
        ]
    }
}
