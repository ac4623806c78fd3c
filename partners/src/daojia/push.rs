//! 58 Daojia order pushes (58 → Switchyard): the signed form, the order it carries, its
//! verification and the answers.
//!
//! Contract: a push is a form POST with `funId`, `nonce`, `timestamp`, `daojiaJson` and
//! `daojiaSig`. [`PushVerifier::verify`] checks, in order: every field present, signature
//! (constant-time), timestamp within the window (**Switchyard:** ±10 min, epoch ms, epoch s or
//! `yyyy-MM-dd HH:mm:ss` GMT+8 accepted), known `funId`, decodable order — and only then parses
//! `daojiaJson` into typed structs. Ids (`orderId`, `goodsId`, `cityId`) are read from JSON
//! numbers or strings ([`DaojiaId`]); amounts are yuan on the wire and [`Money`] in fen inside.
//! Each refusal has its own answer `code` (**Switchyard:** 400 bad request — also a line whose
//! `goodsId` maps to no product — 401 bad signature, 403 timestamp outside the window). `userMobile`,
//! `serviceAddress`, `lng`, `lat` and `remark` are [`Personal`]: never in `Debug` or logs.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::id::{int_or_string, DaojiaId};
use super::personal::Personal;
use super::sign::verify_push_sign;
use crate::json_error::describe_json_error;
use crate::qimen::timestamp::{check_window, parse_top_timestamp, TimestampError};
use switchyard_domain::Money;

/// `funId` of an order push.
pub const FUN_CREATE_ORDER: &str = "createOrder";
/// `funId` of a cancellation push.
pub const FUN_CANCEL_ORDER: &str = "cancelOrder";

/// The push form exactly as 58 posts it.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DaojiaPushForm {
    /// `createOrder` or `cancelOrder`.
    #[serde(default)]
    pub fun_id: String,
    /// Random per push.
    #[serde(default)]
    pub nonce: String,
    /// Push time.
    #[serde(default)]
    pub timestamp: String,
    /// The order (or cancellation) as a JSON string — holds personal data.
    #[serde(default)]
    pub daojia_json: String,
    /// Uppercase MD5 signature.
    #[serde(default)]
    pub daojia_sig: String,
}

impl std::fmt::Debug for DaojiaPushForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DaojiaPushForm")
            .field("fun_id", &self.fun_id)
            .field("timestamp", &self.timestamp)
            .field("daojia_json_len", &self.daojia_json.len())
            .finish_non_exhaustive()
    }
}

/// One service line of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DaojiaOrderDetail {
    /// 58's goods id (a JSON number or string); mapped to our SKU by the ingress.
    pub goods_id: DaojiaId,
    /// Quantity.
    pub goods_number: u32,
    /// Unit price (CNY).
    #[serde(with = "crate::qimen::wire::yuan")]
    pub goods_price: Money,
}

/// An order pushed by 58 (`funId` `createOrder`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DaojiaOrder {
    /// 58's order id (a JSON number or string): the idempotency key of the push.
    pub order_id: DaojiaId,
    /// Customer phone.
    pub user_mobile: Personal<String>,
    /// City id (a JSON number or numeric string).
    #[serde(default, deserialize_with = "int_or_string")]
    pub city_id: Option<i64>,
    /// City name.
    #[serde(default)]
    pub city_name: Option<String>,
    /// Longitude of the service address.
    #[serde(default)]
    pub lng: Personal<Option<f64>>,
    /// Latitude of the service address.
    #[serde(default)]
    pub lat: Personal<Option<f64>>,
    /// Where the service happens.
    pub service_address: Personal<String>,
    /// Start of the service window.
    pub service_begin_time: String,
    /// End of the service window.
    #[serde(default)]
    pub service_end_time: Option<String>,
    /// Planned duration (minutes).
    #[serde(default)]
    pub service_duration: Option<u32>,
    /// Order total (CNY).
    #[serde(with = "crate::qimen::wire::yuan")]
    pub total_price: Money,
    /// Customer's note (free text, may hold personal data).
    #[serde(default)]
    pub remark: Personal<Option<String>>,
    /// Lines.
    #[serde(default)]
    pub order_details: Vec<DaojiaOrderDetail>,
}

/// A cancellation pushed by 58 (`funId` `cancelOrder`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DaojiaCancellation {
    /// 58's order id (a JSON number or string).
    pub order_id: DaojiaId,
    /// Why it was cancelled.
    #[serde(default)]
    pub cancel_reason: Option<String>,
}

/// A push that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub enum VerifiedPush {
    /// A new order.
    CreateOrder(Box<DaojiaOrder>),
    /// A cancellation.
    CancelOrder(DaojiaCancellation),
}

impl VerifiedPush {
    /// 58's order id, the idempotency key.
    pub fn order_id(&self) -> &str {
        match self {
            Self::CreateOrder(order) => &order.order_id,
            Self::CancelOrder(cancel) => &cancel.order_id,
        }
    }
}

