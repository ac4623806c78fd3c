//! 58 Daojia call outcomes: answers with a non-200 `code` are refused (permanent) unless the code
//! is 429 or 5xx, which the policy retries and, when retries run out, surface as transient
//! [`DaojiaError::Http`].

use crate::policy::PartnerHttpError;

/// Everything an `updateOrderDetail` call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum DaojiaError {
    /// 58 refused the update (bad sign, disallowed transition, unknown order, …).
    #[error("58 Daojia refused the update: code {code} ({msg})")]
    Refused {
        /// The answer `code`.
        code: u16,
        /// The answer `msg`.
        msg: String,
    },
    /// The policy gave up (transport, timeout, 5xx/429 after retries).
    #[error(transparent)]
    Http(#[from] PartnerHttpError),
    /// The answer was not the JSON we expect.
    #[error("58 Daojia answer could not be decoded: {0}")]
    Decode(String),
    /// The request could not be encoded.
    #[error("58 Daojia request could not be encoded: {0}")]
    Encode(String),
}

impl DaojiaError {
    /// True when the same update may succeed later.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Http(err) => err.is_retryable(),
            Self::Refused { .. } | Self::Decode(_) | Self::Encode(_) => false,
        }
    }
}
