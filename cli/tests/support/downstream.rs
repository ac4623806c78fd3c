//! The test as a downstream Dujiao-Next site: it buys through a site's provider API with the
//! protocol client (which signs every request) and receives the callbacks that
//! site relays to it on a real loopback listener.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use switchyard_partners::dujiao::wire::{
    CancelAnswer, CreateOrderAnswer, CreateOrderRequest, OrderDetail,
};
use switchyard_partners::dujiao::{DujiaoClient, DujiaoConnection, DujiaoError, Sensitive};
use switchyard_partners::policy::PolicyConfig;
use switchyard_runtime::SecretString;
use tokio::task::JoinHandle;

use super::operator::Credential;

type Received = Arc<Mutex<Vec<Value>>>;

/// A downstream site buying from one Switchyard ingress.
pub struct Downstream {
    client: DujiaoClient,
    callbacks: Received,
    callback_url: String,
    server: JoinHandle<()>,
}

impl Drop for Downstream {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Downstream {
    /// Buys from `ingress_url` with `credential`; its callback receiver listens on loopback.
    pub async fn start(ingress_url: &str, credential: &Credential) -> Downstream {
        let client = DujiaoClient::new(DujiaoConnection {
            base_url: ingress_url.to_owned(),
            api_key: credential.api_key.clone(),
            api_secret: SecretString::from(credential.secret.clone()),
            policy: PolicyConfig {
                timeout: Duration::from_secs(10),
                max_retries: 0,
                allow_private_targets: true, // simulators listen on 127.0.0.1
                ..PolicyConfig::default()
            },
        })
        .expect("downstream client");
        let callbacks: Received = Arc::default();
        let router = Router::new()
            .route("/api/v1/upstream/callback", post(receive))
            .with_state(callbacks.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind callback receiver");
        let address = listener.local_addr().expect("receiver address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Downstream {
            client,
            callbacks,
            callback_url: format!("http://{address}/api/v1/upstream/callback"),
            server,
        }
    }

    /// `POST /orders` for `quantity` of `sku_id`, our order number `downstream_order_no`.
    pub async fn order(
        &self,
        sku_id: i64,
        quantity: u32,
        downstream_order_no: &str,
    ) -> CreateOrderAnswer {
        self.client
            .create_order(&CreateOrderRequest {
                sku_id: u64::try_from(sku_id).expect("positive sku id"),
                quantity,
                manual_form_data: Sensitive(Default::default()),
                downstream_order_no: downstream_order_no.to_owned(),
                trace_id: format!("trace-{downstream_order_no}"),
                callback_url: self.callback_url.clone(),
            })
            .await
            .expect("the order is accepted")
    }

    /// `GET /orders/:id`.
    pub async fn read(&self, order_id: u64) -> OrderDetail {
        self.client
            .get_order(order_id)
            .await
            .expect("the order can be read")
    }

    /// `POST /orders/:id/cancel`: the answer, or the provider's refusal.
    pub async fn cancel(&self, order_id: u64) -> Result<CancelAnswer, DujiaoError> {
        self.client.cancel_order(order_id).await
    }

    /// Where this site receives its callbacks (for orders placed by another client on its
    /// behalf, such as the load harness).
    pub fn callback_url(&self) -> &str {
        &self.callback_url
    }

    /// Callback bodies received so far, oldest first.
    pub fn callbacks(&self) -> Vec<Value> {
        self.callbacks
            .lock()
            .map(|seen| seen.clone())
            .unwrap_or_default()
    }
}

async fn receive(State(callbacks): State<Received>, body: axum::body::Bytes) -> Json<Value> {
    if let Ok(value) = serde_json::from_slice::<Value>(&body) {
        if let Ok(mut seen) = callbacks.lock() {
            seen.push(value);
        }
    }
    Json(json!({ "ok": true, "message": "received" }))
}
