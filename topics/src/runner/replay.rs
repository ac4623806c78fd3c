//! `switchyard replay`: re-publish one worker's dead letters of one topic to their origin.
//!
//! Reads `<topic>.dlq` from where the previous replay for that consumer group stopped (a
//! cursor kept as the committed offsets of group `{group_prefix}replay.{worker}`) up to the
//! end as it was when the replay started. Dead letters of other consumer groups are passed
//! over. Each replayed record keeps its key, payload and headers (same `event-id`), loses the
//! `dlq-*` headers and gains `replay-for-group`, so only the group that gave up handles it
//! again. The cursor advances only past records whose re-publication the broker confirmed.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{Offset, TopicPartitionList};

use crate::catalogue::dead_letter_topic;
use crate::config::KafkaConfig;
use crate::headers;
use crate::producer::{ProduceError, Producer};

/// What to replay.
#[derive(Debug, Clone)]
pub struct ReplayRequest {
    /// Logical origin topic, e.g. `orders.accepted`.
    pub logical_topic: String,
    /// Worker whose dead letters to replay (its group is `{group_prefix}{worker}`).
    pub worker: String,
    /// Stop after this many re-published events.
    pub max_events: Option<usize>,
}

/// What a replay did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayReport {
    /// Dead letters re-published to their origin topic.
    pub republished: usize,
    /// Dead letters of other consumer groups passed over.
    pub skipped: usize,
}

/// Why a replay stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// Reading the dead-letter topic failed.
    #[error("kafka: {0}")]
    Kafka(String),
    /// Re-publishing failed; the cursor stays before the failed record.
    #[error("re-publishing a dead letter: {0}")]
    Produce(#[from] ProduceError),
}

const KAFKA_TIMEOUT: Duration = Duration::from_secs(10);

struct DeadLetter {
    partition: i32,
    offset: i64,
    origin_topic: String,
    key: Option<Vec<u8>>,
    payload: Option<Vec<u8>>,
    headers: Vec<(String, Vec<u8>)>,
}

/// Re-publishes the worker's dead letters of a topic; see the module header.
pub async fn replay(
    config: &KafkaConfig,
    request: &ReplayRequest,
) -> Result<ReplayReport, ReplayError> {
    let origin = config.topic_name(&request.logical_topic);
    let dlq = dead_letter_topic(&origin);
    let group = config.consumer_group(&request.worker);
    let cursor_group = format!("{}replay.{}", config.group_prefix, request.worker);
    let limit = request.max_events.unwrap_or(usize::MAX);
    let client = config.client_config();
    let (consumer, letters, skipped_to) = tokio::task::spawn_blocking({
        let dlq = dlq.clone();
        let group = group.clone();
        move || read_dead_letters(client, &cursor_group, &dlq, &group, limit)
    })
    .await
    .map_err(|e| ReplayError::Kafka(e.to_string()))??;

    let producer = Producer::new(config)?;
    let timeout = Duration::from_millis(config.delivery_timeout_ms.max(1_000));
    let mut report = ReplayReport {
        skipped: skipped_to.values().map(|(_, n)| n).sum(),
        ..ReplayReport::default()
    };
    let mut cursor: HashMap<i32, i64> = skipped_to
        .iter()
        .map(|(p, (next, _))| (*p, *next))
        .collect();
    let mut failure = None;
    for letter in &letters {
        let mut headers: Vec<(String, Vec<u8>)> = letter
            .headers
            .iter()
            .filter(|(name, _)| !name.starts_with("dlq-") && name != headers::REPLAY_FOR_GROUP)
            .cloned()
            .collect();
        headers.push((
            headers::REPLAY_FOR_GROUP.to_owned(),
            group.clone().into_bytes(),
        ));
        let sent = producer
            .send_raw(
                &letter.origin_topic,
                letter.key.as_deref(),
                letter.payload.as_deref(),
                &headers,
                timeout,
            )
            .await;
        if let Err(error) = sent {
            failure = Some(error);
            break;
        }
        report.republished += 1;
        let next = cursor.entry(letter.partition).or_insert(0);
        *next = (*next).max(letter.offset + 1);
    }
    // Skipped records after a failed one must be read again next time: keep the cursor at the
    // first unconfirmed record of each partition.
    if failure.is_some() {
        let confirmed = report.republished;
        for letter in letters.iter().skip(confirmed) {
            let next = cursor.entry(letter.partition).or_insert(letter.offset);
            *next = (*next).min(letter.offset);
        }
    }
    tokio::task::spawn_blocking(move || commit_cursor(&consumer, &dlq, &cursor))
        .await
        .map_err(|e| ReplayError::Kafka(e.to_string()))??;
    match failure {
        Some(error) => Err(error.into()),
        None => Ok(report),
    }
}

