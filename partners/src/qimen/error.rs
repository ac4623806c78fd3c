//! Qimen / TOP error answers and their classification.
//!
//! Two formats occur: the TOP gateway's `{"error_response":{code,msg,sub_code,sub_msg,request_id}}`
//! and the Qimen custom API's `{"response":{"flag":"failure",code,message,sub_code,sub_message}}`.
//! Retryable (transient): TOP code 7 (call limit), 10 (service unavailable), 15 with an `isp.`
//! sub-code, and any `isp.*` code or sub-code (platform-side faults). Everything else — bad
//! signature (25), bad timestamp (31), bad app key (29), missing/invalid arguments (40/41), `isv.*`
//! — is the caller's fault and permanent. Messages come from the gateway and never contain our
//! secrets; they are kept to help an operator.

use serde::{Deserialize, Serialize};

use crate::policy::PartnerHttpError;

/// TOP gateway error codes Switchyard cares about (the simulator answers with these too).
pub mod codes {
    /// Call limit reached (transient).
    pub const APP_CALL_LIMITED: &str = "7";
    /// Service temporarily unavailable (transient).
    pub const SERVICE_UNAVAILABLE: &str = "10";
    /// Remote service error; transient only with an `isp.` sub-code.
    pub const REMOTE_SERVICE_ERROR: &str = "15";
    /// No `method`.
    pub const MISSING_METHOD: &str = "21";
    /// Unknown `method`.
    pub const INVALID_METHOD: &str = "22";
    /// No `sign`.
    pub const MISSING_SIGNATURE: &str = "24";
    /// `sign` does not verify.
    pub const INVALID_SIGNATURE: &str = "25";
    /// `app_key` missing.
    pub const MISSING_APP_KEY: &str = "28";
    /// `app_key` unknown.
    pub const INVALID_APP_KEY: &str = "29";
    /// `timestamp` missing.
    pub const MISSING_TIMESTAMP: &str = "30";
    /// `timestamp` malformed or outside ±10 min.
    pub const INVALID_TIMESTAMP: &str = "31";
    /// Required argument missing.
    pub const MISSING_REQUIRED_ARGUMENTS: &str = "40";
    /// Argument invalid.
    pub const INVALID_ARGUMENTS: &str = "41";
}

/// A decoded error answer from the gateway or the ERP behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QimenFailure {
    /// Gateway or Qimen code.
    pub code: String,
    /// Message for `code`.
    pub message: String,
    /// The ERP's (or TOP's) sub-code, e.g. `isv.invalid-parameter`.
    pub sub_code: Option<String>,
    /// Message for `sub_code`.
    pub sub_message: Option<String>,
}

impl QimenFailure {
    /// True when retrying the identical request later can succeed.
    pub fn is_retryable(&self) -> bool {
        let sub = self.sub_code.as_deref().unwrap_or("");
        let isp = |s: &str| s.starts_with("isp.");
        match self.code.as_str() {
            codes::APP_CALL_LIMITED | codes::SERVICE_UNAVAILABLE => true,
            _ if isp(&self.code) || isp(sub) => true,
            _ => false,
        }
    }
}

impl std::fmt::Display for QimenFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "code {} ({})", self.code, self.message)?;
        if let Some(sub) = &self.sub_code {
            write!(f, ", sub_code {sub}")?;
        }
        Ok(())
    }
}

