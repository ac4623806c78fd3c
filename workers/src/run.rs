//! Building and running a worker: its consumer runner plus its background loop.
//!
//! Contract: [`build`] validates the configuration and prepares the runner without touching
//! the network (metrics are registered by the caller, once per process, with
//! [`WorkerMetrics::register`]); [`Worker::run`] ensures the runner's retry table, then runs the
//! consumer, the worker's loop (procurer: due retries; callback-relayer: callback sender) and an
//! outbox drainer (publishing the events this and every other process committed; one drains at
//! a time) until `shutdown`, stops them, runs a last outbox round, and returns the runner's
//! outcome.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::registry::Registry;
use sqlx::PgPool;
use switchyard_topics::{OutboxDrainer, Runner, PARKED_EVENTS_DDL};
use tokio_util::sync::CancellationToken;

use crate::callback_relayer::{self, CallbackRelayer, Relayer};
use crate::context::WorkerContext;
use crate::error::WorkerError;
use crate::metrics::WorkerMetrics;
use crate::name::WorkerName;
use crate::procurer::{self, Placer, Procurer};

/// Outbox events published per drainer round.
const OUTBOX_BATCH: i64 = 500;

/// A worker ready to run.
pub struct Worker {
    name: WorkerName,
    pool: PgPool,
    drainer: OutboxDrainer,
    drain_interval: Duration,
    kind: Kind,
}

enum Kind {
    Procurer {
        runner: Runner<Procurer>,
        placer: Arc<Placer>,
    },
    CallbackRelayer {
        runner: Runner<CallbackRelayer>,
        relayer: Arc<Relayer>,
    },
}

/// Prepares worker `name` (group `{group_prefix}{name}`) over the process's plumbing.
pub fn build(
    name: WorkerName,
    ctx: WorkerContext,
    metrics: &WorkerMetrics,
) -> Result<Worker, WorkerError> {
    ctx.config.validate()?;
    let kind = match name {
        WorkerName::Procurer => {
            let placer = Arc::new(Placer::new(&ctx, metrics.clone()));
            let handler = Procurer::new(Arc::clone(&placer));
            let runner = Runner::new(
                &ctx.kafka,
                name.as_str(),
                handler,
                ctx.pool.clone(),
                metrics.runner.clone(),
            )?;
            Kind::Procurer { runner, placer }
        }
        WorkerName::CallbackRelayer => {
            let relayer = Arc::new(Relayer::new(&ctx, metrics.clone()));
            let handler = CallbackRelayer::new(Arc::clone(&relayer));
            let runner = Runner::new(
                &ctx.kafka,
                name.as_str(),
                handler,
                ctx.pool.clone(),
                metrics.runner.clone(),
            )?;
            Kind::CallbackRelayer { runner, relayer }
        }
    };
    // Longer than the producer's own message timeout: every drained record gets a definitive
    // outcome before the drainer decides whether to mark it published.
    let produce_timeout = Duration::from_millis(ctx.kafka.delivery_timeout_ms + 2_000);
    let drainer = OutboxDrainer::new(
        ctx.pool.clone(),
        ctx.producer.clone(),
        OUTBOX_BATCH,
        produce_timeout,
    )
    .counting(metrics.outbox_published.clone());
    Ok(Worker {
        name,
        pool: ctx.pool,
        drainer,
        drain_interval: Duration::from_millis(ctx.config.poll_interval_ms),
        kind,
    })
}

/// Registers the metrics, builds worker `name` and runs it until `shutdown` (one worker per
/// process; to run several, register [`WorkerMetrics`] once and [`build`] each).
pub async fn run(
    name: WorkerName,
    ctx: WorkerContext,
    registry: &mut Registry,
    shutdown: CancellationToken,
) -> Result<(), WorkerError> {
    let metrics = WorkerMetrics::register(registry);
    build(name, ctx, &metrics)?.run(shutdown).await
}

impl Worker {
    /// Which worker this is.
    pub fn name(&self) -> WorkerName {
        self.name
    }

    /// Runs until `shutdown`, then drains. (Boxed so callers can spawn it: `Send` is proven here.)
    pub fn run(
        self,
        shutdown: CancellationToken,
    ) -> Pin<Box<dyn Future<Output = Result<(), WorkerError>> + Send>> {
        Box::pin(self.run_inner(shutdown))
    }

    async fn run_inner(self, shutdown: CancellationToken) -> Result<(), WorkerError> {
        ensure_runner_tables(&self.pool).await?;
        let background = shutdown.child_token();
        tracing::info!(worker = %self.name, "worker starting");
        let stop_draining = CancellationToken::new();
        let last_round = self.drainer.clone();
        let drainer = tokio::spawn(self.drainer.run(self.drain_interval, stop_draining.clone()));
        let outcome = match self.kind {
            Kind::Procurer { runner, placer } => {
                let retries = tokio::spawn(procurer::retry::run(placer, background.clone()));
                let outcome = runner.run(shutdown).await;
                background.cancel();
                let _ = retries.await;
                outcome
            }
            Kind::CallbackRelayer { runner, relayer } => {
                let sender =
                    tokio::spawn(callback_relayer::sender::run(relayer, background.clone()));
                let outcome = runner.run(shutdown).await;
                background.cancel();
                let _ = sender.await;
                outcome
            }
        };
        // Once nothing commits here any more: one last round publishes what the final handlers
        // committed; what it cannot publish stays in the outbox for the next drainer.
        stop_draining.cancel();
        let _ = drainer.await;
        if let Err(error) = last_round.drain_once().await {
            tracing::warn!(%error, "last outbox round failed; events stay for the next drainer");
        }
        tracing::info!(worker = %self.name, "worker stopped");
        Ok(outcome?)
    }
}

/// Creates the runner's `parked_events` table if missing; an advisory lock keeps processes
/// starting together from racing on the DDL.
async fn ensure_runner_tables(pool: &PgPool) -> Result<(), WorkerError> {
    // One simple-protocol round trip in one session: lock, DDL, commit.
    let script =
        format!("BEGIN; SELECT pg_advisory_xact_lock(7261001); {PARKED_EVENTS_DDL}; COMMIT;");
    sqlx::raw_sql(&script)
        .execute(pool)
        .await
        .map_err(WorkerError::Database)?;
    Ok(())
}
