//! Buying from an upstream Dujiao-Next site: `POST /orders`.
//!
//! Contract: one line per sub-order (the protocol buys one SKU per order); the body carries our
//! idempotency key as `downstream_order_no` — so a repeated attempt after a lost answer returns
//! the order already made, never a second one — and our ingress as `callback_url`. A paid answer
//! makes the sub-order `accepted`; delivery arrives later by callback.

use std::collections::BTreeMap;

use switchyard_domain::{Currency, Money};
use switchyard_partners::dujiao::wire::CreateOrderRequest;
use switchyard_partners::dujiao::Sensitive;
use switchyard_store::mappings::{self, Fulfiller};
use switchyard_store::orders::Order;
use switchyard_store::procurement::{CoveredLine, ProcurementOrder, ProcurementStatus};

use super::attempt::{AttemptResult, PartnerFailure};
use super::place::Placer;
use crate::error::StepError;

/// Places the sub-order with its upstream site.
pub async fn place(
    placer: &Placer,
    order: &Order,
    sub: &ProcurementOrder,
    lines: &[CoveredLine],
) -> Result<AttemptResult, StepError> {
    let [line] = lines else {
        return Ok(AttemptResult::Failed(PartnerFailure::permanent(
            "invalid_request",
            "a Dujiao-Next sub-order covers exactly one line",
        )));
    };
    let Some(sku_id) = line.sku_id else {
        return Ok(AttemptResult::Failed(PartnerFailure::permanent(
            "unmapped_line",
            "line has no SKU",
        )));
    };
    let upstream_sku_id = match mappings::resolve(placer.pool(), sku_id).await {
        Ok(Fulfiller::DujiaoUpstream {
            upstream_sku_id, ..
        }) => upstream_sku_id,
        Ok(_) => {
            return Ok(AttemptResult::Failed(PartnerFailure::permanent(
                "mapping_changed",
                "the SKU is no longer mapped to a Dujiao-Next upstream",
            )))
        }
        Err(switchyard_store::StoreError::SkuUnavailable) => {
            return Ok(AttemptResult::Failed(PartnerFailure::permanent(
                "sku_unavailable",
                "the SKU's mapping is switched off",
            )))
        }
        Err(error) => return Err(error.into()),
    };
    let connection_id = sub
        .connection_id
        .ok_or_else(|| StepError::invalid("Dujiao-Next sub-order without connection"))?;
    let client = placer.connections().dujiao(connection_id).await?;
    let request = CreateOrderRequest {
        sku_id: u64::try_from(upstream_sku_id).unwrap_or_default(),
        quantity: u32::try_from(line.quantity).unwrap_or_default(),
        manual_form_data: Sensitive(manual_form_data(line)),
        downstream_order_no: sub.idempotency_key.clone(),
        trace_id: order
            .trace_id
            .clone()
            .unwrap_or_else(|| order.order_no.clone()),
        callback_url: placer.config().callback_url(),
    };
    Ok(match client.create_order(&request).await {
        Ok(answer) => {
            let currency = answer.currency.unwrap_or(Currency::CNY);
            let amount = Money::parse_decimal(&answer.amount, currency)
                .ok()
                .map(|money| money.amount_minor);
            AttemptResult::Placed {
                status: ProcurementStatus::Accepted,
                upstream_order_id: Some(answer.order_id.to_string()),
                upstream_order_no: Some(answer.order_no),
                amount_minor: amount,
            }
        }
        Err(error) => AttemptResult::Failed(PartnerFailure::from(&error)),
    })
}

fn manual_form_data(line: &CoveredLine) -> BTreeMap<String, serde_json::Value> {
    match &line.manual_form_data {
        Some(serde_json::Value::Object(fields)) => {
            fields.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
        }
        _ => BTreeMap::new(),
    }
}
