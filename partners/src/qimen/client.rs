//! [`QimenClient`]: Switchyard → Wangdiantong calls through the Qimen gateway.
//!
//! Contract: every call goes through the shared partner policy (rate limit, timeout, backoff with
//! `Retry-After`). A gateway answer with a transient code (TOP 7 / 10 / `isp.*`) is retried like a
//! 5xx; a permanent one (bad signature, bad arguments, `isv.*`) comes back at once as
//! [`QimenError::Refused`]. `trade_push` is idempotent by `tid`: pushing a trade again updates it
//! (the gateway counts it in `chg_count`), so retrying a push whose answer was lost is safe.

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::config::QimenConfig;
use super::error::{find_failure, QimenError};
use super::request::{business_body, sign_request};
use super::wire::{
    methods, AckAnswer, LogisticsAck, LogisticsSyncAckRequest, LogisticsSyncQuery,
    LogisticsSyncQueryAnswer, StockChangeAck, StockChangeAckRequest, StockChangeQuery,
    StockChangeQueryAnswer, StockQuery, StockQueryAnswer, TradeList, TradePushAnswer,
    TradePushRequest, MAX_ACKS_PER_CALL, MAX_QUERY_LIMIT,
};
use crate::json_error::describe_json_error;
use crate::policy::{
    AnswerVerdict, PartnerHttp, PartnerHttpError, PartnerResponse, PolicyConfigError,
};

const PARTNER: &str = "qimen";

/// A Qimen/WDT connection. Cheap to clone; clones share the rate limiter.
#[derive(Clone, Debug)]
pub struct QimenClient {
    config: QimenConfig,
    http: PartnerHttp,
}

/// Retries a 2xx answer whose body carries a transient gateway error.
fn classify(response: &PartnerResponse) -> AnswerVerdict {
    match serde_json::from_slice::<serde_json::Value>(&response.body)
        .ok()
        .and_then(|body| find_failure(&body))
    {
        Some(failure) if failure.is_retryable() => AnswerVerdict::Retry {
            reason: failure.code,
        },
        _ => AnswerVerdict::Final,
    }
}

impl QimenClient {
    /// Builds the client and its HTTP connection.
    pub fn new(config: QimenConfig) -> Result<Self, PolicyConfigError> {
        let http = PartnerHttp::new(PARTNER, config.policy.clone())?;
        Ok(Self { config, http })
    }

    /// The connection settings (secret redacted in `Debug`).
    pub fn config(&self) -> &QimenConfig {
        &self.config
    }

    /// `wdt.trade.push`: creates or updates trades by `tid` in the configured shop.
    pub async fn trade_push(
        &self,
        trades: &TradeList,
        strict: bool,
    ) -> Result<TradePushAnswer, QimenError> {
        let request = TradePushRequest {
            shop_no: self.config.shop_no.clone(),
            switch: u8::from(strict),
            trade_list: trades.trades().to_vec(),
        };
        self.call(methods::TRADE_PUSH, &request).await
    }

    /// `wdt.logistics.sync.query`: shipments waiting to be synced (at most `limit` ≤ 100).
    pub async fn logistics_sync_query(
        &self,
        limit: u32,
    ) -> Result<LogisticsSyncQueryAnswer, QimenError> {
        let request = LogisticsSyncQuery {
            shop_no: self.config.shop_no.clone(),
            limit: limit.clamp(1, MAX_QUERY_LIMIT),
        };
        self.call(methods::LOGISTICS_SYNC_QUERY, &request).await
    }

    /// `wdt.logistics.sync.ack`: reports which shipments reached the channel (≤ 50 per call).
    pub async fn logistics_sync_ack(
        &self,
        acks: Vec<LogisticsAck>,
    ) -> Result<AckAnswer, QimenError> {
        check_ack_count(acks.len())?;
        let request = LogisticsSyncAckRequest {
            logistics_list: acks,
        };
        self.call(methods::LOGISTICS_SYNC_ACK, &request).await
    }

    /// `wdt.stock.query`: stock changed in a time range, one page.
    pub async fn stock_query(&self, query: &StockQuery) -> Result<StockQueryAnswer, QimenError> {
        self.call(methods::STOCK_QUERY, query).await
    }

    /// `wdt.api.goods.stock.change.query`: stock changes waiting to be pushed to the channel.
    pub async fn stock_change_query(
        &self,
        limit: u32,
    ) -> Result<StockChangeQueryAnswer, QimenError> {
        let request = StockChangeQuery {
            shop_no: self.config.shop_no.clone(),
            limit: limit.clamp(1, MAX_QUERY_LIMIT),
        };
        self.call(methods::STOCK_CHANGE_QUERY, &request).await
    }

    /// `wdt.api.goods.stock.change.ack`: reports pushed stock changes (≤ 50 per call).
    pub async fn stock_change_ack(
        &self,
        acks: Vec<StockChangeAck>,
    ) -> Result<AckAnswer, QimenError> {
        check_ack_count(acks.len())?;
        let request = StockChangeAckRequest {
            stock_sync_list: acks,
        };
        self.call(methods::STOCK_CHANGE_ACK, &request).await
    }

    async fn call<P: Serialize, A: DeserializeOwned>(
        &self,
        method: &str,
        params: &P,
    ) -> Result<A, QimenError> {
        let body = business_body(&self.config, params)
            .map_err(|e| QimenError::InvalidRequest(e.to_string()))?;
        let url = self.config.gateway_url.clone();
        let response = self
            .http
            .execute(
                |client| {
                    let signed =
                        sign_request(&self.config, method, body.clone(), chrono::Utc::now());
                    Ok::<_, PartnerHttpError>(
                        client
                            .post(&url)
                            .query(&signed.query)
                            .header(http::header::CONTENT_TYPE, "application/json;charset=utf-8")
                            .body(signed.body),
                    )
                },
                classify,
            )
            .await?;
        let value: serde_json::Value = response.json().map_err(|e| {
            QimenError::Decode(format!(
                "HTTP {}: {}",
                response.status.as_u16(),
                describe_json_error(&e)
            ))
        })?;
        if let Some(failure) = find_failure(&value) {
            return Err(QimenError::Refused(failure));
        }
        if !response.status.is_success() {
            return Err(QimenError::Decode(format!(
                "HTTP {} without an error body",
                response.status.as_u16()
            )));
        }
        let inner = value.get("response").cloned().unwrap_or(value);
        serde_json::from_value(inner).map_err(|e| QimenError::Decode(describe_json_error(&e)))
    }
}

fn check_ack_count(count: usize) -> Result<(), QimenError> {
    if count == 0 || count > MAX_ACKS_PER_CALL {
        return Err(QimenError::InvalidRequest(format!(
            "{count} acknowledgements, expected 1..=50"
        )));
    }
    Ok(())
}
