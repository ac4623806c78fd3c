//! [`DujiaoClient`]: calls an upstream Dujiao-Next site's provider API for one connection.
//!
//! Contract: every call goes through the connection's [`PartnerHttp`] (rate limit, timeout,
//! backoff, `Retry-After`) and is signed afresh per attempt, never twice with the same signature
//! (when no unique signature is free the call waits for one, see [`UniqueSigner`]). `create_order` carries
//! `downstream_order_no`, the provider's idempotency key, so a retried create never buys twice.
//! A 200 answer with `ok:false` and `internal_error` is retried; every other `ok:false` answer is
//! returned as a typed [`DujiaoError`] whose `is_retryable` follows the never-retry list.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::{Method, Url};
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::error::{DujiaoError, DujiaoErrorCode};
use super::sign::{
    execute_signed, DujiaoSignature, SignedRequest, UniqueSigner, HEADER_API_KEY, HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
};
use super::wire::{
    CancelAnswer, CategoriesAnswer, Category, CreateOrderAnswer, CreateOrderRequest, ErrorBody,
    OrderDetail, PingAnswer, Product, ProductAnswer, ProductPage,
};
use crate::policy::{AnswerVerdict, PartnerHttp, PartnerResponse, PolicyConfig};

/// Path prefix of the provider API on a site.
pub const API_PREFIX: &str = "/api/v1/upstream";
/// Largest page the provider serves.
pub const MAX_PAGE_SIZE: u32 = 50;

/// Settings for one upstream connection.
#[derive(Clone)]
pub struct DujiaoConnection {
    /// The site's base URL, e.g. `https://shop.example.com` (a path prefix is allowed).
    pub base_url: String,
    /// Our API key on that site.
    pub api_key: String,
    /// Our API secret on that site.
    pub api_secret: SecretString,
    /// Rate limit, timeout and retries.
    pub policy: PolicyConfig,
}

impl fmt::Debug for DujiaoConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DujiaoConnection")
            .field("base_url", &self.base_url)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// A client for one upstream Dujiao-Next site.
#[derive(Clone)]
pub struct DujiaoClient {
    http: PartnerHttp,
    base: String,
    api_key: String,
    api_secret: SecretString,
    signer: Arc<UniqueSigner>,
}

impl fmt::Debug for DujiaoClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DujiaoClient")
            .field("base", &self.base)
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct OkFlag {
    ok: bool,
}

impl DujiaoClient {
    /// Builds the client; fails on an unusable URL or policy.
    pub fn new(connection: DujiaoConnection) -> Result<Self, DujiaoError> {
        let base = connection.base_url.trim_end_matches('/').to_owned();
        Url::parse(&base).map_err(|err| DujiaoError::Config(format!("base_url: {err}")))?;
        let http = PartnerHttp::new("dujiao", connection.policy)
            .map_err(|err| DujiaoError::Config(err.to_string()))?;
        Ok(DujiaoClient {
            http,
            base,
            api_key: connection.api_key,
            api_secret: connection.api_secret,
            signer: Arc::new(UniqueSigner::default()),
        })
    }

    /// `POST /ping`: checks credentials and reads the wallet.
    pub async fn ping(&self) -> Result<PingAnswer, DujiaoError> {
        let response = self.call(Method::POST, "/ping", &[], Vec::new()).await?;
        decode(&response)
    }

    /// `GET /categories`.
    pub async fn categories(&self) -> Result<Vec<Category>, DujiaoError> {
        let response = self
            .call(Method::GET, "/categories", &[], Vec::new())
            .await?;
        Ok(decode::<CategoriesAnswer>(&response)?.categories)
    }

    /// `GET /products`: one page (1-based) of products changed after `updated_after`.
    pub async fn products(
        &self,
        updated_after: Option<DateTime<Utc>>,
        page: u32,
    ) -> Result<ProductPage, DujiaoError> {
        let mut query = vec![
            ("page", page.max(1).to_string()),
            ("page_size", MAX_PAGE_SIZE.to_string()),
        ];
        if let Some(after) = updated_after {
            query.push((
                "updated_after",
                after.to_rfc3339_opts(SecondsFormat::Secs, true),
            ));
        }
        let response = self
            .call(Method::GET, "/products", &query, Vec::new())
            .await?;
        decode(&response)
    }

