//! Dujiao-Next errors: the protocol's error codes, inbound auth failures and client failures.
//!
//! Contract: [`DujiaoAuthError`] maps one-to-one onto the protocol's 401/403 `error_code`s, so
//! ingress answers in Dujiao's own format. [`DujiaoError::is_retryable`] follows the protocol's
//! never-retry list: only transport trouble, 5xx/`internal_error`, unreadable answers and refused
//! callbacks are worth another attempt.

use std::fmt;

use crate::policy::PartnerHttpError;

/// An `error_code` as Dujiao-Next sends it; unknown codes are kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DujiaoErrorCode {
    /// A known code from the protocol (snake_case text).
    Known(&'static str),
    /// A code this version does not know.
    Other(String),
}

const KNOWN_CODES: &[&str] = &[
    "missing_auth_headers",
    "invalid_timestamp",
    "timestamp_expired",
    "invalid_signature",
    "invalid_api_key",
    "user_disabled",
    "bad_request",
    "invalid_callback_url",
    "sku_unavailable",
    "product_unavailable",
    "insufficient_balance",
    "insufficient_stock",
    "cancel_not_allowed",
    "order_not_found",
    "product_not_found",
    "internal_error",
    "payment_failed",
    "invalid_request",
    "unauthorized",
    "forbidden",
    "duplicate_order",
    "product_out_of_stock",
    "webhook_rejected",
];

/// Codes Dujiao-Next itself never retries.
const NEVER_RETRY: &[&str] = &[
    "insufficient_balance",
    "payment_failed",
    "product_unavailable",
    "sku_unavailable",
    "invalid_request",
    "unauthorized",
    "forbidden",
    "duplicate_order",
    "product_out_of_stock",
    "webhook_rejected",
];

impl DujiaoErrorCode {
    /// Reads a code from the wire.
    pub fn parse(code: &str) -> Self {
        match KNOWN_CODES.iter().find(|known| **known == code) {
            Some(known) => DujiaoErrorCode::Known(known),
            None => DujiaoErrorCode::Other(code.chars().take(64).collect()),
        }
    }

    /// The wire text.
    pub fn as_str(&self) -> &str {
        match self {
            DujiaoErrorCode::Known(code) => code,
            DujiaoErrorCode::Other(code) => code,
        }
    }

    /// True for codes on the protocol's never-retry list.
    pub fn is_never_retry(&self) -> bool {
        NEVER_RETRY.contains(&self.as_str())
    }
}

impl fmt::Display for DujiaoErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an inbound signed request (or callback) was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DujiaoAuthError {
    /// One of the three auth headers is absent or empty.
    #[error("missing auth headers")]
    MissingAuthHeaders,
    /// The timestamp is not an integer number of seconds.
    #[error("invalid timestamp")]
    InvalidTimestamp,
    /// The timestamp is outside the ±60 s window (stale or in the future).
    #[error("timestamp outside the allowed window")]
    TimestampExpired,
    /// The signature is malformed, does not match, or was already used (replay).
    #[error("invalid signature")]
    InvalidSignature,
    /// No credential has this API key.
    #[error("invalid api key")]
    InvalidApiKey,
    /// The credential exists but is disabled.
    #[error("user disabled")]
    UserDisabled,
    /// The replay cache is full; the caller should retry shortly.
    #[error("replay protection is saturated")]
    ReplayCacheFull,
}

impl DujiaoAuthError {
    /// The protocol's `error_code`.
    pub fn error_code(&self) -> &'static str {
        match self {
            DujiaoAuthError::MissingAuthHeaders => "missing_auth_headers",
            DujiaoAuthError::InvalidTimestamp => "invalid_timestamp",
            DujiaoAuthError::TimestampExpired => "timestamp_expired",
            DujiaoAuthError::InvalidSignature => "invalid_signature",
            DujiaoAuthError::InvalidApiKey => "invalid_api_key",
            DujiaoAuthError::UserDisabled => "user_disabled",
            DujiaoAuthError::ReplayCacheFull => "internal_error",
        }
    }

    /// The HTTP status the protocol answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            DujiaoAuthError::InvalidApiKey | DujiaoAuthError::UserDisabled => 403,
            DujiaoAuthError::ReplayCacheFull => 503,
            _ => 401,
        }
    }
}

