//! The open-loop constant-rate schedule.
//!
//! Contract: request `n` is due `n / rate` seconds after the start, whatever happened to the
//! requests before it. The runner sends each request at its due time (or as soon after as it can)
//! and measures its latency *from the due time*, so a server that stalls cannot hide the stall by
//! slowing the client down (no coordinated omission). The first `warmup` of the schedule is sent
//! but not recorded.

use std::time::Duration;

/// Why a schedule could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScheduleError {
    /// The rate must be a positive, finite number of requests per second.
    #[error("rate must be positive and finite, got {0}")]
    InvalidRate(f64),
    /// A run must measure something.
    #[error("duration must be positive")]
    EmptyDuration,
}

/// When each request of a run is due.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateSchedule {
    rate: f64,
    warmup: Duration,
    duration: Duration,
}

impl RateSchedule {
    /// `rate` requests per second for `warmup + duration`; only `duration` is measured.
    pub fn new(rate: f64, warmup: Duration, duration: Duration) -> Result<Self, ScheduleError> {
        if !(rate.is_finite() && rate > 0.0) {
            return Err(ScheduleError::InvalidRate(rate));
        }
        if duration.is_zero() {
            return Err(ScheduleError::EmptyDuration);
        }
        Ok(Self {
            rate,
            warmup,
            duration,
        })
    }

    /// Target rate, requests per second.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// The measured part of the run.
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// The unmeasured lead-in.
    pub fn warmup(&self) -> Duration {
        self.warmup
    }

    /// How many requests the whole schedule (warm-up included) sends.
    pub fn total_requests(&self) -> u64 {
        // Rounded up so that a slow fractional rate still sends the request due at the start.
        ((self.warmup + self.duration).as_secs_f64() * self.rate).ceil() as u64
    }

    /// How many requests fall in the warm-up.
    pub fn warmup_requests(&self) -> u64 {
        (self.warmup.as_secs_f64() * self.rate).ceil() as u64
    }

    /// How many requests are measured.
    pub fn measured_requests(&self) -> u64 {
        self.total_requests() - self.warmup_requests()
    }

    /// When request `seq` is due, relative to the start of the schedule.
    pub fn due(&self, seq: u64) -> Duration {
        Duration::from_secs_f64(seq as f64 / self.rate)
    }

    /// Whether request `seq` belongs to the warm-up (sent, not recorded).
    pub fn is_warmup(&self, seq: u64) -> bool {
        seq < self.warmup_requests()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_evenly_spaced_from_the_start() {
        let schedule =
            RateSchedule::new(200.0, Duration::ZERO, Duration::from_secs(3)).expect("valid");
        assert_eq!(schedule.total_requests(), 600);
        assert_eq!(schedule.due(0), Duration::ZERO);
        assert_eq!(schedule.due(1), Duration::from_millis(5));
        assert_eq!(schedule.due(599), Duration::from_millis(2995));
    }

    #[test]
    fn warmup_is_sent_but_not_measured() {
        let schedule =
            RateSchedule::new(100.0, Duration::from_secs(1), Duration::from_secs(2)).expect("ok");
        assert_eq!(schedule.total_requests(), 300);
        assert_eq!(schedule.warmup_requests(), 100);
        assert_eq!(schedule.measured_requests(), 200);
        assert!(schedule.is_warmup(99));
        assert!(!schedule.is_warmup(100));
    }

    #[test]
    fn fractional_rates_round_up_to_whole_requests() {
        let schedule =
            RateSchedule::new(0.5, Duration::ZERO, Duration::from_secs(3)).expect("valid");
        assert_eq!(schedule.total_requests(), 2);
        assert_eq!(schedule.due(1), Duration::from_secs(2));
    }

    #[test]
    fn nonsense_rates_and_empty_runs_are_refused() {
        for rate in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(RateSchedule::new(rate, Duration::ZERO, Duration::from_secs(1)).is_err());
        }
        assert_eq!(
            RateSchedule::new(1.0, Duration::ZERO, Duration::ZERO),
            Err(ScheduleError::EmptyDuration)
        );
    }
}
