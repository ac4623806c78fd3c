//! HTTP edge for every inbound partner call: verify, produce, acknowledge inside the deadline.
//!
//! Contract: a partner gets success only for an event that is durable — confirmed by the broker
//! (acks=all) or written to the Postgres spool when the broker cannot confirm within the ack
//! budget ([`publish`]); the spool is drained in order when the broker is back (the shared
//! outbox drainer, `switchyard_topics::outbox`).
//! Bad signatures, stale timestamps, unknown keys, malformed or oversized bodies get the
//! partner's own error and never reach a topic. Repeated pushes get the first answer and produce
//! nothing ([`deliver`]). Beyond `max_in_flight` requests the ingress sheds at once ([`edge`]).

mod answer;
mod app;
mod callback_url;
mod channel_lines;
mod config;
mod daojia;
mod deliver;
mod dstore;
mod dujiao;
mod edge;
mod listener;
mod metrics;
mod operator;
mod publish;
mod state;
mod ttl_cache;
mod vending;

pub use app::{Ingress, IngressError};
pub use config::{IngressConfig, TokenMode};
pub use metrics::IngressMetrics;
pub use publish::{Durability, DurablePublisher, PublishError};
