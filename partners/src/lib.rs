//! Partner protocols: one module per partner platform, plus the one HTTP policy they all share.
//!
//! Each partner module owns its signing and verification, its typed wire structs, its status
//! vocabulary (`status`) and the mapping of it onto the shared domain model (`mapping`, over
//! `switchyard_domain`), its error classification and an async client built on [`policy`]. This
//! crate knows neither Kafka nor Postgres.

pub mod daojia;
pub mod dstore;
pub mod dujiao;
pub mod json_error;
pub mod numeric_status;
pub mod policy;
pub mod qimen;
pub mod vending;
