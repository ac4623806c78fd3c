//! The at-least-once consumer runner shared by every worker.
//!
//! # Contract
//! - One worker = one consumer group, `{group_prefix}{worker}`, subscribed to the topics of its
//!   [`Handler::Event`]. Several processes of one worker split the partitions.
//! - **At-least-once.** `enable.auto.offset.store=false`: an offset is stored only when the
//!   event's outcome is durable — handled, parked for retry, or dead-lettered — and never past
//!   an unfinished earlier offset of the same partition. Handlers must be idempotent on
//!   `event_id`; [`crate::mark_processed`] makes that one line inside their transaction.
//! - **Ordering.** Events of one key (per topic and consumer group) are handled one at a time,
//!   in offset order, also across retries. Different keys, on the same or other partitions,
//!   run concurrently, bounded by `max_in_flight`; fetching pauses at `max_buffered`
//!   unfinished events.
//! - **Errors.** [`HandlerError::Permanent`] (and undecodable records) go straight to
//!   `<topic>.dlq`. [`HandlerError::Transient`] parks the event; after `max_attempts` attempts
//!   in total it is dead-lettered. Dead letters carry origin topic/partition/offset, consumer
//!   group, error, error kind and attempt count as headers; [`replay`] re-publishes them.
//! - **Drain.** On shutdown (the [`CancellationToken`] given to [`Runner::run`]) and on
//!   partition revocation, fetching stops, running handlers finish (bounded by
//!   `drain_timeout_ms`), their offsets are stored and committed, queued work is left for the
//!   next owner.
//!
//! # Retry design: a durable per-group schedule in Postgres
//! Retry topics with delay tiers cannot keep per-key order: a key's later events would overtake
//! the one parked in the retry topic, and a retry topic shared by all groups of a topic would
//! re-deliver to groups that had succeeded. So a transient failure *parks* the event in
//! `parked_events` (see `migrations/0007_parked_events.sql`), keyed by consumer group, and stores
//! the offset: the partition moves on at once. The key is remembered as parked (in memory,
//! reloaded from the table when a partition is assigned); later events of that key are parked
//! behind it rather than handled. The head of each parked key is retried when its `due_at`
//! passes (delays `retry_delays_ms`, last repeating); when it is handled or dead-lettered, the
//! key's next parked event is promoted and runs immediately, and when none is left the key is
//! unparked. A backlog drains in batches: due heads of the owned partitions are claimed up to
//! `retry_batch` per statement (`FOR UPDATE SKIP LOCKED`, each claim leased for
//! `retry_claim_lease_ms`, so two replicas never run the same parked event), run concurrently
//! within `max_in_flight` (one per key at a time), and their outcomes are written by group
//! commit, one transaction for every decision ready at once. Because parking happens in the same lane as handling, a key is never handled
//! concurrently, and a crash at any point leads to a redelivery, never a loss (parking is
//! idempotent on the origin offset).
//!
//! Replayed dead letters are re-published to the origin topic with a `replay-for-group`
//! header; other consumer groups of that topic skip them, so only the group that gave up
//! handles the event again. A replayed event is appended to the topic, so it runs after
//! events of its key that were handled meanwhile.

mod consumer;
mod dead_letter;
mod dispatch;
mod handler;
mod metrics;
mod offsets;
mod parking;
mod record;
mod replay;
mod settle;
mod span;
mod work;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use sqlx::PgPool;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use handler::{Consumable, Delivery, Handler, HandlerError};
pub use metrics::RunnerMetrics;
pub use replay::{replay, ReplayError, ReplayReport, ReplayRequest};

use crate::config::KafkaConfig;
use crate::producer::{ProduceError, Producer};
use consumer::{consumer_config, poll_loop, RunnerContext};
use dispatch::Dispatcher;
use settle::Settler;
use work::Shared;

/// Why a runner could not start or stopped abnormally; all need an operator or a restart.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    /// Invalid settings.
    #[error("invalid runner configuration: {0}")]
    Config(String),
    /// The Kafka client failed (creation, subscription).
    #[error("kafka: {0}")]
    Kafka(String),
    /// The internal producer (dead letters) could not be created.
    #[error(transparent)]
    Producer(#[from] ProduceError),
}

