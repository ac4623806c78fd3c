//! Why the registry could not hand out a connection or a client for it.
//!
//! Contract: [`ConnectionError::is_transient`] says whether asking again later can succeed
//! without anyone changing a row: the database was unavailable. A connection that is not
//! `active` ([`ConnectionError::NotActive`]) waits for an operator; callers decide whether that
//! means "wait" (the procurer) or "retry later" (a relay). Messages name the connection by id and
//! never carry its secret, keys or settings values.

use switchyard_store::connections::{ConnectionKind, ConnectionStatus};
use switchyard_store::StoreError;

/// A connection or client the registry refuses to hand out.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// No connection has this id.
    #[error("connection {0} does not exist")]
    NotFound(i64),
    /// The connection is `pending` or `disabled`: no outbound call may use it.
    #[error("connection {id} is not active (it is {status}); an operator must enable it")]
    NotActive {
        /// The connection.
        id: i64,
        /// Its status (`pending` or `disabled`).
        status: ConnectionStatus,
    },
    /// The connection speaks another protocol than the caller needs.
    #[error("connection {id} is a {found} connection, not {expected}")]
    WrongKind {
        /// The connection.
        id: i64,
        /// What the caller needs.
        expected: ConnectionKind,
        /// What it is.
        found: ConnectionKind,
    },
    /// The row cannot make a client (missing key, unparsable settings or secret layout).
    #[error("connection {id} is misconfigured: {what}")]
    Misconfigured {
        /// The connection.
        id: i64,
        /// What is wrong, naming the field, never its value.
        what: &'static str,
    },
    /// Reading or decrypting the row failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ConnectionError {
    /// True when the same request may succeed later without an operator changing anything.
    pub fn is_transient(&self) -> bool {
        match self {
            ConnectionError::Store(error) => error.is_transient(),
            ConnectionError::NotFound(_)
            | ConnectionError::NotActive { .. }
            | ConnectionError::WrongKind { .. }
            | ConnectionError::Misconfigured { .. } => false,
        }
    }

    /// True when the connection exists but an operator has not enabled it.
    pub fn is_not_active(&self) -> bool {
        matches!(self, ConnectionError::NotActive { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_disabled_connection_says_so_without_being_an_outage() {
        let error = ConnectionError::NotActive {
            id: 7,
            status: ConnectionStatus::Disabled,
        };
        assert!(error.is_not_active());
        assert!(!error.is_transient());
        assert_eq!(
            error.to_string(),
            "connection 7 is not active (it is disabled); an operator must enable it"
        );
        let outage = ConnectionError::Store(StoreError::Unavailable(sqlx::Error::PoolTimedOut));
        assert!(outage.is_transient());
    }
}
