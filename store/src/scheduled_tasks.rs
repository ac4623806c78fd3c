//! Scheduled tasks: the rows behind the workers' shared scheduler (`scheduled_tasks`, migration
//! `0011_scheduled_tasks.sql`).
//!
//! Contract: a task is identified by (job, key); [`ensure`] creates it once (a periodic task then
//! keeps itself scheduled). [`claim_due`] leases up to `limit` due, unleased tasks of one job
//! with `FOR UPDATE SKIP LOCKED`, so concurrent claimers never get the same row; a lease that ends
//! (its holder died) makes the task claimable again. The holder then ends its run with exactly one
//! of [`finish`] (done: deleted), [`reschedule_claimed`]
//! (run again at a time) or [`fail`] (record the error, due again at a time). Each takes the lease
//! id, so a holder whose lease was taken over changes nothing. A holder whose runs outlast a
//! third of the lease renews it ([`extend_leases`]).

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::error::StoreResult;

/// A task leased to the caller.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ClaimedTask {
    /// The job it belongs to.
    pub job: String,
    /// Its key within the job (an order id, a connection id, …).
    pub task_key: String,
    /// The job's own data.
    pub payload: serde_json::Value,
    /// When it was due.
    pub due_at: DateTime<Utc>,
    /// Runs started so far, this one included.
    pub attempts: i32,
    /// The lease this run holds.
    pub lease_id: Uuid,
}

/// Creates task (job, key) due at `due_at` unless it exists (a periodic task that, once there,
/// keeps itself scheduled); true when it was created.
pub async fn ensure(
    executor: impl PgExecutor<'_>,
    job: &str,
    key: &str,
    due_at: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "insert into scheduled_tasks (job, task_key, due_at) values ($1, $2, $3)
         on conflict (job, task_key) do nothing",
    )
    .bind(job)
    .bind(key)
    .bind(due_at)
    .execute(executor)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Leases up to `limit` due tasks of `job` for `lease`, oldest due first, skipping rows that
/// another claimer is locking.
pub async fn claim_due(
    executor: impl PgExecutor<'_>,
    job: &str,
    limit: i64,
    lease: std::time::Duration,
) -> StoreResult<Vec<ClaimedTask>> {
    let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
    let rows = sqlx::query_as::<_, ClaimedTask>(
        "update scheduled_tasks t
            set lease_id = gen_random_uuid(),
                lease_until = now() + make_interval(secs => $3::double precision / 1000),
                attempts = t.attempts + 1
           from (select job, task_key from scheduled_tasks
                  where job = $1 and due_at <= now()
                    and (lease_until is null or lease_until < now())
                  order by due_at
                  limit $2
                  for update skip locked) due
          where t.job = due.job and t.task_key = due.task_key
      returning t.job, t.task_key, t.payload, t.due_at, t.attempts, t.lease_id",
    )
    .bind(job)
    .bind(limit)
    .bind(lease_ms)
    .fetch_all(executor)
    .await?;
    Ok(rows)
}

/// Extends the leases in `lease_ids` that are still held to `lease` from now (a live holder
/// renews while its runs take long, so no other process claims them).
pub async fn extend_leases(
    executor: impl PgExecutor<'_>,
    lease_ids: &[Uuid],
    lease: std::time::Duration,
) -> StoreResult<u64> {
    let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
    let done = sqlx::query(
        "update scheduled_tasks
            set lease_until = now() + make_interval(secs => $2::double precision / 1000)
          where lease_id = any($1)",
    )
    .bind(lease_ids)
    .bind(lease_ms)
    .execute(executor)
    .await?;
    Ok(done.rows_affected())
}

/// Ends a run successfully: the task is deleted. False when the lease was lost.
pub async fn finish(executor: impl PgExecutor<'_>, task: &ClaimedTask) -> StoreResult<bool> {
    let done = sqlx::query("delete from scheduled_tasks where lease_id = $1")
        .bind(task.lease_id)
        .execute(executor)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Ends a run that wants to run again at `due_at` (a periodic pull, the next poll of a ladder).
pub async fn reschedule_claimed(
    executor: impl PgExecutor<'_>,
    task: &ClaimedTask,
    due_at: DateTime<Utc>,
    payload: &serde_json::Value,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "update scheduled_tasks
            set due_at = $2, payload = $3, attempts = 0, last_error = null,
                lease_id = null, lease_until = null
          where lease_id = $1",
    )
    .bind(task.lease_id)
    .bind(due_at)
    .bind(payload)
    .execute(executor)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Ends a failed run: records `error` and makes the task due again at `retry_at`.
pub async fn fail(
    executor: impl PgExecutor<'_>,
    task: &ClaimedTask,
    error: &str,
    retry_at: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "update scheduled_tasks
            set due_at = $2, last_error = left($3, 500), lease_id = null, lease_until = null
          where lease_id = $1",
    )
    .bind(task.lease_id)
    .bind(retry_at)
    .bind(error)
    .execute(executor)
    .await?;
    Ok(done.rows_affected() > 0)
}
