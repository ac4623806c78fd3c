//! The operator API for procurement orders, mounted on the admin listener, and the functions
//! behind it (also used by the `switchyard procurement …` CLI).
//!
//! Contract: every route needs `Authorization: Bearer <admin token>` (compared in constant
//! time); without a configured token the API is not mounted at all. Answers are JSON.
//! - `GET  /admin/v1/procurement/orders?status=&connection_id=&from=&to=&limit=` — newest first;
//!   `from`/`to` are RFC 3339 creation bounds.
//! - `GET  /admin/v1/procurement/orders/{id}` — the sub-order with every attempt and reason.
//! - `POST /admin/v1/procurement/orders/{id}/retry` — a `failed` sub-order goes back to
//!   `pending`, due now (409 for any other status); the procurer's retry loop places it.
//! - `POST /admin/v1/orders/{id}/cancel` — upstream-first cancel (409 when an upstream refuses,
//!   503 when it cannot be asked).
//!
//! Views never include delivery content (it belongs to the buyer), only whether there is some.

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