/// Any JSON scalar as text: gateways send codes as numbers or strings.
fn scalar_text(value: Option<&serde_json::Value>) -> Option<String> {
    match value? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Finds a failure in an answer body, in either format; `None` when the answer is not an error.
///
/// A Qimen `response` with a non-zero numeric `code` but no `flag` is also a failure: WDT reports
/// business errors that way.
pub fn find_failure(body: &serde_json::Value) -> Option<QimenFailure> {
    if let Some(err) = body.get("error_response") {
        return Some(QimenFailure {
            code: scalar_text(err.get("code")).unwrap_or_default(),
            message: scalar_text(err.get("msg")).unwrap_or_default(),
            sub_code: scalar_text(err.get("sub_code")),
            sub_message: scalar_text(err.get("sub_msg")),
        });
    }
    let response = body.get("response").unwrap_or(body);
    let flag_failed = response.get("flag").and_then(|f| f.as_str()) == Some("failure");
    let code = scalar_text(response.get("code"));
    let code_failed = code.as_deref().is_some_and(|c| c != "0" && !c.is_empty());
    if flag_failed || code_failed {
        return Some(QimenFailure {
            code: code.unwrap_or_default(),
            message: scalar_text(response.get("message")).unwrap_or_default(),
            sub_code: scalar_text(response.get("sub_code")),
            sub_message: scalar_text(response.get("sub_message")),
        });
    }
    None
}

/// Everything a Qimen call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum QimenError {
    /// The gateway or ERP refused the call.
    #[error("qimen refused the call: {0}")]
    Refused(QimenFailure),
    /// The HTTP policy gave up (transport, timeout, 5xx/429 after retries, or other 4xx).
    #[error(transparent)]
    Http(#[from] PartnerHttpError),
    /// The answer was not the JSON we expect.
    #[error("qimen answer could not be decoded: {0}")]
    Decode(String),
    /// The request could not be built (e.g. more than 50 trades).
    #[error("invalid qimen request: {0}")]
    InvalidRequest(String),
}

impl QimenError {
    /// True when the caller should retry later (dead-letter otherwise).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Refused(failure) => failure.is_retryable(),
            Self::Http(err) => err.is_retryable(),
            Self::Decode(_) | Self::InvalidRequest(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json_error::describe_json_error;
    use serde_json::json;

    #[test]
    fn top_error_response_is_found_and_classified() {
        let body = json!({"error_response":{"code":25,"msg":"Invalid signature","request_id":"x"}});
        let failure = find_failure(&body).unwrap();
        assert_eq!(failure.code, "25");
        assert!(!failure.is_retryable());
        let limited = json!({"error_response":{"code":7,"msg":"App Call Limited","sub_code":"accesscontrol.limited-by-app-access-count"}});
        assert!(find_failure(&limited).unwrap().is_retryable());
        let isp = json!({"error_response":{"code":15,"msg":"Remote service error","sub_code":"isp.remote-service-timeout"}});
        assert!(find_failure(&isp).unwrap().is_retryable());
        let isv = json!({"error_response":{"code":15,"msg":"Remote service error","sub_code":"isv.invalid-parameter"}});
        assert!(!find_failure(&isv).unwrap().is_retryable());
    }

    #[test]
    fn qimen_failure_flag_is_found() {
        let body = json!({"response":{"flag":"failure","code":"isv.invalid-parameter","message":"bad","sub_code":"trade_list","sub_message":"too many"}});
        let failure = find_failure(&body).unwrap();
        assert_eq!(failure.sub_code.as_deref(), Some("trade_list"));
        assert!(!failure.is_retryable());
        let ok = json!({"response":{"flag":"success","code":0,"message":"ok","new_count":1}});
        assert_eq!(find_failure(&ok), None);
        let bare_ok = json!({"code":0,"message":"ok"});
        assert_eq!(find_failure(&bare_ok), None);
        let bare_fail = json!({"code":1001,"message":"sid invalid"});
        assert!(find_failure(&bare_fail).is_some());
    }

    #[test]
    fn decode_errors_never_echo_values() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Answer {
            code: i64,
        }
        let err = serde_json::from_str::<Answer>(r#"{"code":"13800138000"}"#).unwrap_err();
        assert!(
            err.to_string().contains("13800138000"),
            "serde itself quotes the value"
        );
        let described = describe_json_error(&err);
        assert!(!described.contains("13800138000"), "{described}");
        let missing = serde_json::from_str::<Answer>("{}").unwrap_err();
        assert_eq!(describe_json_error(&missing), missing.to_string());
    }
}
