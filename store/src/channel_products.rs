//! Channel product mappings: which of our SKUs a sales channel's product id means (a D-Store
//! `posProductId`, a 58 Daojia `goodsId`), per channel connection.
//!
//! Contract: one row per (connection, channel product id); [`create`] refuses a second one
//! ([`StoreError::Duplicate`]), an unknown SKU or connection ([`StoreError::NotFound`]) and a
//! connection whose kind is not the channel ([`StoreError::WrongConnectionKind`]); only D-Store
//! and 58 Daojia orders are mapped. [`resolve`] answers every line of an order in one query and
//! leaves out what does not resolve: an unmapped id, or a SKU (or its product) that is inactive or
//! deleted — the caller refuses the order, it never guesses.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgExecutor, PgPool};

use crate::connections::ConnectionKind;
use crate::error::{StoreError, StoreResult};
use crate::orders::Channel;

/// The connection kind a channel's orders arrive through, for the channels that are mapped.
pub fn connection_kind(channel: Channel) -> Option<ConnectionKind> {
    match channel {
        Channel::Dstore => Some(ConnectionKind::Dstore),
        Channel::Daojia => Some(ConnectionKind::Daojia),
        Channel::DujiaoDownstream | Channel::Operator => None,
    }
}

/// A stored mapping.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ChannelProduct {
    /// Primary key.
    pub id: i64,
    /// The sales channel.
    pub channel: Channel,
    /// The connection the channel's orders arrive through.
    pub connection_id: i64,
    /// The channel's product id (`posProductId`, `goodsId`).
    pub channel_product_id: String,
    /// Our SKU.
    pub sku_id: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// What an operator supplies to create a mapping.
#[derive(Debug, Clone)]
pub struct NewChannelProduct {
    /// The sales channel (`dstore` or `daojia`).
    pub channel: Channel,
    /// The channel connection (its kind must be the channel's).
    pub connection_id: i64,
    /// The channel's product id.
    pub channel_product_id: String,
    /// Our SKU.
    pub sku_id: i64,
}

/// Which mappings to list; `None` matches any.
#[derive(Debug, Clone, Default)]
pub struct ChannelProductFilter {
    /// Only this channel.
    pub channel: Option<Channel>,
    /// Only this connection.
    pub connection_id: Option<i64>,
    /// Only mappings to this SKU.
    pub sku_id: Option<i64>,
    /// Only this channel product id.
    pub channel_product_id: Option<String>,
    /// At most this many (capped at 1000).
    pub limit: i64,
}

/// A channel line resolved to our SKU.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ResolvedSku {
    /// Our SKU id.
    pub sku_id: i64,
    /// Its code.
    pub sku_code: String,
    /// Its unit price in minor units (used when the channel names none).
    pub price_minor: i64,
}

const COLUMNS: &str = "id, channel, connection_id, channel_product_id, sku_id, created_at";

/// Creates a mapping after checking its SKU and connection.
pub async fn create(pool: &PgPool, new: &NewChannelProduct) -> StoreResult<ChannelProduct> {
    let wanted = connection_kind(new.channel).ok_or(StoreError::WrongConnectionKind)?;
    let kind: Option<ConnectionKind> =
        sqlx::query_scalar("SELECT kind FROM partner_connections WHERE id = $1")
            .bind(new.connection_id)
            .fetch_optional(pool)
            .await?;
    match kind {
        None => return Err(StoreError::NotFound("connection")),
        Some(kind) if kind != wanted => return Err(StoreError::WrongConnectionKind),
        Some(_) => {}
    }
    let sku_exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM skus WHERE id = $1)")
        .bind(new.sku_id)
        .fetch_one(pool)
        .await?;
    if !sku_exists {
        return Err(StoreError::NotFound("sku"));
    }
    let row = sqlx::query_as::<_, ChannelProduct>(&format!(
        "INSERT INTO channel_products (channel, connection_id, channel_product_id, sku_id)
         VALUES ($1, $2, $3, $4) RETURNING {COLUMNS}"
    ))
    .bind(new.channel)
    .bind(new.connection_id)
    .bind(new.channel_product_id.trim())
    .bind(new.sku_id)
    .fetch_one(pool)
    .await?;
    Ok(row)
}

/// Mappings matching `filter`, oldest first.
pub async fn list(
    db: impl PgExecutor<'_>,
    filter: &ChannelProductFilter,
) -> StoreResult<Vec<ChannelProduct>> {
    let rows = sqlx::query_as::<_, ChannelProduct>(&format!(
        "SELECT {COLUMNS} FROM channel_products
         WHERE ($1::text IS NULL OR channel = $1)
           AND ($2::bigint IS NULL OR connection_id = $2)
           AND ($3::bigint IS NULL OR sku_id = $3)
           AND ($4::text IS NULL OR channel_product_id = $4)
         ORDER BY id LIMIT $5"
    ))
    .bind(filter.channel)
    .bind(filter.connection_id)
    .bind(filter.sku_id)
    .bind(filter.channel_product_id.as_deref())
    .bind(filter.limit.clamp(1, 1000))
    .fetch_all(db)
    .await?;
    Ok(rows)
}

/// Deletes mapping `id`; orders already accepted keep their SKU.
pub async fn delete(db: impl PgExecutor<'_>, id: i64) -> StoreResult<()> {
    let deleted = sqlx::query("DELETE FROM channel_products WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?
        .rows_affected();
    if deleted == 0 {
        return Err(StoreError::NotFound("channel product"));
    }
    Ok(())
}

/// Resolves the channel product ids of one order arriving through `connection_id`, in one query.
/// Ids that do not resolve to an active SKU of a live product are absent from the answer (a SKU
/// whose fulfiller mapping is switched off is not active: `sku_sellable`, migration 0016).
pub async fn resolve(
    db: impl PgExecutor<'_>,
    connection_id: i64,
    channel_product_ids: &[&str],
) -> StoreResult<HashMap<String, ResolvedSku>> {
    #[derive(FromRow)]
    struct Row {
        channel_product_id: String,
        #[sqlx(flatten)]
        sku: ResolvedSku,
    }
    let rows = sqlx::query_as::<_, Row>(
        "SELECT m.channel_product_id, s.id AS sku_id, s.sku_code, s.price_minor
         FROM channel_products m
         JOIN skus s ON s.id = m.sku_id
         JOIN products p ON p.id = s.product_id
         WHERE m.connection_id = $1 AND m.channel_product_id = ANY($2)
           AND sku_sellable(s.id, s.is_active) AND p.is_active AND p.deleted_at IS NULL",
    )
    .bind(connection_id)
    .bind(channel_product_ids)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.channel_product_id, row.sku))
        .collect())
}
