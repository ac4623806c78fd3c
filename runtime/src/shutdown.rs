//! One shutdown root for the whole process.
//!
//! Every long-lived task is spawned on the root's [`TaskTracker`] and watches its
//! [`CancellationToken`]. The first SIGTERM or SIGINT cancels the token: listeners stop accepting,
//! consumers stop fetching, finish in-flight work and store their offsets. [`ShutdownRoot::drain`]
//! then waits for every task up to a grace period (keep it below the Kubernetes
//! `terminationGracePeriodSeconds`). A second signal exits the process at once.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Exit code used when a second signal forces an immediate exit.
pub const FORCED_EXIT_CODE: i32 = 130;

/// The token and task tracker every task of the process hangs off.
#[derive(Clone, Default)]
pub struct ShutdownRoot {
    token: CancellationToken,
    tracker: TaskTracker,
}

/// How a drain ended.
#[derive(Debug, PartialEq, Eq)]
pub enum DrainOutcome {
    /// Every task finished within the grace period.
    Clean,
    /// Some tasks were still running when the grace period ran out.
    TimedOut {
        /// Tasks still running.
        remaining: usize,
    },
}

impl ShutdownRoot {
    /// A fresh root with nothing spawned.
    pub fn new() -> Self {
        Self::default()
    }

    /// The token tasks watch; cancelled when shutdown begins.
    pub fn token(&self) -> CancellationToken {
        self.token.clone()
    }

    /// Whether shutdown has begun.
    pub fn is_shutting_down(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Begins shutdown (what the first signal does).
    pub fn trigger(&self) {
        self.token.cancel();
    }

    /// Spawns a task that is waited for by [`Self::drain`].
    pub fn spawn<F>(&self, task: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.tracker.spawn(task)
    }

    /// Installs the SIGTERM/SIGINT handler: the first signal begins shutdown, the second exits.
    pub fn listen_for_signals(&self) {
        let token = self.token.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutdown requested: draining (send the signal again to exit at once)");
            token.cancel();
            wait_for_signal().await;
            tracing::warn!("second signal: exiting without draining");
            std::process::exit(FORCED_EXIT_CODE);
        });
    }

    /// Begins shutdown if needed and waits for every spawned task, at most `grace`.
    pub async fn drain(&self, grace: Duration) -> DrainOutcome {
        self.token.cancel();
        self.tracker.close();
        match tokio::time::timeout(grace, self.tracker.wait()).await {
            Ok(()) => DrainOutcome::Clean,
            Err(_) => DrainOutcome::TimedOut {
                remaining: self.tracker.len(),
            },
        }
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => {
                // Without signal handlers the process can still be stopped with SIGKILL; wait
                // for ctrl-c as the portable fallback.
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use super::*;

    #[tokio::test]
    async fn drain_waits_for_in_flight_work_to_finish() {
        let root = ShutdownRoot::new();
        let finished = Arc::new(AtomicBool::new(false));
        let token = root.token();
        let flag = finished.clone();
        root.spawn(async move {
            token.cancelled().await;
            // In-flight work that takes a moment after shutdown begins.
            tokio::time::sleep(Duration::from_millis(100)).await;
            flag.store(true, Ordering::SeqCst);
        });
        assert_eq!(
            root.drain(Duration::from_secs(5)).await,
            DrainOutcome::Clean
        );
        assert!(
            finished.load(Ordering::SeqCst),
            "task finished before drain returned"
        );
    }

    #[tokio::test]
    async fn drain_gives_up_after_the_grace_period() {
        let root = ShutdownRoot::new();
        root.spawn(async {
            // A task that ignores cancellation.
            tokio::time::sleep(Duration::from_secs(3600)).await;
        });
        let outcome = root.drain(Duration::from_millis(50)).await;
        assert_eq!(outcome, DrainOutcome::TimedOut { remaining: 1 });
    }
}
