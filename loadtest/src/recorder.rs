//! Collects the latency and outcome of every request of one run.
//!
//! Contract: latencies are recorded in microseconds into HdrHistograms (1 µs … 1 h, 3 significant
//! digits) measured from each request's *due* time. Warm-up requests update only the live
//! progress counters, never the totals. Recording never fails: values past the histogram's range
//! are clamped to its maximum.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::outcome::{FaultKind, Outcome};

/// Largest latency a histogram holds: one hour, in microseconds.
const MAX_MICROS: u64 = 3_600_000_000;

/// A latency histogram with the harness's bounds.
pub fn new_histogram() -> Histogram<u64> {
    match Histogram::new_with_bounds(1, MAX_MICROS, 3) {
        Ok(histogram) => histogram,
        // The bounds are constants that satisfy the crate's rules (low ≥ 1, high ≥ 2·low,
        // 3 significant digits), so construction cannot fail.
        Err(_) => unreachable!("constant histogram bounds are valid"),
    }
}

/// Records `latency` (clamped to the histogram's range).
pub fn record_latency(histogram: &mut Histogram<u64>, latency: Duration) {
    let micros = u64::try_from(latency.as_micros()).unwrap_or(MAX_MICROS);
    histogram.saturating_record(micros.clamp(1, MAX_MICROS));
}

/// Totals of the measured part of a run.
#[derive(Debug, Clone)]
pub struct Totals {
    /// Latency of every measured request, answered or not (µs).
    pub latency: Histogram<u64>,
    /// Latency of shed answers only (µs).
    pub shed_latency: Histogram<u64>,
    /// Fresh requests acknowledged.
    pub acked: u64,
    /// Overload answers.
    pub shed: u64,
    /// Injected faults sent, by kind.
    pub faults_sent: BTreeMap<FaultKind, u64>,
    /// Injected faults answered correctly, by kind.
    pub faults_handled: BTreeMap<FaultKind, u64>,
    /// Injected faults shed before they were checked (overload answers), by kind.
    pub faults_shed: BTreeMap<FaultKind, u64>,
    /// Errors by class key.
    pub errors: BTreeMap<String, u64>,
    /// Measured requests completed (any outcome).
    pub completed: u64,
    /// When the last measured request completed.
    pub last_completion: Option<Instant>,
    /// Requests the harness itself sent more than [`LATE_SEND`] after their due time.
    pub late_sends: u64,
    /// Worst gap between due time and actual send.
    pub max_send_lag: Duration,
}

/// A send this late is the harness's fault (generator or dispatcher behind), and is reported.
pub const LATE_SEND: Duration = Duration::from_millis(10);

impl Default for Totals {
    fn default() -> Self {
        Self {
            latency: new_histogram(),
            shed_latency: new_histogram(),
            acked: 0,
            shed: 0,
            faults_sent: BTreeMap::new(),
            faults_handled: BTreeMap::new(),
            faults_shed: BTreeMap::new(),
            errors: BTreeMap::new(),
            completed: 0,
            last_completion: None,
            late_sends: 0,
            max_send_lag: Duration::ZERO,
        }
    }
}

impl Totals {
    /// Errors of every class, shed answers excluded.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// A progress sample: counts since the start and the latency of the last interval.
#[derive(Debug, Clone)]
pub struct ProgressSample {
    /// Requests sent so far (warm-up included).
    pub sent: u64,
    /// Requests completed so far.
    pub completed: u64,
    /// Failed or shed so far.
    pub failures: u64,
    /// Latency of requests completed since the previous sample (µs).
    pub interval: Histogram<u64>,
}

/// Thread-safe recorder shared by every in-flight request of a run.
#[derive(Debug)]
pub struct Recorder {
    totals: Mutex<Totals>,
    interval: Mutex<Histogram<u64>>,
    sent: AtomicU64,
    completed: AtomicU64,
    failures: AtomicU64,
}

impl Default for Recorder {
    fn default() -> Self {
        Self {
            totals: Mutex::new(Totals::default()),
            interval: Mutex::new(new_histogram()),
            sent: AtomicU64::new(0),
            completed: AtomicU64::new(0),
            failures: AtomicU64::new(0),
        }
    }
}

impl Recorder {
    /// Notes that a request left, `lag` after its due time.
    pub fn sent(&self, fault: Option<FaultKind>, lag: Duration, measured: bool) {
        self.sent.fetch_add(1, Ordering::Relaxed);
        if !measured {
            return;
        }
        let mut totals = lock(&self.totals);
        if let Some(kind) = fault {
            *totals.faults_sent.entry(kind).or_default() += 1;
        }
        if lag > LATE_SEND {
            totals.late_sends += 1;
        }
        totals.max_send_lag = totals.max_send_lag.max(lag);
    }

