//! What a worker implements: a [`Handler`] for one event type ([`Consumable`]), answering
//! `Ok`, [`HandlerError::Transient`] (retry later) or [`HandlerError::Permanent`] (dead-letter).

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use uuid::Uuid;

use crate::codec::{self, CodecError};
use crate::events::Event;

/// Where and how often an event was delivered; passed to the handler beside the event.
///
/// The text fields are shared (`Arc<str>`): the runner hands the same key, topic and group to
/// every delivery without copying them; `&*delivery.key` is a `&str`.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The producer's event id; the idempotency key (see [`crate::mark_processed`]).
    pub event_id: Uuid,
    /// Record key.
    pub key: Arc<str>,
    /// Full topic name the event was consumed from.
    pub topic: Arc<str>,
    /// Partition in that topic.
    pub partition: i32,
    /// Offset in that partition.
    pub offset: i64,
    /// Handler attempt, 1 for the first delivery.
    pub attempt: u32,
    /// W3C trace context from the producer, if any.
    pub traceparent: Option<String>,
    /// The consumer group handling it (`{group_prefix}{worker}`).
    pub consumer_group: Arc<str>,
}

/// A handler's failure; the variant decides what the runner does next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandlerError {
    /// Will never succeed (invalid data, rejected by a partner): dead-letter at once.
    #[error("permanent failure: {0}")]
    Permanent(String),
    /// May succeed later (partner or database unavailable): park the key and retry after a delay.
    #[error("transient failure: {0}")]
    Transient(String),
}

impl HandlerError {
    /// A permanent failure; the message must not contain secrets or personal data.
    pub fn permanent(reason: impl fmt::Display) -> Self {
        Self::Permanent(reason.to_string())
    }

    /// A transient failure; the message must not contain secrets or personal data.
    pub fn transient(reason: impl fmt::Display) -> Self {
        Self::Transient(reason.to_string())
    }

    /// The message, without the classification.
    pub fn reason(&self) -> &str {
        match self {
            Self::Permanent(reason) | Self::Transient(reason) => reason,
        }
    }
}

/// Something a runner can consume: a single [`Event`] type, or a worker's own enum over
/// several event types (implement this trait for it, dispatching on the logical topic).
pub trait Consumable: Sized + Send + 'static {
    /// Logical topics to subscribe to.
    fn logical_topics() -> Vec<&'static str>;
    /// Decodes a value read from `logical_topic`.
    fn decode(logical_topic: &str, payload: &[u8]) -> Result<Self, CodecError>;
}

impl<E: Event> Consumable for E {
    fn logical_topics() -> Vec<&'static str> {
        vec![E::TOPIC]
    }

    fn decode(_logical_topic: &str, payload: &[u8]) -> Result<Self, CodecError> {
        codec::decode::<E>(payload)
    }
}

/// A worker's event handler. Called concurrently for different keys, never concurrently for
/// one key; must be idempotent on `delivery.event_id` (delivery is at-least-once).
pub trait Handler: Send + Sync + 'static {
    /// The event type (or enum of types) handled.
    type Event: Consumable;

    /// Applies the event's effect; returns once it is durable.
    fn handle(
        &self,
        event: Self::Event,
        delivery: &Delivery,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send;
}