type SkippedTo = HashMap<i32, (i64, usize)>;

/// Reads from the cursor to the end snapshot; returns this group's dead letters and, per
/// partition, the offset after the last record read plus how many were skipped.
fn read_dead_letters(
    client: rdkafka::ClientConfig,
    cursor_group: &str,
    dlq: &str,
    group: &str,
    limit: usize,
) -> Result<(BaseConsumer, Vec<DeadLetter>, SkippedTo), ReplayError> {
    let kafka = |e: rdkafka::error::KafkaError| ReplayError::Kafka(e.to_string());
    let consumer: BaseConsumer = client
        .clone()
        .set("group.id", cursor_group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()
        .map_err(kafka)?;
    let metadata = consumer
        .fetch_metadata(Some(dlq), KAFKA_TIMEOUT)
        .map_err(kafka)?;
    let partitions: Vec<i32> = metadata
        .topics()
        .iter()
        .filter(|t| t.name() == dlq)
        .flat_map(|t| t.partitions().iter().map(|p| p.id()))
        .collect();
    let mut wanted = TopicPartitionList::new();
    for partition in &partitions {
        wanted.add_partition(dlq, *partition);
    }
    let committed = consumer
        .committed_offsets(wanted, KAFKA_TIMEOUT)
        .map_err(kafka)?;
    let mut assignment = TopicPartitionList::new();
    let mut end: HashMap<i32, i64> = HashMap::new();
    for partition in &partitions {
        let (low, high) = consumer
            .fetch_watermarks(dlq, *partition, KAFKA_TIMEOUT)
            .map_err(kafka)?;
        let start = match committed
            .find_partition(dlq, *partition)
            .map(|e| e.offset())
        {
            Some(Offset::Offset(offset)) => offset.max(low),
            _ => low,
        };
        if start < high {
            end.insert(*partition, high);
            assignment
                .add_partition_offset(dlq, *partition, Offset::Offset(start))
                .map_err(kafka)?;
        }
    }
    let mut letters = Vec::new();
    let mut skipped: SkippedTo = HashMap::new();
    if end.is_empty() {
        return Ok((consumer, letters, skipped));
    }
    consumer.assign(&assignment).map_err(kafka)?;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut done: HashMap<i32, bool> = HashMap::new();
    while done.len() < end.len() && letters.len() < limit && Instant::now() < deadline {
        let Some(message) = consumer.poll(Duration::from_millis(200)) else {
            continue;
        };
        let message = message.map_err(kafka)?;
        let partition = message.partition();
        let high = end.get(&partition).copied().unwrap_or(0);
        if message.offset() >= high || done.contains_key(&partition) {
            continue;
        }
        if message.offset() + 1 >= high {
            done.insert(partition, true);
        }
        let headers: Vec<(String, Vec<u8>)> = message
            .headers()
            .map(|hs| {
                hs.iter()
                    .map(|h| (h.key.to_owned(), h.value.unwrap_or_default().to_vec()))
                    .collect()
            })
            .unwrap_or_default();
        let ours = headers::find_str(&headers, headers::DLQ_CONSUMER_GROUP) == Some(group);
        let origin_topic = headers::find_str(&headers, headers::DLQ_ORIGIN_TOPIC)
            .map(str::to_owned)
            .filter(|origin| dead_letter_topic(origin) == dlq);
        match origin_topic {
            Some(origin_topic) if ours => letters.push(DeadLetter {
                partition,
                offset: message.offset(),
                origin_topic,
                key: message.key().map(<[u8]>::to_vec),
                payload: message.payload().map(<[u8]>::to_vec),
                headers,
            }),
            _ => {
                let entry = skipped.entry(partition).or_insert((0, 0));
                entry.0 = entry.0.max(message.offset() + 1);
                entry.1 += 1;
            }
        }
    }
    Ok((consumer, letters, skipped))
}

fn commit_cursor(
    consumer: &BaseConsumer,
    dlq: &str,
    cursor: &HashMap<i32, i64>,
) -> Result<(), ReplayError> {
    if cursor.is_empty() {
        return Ok(());
    }
    let mut list = TopicPartitionList::new();
    for (partition, next) in cursor {
        list.add_partition_offset(dlq, *partition, Offset::Offset(*next))
            .map_err(|e| ReplayError::Kafka(e.to_string()))?;
    }
    consumer
        .commit(&list, CommitMode::Sync)
        .map_err(|e| ReplayError::Kafka(e.to_string()))
}
