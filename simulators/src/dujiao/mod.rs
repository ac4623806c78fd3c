//! A Dujiao-Next upstream site (the provider side of the procurement protocol) for tests and load
//! tests.
//!
//! Contract: serves `/api/v1/upstream/{ping,categories,products,products/:id,orders,orders/:id,
//! orders/:id/cancel}` with real signature verification (±60 s; a signature seen again is
//! refused unless it is a byte-identical retry, which these idempotent routes answer), a catalog with
//! stock, a wallet per credential, idempotent `POST /orders` on `(credential,
//! downstream_order_no)`, and the protocol's error bodies. Fulfilling an order sends a signed
//! callback to its `callback_url`, retried on 30/60/120/300/300 s × `callback_delay_factor` with a
//! 15 s timeout (unless the `lose_callbacks` switch is on). Control routes under `/_control`
//! credit wallets, fulfil orders, switch payment/cancel failures and lost callbacks, list
//! received orders and seed reconciliation discrepancies (add, change, delete orders:
//! `seeding`); `/_control/catalog` changes stock, deletes products, generates a large catalog and
//! lists the product pages fetched (`GET /products` honours `updated_after` against each
//! product's last change); `/_faults` injects transport faults. Beyond the protocol it serves the
//! order list `GET /orders?created_from=&created_to=&page=` (`listing`).

mod callbacks;
mod catalog;
mod config;
mod control;
mod listing;
mod provider;
mod seeding;
mod state;

use std::sync::Arc;

use axum::Router;

use crate::faults::{spawn, FaultPlan, SimulatorHandle};

pub use callbacks::CallbackAttempt;
pub use catalog::{generated, stock_status, PageFetch};
pub use config::{sample_catalog, DujiaoSimConfig, SimCredential};
pub use state::{ReceivedOrder, SimSwitches};

/// A Dujiao-Next provider site; clones share one site.
#[derive(Clone)]
pub struct DujiaoSimulator {
    state: Arc<state::SiteState>,
    faults: FaultPlan,
}

impl DujiaoSimulator {
    /// A site with this catalog, credentials and behaviour.
    pub fn new(config: DujiaoSimConfig) -> Self {
        DujiaoSimulator {
            state: Arc::new(state::SiteState::new(config)),
            faults: FaultPlan::new(),
        }
    }

    /// The site's routes, behind its fault plan.
    pub fn router(&self) -> Router {
        let routes = provider::routes(self.state.clone())
            .merge(control::routes(self.state.clone()))
            .merge(catalog::routes(self.state.clone()));
        self.faults.wrap(routes)
    }

    /// Serves the site on 127.0.0.1 with an OS-chosen port.
    pub async fn spawn(&self) -> std::io::Result<SimulatorHandle> {
        spawn(self.router()).await
    }

    /// The fault plan (also reachable at `/_faults`).
    pub fn faults(&self) -> &FaultPlan {
        &self.faults
    }

    /// Sets an upstream SKU's stock (its product counts as changed now); false if unknown.
    pub fn set_stock(&self, sku_id: u64, quantity: i64) -> bool {
        catalog::set_sku_stock(&self.state, sku_id, quantity)
    }

    /// Deletes a product: it then answers 404 `product_not_found`.
    pub fn remove_product(&self, product_id: u64) -> bool {
        catalog::remove_product(&self.state, product_id)
    }

    /// Replaces the catalog with `count` generated products (see [`generated`]).
    pub fn generate_catalog(&self, count: u64) {
        catalog::generate_catalog(&self.state, count);
    }

    /// Every `GET /products` answered so far, oldest first.
    pub fn product_pages(&self) -> Vec<PageFetch> {
        self.state.lock().catalog.pages.clone()
    }

    /// Orders received so far, oldest first.
    pub fn orders(&self) -> Vec<ReceivedOrder> {
        self.state.orders()
    }

    /// Wallet balance of a credential, in minor units.
    pub fn balance(&self, api_key: &str) -> Option<i64> {
        self.state.balance(api_key)
    }

    /// Adds `amount_minor` to a credential's wallet.
    pub fn credit(&self, api_key: &str, amount_minor: i64) -> bool {
        self.state.credit(api_key, amount_minor)
    }

    /// Changes payment/cancel behaviour at run time.
    pub fn set_switches(&self, switches: SimSwitches) {
        self.state.set_switches(switches);
    }

    /// Delivers an order now and starts its callback; false when no such order can be fulfilled.
    pub fn fulfil(&self, order_id: u64) -> bool {
        state::SiteState::fulfil(&self.state, order_id)
    }

    /// Every callback attempt made so far.
    pub fn callback_attempts(&self) -> Vec<CallbackAttempt> {
        self.state.callback_attempts()
    }
}
