//! The 58 platform side: `updateOrderDetail`, verified and applied to each order's journey.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use switchyard_partners::daojia::sign::verify_update_sign;
use switchyard_partners::daojia::update::{codes, UPDATE_ORDER_DETAIL_PATH};
use switchyard_partners::daojia::{
    DaojiaAnswer, DaojiaOrderStatus, OrderDetailUpdate, OrderJourney, UpdateOrderDetailForm,
};
use switchyard_partners::qimen::timestamp::{check_top_timestamp, TOP_TIMESTAMP_WINDOW};

use crate::faults::{spawn, FaultPlan, SimulatorHandle};

/// The credentials the simulated platform shares with one provider.
#[derive(Clone)]
pub struct DaojiaSimulatorConfig {
    /// Signs pushes (`daojiaSig`).
    pub push_secret: String,
    /// The provider's service key.
    pub service_key: String,
    /// The provider's service secret (verifies `sign`).
    pub service_secret: String,
    /// The provider's access token.
    pub access_token: String,
}

impl std::fmt::Debug for DaojiaSimulatorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DaojiaSimulatorConfig")
            .field("service_key", &self.service_key)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
pub(crate) struct PlatformState {
    pub(crate) journeys: HashMap<String, OrderJourney>,
    scripted: VecDeque<u16>,
    refusals: Vec<u16>,
}

pub(crate) struct Shared {
    pub(crate) config: DaojiaSimulatorConfig,
    pub(crate) state: Mutex<PlatformState>,
    pub(crate) http: reqwest::Client,
}

/// A simulated 58 Daojia platform. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct DaojiaSimulator {
    pub(crate) shared: Arc<Shared>,
    faults: FaultPlan,
}

impl std::fmt::Debug for DaojiaSimulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DaojiaSimulator")
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

fn answer(code: u16, msg: &str) -> Json<DaojiaAnswer> {
    Json(DaojiaAnswer {
        code,
        msg: msg.into(),
        data: None,
    })
}

impl DaojiaSimulator {
    /// A platform with no orders and no faults.
    pub fn new(config: DaojiaSimulatorConfig) -> Self {
        Self {
            shared: Arc::new(Shared {
                config,
                state: Mutex::new(PlatformState::default()),
                http: reqwest::Client::new(),
            }),
            faults: FaultPlan::new(),
        }
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, PlatformState> {
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

    /// The platform API routes behind the fault plan.
    pub fn router(&self) -> Router {
        let routes = Router::new()
            .route(UPDATE_ORDER_DETAIL_PATH, post(update_order_detail))
            .with_state(self.clone());
        self.faults.wrap(routes)
    }

    /// Serves the platform API on 127.0.0.1, port chosen by the OS.
    pub async fn spawn(&self) -> std::io::Result<SimulatorHandle> {
        spawn(self.router()).await
    }

    /// Registers a booked order (status 10) without pushing it, e.g. to test updates alone.
    pub fn book_order(&self, order_id: &str, total_minor: i64) {
        self.state()
            .journeys
            .entry(order_id.into())
            .or_insert_with(|| OrderJourney::booked(total_minor));
    }

    /// An order's current status on the platform.
    pub fn status_of(&self, order_id: &str) -> Option<DaojiaOrderStatus> {
        self.state()
            .journeys
            .get(order_id)
            .map(OrderJourney::current)
    }

    /// An order's current total (minor units).
    pub fn total_of(&self, order_id: &str) -> Option<i64> {
        self.state()
            .journeys
            .get(order_id)
            .map(OrderJourney::total_minor)
    }

    /// Answers the next verified updates with these codes instead of applying them.
    pub fn script_codes(&self, codes: impl IntoIterator<Item = u16>) {
        self.state().scripted.extend(codes);
    }

    /// Every non-200 code answered to a real (unscripted) refusal, in order.
    pub fn refusals(&self) -> Vec<u16> {
        self.state().refusals.clone()
    }

    fn apply(&self, body: &[u8]) -> Result<OrderDetailUpdate, (u16, &'static str)> {
        let config = &self.shared.config;
        let form: UpdateOrderDetailForm = serde_urlencoded::from_bytes(body)
            .map_err(|_| (codes::BAD_REQUEST, "form is not urlencoded"))?;
        if form
            .signed_fields()
            .iter()
            .any(|(_, value)| value.is_empty())
            || form.sign.is_empty()
        {
            return Err((codes::BAD_REQUEST, "missing parameter"));
        }
        if form.service_key != config.service_key || form.access_token != config.access_token {
            return Err((codes::INVALID_SIGN, "unknown serviceKey or accessToken"));
        }
        if !verify_update_sign(
            form.signed_fields(),
            config.service_secret.as_bytes(),
            &form.sign,
        ) {
            return Err((codes::INVALID_SIGN, "sign error"));
        }
        check_top_timestamp(&form.timestamp, chrono::Utc::now(), TOP_TIMESTAMP_WINDOW)
            .map_err(|_| (codes::TIMESTAMP_EXPIRED, "timestamp out of range"))?;
        let update: OrderDetailUpdate = serde_json::from_str(&form.daojia_json)
            .map_err(|_| (codes::BAD_REQUEST, "daojiaJson invalid"))?;
        let mut state = self.state();
        if let Some(code) = state.scripted.pop_front() {
            return Err((code, "scripted answer"));
        }
        let journey = state
            .journeys
            .get_mut(&update.order_id)
            .ok_or((codes::ORDER_NOT_FOUND, "order not found"))?;
        journey
            .advance(update.order_status, update.total_price_fen)
            .map_err(|_| (codes::INVALID_TRANSITION, "status transition not allowed"))?;
        Ok(update)
    }
}

async fn update_order_detail(
    State(sim): State<DaojiaSimulator>,
    body: Bytes,
) -> Json<DaojiaAnswer> {
    match sim.apply(&body) {
        Ok(update) => Json(DaojiaAnswer {
            code: codes::SUCCESS,
            msg: "success".into(),
            data: Some(
                serde_json::json!({"orderId": update.order_id, "orderStatus": update.order_status}),
            ),
        }),
        Err((code, msg)) => {
            if msg != "scripted answer" {
                sim.state().refusals.push(code);
            }
            answer(code, msg)
        }
    }
}
