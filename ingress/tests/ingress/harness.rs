//! A real ingress on port 0 over a real database and a real broker, plus an operator API client.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use prometheus_client::registry::Registry;
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{json, Value};
use switchyard_connections::{ConnectionRegistry, RegistrySettings};
use switchyard_ingress::{Ingress, IngressConfig};
use switchyard_loadtest::verify::{read_topic, ObservedRecord};
use switchyard_runtime::operator::{guard, AdminToken};
use switchyard_runtime::shutdown::ShutdownRoot;
use switchyard_testkit::broker::{shared_broker, unique_prefix};
use switchyard_testkit::database::TestDatabase;
use switchyard_topics::admin::{create_or_verify, plan};
use switchyard_topics::catalogue::names;
use switchyard_topics::{KafkaConfig, Producer};

/// The operator token used by every harness.
pub const ADMIN_TOKEN: &str = "test-operator-token";

/// A running ingress and what it talks to.
pub struct Harness {
    /// The database, dropped with the harness (absent when the test points the pool elsewhere).
    _db: Option<TestDatabase>,
    pub pool: sqlx::PgPool,
    pub kafka: KafkaConfig,
    pub base: String,
    pub admin: String,
    pub http: reqwest::Client,
    pub root: ShutdownRoot,
    pub ingress: Ingress,
    /// The registry the ingress registered its metrics on.
    pub registry: Registry,
}

/// A downstream Dujiao-Next site with an approved credential and a funded wallet.
#[derive(Clone)]
pub struct Site {
    pub user_id: i64,
    pub credential_id: i64,
    pub api_key: String,
    pub secret: String,
}

/// The ingress configuration tests start from: loopback callbacks allowed, and vending reports
/// without a notify token accepted (the rollout setting; `vending_token.rs` tests `required`),
/// so tests of other behaviour can post to `/vending/notify?machine_no=…` as the cheapest
/// endpoint.
pub fn test_config() -> IngressConfig {
    IngressConfig {
        vending_notify_tokens: switchyard_ingress::TokenMode::Optional,
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        allow_private_callback_urls: true,
        spool_drain_interval_ms: 100,
        connection_cache_ttl_ms: 0,
        ..IngressConfig::default()
    }
}

use switchyard_testkit::secrets::secret_box;

impl Harness {
    /// An ingress on the shared test broker.
    pub async fn start() -> Self {
        let brokers = shared_broker().expect("a test broker");
        Self::start_with(test_config(), &brokers).await
    }

    /// An ingress with `config` on `brokers` over a fresh database.
    pub async fn start_with(config: IngressConfig, brokers: &str) -> Self {
        let db = TestDatabase::new().await.expect("database");
        let pool = db.pool().clone();
        Self::start_on(config, brokers, Some(db), pool).await
    }

    /// An ingress with `config` on `brokers` over `pool` (which `db`, if any, owns).
    pub async fn start_on(
        config: IngressConfig,
        brokers: &str,
        db: Option<TestDatabase>,
        pool: sqlx::PgPool,
    ) -> Self {
        let kafka = KafkaConfig {
            brokers: brokers.to_owned(),
            topic_prefix: unique_prefix(),
            delivery_timeout_ms: 5_000,
            default_partitions: 1,
            ..KafkaConfig::default()
        };
        ensure_main_topics(&kafka).await.expect("topics");
        let producer = Producer::new(&kafka).expect("producer");
        let mut registry = Registry::default();
        let connections = ConnectionRegistry::new(
            pool.clone(),
            secret_box(),
            RegistrySettings {
                ttl: config.connection_cache_ttl(),
                partner_timeout: Duration::from_secs(10),
                allow_private_partner_urls: true, // simulators on loopback
            },
        );
        let ingress = Ingress::new(
            config,
            pool.clone(),
            producer,
            &kafka,
            secret_box(),
            connections,
            &mut registry,
        )
        .expect("ingress");
        let root = ShutdownRoot::new();
        let address = ingress.spawn(&root).await.expect("listening");
        let token = AdminToken::parse(SecretString::from(ADMIN_TOKEN)).expect("admin token");
        let operator = guard(ingress.operator_routes(), Some(token));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("admin port");
        let admin_address = listener.local_addr().expect("admin address");
        let token = root.token();
        root.spawn(async move {
            let _ = axum::serve(listener, operator)
                .with_graceful_shutdown(token.cancelled_owned())
                .await;
        });
        Self {
            _db: db,
            pool,
            kafka,
            base: format!("http://{address}"),
            admin: format!("http://{admin_address}"),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .expect("client"),
            root,
            ingress,
            registry,
        }
    }

