//! Delivering a sub-order from local stock.
//!
//! Contract: the units are reserved for the order (idempotent per order and SKU; the provider
//! API already reserved them at intake) and then consumed, and the delivery content names one
//! code per unit, derived from the order number and line so a repeat yields the same content.
//! Too little stock or an inactive SKU is a permanent failure: an operator's exception.

use switchyard_store::orders::Order;
use switchyard_store::procurement::{CoveredLine, ProcurementOrder};
use switchyard_store::{stock, StoreError};

use super::attempt::{AttemptResult, PartnerFailure};
use super::place::Placer;
use crate::error::StepError;

/// Reserves and consumes the units, and returns the delivery.
pub async fn deliver(
    placer: &Placer,
    order: &Order,
    _sub: &ProcurementOrder,
    lines: &[CoveredLine],
) -> Result<AttemptResult, StepError> {
    let mut conn = placer.pool().acquire().await?;
    let mut codes = Vec::new();
    for line in lines {
        let Some(sku_id) = line.sku_id else {
            return Ok(AttemptResult::Failed(PartnerFailure::permanent(
                "unmapped_line",
                format!("line {} has no SKU", line.line_no),
            )));
        };
        match stock::reserve(&mut conn, order.id, sku_id, line.quantity).await {
            Ok(()) => {}
            Err(error @ (StoreError::InsufficientStock | StoreError::SkuUnavailable)) => {
                let code = match error {
                    StoreError::InsufficientStock => "insufficient_stock",
                    _ => "sku_unavailable",
                };
                return Ok(AttemptResult::Failed(PartnerFailure::permanent(
                    code,
                    format!("local stock: {error} (line {})", line.line_no),
                )));
            }
            Err(error) => return Err(error.into()),
        }
        stock::consume(&mut *conn, order.id, sku_id).await?;
        for unit in 1..=line.quantity {
            codes.push(format!("{}-{}-{unit}", order.order_no, line.line_no));
        }
    }
    Ok(AttemptResult::Delivered {
        content: serde_json::json!({
            "type": "auto",
            "payload": codes.join("\n"),
            "delivery_data": { "codes": codes },
            "delivered_at": chrono::Utc::now().to_rfc3339(),
        }),
    })
}
