//! A Dujiao-Next upstream site (the provider side of the procurement protocol) for tests and load
//! tests.
//!
//! Contract: serves `/api/v1/upstream/{ping,categories,products,products/:id,orders,orders/:id,
//! orders/:id/cancel}` with real signature verification (±60 s, replay refused), a catalog with
//! stock, a wallet per credential, idempotent `POST /orders` on `(credential,
//! downstream_order_no)`, and the protocol's error bodies. Fulfilling an order sends a signed
//! callback to its `callback_url`, retried on 30/60/120/300/300 s × `callback_delay_factor` with a
//! 15 s timeout (unless the `lose_callbacks` switch is on). Control routes under `/_control`
//! credit wallets, fulfil orders, switch payment/cancel failures and lost callbacks, list
//! received orders and seed reconciliation discrepancies (add, change, delete orders:
//! `seeding`); `/_faults` injects transport faults. Beyond the protocol it serves the order list
//! `GET /orders?created_from=&created_to=&page=` (`listing`).

mod callbacks;
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
        let routes =
            provider::routes(self.state.clone()).merge(control::routes(self.state.clone()));
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
