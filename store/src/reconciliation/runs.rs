//! `reconciliation_runs`: requesting, claiming progress and finishing a run.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::{RequestedBy, RunPhase, RunStatus, RunType};
use crate::error::{StoreError, StoreResult};
use crate::Inserted;

/// A stored run (serialised as the operator API shows it).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct Run {
    /// Run id.
    pub id: i64,
    /// The partner connection reconciled.
    pub connection_id: i64,
    /// Period start (inclusive).
    pub period_start: DateTime<Utc>,
    /// Period end (exclusive).
    pub period_end: DateTime<Utc>,
    /// What is compared.
    pub run_type: RunType,
    /// Where it is.
    pub status: RunStatus,
    /// Who asked.
    pub requested_by: RequestedBy,
    /// Which part comes next.
    pub phase: RunPhase,
    /// Our procurements in the period (known once started).
    pub total_count: i32,
    /// Procurements compared with the partner so far.
    pub checked_count: i32,
    /// Of those, the ones that agree.
    pub matched_count: i32,
    /// Discrepancies recorded so far (every kind).
    pub mismatch_count: i32,
    /// Procurements not compared (never placed, or a partner without a query).
    pub skipped_count: i32,
    /// Partner orders listed so far (missing_local).
    pub remote_listed_count: i32,
    /// Last procurement handled (resume point).
    pub cursor_procurement_id: Option<Uuid>,
    /// Partner list pages handled (resume point).
    pub cursor_remote_page: i32,
    /// What could not be checked, and why.
    pub note: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// When it was requested.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "id, connection_id, period_start, period_end, run_type, status, requested_by, \
                       phase, total_count, checked_count, matched_count, mismatch_count, \
                       skipped_count, remote_listed_count, cursor_procurement_id, \
                       cursor_remote_page, note, error, started_at, finished_at, updated_at";

/// A run to request.
#[derive(Debug, Clone, Copy)]
pub struct NewRun {
    /// The connection.
    pub connection_id: i64,
    /// Period start (inclusive).
    pub period_start: DateTime<Utc>,
    /// Period end (exclusive).
    pub period_end: DateTime<Utc>,
    /// What to compare.
    pub run_type: RunType,
    /// Who asks.
    pub requested_by: RequestedBy,
}

/// Filters of the operator list; unset fields match everything.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    /// Only this connection.
    pub connection_id: Option<i64>,
    /// Only this status.
    pub status: Option<RunStatus>,
    /// At most this many, newest first.
    pub limit: i64,
}

/// What one page of a run adds to its counters, and where the run stands after it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    /// Procurements compared.
    pub checked: i32,
    /// Of those, agreeing.
    pub matched: i32,
    /// Discrepancies newly recorded.
    pub mismatched: i32,
    /// Procurements not compared.
    pub skipped: i32,
    /// Partner orders listed.
    pub listed: i32,
    /// The phase after this page.
    pub phase: Option<RunPhase>,
    /// The last procurement handled (local phase).
    pub cursor_procurement_id: Option<Uuid>,
    /// Partner pages handled (remote phase).
    pub cursor_remote_page: Option<i32>,
}

/// Stores the run, or returns the one with the same connection, period and type.
pub async fn request(conn: &mut PgConnection, new: &NewRun) -> StoreResult<Inserted<Run>> {
    let created = sqlx::query_as::<_, Run>(&format!(
        "INSERT INTO reconciliation_runs (connection_id, period_start, period_end, run_type, requested_by)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT ON CONSTRAINT reconciliation_runs_once DO NOTHING
         RETURNING {COLUMNS}"
    ))
    .bind(new.connection_id)
    .bind(new.period_start)
    .bind(new.period_end)
    .bind(new.run_type)
    .bind(new.requested_by)
    .fetch_optional(&mut *conn)
    .await
    .map_err(|error| match error {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            StoreError::NotFound("connection")
        }
        other => other.into(),
    })?;
    if let Some(run) = created {
        return Ok(Inserted::Created(run));
    }
    let existing = sqlx::query_as::<_, Run>(&format!(
        "SELECT {COLUMNS} FROM reconciliation_runs
         WHERE connection_id = $1 AND period_start = $2 AND period_end = $3 AND run_type = $4"
    ))
    .bind(new.connection_id)
    .bind(new.period_start)
    .bind(new.period_end)
    .bind(new.run_type)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Inserted::Existing(existing))
}

