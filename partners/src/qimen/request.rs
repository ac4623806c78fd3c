//! Building a signed Qimen request: system parameters in the query string, business parameters
//! as the JSON body, signature over the sorted system parameters plus the raw body.
//!
//! Contract: each call is signed afresh with the current GMT+8 timestamp (so a retry late in a
//! backoff never falls outside the gateway's ±10 min window); `sid` and the WDT `appkey` are added
//! to every business body.

use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use serde::Serialize;

use super::config::QimenConfig;
use super::sign::top_sign;
use super::timestamp::format_top_timestamp;

/// A request ready to send: the query pairs (with `sign`) and the exact body bytes that were signed.
#[derive(Clone)]
pub struct SignedQimenRequest {
    /// System parameters, `sign` last.
    pub query: Vec<(String, String)>,
    /// The raw JSON body.
    pub body: Vec<u8>,
}

impl std::fmt::Debug for SignedQimenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let method = self
            .query
            .iter()
            .find(|(k, _)| k == "method")
            .map(|(_, v)| v.as_str());
        f.debug_struct("SignedQimenRequest")
            .field("method", &method)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// Adds `sid` and `appkey` to a business-parameter struct and serialises it.
pub fn business_body<T: Serialize>(
    config: &QimenConfig,
    params: &T,
) -> Result<Vec<u8>, serde_json::Error> {
    let mut value = serde_json::to_value(params)?;
    if let serde_json::Value::Object(map) = &mut value {
        map.insert("sid".into(), config.sid.clone().into());
        map.insert("appkey".into(), config.wdt_appkey.clone().into());
    }
    serde_json::to_vec(&value)
}

/// Signs a call to `method` with `body` at time `now`.
pub fn sign_request(
    config: &QimenConfig,
    method: &str,
    body: Vec<u8>,
    now: DateTime<Utc>,
) -> SignedQimenRequest {
    let mut query: Vec<(String, String)> = vec![
        ("method".into(), method.into()),
        ("app_key".into(), config.app_key.clone()),
        ("target_app_key".into(), config.target_app_key.clone()),
        ("timestamp".into(), format_top_timestamp(now)),
        ("format".into(), "json".into()),
        ("v".into(), "2.0".into()),
        ("sign_method".into(), config.sign_method.as_str().into()),
    ];
    let sign = top_sign(
        query.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        Some(&body),
        config.app_secret.expose_secret().as_bytes(),
        config.sign_method,
    );
    query.push(("sign".into(), sign));
    SignedQimenRequest { query, body }
}
