//! [`VendingClient`]: the merchant side of the vending open API for one connection.
//!
//! Contract: every call goes through the connection's [`PartnerHttp`] and carries `Appid` and
//! `AppSecret`; signed calls get a fresh timestamp and signature per attempt. A create is
//! idempotent on `trade_id`; a status change and a dispense are safe to repeat because the
//! platform refuses a second transition with a non-zero code, which the caller confirms by query.

use std::collections::BTreeMap;
use std::fmt;

use reqwest::{Method, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;

use super::error::VendingError;
use super::ids::MachineNo;
use super::sign::build_payload;
use super::status::UpdateStatus;
use super::wire::{CreateOrder, CreatedOrder, Dispense, Envelope, QueriedOrder, SignedBody};
use crate::policy::{accept_any, PartnerHttp, PartnerHttpError, PartnerResponse, PolicyConfig};

/// Path prefix of the open API.
pub const API_PREFIX: &str = "/api/openapi/v1";

/// Settings for one vending platform account.
#[derive(Clone)]
pub struct VendingConnection {
    /// Platform base URL.
    pub base_url: String,
    /// `Appid` header value.
    pub appid: String,
    /// `AppSecret` header value.
    pub app_secret: SecretString,
    /// Merchant key for payload signatures.
    pub merchant_key: SecretString,
    /// Rate limit, timeout and retries.
    pub policy: PolicyConfig,
}

impl fmt::Debug for VendingConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VendingConnection")
            .field("base_url", &self.base_url)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// A client for one vending platform account.
#[derive(Clone)]
pub struct VendingClient {
    http: PartnerHttp,
    base: String,
    appid: String,
    app_secret: SecretString,
    merchant_key: SecretString,
}

impl fmt::Debug for VendingClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VendingClient")
            .field("base", &self.base)
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

enum Body {
    Json(Vec<u8>),
    Signed(BTreeMap<String, String>),
}

impl VendingClient {
    /// Builds the client; fails on an unusable URL or policy.
    pub fn new(connection: VendingConnection) -> Result<Self, VendingError> {
        let base = connection.base_url.trim_end_matches('/').to_owned();
        Url::parse(&base).map_err(|err| VendingError::Config(format!("base_url: {err}")))?;
        let http = PartnerHttp::new("vending", connection.policy)
            .map_err(|err| VendingError::Config(err.to_string()))?;
        Ok(VendingClient {
            http,
            base,
            appid: connection.appid,
            app_secret: connection.app_secret,
            merchant_key: connection.merchant_key,
        })
    }

    /// Creates an order (reserves stock for 20 minutes); returns the platform order id.
    pub async fn create_order(&self, order: &CreateOrder) -> Result<String, VendingError> {
        let body = serde_json::to_vec(order)
            .map_err(|err| VendingError::Config(format!("order body: {err}")))?;
        let response = self.call(Method::POST, "/orders", Body::Json(body)).await?;
        let created: CreatedOrder = decode(&response)?.unwrap_or_default();
        created
            .order_id
            .ok_or(VendingError::MissingField("order_id"))
    }

    /// Sets an order's status; `Paid` lets it dispense, anything else cancels it.
    pub async fn set_status(
        &self,
        machine_no: &MachineNo,
        order_id: &str,
        status: UpdateStatus,
    ) -> Result<(), VendingError> {
        let params = BTreeMap::from([
            ("machine_no".to_owned(), machine_no.to_string()),
            ("status".to_owned(), status.code().to_string()),
        ]);
        let path = format!("/orders/{order_id}");
        let response = self.call(Method::PUT, &path, Body::Signed(params)).await?;
        decode::<serde_json::Value>(&response).map(|_| ())
    }

    /// Marks an order paid.
    pub async fn mark_paid(
        &self,
        machine_no: &MachineNo,
        order_id: &str,
    ) -> Result<(), VendingError> {
        self.set_status(machine_no, order_id, UpdateStatus::Paid)
            .await
    }

    /// Cancels an unpaid order (closed); its stock returns to the machine.
    pub async fn cancel(&self, machine_no: &MachineNo, order_id: &str) -> Result<(), VendingError> {
        self.set_status(machine_no, order_id, UpdateStatus::Closed)
            .await
    }

    /// Dispenses one record of a paid order.
    pub async fn dispense(
        &self,
        machine_no: &MachineNo,
        order_id: &str,
        record_id: &str,
    ) -> Result<Dispense, VendingError> {
        let params = BTreeMap::from([
            ("machine_no".to_owned(), machine_no.to_string()),
            ("method".to_owned(), "device.delivery.put".to_owned()),
            ("order_id".to_owned(), order_id.to_owned()),
            ("record_id".to_owned(), record_id.to_owned()),
        ]);
        let response = self
            .call(Method::POST, "/deliveries", Body::Signed(params))
            .await?;
        Ok(decode(&response)?.unwrap_or_default())
    }

    /// Reads an order's status and records.
    pub async fn query(
        &self,
        machine_no: &MachineNo,
        order_id: &str,
    ) -> Result<QueriedOrder, VendingError> {
        let params = BTreeMap::from([("machine_no".to_owned(), machine_no.to_string())]);
        let path = format!("/orders/{order_id}");
        let response = self.call(Method::POST, &path, Body::Signed(params)).await?;
        Ok(decode(&response)?.unwrap_or_default())
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Body,
    ) -> Result<PartnerResponse, VendingError> {
        let url = Url::parse(&format!("{}{API_PREFIX}{path}", self.base))
            .map_err(|err| VendingError::Config(format!("url: {err}")))?;
        let build = |client: &reqwest::Client| {
            let bytes = match &body {
                Body::Json(bytes) => bytes.clone(),
                Body::Signed(params) => {
                    let mut params = params.clone();
                    params.insert(
                        "timestamp".into(),
                        chrono::Utc::now().timestamp().to_string(),
                    );
                    let payload = build_payload(&params, &self.merchant_key);
                    serde_json::to_vec(&SignedBody { payload })
                        .map_err(|err| PartnerHttpError::build("vending", err.to_string()))?
                }
            };
            Ok(client
                .request(method.clone(), url.clone())
                .header("Appid", &self.appid)
                .header("AppSecret", self.app_secret.expose_secret())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(bytes))
        };
        Ok(self.http.execute(build, accept_any).await?)
    }
}

/// Reads the envelope; a non-zero code (or a non-2xx status) is an error that keeps the message.
fn decode<T: DeserializeOwned>(response: &PartnerResponse) -> Result<Option<T>, VendingError> {
    let status = response.status.as_u16();
    let envelope: Envelope<T> = response.json().map_err(|err| VendingError::Malformed {
        status,
        detail: err.to_string(),
    })?;
    if envelope.code != 0 || !response.status.is_success() {
        return Err(VendingError::Api {
            status,
            code: envelope.code,
            message: envelope.message,
        });
    }
    Ok(envelope.data)
}
