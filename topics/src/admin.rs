//! Creates the catalogue's topics (and their dead-letter companions) when missing, and verifies
//! the partition count of those that exist. Run at start-up by every role; idempotent, and safe
//! when several processes race (an "already exists" answer counts as success).

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::util::Timeout;

use crate::catalogue::{self, dead_letter_topic, TopicSpec, DEAD_LETTER_RETENTION};
use crate::config::KafkaConfig;

const ADMIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the topics could not be provisioned.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The broker could not be reached (transient: retry start-up).
    #[error("broker unavailable: {0}")]
    Unavailable(String),
    /// The broker refused to create a topic (permanent until an operator acts).
    #[error("could not create topic {topic}: {reason}")]
    CreateFailed {
        /// Full topic name.
        topic: String,
        /// Broker message.
        reason: String,
    },
    /// An existing topic has another partition count than the catalogue (keys would move).
    #[error("topic {topic} has {actual} partitions, the catalogue expects {expected}")]
    PartitionMismatch {
        /// Full topic name.
        topic: String,
        /// Partitions found.
        actual: i32,
        /// Partitions expected.
        expected: i32,
    },
}

/// A topic to exist on the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicPlan {
    /// Full name.
    pub name: String,
    /// Partition count.
    pub partitions: i32,
    /// `retention.ms`.
    pub retention_ms: u64,
}

/// Every topic the catalogue needs under this configuration: each logical topic and its `.dlq`.
pub fn plan(config: &KafkaConfig) -> Vec<TopicPlan> {
    catalogue::ALL
        .iter()
        .flat_map(|spec| plan_one(config, spec))
        .collect()
}

fn plan_one(config: &KafkaConfig, spec: &TopicSpec) -> [TopicPlan; 2] {
    let name = config.topic_name(spec.name);
    let partitions = spec.partitions.unwrap_or(config.default_partitions);
    [
        TopicPlan {
            name: dead_letter_topic(&name),
            partitions,
            retention_ms: DEAD_LETTER_RETENTION.as_millis() as u64,
        },
        TopicPlan {
            name,
            partitions,
            retention_ms: spec.retention.as_millis() as u64,
        },
    ]
}

/// Creates the missing catalogue topics and verifies the existing ones.
pub async fn ensure_topics(config: &KafkaConfig) -> Result<(), AdminError> {
    create_or_verify(config, &plan(config)).await
}

/// Creates the given topics when missing and verifies the partition count of existing ones.
pub async fn create_or_verify(
    config: &KafkaConfig,
    wanted: &[TopicPlan],
) -> Result<(), AdminError> {
    let admin: AdminClient<DefaultClientContext> = config
        .client_config()
        .create()
        .map_err(|e| AdminError::Unavailable(e.to_string()))?;
    let existing = existing_partitions(config).await?;
    let retention: Vec<String> = wanted.iter().map(|t| t.retention_ms.to_string()).collect();
    let mut to_create = Vec::new();
    for (topic, retention_ms) in wanted.iter().zip(&retention) {
        match existing.iter().find(|(name, _)| *name == topic.name) {
            Some((_, actual)) if *actual != topic.partitions => {
                return Err(AdminError::PartitionMismatch {
                    topic: topic.name.clone(),
                    actual: *actual,
                    expected: topic.partitions,
                })
            }
            Some(_) => {}
            None => to_create.push(
                NewTopic::new(
                    &topic.name,
                    topic.partitions,
                    TopicReplication::Fixed(config.replication_factor),
                )
                .set("retention.ms", retention_ms),
            ),
        }
    }
    if to_create.is_empty() {
        return Ok(());
    }
    let options = AdminOptions::new().operation_timeout(Some(Timeout::After(ADMIN_TIMEOUT)));
    let results = admin
        .create_topics(&to_create, &options)
        .await
        .map_err(|e| AdminError::Unavailable(e.to_string()))?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => {
                return Err(AdminError::CreateFailed {
                    topic,
                    reason: code.to_string(),
                })
            }
        }
    }
    Ok(())
}

async fn existing_partitions(config: &KafkaConfig) -> Result<Vec<(String, i32)>, AdminError> {
    let client_config = config.client_config();
    // Metadata fetches block the calling thread; keep them off the async workers.
    let metadata = tokio::task::spawn_blocking(move || {
        let client: BaseConsumer = client_config
            .create()
            .map_err(|e| AdminError::Unavailable(e.to_string()))?;
        client
            .fetch_metadata(None, Timeout::After(ADMIN_TIMEOUT))
            .map_err(|e| AdminError::Unavailable(e.to_string()))
    })
    .await
    .map_err(|e| AdminError::Unavailable(e.to_string()))??;
    Ok(metadata
        .topics()
        .iter()
        .filter(|topic| topic.error().is_none())
        .map(|topic| (topic.name().to_owned(), topic.partitions().len() as i32))
        .collect())
}
