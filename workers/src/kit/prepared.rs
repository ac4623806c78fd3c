//! A worker built and ready to run: its consumer runner, its jobs and an outbox drainer.
//!
//! Contract: [`PreparedWorker::run`] runs until `shutdown`: the consumer runner (when the worker
//! has input topics), its jobs on the shared scheduler, and an outbox drainer publishing the
//! events this and every other process committed. On shutdown the runner drains, the jobs finish
//! their runs under way, and one last outbox round publishes what they committed. The schema is
//! the migrations' (`switchyard migrate`); a worker creates no table.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use switchyard_topics::{Consumable, Handler, OutboxDrainer, Runner, RunnerError};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::Worker;
use crate::context::WorkerContext;
use crate::error::WorkerError;
use crate::metrics::WorkerMetrics;
use crate::scheduler::{Job, Scheduler};

/// Outbox events published per drainer round.
const OUTBOX_BATCH: i64 = 500;

type BoxedRun = Pin<Box<dyn Future<Output = Result<(), RunnerError>> + Send>>;
type StartRunner = Box<dyn FnOnce(CancellationToken) -> BoxedRun + Send>;

/// A worker ready to run.
pub struct PreparedWorker {
    name: &'static str,
    runner: Option<StartRunner>,
    jobs: Vec<Job>,
    scheduler: Scheduler,
    drainer: OutboxDrainer,
    drain_interval: Duration,
}

impl PreparedWorker {
    /// Builds worker `W` over the process's plumbing (no network).
    pub(super) fn prepare<W: Worker>(
        ctx: &WorkerContext,
        metrics: &WorkerMetrics,
    ) -> Result<Self, WorkerError> {
        ctx.config.validate()?;
        let worker = W::build(ctx, metrics)?;
        let has_input =
            !<<W::Handler as Handler>::Event as Consumable>::logical_topics().is_empty();
        let runner: Option<StartRunner> = if has_input {
            let runner = Runner::new(
                &worker.runner_settings(&ctx.kafka),
                W::NAME,
                worker.handler(),
                ctx.pool.clone(),
                metrics.runner.clone(),
            )?;
            Some(Box::new(move |shutdown| Box::pin(runner.run(shutdown))))
        } else {
            None
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
        Ok(Self {
            name: W::NAME,
            runner,
            jobs: worker.jobs(),
            scheduler: Scheduler::new(
                ctx.pool.clone(),
                ctx.config.scheduler_settings(),
                metrics.scheduler.clone(),
            ),
            drainer,
            drain_interval: Duration::from_millis(ctx.config.poll_interval_ms),
        })
    }

    /// Which worker this is.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The names of its time-driven jobs.
    pub fn job_names(&self) -> Vec<&'static str> {
        self.jobs.iter().map(Job::name).collect()
    }

    /// Runs until `shutdown`, then drains. (Boxed so callers can spawn it: `Send` is proven here.)
    pub fn run(
        self,
        shutdown: CancellationToken,
    ) -> Pin<Box<dyn Future<Output = Result<(), WorkerError>> + Send>> {
        Box::pin(self.run_inner(shutdown))
    }

    async fn run_inner(self, shutdown: CancellationToken) -> Result<(), WorkerError> {
        tracing::info!(worker = self.name, jobs = ?self.job_names(), "worker starting");
        let stop_draining = CancellationToken::new();
        let last_round = self.drainer.clone();
        let drainer = tokio::spawn(self.drainer.run(self.drain_interval, stop_draining.clone()));
        let background = shutdown.child_token();
        let mut jobs = JoinSet::new();
        self.scheduler.spawn(self.jobs, &mut jobs, &background);
        let outcome = match self.runner {
            Some(start) => start(shutdown).await,
            None => {
                shutdown.cancelled().await;
                Ok(())
            }
        };
        background.cancel();
        while jobs.join_next().await.is_some() {}
        // Once nothing commits here any more: one last round publishes what the final handlers
        // and jobs committed; what it cannot publish stays in the outbox for the next drainer.
        stop_draining.cancel();
        let _ = drainer.await;
        if let Err(error) = last_round.drain_once().await {
            tracing::warn!(%error, "last outbox round failed; events stay for the next drainer");
        }
        tracing::info!(worker = self.name, "worker stopped");
        Ok(outcome?)
    }
}
