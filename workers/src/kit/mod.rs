//! The worker kit: what a worker is, and how a process prepares and runs one.
//!
//! # Contract
//! A worker is one module with a type implementing [`Worker`] — its name, a one-line
//! description, the handler of its input topics (or [`NoInput`]) and its time-driven [`Job`]s —
//! plus one line in [`crate::registry::WORKERS`]. Everything else derives from the registry:
//! `switchyard worker NAME` and its `--help`, `switchyard up`, the consumer group
//! (`{group_prefix}{NAME}`), the metrics labels and the Kubernetes manifests' check.
//!
//! [`Registration::prepare`] builds a worker without touching the network (a bad configuration
//! fails here, at start-up); [`PreparedWorker::run`] runs its consumer runner (when it has input
//! topics), its jobs on the shared [`crate::scheduler`] and an outbox drainer until shutdown, then
//! drains (see `prepared.rs`).

mod no_input;
mod prepared;

use switchyard_topics::{Consumable, Handler, KafkaConfig};

pub use no_input::NoInput;
pub use prepared::PreparedWorker;

use crate::context::WorkerContext;
use crate::error::WorkerError;
use crate::metrics::WorkerMetrics;
use crate::scheduler::Job;

/// A worker: one consumer group and its time-driven jobs.
pub trait Worker: Sized + Send + Sync + 'static {
    /// The name of its consumer group suffix, CLI argument, metrics label and logs.
    const NAME: &'static str;
    /// One line for `switchyard worker --help`.
    const DESCRIPTION: &'static str;
    /// What it consumes ([`NoInput`] for a worker driven only by time).
    type Handler: Handler;

    /// Builds the worker over the process's plumbing; must not touch the network.
    fn build(ctx: &WorkerContext, metrics: &WorkerMetrics) -> Result<Self, WorkerError>;

    /// The handler its consumer runner drives.
    fn handler(&self) -> Self::Handler;

    /// Its time-driven jobs on the shared scheduler.
    fn jobs(&self) -> Vec<Job> {
        Vec::new()
    }

    /// The settings its consumer runner runs with: the process's `[kafka]` section unless the
    /// worker needs another retry budget (a worker whose partner may be down for hours keeps
    /// retrying a parked event for longer before it dead-letters it).
    fn runner_settings(&self, kafka: &KafkaConfig) -> KafkaConfig {
        kafka.clone()
    }
}

/// A worker as the registry knows it: its name, description and how to prepare it.
#[derive(Clone, Copy)]
pub struct Registration {
    /// [`Worker::NAME`].
    pub name: &'static str,
    /// [`Worker::DESCRIPTION`].
    pub description: &'static str,
    topics: fn() -> Vec<&'static str>,
    prepare: fn(&WorkerContext, &WorkerMetrics) -> Result<PreparedWorker, WorkerError>,
}

impl Registration {
    /// The registry line of worker `W`.
    pub const fn of<W: Worker>() -> Self {
        Self {
            name: W::NAME,
            description: W::DESCRIPTION,
            topics: <<W::Handler as Handler>::Event as Consumable>::logical_topics,
            prepare: PreparedWorker::prepare::<W>,
        }
    }

    /// The logical topics it consumes.
    pub fn topics(&self) -> Vec<&'static str> {
        (self.topics)()
    }

    /// Builds it (validating the configuration), ready to run.
    pub fn prepare(
        &self,
        ctx: &WorkerContext,
        metrics: &WorkerMetrics,
    ) -> Result<PreparedWorker, WorkerError> {
        (self.prepare)(ctx, metrics)
    }
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("name", &self.name)
            .field("topics", &self.topics())
            .finish_non_exhaustive()
    }
}
