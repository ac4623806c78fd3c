//! The ingress endpoints the procurement path needs: a stand-in Dujiao-Next callback receiver,
//! verified with the connection's key over the literal path (it produces the event the real
//! ingress produces), and everything else — the vending notify, with its token check — served
//! by the real ingress (`switchyard_ingress`, default configuration: tokens required).

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use prometheus_client::registry::Registry;
use secrecy::SecretString;
use serde_json::json;
use sqlx::PgPool;
use switchyard_connections::{ConnectionRegistry, RegistrySettings};
use switchyard_ingress::{Ingress, IngressConfig};
use switchyard_partners::dujiao::wire::CallbackBody;
use switchyard_partners::dujiao::{
    AuthHeaders, DujiaoAuthError, DujiaoVerifier, CALLBACK_SIGNED_PATH,
};
use switchyard_store::connections;
use switchyard_store::crypto::SecretBox;
use switchyard_topics::events::{UpstreamCallbackEvent, UpstreamCallbackReceived};
use switchyard_topics::{encode, EventMeta, KafkaConfig, Producer};
use tokio::task::JoinHandle;

#[derive(Clone)]
struct Shared {
    pool: PgPool,
    secrets: SecretBox,
    kafka: KafkaConfig,
    producer: Producer,
    verifier: std::sync::Arc<DujiaoVerifier>,
}

/// The running stand-in; stops on drop.
pub struct StandIn {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl StandIn {
    pub async fn spawn(pool: PgPool, secrets: SecretBox, kafka: KafkaConfig) -> StandIn {
        let producer = Producer::new(&kafka).expect("producer");
        let shared = Shared {
            pool,
            secrets,
            kafka,
            producer,
            verifier: std::sync::Arc::new(DujiaoVerifier::default()),
        };
        let real = Self::real_ingress(&shared);
        let router = Router::new()
            .route("/api/v1/upstream/callback", post(callback))
            .with_state(shared)
            .fallback_service(real.router());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        StandIn { addr, task }
    }

    /// The real ingress over the hub's database, broker and secret key.
    fn real_ingress(shared: &Shared) -> Ingress {
        let connections = ConnectionRegistry::new(
            shared.pool.clone(),
            shared.secrets.clone(),
            RegistrySettings {
                ttl: Duration::ZERO,
                partner_timeout: Duration::from_secs(10),
                allow_private_partner_urls: true,
            },
        );
        Ingress::new(
            IngressConfig::default(),
            shared.pool.clone(),
            shared.producer.clone(),
            &shared.kafka,
            shared.secrets.clone(),
            connections,
            &mut Registry::default(),
        )
        .expect("ingress")
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn callback(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Json<serde_json::Value> {
    let refuse = |why: &str| Json(json!({"ok": false, "message": why}));
    let auth = AuthHeaders::from_headers(&headers);
    let Some(api_key) = auth.api_key else {
        return refuse("missing auth headers");
    };
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM partner_connections WHERE api_key = $1 AND kind = 'dujiao_upstream'",
    )
    .bind(api_key)
    .fetch_optional(&shared.pool)
    .await
    .expect("lookup");
    let Some((connection_id,)) = row else {
        return refuse("unknown key");
    };
    let secret: SecretString =
        connections::get_with_secret(&shared.pool, &shared.secrets, connection_id)
            .await
            .expect("connection")
            .secret
            .expect("secret");
    let now = chrono::Utc::now().timestamp();
    let verified =
        shared
            .verifier
            .verify_with(&auth, "POST", CALLBACK_SIGNED_PATH, &body, now, |_| {
                Ok::<_, DujiaoAuthError>(secret)
            });
    if verified.is_err() {
        return refuse("invalid signature");
    }
    let Ok(callback) = serde_json::from_slice::<CallbackBody>(&body) else {
        return refuse("bad body");
    };
    let event = UpstreamCallbackReceived {
        connection_id: connection_id.to_string(),
        downstream_order_no: callback.downstream_order_no,
        upstream_order_id: callback.order_id.to_string(),
        upstream_order_no: callback.order_no,
        callback_event: if callback.event == "order.fulfilled" {
            UpstreamCallbackEvent::OrderFulfilled
        } else {
            UpstreamCallbackEvent::OrderStatusChanged
        },
        status: callback.status,
        fulfillment_type: callback.fulfillment.map(|f| f.kind),
        delivered_at: None,
        upstream_timestamp: callback.timestamp * 1000,
        received_at: chrono::Utc::now().timestamp_millis(),
    };
    let encoded = encode(&shared.kafka, &event, EventMeta::new()).expect("encode");
    match shared.producer.send(&encoded, Duration::from_secs(5)).await {
        Ok(_) => Json(json!({"ok": true, "message": "received"})),
        Err(_) => refuse("try again"),
    }
}
