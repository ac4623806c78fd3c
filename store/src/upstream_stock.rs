//! Upstream stock: what an upstream sync saw for the SKUs mapped to one connection.
//!
//! Contract: [`apply_dujiao`] and [`apply_wdt`] write one page of upstream items in the caller's
//! transaction (one page = one transaction, so a page is applied whole or not at all). For each
//! mapped SKU they record the upstream price (with its currency, flagged when it differs from the
//! SKU's — never converted), stock status and quantity, `is_active` and the sync time, and set
//! the SKU's `stock_quantity` to what the upstream can deliver (0 when the upstream SKU or product
//! is inactive). A stock change is journalled by the `skus` trigger with the upstream as its source;
//! an upstream price change alone is journalled here; nothing is journalled when nothing changed.
//! [`disable_missing`] switches off the mappings of an upstream product that is gone, with a
//! reason operators see; the SKU is then refused by every ingress (`sku_sellable`).

use sqlx::PgConnection;

use crate::catalog::StockStatus;
use crate::error::StoreResult;
use switchyard_domain::Currency;

/// One upstream SKU as a sync saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamItem {
    /// The upstream product (Dujiao) — `None` for WDT.
    pub upstream_product_id: Option<i64>,
    /// The upstream key: Dujiao SKU id, or the WDT `spec_no`.
    pub key: String,
    /// Upstream price in minor units of `currency`, when the upstream gives one.
    pub price_minor: Option<i64>,
    /// Units the upstream has; -1 unlimited.
    pub stock_quantity: i32,
    /// The upstream's stock level.
    pub stock_status: StockStatus,
    /// Whether the upstream sells it (SKU and product active).
    pub is_active: bool,
}

/// Where a page of items comes from.
#[derive(Debug, Clone, Copy)]
pub struct UpstreamSource {
    /// The connection synced.
    pub connection_id: i64,
    /// The upstream's price currency.
    pub currency: Currency,
    /// `stock_changes.source`: `DUJIAO_UPSTREAM` or `WDT`.
    pub journal_source: &'static str,
}

/// Applies a page from a Dujiao-Next upstream (mappings keyed by `upstream_sku_id`); returns the
/// number of mapped SKUs it touched.
pub async fn apply_dujiao(
    tx: &mut PgConnection,
    connection_id: i64,
    currency: Currency,
    items: &[UpstreamItem],
) -> StoreResult<u64> {
    let source = UpstreamSource {
        connection_id,
        currency,
        journal_source: "DUJIAO_UPSTREAM",
    };
    apply(tx, source, "m.upstream_sku_id::text", items).await
}

/// Applies a page from the WDT ERP (mappings keyed by `spec_no`).
pub async fn apply_wdt(
    tx: &mut PgConnection,
    connection_id: i64,
    currency: Currency,
    items: &[UpstreamItem],
) -> StoreResult<u64> {
    let source = UpstreamSource {
        connection_id,
        currency,
        journal_source: "WDT",
    };
    apply(tx, source, "m.spec_no", items).await
}

