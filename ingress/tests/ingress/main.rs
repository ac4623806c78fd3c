//! Integration tests of the ingress: a real ingress on port 0, a real PostgreSQL database per
//! test and a real Kafka-protocol broker (tansu). Requests are signed by the tests themselves.

mod callback;
mod channel_products;
mod daojia;
mod delivery_read;
mod dstore;
mod dujiao;
mod dujiao_refusals;
mod harness;
mod lifecycle;
mod order_list;
mod replay_guard;
mod resilience;
mod signing;
mod slow_clients;
mod upstream_disabled;
mod vending_token;
