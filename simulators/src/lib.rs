//! Partner simulators: real HTTP servers (axum, bound to 127.0.0.1 on a port of the caller's
//! choosing or port 0) that play the *other side* of each partner protocol, for tests and load
//! tests. Every simulator accepts fault injection at run time (latency, 5xx, 429 + Retry-After,
//! timeouts, malformed bodies, partner-specific failures) through [`faults`].

pub mod daojia;
pub mod dstore;
pub mod dujiao;
pub mod faults;
pub mod qimen;
pub mod vending;
