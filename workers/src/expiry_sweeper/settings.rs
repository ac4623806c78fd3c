//! `[workers.sweeper]`: when unpaid vending orders expire, how an accepted Dujiao-Next order
//! with no callback is polled, and how long bookkeeping rows are kept.
//!
//! Contract: every field has a default; unknown keys are errors. Waiting periods (the expiry, the
//! poll ladder, the alert threshold, the retention run's period) are scaled by
//! `workers.time_scale`; retention ages are not (they are compared with rows' timestamps).
//! [`SweeperConfig::validate`] refuses a consumer-dedupe retention shorter than the longest topic
//! or dead-letter retention: a record still on a topic must still be recognised when redelivered.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use switchyard_topics::catalogue;

use crate::config::WorkersConfigError;

const DAY_SECS: u64 = 24 * 3600;

/// `[workers.sweeper]` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SweeperConfig {
    /// A vending order still unpaid this long after it was created is closed (the platform's own
    /// expiry is 20 minutes).
    pub vending_unpaid_expiry_secs: u64,
    /// Fallback polls of an accepted Dujiao-Next order without a callback: each delay after the
    /// previous poll (the first after acceptance)…
    pub dujiao_poll_ladder_secs: Vec<u64>,
    /// …then every this long.
    pub dujiao_poll_every_secs: u64,
    /// Still not delivered this long after acceptance: alert once (metric and operator
    /// exception), and keep polling.
    pub dujiao_stuck_after_secs: u64,
    /// Time between two retention runs.
    pub retention_period_secs: u64,
    /// Rows deleted per statement (each batch is one short transaction).
    pub retention_batch: i64,
    /// Pause between two batches, so a purge never hogs the database.
    pub retention_pause_ms: u64,
    /// Ingress dedupe rows (repeated partner pushes) older than this are purged.
    pub ingress_dedupe_days: u64,
    /// Consumer dedupe rows (`processed_events`); at least the longest topic retention.
    pub processed_events_days: u64,
    /// Outbox rows published this long ago are purged (refused ones stay for an operator).
    pub outbox_published_days: u64,
    /// Attempt logs of sub-orders that ended (delivered, completed, canceled, refunded,
    /// rejected) this long ago are purged; failed sub-orders keep theirs for an operator.
    pub finished_attempts_days: u64,
}

impl Default for SweeperConfig {
    fn default() -> Self {
        Self {
            vending_unpaid_expiry_secs: 20 * 60,
            dujiao_poll_ladder_secs: vec![30, 30, 60, 60, 120, 120, 300, 300, 600],
            dujiao_poll_every_secs: 30 * 60,
            dujiao_stuck_after_secs: DAY_SECS,
            retention_period_secs: 600,
            retention_batch: 1_000,
            retention_pause_ms: 20,
            ingress_dedupe_days: 7,
            processed_events_days: 30,
            outbox_published_days: 1,
            finished_attempts_days: 90,
        }
    }
}

impl SweeperConfig {
    /// Checks the values once, at start-up.
    pub fn validate(&self) -> Result<(), WorkersConfigError> {
        let invalid = |key, problem| Err(WorkersConfigError { key, problem });
        if self.retention_batch <= 0 || self.retention_period_secs == 0 {
            return invalid(
                "sweeper.retention_batch / retention_period_secs",
                "must be positive",
            );
        }
        if self.dujiao_poll_every_secs == 0 {
            return invalid("sweeper.dujiao_poll_every_secs", "must be positive");
        }
        let longest_topic = catalogue::ALL
            .iter()
            .map(|topic| topic.retention)
            .chain([catalogue::DEAD_LETTER_RETENTION])
            .max()
            .unwrap_or_default();
        if Duration::from_secs(self.processed_events_days * DAY_SECS) < longest_topic {
            return invalid(
                "sweeper.processed_events_days",
                "must be at least the longest topic retention (30 days)",
            );
        }
        Ok(())
    }

    /// The delay before fallback poll number `poll` (0 = the first, after acceptance).
    pub fn dujiao_poll_delay(&self, poll: usize) -> Duration {
        let secs = self
            .dujiao_poll_ladder_secs
            .get(poll)
            .copied()
            .unwrap_or(self.dujiao_poll_every_secs);
        Duration::from_secs(secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_poll_ladder_then_every_half_hour() {
        let config = SweeperConfig::default();
        let delays: Vec<u64> = (0..11)
            .map(|n| config.dujiao_poll_delay(n).as_secs())
            .collect();
        assert_eq!(
            delays,
            [30, 30, 60, 60, 120, 120, 300, 300, 600, 1800, 1800]
        );
        config.validate().unwrap();
    }

    #[test]
    fn consumer_dedupe_outlives_every_topic() {
        let short = SweeperConfig {
            processed_events_days: 7,
            ..SweeperConfig::default()
        };
        assert_eq!(
            short.validate().unwrap_err().key,
            "sweeper.processed_events_days"
        );
        let no_batch = SweeperConfig {
            retention_batch: 0,
            ..SweeperConfig::default()
        };
        assert!(no_batch.validate().is_err());
    }
}