/// The run `id`.
pub async fn get(db: impl PgExecutor<'_>, id: i64) -> StoreResult<Option<Run>> {
    let run = sqlx::query_as::<_, Run>(&format!(
        "SELECT {COLUMNS} FROM reconciliation_runs WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await?;
    Ok(run)
}

/// Runs matching `filter`, newest first.
pub async fn list(db: impl PgExecutor<'_>, filter: &RunFilter) -> StoreResult<Vec<Run>> {
    let limit = if filter.limit <= 0 { 100 } else { filter.limit };
    let runs = sqlx::query_as::<_, Run>(&format!(
        "SELECT {COLUMNS} FROM reconciliation_runs
         WHERE ($1::bigint IS NULL OR connection_id = $1) AND ($2::text IS NULL OR status = $2)
         ORDER BY id DESC LIMIT $3"
    ))
    .bind(filter.connection_id)
    .bind(filter.status.map(|status| status.as_str()))
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(runs)
}

/// Marks a pending run running with its scope's size; a running one is left as it is (resumed).
pub async fn start(db: impl PgExecutor<'_>, id: i64, total: i32) -> StoreResult<Option<Run>> {
    let run = sqlx::query_as::<_, Run>(&format!(
        "UPDATE reconciliation_runs
         SET status = 'running', total_count = CASE WHEN status = 'pending' THEN $2 ELSE total_count END
         WHERE id = $1 AND status IN ('pending', 'running')
         RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(total)
    .fetch_optional(db)
    .await?;
    Ok(run)
}

/// Adds one page's counts and moves the cursor (in the page's transaction).
pub async fn advance(db: impl PgExecutor<'_>, id: i64, progress: &Progress) -> StoreResult<()> {
    sqlx::query(
        "UPDATE reconciliation_runs
         SET checked_count = checked_count + $2, matched_count = matched_count + $3,
             mismatch_count = mismatch_count + $4, skipped_count = skipped_count + $5,
             remote_listed_count = remote_listed_count + $6,
             phase = coalesce($7, phase),
             cursor_procurement_id = coalesce($8, cursor_procurement_id),
             cursor_remote_page = coalesce($9, cursor_remote_page)
         WHERE id = $1",
    )
    .bind(id)
    .bind(progress.checked)
    .bind(progress.matched)
    .bind(progress.mismatched)
    .bind(progress.skipped)
    .bind(progress.listed)
    .bind(progress.phase.map(|phase| phase.as_str()))
    .bind(progress.cursor_procurement_id)
    .bind(progress.cursor_remote_page)
    .execute(db)
    .await?;
    Ok(())
}

/// Completes the run, keeping what it could not check in `note`.
pub async fn finish(db: impl PgExecutor<'_>, id: i64, note: Option<&str>) -> StoreResult<()> {
    sqlx::query(
        "UPDATE reconciliation_runs
         SET status = 'completed', phase = 'done', note = $2, finished_at = now()
         WHERE id = $1 AND status = 'running'",
    )
    .bind(id)
    .bind(note)
    .execute(db)
    .await?;
    Ok(())
}

/// Stops the run for good with its reason (no secrets or personal data).
pub async fn fail(db: impl PgExecutor<'_>, id: i64, error: &str) -> StoreResult<()> {
    sqlx::query(
        "UPDATE reconciliation_runs SET status = 'failed', error = $2, finished_at = now()
         WHERE id = $1 AND status IN ('pending', 'running')",
    )
    .bind(id)
    .bind(error)
    .execute(db)
    .await?;
    Ok(())
}
