//! Per-connection HTTP policy settings, with defaults that suit a typical partner API.

use std::num::NonZeroU32;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Settings for one partner connection's rate limit, timeout and retries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// Upper bound on one attempt, from sending the request to the last body byte.
    #[serde(with = "millis")]
    pub timeout: Duration,
    /// Steady rate of attempts per second on this connection (governor quota).
    pub rate_per_second: NonZeroU32,
    /// Attempts allowed back to back before pacing starts; 1 paces even a burst.
    pub burst: NonZeroU32,
    /// Retries after the first attempt (0 = try once).
    pub max_retries: usize,
    /// First backoff delay; doubles per retry, with jitter.
    #[serde(with = "millis")]
    pub base_delay: Duration,
    /// Upper bound on a backoff delay.
    #[serde(with = "millis")]
    pub max_delay: Duration,
    /// Upper bound on how long a partner's `Retry-After` can make us wait.
    #[serde(with = "millis")]
    pub retry_after_clamp: Duration,
    /// Upper bound on an answer's body; a longer one fails the call without being read to the end.
    pub max_body_bytes: usize,
    /// Admits loopback, private and cluster-internal targets (local runs against simulators).
    /// Set in code from the process configuration only: never read from a file or a row.
    #[serde(skip)]
    pub allow_private_targets: bool,
}

/// 1 MiB: far above any partner answer we read, far below what could hurt a worker.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            timeout: Duration::from_secs(10),
            rate_per_second: NonZeroU32::MIN.saturating_add(9),
            burst: NonZeroU32::MIN,
            max_retries: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            retry_after_clamp: Duration::from_secs(60),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            allow_private_targets: false,
        }
    }
}

/// A policy configuration that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyConfigError {
    /// A zero timeout would fail every call.
    #[error("timeout must be greater than zero")]
    ZeroTimeout,
    /// `max_delay` below `base_delay` makes the backoff meaningless.
    #[error("max_delay must be at least base_delay")]
    MaxDelayBelowBase,
    /// A zero body cap would fail every call.
    #[error("max_body_bytes must be greater than zero")]
    ZeroBodyCap,
    /// The HTTP client could not be created (TLS backend).
    #[error("HTTP client could not be built: {0}")]
    Client(String),
}

impl PolicyConfig {
    /// Checks the settings once, at start-up.
    pub fn validate(&self) -> Result<(), PolicyConfigError> {
        if self.timeout.is_zero() {
            return Err(PolicyConfigError::ZeroTimeout);
        }
        if self.max_delay < self.base_delay {
            return Err(PolicyConfigError::MaxDelayBelowBase);
        }
        if self.max_body_bytes == 0 {
            return Err(PolicyConfigError::ZeroBodyCap);
        }
        Ok(())
    }
}

/// Durations in configuration files are whole milliseconds.
mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(u64::try_from(value.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        u64::deserialize(deserializer).map(Duration::from_millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_round_trip() {
        let config = PolicyConfig::default();
        config.validate().unwrap();
        assert_eq!(config.rate_per_second.get(), 10);
        let json = serde_json::to_string(&config).unwrap();
        assert!(json.contains("\"timeout\":10000"));
        assert_eq!(config.max_body_bytes, 1024 * 1024);
        assert!(
            !config.allow_private_targets,
            "internal targets are refused by default"
        );
        assert_eq!(serde_json::from_str::<PolicyConfig>(&json).unwrap(), config);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        assert!(serde_json::from_str::<PolicyConfig>(r#"{"timeuot":5}"#).is_err());
        assert!(serde_json::from_str::<PolicyConfig>(r#"{"rate_per_second":0}"#).is_err());
        let opt_in = serde_json::from_str::<PolicyConfig>(r#"{"allow_private_targets":true}"#);
        assert!(opt_in.is_err(), "the SSRF opt-in cannot come from data");
        let partial: PolicyConfig = serde_json::from_str(r#"{"timeout":250}"#).unwrap();
        assert_eq!(partial.timeout, Duration::from_millis(250));
        let zero = PolicyConfig {
            timeout: Duration::ZERO,
            ..PolicyConfig::default()
        };
        assert_eq!(zero.validate(), Err(PolicyConfigError::ZeroTimeout));
        let inverted = PolicyConfig {
            max_delay: Duration::from_millis(1),
            ..PolicyConfig::default()
        };
        assert_eq!(
            inverted.validate(),
            Err(PolicyConfigError::MaxDelayBelowBase)
        );
    }
}
