//! The whole configuration of one process: every section, each owned by the crate that uses it.
//!
//! Unknown keys anywhere are errors (every section is `deny_unknown_fields`); values that parse
//! but make no sense are rejected by [`Settings::validate`] with one line naming the key. Some
//! refuse to parse at all: `admin.token` shorter than 16 bytes (or empty) is not an
//! `AdminToken`. Client-side variables (`SWITCHYARD_CLI_…`) are never configuration.

use std::path::Path;

use serde::Deserialize;
use switchyard_ingress::IngressConfig;
use switchyard_runtime::admin::AdminConfig;
use switchyard_runtime::config::{self, ConfigError};
use switchyard_runtime::database::DatabaseConfig;
use switchyard_runtime::telemetry::TelemetryConfig;
use switchyard_runtime::SecretString;
use switchyard_store::crypto::SecretBox;
use switchyard_topics::KafkaConfig;
use switchyard_workers::WorkersConfig;

/// The client URL variable before it moved out of the configuration namespace: still exported
/// by scripts that followed the old `--help`, it would otherwise fail as an unknown key.
const RENAMED_CLIENT_URL: &str = "SWITCHYARD_ADMIN_URL";

/// Every section of the configuration.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `[telemetry]`: logs and traces.
    pub telemetry: TelemetryConfig,
    /// `[admin]`: health, readiness, metrics and the operator API.
    pub admin: AdminConfig,
    /// `[database]`: PostgreSQL.
    pub database: DatabaseConfig,
    /// `[kafka]`: broker, topic and group naming, delivery and retry.
    pub kafka: KafkaConfig,
    /// `[ingress]`: the partner-facing HTTP edge.
    pub ingress: IngressConfig,
    /// `[workers]`: procurement and callback relaying.
    pub workers: WorkersConfig,
    /// `[secrets]`: the key that encrypts partner and credential secrets at rest.
    pub secrets: SecretsConfig,
    /// `[shutdown]`: draining.
    pub shutdown: ShutdownConfig,
}

/// `[secrets]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecretsConfig {
    /// AES-256 key, 32 bytes in base64; required by the ingress, the workers and the operator API.
    pub encryption_key: Option<SecretString>,
    /// Identifier stored beside every ciphertext, so keys can be rotated.
    pub key_id: String,
}

impl Default for SecretsConfig {
    fn default() -> Self {
        Self {
            encryption_key: None,
            key_id: "k1".to_owned(),
        }
    }
}

impl SecretsConfig {
    /// The key as a [`SecretBox`]; a missing or malformed key is a configuration error.
    pub fn secret_box(&self) -> Result<SecretBox, ConfigError> {
        let key = self.encryption_key.as_ref().ok_or_else(|| {
            ConfigError::invalid(
                "secrets.encryption_key",
                "required (32 random bytes, base64; e.g. SWITCHYARD_SECRETS__ENCRYPTION_KEY=$(head -c32 /dev/urandom | base64))",
            )
        })?;
        SecretBox::from_base64_key(&self.key_id, key)
            .map_err(|error| ConfigError::invalid("secrets.encryption_key", error))
    }
}

/// `[shutdown]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShutdownConfig {
    /// How long a drain may take; keep it under the pod's termination grace period.
    pub grace_ms: u64,
}

impl Default for ShutdownConfig {
    fn default() -> Self {
        Self { grace_ms: 25_000 }
    }
}

impl Settings {
    /// Loads defaults → file → environment, then validates.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        if std::env::var_os(RENAMED_CLIENT_URL).is_some() {
            return Err(ConfigError::invalid(
                "admin_url",
                format!("{RENAMED_CLIENT_URL} is now SWITCHYARD_CLI_URL (`switchyard admin --url`); rename or unset it"),
            ));
        }
        let settings: Self = config::load(file)?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        self.database.connect_options()?;
        if self.kafka.brokers.trim().is_empty() {
            return Err(ConfigError::invalid("kafka.brokers", "must not be empty"));
        }
        if self.secrets.encryption_key.is_some() {
            self.secrets.secret_box()?;
        }
        self.workers
            .validate()
            .map_err(|error| ConfigError::invalid("workers", error))?;
        if self.shutdown.grace_ms == 0 {
            return Err(ConfigError::invalid(
                "shutdown.grace_ms",
                "must be positive",
            ));
        }
        Ok(())
    }
}
