//! Why one step of a handler, job or order operation failed, and what happens next.
//!
//! Contract: [`StepError::is_transient`] says whether the same step may succeed later (the
//! database or broker was unavailable); everything else is permanent. Partner failures are not
//! step errors: the workers record them as procurement attempts. Messages never carry secrets,
//! personal data or delivery content.

use switchyard_connections::ConnectionError;
use switchyard_store::StoreError;
use switchyard_topics::{CodecError, HandlerError, ProduceError};

/// Why one step of a handler or background loop failed.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// A store query failed; transient when the database was unavailable.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An event could not be published; transient when the broker may take it later.
    #[error(transparent)]
    Produce(#[from] ProduceError),
    /// An event could not be encoded (a schema mismatch: a bug, permanent).
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// The event or a stored row does not make sense (bad id, missing row): permanent.
    #[error("invalid: {0}")]
    Invalid(String),
    /// A partner could not be asked now (its answer decides nothing yet): transient.
    #[error("partner unavailable: {0}")]
    PartnerUnavailable(String),
    /// The registry gave no client: transient when the database was down or the connection is
    /// not active (an operator may enable it), permanent when the row cannot make a client.
    #[error(transparent)]
    Connection(#[from] ConnectionError),
}

impl From<sqlx::Error> for StepError {
    fn from(error: sqlx::Error) -> Self {
        StepError::Store(StoreError::from(error))
    }
}

impl StepError {
    /// A permanent data problem.
    pub fn invalid(reason: impl Into<String>) -> Self {
        StepError::Invalid(reason.into())
    }

    /// True when retrying the same step later can succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            StepError::Store(error) => error.is_transient(),
            StepError::Produce(error) => error.is_transient(),
            StepError::PartnerUnavailable(_) => true,
            StepError::Connection(error) => error.is_transient() || error.is_not_active(),
            StepError::Codec(_) | StepError::Invalid(_) => false,
        }
    }
}

impl From<StepError> for HandlerError {
    fn from(error: StepError) -> Self {
        if error.is_transient() {
            HandlerError::transient(&error)
        } else {
            HandlerError::permanent(&error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_outages_retry_and_bad_data_dead_letters() {
        let outage = StepError::Store(StoreError::Unavailable(sqlx::Error::PoolTimedOut));
        assert!(matches!(
            HandlerError::from(outage),
            HandlerError::Transient(_)
        ));
        let missing = StepError::Store(StoreError::NotFound("order"));
        assert!(matches!(
            HandlerError::from(missing),
            HandlerError::Permanent(_)
        ));
        let bad = StepError::invalid("order id is not a uuid");
        assert!(matches!(
            HandlerError::from(bad),
            HandlerError::Permanent(_)
        ));
    }
}
