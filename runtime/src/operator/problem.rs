//! `{error, message}`: the one error shape of the operator API, written by handlers and read by
//! `switchyard admin` and `switchyard procurement`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

/// An operator API error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// Stable machine code (`unauthorized`, `not_found`, `invalid_transition`, …).
    pub error: String,
    /// What went wrong, for a person; never a secret.
    pub message: String,
}

/// `{error, message}` with `status`.
pub fn problem(status: StatusCode, error: &str, message: &str) -> Response {
    let body = Problem {
        error: error.to_owned(),
        message: message.to_owned(),
    };
    (status, Json(body)).into_response()
}

/// The code for an error status that no handler named (framework rejections).
pub(crate) fn code_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        status if status.is_server_error() => "internal",
        _ => "error",
    }
}
