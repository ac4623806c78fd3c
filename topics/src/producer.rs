//! The idempotent producer: `acks=all`, `enable.idempotence=true`, bounded
//! `message.timeout.ms`. [`Producer::send`] returns only once the broker confirmed the write
//! *at a position* (partition and offset), and its error says whether to spool and retry
//! (timeout, broker unavailable, unconfirmed) or give up (permanent).
//!
//! Why a position is required: when a broker answers a retried batch with
//! `DUPLICATE_SEQUENCE_NUMBER`, librdkafka reports the records as delivered with offset -1.
//! A broker that keeps the batch answers a retry with the batch's offset instead (Apache Kafka
//! does for the batches it caches per producer), so "delivered, offset unknown" means the broker
//! vouched for a write it cannot locate. A broker that advances a producer's sequence before the
//! batch is stored (and then fails the request) answers exactly that for a batch it never wrote.
//! Such a report is [`ProduceError::Unconfirmed`]: transient, so the caller spools or retries
//! under the same event id and consumers deduplicate the rare second copy.

use std::time::Duration;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer as _};
use rdkafka::util::Timeout;

use crate::codec::EncodedEvent;
use crate::config::KafkaConfig;

/// Where the broker stored a confirmed record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Partition written.
    pub partition: i32,
    /// Offset in that partition.
    pub offset: i64,
}

/// Why a record was not confirmed.
#[derive(Debug, thiserror::Error)]
pub enum ProduceError {
    /// No confirmation within the caller's timeout. The record may still be written later, so a
    /// retry must reuse the same event id (consumers deduplicate on it).
    #[error("no delivery confirmation within {0:?}")]
    Timeout(Duration),
    /// The broker could not be reached or refused for now; transient.
    #[error("broker unavailable: {0}")]
    BrokerUnavailable(String),
    /// The broker reported the record delivered without saying where (offset unknown), as it
    /// does for a batch it takes for a duplicate of an earlier one. Not proof that it is stored;
    /// transient: re-send under the same event id.
    #[error("delivery reported without a stored offset (partition {partition})")]
    Unconfirmed {
        /// Partition the report named.
        partition: i32,
    },
    /// The record can never be written as is (too large, unknown topic, not authorised).
    #[error("record rejected permanently: {0}")]
    Permanent(String),
    /// The client could not be created from the configuration.
    #[error("invalid producer configuration: {0}")]
    Config(String),
}

impl ProduceError {
    /// Whether trying again later (e.g. from a spool) can succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Timeout(_) | Self::BrokerUnavailable(_) | Self::Unconfirmed { .. }
        )
    }

    fn from_kafka(error: &KafkaError) -> Self {
        match error.rdkafka_error_code() {
            Some(
                RDKafkaErrorCode::MessageSizeTooLarge
                | RDKafkaErrorCode::InvalidMessageSize
                | RDKafkaErrorCode::InvalidMessage
                | RDKafkaErrorCode::InvalidRecord
                | RDKafkaErrorCode::InvalidTopic
                | RDKafkaErrorCode::UnknownTopic
                | RDKafkaErrorCode::UnknownTopicOrPartition
                | RDKafkaErrorCode::TopicAuthorizationFailed
                | RDKafkaErrorCode::ClusterAuthorizationFailed
                | RDKafkaErrorCode::UnsupportedForMessageFormat,
            ) => Self::Permanent(error.to_string()),
            _ => Self::BrokerUnavailable(error.to_string()),
        }
    }
}

/// A delivery report is a confirmation only when it names the offset the record was stored at.
fn confirmed(partition: i32, offset: i64) -> Result<DeliveryReport, ProduceError> {
    if offset < 0 {
        return Err(ProduceError::Unconfirmed { partition });
    }
    Ok(DeliveryReport { partition, offset })
}

/// An idempotent, acks=all producer shared by a whole process (cheap to clone).
#[derive(Clone)]
pub struct Producer {
    inner: FutureProducer,
}

