//! Buying through the Wangdiantong ERP: one `wdt.trade.push` per sub-order.
//!
//! Contract: the trade's `tid` is our idempotency key, so a repeated push updates the same ERP
//! trade instead of adding one. A pushed trade is `accepted`; shipping news comes later from
//! the status-syncer's logistics pull. Buyer contact data is not sent from here.

use switchyard_domain::{Currency, Money};
use switchyard_partners::qimen::timestamp::format_top_timestamp;
use switchyard_partners::qimen::wire::{WdtOrderLine, WdtTrade};
use switchyard_partners::qimen::{TradeList, WdtTradeStatus};
use switchyard_store::mappings::{self, Fulfiller};
use switchyard_store::orders::Order;
use switchyard_store::procurement::{CoveredLine, ProcurementOrder, ProcurementStatus};
use switchyard_store::scheduled_tasks;

use super::attempt::{AttemptResult, PartnerFailure};
use super::place::Placer;
use crate::error::StepError;
use crate::status_syncer::logistics;

/// Pushes the sub-order as one paid trade.
pub async fn place(
    placer: &Placer,
    order: &Order,
    sub: &ProcurementOrder,
    lines: &[CoveredLine],
) -> Result<AttemptResult, StepError> {
    let connection_id = sub
        .connection_id
        .ok_or_else(|| StepError::invalid("WDT sub-order without connection"))?;
    let client = placer.connections().qimen(connection_id).await?;
    let now = format_top_timestamp(chrono::Utc::now());
    let mut order_list = Vec::new();
    let mut paid = 0_i64;
    for line in lines {
        let Some(sku_id) = line.sku_id else {
            return Ok(failed("unmapped_line", "line has no SKU"));
        };
        let (spec_no, goods_no) = match mappings::resolve(placer.pool(), sku_id).await {
            Ok(Fulfiller::WdtErp {
                spec_no, goods_no, ..
            }) => (spec_no.unwrap_or_default(), goods_no.unwrap_or_default()),
            Ok(_) | Err(switchyard_store::StoreError::SkuUnavailable) => {
                return Ok(failed(
                    "mapping_changed",
                    "the SKU is no longer mapped to WDT",
                ))
            }
            Err(error) => return Err(error.into()),
        };
        paid += line.unit_price_minor * i64::from(line.quantity);
        order_list.push(WdtOrderLine {
            oid: format!("{}-{}", sub.idempotency_key, line.line_no),
            num: u32::try_from(line.quantity).unwrap_or_default(),
            price: Money::from_minor(line.unit_price_minor, Currency::CNY),
            status: WdtTradeStatus::Paid,
            refund_status: 0,
            goods_name: goods_no.clone(),
            goods_no,
            spec_no,
        });
    }
    let trade = WdtTrade {
        tid: sub.idempotency_key.clone(),
        trade_status: WdtTradeStatus::Paid,
        pay_status: 2,
        delivery_term: 1,
        trade_time: format_top_timestamp(order.updated_at),
        pay_time: Some(now),
        paid: Money::from_minor(paid, Currency::CNY),
        post_amount: Money::from_minor(0, Currency::CNY),
        order_list,
    };
    let trades = match TradeList::new(vec![trade]) {
        Ok(trades) => trades,
        Err(why) => return Ok(failed("invalid_request", why)),
    };
    Ok(match client.trade_push(&trades, true).await {
        Ok(answer) if answer.code == 0 => {
            // Shipping news comes from the connection's logistics pull: make sure it runs.
            let first_pull = chrono::Utc::now()
                + chrono::Duration::from_std(placer.config().wdt_logistics_interval())
                    .unwrap_or_else(|_| chrono::Duration::minutes(5));
            scheduled_tasks::ensure(
                placer.pool(),
                logistics::JOB,
                &connection_id.to_string(),
                first_pull,
            )
            .await?;
            placed(sub, paid)
        }
        Ok(answer) => failed(
            &answer.code.to_string(),
            format!(
                "trade push refused: {}",
                answer.message.chars().take(200).collect::<String>()
            ),
        ),
        Err(error) => AttemptResult::Failed(PartnerFailure::from(&error)),
    })
}

fn placed(sub: &ProcurementOrder, paid: i64) -> AttemptResult {
    AttemptResult::Placed {
        status: ProcurementStatus::Accepted,
        upstream_order_id: Some(sub.idempotency_key.clone()),
        upstream_order_no: None,
        amount_minor: Some(paid),
    }
}

fn failed(code: &str, message: impl Into<String>) -> AttemptResult {
    AttemptResult::Failed(PartnerFailure::permanent(code, message))
}
