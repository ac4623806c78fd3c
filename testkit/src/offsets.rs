//! A consumer group's progress, read from the broker: the evidence that a group is past a record.
//!
//! Contract: [`committed_offset`] asks the group coordinator for the group's committed offset on
//! one partition (the next offset the group will read) without joining the group, so it never
//! triggers a rebalance. [`wait_until_consumed`] polls it until the group has committed past
//! `offset`: after that, the record at `offset` (and everything before it) has been handled, so a
//! test can assert what that handling did, or did not do, without sleeping.

use std::time::{Duration, Instant};

use anyhow::Context;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

/// How often [`wait_until_consumed`] asks again.
const POLL: Duration = Duration::from_millis(100);

/// The committed offset of `group` on `topic`/`partition`; `None` before its first commit.
pub fn committed_offset(
    bootstrap: &str,
    group: &str,
    topic: &str,
    partition: i32,
) -> anyhow::Result<Option<i64>> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("log_level", "0")
        .create()
        .context("offset reader")?;
    let mut wanted = TopicPartitionList::new();
    wanted.add_partition(topic, partition);
    let committed = consumer
        .committed_offsets(wanted, Duration::from_secs(5))
        .context("fetching committed offsets")?;
    let offset = committed
        .find_partition(topic, partition)
        .map(|entry| entry.offset());
    Ok(match offset {
        Some(Offset::Offset(offset)) => Some(offset),
        _ => None,
    })
}

/// Waits until `group` has committed past `offset` on `topic`/`partition`; panics after `within`.
pub async fn wait_until_consumed(
    bootstrap: &str,
    group: &str,
    topic: &str,
    partition: i32,
    offset: i64,
    within: Duration,
) {
    let deadline = Instant::now() + within;
    loop {
        let asked = (bootstrap.to_owned(), group.to_owned(), topic.to_owned());
        let committed = tokio::task::spawn_blocking(move || {
            let (bootstrap, group, topic) = asked;
            committed_offset(&bootstrap, &group, &topic, partition)
        })
        .await
        .expect("offset reader task");
        if let Ok(Some(next)) = committed {
            if next > offset {
                return;
            }
        }
        assert!(
            Instant::now() < deadline,
            "group {group} did not commit past {topic}/{partition}@{offset} within {within:?} \
             (last answer: {committed:?})"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// How many records `topic` holds (the sum of its partitions' high watermarks); 0 when the
/// topic does not exist. For counting what was written somewhere, e.g. a dead-letter topic.
pub fn records_on(bootstrap: &str, topic: &str) -> anyhow::Result<i64> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("log_level", "0")
        .create()
        .context("watermark reader")?;
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(5))
        .context("fetching metadata")?;
    let Some(found) = metadata.topics().iter().find(|t| t.name() == topic) else {
        return Ok(0);
    };
    if found.error().is_some() {
        return Ok(0);
    }
    let mut records = 0;
    for partition in found.partitions() {
        let (low, high) = consumer
            .fetch_watermarks(topic, partition.id(), Duration::from_secs(5))
            .context("fetching watermarks")?;
        records += high - low;
    }
    Ok(records)
}
