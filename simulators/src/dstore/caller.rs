//! The D-Store caller side: signed `createOrder`, `inquireOrderDetail` and `pushOrderChange`
//! calls to a POS, with the POS's answer signature verified.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use switchyard_partners::dstore::wire::{
    paths, CreateOrderAnswer, CreateOrderRequest, InquireOrderDetailAnswer,
    InquireOrderDetailRequest, PushOrderChangeAnswer, PushOrderChangeRequest,
};
use switchyard_partners::dstore::{sign_message, verify_message, DstoreAuthError, MessageKind};

use super::gateway::DstoreSimulator;

/// D-Store gives up on `createOrder` after 8 s and then asks `inquireOrderDetail`.
const CALL_TIMEOUT: Duration = Duration::from_secs(8);

/// Why a call to the POS produced no verified answer.
#[derive(Debug, thiserror::Error)]
pub enum DstoreCallError {
    /// Connecting or reading failed, or the 8 s deadline passed.
    #[error("POS unreachable or too slow: {0}")]
    Transport(String),
    /// The POS answered a non-2xx status.
    #[error("POS answered HTTP {0}")]
    Status(u16),
    /// The POS's answer signature did not verify.
    #[error("POS answer signature rejected: {0}")]
    AnswerSignature(DstoreAuthError),
    /// The answer was not the expected JSON.
    #[error("POS answer could not be decoded: {0}")]
    Decode(String),
}

impl DstoreSimulator {
    /// Calls the POS's `createOrder` at `pos_base_url` and returns its verified answer.
    pub async fn create_order(
        &self,
        pos_base_url: &str,
        request: &CreateOrderRequest,
    ) -> Result<CreateOrderAnswer, DstoreCallError> {
        self.call_pos(pos_base_url, paths::CREATE_ORDER, request)
            .await
    }

    /// Calls the POS's `inquireOrderDetail`.
    pub async fn inquire_order_detail(
        &self,
        pos_base_url: &str,
        request: &InquireOrderDetailRequest,
    ) -> Result<InquireOrderDetailAnswer, DstoreCallError> {
        self.call_pos(pos_base_url, paths::INQUIRE_ORDER_DETAIL, request)
            .await
    }

    /// Calls the POS's `pushOrderChange`.
    pub async fn push_order_change(
        &self,
        pos_base_url: &str,
        request: &PushOrderChangeRequest,
    ) -> Result<PushOrderChangeAnswer, DstoreCallError> {
        self.call_pos(pos_base_url, paths::PUSH_ORDER_CHANGE, request)
            .await
    }

    async fn call_pos<Q: Serialize, A: DeserializeOwned>(
        &self,
        pos_base_url: &str,
        path: &str,
        request: &Q,
    ) -> Result<A, DstoreCallError> {
        let body =
            serde_json::to_vec(request).map_err(|e| DstoreCallError::Decode(e.to_string()))?;
        let config = &self.shared.config;
        // D-Store's own calls carry epoch milliseconds, one of the formats a POS must take verbatim.
        let time = chrono::Utc::now().timestamp_millis().to_string();
        let headers = sign_message(
            &config.dstore_private_key,
            MessageKind::Request,
            &config.client_id,
            &time,
            "POST",
            path,
            &body,
        );
        let url = format!("{}{path}", pos_base_url.trim_end_matches('/'));
        let mut builder = self
            .shared
            .http
            .post(url)
            .timeout(CALL_TIMEOUT)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/json; charset=UTF-8",
            )
            .body(body);
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        let response = builder
            .send()
            .await
            .map_err(|e| DstoreCallError::Transport(e.without_url().to_string()))?;
        let status = response.status();
        let answer_headers = response.headers().clone();
        let answer_body = response
            .bytes()
            .await
            .map_err(|e| DstoreCallError::Transport(e.without_url().to_string()))?;
        if !status.is_success() {
            return Err(DstoreCallError::Status(status.as_u16()));
        }
        verify_message(
            &config.pos_public_key,
            MessageKind::Response,
            Some(&config.client_id),
            "POST",
            path,
            &answer_headers,
            &answer_body,
        )
        .map_err(DstoreCallError::AnswerSignature)?;
        serde_json::from_slice(&answer_body).map_err(|e| DstoreCallError::Decode(e.to_string()))
    }
}
