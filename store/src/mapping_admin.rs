//! Operator work on product mappings beyond [`mappings::set`](crate::mappings::set): apply many at
//! once (the import and the one-by-one route), and the lookups that check them.
//!
//! Contract:
//! - [`apply`] writes a batch of mappings in ONE statement: a SKU without a mapping gets one, a
//!   SKU whose mapping differs is updated, an identical one is not touched (its `updated_at`
//!   stays), so applying the same batch twice reports every row unchanged the second time. A
//!   spec whose `is_active` is `None` keeps an existing mapping's switch (new ones start on).
//!   Changing where a SKU is fulfilled clears the cached upstream price, stock and sync time;
//!   switching it on or off keeps them. The caller has validated the batch (each SKU once,
//!   existing SKUs and connections of the right kind); the table's constraints still hold.

use std::collections::HashSet;

use sqlx::PgExecutor;

use crate::error::StoreResult;
use crate::mappings::{Fulfiller, FulfillerKind};

/// One mapping to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingSpec {
    /// The local SKU.
    pub sku_id: i64,
    /// Who delivers it.
    pub fulfiller: Fulfiller,
    /// On or off; `None` keeps an existing mapping's switch (a new one starts on).
    pub is_active: Option<bool>,
}

/// What [`apply`] did with a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Mappings that did not exist.
    pub created: u64,
    /// Mappings that existed and differed.
    pub updated: u64,
    /// Mappings that were already exactly so.
    pub unchanged: u64,
}

impl std::ops::AddAssign for Applied {
    fn add_assign(&mut self, other: Applied) {
        self.created += other.created;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
    }
}

/// The partner-side columns of a fulfiller, as stored.
#[derive(Debug, Default)]
pub(crate) struct TargetColumns<'a> {
    pub(crate) upstream_product_id: Option<i64>,
    pub(crate) upstream_sku_id: Option<i64>,
    pub(crate) machine_no: Option<&'a str>,
    pub(crate) vending_product_id: Option<&'a str>,
    pub(crate) spec_no: Option<&'a str>,
    pub(crate) goods_no: Option<&'a str>,
}

impl Fulfiller {
    /// The columns this fulfiller fills (the others are null).
    pub(crate) fn target_columns(&self) -> TargetColumns<'_> {
        match self {
            Fulfiller::LocalStock => TargetColumns::default(),
            Fulfiller::DujiaoUpstream {
                upstream_product_id,
                upstream_sku_id,
                ..
            } => TargetColumns {
                upstream_product_id: *upstream_product_id,
                upstream_sku_id: Some(*upstream_sku_id),
                ..TargetColumns::default()
            },
            Fulfiller::Vending {
                machine_no,
                product_id,
                ..
            } => TargetColumns {
                machine_no: Some(machine_no),
                vending_product_id: Some(product_id),
                ..TargetColumns::default()
            },
            Fulfiller::WdtErp {
                spec_no, goods_no, ..
            } => TargetColumns {
                spec_no: spec_no.as_deref(),
                goods_no: goods_no.as_deref(),
                ..TargetColumns::default()
            },
        }
    }
}

/// The partner-side columns compared to decide whether a mapping changed its target.
const TARGET: &str = "fulfiller, connection_id, upstream_product_id, upstream_sku_id, machine_no, \
                      vending_product_id, spec_no, goods_no";

