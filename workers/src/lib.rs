//! The workers: each one module implementing [`Worker`] plus one line in [`registry::WORKERS`],
//! run by the [`kit`] on the shared consumer runner and the shared [`scheduler`]; plus the
//! operator API over procurement orders.
//!
//! `lib.rs` holds only modules and re-exports; each module's header states its contract.

pub mod callback_relayer;
pub mod config;
pub mod context;
pub mod error;
pub mod expiry_sweeper;
pub mod kit;
pub mod metrics;
pub mod operator;
pub mod procurer;
pub mod reconciler;
pub mod registry;
pub mod scheduler;
pub mod status_syncer;
pub mod stock_syncer;
pub mod upstream_outcome;

pub use config::{RelayConfig, VendingConfig, WorkersConfig, WorkersConfigError};
pub use context::WorkerContext;
pub use error::{StepError, WorkerError};
pub use kit::{NoInput, PreparedWorker, Registration, Worker};
pub use metrics::WorkerMetrics;
pub use operator::operator_routes;
pub use switchyard_lifecycle::{cancel, downstream, parent};
pub use switchyard_lifecycle::{cancel_order, CancelError, CancelOutcome, CanceledBy};
