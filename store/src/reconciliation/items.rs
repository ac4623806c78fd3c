//! `reconciliation_items`: the discrepancies a run found, and an operator's resolution of each.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use super::MismatchKind;
use crate::error::{StoreError, StoreResult};
use switchyard_domain::Currency;

/// A stored discrepancy (serialised as the operator API shows it).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct Discrepancy {
    /// Item id.
    pub id: i64,
    /// The run that found it.
    pub run_id: i64,
    /// Our procurement (none for `missing_local`).
    pub procurement_order_id: Option<Uuid>,
    /// The partner's order id.
    pub upstream_order_id: Option<String>,
    /// The partner's order number.
    pub upstream_order_no: Option<String>,
    /// What disagrees.
    pub mismatch_kind: MismatchKind,
    /// Our status.
    pub local_status: Option<String>,
    /// The partner's status (its own word).
    pub remote_status: Option<String>,
    /// Our amount, minor units.
    pub local_amount_minor: Option<i64>,
    /// Our currency.
    pub local_currency: Option<Currency>,
    /// The partner's amount, minor units.
    pub remote_amount_minor: Option<i64>,
    /// The partner's currency.
    pub remote_currency: Option<Currency>,
    /// When an operator closed it.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Who closed it.
    pub resolved_by: Option<String>,
    /// Why.
    pub resolution_note: Option<String>,
    /// When it was found.
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, run_id, procurement_order_id, upstream_order_id, upstream_order_no, \
                       mismatch_kind, local_status, remote_status, local_amount_minor, \
                       local_currency, remote_amount_minor, remote_currency, resolved_at, \
                       resolved_by, resolution_note, created_at";

/// A discrepancy to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDiscrepancy {
    /// The run.
    pub run_id: i64,
    /// Our procurement, when we have one.
    pub procurement_order_id: Option<Uuid>,
    /// The partner's order id.
    pub upstream_order_id: Option<String>,
    /// The partner's order number.
    pub upstream_order_no: Option<String>,
    /// What disagrees.
    pub kind: MismatchKind,
    /// Our status.
    pub local_status: Option<String>,
    /// The partner's status.
    pub remote_status: Option<String>,
    /// Our amount and currency.
    pub local_amount: Option<(i64, Currency)>,
    /// The partner's amount and currency.
    pub remote_amount: Option<(i64, Currency)>,
}

/// Filters of the operator list; unset fields match everything.
#[derive(Debug, Clone, Default)]
pub struct DiscrepancyFilter {
    /// Only this run.
    pub run_id: Option<i64>,
    /// Only this kind.
    pub kind: Option<MismatchKind>,
    /// Only resolved (`true`) or open (`false`) ones.
    pub resolved: Option<bool>,
    /// At most this many, oldest first.
    pub limit: i64,
}

/// Records `new` once; `None` when the run already has it.
pub async fn record(
    db: impl PgExecutor<'_>,
    new: &NewDiscrepancy,
) -> StoreResult<Option<Discrepancy>> {
    let conflict = if new.procurement_order_id.is_some() {
        "(run_id, procurement_order_id) WHERE procurement_order_id IS NOT NULL"
    } else {
        "(run_id, upstream_order_id) WHERE procurement_order_id IS NULL"
    };
    let row = sqlx::query_as::<_, Discrepancy>(&format!(
        "INSERT INTO reconciliation_items (run_id, procurement_order_id, upstream_order_id,
             upstream_order_no, mismatch_kind, local_status, remote_status, local_amount_minor,
             local_currency, remote_amount_minor, remote_currency)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT {conflict} DO NOTHING
         RETURNING {COLUMNS}"
    ))
    .bind(new.run_id)
    .bind(new.procurement_order_id)
    .bind(&new.upstream_order_id)
    .bind(&new.upstream_order_no)
    .bind(new.kind)
    .bind(&new.local_status)
    .bind(&new.remote_status)
    .bind(new.local_amount.map(|(minor, _)| minor))
    .bind(new.local_amount.map(|(_, currency)| currency))
    .bind(new.remote_amount.map(|(minor, _)| minor))
    .bind(new.remote_amount.map(|(_, currency)| currency))
    .fetch_optional(db)
    .await?;
    Ok(row)
}

/// The discrepancy `id`.
pub async fn item(db: impl PgExecutor<'_>, id: i64) -> StoreResult<Option<Discrepancy>> {
    let row = sqlx::query_as::<_, Discrepancy>(&format!(
        "SELECT {COLUMNS} FROM reconciliation_items WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await?;
    Ok(row)
}

/// Discrepancies matching `filter`, oldest first.
pub async fn items(
    db: impl PgExecutor<'_>,
    filter: &DiscrepancyFilter,
) -> StoreResult<Vec<Discrepancy>> {
    let limit = if filter.limit <= 0 { 100 } else { filter.limit };
    let rows = sqlx::query_as::<_, Discrepancy>(&format!(
        "SELECT {COLUMNS} FROM reconciliation_items
         WHERE ($1::bigint IS NULL OR run_id = $1) AND ($2::text IS NULL OR mismatch_kind = $2)
           AND ($3::boolean IS NULL OR (resolved_at IS NOT NULL) = $3)
         ORDER BY id LIMIT $4"
    ))
    .bind(filter.run_id)
    .bind(filter.kind.map(|kind| kind.as_str()))
    .bind(filter.resolved)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows)
}

/// Closes an open discrepancy with `note`, by `resolved_by`.
pub async fn resolve(
    db: impl PgExecutor<'_> + Copy,
    id: i64,
    resolved_by: &str,
    note: &str,
) -> StoreResult<Discrepancy> {
    let closed = sqlx::query_as::<_, Discrepancy>(&format!(
        "UPDATE reconciliation_items
         SET resolved_at = now(), resolved_by = $2, resolution_note = $3
         WHERE id = $1 AND resolved_at IS NULL
         RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(resolved_by)
    .bind(note)
    .fetch_optional(db)
    .await?;
    if let Some(row) = closed {
        return Ok(row);
    }
    match item(db, id).await? {
        None => Err(StoreError::NotFound("discrepancy")),
        Some(_) => Err(StoreError::InvalidTransition {
            entity: "discrepancy",
            from: "resolved".to_owned(),
            action: "resolve",
        }),
    }
}
