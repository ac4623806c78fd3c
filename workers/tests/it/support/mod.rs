//! A hub under test: a migrated database, a unique topic prefix on the shared broker, a
//! stand-in for the ingress's callback and notify endpoints, and both workers running.

pub mod ingress;
pub mod operator;

use std::time::{Duration, Instant};

use secrecy::SecretString;
use sqlx::PgPool;
use switchyard_connections::{ConnectionRegistry, RegistrySettings};
use switchyard_simulators::daojia::DaojiaSimulatorConfig;
use switchyard_simulators::qimen::QimenSimulatorConfig;
use switchyard_store::catalog::{self, FulfillmentType, NewProduct, NewSku};
use switchyard_store::connections::{self, ConnectionKind, ConnectionStatus, NewConnection};
use switchyard_store::crypto::SecretBox;
use switchyard_store::mappings::{self, Fulfiller};
use switchyard_store::orders::{self, Channel, NewOrder, NewOrderItem, OrderStatus};
use switchyard_store::procurement::{self, ProcurementOrder};
use switchyard_store::Currency;
use switchyard_testkit::broker::{shared_broker, unique_prefix};
use switchyard_testkit::database::TestDatabase;
use switchyard_topics::events::{self, Money, OrderAccepted, OrderLine};
use switchyard_topics::{encode, ensure_topics, EventMeta, KafkaConfig, Producer};
use switchyard_workers::registry::WORKERS;
use switchyard_workers::{WorkerContext, WorkerMetrics, WorkersConfig};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// A running hub.
pub struct Hub {
    pub db: TestDatabase,
    pub kafka: KafkaConfig,
    pub secrets: SecretBox,
    pub producer: Producer,
    pub config: WorkersConfig,
    /// The workers' connection registry; [`operator::ConnectionsApi`] shares it, as `up` does.
    pub connections: ConnectionRegistry,
    /// The running workers' metrics (tests read counters).
    pub metrics: WorkerMetrics,
    _ingress: ingress::StandIn,
    shutdown: CancellationToken,
    workers: Vec<JoinHandle<()>>,
}

pub use switchyard_testkit::secrets::secret_box;

pub fn test_kafka() -> KafkaConfig {
    let prefix = unique_prefix();
    KafkaConfig {
        brokers: shared_broker().expect("a test broker"),
        topic_prefix: prefix.clone(),
        group_prefix: prefix,
        default_partitions: 3,
        retry_delays_ms: vec![200, 500],
        max_attempts: 8,
        retry_poll_interval_ms: 50,
        session_timeout_ms: 6_000,
        drain_timeout_ms: 5_000,
        ..KafkaConfig::default()
    }
}

impl Hub {
    /// Starts the database, topics, ingress stand-in and both workers.
    pub async fn start() -> Hub {
        Self::start_with(|_| {}).await
    }

    /// Like [`Hub::start`], without the workers named in `except` (e.g. a test that injects
    /// one-shot faults into a simulator another worker also calls).
    pub async fn start_except(except: &[&str]) -> Hub {
        Self::start_workers_with(|_| {}, except).await
    }

    /// Like [`Hub::start`], with the workers' configuration adjusted first.
    pub async fn start_with(adjust: impl FnOnce(&mut WorkersConfig)) -> Hub {
        Self::start_workers_with(adjust, &[]).await
    }

