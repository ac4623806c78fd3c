//! The store's error type: every variant says whether retrying can help.
//!
//! Contract: connection loss, pool exhaustion, serialization failures and deadlocks are
//! [`StoreError::is_transient`]; domain refusals (insufficient balance or stock, a forbidden status
//! change, a duplicate) and constraint violations are permanent. Messages never carry secrets,
//! personal data or bound values — only table, constraint and status names.

use crate::crypto::CryptoError;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or the operation lost a race it may win next time.
    #[error("database temporarily unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// The named record does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The wallet balance does not cover the debit; nothing was written.
    #[error("insufficient balance")]
    InsufficientBalance,
    /// The SKU has fewer units than requested; nothing was reserved.
    #[error("insufficient stock")]
    InsufficientStock,
    /// The SKU or its product is inactive, deleted, or its mapping is switched off.
    #[error("sku unavailable")]
    SkuUnavailable,
    /// A status change that the current status does not allow.
    #[error("{entity} cannot go from {from} by {action}")]
    InvalidTransition {
        /// What was being changed (`credential`, `order`, ...).
        entity: &'static str,
        /// The current status.
        from: String,
        /// The attempted action or target status.
        action: &'static str,
    },
    /// A unique key is already taken (e.g. a second credential for a user, a reused name).
    #[error("duplicate: {constraint}")]
    Duplicate {
        /// The violated unique constraint.
        constraint: String,
    },
    /// The same idempotency key was reused for a different operation.
    #[error("idempotency key reused with different parameters")]
    IdempotencyConflict,
    /// A mapping points at a connection of the wrong kind.
    #[error("connection kind does not match the fulfiller")]
    WrongConnectionKind,
    /// A check or foreign-key constraint refused the row (bad input that got past the edge).
    #[error("constraint violated: {constraint}")]
    Constraint {
        /// The violated constraint (or `unknown`).
        constraint: String,
    },
    /// A stored secret could not be sealed or opened (wrong key, corrupted data).
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// Applying migrations failed.
    #[error("migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Any other database error; permanent (a bug or a schema mismatch).
    #[error("database error")]
    Database(#[source] sqlx::Error),
}

impl StoreError {
    /// True when the same call may succeed later (retry with backoff); false when it never will.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

/// SQLSTATE classes and codes that a retry can cure.
fn transient_sqlstate(code: &str) -> bool {
    code.starts_with("08") // connection exception
        || code.starts_with("53") // insufficient resources
        || code.starts_with("57P") // admin shutdown, crash shutdown, cannot connect now
        || code == "40001" // serialization failure
        || code == "40P01" // deadlock detected
        || code == "55P03" // lock not available
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Protocol(_) => StoreError::Unavailable(error),
            sqlx::Error::Database(db) => {
                let code = db.code().map(|code| code.into_owned()).unwrap_or_default();
                let constraint = db.constraint().unwrap_or("unknown").to_owned();
                if transient_sqlstate(&code) {
                    StoreError::Unavailable(error)
                } else if code == "23505" {
                    StoreError::Duplicate { constraint }
                } else if code.starts_with("23") {
                    StoreError::Constraint { constraint }
                } else {
                    StoreError::Database(error)
                }
            }
            _ => StoreError::Database(error),
        }
    }
}

/// Result alias for store operations.
pub type StoreResult<T> = Result<T, StoreError>;
