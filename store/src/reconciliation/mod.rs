//! Reconciliation runs and their discrepancies (`reconciliation_runs`, `reconciliation_items`,
//! migrations `0005` and `0015`).
//!
//! Contract:
//! - [`request`] is idempotent per (connection, period start, period end, type): asking again
//!   returns the run already there ([`Inserted::Existing`](crate::Inserted)), whatever its status.
//! - A run's progress (counters and cursor) moves only through [`advance`], in the transaction
//!   that records the discrepancies of the same page, so counters, cursor and items always agree
//!   and a run resumed after a crash starts after the last committed page.
//! - [`record`] stores a discrepancy once per run and procurement (or per run and upstream order
//!   for `missing_local`); a second call for the same one returns `None` and writes nothing.
//! - [`resolve`] closes an open discrepancy with a note and who closed it; a closed one is
//!   `InvalidTransition`, an unknown one `NotFound`.

mod items;
mod runs;
mod scope;

pub use items::{item, items, record, resolve, Discrepancy, DiscrepancyFilter, NewDiscrepancy};
pub use runs::{
    advance, fail, finish, get, list, request, start, NewRun, Progress, Run, RunFilter,
};
pub use scope::{in_period, in_period_count, known_upstream, InScope};

use switchyard_domain::text_enum;

text_enum! {
    /// What a run compares.
    RunType {
        /// Statuses only.
        Status => "status",
        /// Amounts only.
        Amount => "amount",
        /// Both.
        Full => "full",
    }
}

impl RunType {
    /// Whether statuses are compared.
    pub fn checks_status(self) -> bool {
        matches!(self, RunType::Status | RunType::Full)
    }

    /// Whether amounts are compared.
    pub fn checks_amount(self) -> bool {
        matches!(self, RunType::Amount | RunType::Full)
    }
}

text_enum! {
    /// Where a run is.
    RunStatus {
        /// Requested, not started.
        Pending => "pending",
        /// Under way (or interrupted, and resumed by the next claim).
        Running => "running",
        /// Every order checked.
        Completed => "completed",
        /// Stopped for good (e.g. the connection is gone); `error` says why.
        Failed => "failed",
    }
}

text_enum! {
    /// Which part of the run comes next.
    RunPhase {
        /// Our procurements of the period, after the cursor.
        Local => "local",
        /// The partner's order list, after the page cursor (orders we do not have).
        Remote => "remote",
        /// Nothing left.
        Done => "done",
    }
}

text_enum! {
    /// Who asked for a run.
    RequestedBy {
        /// Through the operator API or CLI.
        Operator => "operator",
        /// The daily job (yesterday, per active connection).
        Daily => "daily",
    }
}

text_enum! {
    /// What disagrees.
    MismatchKind {
        /// The statuses differ.
        Status => "status",
        /// The amounts differ.
        Amount => "amount",
        /// Both differ.
        Both => "both",
        /// The partner does not know our order.
        MissingUpstream => "missing_upstream",
        /// The partner has an order we do not.
        MissingLocal => "missing_local",
    }
}