/// The consumer runner of one worker; see the module header for its contract.
pub struct Runner<H: Handler> {
    shared: Arc<Shared<H>>,
    /// Subscribed full topic names; records carry these very `Arc`s.
    topics: Arc<[Arc<str>]>,
    metrics: RunnerMetrics,
}

impl<H: Handler> Runner<H> {
    /// Prepares the runner of `worker`: group `{group_prefix}{worker}`, topics of `H::Event`.
    pub fn new(
        config: &KafkaConfig,
        worker: &str,
        handler: H,
        pool: PgPool,
        metrics: RunnerMetrics,
    ) -> Result<Self, RunnerError> {
        if worker.is_empty() {
            return Err(RunnerError::Config("worker name is empty".to_owned()));
        }
        if config.max_attempts == 0 {
            return Err(RunnerError::Config(
                "max_attempts must be at least 1".to_owned(),
            ));
        }
        let topics: Arc<[Arc<str>]> = H::Event::logical_topics()
            .into_iter()
            .map(|logical| Arc::from(config.topic_name(logical)))
            .collect();
        let producer = Producer::new(config)?;
        let group = config.consumer_group(worker);
        let counters = topics
            .iter()
            .map(|topic| (Arc::clone(topic), metrics.for_topic(&group, topic)))
            .collect();
        let group: Arc<str> = Arc::from(group);
        let settler = Settler::new(
            pool.clone(),
            Arc::clone(&group),
            config.retry_claim_lease(),
            config.max_in_flight.max(1),
            metrics.schedule_step(&group, "settle"),
        );
        let claims = metrics.schedule_step(&group, "claim");
        Ok(Self {
            shared: Arc::new(Shared {
                handler,
                worker: Arc::from(worker),
                group,
                config: config.clone(),
                pool,
                producer,
                counters,
                settler,
                claims,
            }),
            topics,
            metrics,
        })
    }

    /// The consumer group id.
    pub fn consumer_group(&self) -> &str {
        &self.shared.group
    }

    /// Consumes until `shutdown` is cancelled, then drains and commits.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), RunnerError> {
        let config = &self.shared.config;
        let (control_tx, control_rx) = mpsc::unbounded_channel();
        let context = RunnerContext::new(
            control_tx,
            Duration::from_millis(config.drain_timeout_ms),
            self.shared.group.to_string(),
            self.metrics.lag.clone(),
        );
        let consumer: BaseConsumer<RunnerContext> = consumer_config(config, &self.shared.group)
            .create_with_context(context)
            .map_err(|e| RunnerError::Kafka(e.to_string()))?;
        let consumer = Arc::new(consumer);
        let topic_refs: Vec<&str> = self.topics.iter().map(|topic| &**topic).collect();
        consumer
            .subscribe(&topic_refs)
            .map_err(|e| RunnerError::Kafka(e.to_string()))?;

        let (records_tx, records_rx) = mpsc::channel(64);
        let stop = Arc::new(AtomicBool::new(false));
        let poller = {
            let consumer = Arc::clone(&consumer);
            let stop = Arc::clone(&stop);
            let topics = Arc::clone(&self.topics);
            std::thread::Builder::new()
                .name(format!("poll-{}", self.shared.group))
                .spawn(move || poll_loop(consumer, topics, records_tx, stop))
                .map_err(|e| RunnerError::Kafka(format!("spawning the poll thread: {e}")))?
        };
        tracing::info!(consumer_group = %self.shared.group, topics = ?self.topics, "runner started");

        let dispatcher =
            Dispatcher::new(Arc::clone(&self.shared), Arc::clone(&consumer), self.topics);
        dispatcher.run(control_rx, records_rx, shutdown).await;

        // The dispatcher stored the final offsets; stop polling, commit them, leave the group.
        stop.store(true, Ordering::SeqCst);
        let group = Arc::clone(&self.shared.group);
        tokio::task::spawn_blocking(move || {
            let _ = poller.join();
            if let Err(error) = consumer.commit_consumer_state(CommitMode::Sync) {
                tracing::debug!(%error, "final commit");
            }
            consumer.context().closing.store(true, Ordering::SeqCst);
            drop(consumer);
        })
        .await
        .map_err(|e| RunnerError::Kafka(format!("closing the consumer: {e}")))?;
        let _ = self.shared.producer.flush(Duration::from_secs(5));
        tracing::info!(consumer_group = %group, "runner stopped");
        Ok(())
    }
}
