//! The vending platform for tests and load tests.
//!
//! Contract: `POST /api/openapi/v1/orders` reserves stock (idempotent on `trade_id`); an order
//! unpaid after `order_expiry` closes and returns its stock; `PUT /orders/{id}` with status 1 pays,
//! any other status cancels and returns stock; `POST /deliveries` dispenses one record, locks the
//! machine for `dispense_lock`, and posts an unsigned `device.delivery.response` to the order's
//! `notify_url` (a jam fault gives `floor_status` "2"); `POST /orders/{id}` answers status and
//! records. Every call needs `Appid` (else HTTP 401 code 10008) and the right `AppSecret`;
//! signed payloads are verified (else code 4006). Transport faults come from `/_faults`; control
//! routes list orders, jam dispenses and seed reconciliation discrepancies (`seeding`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;
use switchyard_partners::vending::wire::DeliveryNotify;
use switchyard_partners::vending::{RecordStatus, VendingOrderStatus};

use crate::faults::{spawn, FaultPlan, SimulatorHandle};

mod handlers;
mod seeding;

use handlers::{create, dispense, expire, jam, list_orders, query, update};

/// Settings of the simulated platform.
#[derive(Clone)]
pub struct VendingSimConfig {
    /// Expected `Appid`.
    pub appid: String,
    /// Expected `AppSecret`.
    pub app_secret: String,
    /// Merchant key for payload signatures.
    pub merchant_key: String,
    /// Stock per machine and product id: (units, unit price in minor units).
    pub stock: HashMap<String, HashMap<String, (u32, i64)>>,
    /// Unpaid orders close after this (20 minutes on the real platform).
    pub order_expiry: Duration,
    /// How long a dispense keeps the machine busy (about 45 s on the real platform).
    pub dispense_lock: Duration,
}

impl std::fmt::Debug for VendingSimConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VendingSimConfig")
            .field("order_expiry", &self.order_expiry)
            .field("dispense_lock", &self.dispense_lock)
            .finish_non_exhaustive()
    }
}

impl Default for VendingSimConfig {
    /// Machine `12345678` with product `p1` (5 units at 3.50) and `p2` (1 unit at 2.00).
    fn default() -> Self {
        let machine = HashMap::from([("p1".to_owned(), (5, 350)), ("p2".to_owned(), (1, 200))]);
        VendingSimConfig {
            appid: "app-1".into(),
            app_secret: "app-secret-1".into(),
            merchant_key: "10001".into(),
            stock: HashMap::from([("12345678".to_owned(), machine)]),
            order_expiry: Duration::from_secs(20 * 60),
            dispense_lock: Duration::from_millis(50),
        }
    }
}

/// One dispense record of a simulated order.
#[derive(Debug, Clone, Serialize)]
pub struct SimRecord {
    /// Record id.
    pub id: String,
    /// Product id.
    pub product_id: String,
    /// Unit price, minor units.
    pub price: i64,
    /// Status.
    pub status: RecordStatus,
}

/// An order as the platform holds it.
#[derive(Debug, Clone, Serialize)]
pub struct SimOrder {
    /// Platform order id.
    pub order_id: String,
    /// Merchant trade id.
    pub trade_id: String,
    /// Machine number.
    pub machine_no: String,
    /// Order status.
    pub status: VendingOrderStatus,
    /// One record per unit.
    pub records: Vec<SimRecord>,
    #[serde(skip)]
    pub(crate) notify_url: String,
    #[serde(skip)]
    pub(crate) created: Instant,
}

#[derive(Default)]
pub(crate) struct Inner {
    pub(crate) stock: HashMap<String, HashMap<String, (u32, i64)>>,
    pub(crate) orders: Vec<SimOrder>,
    pub(crate) machine_busy_until: HashMap<String, Instant>,
    pub(crate) jam_next: u32,
    pub(crate) notifications: Vec<DeliveryNotify>,
    pub(crate) notify_deliveries: Vec<(String, u16)>,
}

pub(crate) struct Platform {
    pub(crate) config: VendingSimConfig,
    pub(crate) inner: Mutex<Inner>,
    pub(crate) notifier: reqwest::Client,
}

impl Platform {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic in one handler only spoils that test; keep serving.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The simulated vending platform; clones share one platform.
#[derive(Clone)]
pub struct VendingSimulator {
    platform: Arc<Platform>,
    faults: FaultPlan,
}

impl VendingSimulator {
    /// A platform with this configuration.
    pub fn new(config: VendingSimConfig) -> Self {
        let inner = Inner {
            stock: config.stock.clone(),
            ..Inner::default()
        };
        let platform = Platform {
            config,
            inner: Mutex::new(inner),
            notifier: reqwest::Client::new(),
        };
        VendingSimulator {
            platform: Arc::new(platform),
            faults: FaultPlan::new(),
        }
    }

    /// The platform's routes behind its fault plan.
    pub fn router(&self) -> Router {
        let api = Router::new()
            .route("/api/openapi/v1/orders", post(create))
            .route("/api/openapi/v1/orders/{id}", post(query).put(update))
            .route("/api/openapi/v1/deliveries", post(dispense))
            .with_state(self.platform.clone());
        let control = Router::new()
            .route("/_control/orders", get(list_orders))
            .route("/_control/jam/{count}", post(jam))
            .route(
                "/_control/orders/{id}",
                axum::routing::patch(seeding::change).delete(seeding::delete),
            )
            .with_state(self.platform.clone());
        self.faults.wrap(api).merge(control)
    }

    /// Serves the platform on 127.0.0.1 with an OS-chosen port.
    pub async fn spawn(&self) -> std::io::Result<SimulatorHandle> {
        spawn(self.router()).await
    }

    /// The fault plan.
    pub fn faults(&self) -> &FaultPlan {
        &self.faults
    }

    /// The next `count` dispenses jam (`floor_status` "2").
    pub fn jam_next(&self, count: u32) {
        self.platform.lock().jam_next = count;
    }

    /// Every order, after expiring the overdue ones.
    pub fn orders(&self) -> Vec<SimOrder> {
        let mut inner = self.platform.lock();
        expire(&self.platform.config, &mut inner);
        inner.orders.clone()
    }

    /// Units of `product_id` left in `machine_no`.
    pub fn stock(&self, machine_no: &str, product_id: &str) -> Option<u32> {
        let mut inner = self.platform.lock();
        expire(&self.platform.config, &mut inner);
        inner
            .stock
            .get(machine_no)?
            .get(product_id)
            .map(|(units, _)| *units)
    }

    /// Dispense notifications sent so far.
    pub fn notifications(&self) -> Vec<DeliveryNotify> {
        self.platform.lock().notifications.clone()
    }

    /// Every notify delivered so far: the URL posted to (the order's `notify_url`, exactly as
    /// the merchant gave it) and the HTTP status answered (0 when no answer came).
    pub fn notify_deliveries(&self) -> Vec<(String, u16)> {
        self.platform.lock().notify_deliveries.clone()
    }
}
