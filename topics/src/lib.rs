//! The contract on the wire and the plumbing around it: topic catalogue ([`catalogue`]), Avro
//! events ([`events`]) and their codec ([`codec`]), the idempotent [`Producer`], topic
//! provisioning ([`ensure_topics`]), the at-least-once consumer [`Runner`] with its retry
//! parking, dead-letter topics and [`replay`], the effectively-once helper ([`processed`]), and
//! the transactional [`outbox`] with its drainer (events written with a change, published after).
//!
//! This crate knows no partner; workers and the ingress build on it.

pub mod admin;
pub mod catalogue;
pub mod codec;
pub mod config;
pub mod events;
pub mod headers;
pub mod outbox;
pub mod processed;
pub mod producer;
pub mod runner;

pub use admin::{ensure_topics, AdminError};
pub use codec::{decode, encode, CodecError, EncodedEvent, EventMeta, TopicNaming};
pub use config::KafkaConfig;
pub use events::Event;
pub use outbox::{DrainRound, OutboxDrainer};
pub use processed::{mark_processed, ProcessedMark};
pub use producer::{DeliveryReport, ProduceError, Producer};
pub use runner::{
    replay, Consumable, Delivery, Handler, HandlerError, ReplayError, ReplayReport, ReplayRequest,
    Runner, RunnerError, RunnerMetrics,
};