/// Why a call to a Dujiao-Next site (or a callback relay) failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DujiaoError {
    /// The shared HTTP policy gave up (timeouts, transport, 5xx after retries).
    #[error(transparent)]
    Http(#[from] PartnerHttpError),
    /// The site answered `{ok:false, error_code}`.
    #[error("dujiao answered HTTP {status} {code}")]
    Api {
        /// HTTP status of the answer.
        status: u16,
        /// The protocol error code.
        code: DujiaoErrorCode,
    },
    /// The wallet payment failed (HTTP 200, `ok:false`): the upstream order is canceled.
    #[error("upstream payment failed for order {order_no}")]
    PaymentFailed {
        /// Upstream order id.
        order_id: u64,
        /// Upstream order number.
        order_no: String,
    },
    /// The answer could not be read as the protocol's JSON.
    #[error("unreadable dujiao answer (HTTP {status}): {detail}")]
    Malformed {
        /// HTTP status of the answer.
        status: u16,
        /// The decoder's complaint (no body content).
        detail: String,
    },
    /// The callback receiver did not answer HTTP 200 with `ok:true`.
    #[error("callback not acknowledged (HTTP {status})")]
    CallbackRejected {
        /// HTTP status of the answer.
        status: u16,
    },
    /// The connection settings are unusable.
    #[error("invalid dujiao connection: {0}")]
    Config(String),
}

impl DujiaoError {
    /// True when the same call may succeed later; false means an operator must look.
    pub fn is_retryable(&self) -> bool {
        match self {
            DujiaoError::Http(err) => err.is_retryable(),
            DujiaoError::Api { status, code } => {
                !code.is_never_retry() && (*status >= 500 || code.as_str() == "internal_error")
            }
            DujiaoError::PaymentFailed { .. } | DujiaoError::Config(_) => false,
            // The write is idempotent on downstream_order_no, so asking again is safe.
            DujiaoError::Malformed { .. } => true,
            // The callback sender retries anything but 200 + ok:true on its schedule.
            DujiaoError::CallbackRejected { .. } => true,
        }
    }

    /// True when retrying cannot help.
    pub fn is_permanent(&self) -> bool {
        !self.is_retryable()
    }

    /// The protocol error code, when the site sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            DujiaoError::Api { code, .. } => Some(code.as_str()),
            DujiaoError::PaymentFailed { .. } => Some("payment_failed"),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_errors_map_to_protocol_codes_and_statuses() {
        let cases = [
            (
                DujiaoAuthError::MissingAuthHeaders,
                "missing_auth_headers",
                401,
            ),
            (DujiaoAuthError::InvalidTimestamp, "invalid_timestamp", 401),
            (DujiaoAuthError::TimestampExpired, "timestamp_expired", 401),
            (DujiaoAuthError::InvalidSignature, "invalid_signature", 401),
            (DujiaoAuthError::InvalidApiKey, "invalid_api_key", 403),
            (DujiaoAuthError::UserDisabled, "user_disabled", 403),
        ];
        for (err, code, status) in cases {
            assert_eq!(err.error_code(), code);
            assert_eq!(err.http_status(), status);
        }
    }

    #[test]
    fn never_retry_list_is_permanent() {
        for code in NEVER_RETRY {
            let err = DujiaoError::Api {
                status: 500,
                code: DujiaoErrorCode::parse(code),
            };
            assert!(err.is_permanent(), "{code}");
        }
        let internal = DujiaoError::Api {
            status: 500,
            code: DujiaoErrorCode::parse("internal_error"),
        };
        assert!(internal.is_retryable());
        let stock = DujiaoError::Api {
            status: 409,
            code: DujiaoErrorCode::parse("insufficient_stock"),
        };
        assert!(stock.is_permanent());
        assert_eq!(
            DujiaoErrorCode::parse("brand_new"),
            DujiaoErrorCode::Other("brand_new".into())
        );
    }
}
