//! The dispatcher: single owner of the runner's in-memory state. It turns fetched records and
//! due retries into work for per-key lanes, bounds concurrency, tracks offsets and drains
//! partitions on revocation and shutdown.
//!
//! # Contract
//! - A lane is `(topic, partition, key)` ([`lanes`]): at most one work item runs per lane, the
//!   rest queue behind it in arrival order (a promoted parked event goes first); different lanes
//!   run concurrently up to `max_in_flight`, each work item in its own task. Lanes waiting for a
//!   slot are started in the order they began waiting.
//! - Fetching pauses while `max_buffered` fresh records are unfinished (running or queued).
//! - An offset is finished only when its work reports a durable outcome; the committable
//!   offset of each partition ([`crate::runner::offsets`]) is stored in librdkafka at most every
//!   100 ms, and at once on revocation and shutdown (auto-commit sends it).
//! - Records fetched under an older assignment generation, or for a partition being revoked,
//!   are dropped unhandled; their offsets are never stored.
//! - Revocation ([`revoke`]): queued work of the partitions is dropped, running work finishes
//!   (its bookkeeping retries are cancelled), then their offsets are stored and the poll thread
//!   is told it may commit. Shutdown does the same for every partition, bounded by
//!   `drain_timeout_ms`.
//!
//! - Handlers run as futures inside the dispatcher's task (no task spawn per event), so the
//!   dispatcher never awaits anything else without driving them too
//!   ([`Dispatcher::drive_handlers_until`]): a handler holding one of the pool's connections
//!   must be able to finish while the dispatcher waits for another. Handlers share the
//!   dispatcher's core; CPU-heavy handlers should move that work to `spawn_blocking`.
//!
//! The hot path of one event is [`flow`]; the retry schedule is claimed in [`retries`].

mod flow;
mod lanes;
mod partitions;
mod retries;
mod revoke;

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::consumer::{Control, Fetched, RunnerContext, TopicPartition};
use super::handler::Handler;
use super::parking;
use super::work::{Outcome, Shared};
use lanes::Lanes;
use partitions::{PartitionId, PartitionState, Partitions};

/// A work item's report, sent by its task.
struct Finished {
    lane: usize,
    partition: PartitionId,
    fresh_offset: Option<i64>,
    retry_id: Option<i64>,
    outcome: Outcome,
}

/// The runner's state machine; see the module header.
pub(crate) struct Dispatcher<H> {
    shared: Arc<Shared<H>>,
    consumer: Arc<BaseConsumer<RunnerContext>>,
    /// Subscribed topics; a topic's index here identifies it in lanes and partitions.
    topics: Arc<[Arc<str>]>,
    topic_names: Vec<String>,
    partitions: Partitions,
    lanes: Lanes,
    in_flight: usize,
    max_in_flight: usize,
    buffered: usize,
    scheduled_retries: HashSet<i64>,
    /// The last claim of due retries came back full: more are probably due.
    more_due: bool,
    /// A partition with parked keys was just assigned: claim its due retries now.
    claim_now: bool,
    running: futures::stream::FuturesUnordered<
        std::pin::Pin<Box<dyn std::future::Future<Output = Finished> + Send>>,
    >,
    pending_revoke: Option<(Vec<PartitionId>, std::sync::mpsc::Sender<()>)>,
    draining: bool,
}

impl<H: Handler> Dispatcher<H> {
    pub(crate) fn new(
        shared: Arc<Shared<H>>,
        consumer: Arc<BaseConsumer<RunnerContext>>,
        topics: Arc<[Arc<str>]>,
    ) -> Self {
        let max_in_flight = shared.config.max_in_flight.max(1);
        Self {
            shared,
            consumer,
            topic_names: topics.iter().map(|topic| topic.to_string()).collect(),
            topics,
            partitions: Partitions::default(),
            lanes: Lanes::default(),
            in_flight: 0,
            max_in_flight,
            buffered: 0,
            scheduled_retries: HashSet::new(),
            more_due: false,
            claim_now: false,
            running: futures::stream::FuturesUnordered::new(),
            pending_revoke: None,
            draining: false,
        }
    }

