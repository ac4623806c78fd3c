//! The Qimen gateway: authentication exactly as TOP does it, then dispatch by `method`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use switchyard_partners::qimen::error::codes;
use switchyard_partners::qimen::timestamp::{check_top_timestamp, TOP_TIMESTAMP_WINDOW};
use switchyard_partners::qimen::wire::{
    LogisticsAck, LogisticsSyncItem, StockChange, StockChangeAck, StockRow, TradePushRequest,
    WdtTrade,
};
use switchyard_partners::qimen::{verify_top_sign, SignMethod};

use super::handlers::dispatch;
use super::state::{ErpState, ErrorFormat, ScriptedError};
use crate::faults::{spawn, FaultPlan, SimulatorHandle};

/// Production gateway path.
pub const QIMEN_PATH: &str = "/router/qm";
/// Test gateway path.
pub const QIMEN_TEST_PATH: &str = "/router/qmtest";

/// The identities and secret the simulated gateway knows.
#[derive(Clone)]
pub struct QimenSimulatorConfig {
    /// The caller's Qimen `app_key`.
    pub app_key: String,
    /// The caller's Qimen secret.
    pub app_secret: String,
    /// The ERP's key on Qimen (`target_app_key`).
    pub target_app_key: String,
    /// The WDT seller account.
    pub sid: String,
    /// The WDT application key (`appkey`).
    pub wdt_appkey: String,
}

impl std::fmt::Debug for QimenSimulatorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QimenSimulatorConfig")
            .field("app_key", &self.app_key)
            .field("target_app_key", &self.target_app_key)
            .field("sid", &self.sid)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Shared {
    pub(crate) config: QimenSimulatorConfig,
    pub(crate) state: Mutex<ErpState>,
}

/// A simulated Qimen gateway with the WDT ERP behind it. Cheap to clone; clones share state.
#[derive(Clone, Debug)]
pub struct QimenSimulator {
    pub(crate) shared: Arc<Shared>,
    faults: FaultPlan,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.config.fmt(f)
    }
}

/// A TOP gateway error answer.
pub(crate) fn top_error(code: &str, msg: &str, sub_code: Option<&str>) -> Value {
    let mut error = json!({"code": code.parse::<i64>().map(Value::from).unwrap_or_else(|_| code.into()), "msg": msg, "request_id": "sim"});
    if let Some(sub) = sub_code {
        error["sub_code"] = sub.into();
        error["sub_msg"] = "simulated".into();
    }
    json!({ "error_response": error })
}

