//! Reads whole topics from the broker for the verification (librdkafka, no consumer group offsets).
//!
//! Contract: a topic is read from each partition's low watermark until every partition reached
//! the high watermark taken when the read started *and* nothing more arrived for a quiet
//! period; nothing is committed. Records found past the reported mark are counted (a broker
//! whose mark lags its records: tansu 0.6's memory engine, for the last batch of a partition).
//! Offsets between the watermarks that the broker did not return are reported as gaps: an
//! idempotent, non-transactional producer leaves none, so a gap is an offset the broker assigned
//! (and confirmed) but does not serve. Because an acknowledged event may still sit in the
//! ingress's durable spool, [`verify_topics`] re-reads until every topic passes or the patience
//! runs out, and reports the last reading.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use switchyard_topics::headers::EVENT_ID;

use super::{verify_records, ObservedRecord, OffsetGaps, TopicVerification, VerificationReport};

/// Where the events are.
#[derive(Debug, Clone)]
pub struct KafkaSource {
    /// Bootstrap servers.
    pub brokers: String,
    /// Prefix of every topic name.
    pub topic_prefix: String,
}

const METADATA_TIMEOUT: Duration = Duration::from_secs(10);
/// The verification's quiet period after the high watermarks are reached.
const VERIFY_QUIET: Duration = Duration::from_secs(1);

/// Every record of a topic, and the offsets the broker skipped.
#[derive(Debug, Default)]
pub struct TopicRead {
    /// Records in partition and offset order of arrival.
    pub records: Vec<ObservedRecord>,
    /// Offsets between the watermarks that were not returned.
    pub gaps: OffsetGaps,
    /// Records served at or past the high watermark the broker reported when the read began.
    pub beyond_high_watermark: u64,
}

/// Reads every record of `topic`, giving up after `within`, and stopping once the high
/// watermarks are reached and `quiet` passed without a record (blocking; call from a blocking
/// thread).
pub fn read_topic(
    brokers: &str,
    topic: &str,
    within: Duration,
    quiet: Duration,
) -> anyhow::Result<TopicRead> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set(
            "group.id",
            format!("loadtest-verify-{}", uuid::Uuid::new_v4()),
        )
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .create()
        .context("creating the verification consumer")?;
    let metadata = consumer
        .fetch_metadata(Some(topic), METADATA_TIMEOUT)
        .with_context(|| format!("metadata of {topic}"))?;
    let partitions: Vec<i32> = metadata
        .topics()
        .iter()
        .filter(|t| t.name() == topic && t.error().is_none())
        .flat_map(|t| t.partitions().iter().map(|p| p.id()))
        .collect();
    if partitions.is_empty() {
        bail!("topic {topic} does not exist or has no partitions");
    }
    let mut assignment = TopicPartitionList::new();
    // Per partition: the next offset expected (starts at the low watermark) and the high mark.
    let mut expected: BTreeMap<i32, (i64, i64)> = BTreeMap::new();
    for partition in partitions {
        let (low, high) = consumer
            .fetch_watermarks(topic, partition, METADATA_TIMEOUT)
            .with_context(|| format!("watermarks of {topic}/{partition}"))?;
        // Every partition, even one that looks empty: its high mark may lag its records.
        assignment.add_partition_offset(topic, partition, Offset::Offset(low))?;
        expected.insert(partition, (low, high));
    }
    let mut read = TopicRead::default();
    consumer
        .assign(&assignment)
        .context("assigning partitions")?;
    let deadline = Instant::now() + within;
    let mut last_record = Instant::now();
    loop {
        let reached_high = expected.values().all(|(next, high)| next >= high);
        if reached_high && last_record.elapsed() >= quiet {
            break;
        }
        if Instant::now() > deadline {
            bail!("reading {topic} took longer than {within:?}");
        }
        let Some(message) = consumer.poll(Duration::from_millis(100)) else {
            continue;
        };
        let message = message.with_context(|| format!("reading {topic}"))?;
        last_record = Instant::now();
        let event_id = message.headers().and_then(|headers| {
            headers
                .iter()
                .find(|header| header.key == EVENT_ID)
                .and_then(|header| header.value)
                .map(|value| String::from_utf8_lossy(value).into_owned())
        });
        let (partition, offset) = (message.partition(), message.offset());
        if let Some((next, high)) = expected.get_mut(&partition) {
            read.gaps.skipped(partition, *next, offset);
            *next = (*next).max(offset + 1);
            if offset >= *high {
                read.beyond_high_watermark += 1;
            }
        }
        read.records.push(ObservedRecord {
            partition,
            offset,
            key: message
                .key()
                .map(|key| String::from_utf8_lossy(key).into_owned()),
            event_id,
        });
    }
    Ok(read)
}

/// Verifies every topic in `acked` (full topic name → acknowledged ids), retrying until all pass
/// or `patience` has passed.
pub async fn verify_topics(
    source: &KafkaSource,
    acked: BTreeMap<String, Vec<String>>,
    patience: Duration,
) -> VerificationReport {
    let deadline = Instant::now() + patience;
    loop {
        let mut topics = Vec::new();
        for (topic, ids) in &acked {
            let (brokers, name) = (source.brokers.clone(), topic.clone());
            let read = tokio::task::spawn_blocking(move || {
                read_topic(&brokers, &name, Duration::from_secs(60), VERIFY_QUIET)
            })
            .await;
            let verdict = match read {
                Ok(Ok(read)) => {
                    let mut verdict = verify_records(topic, ids, &read.records);
                    verdict.offset_gaps = read.gaps;
                    verdict.beyond_high_watermark = read.beyond_high_watermark;
                    verdict
                }
                Ok(Err(error)) => unreadable(topic, ids, format!("{error:#}")),
                Err(join) => unreadable(topic, ids, format!("reader failed: {join}")),
            };
            topics.push(verdict);
        }
        let report = VerificationReport::new(&source.brokers, &source.topic_prefix, topics);
        if report.passed || Instant::now() >= deadline {
            return report;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

fn unreadable(topic: &str, ids: &[String], error: String) -> TopicVerification {
    let mut verdict = verify_records(topic, ids, &[]);
    verdict.read_error = Some(error);
    verdict
}
