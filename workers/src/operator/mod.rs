//! The operator API for procurement orders, mounted on the admin listener, and the functions
//! behind it.
//!
//! Contract: the routes carry no authentication of their own; the process mounts them with the
//! ingress's routes under the one token guard of `switchyard_runtime::operator` (401 without
//! `Authorization: Bearer <admin.token>`, 503 `disabled` when no token is configured). Answers
//! are JSON; errors are `{error, message}`.
//! - `GET  /admin/v1/procurement/orders?status=&connection_id=&from=&to=&limit=` — `{items}`,
//!   newest first; `from`/`to` are RFC 3339 creation bounds.
//! - `GET  /admin/v1/procurement/orders/{id}` — `{procurement, attempts}`: the sub-order with
//!   every attempt and reason.
//! - `POST /admin/v1/procurement/orders/{id}/retry` — `{procurement}`: a `failed` sub-order goes
//!   back to `pending`, due now (409 `invalid_transition` for any other status); the procurer's
//!   retry loop places it.
//! - `POST /admin/v1/orders/{id}/cancel` — upstream-first cancel (409 `cancel_not_allowed` when
//!   an upstream refuses, 503 `upstream_unavailable` when it cannot be asked).
//!
//! - `/admin/v1/reconciliation/...` — reconciliation runs and discrepancies (`reconciliation`).
//!
//! Views never include delivery content (it belongs to the buyer), only whether there is some.

mod reconciliation;
mod routes;
mod views;

pub use routes::operator_routes;
pub use views::{AttemptView, ProcurementDetail, ProcurementView};

use sqlx::PgPool;
use switchyard_store::procurement::{self, ProcurementFilter};
use switchyard_store::StoreError;
use uuid::Uuid;

/// Lists sub-orders matching `filter`, newest first.
pub async fn list(
    pool: &PgPool,
    filter: &ProcurementFilter,
) -> Result<Vec<ProcurementView>, StoreError> {
    let rows = procurement::list(pool, filter).await?;
    Ok(rows.iter().map(ProcurementView::from).collect())
}

/// One sub-order with its attempts; `None` when unknown.
pub async fn show(pool: &PgPool, id: Uuid) -> Result<Option<ProcurementDetail>, StoreError> {
    let Some(row) = procurement::get(pool, id).await? else {
        return Ok(None);
    };
    let attempts = procurement::attempts(pool, id).await?;
    Ok(Some(ProcurementDetail {
        procurement: ProcurementView::from(&row),
        attempts: attempts.iter().map(AttemptView::from).collect(),
    }))
}

/// Puts a `failed` sub-order back in line, due now.
pub async fn retry(pool: &PgPool, id: Uuid) -> Result<ProcurementView, StoreError> {
    let row = procurement::retry_now(pool, id).await?;
    tracing::info!(procurement_id = %id, "operator retry of a failed procurement");
    Ok(ProcurementView::from(&row))
}