impl Producer {
    /// Creates the producer; nothing is sent until [`Producer::send`].
    pub fn new(config: &KafkaConfig) -> Result<Self, ProduceError> {
        let inner = config
            .client_config()
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("message.timeout.ms", config.delivery_timeout_ms.to_string())
            .set("linger.ms", "2")
            .set("compression.type", "lz4")
            .create()
            .map_err(|e| ProduceError::Config(e.to_string()))?;
        Ok(Self { inner })
    }

    /// Sends one record and waits for the broker's confirmation, at most `timeout`.
    pub async fn send(
        &self,
        event: &EncodedEvent,
        timeout: Duration,
    ) -> Result<DeliveryReport, ProduceError> {
        let headers = event.headers.iter().fold(
            OwnedHeaders::new_with_capacity(event.headers.len()),
            |acc, (key, value)| {
                acc.insert(Header {
                    key,
                    value: Some(value),
                })
            },
        );
        let record = FutureRecord::to(&event.topic)
            .key(&event.key)
            .payload(&event.payload)
            .headers(headers);
        let delivery = self.inner.send(record, Timeout::After(timeout));
        match tokio::time::timeout(timeout, delivery).await {
            Err(_) => Err(ProduceError::Timeout(timeout)),
            Ok(Ok(delivery)) => confirmed(delivery.partition, delivery.offset),
            Ok(Err((error, _))) => Err(ProduceError::from_kafka(&error)),
        }
    }

    /// Sends a record to an explicit partition (used to keep dead letters and replays beside
    /// their origin); same confirmation contract as [`Producer::send`].
    pub(crate) async fn send_raw(
        &self,
        topic: &str,
        key: Option<&[u8]>,
        payload: Option<&[u8]>,
        headers: &[(String, Vec<u8>)],
        timeout: Duration,
    ) -> Result<DeliveryReport, ProduceError> {
        let owned = headers.iter().fold(
            OwnedHeaders::new_with_capacity(headers.len()),
            |acc, (key, value)| {
                acc.insert(Header {
                    key,
                    value: Some(value),
                })
            },
        );
        let mut record: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(topic).headers(owned);
        if let Some(key) = key {
            record = record.key(key);
        }
        if let Some(payload) = payload {
            record = record.payload(payload);
        }
        let delivery = self.inner.send(record, Timeout::After(timeout));
        match tokio::time::timeout(timeout, delivery).await {
            Err(_) => Err(ProduceError::Timeout(timeout)),
            Ok(Ok(delivery)) => confirmed(delivery.partition, delivery.offset),
            Ok(Err((error, _))) => Err(ProduceError::from_kafka(&error)),
        }
    }

    /// Whether a broker answers a metadata request within `timeout` (for `/readyz`).
    pub async fn broker_reachable(&self, timeout: Duration) -> bool {
        let producer = self.inner.clone();
        // fetch_metadata blocks the calling thread; keep it off the async workers.
        tokio::task::spawn_blocking(move || {
            producer
                .client()
                .fetch_metadata(None, Timeout::After(timeout))
                .map(|metadata| !metadata.brokers().is_empty())
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false)
    }

    /// Waits until every queued record is delivered or `timeout` passes (for shutdown).
    pub fn flush(&self, timeout: Duration) -> Result<(), ProduceError> {
        self.inner
            .flush(Timeout::After(timeout))
            .map_err(|e| ProduceError::from_kafka(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_without_an_offset_is_not_a_confirmation() {
        let unconfirmed = confirmed(3, -1).expect_err("offset -1 is not a position");
        assert!(matches!(
            unconfirmed,
            ProduceError::Unconfirmed { partition: 3 }
        ));
        assert!(
            unconfirmed.is_transient(),
            "the caller spools or retries it"
        );
        assert_eq!(
            confirmed(3, 0).expect("offset 0 is a position"),
            DeliveryReport {
                partition: 3,
                offset: 0
            }
        );
    }
}