/// Creates, updates or leaves alone each mapping of `batch` (one statement; see the contract).
pub async fn apply(db: impl PgExecutor<'_>, batch: &[MappingSpec]) -> StoreResult<Applied> {
    let mut columns = BatchColumns::default();
    for spec in batch {
        columns.push(spec);
    }
    let target_of = |alias: &str| {
        TARGET
            .split(", ")
            .map(|column| format!("{alias}.{column}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (stored, wanted) = (target_of("m"), target_of("i"));
    let keep_if_same = |column: &str| {
        format!(
            "{column} = CASE WHEN ({stored}) IS NOT DISTINCT FROM ({wanted}) THEN m.{column} END"
        )
    };
    let sql = format!(
        "WITH i AS (
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[],
                                  $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[],
                                  $10::bool[])
                 AS t(sku_id, {TARGET}, is_active)),
         updated AS (
             UPDATE product_mappings m SET
                 ({TARGET}) = ({wanted}),
                 is_active = coalesce(i.is_active, m.is_active),
                 disabled_reason = CASE WHEN coalesce(i.is_active, m.is_active)
                                        THEN NULL ELSE m.disabled_reason END,
                 {}, {}, {}
             FROM i
             WHERE m.sku_id = i.sku_id
               AND ({stored}, m.is_active)
                   IS DISTINCT FROM ({wanted}, coalesce(i.is_active, m.is_active))
             RETURNING m.sku_id),
         created AS (
             INSERT INTO product_mappings (sku_id, {TARGET}, is_active)
             SELECT i.sku_id, {wanted}, coalesce(i.is_active, true) FROM i
             WHERE NOT EXISTS (SELECT 1 FROM product_mappings m WHERE m.sku_id = i.sku_id)
             ON CONFLICT (sku_id) DO NOTHING
             RETURNING sku_id)
         SELECT (SELECT count(*) FROM created), (SELECT count(*) FROM updated)",
        keep_if_same("upstream_price_minor"),
        keep_if_same("upstream_stock"),
        keep_if_same("synced_at"),
    );
    let (created, updated): (i64, i64) = sqlx::query_as(&sql)
        .bind(&columns.sku_id)
        .bind(&columns.fulfiller)
        .bind(&columns.connection_id)
        .bind(&columns.upstream_product_id)
        .bind(&columns.upstream_sku_id)
        .bind(&columns.machine_no)
        .bind(&columns.vending_product_id)
        .bind(&columns.spec_no)
        .bind(&columns.goods_no)
        .bind(&columns.is_active)
        .fetch_one(db)
        .await?;
    let (created, updated) = (created.unsigned_abs(), updated.unsigned_abs());
    let total = u64::try_from(batch.len()).unwrap_or(u64::MAX);
    Ok(Applied {
        created,
        updated,
        unchanged: total.saturating_sub(created + updated),
    })
}

/// A batch as one array per column (what `unnest` reads).
#[derive(Default)]
struct BatchColumns<'a> {
    sku_id: Vec<i64>,
    fulfiller: Vec<&'static str>,
    connection_id: Vec<Option<i64>>,
    upstream_product_id: Vec<Option<i64>>,
    upstream_sku_id: Vec<Option<i64>>,
    machine_no: Vec<Option<&'a str>>,
    vending_product_id: Vec<Option<&'a str>>,
    spec_no: Vec<Option<&'a str>>,
    goods_no: Vec<Option<&'a str>>,
    is_active: Vec<Option<bool>>,
}

impl<'a> BatchColumns<'a> {
    fn push(&mut self, spec: &'a MappingSpec) {
        let target = spec.fulfiller.target_columns();
        self.sku_id.push(spec.sku_id);
        self.fulfiller.push(spec.fulfiller.kind().as_str());
        self.connection_id.push(spec.fulfiller.connection_id());
        self.upstream_product_id.push(target.upstream_product_id);
        self.upstream_sku_id.push(target.upstream_sku_id);
        self.machine_no.push(target.machine_no);
        self.vending_product_id.push(target.vending_product_id);
        self.spec_no.push(target.spec_no);
        self.goods_no.push(target.goods_no);
        self.is_active.push(spec.is_active);
    }
}

/// The ids among `sku_ids` that are SKUs.
pub async fn existing_skus(db: impl PgExecutor<'_>, sku_ids: &[i64]) -> StoreResult<HashSet<i64>> {
    let found: Vec<i64> = sqlx::query_scalar("SELECT id FROM skus WHERE id = ANY($1)")
        .bind(sku_ids)
        .fetch_all(db)
        .await?;
    Ok(found.into_iter().collect())
}

/// The connection kind that speaks `fulfiller`'s protocol; `None` for local stock.
pub fn connection_kind_for(fulfiller: FulfillerKind) -> Option<crate::connections::ConnectionKind> {
    use crate::connections::ConnectionKind;
    match fulfiller {
        FulfillerKind::LocalStock => None,
        FulfillerKind::DujiaoUpstream => Some(ConnectionKind::DujiaoUpstream),
        FulfillerKind::Vending => Some(ConnectionKind::Vending),
        FulfillerKind::WdtErp => Some(ConnectionKind::QimenWdt),
    }
}
