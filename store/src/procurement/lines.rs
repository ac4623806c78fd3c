//! The order lines a procurement order covers, as a fulfiller's request needs them.
//!
//! Contract: lines come back in the parent order's line order; `manual_form_data` is buyer input
//! and may hold personal data, so it is never logged.

use sqlx::PgExecutor;
use uuid::Uuid;

use crate::error::StoreResult;

/// One order line covered by a sub-order.
#[derive(Clone, PartialEq, sqlx::FromRow)]
pub struct CoveredLine {
    /// Order line id.
    pub order_item_id: i64,
    /// Line number in the parent order.
    pub line_no: i32,
    /// Our SKU.
    pub sku_id: Option<i64>,
    /// Units covered.
    pub quantity: i32,
    /// Our unit price (minor units).
    pub unit_price_minor: i64,
    /// Buyer form input (may hold personal data: never log it).
    pub manual_form_data: Option<serde_json::Value>,
}

/// The order lines procurement order `procurement_id` covers, by line number.
pub async fn covered_lines(
    db: impl PgExecutor<'_>,
    procurement_id: Uuid,
) -> StoreResult<Vec<CoveredLine>> {
    let lines = sqlx::query_as::<_, CoveredLine>(
        "SELECT i.id AS order_item_id, i.line_no, i.sku_id, p.quantity, i.unit_price_minor,
                i.manual_form_data
         FROM procurement_order_items p JOIN order_items i ON i.id = p.order_item_id
         WHERE p.procurement_order_id = $1 ORDER BY i.line_no",
    )
    .bind(procurement_id)
    .fetch_all(db)
    .await?;
    Ok(lines)
}
