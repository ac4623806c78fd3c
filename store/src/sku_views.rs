//! What operators see of a SKU: our stock and price, who fulfils it, and for an upstream-fulfilled
//! SKU the upstream's stock, price and the time of the last sync.
//!
//! Contract: read-only. `fulfillment_type` is `upstream` for a SKU mapped to a remote fulfiller
//! (Dujiao-Next upstream, vending machine, WDT ERP) and `local` otherwise; `sellable` is false when
//! the SKU, its product or its mapping is switched off, and `disabled_reason` says why a mapping
//! was switched off by a sync. Lists are ordered by SKU id and paged by `after_id`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgExecutor;

use crate::error::StoreResult;

/// One SKU as operators see it.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct SkuView {
    /// Our SKU id.
    pub sku_id: i64,
    /// Its product.
    pub product_id: i64,
    /// Its product's slug.
    pub product_slug: String,
    /// Our SKU code.
    pub sku_code: String,
    /// Our selling price, minor units.
    pub price_minor: i64,
    /// Its currency.
    pub currency: String,
    /// Units we offer; -1 unlimited (for an upstream SKU: the upstream's, as of the last sync).
    pub stock_quantity: i32,
    /// Derived stock level.
    pub stock_status: String,
    /// Whether it can be ordered now.
    pub sellable: bool,
    /// `upstream` or `local`.
    pub fulfillment_type: String,
    /// The mapping's fulfiller, when mapped.
    pub fulfiller: Option<String>,
    /// The fulfilling connection.
    pub connection_id: Option<i64>,
    /// Whether the mapping is switched on.
    pub mapping_active: Option<bool>,
    /// Why a sync switched the mapping off.
    pub disabled_reason: Option<String>,
    /// Upstream product id (Dujiao).
    pub upstream_product_id: Option<i64>,
    /// Upstream SKU id (Dujiao).
    pub upstream_sku_id: Option<i64>,
    /// WDT spec number.
    pub spec_no: Option<String>,
    /// Upstream price at the last sync, minor units of `upstream_currency` (never converted).
    pub upstream_price_minor: Option<i64>,
    /// The upstream price's currency.
    pub upstream_currency: Option<String>,
    /// True when the upstream price is in another currency than ours.
    pub upstream_price_foreign: bool,
    /// Upstream units at the last sync; -1 unlimited.
    pub upstream_stock: Option<i32>,
    /// Upstream stock level at the last sync.
    pub upstream_stock_status: Option<String>,
    /// Whether the upstream sells it.
    pub upstream_is_active: Option<bool>,
    /// When a sync last saw it.
    pub last_synced_at: Option<DateTime<Utc>>,
    /// Last change of the SKU.
    pub updated_at: DateTime<Utc>,
}

/// Which SKUs to list; `None` matches any.
#[derive(Debug, Clone, Default)]
pub struct SkuFilter {
    /// Only SKUs fulfilled through this connection.
    pub connection_id: Option<i64>,
    /// Only `upstream` or `local` ones.
    pub fulfillment_type: Option<String>,
    /// Only SKUs whose mapping is switched off (true) or not (false).
    pub disabled: Option<bool>,
    /// Only SKUs with a larger id (paging).
    pub after_id: Option<i64>,
    /// At most this many.
    pub limit: i64,
}

const SELECT: &str = "
    SELECT s.id AS sku_id, s.product_id, p.slug AS product_slug, s.sku_code, s.price_minor,
           s.currency::text AS currency, s.stock_quantity, s.stock_status,
           sku_sellable(s.id, s.is_active) AND p.is_active AND p.deleted_at IS NULL AS sellable,
           CASE WHEN m.fulfiller IS NULL OR m.fulfiller = 'local_stock' THEN 'local'
                ELSE 'upstream' END AS fulfillment_type,
           m.fulfiller, m.connection_id, m.is_active AS mapping_active, m.disabled_reason,
           m.upstream_product_id, m.upstream_sku_id, m.spec_no, m.upstream_price_minor,
           m.upstream_currency::text AS upstream_currency,
           coalesce(m.upstream_price_foreign, false) AS upstream_price_foreign,
           m.upstream_stock, m.upstream_stock_status, m.upstream_is_active,
           m.synced_at AS last_synced_at, s.updated_at
    FROM skus s JOIN products p ON p.id = s.product_id
    LEFT JOIN product_mappings m ON m.sku_id = s.id";

/// SKUs matching `filter`, by id.
pub async fn list(db: impl PgExecutor<'_>, filter: &SkuFilter) -> StoreResult<Vec<SkuView>> {
    let rows = sqlx::query_as::<_, SkuView>(&format!(
        "SELECT * FROM ({SELECT}) v
         WHERE ($1::bigint IS NULL OR v.connection_id = $1)
           AND ($2::text IS NULL OR v.fulfillment_type = $2)
           AND ($3::bool IS NULL OR coalesce(v.mapping_active, true) = NOT $3)
           AND ($4::bigint IS NULL OR v.sku_id > $4)
         ORDER BY v.sku_id LIMIT $5"
    ))
    .bind(filter.connection_id)
    .bind(&filter.fulfillment_type)
    .bind(filter.disabled)
    .bind(filter.after_id)
    .bind(filter.limit)
    .fetch_all(db)
    .await?;
    Ok(rows)
}

/// One SKU; `None` when unknown.
pub async fn get(db: impl PgExecutor<'_>, sku_id: i64) -> StoreResult<Option<SkuView>> {
    let row = sqlx::query_as::<_, SkuView>(&format!("{SELECT} WHERE s.id = $1"))
        .bind(sku_id)
        .fetch_optional(db)
        .await?;
    Ok(row)
}
