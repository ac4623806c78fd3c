//! Dead letters: an event the runner gave up on is written, unchanged (same key, payload and
//! headers), to `<origin topic>.dlq` with extra headers naming its origin, the consumer group,
//! the last error and the attempts made. [`super::replay`] reads them back.

use std::time::Duration;

use super::parking::Record;
use crate::catalogue::dead_letter_topic;
use crate::headers;
use crate::producer::{ProduceError, Producer};

/// Why the runner gave up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GiveUp {
    /// The handler (or the decoder) said the event can never succeed.
    Permanent,
    /// Transient failures until the attempts ran out.
    Exhausted,
}

impl GiveUp {
    fn as_str(self) -> &'static str {
        match self {
            Self::Permanent => "permanent",
            Self::Exhausted => "attempts-exhausted",
        }
    }
}

/// Headers of the dead letter: the original ones (minus stale dead-letter and replay headers)
/// followed by the origin and failure headers.
pub(crate) fn dead_letter_headers(
    record: &Record,
    group: &str,
    error: &str,
    give_up: GiveUp,
    attempts: u32,
) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = record
        .headers
        .iter()
        .filter(|(name, _)| !name.starts_with("dlq-") && *name != headers::REPLAY_FOR_GROUP)
        .map(|(name, value)| (name.to_owned(), value.to_vec()))
        .collect();
    let mut add = |name: &str, value: String| out.push((name.to_owned(), value.into_bytes()));
    add(headers::DLQ_ORIGIN_TOPIC, record.topic.to_string());
    add(headers::DLQ_ORIGIN_PARTITION, record.partition.to_string());
    add(headers::DLQ_ORIGIN_OFFSET, record.offset.to_string());
    add(headers::DLQ_CONSUMER_GROUP, group.to_owned());
    add(headers::DLQ_ERROR, error.to_owned());
    add(headers::DLQ_ERROR_KIND, give_up.as_str().to_owned());
    add(headers::DLQ_ATTEMPTS, attempts.to_string());
    add(
        headers::DLQ_FAILED_AT,
        chrono::Utc::now().timestamp_millis().to_string(),
    );
    out
}

/// Writes the dead letter and waits for the broker's confirmation.
pub(crate) async fn send_dead_letter(
    producer: &Producer,
    record: &Record,
    group: &str,
    error: &str,
    give_up: GiveUp,
    attempts: u32,
    timeout: Duration,
) -> Result<(), ProduceError> {
    let headers = dead_letter_headers(record, group, error, give_up, attempts);
    let key = (!record.key.is_empty()).then_some(record.key.as_bytes());
    producer
        .send_raw(
            &dead_letter_topic(&record.topic),
            key,
            record.payload.as_deref(),
            &headers,
            timeout,
        )
        .await
        .map(|_| ())
}
