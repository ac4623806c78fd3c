//! The policy's typed error: each variant says whether a later retry could succeed.

use std::time::Duration;

use super::target::ForbiddenTarget;

/// Why a partner call did not produce a usable answer.
///
/// Carries no URL, header or body content, so it is safe to log: signatures travel in query
/// strings (Qimen) and headers (Dujiao-Next, D-Store), and bodies can hold personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartnerHttpError {
    /// The attempt did not finish within the configured timeout.
    #[error("{partner}: no answer within {timeout:?}")]
    Timeout {
        /// Partner name.
        partner: &'static str,
        /// The timeout that elapsed.
        timeout: Duration,
    },
    /// Connecting, sending or reading failed below HTTP.
    #[error("{partner}: transport error: {detail}")]
    Transport {
        /// Partner name.
        partner: &'static str,
        /// The transport error, without the URL.
        detail: String,
    },
    /// HTTP 408, 429 or 5xx, still so after the last retry.
    #[error("{partner}: HTTP {status}")]
    RetryableStatus {
        /// Partner name.
        partner: &'static str,
        /// The HTTP status code.
        status: u16,
        /// What the partner's `Retry-After` asked for, if anything.
        retry_after: Option<Duration>,
    },
    /// The protocol layer read the body as a retryable error, still so after the last retry.
    #[error("{partner}: retryable answer (HTTP {status}): {reason}")]
    RetryableAnswer {
        /// Partner name.
        partner: &'static str,
        /// The HTTP status code.
        status: u16,
        /// The partner's error code, as the classifier named it.
        reason: String,
        /// What the partner's `Retry-After` asked for, if anything.
        retry_after: Option<Duration>,
    },
    /// The target is internal (SSRF guard): permanent until the URL or the configuration changes.
    #[error("{partner}: {reason}")]
    ForbiddenTarget {
        /// Partner name.
        partner: &'static str,
        /// The rule that refused it.
        reason: ForbiddenTarget,
    },
    /// The answer's body was longer than `max_body_bytes`; it was not read to the end.
    #[error("{partner}: answer larger than {limit} bytes")]
    BodyTooLarge {
        /// Partner name.
        partner: &'static str,
        /// The cap that was exceeded.
        limit: usize,
    },
    /// The request could not be built or signed; retrying will not help.
    #[error("{partner}: request could not be built: {detail}")]
    Build {
        /// Partner name.
        partner: &'static str,
        /// What went wrong (never key material).
        detail: String,
    },
}

impl PartnerHttpError {
    /// True when the same call may succeed later (transient); false when it never will.
    pub fn is_retryable(&self) -> bool {
        !matches!(
            self,
            PartnerHttpError::Build { .. }
                | PartnerHttpError::ForbiddenTarget { .. }
                | PartnerHttpError::BodyTooLarge { .. }
        )
    }

    /// True when retrying cannot help: dead-letter it or hand it to an operator.
    pub fn is_permanent(&self) -> bool {
        !self.is_retryable()
    }

    /// The wait the partner asked for, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            PartnerHttpError::RetryableStatus { retry_after, .. }
            | PartnerHttpError::RetryableAnswer { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A build error, for protocol layers whose signing can fail.
    pub fn build(partner: &'static str, detail: impl Into<String>) -> Self {
        PartnerHttpError::Build {
            partner,
            detail: detail.into(),
        }
    }
}
