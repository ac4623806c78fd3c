//! Product mappings: which fulfiller delivers a local SKU.
//!
//! Contract: a SKU has at most one mapping; a SKU without one is delivered from local stock.
//! [`set`] refuses a connection whose kind does not speak the fulfiller's protocol
//! ([`StoreError::WrongConnectionKind`]); [`resolve`] refuses a switched-off mapping
//! ([`StoreError::SkuUnavailable`]) rather than silently falling back to local stock.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgExecutor};

use crate::error::{StoreError, StoreResult};
use switchyard_domain::text_enum;

text_enum! {
    /// Who delivers a SKU (the `fulfiller` column of mappings and procurement orders).
    FulfillerKind {
        /// Our own inventory.
        LocalStock => "local_stock",
        /// An upstream Dujiao-Next site.
        DujiaoUpstream => "dujiao_upstream",
        /// A vending machine.
        Vending => "vending",
        /// The Wangdiantong ERP.
        WdtErp => "wdt_erp",
    }
}

/// Where a SKU is procured, with the partner-side identifiers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Fulfiller {
    /// Delivered from local stock.
    LocalStock,
    /// Bought from an upstream Dujiao-Next site.
    DujiaoUpstream {
        /// The `dujiao_upstream` connection.
        connection_id: i64,
        /// The upstream product id, when known.
        upstream_product_id: Option<i64>,
        /// The upstream SKU id sent as `sku_id`.
        upstream_sku_id: i64,
    },
    /// Dispensed by a vending machine.
    Vending {
        /// The `vending` connection.
        connection_id: i64,
        /// The 8-digit machine number.
        machine_no: String,
        /// The product id on the machine.
        product_id: String,
    },
    /// Shipped by the WDT ERP.
    WdtErp {
        /// The `qimen_wdt` connection.
        connection_id: i64,
        /// WDT spec number.
        spec_no: Option<String>,
        /// WDT goods number.
        goods_no: Option<String>,
    },
}

impl Fulfiller {
    /// The kind stored in the `fulfiller` column.
    pub fn kind(&self) -> FulfillerKind {
        match self {
            Fulfiller::LocalStock => FulfillerKind::LocalStock,
            Fulfiller::DujiaoUpstream { .. } => FulfillerKind::DujiaoUpstream,
            Fulfiller::Vending { .. } => FulfillerKind::Vending,
            Fulfiller::WdtErp { .. } => FulfillerKind::WdtErp,
        }
    }

    /// The partner connection, if the fulfiller is remote.
    pub fn connection_id(&self) -> Option<i64> {
        match self {
            Fulfiller::LocalStock => None,
            Fulfiller::DujiaoUpstream { connection_id, .. }
            | Fulfiller::Vending { connection_id, .. }
            | Fulfiller::WdtErp { connection_id, .. } => Some(*connection_id),
        }
    }

    fn connection_kind(&self) -> Option<&'static str> {
        match self {
            Fulfiller::LocalStock => None,
            Fulfiller::DujiaoUpstream { .. } => Some("dujiao_upstream"),
            Fulfiller::Vending { .. } => Some("vending"),
            Fulfiller::WdtErp { .. } => Some("qimen_wdt"),
        }
    }
}

/// A stored mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductMapping {
    /// Primary key.
    pub id: i64,
    /// The local SKU.
    pub sku_id: i64,
    /// Who delivers it.
    pub fulfiller: Fulfiller,
    /// Whether it may be used.
    pub is_active: bool,
    /// Upstream price at the last catalog sync.
    pub upstream_price_minor: Option<i64>,
    /// Upstream stock at the last catalog sync (-1 unlimited).
    pub upstream_stock: Option<i32>,
    /// When the upstream catalog was last synced.
    pub synced_at: Option<DateTime<Utc>>,
}

#[derive(FromRow)]
pub(crate) struct MappingRow {
    id: i64,
    sku_id: i64,
    fulfiller: FulfillerKind,
    connection_id: Option<i64>,
    upstream_product_id: Option<i64>,
    upstream_sku_id: Option<i64>,
    machine_no: Option<String>,
    vending_product_id: Option<String>,
    spec_no: Option<String>,
    goods_no: Option<String>,
    is_active: bool,
    upstream_price_minor: Option<i64>,
    upstream_stock: Option<i32>,
    synced_at: Option<DateTime<Utc>>,
}

