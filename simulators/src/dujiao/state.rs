//! The simulated site's state: wallets, stock, orders and callback bookkeeping.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use switchyard_domain::Currency;
use switchyard_partners::dujiao::wire::{Fulfillment, Product};
use switchyard_partners::dujiao::{DujiaoOrderStatus, DujiaoVerifier, Sensitive};
use tokio::task::AbortHandle;

use super::callbacks::{self, CallbackAttempt};
use super::config::{DujiaoSimConfig, SimCredential};

/// Behaviour switches that can change while the site runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimSwitches {
    /// Answer creates with HTTP 200 `payment_failed`.
    pub payment_fails: bool,
    /// Answer cancels with 409 `cancel_not_allowed`.
    pub refuse_cancel: bool,
    /// Fulfil orders as soon as they are paid.
    pub auto_fulfil: bool,
    /// Fulfil without sending the callback (one lost on the way): only `GET /orders/:id` tells.
    pub lose_callbacks: bool,
    /// Answer the order list 404, as a stock Dujiao-Next site does (it has no list).
    pub no_order_list: bool,
}

/// An order as the site recorded it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReceivedOrder {
    /// Site order id.
    pub order_id: u64,
    /// Site order number.
    pub order_no: String,
    /// Credential that placed it.
    #[serde(skip)]
    pub api_key: String,
    /// The integrator's idempotency key.
    pub downstream_order_no: String,
    /// SKU bought.
    pub sku_id: u64,
    /// Product of the SKU.
    pub product_id: u64,
    /// Units.
    pub quantity: u32,
    /// Charged, minor units.
    pub amount_minor: i64,
    /// Current status.
    pub status: DujiaoOrderStatus,
    /// Where callbacks go.
    pub callback_url: String,
    /// Delivery, once fulfilled.
    #[serde(skip)]
    pub fulfillment: Option<Fulfillment>,
    /// When it was placed.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

pub(crate) struct Inner {
    pub catalog: super::catalog::CatalogLog,
    pub credentials: HashMap<String, SimCredential>,
    pub products: Vec<Product>,
    pub orders: Vec<ReceivedOrder>,
    pub switches: SimSwitches,
    pub callback_attempts: Vec<CallbackAttempt>,
    pub callback_tasks: Vec<AbortHandle>,
}

/// Shared state behind every route of one site.
pub(crate) struct SiteState {
    pub site_name: String,
    pub currency: Currency,
    pub callback_delay_factor: f64,
    pub reject_private_callback_urls: bool,
    pub verifier: DujiaoVerifier,
    inner: Mutex<Inner>,
}

impl Drop for SiteState {
    // Callback retries can run for minutes; they must not outlive the site.
    fn drop(&mut self) {
        for task in &self.lock().callback_tasks {
            task.abort();
        }
    }
}

impl SiteState {
    pub fn new(config: DujiaoSimConfig) -> Self {
        let credentials = config
            .credentials
            .into_iter()
            .map(|credential| (credential.api_key.clone(), credential))
            .collect();
        SiteState {
            site_name: config.site_name,
            currency: config.currency,
            callback_delay_factor: config.callback_delay_factor,
            reject_private_callback_urls: config.reject_private_callback_urls,
            verifier: DujiaoVerifier::default(),
            inner: Mutex::new(Inner {
                catalog: super::catalog::CatalogLog::default(),
                credentials,
                products: config.products,
                orders: Vec::new(),
                switches: SimSwitches {
                    payment_fails: config.payment_fails,
                    refuse_cancel: config.refuse_cancel,
                    auto_fulfil: config.auto_fulfil,
                    lose_callbacks: false,
                    no_order_list: false,
                },
                callback_attempts: Vec::new(),
                callback_tasks: Vec::new(),
            }),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        // A simulator panicking mid-update only affects that test; keep serving.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn orders(&self) -> Vec<ReceivedOrder> {
        self.lock().orders.clone()
    }

    /// The id the next order gets (ids are never reused, even after a deletion).
    pub fn next_order_id(inner: &Inner) -> u64 {
        inner
            .orders
            .iter()
            .map(|order| order.order_id + 1)
            .max()
            .unwrap_or(1001)
    }

    pub fn balance(&self, api_key: &str) -> Option<i64> {
        self.lock()
            .credentials
            .get(api_key)
            .map(|credential| credential.balance_minor)
    }

    pub fn credit(&self, api_key: &str, amount_minor: i64) -> bool {
        match self.lock().credentials.get_mut(api_key) {
            Some(credential) => {
                credential.balance_minor += amount_minor;
                true
            }
            None => false,
        }
    }

    pub fn set_switches(&self, switches: SimSwitches) {
        self.lock().switches = switches;
    }

    pub fn callback_attempts(&self) -> Vec<CallbackAttempt> {
        self.lock().callback_attempts.clone()
    }

    /// Marks a paid order delivered and starts its callback.
    pub fn fulfil(state: &Arc<SiteState>, order_id: u64) -> bool {
        let (order, secret) = {
            let mut inner = state.lock();
            let Some(order) = inner
                .orders
                .iter_mut()
                .find(|order| order.order_id == order_id)
            else {
                return false;
            };
            if !matches!(
                order.status,
                DujiaoOrderStatus::Paid | DujiaoOrderStatus::Fulfilling
            ) {
                return false;
            }
            order.status = DujiaoOrderStatus::Delivered;
            order.fulfillment = Some(Fulfillment {
                kind: "auto".into(),
                status: "delivered".into(),
                payload: Sensitive(format!("CODE-{order_id:06}")),
                delivery_data: Sensitive(
                    serde_json::json!({"codes": [format!("CODE-{order_id:06}")]}),
                ),
                delivered_at: Some(chrono::Utc::now().to_rfc3339()),
            });
            let order = order.clone();
            let secret = inner
                .credentials
                .get(&order.api_key)
                .filter(|_| !inner.switches.lose_callbacks)
                .map(|c| c.api_secret.clone());
            (order, secret)
        };
        if let Some(secret) = secret {
            let task = tokio::spawn(callbacks::deliver(state.clone(), order, secret));
            state.lock().callback_tasks.push(task.abort_handle());
        }
        true
    }
}
