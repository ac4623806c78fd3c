//! Kafka settings shared by the producer, the admin client and the consumer runner.
//!
//! Embedded by the binary under the `kafka` key of its layered figment configuration; unknown
//! keys are errors. `Debug` never prints the SASL password nor the values of extra properties
//! (they may hold credentials).

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use rdkafka::ClientConfig;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// Connection, naming and delivery settings for every Kafka client of one hub instance.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KafkaConfig {
    /// Bootstrap servers, comma separated.
    pub brokers: String,
    /// Prepended to every logical topic name, so several hub instances can share one broker.
    pub topic_prefix: String,
    /// Prepended to the worker name to form its consumer group id.
    pub group_prefix: String,
    /// Upper bound for one produce to be confirmed (`message.timeout.ms`).
    pub delivery_timeout_ms: u64,
    /// Partitions for topics whose catalogue entry does not fix a count.
    pub default_partitions: i32,
    /// Replication factor used when creating topics.
    pub replication_factor: i32,
    /// Delay before each retry of a transiently failed event; past the end the last repeats.
    pub retry_delays_ms: Vec<u64>,
    /// Total handler attempts (first delivery included) before an event is dead-lettered.
    pub max_attempts: u32,
    /// Handler calls running at once in one worker process.
    pub max_in_flight: usize,
    /// Events fetched but not finished (running or queued behind their key) before fetching pauses.
    pub max_buffered: usize,
    /// How long shutdown and partition revocation wait for running handlers.
    pub drain_timeout_ms: u64,
    /// Consumer session timeout: how fast a dead member's partitions move to another.
    pub session_timeout_ms: u64,
    /// How often the runner looks for parked events whose retry is due.
    pub retry_poll_interval_ms: u64,
    /// Parked events claimed (and queued on their keys' lanes) at most at once per process;
    /// while a claim comes back full, the next one follows as soon as half of it is done.
    pub retry_batch: usize,
    /// How long a claimed parked event stays invisible to other claims; a process that dies
    /// holding claims delays those retries by this much. Keep above `drain_timeout_ms` and the
    /// slowest handler.
    pub retry_claim_lease_ms: u64,
    /// Optional SASL/PLAIN or SCRAM credentials.
    pub sasl: Option<SaslConfig>,
    /// Extra librdkafka properties applied to every client (e.g. `security.protocol`).
    pub extra: BTreeMap<String, String>,
}

/// SASL credentials; the password is a secret and never printed.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaslConfig {
    /// `PLAIN`, `SCRAM-SHA-256` or `SCRAM-SHA-512`.
    pub mechanism: String,
    /// SASL user name.
    pub username: String,
    /// SASL password.
    pub password: SecretString,
}

impl Default for KafkaConfig {
    fn default() -> Self {
        Self {
            brokers: "127.0.0.1:9092".to_owned(),
            topic_prefix: String::new(),
            group_prefix: "switchyard.".to_owned(),
            delivery_timeout_ms: 5_000,
            default_partitions: 6,
            replication_factor: 1,
            retry_delays_ms: vec![1_000, 5_000, 30_000, 120_000],
            max_attempts: 5,
            max_in_flight: 64,
            max_buffered: 1_024,
            drain_timeout_ms: 10_000,
            session_timeout_ms: 10_000,
            retry_poll_interval_ms: 200,
            retry_batch: 256,
            retry_claim_lease_ms: 60_000,
            sasl: None,
            extra: BTreeMap::new(),
        }
    }
}

impl KafkaConfig {
    /// Consumer group of a worker: `{group_prefix}{worker}`.
    pub fn consumer_group(&self, worker: &str) -> String {
        format!("{}{}", self.group_prefix, worker)
    }

    /// Full topic name of a logical topic: `{topic_prefix}{logical}`.
    pub fn topic_name(&self, logical: &str) -> String {
        format!("{}{}", self.topic_prefix, logical)
    }

    /// Delay before retry number `retry` (1 = first retry); the last tier repeats.
    pub fn retry_delay(&self, retry: u32) -> Duration {
        let index = (retry.max(1) as usize - 1).min(self.retry_delays_ms.len().saturating_sub(1));
        Duration::from_millis(self.retry_delays_ms.get(index).copied().unwrap_or(1_000))
    }

    /// How long a claim on a parked event lasts.
    pub(crate) fn retry_claim_lease(&self) -> Duration {
        Duration::from_millis(self.retry_claim_lease_ms.max(1_000))
    }

    /// Base librdkafka configuration: brokers, credentials and extra properties.
    pub(crate) fn client_config(&self) -> ClientConfig {
        let mut client = ClientConfig::new();
        client.set("bootstrap.servers", &self.brokers);
        if let Some(sasl) = &self.sasl {
            client
                .set("sasl.mechanisms", &sasl.mechanism)
                .set("sasl.username", &sasl.username)
                .set("sasl.password", sasl.password.expose_secret());
        }
        for (name, value) in &self.extra {
            client.set(name, value);
        }
        client
    }
}

impl fmt::Debug for KafkaConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KafkaConfig")
            .field("brokers", &self.brokers)
            .field("topic_prefix", &self.topic_prefix)
            .field("group_prefix", &self.group_prefix)
            .field("delivery_timeout_ms", &self.delivery_timeout_ms)
            .field("default_partitions", &self.default_partitions)
            .field("replication_factor", &self.replication_factor)
            .field("retry_delays_ms", &self.retry_delays_ms)
            .field("max_attempts", &self.max_attempts)
            .field("max_in_flight", &self.max_in_flight)
            .field("max_buffered", &self.max_buffered)
            .field("drain_timeout_ms", &self.drain_timeout_ms)
            .field("session_timeout_ms", &self.session_timeout_ms)
            .field("retry_poll_interval_ms", &self.retry_poll_interval_ms)
            .field("retry_batch", &self.retry_batch)
            .field("retry_claim_lease_ms", &self.retry_claim_lease_ms)
            .field("sasl", &self.sasl)
            // Values may be credentials (ssl.key.password, ...): show the names only.
            .field("extra", &self.extra.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl fmt::Debug for SaslConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SaslConfig")
            .field("mechanism", &self.mechanism)
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_credentials() {
        let config: KafkaConfig = serde_json::from_str(
            r#"{"sasl":{"mechanism":"PLAIN","username":"hub","password":"hunter2"},
                "extra":{"ssl.key.password":"s3cret"}}"#,
        )
        .unwrap();
        let printed = format!("{config:?}");
        assert!(!printed.contains("hunter2"));
        assert!(!printed.contains("s3cret"));
        assert!(printed.contains("ssl.key.password"));
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let parsed = serde_json::from_str::<KafkaConfig>(r#"{"brokerz":"x"}"#);
        assert!(parsed.is_err());
    }

    #[test]
    fn retry_tiers_repeat_the_last_delay() {
        let config = KafkaConfig {
            retry_delays_ms: vec![10, 20],
            ..KafkaConfig::default()
        };
        assert_eq!(config.retry_delay(1), Duration::from_millis(10));
        assert_eq!(config.retry_delay(2), Duration::from_millis(20));
        assert_eq!(config.retry_delay(7), Duration::from_millis(20));
        assert_eq!(config.consumer_group("procurer"), "switchyard.procurer");
    }
}
