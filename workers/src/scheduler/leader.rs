//! The loop of a [`LeaderJob`]: stand by until this process holds the job's advisory lock, then
//! run the job every period while the lock's session is alive.
//!
//! The lock is `pg_try_advisory_lock(7262, hashtext(name))`, taken on a session of its own
//! (detached from the pool, so it is never handed to other work). PostgreSQL releases it when that
//! session ends: a SIGKILLed holder's socket closes, its backend exits, and a standby gets the
//! lock at its next try, at most one lease later. A holder checks its session before every run;
//! a broken session means it is no longer the leader, and it stands by again.

use std::sync::Arc;

use sqlx::{Connection, PgConnection};
use tokio_util::sync::CancellationToken;

use super::{pause, LeaderJob, Scheduler};

/// The class id of the scheduler's advisory locks (the object id is the job name's hash).
const LOCK_CLASS: i32 = 7262;

/// Runs until `shutdown`.
pub(super) async fn run(
    scheduler: Scheduler,
    job: Arc<dyn LeaderJob>,
    shutdown: CancellationToken,
) {
    let name = job.name();
    loop {
        match try_lead(&scheduler, name).await {
            Ok(Some(session)) => {
                tracing::info!(job = name, "leading");
                lead(&scheduler, &*job, session, &shutdown).await;
                tracing::info!(job = name, "no longer leading");
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(job = name, %error, "trying to take a leader lock"),
        }
        if !pause(scheduler.settings.lease, &shutdown).await {
            return;
        }
    }
}

/// A session holding the job's lock, or `None` when another process holds it.
async fn try_lead(scheduler: &Scheduler, name: &str) -> Result<Option<PgConnection>, sqlx::Error> {
    let mut session = scheduler.pool.acquire().await?.detach();
    let (locked,): (bool,) = sqlx::query_as("select pg_try_advisory_lock($1, hashtext($2))")
        .bind(LOCK_CLASS)
        .bind(name)
        .fetch_one(&mut session)
        .await?;
    if locked {
        Ok(Some(session))
    } else {
        // Closing the session costs a round trip; a standby tries again only once a lease.
        let _ = session.close().await;
        Ok(None)
    }
}

/// Runs the job every period while `session` is alive and `shutdown` has not fired.
async fn lead(
    scheduler: &Scheduler,
    job: &dyn LeaderJob,
    mut session: PgConnection,
    shutdown: &CancellationToken,
) {
    let name = job.name();
    loop {
        if session.ping().await.is_err() {
            return;
        }
        let outcome = job.run().await;
        if let Err(error) = &outcome {
            tracing::warn!(job = name, %error, "leader job failed");
        }
        scheduler
            .metrics
            .count(name, if outcome.is_ok() { "ok" } else { "failed" });
        if !pause(job.period(), shutdown).await {
            // Closing the session releases the lock for a standby at once.
            let _ = session.close().await;
            return;
        }
    }
}