    /// The value of the sample `name` (e.g. `switchyard_ingress_requests_waiting`), if present.
    pub fn metric(&self, name: &str) -> Option<f64> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry).expect("encode");
        text.lines()
            .filter_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .find_map(|value| value.trim().parse().ok())
    }

    /// Stops the ingress and waits for its tasks.
    pub async fn stop(self) {
        self.root.drain(Duration::from_secs(10)).await;
    }

    /// Records on `logical` topic, counted by reading them.
    pub async fn topic_count(&self, logical: &str) -> i64 {
        let records = self.records(logical).await;
        i64::try_from(records.len()).expect("a test topic's record count fits i64")
    }

    /// Every record of `logical` topic.
    async fn records(&self, logical: &str) -> Vec<ObservedRecord> {
        let topic = format!("{}{logical}", self.kafka.topic_prefix);
        let brokers = self.kafka.brokers.clone();
        tokio::task::spawn_blocking(move || read_records(&brokers, &topic))
            .await
            .expect("join")
            .expect("reading the topic")
    }

    /// Records on `logical` once the spool is drained (events acknowledged through the spool reach
    /// the topic a moment later).
    pub async fn settled_count(&self, logical: &str) -> i64 {
        for _ in 0..100 {
            let pending: i64 =
                sqlx::query_scalar("SELECT count(*) FROM ingress_spool WHERE published_at IS NULL")
                    .fetch_one(&self.pool)
                    .await
                    .expect("spool count");
            if pending == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.topic_count(logical).await
    }

    /// The `event-id` header of the record at `partition`/`offset` of `logical`, if it is there.
    pub async fn event_id_at(&self, logical: &str, partition: i32, offset: i64) -> Option<String> {
        self.records(logical)
            .await
            .into_iter()
            .find(|record| record.partition == partition && record.offset == offset)
            .and_then(|record| record.event_id)
    }

    /// Records on every order/event topic the ingress writes.
    pub async fn all_events(&self) -> i64 {
        let mut total = 0;
        for logical in INGRESS_TOPICS {
            total += self.topic_count(logical).await;
        }
        total
    }

    /// An operator API call.
    pub async fn operator(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.admin))
            .bearer_auth(ADMIN_TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("operator call");
        let status = response.status();
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        (status, body)
    }

    /// A user with an approved credential and `balance_minor` in its wallet.
    pub async fn site(&self, balance_minor: i64, currency: &str) -> Site {
        let post = reqwest::Method::POST;
        let label = format!("site-{}", uuid::Uuid::new_v4().simple());
        let (_, user) = self
            .operator(
                post.clone(),
                "/admin/v1/users",
                Some(json!({ "label": label, "currency": currency })),
            )
            .await;
        let user_id = user["id"].as_i64().expect("user id");
        let (status, credential) = self
            .operator(
                post.clone(),
                "/admin/v1/credentials",
                Some(json!({ "user_id": user_id })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{credential}");
        let credential_id = credential["id"].as_i64().expect("credential id");
        let (status, _) = self
            .operator(
                post.clone(),
                &format!("/admin/v1/credentials/{credential_id}/approve"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        if balance_minor > 0 {
            let (status, _) = self
                .operator(
                    post,
                    &format!("/admin/v1/wallets/{user_id}/credit"),
                    Some(json!({ "amount_minor": balance_minor, "idempotency_key": "seed" })),
                )
                .await;
            assert_eq!(status, StatusCode::OK);
        }
        Site {
            user_id,
            credential_id,
            api_key: credential["api_key"].as_str().expect("api key").to_owned(),
            secret: credential["secret"]
                .as_str()
                .expect("secret shown once")
                .to_owned(),
        }
    }

    /// A product with one SKU; returns (product id, sku id).
    pub async fn sku(&self, price_minor: i64, currency: &str, stock: i32) -> (i64, i64) {
        let post = reqwest::Method::POST;
        let slug = format!("p-{}", uuid::Uuid::new_v4().simple());
        let (status, product) = self
            .operator(
                post.clone(),
                "/admin/v1/products",
                Some(json!({ "slug": slug, "title": { "en": "Card" } })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{product}");
        let product_id = product["id"].as_i64().expect("product id");
        let (status, sku) = self
            .operator(
                post,
                "/admin/v1/skus",
                Some(json!({
                    "product_id": product_id, "sku_code": "STD", "price_minor": price_minor,
                    "currency": currency, "stock_quantity": stock
                })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{sku}");
        (product_id, sku["id"].as_i64().expect("sku id"))
    }

    /// An active partner connection.
    pub async fn connection(
        &self,
        kind: &str,
        api_key: Option<&str>,
        settings: Value,
        secret: &str,
    ) -> i64 {
        let (status, body) = self
            .operator(
                reqwest::Method::POST,
                "/admin/v1/connections",
                Some(json!({
                    "kind": kind, "name": format!("{kind}-{}", uuid::Uuid::new_v4().simple()),
                    "base_url": "https://partner.example.com", "status": "active",
                    "api_key": api_key, "settings": settings, "secret": secret
                })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_i64().expect("connection id")
    }

    /// Maps `channel_product_id` arriving through `connection_id` to `sku_id`; returns its id.
    pub async fn channel_product(
        &self,
        channel: &str,
        connection_id: i64,
        channel_product_id: &str,
        sku_id: i64,
    ) -> i64 {
        let (status, body) = self
            .operator(
                reqwest::Method::POST,
                "/admin/v1/channel-products",
                Some(json!({
                    "channel": channel, "connection_id": connection_id,
                    "channel_product_id": channel_product_id, "sku_id": sku_id
                })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_i64().expect("mapping id")
    }

    /// Sends a request and returns status, headers and body.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
        content_type: &str,
    ) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.expect("body").to_vec();
        (status, headers, body)
    }
}

/// Logical topics the ingress produces to.
pub const INGRESS_TOPICS: [&str; 5] = [
    names::ORDERS_ACCEPTED,
    names::ORDERS_STATUS_CHANGED,
    names::ORDERS_CHANNEL_UPDATES,
    names::UPSTREAM_CALLBACKS,
    names::VENDING_DISPENSE_RESULTS,
];

async fn ensure_main_topics(kafka: &KafkaConfig) -> anyhow::Result<()> {
    let wanted: Vec<_> = plan(kafka)
        .into_iter()
        .filter(|topic| {
            INGRESS_TOPICS
                .iter()
                .any(|logical| topic.name == format!("{}{logical}", kafka.topic_prefix))
        })
        .collect();
    create_or_verify(kafka, &wanted)
        .await
        .context("creating topics")
}

/// Reads every record of `topic` (to the high watermarks and a quiet moment past them: tansu can
/// announce a high watermark one batch short of what it serves).
fn read_records(brokers: &str, topic: &str) -> anyhow::Result<Vec<ObservedRecord>> {
    let read = read_topic(
        brokers,
        topic,
        Duration::from_secs(20),
        Duration::from_millis(300),
    )?;
    Ok(read.records)
}

/// JSON of a body.
pub fn json_of(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

/// Now in Unix seconds.
pub fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}
