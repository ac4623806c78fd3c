//! Requesting a run: the run row and its scheduled task, in one transaction.
//!
//! Contract: idempotent per (connection, period, type): a second request returns the first run
//! (`Inserted::Existing`) and schedules nothing new while it is pending or running. Callers check
//! that the period is not empty (the table refuses one); an unknown connection is `NotFound`.

use chrono::Utc;
use sqlx::PgPool;
use switchyard_store::reconciliation::{self, NewRun, Run, RunStatus};
use switchyard_store::{scheduled_tasks, Inserted, StoreError};

/// The `job` of the runs' scheduled tasks (keyed by run id).
pub const RUN_JOB: &str = "reconciliation-run";

/// Stores the run (or finds it) and makes sure a replica will execute it.
pub async fn request_run(pool: &PgPool, new: &NewRun) -> Result<Inserted<Run>, StoreError> {
    let mut tx = pool.begin().await?;
    let run = reconciliation::request(&mut tx, new).await?;
    let row = match &run {
        Inserted::Created(row) | Inserted::Existing(row) => row,
    };
    if matches!(row.status, RunStatus::Pending | RunStatus::Running) {
        scheduled_tasks::ensure(&mut *tx, RUN_JOB, &row.id.to_string(), Utc::now()).await?;
    }
    tx.commit().await?;
    if let Inserted::Created(row) = &run {
        tracing::info!(run_id = row.id, connection_id = row.connection_id, run_type = %row.run_type, "reconciliation run requested");
    }
    Ok(run)
}