    /// Runs until `shutdown`, then drains running work and stores offsets.
    pub(crate) async fn run(
        mut self,
        mut control: mpsc::UnboundedReceiver<Control>,
        mut records: mpsc::Receiver<Vec<Fetched>>,
        shutdown: CancellationToken,
    ) {
        let config = &self.shared.config;
        let max_buffered = config.max_buffered.max(1);
        let mut retry_tick =
            tokio::time::interval(Duration::from_millis(config.retry_poll_interval_ms.max(10)));
        retry_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        // Offsets are stored in librdkafka (cheap, local) at most this often; the auto-commit
        // sends them every second. Revocation and shutdown store them at once.
        let mut store_tick = tokio::time::interval(Duration::from_millis(100));
        store_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            let accepting = self.buffered < max_buffered;
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                Some(change) = control.recv() => self.on_control(change, &shutdown).await,
                Some(finished) = self.running.next(), if !self.running.is_empty() => {
                    self.on_finished(finished);
                }
                Some(batch) = records.recv(), if accepting => {
                    for fetched in batch {
                        self.on_record(fetched);
                    }
                }
                _ = store_tick.tick() => self.store_dirty_offsets(),
                _ = retry_tick.tick() => self.schedule_due_retries().await,
            }
            if self.claim_now || self.claim_again() {
                self.claim_now = false;
                self.more_due = false;
                retry_tick.reset_immediately();
            }
        }
        drop(records);
        self.drain().await;
    }

    /// Index of a subscribed topic (the poll thread hands out these very `Arc`s).
    fn topic_index(&self, topic: &Arc<str>) -> Option<usize> {
        self.topics
            .iter()
            .position(|known| Arc::ptr_eq(known, topic))
            .or_else(|| self.topics.iter().position(|known| **known == **topic))
    }

    fn partition_ids(&self, partitions: &[TopicPartition]) -> Vec<PartitionId> {
        partitions
            .iter()
            .filter_map(|(topic, partition)| Some((self.topic_index(topic)?, *partition)))
            .collect()
    }

    /// Awaits `future` while driving running handlers; their reports are applied afterwards.
    /// `future` must not wait for the dispatcher's own state.
    async fn drive_handlers_until<T>(&mut self, future: impl Future<Output = T>) -> T {
        let mut future = std::pin::pin!(future);
        let mut reports = Vec::new();
        let output = loop {
            tokio::select! {
                biased;
                output = &mut future => break output,
                Some(finished) = self.running.next(), if !self.running.is_empty() => {
                    reports.push(finished);
                }
            }
        };
        for finished in reports {
            self.on_finished(finished);
        }
        output
    }

    async fn on_control(&mut self, change: Control, shutdown: &CancellationToken) {
        match change {
            Control::Assigned(generation, assigned) => {
                for id in self.partition_ids(&assigned) {
                    let topic = Arc::clone(&self.topics[id.0]);
                    let shared = Arc::clone(&self.shared);
                    let loading = load_parked_keys(&shared, &topic, id.1, shutdown);
                    let loaded = self.drive_handlers_until(loading).await;
                    let Some(parked) = loaded else {
                        return;
                    };
                    self.claim_now |= !parked.is_empty();
                    self.partitions
                        .insert(id, PartitionState::new(generation, parked));
                }
            }
            Control::Revoked(revoked, ack) => {
                let revoked = self.partition_ids(&revoked);
                self.on_revoked(revoked, ack);
            }
        }
    }

    fn store_dirty_offsets(&mut self) {
        let mut moved = Vec::new();
        for (id, state) in self.partitions.iter_mut().filter(|(_, s)| s.dirty) {
            state.dirty = false;
            if let Some(next) = state.tracker.advance() {
                moved.push((*id, next));
            }
        }
        for (id, next) in moved {
            self.store_offset(id, next);
        }
    }

    /// Stores `next_offset` as the partition's position to commit (not yet committed).
    fn store_offset(&self, (topic, partition): PartitionId, next_offset: i64) {
        let topic = &self.topic_names[topic];
        let mut list = TopicPartitionList::new();
        if let Err(error) = list.add_partition_offset(topic, partition, Offset::Offset(next_offset))
        {
            tracing::warn!(%error, "building offset list");
            return;
        }
        if let Err(error) = self.consumer.store_offsets(&list) {
            tracing::debug!(%error, topic, partition, "storing offset");
        }
    }
}

/// Parked keys must be known before the partition's first record is handled; retried until
/// they load or the runner shuts down (`None`).
async fn load_parked_keys<H>(
    shared: &Shared<H>,
    topic: &str,
    partition: i32,
    shutdown: &CancellationToken,
) -> Option<HashSet<Arc<str>>> {
    let mut delay = Duration::from_millis(100);
    loop {
        match parking::parked_keys(&shared.pool, &shared.group, topic, partition).await {
            Ok(keys) => return Some(keys.into_iter().map(Arc::from).collect()),
            Err(error) if !shutdown.is_cancelled() => {
                tracing::warn!(%error, "loading parked keys; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            Err(_) => return None,
        }
    }
}
