//! An order's life after intake, shared by the ingress and the workers.
//!
//! - [`parent`]: the parent order follows its sub-orders, and its changes are announced on
//!   `orders.status-changed` through the outbox, in the change's transaction.
//! - [`downstream`]: the callbacks owed to downstream Dujiao-Next sites, queued in that same
//!   transaction.
//! - [`cancel`]: the upstream-first cancel, asked for by an operator, a sales channel or a
//!   downstream site.
//!
//! `lib.rs` holds only modules and re-exports; each module's header states its contract.

pub mod cancel;
pub mod downstream;
pub mod error;
pub mod parent;

pub use cancel::{cancel_order, CancelError, CancelOutcome, CanceledBy};
pub use error::StepError;
