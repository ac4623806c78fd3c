//! Durable acknowledgement: an event is acknowledged only once the broker confirmed it or it sits
//! in the Postgres spool.
//!
//! Contract: [`DurablePublisher::publish`] first tries the broker for 60 % of the ack budget,
//! using a producer whose own `message.timeout.ms` is shorter still, so a record that
//! timed out is not delivered later behind the spool's back. If the broker does not confirm, the
//! event is written to the outbox (`event_outbox`) within the rest of the budget and acknowledged
//! ([`Durability::Spooled`]). While events this ingress spooled are unpublished (its
//! [`OutboxFence`]; events other writers put in the outbox do not count), new events go straight
//! to the outbox too, so the drainer publishes them in arrival order and requests stop waiting on a
//! dead broker.
//! A delivery report without an offset is not a confirmation (see [`switchyard_topics::producer`]):
//! the event is spooled under the same event id.
//! When neither takes the event the caller gets [`PublishError::Unavailable`] and must answer the
//! partner's retryable failure — never success.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use switchyard_store::dedupe::EventPosition;
use switchyard_topics::outbox::{self, OutboxFence};
use switchyard_topics::{DeliveryReport, EncodedEvent, KafkaConfig, ProduceError, Producer};

use crate::metrics::IngressMetrics;

/// Where an acknowledged event is durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// The broker confirmed the write (acks=all) at this partition and offset.
    Broker(DeliveryReport),
    /// The broker did not confirm in time; the event is in the Postgres spool.
    Spooled,
}

impl Durability {
    /// Where the broker put the event, when it was the broker that confirmed it.
    pub fn position(self) -> Option<EventPosition> {
        match self {
            Self::Broker(report) => Some(EventPosition {
                partition: report.partition,
                offset: report.offset,
            }),
            Self::Spooled => None,
        }
    }
}

/// Why an event could not be made durable.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// Neither the broker nor the spool took the event; the partner should retry (transient).
    #[error("neither the broker nor the spool accepted the event")]
    Unavailable,
    /// The broker refused the record for good (too large, unknown topic); retrying cannot help.
    #[error("the broker refused the event permanently")]
    Rejected(#[source] ProduceError),
}

/// Produces events within the ack budget, falling back to the spool.
#[derive(Clone)]
pub struct DurablePublisher {
    producer: Producer,
    pool: PgPool,
    produce_timeout: Duration,
    spool_timeout: Duration,
    spool_fence: Arc<OutboxFence>,
    metrics: IngressMetrics,
}

impl DurablePublisher {
    /// A publisher whose broker attempt and spool write together fit in `ack_budget`.
    pub fn new(
        kafka: &KafkaConfig,
        pool: PgPool,
        ack_budget: Duration,
        metrics: IngressMetrics,
    ) -> Result<Self, ProduceError> {
        let produce_timeout = ack_budget.mul_f64(0.6).max(Duration::from_millis(50));
        // librdkafka gives the record up (definitively) before we stop waiting, so a record we
        // spool is never also delivered late by the producer behind the spool's back.
        let mut bounded = kafka.clone();
        bounded.delivery_timeout_ms =
            u64::try_from(produce_timeout.mul_f64(0.8).as_millis()).unwrap_or(1_000);
        Ok(Self {
            producer: Producer::new(&bounded)?,
            pool,
            produce_timeout,
            spool_timeout: ack_budget
                .saturating_sub(produce_timeout)
                .max(Duration::from_millis(50)),
            // Unknown at start: a previous process may have left events behind.
            spool_fence: Arc::new(OutboxFence::unknown()),
            metrics,
        })
    }

    /// Opens the broker connection ahead of the first request (best effort, bounded).
    pub async fn warm_up(&self) {
        if !self.producer.broker_reachable(Duration::from_secs(2)).await {
            tracing::warn!("broker not reachable at start-up; events will be spooled until it is");
        }
    }

    /// The fence drainers settle as this ingress's spooled events get published.
    pub(crate) fn spool_fence(&self) -> Arc<OutboxFence> {
        self.spool_fence.clone()
    }

    /// Makes `event` durable (broker, else spool) or says why not.
    pub async fn publish(&self, event: &EncodedEvent) -> Result<Durability, PublishError> {
        if !self.spool_fence.is_pending() {
            match self.producer.send(event, self.produce_timeout).await {
                Ok(report) => return Ok(Durability::Broker(report)),
                Err(error) if !error.is_transient() => return Err(PublishError::Rejected(error)),
                Err(error @ ProduceError::Unconfirmed { .. }) => {
                    self.metrics.unconfirmed.inc();
                    tracing::warn!(%error, topic = %event.topic, "broker named no offset; spooling");
                }
                Err(error) => {
                    tracing::warn!(%error, topic = %event.topic, "broker did not confirm; spooling");
                }
            }
        }
        self.spool(event).await
    }

    async fn spool(&self, event: &EncodedEvent) -> Result<Durability, PublishError> {
        let insert = outbox::write(&self.pool, event);
        match tokio::time::timeout(self.spool_timeout, insert).await {
            Ok(Ok(position)) => {
                self.spool_fence.wrote(position.into_inner());
                self.metrics.spooled.inc();
                Ok(Durability::Spooled)
            }
            Ok(Err(error)) => {
                tracing::error!(%error, "spool write failed; answering a retryable failure");
                Err(PublishError::Unavailable)
            }
            Err(_) => {
                tracing::error!(
                    "spool write exceeded the ack budget; answering a retryable failure"
                );
                Err(PublishError::Unavailable)
            }
        }
    }
}
