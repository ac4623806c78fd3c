//! What one placement attempt came to, independent of the fulfiller's protocol.
//!
//! Contract: a partner's answer is never a [`crate::error::StepError`]: it is an
//! [`AttemptResult`] that the placer records as a `procurement_attempts` row. `transient`
//! follows each protocol's own classification (Dujiao's never-retry list, vending platform codes
//! are business answers, Qimen's transient gateway codes); messages are the partners' typed
//! errors, which carry no URL, header, body, key or personal data.

use switchyard_partners::dujiao::DujiaoError;
use switchyard_partners::policy::PartnerHttpError;
use switchyard_partners::qimen::QimenError;
use switchyard_partners::vending::VendingError;
use switchyard_store::procurement::ProcurementStatus;

/// The outcome of one attempt to place a sub-order.
#[derive(Debug, Clone, PartialEq)]
pub enum AttemptResult {
    /// Delivered at once (local stock): the content to store.
    Delivered {
        /// Delivery content (`{type, payload, delivery_data, delivered_at}`).
        content: serde_json::Value,
    },
    /// The fulfiller took the order; delivery comes later (callback, dispense result, logistics).
    Placed {
        /// `accepted` (paid upstream) or `submitted`.
        status: ProcurementStatus,
        /// The fulfiller's order id.
        upstream_order_id: Option<String>,
        /// The fulfiller's order number.
        upstream_order_no: Option<String>,
        /// What the fulfiller charged, when it said.
        amount_minor: Option<i64>,
    },
    /// The fulfiller refused or could not be reached.
    Failed(PartnerFailure),
}

/// A failed attempt, as an operator reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerFailure {
    /// Worth retrying on the connection's schedule.
    pub transient: bool,
    /// The partner's error code (`insufficient_balance`, `60002`, …) or our own.
    pub code: Option<String>,
    /// Why (no secrets, no personal data).
    pub message: String,
    /// HTTP status of the partner's answer, when there was one.
    pub http_status: Option<u16>,
}

impl PartnerFailure {
    /// A failure that retrying cannot cure, with our own code.
    pub fn permanent(code: &str, message: impl Into<String>) -> Self {
        Self {
            transient: false,
            code: Some(code.to_owned()),
            message: message.into(),
            http_status: None,
        }
    }
}

fn http_status(error: &PartnerHttpError) -> Option<u16> {
    match error {
        PartnerHttpError::RetryableStatus { status, .. }
        | PartnerHttpError::RetryableAnswer { status, .. } => Some(*status),
        _ => None,
    }
}

impl From<&DujiaoError> for PartnerFailure {
    fn from(error: &DujiaoError) -> Self {
        let status = match error {
            DujiaoError::Http(http) => http_status(http),
            DujiaoError::Api { status, .. }
            | DujiaoError::Malformed { status, .. }
            | DujiaoError::CallbackRejected { status } => Some(*status),
            DujiaoError::PaymentFailed { .. } => Some(200),
            DujiaoError::Config(_) => None,
        };
        Self {
            transient: error.is_retryable(),
            code: error.code().map(str::to_owned),
            message: error.to_string(),
            http_status: status,
        }
    }
}

impl From<&VendingError> for PartnerFailure {
    fn from(error: &VendingError) -> Self {
        let status = match error {
            VendingError::Http(http) => http_status(http),
            VendingError::Api { status, .. } | VendingError::Malformed { status, .. } => {
                Some(*status)
            }
            VendingError::MissingField(_) | VendingError::Config(_) => None,
        };
        Self {
            transient: error.is_retryable(),
            code: error.code().map(|code| code.to_string()),
            message: error.to_string(),
            http_status: status,
        }
    }
}

impl From<&QimenError> for PartnerFailure {
    fn from(error: &QimenError) -> Self {
        let (code, status) = match error {
            QimenError::Refused(failure) => (Some(failure.code.clone()), None),
            QimenError::Http(http) => (None, http_status(http)),
            _ => (None, None),
        };
        Self {
            transient: error.is_retryable(),
            code,
            message: error.to_string(),
            http_status: status,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_partners::dujiao::DujiaoErrorCode;

    #[test]
    fn dujiao_answers_keep_their_code_and_retry_class() {
        let broke = DujiaoError::Api {
            status: 402,
            code: DujiaoErrorCode::parse("insufficient_balance"),
        };
        let failure = PartnerFailure::from(&broke);
        assert!(!failure.transient);
        assert_eq!(failure.code.as_deref(), Some("insufficient_balance"));
        assert_eq!(failure.http_status, Some(402));
        let down = DujiaoError::Http(PartnerHttpError::RetryableStatus {
            partner: "dujiao",
            status: 503,
            retry_after: None,
        });
        let failure = PartnerFailure::from(&down);
        assert!(failure.transient);
        assert_eq!(failure.http_status, Some(503));
    }

    #[test]
    fn vending_business_codes_are_permanent() {
        let delisted = VendingError::Api {
            status: 200,
            code: 60002,
            message: "product delisted".into(),
        };
        let failure = PartnerFailure::from(&delisted);
        assert!(!failure.transient);
        assert_eq!(failure.code.as_deref(), Some("60002"));
    }
}
