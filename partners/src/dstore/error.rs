//! D-Store call outcomes and their classification.
//!
//! `resultStatus` decides: `S` success; `F` (`PARAM_ILLEGAL`, `ACCESS_DENIED`,
//! `INVALID_SIGNATURE`, `PROCESS_FAIL`, …) is permanent and never retried; `U`
//! (`UNKNOWN_EXCEPTION`) is retried by the policy with identical parameters and, when retries run
//! out, surfaces as a transient [`DstoreError::Http`]. An answer whose signature does not verify is
//! not trusted at all and is permanent: it means a wrong key or a man in the middle.

use super::signature::DstoreAuthError;
use crate::policy::PartnerHttpError;

/// Everything a POS → D-Store call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum DstoreError {
    /// D-Store answered `F`: do not retry.
    #[error("D-Store refused the call: {code}")]
    Refused {
        /// `resultCode`, e.g. `PARAM_ILLEGAL`.
        code: String,
        /// `resultMessage`.
        message: String,
    },
    /// The policy gave up: transport, timeout, 5xx/429 or `U` still so after the last retry.
    #[error(transparent)]
    Http(#[from] PartnerHttpError),
    /// The answer's signature did not verify.
    #[error("D-Store answer signature rejected: {0}")]
    AnswerSignature(DstoreAuthError),
    /// An HTTP status other than success without a decodable `result`.
    #[error("D-Store answered HTTP {0}")]
    UnexpectedStatus(u16),
    /// The answer body was not the JSON we expect.
    #[error("D-Store answer could not be decoded: {0}")]
    Decode(String),
    /// The request could not be serialised.
    #[error("D-Store request could not be encoded: {0}")]
    Encode(String),
}

impl DstoreError {
    /// True when the same call (same `requestId`) may succeed later.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Http(err) => err.is_retryable(),
            Self::Refused { .. }
            | Self::AnswerSignature(_)
            | Self::UnexpectedStatus(_)
            | Self::Decode(_)
            | Self::Encode(_) => false,
        }
    }
}
