//! The ingress as a value: build it, get its router (in-process tests, port 0), its operator
//! routes (mounted on the admin listener), or spawn it on the process's shutdown root.
//!
//! Contract of [`Ingress::spawn`]: binds `listen`, serves (with the connection cap and header
//! deadline of `listener.rs`) until the root's token is cancelled, then stops accepting and lets
//! in-flight requests finish (they are tracked by the root, so
//! `ShutdownRoot::drain` waits for them); the outbox drainer (which publishes the spool) runs
//! on the same root.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use prometheus_client::registry::Registry;
use sqlx::PgPool;
use switchyard_connections::ConnectionRegistry;
use switchyard_partners::dujiao::DujiaoVerifier;
use switchyard_runtime::shutdown::ShutdownRoot;
use switchyard_store::crypto::SecretBox;
use switchyard_topics::{KafkaConfig, OutboxDrainer, ProduceError, Producer};

use crate::config::IngressConfig;
use crate::edge::{guard, Admission, EdgeLimits};
use crate::listener::{self, ListenerLimits};
use crate::metrics::IngressMetrics;
use crate::publish::DurablePublisher;
use crate::state::{AppState, Shared};
use crate::ttl_cache::TtlCache;
use crate::{daojia, dstore, dujiao, operator, vending};

/// Why the ingress could not be built or started.
#[derive(Debug, thiserror::Error)]
pub enum IngressError {
    /// The bounded request-path producer could not be created (bad Kafka configuration).
    #[error("cannot create the ingress producer")]
    Producer(#[source] ProduceError),
    /// The listen address could not be bound.
    #[error("cannot listen on {address}")]
    Bind {
        /// The configured address.
        address: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

/// The partner-facing HTTP ingress.
pub struct Ingress {
    state: AppState,
    drainer_producer: Producer,
    drain_timeout: Duration,
}

impl Ingress {
    /// Builds the ingress; registers its metrics on `registry`. `producer` (the process's shared
    /// producer) is used by the outbox drainer; requests use a producer bounded by the ack budget.
    /// `connections` is the process's partner-connection registry (shared with the workers).
    pub fn new(
        config: IngressConfig,
        pool: PgPool,
        producer: Producer,
        kafka_config: &KafkaConfig,
        secret_box: SecretBox,
        connections: ConnectionRegistry,
        registry: &mut Registry,
    ) -> Result<Self, IngressError> {
        let metrics = IngressMetrics::register(registry);
        let publisher = DurablePublisher::new(
            kafka_config,
            pool.clone(),
            config.ack_budget(),
            metrics.clone(),
        )
        .map_err(IngressError::Producer)?;
        let state = AppState::new(Shared {
            // Signatures and headers only: the replay record is the shared `dujiao_replay_guard`.
            dujiao: DujiaoVerifier::new(0),
            connections,
            credentials: TtlCache::new(config.connection_cache_ttl()),
            unknown_api_keys: TtlCache::new(config.unknown_key_cache_ttl()),
            topic_prefix: kafka_config.topic_prefix.clone(),
            config,
            pool,
            publisher,
            notify_tokens: switchyard_partners::vending::NotifyTokens::new(
                secret_box
                    .derive_key(switchyard_partners::vending::notify_token::PURPOSE)
                    .bytes(),
            ),
            secret_box,
            metrics,
        });
        Ok(Self {
            state,
            drainer_producer: producer,
            // Longer than the producer's own message timeout: every drained record gets a
            // definitive outcome before the drainer decides whether to mark it published.
            drain_timeout: Duration::from_millis(kafka_config.delivery_timeout_ms + 2_000),
        })
    }

    /// Every partner route behind the edge guard (admission and overload shedding, body limit).
    pub fn router(&self) -> Router {
        let limits = EdgeLimits {
            admission: Admission::new(
                self.state.config.max_in_flight,
                self.state.config.max_queue_wait(),
            ),
            body_limit: self.state.config.body_limit_bytes,
            body_timeout: self.state.config.body_read_timeout(),
            metrics: self.state.metrics.clone(),
        };
        Router::new()
            .merge(dujiao::routes())
            .merge(dstore::routes())
            .merge(daojia::routes())
            .merge(vending::routes())
            .with_state(self.state.clone())
            // The guard enforces the configured limit itself, in the partner's format.
            .layer(DefaultBodyLimit::disable())
            .layer(axum::middleware::from_fn_with_state(limits, guard))
    }

    /// The ingress's operator routes (`/admin/v1/...`), unauthenticated: mount them with
    /// `AdminServer::with_operator_api` or `switchyard_runtime::operator::guard`.
    pub fn operator_routes(&self) -> Router {
        operator::routes(self.state.clone())
    }

    /// The outbox drainer (it publishes the spool; while the spool holds events, requests are
    /// spooled behind them), for callers that drive rounds themselves (tests, tools).
    pub fn spool_drainer(&self) -> OutboxDrainer {
        OutboxDrainer::new(
            self.state.pool.clone(),
            self.drainer_producer.clone(),
            self.state.config.spool_batch_size,
            self.drain_timeout,
        )
        .settling(self.state.publisher.spool_fence())
        .counting(self.state.metrics.drained.clone())
    }

    /// Binds the listener, serves on `root`, and starts the outbox drainer; returns the bound
    /// address (useful with port 0).
    pub async fn spawn(&self, root: &ShutdownRoot) -> Result<SocketAddr, IngressError> {
        let address = self.state.config.listen;
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|source| IngressError::Bind { address, source })?;
        let bound = listener
            .local_addr()
            .map_err(|source| IngressError::Bind { address, source })?;
        let router = self.router();
        let limits = ListenerLimits {
            max_connections: self.state.config.max_connections,
            header_timeout: self.state.config.header_read_timeout(),
            metrics: self.state.metrics.clone(),
        };
        root.spawn(listener::serve(listener, router, limits, root.token()));
        let publisher = self.state.publisher.clone();
        root.spawn(async move { publisher.warm_up().await });
        let drainer = self.spool_drainer();
        let interval = self.state.config.spool_drain_interval();
        root.spawn(drainer.run(interval, root.token()));
        tracing::info!(%bound, "ingress listening");
        Ok(bound)
    }
}
