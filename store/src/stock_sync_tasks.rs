//! The stock-syncer's scheduled tasks: one row of `scheduled_tasks` per connection and job.
//!
//! Contract: [`plan`] creates the task of every active connection that has something to sync
//! (a Dujiao-Next upstream or a WDT connection with product mappings; a D-Store connection whose
//! settings name its store, `pos_account_id` and `pos_store_id`) and leaves existing ones alone;
//! it is idempotent and safe on every replica. A run
//! persists its cursor with [`save_cursor`] in the transaction of the page it applied, under its
//! lease, so a process that dies resumes from the last committed page. [`request_sync`] makes a
//! connection's tasks due now (operator "sync now"), creating them when missing.

use sqlx::PgExecutor;
use uuid::Uuid;

use crate::error::{StoreError, StoreResult};

/// Catalog and stock pull of a Dujiao-Next upstream (task key: connection id).
pub const DUJIAO_CATALOG_JOB: &str = "dujiao-catalog";
/// Stock pull of a WDT connection (task key: connection id).
pub const WDT_STOCK_JOB: &str = "wdt-stock";
/// Catalog push (`syncProduct`) to a D-Store connection's store (task key: connection id).
pub const DSTORE_CATALOG_JOB: &str = "dstore-catalog";

const PLAN: &str = "
    SELECT c.id, CASE c.kind WHEN 'dujiao_upstream' THEN $1 ELSE $2 END
    FROM partner_connections c
    WHERE c.status = 'active' AND c.kind IN ('dujiao_upstream', 'qimen_wdt')
      AND EXISTS (SELECT 1 FROM product_mappings m WHERE m.connection_id = c.id)
    UNION ALL
    SELECT c.id, $3
    FROM partner_connections c
    WHERE c.status = 'active' AND c.kind = 'dstore'
      AND coalesce(c.settings->>'pos_store_id', '') <> ''
      AND coalesce(c.settings->>'pos_account_id', '') <> ''";

/// Creates the missing tasks, due now; returns how many were created.
pub async fn plan(db: impl PgExecutor<'_>) -> StoreResult<u64> {
    let done = sqlx::query(&format!(
        "INSERT INTO scheduled_tasks (job, task_key, due_at)
         SELECT job, id::text, now() FROM ({PLAN}) AS planned(id, job)
         ON CONFLICT (job, task_key) DO NOTHING"
    ))
    .bind(DUJIAO_CATALOG_JOB)
    .bind(WDT_STOCK_JOB)
    .bind(DSTORE_CATALOG_JOB)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Makes the stock-sync task of `connection_id` due now (created if missing); returns its job.
/// With `full`, the next pass is a full one (the payload's `next_full_at` is dropped: a Dujiao
/// whole-catalog pass, a WDT `wdt.stock.query` refresh, a D-Store full catalog replace; without
/// it a D-Store push sends what changed since its last pass). A run under
/// way finishes first; the next one starts at once. `NotFound` for an unknown connection,
/// `Constraint` for a kind that has nothing to sync.
pub async fn request_sync(
    db: impl PgExecutor<'_>,
    connection_id: i64,
    full: bool,
) -> StoreResult<String> {
    let job: Option<Option<String>> = sqlx::query_scalar(
        "WITH c AS (SELECT id, CASE kind WHEN 'dujiao_upstream' THEN $2 WHEN 'qimen_wdt' THEN $4
                                         WHEN 'dstore' THEN $5 END AS job
                    FROM partner_connections WHERE id = $1),
              up AS (INSERT INTO scheduled_tasks (job, task_key, due_at)
                     SELECT job, id::text, now() FROM c WHERE job IS NOT NULL
                     ON CONFLICT (job, task_key) DO UPDATE SET due_at = now(),
                         payload = CASE WHEN $3 THEN scheduled_tasks.payload - 'next_full_at'
                                        ELSE scheduled_tasks.payload END)
         SELECT job FROM c",
    )
    .bind(connection_id)
    .bind(DUJIAO_CATALOG_JOB)
    .bind(full)
    .bind(WDT_STOCK_JOB)
    .bind(DSTORE_CATALOG_JOB)
    .fetch_optional(db)
    .await?;
    match job {
        None => Err(StoreError::NotFound("connection")),
        Some(None) => Err(StoreError::Constraint {
            constraint: "connection kind has no stock sync".into(),
        }),
        Some(Some(job)) => Ok(job),
    }
}

/// Stores `cursor` as the payload of the task leased as `lease_id`; false when the lease was
/// lost (then the caller must not commit the page).
pub async fn save_cursor(
    db: impl PgExecutor<'_>,
    lease_id: Uuid,
    cursor: &serde_json::Value,
) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE scheduled_tasks SET payload = $2 WHERE lease_id = $1")
        .bind(lease_id)
        .bind(cursor)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// What [`save_cursor_keeping_requests`] stored.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedCursor {
    /// An operator made the task due again while it ran ([`request_sync`]).
    pub asked: bool,
    /// The payload as stored.
    pub payload: serde_json::Value,
}

/// Like [`save_cursor`], keeping an operator's request made while the run holds the task: when
/// the task was made due again since it was claimed (its `due_at` is no longer
/// `claimed_due_at`) and its payload has no `next_full_at` (a full sync was asked for),
/// `cursor` is stored without `next_full_at` too, so the next pass is a full one. `None` when
/// the lease was lost.
pub async fn save_cursor_keeping_requests(
    db: impl PgExecutor<'_>,
    lease_id: Uuid,
    claimed_due_at: chrono::DateTime<chrono::Utc>,
    cursor: &serde_json::Value,
) -> StoreResult<Option<SavedCursor>> {
    let saved: Option<(bool, serde_json::Value)> = sqlx::query_as(
        "UPDATE scheduled_tasks
            SET payload = CASE WHEN due_at <> $3 AND NOT (payload ? 'next_full_at')
                               THEN $2::jsonb - 'next_full_at' ELSE $2::jsonb END
          WHERE lease_id = $1
         RETURNING due_at <> $3, payload",
    )
    .bind(lease_id)
    .bind(cursor)
    .bind(claimed_due_at)
    .fetch_optional(db)
    .await?;
    Ok(saved.map(|(asked, payload)| SavedCursor { asked, payload }))
}
