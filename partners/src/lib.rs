//! Partner protocols: one module per partner platform, plus the one HTTP policy they all share.
//!
//! Each partner module owns its signing and verification, its typed wire structs, its status
//! mapping onto Switchyard's internal order states, its error classification and an async client.
//! This crate knows neither Kafka nor Postgres.

pub mod daojia;
pub mod dstore;
pub mod dujiao;
pub mod money;
pub mod policy;
pub mod qimen;
pub mod vending;