    /// `GET /products/:id` (inactive products come back with `is_active:false`).
    pub async fn product(&self, product_id: u64) -> Result<Product, DujiaoError> {
        let path = format!("/products/{product_id}");
        let response = self.call(Method::GET, &path, &[], Vec::new()).await?;
        Ok(decode::<ProductAnswer>(&response)?.product)
    }

    /// `POST /orders`: buys a SKU; idempotent on `downstream_order_no`.
    pub async fn create_order(
        &self,
        request: &CreateOrderRequest,
    ) -> Result<CreateOrderAnswer, DujiaoError> {
        let body = serde_json::to_vec(request)
            .map_err(|err| DujiaoError::Config(format!("order body: {err}")))?;
        let response = self.call(Method::POST, "/orders", &[], body).await?;
        if response.status.is_success() {
            if let Ok(answer) = response.json::<CreateOrderAnswer>() {
                if answer.ok {
                    return Ok(answer);
                }
                if answer.error_code.as_deref() == Some("payment_failed") {
                    return Err(DujiaoError::PaymentFailed {
                        order_id: answer.order_id,
                        order_no: answer.order_no,
                    });
                }
            }
        }
        decode(&response)
    }

    /// `GET /orders/:id`.
    pub async fn get_order(&self, order_id: u64) -> Result<OrderDetail, DujiaoError> {
        let path = format!("/orders/{order_id}");
        let response = self.call(Method::GET, &path, &[], Vec::new()).await?;
        decode(&response)
    }

    /// `POST /orders/:id/cancel` (409 `cancel_not_allowed` when the provider refuses).
    pub async fn cancel_order(&self, order_id: u64) -> Result<CancelAnswer, DujiaoError> {
        let path = format!("/orders/{order_id}/cancel");
        let response = self.call(Method::POST, &path, &[], Vec::new()).await?;
        decode(&response)
    }

    pub(super) async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Vec<u8>,
    ) -> Result<PartnerResponse, DujiaoError> {
        let mut url = Url::parse(&format!("{}{API_PREFIX}{path}", self.base))
            .map_err(|err| DujiaoError::Config(format!("url: {err}")))?;
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let signed = SignedRequest {
            secret: &self.api_secret,
            method: method.as_str(),
            path: url.path(),
            body: &body,
        };
        let request = |client: &reqwest::Client, timestamp: i64, signature: DujiaoSignature| {
            let mut request = client
                .request(method.clone(), url.clone())
                .header(HEADER_API_KEY, &self.api_key)
                .header(HEADER_TIMESTAMP, timestamp.to_string())
                .header(HEADER_SIGNATURE, signature.to_hex());
            if !body.is_empty() {
                request = request
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            request
        };
        Ok(execute_signed(&self.http, &self.signer, signed, request, classify).await?)
    }
}

/// A 2xx `ok:false` with `internal_error` is the provider's own transient failure.
pub(crate) fn classify(response: &PartnerResponse) -> AnswerVerdict {
    match response.json::<ErrorBody>() {
        Ok(body) if !body.ok && body.error_code == "internal_error" => AnswerVerdict::Retry {
            reason: body.error_code,
        },
        _ => AnswerVerdict::Final,
    }
}

/// Decodes a success body, or the protocol error it carries instead.
pub(super) fn decode<T: DeserializeOwned>(response: &PartnerResponse) -> Result<T, DujiaoError> {
    let status = response.status.as_u16();
    let malformed = |err: serde_json::Error| DujiaoError::Malformed {
        status,
        detail: err.to_string(),
    };
    let ok = response
        .json::<OkFlag>()
        .map(|flag| flag.ok)
        .unwrap_or(false);
    if !response.status.is_success() || !ok {
        let error = response.json::<ErrorBody>().map_err(malformed)?;
        return Err(DujiaoError::Api {
            status,
            code: DujiaoErrorCode::parse(&error.error_code),
        });
    }
    response.json::<T>().map_err(malformed)
}
