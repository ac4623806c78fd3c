//! The loop of a [`TaskJob`]: claim due rows, run them concurrently, record each outcome.
//!
//! While a batch runs, its leases are renewed every third of the lease, so a row is never claimed
//! by another process while its holder is alive, however long a run takes; only a dead holder's
//! rows come back (then a run may repeat: jobs are idempotent). A failed run is retried after a
//! backoff that doubles with the row's attempts (one tick, capped at 64 ticks).

use std::sync::Arc;

use chrono::Utc;
use switchyard_store::scheduled_tasks::{self, ClaimedTask};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use uuid::Uuid;

use super::{pause, Scheduler, TaskJob, TaskOutcome};

/// Runs until `shutdown`.
pub(super) async fn run(scheduler: Scheduler, job: Arc<dyn TaskJob>, shutdown: CancellationToken) {
    let settings = scheduler.settings;
    loop {
        let claimed =
            scheduled_tasks::claim_due(&scheduler.pool, job.name(), settings.batch, settings.lease)
                .await;
        let full = match claimed {
            Ok(tasks) => {
                let full = i64::try_from(tasks.len()).unwrap_or(i64::MAX) >= settings.batch;
                let leases: Vec<Uuid> = tasks.iter().map(|task| task.lease_id).collect();
                let mut runs = JoinSet::new();
                for task in tasks {
                    runs.spawn(run_one(scheduler.clone(), Arc::clone(&job), task));
                }
                let mut renew = tokio::time::interval(settings.lease / 3);
                renew.tick().await;
                loop {
                    tokio::select! {
                        next = runs.join_next() => if next.is_none() { break },
                        _ = renew.tick() => {
                            let renewed =
                                scheduled_tasks::extend_leases(&scheduler.pool, &leases, settings.lease).await;
                            if let Err(error) = renewed {
                                tracing::warn!(job = job.name(), %error, "renewing task leases");
                            }
                        }
                    }
                }
                full
            }
            Err(error) => {
                tracing::warn!(job = job.name(), %error, "claiming due tasks");
                false
            }
        };
        // A full batch means more may be due: look again at once.
        if shutdown.is_cancelled() || (!full && !pause(settings.tick, &shutdown).await) {
            return;
        }
    }
}

async fn run_one(scheduler: Scheduler, job: Arc<dyn TaskJob>, task: ClaimedTask) {
    let name = job.name();
    let outcome = job.run(task.clone()).await;
    let pool = &scheduler.pool;
    let recorded = match &outcome {
        Ok(TaskOutcome::Done) => scheduled_tasks::finish(pool, &task).await,
        Ok(TaskOutcome::Again { at, payload }) => {
            scheduled_tasks::reschedule_claimed(pool, &task, *at, payload).await
        }
        Err(error) => {
            let ticks = 1u32 << task.attempts.clamp(1, 7).saturating_sub(1);
            let delay = scheduler.settings.tick * ticks;
            let retry_at = Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
            tracing::warn!(job = name, task = %task.task_key, attempts = task.attempts, %error, "scheduled task failed");
            scheduled_tasks::fail(pool, &task, &error.0, retry_at).await
        }
    };
    let label = match (&outcome, &recorded) {
        (_, Ok(false)) => "lost",
        (_, Err(_)) => "unrecorded",
        (Ok(TaskOutcome::Done), Ok(true)) => "ok",
        (Ok(TaskOutcome::Again { .. }), Ok(true)) => "again",
        (Err(_), Ok(true)) => "failed",
    };
    if let Err(error) = recorded {
        // The lease ends and the task runs again: at-least-once.
        tracing::warn!(job = name, task = %task.task_key, %error, "recording a task's outcome");
    }
    scheduler.metrics.count(name, label);
}
