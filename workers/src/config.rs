//! The `[workers]` configuration section.
//!
//! Contract: every field has a default (`serde(default)`), unknown keys are errors
//! (`deny_unknown_fields`). `time_scale` multiplies every *waiting* period (the connections'
//! retry intervals, the callback relay schedule, claim leases) so tests can run the real schedules
//! in milliseconds; it never shortens an HTTP timeout.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use switchyard_partners::vending::NotifyTokens;

pub use crate::expiry_sweeper::SweeperConfig;

/// `[workers]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkersConfig {
    /// Our ingress as upstreams reach it: callbacks go to `{public_base_url}/api/v1/upstream/callback`,
    /// vending dispense results to `{public_base_url}/vending/notify?machine_no=…`.
    pub public_base_url: String,
    /// Multiplies every waiting period (1.0 in production; e.g. 0.01 in tests).
    pub time_scale: f64,
    /// Timeout of one call to a fulfiller while placing a procurement order.
    pub partner_timeout_ms: u64,
    /// Lets partner and callback clients reach loopback, private and cluster-internal hosts
    /// (local runs and tests against simulators on 127.0.0.1). Off in production: the SSRF guard.
    pub allow_private_partner_urls: bool,
    /// How long a claimed procurement or callback is reserved for the process that claimed it;
    /// when that process dies, another takes over after this (scaled).
    pub claim_lease_secs: u64,
    /// How often due retries (procurement), due callbacks (relay) and unpublished outbox events
    /// are looked for (a commit in this process wakes its outbox drainer at once).
    pub poll_interval_ms: u64,
    /// Due rows taken per poll.
    pub poll_batch: i64,
    /// How often each WDT connection's shipments are pulled (`logistics.sync.query`, looping
    /// until empty), scaled by `time_scale`.
    pub wdt_logistics_interval_secs: u64,
    /// Attempts the status-syncer makes at one status before it dead-letters it (the runner's
    /// `kafka.retry_delays_ms`, last delay repeating): with the default delays, 300 attempts
    /// keep telling a channel that is down for about ten hours.
    pub status_sync_max_attempts: u32,
    /// How often the stock-syncer pulls each upstream's changed products and stock (Dujiao
    /// `updated_after`, WDT stock changes) and pushes changes to D-Store, scaled by `time_scale`.
    pub stock_sync_interval_secs: u64,
    /// How often each Dujiao-Next upstream's whole catalog is pulled (also finds deleted
    /// products) and WDT stock is fully refreshed, scaled by `time_scale`.
    pub stock_full_sync_interval_secs: u64,
    /// Products per D-Store `syncProduct` call (1 to 1000): a catalog push is sent in batches
    /// of this many.
    pub dstore_sync_batch: u32,
    /// Relaying callbacks to downstream Dujiao-Next sites.
    pub relay: RelayConfig,
    /// Vending dispense and query-back.
    pub vending: VendingConfig,
    /// The expiry-sweeper: unpaid vending expiry, Dujiao-Next fallback polls, retention.
    pub sweeper: SweeperConfig,
}

impl Default for WorkersConfig {
    fn default() -> Self {
        Self {
            public_base_url: "http://127.0.0.1:8080".to_owned(),
            time_scale: 1.0,
            partner_timeout_ms: 10_000,
            allow_private_partner_urls: false,
            claim_lease_secs: 60,
            poll_interval_ms: 200,
            poll_batch: 50,
            wdt_logistics_interval_secs: 300,
            status_sync_max_attempts: 300,
            stock_sync_interval_secs: 300,
            stock_full_sync_interval_secs: 86_400,
            dstore_sync_batch: 100,
            relay: RelayConfig::default(),
            vending: VendingConfig::default(),
            sweeper: SweeperConfig::default(),
        }
    }
}

/// `[workers.relay]`: callbacks one level down ("Callback B → A").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RelayConfig {
    /// Delays before the 2nd, 3rd, … attempt; after the last the callback is marked failed.
    pub schedule_secs: Vec<u64>,
    /// Timeout of one attempt.
    pub timeout_ms: u64,
}

impl Default for RelayConfig {
    fn default() -> Self {
        Self {
            schedule_secs: vec![30, 60, 120, 300, 300],
            timeout_ms: 15_000,
        }
    }
}

/// `[workers.vending]`: dispensing and confirming dispense results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VendingConfig {
    /// While a machine answers "dispensing" (it is locked ~45 s per item), wait this long…
    pub busy_wait_ms: u64,
    /// …at most this many times per record before the attempt counts as a transient failure.
    pub busy_max_waits: u32,
    /// Query-backs of an order whose reported record is not final yet…
    pub query_back_attempts: u32,
    /// …this far apart, before the result is parked for a later retry.
    pub query_back_interval_ms: u64,
}

impl Default for VendingConfig {
    fn default() -> Self {
        Self {
            busy_wait_ms: 5_000,
            busy_max_waits: 12,
            query_back_attempts: 3,
            query_back_interval_ms: 1_000,
        }
    }
}

/// A configuration that cannot work, naming the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("workers.{key}: {problem}")]
pub struct WorkersConfigError {
    /// The offending key under `[workers]`.
    pub key: &'static str,
    /// What is wrong with it.
    pub problem: &'static str,
}