/// Why a push was refused; each maps to an answer `code`. All permanent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushRejection {
    /// A form field is missing or empty.
    #[error("missing field {0}")]
    MissingField(&'static str),
    /// `daojiaSig` does not verify.
    #[error("invalid signature")]
    InvalidSignature,
    /// `timestamp` is not a time.
    #[error("malformed timestamp")]
    MalformedTimestamp,
    /// `timestamp` older than the window.
    #[error("timestamp expired")]
    StaleTimestamp,
    /// `timestamp` further ahead than the window.
    #[error("timestamp in the future")]
    FutureTimestamp,
    /// `funId` is neither `createOrder` nor `cancelOrder`.
    #[error("unknown funId")]
    UnknownFunId,
    /// `daojiaJson` does not hold a valid order (detail names the field, never its value).
    #[error("invalid daojiaJson: {0}")]
    InvalidOrder(String),
    /// A line's `goodsId` maps to none of the provider's products (detail names the line).
    #[error("unknown goods: {0}")]
    UnmappedGoods(String),
}

impl PushRejection {
    /// The answer `code` (**Switchyard:** HTTP-like; 58 only requires "not 200").
    pub fn code(&self) -> u16 {
        match self {
            Self::InvalidSignature => 401,
            Self::StaleTimestamp | Self::FutureTimestamp => 403,
            Self::MissingField(_)
            | Self::MalformedTimestamp
            | Self::UnknownFunId
            | Self::InvalidOrder(_)
            | Self::UnmappedGoods(_) => 400,
        }
    }
}

/// Parses a push `timestamp`: epoch milliseconds, epoch seconds, or a GMT+8 TOP timestamp.
pub fn parse_push_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(number) = text.parse::<i64>() {
        // Epoch seconds stay below 10^11 until the year 5138; larger values are milliseconds.
        return if number >= 100_000_000_000 {
            Utc.timestamp_millis_opt(number).single()
        } else {
            Utc.timestamp_opt(number, 0).single()
        };
    }
    parse_top_timestamp(text)
}

/// Checks pushes against our shared secret with 58.
#[derive(Clone)]
pub struct PushVerifier {
    secret: SecretString,
    window: Duration,
}

impl std::fmt::Debug for PushVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushVerifier")
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

impl PushVerifier {
    /// A verifier with the given secret and freshness window (±`window`).
    pub fn new(secret: SecretString, window: Duration) -> Self {
        Self { secret, window }
    }

    /// Verifies a push received at `now` and parses what it carries.
    pub fn verify(
        &self,
        form: &DaojiaPushForm,
        now: DateTime<Utc>,
    ) -> Result<VerifiedPush, PushRejection> {
        for (name, value) in [
            ("funId", &form.fun_id),
            ("nonce", &form.nonce),
            ("timestamp", &form.timestamp),
            ("daojiaJson", &form.daojia_json),
            ("daojiaSig", &form.daojia_sig),
        ] {
            if value.trim().is_empty() {
                return Err(PushRejection::MissingField(name));
            }
        }
        let secret = self.secret.expose_secret().as_bytes();
        if !verify_push_sign(
            &form.daojia_json,
            &form.fun_id,
            &form.nonce,
            &form.timestamp,
            secret,
            &form.daojia_sig,
        ) {
            return Err(PushRejection::InvalidSignature);
        }
        let at = parse_push_timestamp(&form.timestamp).ok_or(PushRejection::MalformedTimestamp)?;
        check_window(at, now, self.window).map_err(|e| match e {
            TimestampError::Stale => PushRejection::StaleTimestamp,
            TimestampError::Future => PushRejection::FutureTimestamp,
            TimestampError::Malformed => PushRejection::MalformedTimestamp,
        })?;
        let invalid = |e: serde_json::Error| PushRejection::InvalidOrder(describe_json_error(&e));
        match form.fun_id.as_str() {
            FUN_CREATE_ORDER => serde_json::from_str(&form.daojia_json)
                .map(|order| VerifiedPush::CreateOrder(Box::new(order)))
                .map_err(invalid),
            FUN_CANCEL_ORDER => serde_json::from_str(&form.daojia_json)
                .map(VerifiedPush::CancelOrder)
                .map_err(invalid),
            _ => Err(PushRejection::UnknownFunId),
        }
    }
}

/// The `data` of a successful push answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushAnswerData {
    /// 58's order id, echoed.
    pub order_id: String,
    /// Always `received`.
    pub status: String,
}

/// Our answer to a push: `{"code":200,"msg":"success","data":{…}}` or a non-200 code + reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushAnswer {
    /// 200 on success.
    pub code: u16,
    /// `success` or the reason.
    pub msg: String,
    /// Present on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<PushAnswerData>,
}

impl PushAnswer {
    /// The success answer for `order_id` (also for a repeated push of the same order).
    pub fn received(order_id: &str) -> Self {
        Self {
            code: 200,
            msg: "success".into(),
            data: Some(PushAnswerData {
                order_id: order_id.into(),
                status: "received".into(),
            }),
        }
    }

    /// The answer for a refused push.
    pub fn rejected(rejection: &PushRejection) -> Self {
        Self {
            code: rejection.code(),
            msg: rejection.to_string(),
            data: None,
        }
    }

    /// True for `code` 200.
    pub fn is_success(&self) -> bool {
        self.code == 200
    }
}