    async fn start_workers_with(adjust: impl FnOnce(&mut WorkersConfig), except: &[&str]) -> Hub {
        let db = TestDatabase::new().await.expect("test database");
        let kafka = test_kafka();
        ensure_topics(&kafka).await.expect("topics");
        let producer = Producer::new(&kafka).expect("producer");
        let secrets = secret_box();
        let ingress =
            ingress::StandIn::spawn(db.pool().clone(), secrets.clone(), kafka.clone()).await;
        let mut config = WorkersConfig {
            public_base_url: ingress.base_url(),
            time_scale: 0.01,
            claim_lease_secs: 1_000,
            poll_interval_ms: 50,
            // The simulators and the stand-in ingress listen on 127.0.0.1.
            allow_private_partner_urls: true,
            ..WorkersConfig::default()
        };
        config.vending.busy_wait_ms = 60;
        config.vending.query_back_interval_ms = 50;
        adjust(&mut config);
        // Rows are reused for an hour: a test sees a change only through an invalidation.
        let connections = ConnectionRegistry::new(
            db.pool().clone(),
            secrets.clone(),
            RegistrySettings {
                ttl: Duration::from_secs(3600),
                partner_timeout: Duration::from_millis(config.partner_timeout_ms),
                allow_private_partner_urls: config.allow_private_partner_urls,
            },
        );
        let mut hub = Hub {
            db,
            kafka,
            secrets,
            producer,
            config,
            connections,
            metrics: WorkerMetrics::default(),
            _ingress: ingress,
            shutdown: CancellationToken::new(),
            workers: Vec::new(),
        };
        hub.start_workers(except);
        hub
    }

    fn start_workers(&mut self, except: &[&str]) {
        let metrics = self.metrics.clone();
        for registration in WORKERS.iter().filter(|w| !except.contains(&w.name)) {
            let worker = registration
                .prepare(&self.context(), &metrics)
                .expect("worker");
            let token = self.shutdown.clone();
            self.workers.push(tokio::spawn(async move {
                worker.run(token).await.expect("worker run");
            }));
        }
    }

    pub fn context(&self) -> WorkerContext {
        WorkerContext {
            pool: self.pool().clone(),
            producer: self.producer.clone(),
            kafka: self.kafka.clone(),
            secrets: self.secrets.clone(),
            config: self.config.clone(),
            connections: self.connections.clone(),
        }
    }

    /// The notify tokens the hub's procurer issues (same secret key as the ingress).
    pub fn notify_tokens(&self) -> switchyard_partners::vending::NotifyTokens {
        use switchyard_partners::vending::notify_token::PURPOSE;
        switchyard_partners::vending::NotifyTokens::new(self.secrets.derive_key(PURPOSE).bytes())
    }

    pub fn pool(&self) -> &PgPool {
        self.db.pool()
    }

    /// Stops the workers and waits for them to drain.
    pub async fn stop(mut self) {
        self.stop_workers().await;
    }

    /// Stops the workers (and their outbox drainers), keeping the database.
    pub async fn stop_workers(&mut self) {
        self.shutdown.cancel();
        for worker in self.workers.drain(..) {
            let _ = worker.await;
        }
    }

    /// An active Dujiao-Next upstream connection (fast pace, retries every 30/60/300 s scaled).
    pub async fn dujiao_connection(
        &self,
        name: &str,
        base_url: &str,
        api_key: &str,
        secret: &str,
    ) -> i64 {
        let mut new = NewConnection::new(ConnectionKind::DujiaoUpstream, name, base_url);
        new.status = ConnectionStatus::Active;
        new.rate_limit_per_minute = 60_000;
        new.api_key = Some(api_key.into());
        new.secret = Some(SecretString::from(secret.to_owned()));
        connections::create(self.pool(), &self.secrets, &new)
            .await
            .expect("connection")
            .id
    }

    /// A SKU fulfilled by an upstream Dujiao-Next site at `base_url` (credential `key-b`, its
    /// SKU 12); returns our SKU id.
    pub async fn sku_from_dujiao(&self, base_url: &str, code: &str) -> i64 {
        let to_b = self
            .dujiao_connection("b", base_url, "key-b", "secret-of-b")
            .await;
        let sku = self.sku(code, 100, -1).await;
        self.map(
            sku,
            Fulfiller::DujiaoUpstream {
                connection_id: to_b,
                upstream_product_id: None,
                upstream_sku_id: 12,
            },
        )
        .await;
        sku
    }

