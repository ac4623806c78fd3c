//! The live progress line on stderr, once a second during a run.
//!
//! Contract: purely informational; it reads the recorder's counters and the latency of the last
//! second, never the totals, and stops (with a final newline) when the run ends. On a terminal the
//! line rewrites itself; otherwise (CI logs) each second gets its own line.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::recorder::{ProgressSample, Recorder};
use crate::schedule::RateSchedule;

/// A running progress printer.
#[derive(Debug)]
pub struct Progress {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Progress {
    /// Starts printing for a run that begins at `start`.
    pub fn spawn(
        label: String,
        recorder: Arc<Recorder>,
        schedule: RateSchedule,
        start: Instant,
    ) -> Self {
        let (stop, mut stopped) = oneshot::channel();
        let task = tokio::spawn(async move {
            let terminal = std::io::stderr().is_terminal();
            let mut ticker = tokio::time::interval_at(
                (start + Duration::from_secs(1)).into(),
                Duration::from_secs(1),
            );
            let mut previous = (0u64, 0u64);
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    _ = ticker.tick() => {}
                }
                let sample = recorder.sample();
                let line = progress_line(&label, &schedule, start.elapsed(), &sample, previous);
                previous = (sample.sent, sample.completed);
                let mut stderr = std::io::stderr().lock();
                let _ = if terminal {
                    write!(stderr, "\r{line}\x1b[K")
                } else {
                    writeln!(stderr, "{line}")
                };
                let _ = stderr.flush();
            }
            if terminal {
                let _ = writeln!(std::io::stderr());
            }
        });
        Self { stop, task }
    }

    /// Stops the printer and waits for it.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// One progress line: elapsed, rates over the last second, in flight, failures, last-second p99.
pub fn progress_line(
    label: &str,
    schedule: &RateSchedule,
    elapsed: Duration,
    sample: &ProgressSample,
    previous: (u64, u64),
) -> String {
    let total = (schedule.warmup() + schedule.duration()).as_secs();
    let p99 = if sample.interval.is_empty() {
        "-".to_string()
    } else {
        format!(
            "{:.1}ms",
            sample.interval.value_at_quantile(0.99) as f64 / 1000.0
        )
    };
    format!(
        "[{label}] {:>3}/{total}s  target {:.0}/s  sent {}/s  done {}/s  in-flight {}  failed {}  p99(1s) {p99}",
        elapsed.as_secs(),
        schedule.rate(),
        sample.sent.saturating_sub(previous.0),
        sample.completed.saturating_sub(previous.1),
        sample.sent.saturating_sub(sample.completed),
        sample.failures,
    )
}
