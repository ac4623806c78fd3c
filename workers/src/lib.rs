//! The workers of the procurement path: the procurer and the callback-relayer, each a small
//! module on the shared consumer runner, plus the operator API over procurement orders.
//!
//! `lib.rs` holds only modules and re-exports; each module's header states its contract.

pub mod callback_relayer;
pub mod cancel;
pub mod clients;
pub mod config;
pub mod context;
pub mod downstream;
pub mod error;
pub mod metrics;
pub mod name;
pub mod operator;
pub mod parent;
pub mod procurer;
mod run;

pub use cancel::{cancel_order, CancelError, CancelOutcome};
pub use config::{RelayConfig, VendingConfig, WorkersConfig, WorkersConfigError};
pub use context::WorkerContext;
pub use error::{StepError, WorkerError};
pub use metrics::WorkerMetrics;
pub use name::WorkerName;
pub use operator::operator_routes;
pub use run::{build, run, Worker};