    /// An active vending connection.
    pub async fn vending_connection(&self, base_url: &str) -> i64 {
        let mut new = NewConnection::new(ConnectionKind::Vending, "vending", base_url);
        new.status = ConnectionStatus::Active;
        new.rate_limit_per_minute = 60_000;
        new.api_key = Some("app-1".into());
        let secret = serde_json::json!({"app_secret": "app-secret-1", "merchant_key": "10001"});
        new.secret = Some(SecretString::from(secret.to_string()));
        connections::create(self.pool(), &self.secrets, &new)
            .await
            .expect("connection")
            .id
    }

    /// An active WDT connection through the Qimen gateway at `gateway_url` (shop `shop-7`).
    pub async fn wdt_connection(&self, gateway_url: &str, sim: &QimenSimulatorConfig) -> i64 {
        let mut new = NewConnection::new(ConnectionKind::QimenWdt, "wdt", gateway_url);
        new.status = ConnectionStatus::Active;
        new.rate_limit_per_minute = 60_000;
        new.api_key = Some(sim.app_key.clone());
        new.app_id = Some(sim.target_app_key.clone());
        new.settings = serde_json::json!({
            "sid": sim.sid,
            "wdt_appkey": sim.wdt_appkey,
            "shop_no": "shop-7",
        });
        new.secret = Some(SecretString::from(sim.app_secret.clone()));
        connections::create(self.pool(), &self.secrets, &new)
            .await
            .expect("connection")
            .id
    }

    /// An active D-Store connection to the gateway at `base_url`: our POS key signs, D-Store's
    /// key verifies (the test vectors' one pair plays both).
    pub async fn dstore_connection(&self, base_url: &str, client_id: &str) -> i64 {
        let mut new = NewConnection::new(ConnectionKind::Dstore, "dstore", base_url);
        new.status = ConnectionStatus::Active;
        new.rate_limit_per_minute = 60_000;
        new.api_key = Some(client_id.into());
        new.settings =
            serde_json::json!({ "dstore_public_key": test_vector("dstore_test_public.pem") });
        new.secret = Some(SecretString::from(test_vector("dstore_test_private.pem")));
        connections::create(self.pool(), &self.secrets, &new)
            .await
            .expect("connection")
            .id
    }

    /// An active 58 Daojia connection to the platform API at `base_url`.
    pub async fn daojia_connection(&self, base_url: &str, sim: &DaojiaSimulatorConfig) -> i64 {
        let mut new = NewConnection::new(ConnectionKind::Daojia, "daojia", base_url);
        new.status = ConnectionStatus::Active;
        new.rate_limit_per_minute = 60_000;
        new.app_id = Some(sim.service_key.clone());
        let secret = serde_json::json!({
            "push_secret": sim.push_secret,
            "service_secret": sim.service_secret,
            "access_token": sim.access_token,
        });
        new.secret = Some(SecretString::from(secret.to_string()));
        connections::create(self.pool(), &self.secrets, &new)
            .await
            .expect("connection")
            .id
    }

    /// A product with one SKU; returns the SKU id.
    pub async fn sku(&self, code: &str, price_minor: i64, stock: i32) -> i64 {
        let product = catalog::create_product(
            self.pool(),
            &NewProduct {
                category_id: None,
                slug: format!("p-{code}"),
                title: serde_json::json!({"en": code}),
                description: serde_json::json!({}),
                images: Vec::new(),
                fulfillment_type: FulfillmentType::Auto,
                is_active: true,
            },
        )
        .await
        .expect("product");
        catalog::create_sku(
            self.pool(),
            &NewSku {
                product_id: product.id,
                sku_code: code.into(),
                spec_values: serde_json::json!({}),
                price_minor,
                currency: Currency::CNY,
                stock_quantity: stock,
                is_active: true,
            },
        )
        .await
        .expect("sku")
        .id
    }

    pub async fn map(&self, sku_id: i64, fulfiller: Fulfiller) {
        mappings::set(self.pool(), sku_id, &fulfiller)
            .await
            .expect("mapping");
    }

    /// Stores a D-Store order with `lines` (sku, quantity) and publishes `OrderAccepted`.
    pub async fn place_order(&self, lines: &[(i64, i32)]) -> Uuid {
        let channel_order_id = format!("pos-{}", Uuid::new_v4().simple());
        self.place_channel_order(Channel::Dstore, None, &channel_order_id, lines)
            .await
    }

