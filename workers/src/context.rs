//! What a worker needs from the process that runs it.

use sqlx::PgPool;
use switchyard_connections::ConnectionRegistry;
use switchyard_store::crypto::SecretBox;
use switchyard_topics::{KafkaConfig, Producer};

use crate::config::WorkersConfig;

/// Shared plumbing handed to every worker by the binary.
#[derive(Clone)]
pub struct WorkerContext {
    /// The database.
    pub pool: PgPool,
    /// The process's idempotent producer.
    pub producer: Producer,
    /// Broker, topic and group naming.
    pub kafka: KafkaConfig,
    /// Opens the partner connections' and credentials' secrets.
    pub secrets: SecretBox,
    /// The `[workers]` section.
    pub config: WorkersConfig,
    /// Partner connections and their clients (shared with the ingress in one process).
    pub connections: ConnectionRegistry,
}

impl std::fmt::Debug for WorkerContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerContext")
            .field("kafka", &self.kafka)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}
