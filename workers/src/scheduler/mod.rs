//! The shared scheduler: every time-driven job of every worker runs here.
//!
//! # Contract
//! Three kinds of [`Job`], each safe with any number of replicas:
//! - [`TaskJob`]: rows of `scheduled_tasks` (one per thing waiting for a time: an unpaid order's
//!   expiry, the next fallback poll of an order, a connection's next pull). Every replica claims
//!   due rows with `FOR UPDATE SKIP LOCKED` and a lease, so a row is run by one process at a time;
//!   the job's answer ([`TaskOutcome`]) deletes the row, moves it to its next due time, or records
//!   the error and retries it after a backoff. A live holder renews its leases while its runs
//!   last, so it never loses a row to another process; a dead holder's rows come back when the
//!   lease ends. Runs are at-least-once: a job must be idempotent (everything here is).
//! - [`LeaderJob`]: runs on one replica at a time, every period, while that replica holds a
//!   PostgreSQL advisory lock on a dedicated session. When the holder dies its session ends and
//!   the lock with it; a standby tries to take it every `lease`, so the job moves within a lease.
//! - [`PolledJob`]: runs on every replica every period (or when woken); it claims its own rows
//!   with `SKIP LOCKED` (the procurer's due retries, the relayer's due callbacks).
//!
//! A failing round is logged and counted (`switchyard_scheduler_runs_total`); it never stops the
//! scheduler. On shutdown the loops stop claiming and the runs under way finish.

mod leader;
mod polled;
mod tasks;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;
use sqlx::PgPool;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use switchyard_store::scheduled_tasks::{ensure, ClaimedTask};

/// A boxed future borrowed from a job.
pub type JobFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A job's failure; the message must not contain secrets or personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JobError(pub String);

impl JobError {
    /// A failure with its reason.
    pub fn new(reason: impl std::fmt::Display) -> Self {
        Self(reason.to_string())
    }
}

/// The connection a per-connection task is keyed by (its `task_key` is the connection id).
pub fn connection_of(task: &ClaimedTask) -> Result<i64, JobError> {
    task.task_key
        .parse()
        .map_err(|_| JobError::new("task key is not a connection id"))
}

/// What a [`TaskJob`] run says about its row.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskOutcome {
    /// Nothing left to do: the row is deleted.
    Done,
    /// Run again at this time, with this payload (a periodic pull, the next step of a ladder).
    Again {
        /// When.
        at: DateTime<Utc>,
        /// The payload the next run gets.
        payload: serde_json::Value,
    },
}

/// Due rows of `scheduled_tasks` whose `job` is [`TaskJob::name`].
pub trait TaskJob: Send + Sync + 'static {
    /// The `job` column of its rows, and the metrics label.
    fn name(&self) -> &'static str;
    /// Runs one due task.
    fn run(&self, task: ClaimedTask) -> JobFuture<'_, Result<TaskOutcome, JobError>>;
}

/// A job for one replica at a time.
pub trait LeaderJob: Send + Sync + 'static {
    /// Its name: the advisory lock's key and the metrics label.
    fn name(&self) -> &'static str;
    /// Time between two runs on the leader.
    fn period(&self) -> Duration;
    /// One run.
    fn run(&self) -> JobFuture<'_, Result<(), JobError>>;
}

/// A job every replica runs; it claims its own rows.
pub trait PolledJob: Send + Sync + 'static {
    /// The metrics label.
    fn name(&self) -> &'static str;
    /// Time between two rounds.
    fn period(&self) -> Duration;
    /// Wakes a round early (work was just queued in this process), if the job has one.
    fn wakeup(&self) -> Option<&Notify> {
        None
    }
    /// One round.
    fn run(&self) -> JobFuture<'_, Result<(), JobError>>;
}

/// A time-driven job of a worker.
#[derive(Clone)]
pub enum Job {
    /// See [`TaskJob`].
    Tasks(Arc<dyn TaskJob>),
    /// See [`LeaderJob`].
    Leader(Arc<dyn LeaderJob>),
    /// See [`PolledJob`].
    Polled(Arc<dyn PolledJob>),
}

impl Job {
    /// The job's name.
    pub fn name(&self) -> &'static str {
        match self {
            Job::Tasks(job) => job.name(),
            Job::Leader(job) => job.name(),
            Job::Polled(job) => job.name(),
        }
    }
}

/// How the scheduler claims and leases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchedulerSettings {
    /// How often due tasks are looked for.
    pub tick: Duration,
    /// How long a claimed task, or a standby's wait for leadership, lasts.
    pub lease: Duration,
    /// Tasks claimed per look.
    pub batch: i64,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    job: String,
    outcome: &'static str,
}

/// The scheduler's counters.
#[derive(Debug, Clone, Default)]
pub struct SchedulerMetrics {
    runs: Family<RunLabels, Counter>,
}

impl SchedulerMetrics {
    /// Registers `switchyard_scheduler_runs_total{job, outcome}` in `registry`.
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self::default();
        registry.register(
            "switchyard_scheduler_runs",
            "Scheduled job runs by job and outcome (ok, again, failed, lost)",
            metrics.runs.clone(),
        );
        metrics
    }

    fn count(&self, job: &str, outcome: &'static str) {
        self.runs
            .get_or_create(&RunLabels {
                job: job.to_owned(),
                outcome,
            })
            .inc();
    }
}

/// Runs jobs until shutdown.
#[derive(Clone)]
pub struct Scheduler {
    pool: PgPool,
    settings: SchedulerSettings,
    metrics: SchedulerMetrics,
}

impl Scheduler {
    /// A scheduler over `pool`.
    pub fn new(pool: PgPool, settings: SchedulerSettings, metrics: SchedulerMetrics) -> Self {
        Self {
            pool,
            settings,
            metrics,
        }
    }

    /// Spawns one loop per job on `set`; each stops claiming when `shutdown` fires and returns
    /// once its runs under way have finished.
    pub fn spawn(&self, jobs: Vec<Job>, set: &mut JoinSet<()>, shutdown: &CancellationToken) {
        for job in jobs {
            let (scheduler, shutdown) = (self.clone(), shutdown.clone());
            match job {
                Job::Tasks(job) => set.spawn(tasks::run(scheduler, job, shutdown)),
                Job::Leader(job) => set.spawn(leader::run(scheduler, job, shutdown)),
                Job::Polled(job) => set.spawn(polled::run(scheduler, job, shutdown)),
            };
        }
    }
}

/// Sleeps `period` unless `shutdown` fires first (then false).
async fn pause(period: Duration, shutdown: &CancellationToken) -> bool {
    tokio::select! {
        () = shutdown.cancelled() => false,
        () = tokio::time::sleep(period) => true,
    }
}
