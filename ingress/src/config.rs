//! The `[ingress]` configuration section.
//!
//! Contract: every field has a default (`serde(default)`), unknown keys are errors
//! (`deny_unknown_fields`). Only settings that are the same for every partner connection live
//! here; per-connection keys and secrets are rows of `partner_connections` (encrypted).

use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// `[ingress]` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngressConfig {
    /// Address of the partner-facing HTTP listener.
    pub listen: SocketAddr,
    /// Largest accepted request body; larger bodies get 413 in the partner's format.
    pub body_limit_bytes: usize,
    /// How long a request may wait for the broker's confirmation before the event is spooled.
    pub ack_budget_ms: u64,
    /// Partner requests in service at once; more wait for a slot (see `max_queue_wait_ms`).
    pub max_in_flight: usize,
    /// How long a request may wait for a service slot before it is shed (429/503).
    pub max_queue_wait_ms: u64,
    /// Accept loopback and private `callback_url`s (local tests and labs only).
    pub allow_private_callback_urls: bool,
    /// How often the spool drainer looks for events the broker did not confirm.
    pub spool_drain_interval_ms: u64,
    /// Spooled events published per drainer round.
    pub spool_batch_size: i64,
    /// Dujiao-Next signatures one API key may have inside their window at once (the shared
    /// replay guard); past it a new signature gets the retryable 503 `internal_error`.
    pub replay_entries_per_key: usize,
    /// How long partner connections read from Postgres are reused before being read again (the
    /// process's connection registry, shared with the workers).
    pub connection_cache_ttl_ms: u64,
    /// How long a Dujiao-Next API key that no credential has is refused (`invalid_api_key`)
    /// without reading the database again. Keys are issued at random, so a refused key rarely
    /// becomes valid; issuing a credential clears this cache in the issuing process.
    pub unknown_key_cache_ttl_ms: u64,
    /// Longest wait for a request's whole header section once the connection is ready for it
    /// (opened, or done with the previous request); then the connection is closed (so it is also
    /// the idle limit of a kept-alive connection).
    pub header_read_timeout_ms: u64,
    /// Longest wait for a request's whole body once its headers are in; then 408 in the
    /// partner's format and the connection is closed.
    pub body_read_timeout_ms: u64,
    /// Client connections open at once; a connection beyond it gets `503` and is closed.
    pub max_connections: usize,
    /// Accepted distance between a 58 Daojia push timestamp and now, in seconds.
    pub daojia_window_secs: u64,
    /// `site_name` answered by the Dujiao-Next `ping`.
    pub site_name: String,
    /// How long a downstream site's cancel of an order already being procured may wait for
    /// the upstreams' answers (inside Dujiao-Next's 3–5 s deadline); past it the site gets the
    /// retryable `internal_error` and the cancel goes on in the background.
    pub cancel_timeout_ms: u64,
    /// Vending dispense reports whose URL carries no token: `required` (default) refuses them;
    /// `optional` queues them as before — only for the rollout of notify tokens, while orders
    /// created by an older procurer (whose notify URL has no token) may still report. A token
    /// that is present is verified either way.
    pub vending_notify_tokens: TokenMode,
}

/// Whether a vending report must carry the token we issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TokenMode {
    /// A report without a token is refused.
    #[default]
    Required,
    /// A report without a token is queued (unverified, as before tokens existed).
    Optional,
}

impl Default for IngressConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            body_limit_bytes: 262_144,
            ack_budget_ms: 1_500,
            max_in_flight: 64,
            max_queue_wait_ms: 200,
            allow_private_callback_urls: false,
            spool_drain_interval_ms: 1_000,
            spool_batch_size: 500,
            replay_entries_per_key: 6_000,
            connection_cache_ttl_ms: 5_000,
            unknown_key_cache_ttl_ms: 10_000,
            header_read_timeout_ms: 10_000,
            body_read_timeout_ms: 10_000,
            max_connections: 1_024,
            daojia_window_secs: 600,
            site_name: "Switchyard".to_owned(),
            cancel_timeout_ms: 2_500,
            vending_notify_tokens: TokenMode::Required,
        }
    }
}

impl IngressConfig {
    /// The ack budget as a duration.
    pub fn ack_budget(&self) -> Duration {
        Duration::from_millis(self.ack_budget_ms)
    }

    /// How long a cancel waits for the upstreams.
    pub fn cancel_timeout(&self) -> Duration {
        Duration::from_millis(self.cancel_timeout_ms)
    }

    /// The longest wait for a service slot.
    pub fn max_queue_wait(&self) -> Duration {
        Duration::from_millis(self.max_queue_wait_ms)
    }

    /// The drainer's polling interval.
    pub fn spool_drain_interval(&self) -> Duration {
        Duration::from_millis(self.spool_drain_interval_ms.max(10))
    }

    /// How long an unknown API key is refused from memory.
    pub fn unknown_key_cache_ttl(&self) -> Duration {
        Duration::from_millis(self.unknown_key_cache_ttl_ms)
    }

    /// The header-section deadline.
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_millis(self.header_read_timeout_ms.max(1))
    }

    /// The body deadline.
    pub fn body_read_timeout(&self) -> Duration {
        Duration::from_millis(self.body_read_timeout_ms.max(1))
    }

    /// The connection-key cache lifetime.
    pub fn connection_cache_ttl(&self) -> Duration {
        Duration::from_millis(self.connection_cache_ttl_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_documented_values() {
        let config = IngressConfig::default();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.body_limit_bytes, 262_144);
        assert_eq!(config.ack_budget_ms, 1_500);
        assert!(!config.allow_private_callback_urls);
    }

    #[test]
    fn unknown_keys_are_refused() {
        let parsed: Result<IngressConfig, _> =
            serde_json::from_value(serde_json::json!({ "listen_port": 1 }));
        assert!(parsed.is_err());
    }
}
