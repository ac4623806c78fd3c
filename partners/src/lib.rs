//! Partner protocols: one module per partner platform, plus the one HTTP policy they all share.
//!
//! Each partner module owns its signing and verification, its typed wire structs, its status
//! mapping onto Switchyard's internal order states ([`order_state`]), its error classification and
//! an async client built on [`policy`]. This crate knows neither Kafka nor Postgres.

pub mod daojia;
pub mod dstore;
pub mod dujiao;
pub mod money;
pub mod order_state;
pub mod policy;
pub mod qimen;
pub mod vending;