impl QimenSimulator {
    /// A gateway with an empty ERP and no faults.
    pub fn new(config: QimenSimulatorConfig) -> Self {
        Self {
            shared: Arc::new(Shared {
                config,
                state: Mutex::new(ErpState::default()),
            }),
            faults: FaultPlan::new(),
        }
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, ErpState> {
        // Handlers never panic while holding the lock; a poisoned lock is still consistent.
        self.shared
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The fault plan (latency, 5xx, 429, hangs, malformed bodies).
    pub fn faults(&self) -> &FaultPlan {
        &self.faults
    }

    /// The gateway routes (`/router/qm`, `/router/qmtest`) behind the fault plan.
    pub fn router(&self) -> Router {
        let routes = Router::new()
            .route(QIMEN_PATH, post(gateway))
            .route(QIMEN_TEST_PATH, post(gateway))
            .with_state(self.clone());
        self.faults.wrap(routes)
    }

    /// Serves the gateway on 127.0.0.1, port chosen by the OS.
    pub async fn spawn(&self) -> std::io::Result<SimulatorHandle> {
        spawn(self.router()).await
    }

    /// The gateway URL for a running handle.
    pub fn gateway_url(handle: &SimulatorHandle) -> String {
        format!("{}{QIMEN_PATH}", handle.base_url())
    }

    /// Answers the next `times` authenticated calls with TOP error `code` (and `sub_code`).
    pub fn inject_errors(&self, code: &str, sub_code: Option<&str>, times: usize) {
        self.script(code, sub_code, ErrorFormat::Top, times);
    }

    /// Answers the next `times` authenticated calls with a Qimen business failure
    /// (`flag=failure`, `code`, `sub_code`): the ERP refusing the request itself.
    pub fn inject_business_errors(&self, code: &str, sub_code: &str, times: usize) {
        self.script(code, Some(sub_code), ErrorFormat::Qimen, times);
    }

    fn script(&self, code: &str, sub_code: Option<&str>, format: ErrorFormat, times: usize) {
        let error = ScriptedError {
            code: code.into(),
            sub_code: sub_code.map(str::to_string),
            format,
        };
        self.state()
            .scripted
            .extend(std::iter::repeat_n(error, times));
    }

    /// Trades received, by `tid`.
    pub fn trades(&self) -> HashMap<String, WdtTrade> {
        self.state().trades.clone().into_iter().collect()
    }

    /// Every `trade.push` that passed authentication (signature, timestamp, keys) and reached
    /// the ERP, as received, in order; scripted and injected failures are not among them.
    pub fn trade_pushes(&self) -> Vec<TradePushRequest> {
        self.state().trade_pushes.clone()
    }

    /// Adds a shipment for `logistics.sync.query` to report.
    pub fn add_pending_shipment(&self, item: LogisticsSyncItem) {
        self.state().pending_shipments.insert(item.rec_id, item);
    }

    /// Shipments not yet acknowledged.
    pub fn pending_shipments(&self) -> Vec<LogisticsSyncItem> {
        self.state().pending_shipments.values().cloned().collect()
    }

    /// Every logistics ack received.
    pub fn logistics_acks(&self) -> Vec<LogisticsAck> {
        self.state().logistics_acks.clone()
    }

    /// Replaces the stock rows `wdt.stock.query` serves.
    pub fn set_stock(&self, rows: Vec<StockRow>) {
        self.state().stock = rows;
    }

    /// Adds a stock change for `stock.change.query` to report.
    pub fn add_stock_change(&self, change: StockChange) {
        self.state()
            .pending_stock_changes
            .insert(change.rec_id, change);
    }

    /// Every stock-change ack received.
    pub fn stock_change_acks(&self) -> Vec<StockChangeAck> {
        self.state().stock_change_acks.clone()
    }

    /// TOP codes answered to calls that failed authentication, in order.
    pub fn auth_failures(&self) -> Vec<String> {
        self.state().auth_failures.clone()
    }

    /// Checks system parameters and signature; the TOP error to answer on failure.
    fn authenticate(&self, query: &[(String, String)], body: &[u8]) -> Result<String, Value> {
        let config = &self.shared.config;
        let param = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.is_empty())
        };
        let fail = |code: &str, msg: &str| top_error(code, msg, None);
        let method =
            param("method").ok_or_else(|| fail(codes::MISSING_METHOD, "Missing method"))?;
        let app_key =
            param("app_key").ok_or_else(|| fail(codes::MISSING_APP_KEY, "Missing app key"))?;
        if app_key != config.app_key {
            return Err(fail(codes::INVALID_APP_KEY, "Invalid app key"));
        }
        let timestamp = param("timestamp")
            .ok_or_else(|| fail(codes::MISSING_TIMESTAMP, "Missing timestamp"))?;
        check_top_timestamp(timestamp, chrono::Utc::now(), TOP_TIMESTAMP_WINDOW)
            .map_err(|_| fail(codes::INVALID_TIMESTAMP, "Invalid timestamp"))?;
        let sign_method = SignMethod::parse(param("sign_method").unwrap_or("md5"))
            .ok_or_else(|| fail(codes::INVALID_ARGUMENTS, "Invalid sign_method"))?;
        let sign =
            param("sign").ok_or_else(|| fail(codes::MISSING_SIGNATURE, "Missing signature"))?;
        let params = query.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        if !verify_top_sign(
            params,
            Some(body),
            config.app_secret.as_bytes(),
            sign_method,
            sign,
        ) {
            return Err(fail(codes::INVALID_SIGNATURE, "Invalid signature"));
        }
        if param("target_app_key") != Some(config.target_app_key.as_str()) {
            return Err(top_error(
                codes::INVALID_ARGUMENTS,
                "Invalid arguments",
                Some("isv.invalid-target-app-key"),
            ));
        }
        Ok(method.to_string())
    }
}

/// A Qimen business failure answer.
pub(crate) fn qimen_failure(code: &str, message: &str, sub_code: &str) -> Value {
    json!({"response": {"flag": "failure", "code": code, "message": message, "sub_code": sub_code, "sub_message": message}})
}

async fn gateway(
    State(sim): State<QimenSimulator>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Json<Value> {
    let query: Vec<(String, String)> =
        serde_urlencoded::from_str(query.as_deref().unwrap_or("")).unwrap_or_default();
    let method = match sim.authenticate(&query, &body) {
        Ok(method) => method,
        Err(answer) => {
            let code = answer["error_response"]["code"].to_string();
            sim.state()
                .auth_failures
                .push(code.trim_matches('"').to_string());
            return Json(answer);
        }
    };
    let scripted = sim.state().scripted.pop_front();
    if let Some(error) = scripted {
        return Json(match error.format {
            ErrorFormat::Top => top_error(&error.code, "scripted error", error.sub_code.as_deref()),
            ErrorFormat::Qimen => qimen_failure(
                &error.code,
                "scripted failure",
                error.sub_code.as_deref().unwrap_or_default(),
            ),
        });
    }
    let Ok(business) = serde_json::from_slice::<Value>(&body) else {
        return Json(qimen_failure(
            "isv.invalid-parameter",
            "body is not JSON",
            "body",
        ));
    };
    let config = &sim.shared.config;
    if business.get("sid").and_then(Value::as_str) != Some(config.sid.as_str()) {
        return Json(qimen_failure("isv.invalid-parameter", "unknown sid", "sid"));
    }
    if business.get("appkey").and_then(Value::as_str) != Some(config.wdt_appkey.as_str()) {
        return Json(qimen_failure(
            "isv.invalid-parameter",
            "unknown appkey",
            "appkey",
        ));
    }
    Json(dispatch(&sim, &method, business))
}
