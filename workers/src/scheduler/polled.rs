//! The loop of a [`PolledJob`]: a round every period, or at once when the job's wakeup fires.

use std::sync::Arc;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::{PolledJob, Scheduler};

/// Runs until `shutdown`; the round under way finishes first.
pub(super) async fn run(
    scheduler: Scheduler,
    job: Arc<dyn PolledJob>,
    shutdown: CancellationToken,
) {
    let name = job.name();
    // A job without a wakeup waits on a notifier nobody fires.
    let idle = Notify::new();
    let wakeup = job.wakeup().unwrap_or(&idle);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = wakeup.notified() => {}
            () = tokio::time::sleep(job.period()) => {}
        }
        let outcome = job.run().await;
        if let Err(error) = &outcome {
            tracing::warn!(job = name, %error, "polled job failed");
        }
        scheduler
            .metrics
            .count(name, if outcome.is_ok() { "ok" } else { "failed" });
    }
}
