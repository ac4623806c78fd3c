//! The 58 order-source side: signed pushes of orders and cancellations to a provider.

use std::time::Duration;

use switchyard_partners::daojia::push::{FUN_CANCEL_ORDER, FUN_CREATE_ORDER};
use switchyard_partners::daojia::sign::push_sign;
use switchyard_partners::daojia::{DaojiaOrder, DaojiaOrderStatus, DaojiaPushForm, PushAnswer};

use super::platform::DaojiaSimulator;

/// 58 reassigns an order when the provider has not answered within its 3–5 s timeout.
const PUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a push produced no parsed answer.
#[derive(Debug, thiserror::Error)]
pub enum DaojiaPushError {
    /// Connecting or reading failed, or the 5 s deadline passed (58 would reassign the order).
    #[error("provider unreachable or too slow: {0}")]
    Transport(String),
    /// The answer was not the `{code, msg, data}` JSON.
    #[error("provider answer could not be decoded (HTTP {status})")]
    Decode {
        /// HTTP status of the answer.
        status: u16,
    },
    /// The order could not be serialised.
    #[error("order could not be encoded: {0}")]
    Encode(String),
}

impl DaojiaSimulator {
    /// Builds a push form signed with the platform's push secret.
    pub fn signed_push(&self, fun_id: &str, daojia_json: &str, timestamp: &str) -> DaojiaPushForm {
        let nonce = format!("{:016x}", rand::random::<u64>());
        let secret = self.shared.config.push_secret.as_bytes();
        DaojiaPushForm {
            fun_id: fun_id.into(),
            daojia_sig: push_sign(daojia_json, fun_id, &nonce, timestamp, secret),
            nonce,
            timestamp: timestamp.into(),
            daojia_json: daojia_json.into(),
        }
    }

    /// Posts a (possibly tampered) push form to `callback_url` and parses the answer.
    pub async fn send_push(
        &self,
        callback_url: &str,
        form: &DaojiaPushForm,
    ) -> Result<PushAnswer, DaojiaPushError> {
        let response = self
            .shared
            .http
            .post(callback_url)
            .timeout(PUSH_TIMEOUT)
            .form(form)
            .send()
            .await
            .map_err(|e| DaojiaPushError::Transport(e.without_url().to_string()))?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| DaojiaPushError::Transport(e.without_url().to_string()))?;
        serde_json::from_slice(&body).map_err(|_| DaojiaPushError::Decode { status })
    }

    /// Books `order` on the platform and pushes it (`funId` `createOrder`) to `callback_url`.
    pub async fn push_order(
        &self,
        callback_url: &str,
        order: &DaojiaOrder,
    ) -> Result<PushAnswer, DaojiaPushError> {
        let json =
            serde_json::to_string(order).map_err(|e| DaojiaPushError::Encode(e.to_string()))?;
        self.book_order(&order.order_id, order.total_price.amount_minor);
        let now = chrono::Utc::now().timestamp_millis().to_string();
        let form = self.signed_push(FUN_CREATE_ORDER, &json, &now);
        self.send_push(callback_url, &form).await
    }

    /// Pushes a cancellation (`funId` `cancelOrder`) of `order_id` to `callback_url`.
    pub async fn push_cancellation(
        &self,
        callback_url: &str,
        order_id: &str,
        reason: &str,
    ) -> Result<PushAnswer, DaojiaPushError> {
        let json = serde_json::json!({"orderId": order_id, "cancelReason": reason}).to_string();
        // The platform cancels on its side first; the push tells the provider.
        if let Some(journey) = self.state().journeys.get_mut(order_id) {
            // A finished order cannot be cancelled; the push still goes out so the provider sees it.
            let _refused_if_final = journey.advance(DaojiaOrderStatus::Cancelled, None);
        }
        let now = chrono::Utc::now().timestamp_millis().to_string();
        let form = self.signed_push(FUN_CANCEL_ORDER, &json, &now);
        self.send_push(callback_url, &form).await
    }
}