async fn apply(
    tx: &mut PgConnection,
    source: UpstreamSource,
    key_column: &str,
    items: &[UpstreamItem],
) -> StoreResult<u64> {
    if items.is_empty() {
        return Ok(0);
    }
    sqlx::query(
        "SELECT set_config('switchyard.stock_source', $1, true),
                set_config('switchyard.stock_connection', $2, true)",
    )
    .bind(source.journal_source)
    .bind(source.connection_id.to_string())
    .execute(&mut *tx)
    .await?;
    let products: Vec<Option<i64>> = items.iter().map(|i| i.upstream_product_id).collect();
    let keys: Vec<&str> = items.iter().map(|i| i.key.as_str()).collect();
    let prices: Vec<Option<i64>> = items.iter().map(|i| i.price_minor).collect();
    let stocks: Vec<i32> = items.iter().map(|i| i.stock_quantity.max(-1)).collect();
    let statuses: Vec<&str> = items.iter().map(|i| i.stock_status.as_str()).collect();
    let active: Vec<bool> = items.iter().map(|i| i.is_active).collect();
    // `before` reads the rows as they were (every CTE sees one snapshot; data-modifying CTEs run
    // to completion whether read or not); `changed` updates them, `stocked` moves the SKUs, and a
    // price-only change is journalled explicitly.
    sqlx::query(&format!(
        "WITH input AS (
             SELECT * FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::int[], $6::text[],
                                  $7::bool[]) AS i(product_id, key, price, stock, status, active)),
         before AS (
             SELECT m.id, m.sku_id, m.is_active AS mapping_active,
                    m.upstream_price_minor AS old_price, i.*
             FROM product_mappings m JOIN input i ON {key_column} = i.key
             WHERE m.connection_id = $1 FOR UPDATE OF m),
         changed AS (
             UPDATE product_mappings m SET
                 upstream_product_id = coalesce(b.product_id, m.upstream_product_id),
                 upstream_price_minor = b.price, upstream_stock = b.stock,
                 upstream_stock_status = b.status, upstream_is_active = b.active,
                 upstream_currency = $8, synced_at = now(),
                 upstream_price_foreign = b.price IS NOT NULL AND s.currency <> $8
             FROM before b JOIN skus s ON s.id = b.sku_id
             WHERE m.id = b.id
             RETURNING m.sku_id),
         stocked AS (
             UPDATE skus s SET stock_quantity = CASE WHEN b.active THEN b.stock ELSE 0 END
             FROM before b
             WHERE s.id = b.sku_id AND b.mapping_active
               AND s.stock_quantity <> CASE WHEN b.active THEN b.stock ELSE 0 END
             RETURNING s.id)
         INSERT INTO stock_changes (sku_id, source, reason, connection_id, quantity, stock_status,
                                    price_minor, currency, price_changed, is_active)
         SELECT s.id, $9, 'SYNC', $1, s.stock_quantity, s.stock_status, s.price_minor, s.currency,
                true,
                sku_sellable(s.id, s.is_active)
         FROM before b JOIN skus s ON s.id = b.sku_id
         WHERE b.old_price IS DISTINCT FROM b.price AND b.old_price IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM stocked WHERE stocked.id = s.id)"
    ))
    .bind(source.connection_id)
    .bind(&products)
    .bind(&keys)
    .bind(&prices)
    .bind(&stocks)
    .bind(&statuses)
    .bind(&active)
    .bind(source.currency)
    .bind(source.journal_source)
    .execute(&mut *tx)
    .await?;
    let count: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM product_mappings m
         WHERE m.connection_id = $1 AND {key_column} = ANY($2)"
    ))
    .bind(source.connection_id)
    .bind(&keys)
    .fetch_one(&mut *tx)
    .await?;
    Ok(u64::try_from(count).unwrap_or_default())
}

/// Active Dujiao mappings of `connection_id` that no sync has seen since `since` (a full sync
/// that started then): `(mapping id, upstream product id)`.
pub async fn unseen_since(
    tx: &mut PgConnection,
    connection_id: i64,
    since: chrono::DateTime<chrono::Utc>,
) -> StoreResult<Vec<(i64, Option<i64>)>> {
    let rows = sqlx::query_as::<_, (i64, Option<i64>)>(
        "SELECT id, upstream_product_id FROM product_mappings
         WHERE connection_id = $1 AND fulfiller = 'dujiao_upstream' AND is_active
           AND (synced_at IS NULL OR synced_at < $2)
         ORDER BY id",
    )
    .bind(connection_id)
    .bind(since)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows)
}

/// Switches off every active mapping of `connection_id` to upstream product
/// `upstream_product_id`, recording `reason`; journals each SKU as no longer sellable and moves
/// its product's `updated_at` (so `updated_after` readers see it). Returns the SKUs switched off.
pub async fn disable_missing(
    tx: &mut PgConnection,
    connection_id: i64,
    upstream_product_id: i64,
    reason: &str,
) -> StoreResult<Vec<i64>> {
    let skus: Vec<i64> = sqlx::query_scalar(
        "UPDATE product_mappings SET is_active = false, disabled_reason = left($3, 500),
                upstream_is_active = false, synced_at = now()
         WHERE connection_id = $1 AND upstream_product_id = $2 AND is_active
         RETURNING sku_id",
    )
    .bind(connection_id)
    .bind(upstream_product_id)
    .bind(reason)
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query("UPDATE skus SET updated_at = now() WHERE id = ANY($1)")
        .bind(&skus)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO stock_changes (sku_id, source, reason, connection_id, quantity, stock_status,
                                    price_minor, currency, price_changed, is_active)
         SELECT id, 'DUJIAO_UPSTREAM', 'SYNC', $2, stock_quantity, stock_status, price_minor,
                currency, false, false
         FROM skus WHERE id = ANY($1) ORDER BY id",
    )
    .bind(&skus)
    .bind(connection_id)
    .execute(&mut *tx)
    .await?;
    Ok(skus)
}
