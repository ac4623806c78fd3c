//! Vending errors: payload signature problems and client failures.

use crate::policy::PartnerHttpError;

/// Error code the platform answers for an invalid signature.
pub const CODE_INVALID_SIGNATURE: i64 = 4006;
/// Error code the platform answers (HTTP 401) when `Appid` is missing.
pub const CODE_MISSING_APPID: i64 = 10008;

/// Why a signed payload was refused (all map to code 4006).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VendingSignError {
    /// `payload` is not base64.
    #[error("payload is not base64")]
    NotBase64,
    /// The decoded payload is not a JSON object.
    #[error("payload is not a JSON object")]
    NotJson,
    /// No `sign` field.
    #[error("payload has no sign")]
    MissingSign,
    /// `sign` does not match.
    #[error("payload sign does not match")]
    Mismatch,
}

impl VendingSignError {
    /// The platform's error code.
    pub fn code(&self) -> i64 {
        CODE_INVALID_SIGNATURE
    }
}

/// Why a vending call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VendingError {
    /// The shared HTTP policy gave up.
    #[error(transparent)]
    Http(#[from] PartnerHttpError),
    /// The platform answered a non-zero `code` (message kept verbatim).
    #[error("vending answered code {code}: {message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// The platform code (e.g. 4006, 10008, 40005, 60002).
        code: i64,
        /// The platform message.
        message: String,
    },
    /// The answer is not the `{code,message,data}` envelope.
    #[error("unreadable vending answer (HTTP {status}): {detail}")]
    Malformed {
        /// HTTP status.
        status: u16,
        /// The decoder's complaint (no body content).
        detail: String,
    },
    /// A successful answer lacked a field the caller needs.
    #[error("vending answer lacks `{0}`")]
    MissingField(&'static str),
    /// The connection settings are unusable.
    #[error("invalid vending connection: {0}")]
    Config(String),
}

impl VendingError {
    /// True when the same call may succeed later.
    ///
    /// Platform codes are business answers (expired, delisted, bad status) and are permanent;
    /// an unreadable answer may be a proxy hiccup, and every write is idempotent or re-checkable.
    pub fn is_retryable(&self) -> bool {
        match self {
            VendingError::Http(err) => err.is_retryable(),
            VendingError::Malformed { .. } => true,
            VendingError::Api { .. } | VendingError::MissingField(_) | VendingError::Config(_) => {
                false
            }
        }
    }

    /// True when retrying cannot help.
    pub fn is_permanent(&self) -> bool {
        !self.is_retryable()
    }

    /// The platform code, when there is one.
    pub fn code(&self) -> Option<i64> {
        match self {
            VendingError::Api { code, .. } => Some(*code),
            _ => None,
        }
    }
}
