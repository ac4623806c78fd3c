//! Reading and switching product mappings for operators: list with filters, one SKU's mapping,
//! switch one on or off.
//!
//! Contract: [`list`] pages by id (`after_id`), oldest first, at most 1000 rows per call;
//! [`set_active`] keeps the cached upstream price, stock and sync time.

use sqlx::PgExecutor;

use crate::error::{StoreError, StoreResult};
use crate::mappings::{FulfillerKind, MappingRow, ProductMapping, COLUMNS};

/// Which mappings to list; `None` matches any.
#[derive(Debug, Clone, Default)]
pub struct MappingFilter {
    /// Only this connection.
    pub connection_id: Option<i64>,
    /// Only this kind of fulfiller.
    pub fulfiller: Option<FulfillerKind>,
    /// Only switched on (`true`) or off (`false`).
    pub active: Option<bool>,
    /// Only the mapping of this SKU.
    pub sku_id: Option<i64>,
    /// Only ids above this (the previous page's last id).
    pub after_id: Option<i64>,
    /// At most this many (1 to 1000).
    pub limit: i64,
}

/// Mappings matching `filter`, by id.
pub async fn list(
    db: impl PgExecutor<'_>,
    filter: &MappingFilter,
) -> StoreResult<Vec<ProductMapping>> {
    let rows = sqlx::query_as::<_, MappingRow>(&format!(
        "SELECT {COLUMNS} FROM product_mappings
         WHERE ($1::bigint IS NULL OR connection_id = $1)
           AND ($2::text IS NULL OR fulfiller = $2)
           AND ($3::bool IS NULL OR is_active = $3)
           AND ($4::bigint IS NULL OR sku_id = $4)
           AND ($5::bigint IS NULL OR id > $5)
         ORDER BY id LIMIT $6"
    ))
    .bind(filter.connection_id)
    .bind(filter.fulfiller)
    .bind(filter.active)
    .bind(filter.sku_id)
    .bind(filter.after_id)
    .bind(filter.limit.clamp(1, 1000))
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(MappingRow::into_mapping).collect())
}

/// The mapping of `sku_id`, if it has one.
pub async fn for_sku(db: impl PgExecutor<'_>, sku_id: i64) -> StoreResult<Option<ProductMapping>> {
    let row = sqlx::query_as::<_, MappingRow>(&format!(
        "SELECT {COLUMNS} FROM product_mappings WHERE sku_id = $1"
    ))
    .bind(sku_id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(MappingRow::into_mapping))
}

/// Switches mapping `id` on or off; the upstream cache is kept. Switching it on clears the
/// reason a sync switched it off for.
pub async fn set_active(
    db: impl PgExecutor<'_>,
    id: i64,
    active: bool,
) -> StoreResult<ProductMapping> {
    let row = sqlx::query_as::<_, MappingRow>(&format!(
        "UPDATE product_mappings SET is_active = $2, \
         disabled_reason = CASE WHEN $2 THEN NULL ELSE disabled_reason END \
         WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(active)
    .fetch_optional(db)
    .await?
    .ok_or(StoreError::NotFound("mapping"))?;
    Ok(row.into_mapping())
}