impl MappingRow {
    pub(crate) fn into_mapping(self) -> ProductMapping {
        // The table's CHECK constraint guarantees the fields each kind needs; defaults are
        // unreachable and only keep this total.
        let connection_id = self.connection_id.unwrap_or_default();
        let fulfiller = match self.fulfiller {
            FulfillerKind::LocalStock => Fulfiller::LocalStock,
            FulfillerKind::DujiaoUpstream => Fulfiller::DujiaoUpstream {
                connection_id,
                upstream_product_id: self.upstream_product_id,
                upstream_sku_id: self.upstream_sku_id.unwrap_or_default(),
            },
            FulfillerKind::Vending => Fulfiller::Vending {
                connection_id,
                machine_no: self.machine_no.unwrap_or_default(),
                product_id: self.vending_product_id.unwrap_or_default(),
            },
            FulfillerKind::WdtErp => Fulfiller::WdtErp {
                connection_id,
                spec_no: self.spec_no,
                goods_no: self.goods_no,
            },
        };
        ProductMapping {
            id: self.id,
            sku_id: self.sku_id,
            fulfiller,
            is_active: self.is_active,
            upstream_price_minor: self.upstream_price_minor,
            upstream_stock: self.upstream_stock,
            synced_at: self.synced_at,
        }
    }
}

pub(crate) const COLUMNS: &str =
    "id, sku_id, fulfiller, connection_id, upstream_product_id, upstream_sku_id, \
                       machine_no, vending_product_id, spec_no, goods_no, is_active, \
                       upstream_price_minor, upstream_stock, synced_at";

/// Maps `sku_id` to `fulfiller` (replacing any earlier mapping) and activates it.
pub async fn set(
    db: impl PgExecutor<'_>,
    sku_id: i64,
    fulfiller: &Fulfiller,
) -> StoreResult<ProductMapping> {
    let target = fulfiller.target_columns();
    // The SELECT yields no row when the connection is missing or of another kind.
    let row = sqlx::query_as::<_, MappingRow>(&format!(
        "INSERT INTO product_mappings
             (sku_id, fulfiller, connection_id, upstream_product_id, upstream_sku_id, machine_no,
              vending_product_id, spec_no, goods_no, is_active)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, true
         WHERE $3::bigint IS NULL
            OR EXISTS (SELECT 1 FROM partner_connections WHERE id = $3 AND kind = $10)
         ON CONFLICT (sku_id) DO UPDATE SET
             fulfiller = excluded.fulfiller, connection_id = excluded.connection_id,
             upstream_product_id = excluded.upstream_product_id,
             upstream_sku_id = excluded.upstream_sku_id, machine_no = excluded.machine_no,
             vending_product_id = excluded.vending_product_id, spec_no = excluded.spec_no,
             goods_no = excluded.goods_no, is_active = true,
             upstream_price_minor = NULL, upstream_stock = NULL, synced_at = NULL
         RETURNING {COLUMNS}"
    ))
    .bind(sku_id)
    .bind(fulfiller.kind())
    .bind(fulfiller.connection_id())
    .bind(target.upstream_product_id)
    .bind(target.upstream_sku_id)
    .bind(target.machine_no)
    .bind(target.vending_product_id)
    .bind(target.spec_no)
    .bind(target.goods_no)
    .bind(fulfiller.connection_kind())
    .fetch_optional(db)
    .await?
    .ok_or(StoreError::WrongConnectionKind)?;
    Ok(row.into_mapping())
}

/// Who delivers `sku_id`: its active mapping, or local stock when it has none.
pub async fn resolve(db: impl PgExecutor<'_>, sku_id: i64) -> StoreResult<Fulfiller> {
    let mut resolved = resolve_many(db, &[sku_id]).await?;
    resolved.remove(&sku_id).ok_or(StoreError::SkuUnavailable)
}

/// Resolves every SKU of a cart at once; a SKU whose mapping is switched off fails the whole call
/// with [`StoreError::SkuUnavailable`].
pub async fn resolve_many(
    db: impl PgExecutor<'_>,
    sku_ids: &[i64],
) -> StoreResult<HashMap<i64, Fulfiller>> {
    let rows = sqlx::query_as::<_, MappingRow>(&format!(
        "SELECT {COLUMNS} FROM product_mappings WHERE sku_id = ANY($1)"
    ))
    .bind(sku_ids)
    .fetch_all(db)
    .await?;
    let mut resolved: HashMap<i64, Fulfiller> = sku_ids
        .iter()
        .map(|id| (*id, Fulfiller::LocalStock))
        .collect();
    for mapping in rows.into_iter().map(MappingRow::into_mapping) {
        if !mapping.is_active {
            return Err(StoreError::SkuUnavailable);
        }
        resolved.insert(mapping.sku_id, mapping.fulfiller);
    }
    Ok(resolved)
}