    /// Stores an order of `channel` that came through `connection`, and publishes
    /// `OrderAccepted`.
    pub async fn place_channel_order(
        &self,
        channel: Channel,
        connection: Option<i64>,
        channel_order_id: &str,
        lines: &[(i64, i32)],
    ) -> Uuid {
        let channel_order_id = channel_order_id.to_owned();
        let items: Vec<NewOrderItem> = lines
            .iter()
            .map(|(sku, quantity)| NewOrderItem {
                sku_id: Some(*sku),
                channel_item_id: None,
                title: None,
                quantity: *quantity,
                unit_price_minor: 100,
                manual_form_data: None,
            })
            .collect();
        let total = items
            .iter()
            .map(|i| i.unit_price_minor * i64::from(i.quantity))
            .sum();
        let mut conn = self.pool().acquire().await.expect("connection");
        let order = orders::insert(
            &mut conn,
            &NewOrder {
                id: Uuid::now_v7(),
                channel,
                channel_order_id: channel_order_id.clone(),
                source_credential_id: None,
                source_connection_id: connection,
                total_minor: total,
                currency: Currency::CNY,
                callback_url: None,
                trace_id: None,
                items,
                contact: None,
            },
        )
        .await
        .expect("order")
        .into_inner();
        let event_channel = match channel {
            Channel::Daojia => events::Channel::Daojia,
            Channel::DujiaoDownstream => events::Channel::DujiaoDownstream,
            Channel::Dstore | Channel::Operator => events::Channel::Dstore,
        };
        self.accept(order.id, event_channel, &channel_order_id, lines)
            .await;
        order.id
    }

    /// Publishes `OrderAccepted` for a stored order; returns the encoded event (to redeliver).
    pub async fn accept(
        &self,
        order_id: Uuid,
        channel: events::Channel,
        channel_order_id: &str,
        lines: &[(i64, i32)],
    ) -> switchyard_topics::EncodedEvent {
        let event = OrderAccepted {
            order_id: order_id.to_string(),
            channel,
            channel_order_id: channel_order_id.to_owned(),
            connection_id: "0".into(),
            lines: lines
                .iter()
                .map(|(sku, quantity)| OrderLine {
                    sku_id: sku.to_string(),
                    sku_code: format!("SKU-{sku}"),
                    quantity: *quantity,
                    unit_price: Money::from_minor(100, Currency::CNY),
                })
                .collect(),
            total: Money::from_minor(100, Currency::CNY),
            callback_url: None,
            customer_ref: None,
            accepted_at: chrono::Utc::now().timestamp_millis(),
        };
        let encoded = encode(&self.kafka, &event, EventMeta::new()).expect("encode");
        self.producer
            .send(&encoded, Duration::from_secs(10))
            .await
            .expect("produce");
        encoded
    }

    pub async fn status(&self, order_id: Uuid) -> OrderStatus {
        orders::get(self.pool(), order_id)
            .await
            .expect("get")
            .expect("order")
            .status
    }

    pub async fn subs(&self, order_id: Uuid) -> Vec<ProcurementOrder> {
        procurement::for_order(self.pool(), order_id)
            .await
            .expect("subs")
    }

    /// Waits until the order reaches `status` (panics with the sub-orders after `within`).
    pub async fn wait_for(&self, order_id: Uuid, status: OrderStatus, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            if self.status(order_id).await == status {
                return;
            }
            if Instant::now() > deadline {
                let subs: Vec<_> = self
                    .subs(order_id)
                    .await
                    .into_iter()
                    .map(|s| (s.status, s.attempts, s.last_error_code, s.last_error))
                    .collect();
                panic!(
                    "order {order_id} is {} not {status} after {within:?}; sub-orders: {subs:?}",
                    self.status(order_id).await
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A file of `partners/tests/vectors/` (the RSA test keys).
pub fn test_vector(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../partners/tests/vectors")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

pub const WAIT: Duration = Duration::from_secs(30);
