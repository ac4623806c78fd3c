//! [`DaojiaClient`]: Switchyard → 58 `updateOrderDetail`.
//!
//! Contract: each attempt is signed afresh (timestamp must stay within 58's ±10 min); the update is
//! idempotent by content — repeating a status 58 already has is a no-op on its side — so retries
//! are safe. Credentials live in [`DaojiaConfig`] as secrets and never reach `Debug` or logs.

use secrecy::{ExposeSecret, SecretString};

use super::error::DaojiaError;
use super::update::{
    DaojiaAnswer, OrderDetailUpdate, UpdateOrderDetailForm, UPDATE_ORDER_DETAIL_PATH,
};
use crate::json_error::describe_json_error;
use crate::policy::{
    AnswerVerdict, PartnerHttp, PartnerHttpError, PartnerResponse, PolicyConfig, PolicyConfigError,
};

const PARTNER: &str = "daojia";

/// Everything needed to send status updates to 58.
#[derive(Debug, Clone)]
pub struct DaojiaConfig {
    /// API base URL (the path `/api/v1/order/updateOrderDetail` is appended).
    pub api_url: String,
    /// Access token issued by 58.
    pub access_token: SecretString,
    /// Our service key.
    pub service_key: String,
    /// Our service secret (signs updates).
    pub service_secret: SecretString,
    /// Rate limit, timeout and retries for this connection.
    pub policy: PolicyConfig,
}

/// A 58 Daojia connection. Cheap to clone; clones share the rate limiter.
#[derive(Clone, Debug)]
pub struct DaojiaClient {
    config: DaojiaConfig,
    http: PartnerHttp,
}

fn classify(response: &PartnerResponse) -> AnswerVerdict {
    match response.json::<DaojiaAnswer>() {
        Ok(answer) if answer.is_retryable() => AnswerVerdict::Retry {
            reason: answer.code.to_string(),
        },
        _ => AnswerVerdict::Final,
    }
}

impl DaojiaClient {
    /// Builds the client and its HTTP connection.
    pub fn new(config: DaojiaConfig) -> Result<Self, PolicyConfigError> {
        let http = PartnerHttp::new(PARTNER, config.policy.clone())?;
        Ok(Self { config, http })
    }

    /// `updateOrderDetail`: reports an order's status (and, before payment, its total) to 58.
    pub async fn update_order_detail(
        &self,
        update: &OrderDetailUpdate,
    ) -> Result<DaojiaAnswer, DaojiaError> {
        // Fail before the first attempt if the update cannot be encoded at all.
        serde_json::to_string(update).map_err(|e| DaojiaError::Encode(e.to_string()))?;
        let url = format!(
            "{}{}",
            self.config.api_url.trim_end_matches('/'),
            UPDATE_ORDER_DETAIL_PATH
        );
        let response = self
            .http
            .execute(
                |client| {
                    let form = UpdateOrderDetailForm::signed(
                        self.config.access_token.expose_secret(),
                        &self.config.service_key,
                        self.config.service_secret.expose_secret().as_bytes(),
                        update,
                        chrono::Utc::now(),
                    )
                    .map_err(|e| PartnerHttpError::build(PARTNER, e.to_string()))?;
                    Ok(client.post(&url).form(&form))
                },
                classify,
            )
            .await?;
        let answer: DaojiaAnswer = response.json().map_err(|e| {
            DaojiaError::Decode(format!(
                "HTTP {}: {}",
                response.status.as_u16(),
                describe_json_error(&e)
            ))
        })?;
        if answer.code == super::update::codes::SUCCESS {
            Ok(answer)
        } else {
            Err(DaojiaError::Refused {
                code: answer.code,
                msg: answer.msg,
            })
        }
    }
}