    /// Notes how a request (carrying `fault`, if injected) ended and how long after its due time.
    pub fn completed(
        &self,
        outcome: &Outcome,
        fault: Option<FaultKind>,
        latency: Duration,
        measured: bool,
    ) {
        self.completed.fetch_add(1, Ordering::Relaxed);
        if outcome.is_failure() {
            self.failures.fetch_add(1, Ordering::Relaxed);
        }
        record_latency(&mut lock(&self.interval), latency);
        if !measured {
            return;
        }
        let mut totals = lock(&self.totals);
        record_latency(&mut totals.latency, latency);
        totals.completed += 1;
        totals.last_completion = Some(Instant::now());
        match outcome {
            Outcome::Acked => totals.acked += 1,
            Outcome::FaultHandled(kind) => *totals.faults_handled.entry(*kind).or_default() += 1,
            Outcome::Shed => {
                totals.shed += 1;
                if let Some(kind) = fault {
                    *totals.faults_shed.entry(kind).or_default() += 1;
                }
                record_latency(&mut totals.shed_latency, latency);
            }
            Outcome::Error(class) => *totals.errors.entry(class.key()).or_default() += 1,
        }
    }

    /// Counters so far and the latency since the previous sample (which this call resets).
    pub fn sample(&self) -> ProgressSample {
        let interval = std::mem::replace(&mut *lock(&self.interval), new_histogram());
        ProgressSample {
            sent: self.sent.load(Ordering::Relaxed),
            completed: self.completed.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
            interval,
        }
    }

    /// A copy of the measured totals.
    pub fn totals(&self) -> Totals {
        lock(&self.totals).clone()
    }
}

/// Locks a mutex, recovering the data if a recording task panicked while holding it (the counts
/// stay usable; a panic elsewhere is reported by its task).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::ErrorClass;

    #[test]
    fn warmup_only_moves_the_live_counters() {
        let recorder = Recorder::default();
        recorder.sent(None, Duration::ZERO, false);
        recorder.completed(&Outcome::Acked, None, Duration::from_millis(3), false);
        let totals = recorder.totals();
        assert_eq!(totals.completed, 0);
        assert_eq!(totals.latency.len(), 0);
        let sample = recorder.sample();
        assert_eq!((sample.sent, sample.completed), (1, 1));
        assert_eq!(sample.interval.len(), 1);
        assert_eq!(
            recorder.sample().interval.len(),
            0,
            "a sample resets the interval"
        );
    }

    #[test]
    fn outcomes_are_counted_by_kind_and_class() {
        let recorder = Recorder::default();
        let ms = Duration::from_millis;
        recorder.sent(Some(FaultKind::Duplicate), ms(20), true);
        recorder.completed(&Outcome::Acked, None, ms(1), true);
        recorder.completed(
            &Outcome::FaultHandled(FaultKind::Duplicate),
            Some(FaultKind::Duplicate),
            ms(2),
            true,
        );
        recorder.completed(&Outcome::Shed, Some(FaultKind::Oversized), ms(3), true);
        recorder.completed(&Outcome::Error(ErrorClass::Status(500)), None, ms(4), true);
        recorder.completed(&Outcome::Error(ErrorClass::Timeout), None, ms(5), true);
        let totals = recorder.totals();
        assert_eq!(totals.completed, 5);
        assert_eq!(totals.acked, 1);
        assert_eq!(totals.shed, 1);
        assert_eq!(totals.shed_latency.len(), 1);
        assert_eq!(totals.faults_sent.get(&FaultKind::Duplicate), Some(&1));
        assert_eq!(totals.faults_handled.get(&FaultKind::Duplicate), Some(&1));
        assert_eq!(totals.faults_shed.get(&FaultKind::Oversized), Some(&1));
        assert_eq!(totals.errors.get("http_500"), Some(&1));
        assert_eq!(totals.errors.get("timeout"), Some(&1));
        assert_eq!(totals.error_count(), 2);
        assert_eq!(totals.late_sends, 1);
        assert_eq!(recorder.sample().failures, 3);
    }

    #[test]
    fn absurd_latencies_are_clamped_not_lost() {
        let mut histogram = new_histogram();
        record_latency(&mut histogram, Duration::from_secs(10 * 3600));
        record_latency(&mut histogram, Duration::ZERO);
        assert_eq!(histogram.len(), 2);
        assert!(histogram.max() >= MAX_MICROS - MAX_MICROS / 1000);
    }
}
