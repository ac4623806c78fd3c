//! `updateOrderDetail` (Switchyard → 58): the status update body, the signed form and 58's answer.
//!
//! Contract: the form is `accessToken, serviceKey, format=json, timestamp (GMT+8), daojiaJson,
//! sign`, where `sign` covers every other field by the TOP md5 rule. 58 answers
//! `{code, msg, data?}`; `code` 200 is success, 429 and 5xx are transient, anything else permanent.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::sign::update_sign;
use super::status::DaojiaOrderStatus;
use crate::qimen::timestamp::format_top_timestamp;

/// Endpoint path under the 58 API base.
pub const UPDATE_ORDER_DETAIL_PATH: &str = "/api/v1/order/updateOrderDetail";

/// The `daojiaJson` of a status update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderDetailUpdate {
    /// 58's order id.
    pub order_id: String,
    /// New status.
    pub order_status: DaojiaOrderStatus,
    /// New total in fen; refused by 58 once the order is paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_price_fen: Option<i64>,
}

/// The signed form, field by field (names as on the wire).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateOrderDetailForm {
    /// Access token (a credential).
    #[serde(default)]
    pub access_token: String,
    /// Our service key.
    #[serde(default)]
    pub service_key: String,
    /// Always `json`.
    #[serde(default)]
    pub format: String,
    /// `yyyy-MM-dd HH:mm:ss` GMT+8.
    #[serde(default)]
    pub timestamp: String,
    /// The update as JSON.
    #[serde(default)]
    pub daojia_json: String,
    /// Uppercase MD5.
    #[serde(default)]
    pub sign: String,
}

impl std::fmt::Debug for UpdateOrderDetailForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpdateOrderDetailForm")
            .field("service_key", &self.service_key)
            .field("timestamp", &self.timestamp)
            .finish_non_exhaustive()
    }
}

impl UpdateOrderDetailForm {
    /// Builds and signs the form for `update` at `now`.
    pub fn signed(
        access_token: &str,
        service_key: &str,
        service_secret: &[u8],
        update: &OrderDetailUpdate,
        now: DateTime<Utc>,
    ) -> Result<Self, serde_json::Error> {
        let mut form = Self {
            access_token: access_token.into(),
            service_key: service_key.into(),
            format: "json".into(),
            timestamp: format_top_timestamp(now),
            daojia_json: serde_json::to_string(update)?,
            sign: String::new(),
        };
        form.sign = update_sign(form.signed_fields(), service_secret);
        Ok(form)
    }

    /// The fields the signature covers.
    pub fn signed_fields(&self) -> [(&str, &str); 5] {
        [
            ("accessToken", self.access_token.as_str()),
            ("serviceKey", self.service_key.as_str()),
            ("format", self.format.as_str()),
            ("timestamp", self.timestamp.as_str()),
            ("daojiaJson", self.daojia_json.as_str()),
        ]
    }
}

/// 58's answer envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaojiaAnswer {
    /// 200 on success.
    pub code: u16,
    /// `success` or the reason.
    #[serde(default)]
    pub msg: String,
    /// Payload, when any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Value>,
}

/// Answer codes 58 (and our simulator) use for `updateOrderDetail`.
pub mod codes {
    /// Applied.
    pub const SUCCESS: u16 = 200;
    /// A field is missing or malformed.
    pub const BAD_REQUEST: u16 = 400;
    /// `sign` does not verify, or unknown service key / token.
    pub const INVALID_SIGN: u16 = 401;
    /// `timestamp` outside ±10 min.
    pub const TIMESTAMP_EXPIRED: u16 = 403;
    /// Unknown order.
    pub const ORDER_NOT_FOUND: u16 = 404;
    /// The status step is not allowed, or the total changed after payment.
    pub const INVALID_TRANSITION: u16 = 409;
    /// Too many calls.
    pub const RATE_LIMITED: u16 = 429;
    /// 58 had an internal problem.
    pub const INTERNAL: u16 = 500;
}

impl DaojiaAnswer {
    /// True when retrying the same update later can succeed.
    pub fn is_retryable(&self) -> bool {
        self.code == codes::RATE_LIMITED || self.code >= 500
    }
}
