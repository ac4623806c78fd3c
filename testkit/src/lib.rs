//! Test support shared by every crate's integration tests (a dev-dependency only).
//!
//! Tests talk to real things: [`database`] creates a uniquely named PostgreSQL database with the
//! project's migrations applied and drops it when the guard goes out of scope; [`broker`] gives a
//! unique topic prefix on the shared local broker, or spawns a private tansu broker (killed on drop)
//! for tests that must stop and restart it; [`eventually`] waits for evidence instead of
//! sleeping, and [`offsets`] reads a consumer group's committed offset as that evidence; [`secrets`] builds secret boxes under fixed test keys.

pub mod broker;
pub mod database;
pub mod eventually;
pub mod offsets;
pub mod secrets;

pub use eventually::eventually;
