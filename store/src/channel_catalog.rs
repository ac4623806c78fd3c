//! A sales channel's catalog as we publish it: one entry per channel product mapping of a
//! connection (`channel_products`), with our SKU's name, price and whether it can be ordered now.
//!
//! Contract: read-only. Entries are ordered by mapping id and paged with `after_id`, so a pass
//! that stores the last id it sent resumes where it stopped. `available` is what every ingress
//! accepts: the SKU is sellable (`sku_sellable`, so a fulfiller mapping switched off counts), its
//! product is active and not deleted, and it has stock (an upstream SKU's stock is the upstream's,
//! as the last sync set it). With `changed_since`, only entries whose SKU, product, fulfiller
//! mapping or channel mapping changed after that time are read (their `updated_at`/`created_at`).

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgExecutor};

use crate::error::StoreResult;
use switchyard_domain::Currency;

/// One published catalog entry.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ChannelCatalogEntry {
    /// The channel mapping's id (the paging key).
    pub mapping_id: i64,
    /// The channel's product id (D-Store `posProductId`).
    pub channel_product_id: String,
    /// Our SKU.
    pub sku_id: i64,
    /// Display name: the product's English title (else any title, else the SKU code).
    pub name: String,
    /// Our selling price, minor units.
    pub price_minor: i64,
    /// Its currency.
    pub currency: Currency,
    /// Whether it can be ordered now.
    pub available: bool,
}

/// Up to `limit` entries of `connection_id` after mapping `after_id`, changed after
/// `changed_since` when given.
pub async fn page(
    db: impl PgExecutor<'_>,
    connection_id: i64,
    after_id: i64,
    changed_since: Option<DateTime<Utc>>,
    limit: i64,
) -> StoreResult<Vec<ChannelCatalogEntry>> {
    let rows = sqlx::query_as::<_, ChannelCatalogEntry>(
        "SELECT m.id AS mapping_id, m.channel_product_id, s.id AS sku_id,
                coalesce(nullif(p.title->>'en', ''),
                         (SELECT t.value FROM jsonb_each_text(p.title) t
                          WHERE t.value <> '' ORDER BY t.key LIMIT 1),
                         s.sku_code) AS name,
                s.price_minor, s.currency,
                sku_sellable(s.id, s.is_active) AND p.is_active AND p.deleted_at IS NULL
                    AND s.stock_quantity <> 0 AS available
         FROM channel_products m
         JOIN skus s ON s.id = m.sku_id
         JOIN products p ON p.id = s.product_id
         WHERE m.connection_id = $1 AND m.id > $2
           AND ($3::timestamptz IS NULL OR s.updated_at > $3 OR p.updated_at > $3
                OR m.created_at > $3
                OR EXISTS (SELECT 1 FROM product_mappings f
                           WHERE f.sku_id = s.id AND f.updated_at > $3))
         ORDER BY m.id
         LIMIT $4",
    )
    .bind(connection_id)
    .bind(after_id)
    .bind(changed_since)
    .bind(limit.max(1))
    .fetch_all(db)
    .await?;
    Ok(rows)
}
