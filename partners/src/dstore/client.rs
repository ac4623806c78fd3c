//! [`DstoreClient`]: POS → D-Store calls (`syncProduct`, `notifyOrderChange`).
//!
//! Contract: each logical call is signed once with the POS private key (`Request-Time` = now,
//! ISO-8601) and every retry resends the *identical* request, as D-Store demands for `U`. The
//! idempotency key is the request's `requestId`, so a retried or replayed call is applied once.
//! The answer's signature (`Response-Time`) is verified with D-Store's public key before the
//! body is trusted; `F` comes back at once as [`DstoreError::Refused`].

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::config::DstoreConfig;
use super::error::DstoreError;
use super::signature::{sign_message, verify_message, MessageKind};
use super::status::ResultStatus;
use super::wire::{
    paths, DstoreResult, NotifyOrderChangeAnswer, NotifyOrderChangeRequest, SyncProductAnswer,
    SyncProductRequest,
};
use crate::json_error::describe_json_error;
use crate::policy::{
    AnswerVerdict, PartnerHttp, PartnerHttpError, PartnerResponse, PolicyConfigError,
};

const PARTNER: &str = "dstore";

/// A D-Store connection. Cheap to clone; clones share the rate limiter.
#[derive(Clone, Debug)]
pub struct DstoreClient {
    config: DstoreConfig,
    http: PartnerHttp,
}

#[derive(serde::Deserialize)]
struct ResultOnly {
    result: DstoreResult,
}

/// `U` in a 2xx answer is retried with identical parameters; everything else is final.
fn classify(response: &PartnerResponse) -> AnswerVerdict {
    match response.json::<ResultOnly>() {
        Ok(answer) if answer.result.result_status == ResultStatus::Unknown => {
            AnswerVerdict::Retry {
                reason: answer.result.result_code,
            }
        }
        _ => AnswerVerdict::Final,
    }
}

impl DstoreClient {
    /// Builds the client and its HTTP connection.
    pub fn new(config: DstoreConfig) -> Result<Self, PolicyConfigError> {
        let http = PartnerHttp::new(PARTNER, config.policy.clone())?;
        Ok(Self { config, http })
    }

    /// The connection settings (keys redacted in `Debug`).
    pub fn config(&self) -> &DstoreConfig {
        &self.config
    }

    /// `syncProduct`: replaces the store's catalog at D-Store (or, with `syncType: INCREMENTAL`,
    /// upserts the listed products); idempotent by `requestId`.
    pub async fn sync_product(
        &self,
        request: &SyncProductRequest,
    ) -> Result<SyncProductAnswer, DstoreError> {
        self.call(paths::SYNC_PRODUCT, request).await
    }

    /// `notifyOrderChange`: tells D-Store an order's new status; idempotent by `requestId`.
    pub async fn notify_order_change(
        &self,
        request: &NotifyOrderChangeRequest,
    ) -> Result<NotifyOrderChangeAnswer, DstoreError> {
        self.call(paths::NOTIFY_ORDER_CHANGE, request).await
    }

    /// The URL and the signed path for an endpoint (the gateway may carry a path prefix).
    fn endpoint(&self, path: &str) -> Result<(String, String), DstoreError> {
        let base = reqwest::Url::parse(&self.config.gateway_url)
            .map_err(|_| DstoreError::Encode("gateway_url is not a URL".into()))?;
        let signed_path = format!("{}{path}", base.path().trim_end_matches('/'));
        let mut url = base;
        url.set_path(&signed_path);
        Ok((url.to_string(), signed_path))
    }

    async fn call<Q: Serialize, A: DeserializeOwned>(
        &self,
        path: &str,
        request: &Q,
    ) -> Result<A, DstoreError> {
        let body = serde_json::to_vec(request).map_err(|e| DstoreError::Encode(e.to_string()))?;
        let (url, signed_path) = self.endpoint(path)?;
        let request_time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, false);
        let headers = sign_message(
            &self.config.pos_private_key,
            MessageKind::Request,
            &self.config.client_id,
            &request_time,
            "POST",
            &signed_path,
            &body,
        );
        let response = self
            .http
            .execute(
                |client| {
                    let mut builder = client
                        .post(&url)
                        .header(
                            http::header::CONTENT_TYPE,
                            "application/json; charset=UTF-8",
                        )
                        .body(body.clone());
                    for (name, value) in &headers {
                        builder = builder.header(*name, value);
                    }
                    Ok::<_, PartnerHttpError>(builder)
                },
                classify,
            )
            .await?;
        let status = response.status;
        if status.is_success() {
            verify_message(
                &self.config.dstore_public_key,
                MessageKind::Response,
                Some(&self.config.client_id),
                "POST",
                &signed_path,
                &response.headers,
                &response.body,
            )
            .map_err(DstoreError::AnswerSignature)?;
        }
        let result = match response.json::<ResultOnly>() {
            Ok(answer) => answer.result,
            Err(_) if !status.is_success() => {
                return Err(DstoreError::UnexpectedStatus(status.as_u16()))
            }
            Err(e) => return Err(DstoreError::Decode(describe_json_error(&e))),
        };
        match result.result_status {
            ResultStatus::Success if status.is_success() => response
                .json()
                .map_err(|e| DstoreError::Decode(describe_json_error(&e))),
            ResultStatus::Success => Err(DstoreError::UnexpectedStatus(status.as_u16())),
            ResultStatus::Failed => Err(DstoreError::Refused {
                code: result.result_code,
                message: result.result_message,
            }),
            // Only reachable on a 4xx carrying U: the policy does not retry 4xx, so neither do we.
            ResultStatus::Unknown => Err(DstoreError::UnexpectedStatus(status.as_u16())),
        }
    }
}