impl WorkersConfig {
    /// Checks the values once, at start-up.
    pub fn validate(&self) -> Result<(), WorkersConfigError> {
        let invalid = |key, problem| Err(WorkersConfigError { key, problem });
        let base = self.public_base_url.trim();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return invalid("public_base_url", "must be an http(s) URL");
        }
        if !(self.time_scale.is_finite() && self.time_scale > 0.0) {
            return invalid("time_scale", "must be a positive number");
        }
        if self.partner_timeout_ms == 0 || self.relay.timeout_ms == 0 {
            return invalid("partner_timeout_ms / relay.timeout_ms", "must be positive");
        }
        if self.poll_interval_ms == 0 || self.poll_batch <= 0 {
            return invalid("poll_interval_ms / poll_batch", "must be positive");
        }
        if !(1..=1000).contains(&self.dstore_sync_batch) {
            return invalid("dstore_sync_batch", "must be between 1 and 1000");
        }
        if self.status_sync_max_attempts == 0 {
            return invalid("status_sync_max_attempts", "must be at least 1");
        }
        self.sweeper.validate()
    }

    /// A waiting period after `time_scale` (never below one millisecond).
    pub fn scaled(&self, period: Duration) -> Duration {
        period
            .mul_f64(self.time_scale)
            .max(Duration::from_millis(1))
    }

    /// The callback URL given to upstream Dujiao-Next sites.
    pub fn callback_url(&self) -> String {
        format!(
            "{}/api/v1/upstream/callback",
            self.public_base_url.trim_end_matches('/')
        )
    }

    /// The notify URL given to a vending platform for sub-order `procurement_id`: the report
    /// does not name its machine, and is unsigned, so the URL names machine and order and
    /// carries the token the ingress verifies (`machine_no`, `ref`, `token`).
    pub fn vending_notify_url(
        &self,
        tokens: &NotifyTokens,
        machine_no: &str,
        procurement_id: &str,
    ) -> String {
        format!(
            "{}/vending/notify?{}",
            self.public_base_url.trim_end_matches('/'),
            tokens.notify_query(machine_no, procurement_id)
        )
    }

    /// How the shared scheduler claims: every `poll_interval_ms`, `poll_batch` rows at a time,
    /// leased for the scaled claim lease.
    pub fn scheduler_settings(&self) -> crate::scheduler::SchedulerSettings {
        crate::scheduler::SchedulerSettings {
            tick: Duration::from_millis(self.poll_interval_ms),
            lease: self.claim_lease(),
            batch: self.poll_batch,
        }
    }

    /// The WDT logistics pull's interval after scaling.
    pub fn wdt_logistics_interval(&self) -> Duration {
        self.scaled(Duration::from_secs(self.wdt_logistics_interval_secs))
    }

    /// The stock-syncer's incremental interval after scaling.
    pub fn stock_sync_interval(&self) -> Duration {
        self.scaled(Duration::from_secs(self.stock_sync_interval_secs))
    }

    /// The stock-syncer's full-sync interval after scaling.
    pub fn stock_full_sync_interval(&self) -> Duration {
        self.scaled(Duration::from_secs(self.stock_full_sync_interval_secs))
    }

    /// The claim lease after scaling.
    pub fn claim_lease(&self) -> Duration {
        self.scaled(Duration::from_secs(self.claim_lease_secs))
    }

    /// Delay before relay attempt `attempts + 1` after `attempts` failed ones; `None` = give up.
    pub fn relay_delay(&self, attempts: u32) -> Option<Duration> {
        let index = usize::try_from(attempts).ok()?.checked_sub(1)?;
        let seconds = *self.relay.schedule_secs.get(index)?;
        Some(self.scaled(Duration::from_secs(seconds)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_protocol_and_validate() {
        let config = WorkersConfig::default();
        config.validate().unwrap();
        assert_eq!(config.relay.schedule_secs, vec![30, 60, 120, 300, 300]);
        assert_eq!(config.relay.timeout_ms, 15_000);
        assert_eq!(
            config.callback_url(),
            "http://127.0.0.1:8080/api/v1/upstream/callback"
        );
    }

    #[test]
    fn relay_schedule_runs_out_after_five_retries_and_scales() {
        let config = WorkersConfig {
            time_scale: 0.01,
            ..WorkersConfig::default()
        };
        let delays: Vec<_> = (1..=6).map(|n| config.relay_delay(n)).collect();
        assert_eq!(delays[0], Some(Duration::from_millis(300)));
        assert_eq!(delays[4], Some(Duration::from_secs(3)));
        assert_eq!(delays[5], None);
        assert_eq!(config.relay_delay(0), None);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        assert!(
            serde_json::from_value::<WorkersConfig>(serde_json::json!({"timescale": 1})).is_err()
        );
        let bad = WorkersConfig {
            time_scale: 0.0,
            ..WorkersConfig::default()
        };
        assert_eq!(bad.validate().unwrap_err().key, "time_scale");
        let no_batch = WorkersConfig {
            dstore_sync_batch: 0,
            ..WorkersConfig::default()
        };
        assert_eq!(no_batch.validate().unwrap_err().key, "dstore_sync_batch");
        let no_attempts = WorkersConfig {
            status_sync_max_attempts: 0,
            ..WorkersConfig::default()
        };
        assert_eq!(
            no_attempts.validate().unwrap_err().key,
            "status_sync_max_attempts"
        );
        let bad_url = WorkersConfig {
            public_base_url: "ftp://x".into(),
            ..WorkersConfig::default()
        };
        assert!(bad_url.validate().is_err());
    }
}
