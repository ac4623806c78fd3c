//! Applying a vending dispense result, trusted only after querying the order back.
//!
//! Contract: the (unsigned) report only says "look at this order". The platform's own answer
//! decides: when every record is final, all delivered makes the sub-order `fulfilled`; any other
//! end (jammed, motor fault, timeout) makes it `failed` with the reason — an operator's exception
//! (a failed dispense is the merchant's to refund, never done automatically). While the reported
//! record is not final yet, the order is queried again a few times, then the event is retried
//! later. A sub-order already decided is left alone, so a redelivered report changes nothing.
//! A report for an order that is not ours is a permanent failure: dead-lettered, never parked.

use std::time::Duration;

use switchyard_partners::vending::{FloorStatus, MachineNo, RecordStatus};
use switchyard_store::mappings::FulfillerKind;
use switchyard_store::procurement::{self, ProcurementStatus};
use switchyard_topics::events::VendingDispenseResult;
use switchyard_topics::{mark_processed, Delivery, ProcessedMark};
use uuid::Uuid;

use super::Relayer;
use crate::error::StepError;
use crate::parent;

/// Applies one dispense report.
#[tracing::instrument(skip_all, fields(vending_order_id = %event.vending_order_id))]
pub async fn apply(
    relayer: &Relayer,
    event: &VendingDispenseResult,
    delivery: &Delivery,
) -> Result<(), StepError> {
    let sub_id = find_sub_order(relayer, event).await?;
    let sub = procurement::get(&relayer.pool, sub_id)
        .await?
        .ok_or_else(|| StepError::invalid("procurement order vanished"))?;
    if !matches!(
        sub.status,
        ProcurementStatus::Pending | ProcurementStatus::Submitted | ProcurementStatus::Accepted
    ) {
        return Ok(());
    }
    let machine = MachineNo::parse(&event.machine_no)
        .map_err(|_| StepError::invalid("machine_no is not 8 digits"))?;
    let connection_id = sub
        .connection_id
        .ok_or_else(|| StepError::invalid("vending sub-order without connection"))?;
    let client = relayer.connections.vending(connection_id).await?;
    let settings = &relayer.config.vending;
    let mut queried = None;
    for round in 0..settings.query_back_attempts.max(1) {
        if round > 0 {
            tokio::time::sleep(Duration::from_millis(settings.query_back_interval_ms)).await;
        }
        let answer = client
            .query(&machine, &event.vending_order_id)
            .await
            .map_err(|error| StepError::PartnerUnavailable(error.to_string()))?;
        let reported_final = answer
            .records
            .iter()
            .find(|record| record.id.as_deref() == Some(event.record_id.as_str()))
            .and_then(|record| record.status)
            .is_some_and(RecordStatus::is_final);
        if reported_final {
            queried = Some(answer);
            break;
        }
    }
    let Some(queried) = queried else {
        return Err(StepError::PartnerUnavailable(
            "the platform does not confirm the dispense yet".to_owned(),
        ));
    };
    let statuses: Vec<Option<RecordStatus>> = queried.records.iter().map(|r| r.status).collect();
    if statuses
        .iter()
        .any(|status| !status.is_some_and(RecordStatus::is_final))
    {
        return Ok(()); // other items are still dispensing; their reports decide
    }
    let all_delivered = statuses
        .iter()
        .all(|status| status.is_some_and(RecordStatus::is_delivered));
    let mut tx = relayer.pool.begin().await?;
    if mark_processed(&mut tx, delivery).await? == ProcessedMark::AlreadyProcessed {
        return Ok(());
    }
    let reason = if all_delivered {
        let records: Vec<_> = queried
            .records
            .iter()
            .map(
                |r| serde_json::json!({"id": r.id, "product_id": r.product_id, "status": r.status}),
            )
            .collect();
        let content = serde_json::json!({
            "type": "vending",
            "payload": "",
            "delivery_data": {
                "machine_no": event.machine_no,
                "vending_order_id": event.vending_order_id,
                "records": records,
            },
            "delivered_at": chrono::Utc::now().to_rfc3339(),
        });
        procurement::mark_delivered(&mut *tx, sub.id, &content).await?;
        "dispensed".to_owned()
    } else {
        let why = failure_reason(&queried.records, event);
        procurement::mark_failed(&mut *tx, sub.id, "dispense_failed", &why).await?;
        tracing::warn!(procurement_id = %sub.id, reason = %why, "dispense failed: operator exception");
        "dispense_failed".to_owned()
    };
    let change = parent::refresh(&mut tx, sub.order_id).await?;
    relayer.announce(&mut tx, change.as_ref(), &reason).await?;
    tx.commit().await?;
    relayer.committed(change.is_some());
    Ok(())
}

/// The sub-order the report is for. With a verified token the report names it
/// (`procurement_id`); it must be a vending sub-order on the report's machine whose stored
/// platform order id is the report's. Without one (accepted during a token rollout), the
/// platform's order id finds it (the trade id ends with the machine number). The procurer
/// stores the platform's id before it dispenses, and nothing is reported before a dispense, so
/// a report that matches no sub-order is not ours: a permanent failure (dead-lettered, never
/// parked or retried).
async fn find_sub_order(
    relayer: &Relayer,
    event: &VendingDispenseResult,
) -> Result<Uuid, StepError> {
    let unknown = || StepError::invalid("dispense result for an unknown order: dropped");
    if let Some(reference) = &event.procurement_id {
        let id = Uuid::try_parse(reference).map_err(|_| unknown())?;
        let sub = procurement::get(&relayer.pool, id)
            .await?
            .ok_or_else(unknown)?;
        let matches = sub.fulfiller == Some(FulfillerKind::Vending)
            && sub.idempotency_key.ends_with(&event.machine_no)
            && sub.upstream_order_id.as_deref() == Some(event.vending_order_id.as_str());
        return if matches { Ok(id) } else { Err(unknown()) };
    }
    let candidates = procurement::by_upstream_order_id(
        &relayer.pool,
        FulfillerKind::Vending,
        &event.vending_order_id,
    )
    .await?;
    let mut best = None;
    for id in candidates {
        let Some(sub) = procurement::get(&relayer.pool, id).await? else {
            continue;
        };
        if sub.idempotency_key.ends_with(&event.machine_no) {
            return Ok(id);
        }
        best.get_or_insert(id);
    }
    best.ok_or_else(unknown)
}

fn failure_reason(
    records: &[switchyard_partners::vending::wire::Record],
    event: &VendingDispenseResult,
) -> String {
    let failed: Vec<String> = records
        .iter()
        .filter(|r| !r.status.is_some_and(RecordStatus::is_delivered))
        .map(|r| format!("record {} {:?}", r.id.as_deref().unwrap_or("?"), r.status))
        .collect();
    let floor = match FloorStatus::parse(&event.floor_status) {
        Some(FloorStatus::Empty) => "slot empty",
        Some(FloorStatus::Jammed) => "jammed",
        Some(FloorStatus::MotorFault) => "motor fault",
        Some(FloorStatus::SerialTimeout) => "serial timeout",
        Some(FloorStatus::Ok) | None => "no device detail",
    };
    format!(
        "dispense failed: {} (floor_status {} {floor})",
        failed.join(", "),
        event.floor_status.chars().take(4).collect::<String>()
    )
}
