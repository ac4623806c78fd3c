//! The Kafka side of the runner: the consumer's configuration, its context (rebalance and
//! statistics callbacks) and the poll thread.
//!
//! The poll thread owns all calls to `poll`, so rebalance callbacks run there and may block:
//! on revocation it asks the dispatcher to drain the revoked partitions (finish running
//! handlers, store their offsets) and waits, bounded by the drain timeout, then commits
//! synchronously before the partitions move to another member.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::message::{Headers, Message};
use rdkafka::statistics::Statistics;
use rdkafka::topic_partition_list::TopicPartitionList;
use rdkafka::ClientContext;
use tokio::sync::mpsc;

use super::metrics::PartitionLabels;
use super::record::{HeaderBlock, Record};
use crate::config::KafkaConfig;

/// `(full topic, partition)`.
pub(crate) type TopicPartition = (Arc<str>, i32);

/// Assignment changes, sent from the poll thread to the dispatcher.
pub(crate) enum Control {
    /// Partitions assigned in assignment generation `.0`.
    Assigned(u64, Vec<TopicPartition>),
    /// Partitions revoked; the dispatcher answers on `.1` once drained.
    Revoked(Vec<TopicPartition>, std::sync::mpsc::Sender<()>),
}

/// A fetched record tagged with the assignment generation it was fetched under, so records
/// fetched before a revocation are never mistaken for records of a later assignment.
pub(crate) struct Fetched {
    pub(crate) generation: u64,
    pub(crate) record: Record,
}

/// Consumer context: rebalance hand-off to the dispatcher and lag metrics.
pub(crate) struct RunnerContext {
    control: mpsc::UnboundedSender<Control>,
    generation: AtomicU64,
    pub(crate) closing: AtomicBool,
    drain_timeout: Duration,
    group: String,
    lag: Family<PartitionLabels, Gauge>,
}

impl RunnerContext {
    pub(crate) fn new(
        control: mpsc::UnboundedSender<Control>,
        drain_timeout: Duration,
        group: String,
        lag: Family<PartitionLabels, Gauge>,
    ) -> Self {
        Self {
            control,
            generation: AtomicU64::new(0),
            closing: AtomicBool::new(false),
            drain_timeout,
            group,
            lag,
        }
    }

    fn lag_labels(&self, topic: &str, partition: i32) -> PartitionLabels {
        PartitionLabels {
            consumer_group: self.group.clone(),
            topic: topic.to_owned(),
            partition: partition.to_string(),
        }
    }
}

fn partitions(list: &TopicPartitionList) -> Vec<TopicPartition> {
    list.elements()
        .iter()
        .map(|element| (Arc::from(element.topic()), element.partition()))
        .collect()
}

impl ClientContext for RunnerContext {
    fn stats(&self, statistics: Statistics) {
        for (topic, stats) in statistics.topics {
            for (partition, stats) in stats.partitions {
                if partition >= 0 && stats.consumer_lag >= 0 {
                    self.lag
                        .get_or_create(&self.lag_labels(&topic, partition))
                        .set(stats.consumer_lag);
                }
            }
        }
    }
}

impl ConsumerContext for RunnerContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let Rebalance::Revoke(list) = rebalance else {
            return;
        };
        let revoked = partitions(list);
        for (topic, partition) in &revoked {
            self.lag.remove(&self.lag_labels(topic, *partition));
        }
        if !self.closing.load(Ordering::SeqCst) {
            let (ack, drained) = std::sync::mpsc::channel();
            if self.control.send(Control::Revoked(revoked, ack)).is_ok() {
                let _ = drained.recv_timeout(self.drain_timeout);
            }
        }
        // Commit what the drain stored before another member starts from the committed offset.
        if let Err(error) = consumer.commit_consumer_state(CommitMode::Sync) {
            tracing::debug!(consumer_group = %self.group, %error, "commit on revoke");
        }
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(list) = rebalance {
            let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
            let _ = self
                .control
                .send(Control::Assigned(generation, partitions(list)));
        }
    }
}

/// librdkafka settings of a runner's consumer.
pub(crate) fn consumer_config(config: &KafkaConfig, group: &str) -> ClientConfig {
    let mut client = config.client_config();
    client
        .set("group.id", group)
        .set("enable.auto.commit", "true")
        .set("auto.commit.interval.ms", "1000")
        // At-least-once: only offsets the dispatcher stored after the effect are committed.
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("enable.partition.eof", "false")
        .set("session.timeout.ms", config.session_timeout_ms.to_string())
        .set("statistics.interval.ms", "5000");
    client
}

/// Records forwarded to the dispatcher in one message (amortises channel hand-offs).
const FORWARD_BATCH: usize = 256;

/// Polls until `stop` is set or the dispatcher hangs up, forwarding records in batches.
pub(crate) fn poll_loop(
    consumer: Arc<BaseConsumer<RunnerContext>>,
    topics: Arc<[Arc<str>]>,
    records: mpsc::Sender<Vec<Fetched>>,
    stop: Arc<AtomicBool>,
) {
    let mut batch = Vec::with_capacity(FORWARD_BATCH);
    while !stop.load(Ordering::SeqCst) {
        // Block only when nothing is waiting to be forwarded.
        let wait = if batch.is_empty() {
            Duration::from_millis(100)
        } else {
            Duration::ZERO
        };
        match consumer.poll(wait) {
            Some(Ok(message)) => {
                let generation = consumer.context().generation.load(Ordering::SeqCst);
                batch.push(Fetched {
                    generation,
                    record: record_of(&message, &topics),
                });
                if batch.len() < FORWARD_BATCH {
                    continue;
                }
            }
            Some(Err(error)) => {
                tracing::warn!(%error, "consumer error");
                std::thread::sleep(Duration::from_millis(100));
            }
            None => {}
        }
        if !batch.is_empty() {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(FORWARD_BATCH));
            if records.blocking_send(full).is_err() {
                break;
            }
        }
    }
}

/// The subscribed topic's shared name (so records do not each allocate theirs, and the
/// dispatcher recognises it by pointer).
fn topic_of(topics: &[Arc<str>], topic: &str) -> Arc<str> {
    topics
        .iter()
        .find(|known| &***known == topic)
        .map_or_else(|| Arc::from(topic), Arc::clone)
}

/// Header bytes reserved per record: the standard headers (event id, type, schema name and
/// fingerprint, produced-at, traceparent) fit, so the block is allocated once.
const HEADER_BYTES: usize = 256;

fn record_of(message: &rdkafka::message::BorrowedMessage<'_>, topics: &[Arc<str>]) -> Record {
    let headers = message
        .headers()
        .map(|headers| {
            let mut block = HeaderBlock::with_capacity(headers.count(), HEADER_BYTES);
            for header in headers.iter() {
                block.push(header.key, header.value.unwrap_or_default());
            }
            block
        })
        .unwrap_or_default();
    Record {
        topic: topic_of(topics, message.topic()),
        partition: message.partition(),
        offset: message.offset(),
        key: Arc::from(
            message
                .key()
                .map(String::from_utf8_lossy)
                .unwrap_or_default()
                .as_ref(),
        ),
        payload: message.payload().map(<[u8]>::to_vec),
        headers,
    }
}
