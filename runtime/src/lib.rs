//! Shared runtime plumbing every Switchyard role uses: layered strict configuration
//! ([`config`]), telemetry set up in one function ([`telemetry`]), one shutdown root
//! ([`shutdown`]), the admin listener with health, readiness and Prometheus metrics ([`admin`]),
//! the operator API's one token guard and error shape ([`operator`]),
//! and the PostgreSQL pool that tolerates a database that is not there yet ([`database`]).

pub mod admin;
pub mod config;
pub mod database;
pub mod operator;
pub mod readiness;
pub mod shutdown;
pub mod telemetry;

pub use secrecy::{ExposeSecret, SecretString};
