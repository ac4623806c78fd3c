//! Answers in each partner's own format for the failures every endpoint shares: body too large,
//! body too slow, overload, and "could not make the event durable" (retryable).
//!
//! Contract: D-Store gets `result.resultStatus` `U`/`UNKNOWN_EXCEPTION` for anything it should
//! retry and `F` for anything it must not; Dujiao-Next gets `{ok:false,error_code,error_message}`
//! with the protocol's status; the Dujiao callback receiver answers `{ok,message}`; 58 Daojia gets
//! a non-200 `code`; the vending platform only looks at the HTTP status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use switchyard_partners::dstore::wire::DstoreResult;
use switchyard_partners::dujiao::wire::ErrorBody;

/// Which partner protocol an inbound path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partner {
    /// Dujiao-Next provider API (`/api/v1/upstream/*` except the callback).
    DujiaoProvider,
    /// Dujiao-Next callback receiver (`/api/v1/upstream/callback`).
    DujiaoCallback,
    /// Alipay+ D-Store (`/v2/pos/*`).
    Dstore,
    /// 58 Daojia (`/daojia/*`).
    Daojia,
    /// Vending platform (`/vending/*`).
    Vending,
}

impl Partner {
    /// The partner a request path belongs to, if any.
    pub fn of_path(path: &str) -> Option<Self> {
        if path == "/api/v1/upstream/callback" {
            Some(Self::DujiaoCallback)
        } else if path.starts_with("/api/v1/upstream/") {
            Some(Self::DujiaoProvider)
        } else if path.starts_with("/v2/pos/") {
            Some(Self::Dstore)
        } else if path.starts_with("/daojia/") {
            Some(Self::Daojia)
        } else if path.starts_with("/vending/") {
            Some(Self::Vending)
        } else {
            None
        }
    }

    /// 413 for a body over the limit (permanent: resending the same body cannot help).
    pub fn too_large(self) -> Response {
        let message = "request body too large";
        match self {
            Self::DujiaoProvider => {
                dujiao_error(StatusCode::PAYLOAD_TOO_LARGE, "bad_request", message)
            }
            Self::DujiaoCallback => callback_ack(StatusCode::PAYLOAD_TOO_LARGE, false, message),
            Self::Dstore => dstore_plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                DstoreResult::failed("PARAM_ILLEGAL", message),
            ),
            Self::Daojia => daojia_code(StatusCode::PAYLOAD_TOO_LARGE, 413, message),
            Self::Vending => vending(StatusCode::PAYLOAD_TOO_LARGE, message),
        }
    }

    /// 408 for a body that did not arrive within the deadline (the partner may send it again).
    pub fn too_slow(self) -> Response {
        let message = "request body not received in time";
        match self {
            Self::DujiaoProvider => {
                dujiao_error(StatusCode::REQUEST_TIMEOUT, "bad_request", message)
            }
            Self::DujiaoCallback => callback_ack(StatusCode::REQUEST_TIMEOUT, false, message),
            Self::Dstore => {
                dstore_plain(StatusCode::REQUEST_TIMEOUT, DstoreResult::unknown(message))
            }
            Self::Daojia => daojia_code(StatusCode::REQUEST_TIMEOUT, 408, message),
            Self::Vending => vending(StatusCode::REQUEST_TIMEOUT, message),
        }
    }

    /// Shed at once when the ingress is at capacity (the partner retries later).
    pub fn overloaded(self) -> Response {
        let message = "overloaded, retry later";
        match self {
            Self::DujiaoProvider => {
                dujiao_error(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", message)
            }
            Self::DujiaoCallback => callback_ack(StatusCode::SERVICE_UNAVAILABLE, false, message),
            Self::Dstore => dstore_plain(
                StatusCode::SERVICE_UNAVAILABLE,
                DstoreResult::unknown(message),
            ),
            Self::Daojia => daojia_code(StatusCode::SERVICE_UNAVAILABLE, 503, message),
            Self::Vending => vending(StatusCode::SERVICE_UNAVAILABLE, message),
        }
    }

    /// The protocol's retryable failure: neither broker nor spool (nor the database) answered.
    pub fn unavailable(self) -> Response {
        let message = "temporarily unavailable, retry";
        match self {
            Self::DujiaoProvider => {
                dujiao_error(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", message)
            }
            Self::DujiaoCallback => callback_ack(StatusCode::SERVICE_UNAVAILABLE, false, message),
            Self::Dstore => dstore_plain(StatusCode::OK, DstoreResult::unknown(message)),
            Self::Daojia => daojia_code(StatusCode::SERVICE_UNAVAILABLE, 503, message),
            Self::Vending => vending(StatusCode::SERVICE_UNAVAILABLE, message),
        }
    }
}

/// `{ok:false, error_code, error_message}` with `status`.
pub fn dujiao_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = ErrorBody {
        ok: false,
        error_code: code.to_owned(),
        error_message: message.to_owned(),
    };
    (status, Json(body)).into_response()
}

/// `{ok, message}` of the Dujiao callback receiver.
pub fn callback_ack(status: StatusCode, ok: bool, message: &str) -> Response {
    (status, Json(json!({ "ok": ok, "message": message }))).into_response()
}

/// An unsigned D-Store answer (used only where no signing key is known or the ingress sheds).
pub fn dstore_plain(status: StatusCode, result: DstoreResult) -> Response {
    (status, Json(json!({ "result": result }))).into_response()
}

/// `{code, msg}` of 58 Daojia.
pub fn daojia_code(status: StatusCode, code: u16, message: &str) -> Response {
    (status, Json(json!({ "code": code, "msg": message }))).into_response()
}

/// The vending platform's `{code, message}` envelope.
pub fn vending(status: StatusCode, message: &str) -> Response {
    let code = if status.is_success() {
        0
    } else {
        i64::from(status.as_u16())
    };
    (status, Json(json!({ "code": code, "message": message }))).into_response()
}
