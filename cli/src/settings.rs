//! The whole configuration of one process: every section, each owned by the crate that uses it.
//!
//! Unknown keys anywhere are errors (every section is `deny_unknown_fields`); values that parse
//! but make no sense are rejected by [`Settings::validate`] with one line naming the key.

use std::path::Path;

use serde::Deserialize;
use switchyard_runtime::admin::AdminConfig;
use switchyard_runtime::config::{self, ConfigError};
use switchyard_runtime::database::DatabaseConfig;
use switchyard_runtime::telemetry::TelemetryConfig;
use switchyard_topics::KafkaConfig;

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
    /// `[shutdown]`: draining.
    pub shutdown: ShutdownConfig,
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
        let settings: Self = config::load(file)?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        self.database.connect_options()?;
        if self.kafka.brokers.trim().is_empty() {
            return Err(ConfigError::invalid("kafka.brokers", "must not be empty"));
        }
        if self.shutdown.grace_ms == 0 {
            return Err(ConfigError::invalid("shutdown.grace_ms", "must be positive"));
        }
        Ok(())
    }
}
