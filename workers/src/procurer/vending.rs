//! Buying from a vending machine: create → mark paid → dispense each record.
//!
//! Contract: the create carries our idempotency key as `trade_id` (the platform returns the
//! existing order for a repeat), and the platform's order id is stored before anything else, so
//! dispense results can be matched even while this attempt is still running. Before paying and
//! dispensing, the order is queried: an order already paid is not paid again, and only records
//! still `WAITING_PICKED_UP` are dispensed — a repeated attempt never dispenses an item twice.
//! While the machine is busy dispensing (it is locked ~45 s per item) the dispense waits
//! `busy_wait_ms`, at most `busy_max_waits` times. Success here means "dispensing"; delivery is
//! decided by the callback-relayer from the dispense results, after querying the order back.

use std::time::Duration;

use switchyard_partners::vending::wire::{CreateOrder, ProductLine};
use switchyard_partners::vending::{
    MachineNo, RecordStatus, TradeId, VendingClient, VendingError, VendingOrderStatus,
};
use switchyard_store::mappings::{self, Fulfiller};
use switchyard_store::procurement::{self, CoveredLine, ProcurementOrder, ProcurementStatus};

use super::attempt::{AttemptResult, PartnerFailure};
use super::place::Placer;
use crate::error::StepError;
use crate::expiry_sweeper::vending_expiry;

/// Platform code: the machine is dispensing and refuses another dispense for now.
const MACHINE_BUSY: i64 = 40007;

/// Creates, pays and dispenses the sub-order's items.
pub async fn place(
    placer: &Placer,
    sub: &ProcurementOrder,
    lines: &[CoveredLine],
) -> Result<AttemptResult, StepError> {
    let connection_id = sub
        .connection_id
        .ok_or_else(|| StepError::invalid("vending sub-order without connection"))?;
    let (machine, products) = match products(placer, lines).await? {
        Ok(found) => found,
        Err(failure) => return Ok(AttemptResult::Failed(failure)),
    };
    let Ok(trade_id) = TradeId::parse(&sub.idempotency_key) else {
        return Ok(failed(
            "invalid_trade_id",
            "idempotency key is not a valid trade_id",
        ));
    };
    let client = placer.connections().vending(connection_id).await?;
    let order_id = match &sub.upstream_order_id {
        Some(order_id) => order_id.clone(),
        None => {
            let create = CreateOrder {
                machine_no: machine.clone(),
                notify_url: placer.config().vending_notify_url(
                    placer.notify_tokens(),
                    machine.as_str(),
                    &sub.id.to_string(),
                ),
                trade_id,
                products,
            };
            match client.create_order(&create).await {
                Ok(order_id) => order_id,
                Err(error) => return Ok(partner(&error)),
            }
        }
    };
    procurement::set_upstream_order_id(placer.pool(), sub.id, &order_id).await?;
    // Unpaid at its deadline, the expiry-sweeper closes it (a no-op when already scheduled).
    vending_expiry::schedule(placer.pool(), placer.config(), sub.id, chrono::Utc::now()).await?;
    let queried = match client.query(&machine, &order_id).await {
        Ok(queried) => queried,
        Err(error) => return Ok(partner(&error)),
    };
    match queried.status {
        Some(VendingOrderStatus::Success) => {}
        Some(VendingOrderStatus::Notpay) | None => {
            if let Err(error) = client.mark_paid(&machine, &order_id).await {
                return Ok(partner(&error));
            }
        }
        Some(other) => {
            return Ok(failed(
                "vending_order_closed",
                format!("vending order is {other:?}, cannot dispense"),
            ))
        }
    }
    let amount: i64 = queried
        .records
        .iter()
        .filter_map(|record| record.price)
        .sum();
    let waiting = queried
        .records
        .iter()
        .filter(|record| matches!(record.status, Some(RecordStatus::WaitingPickedUp) | None))
        .filter_map(|record| record.id.as_deref());
    for record_id in waiting {
        if let Some(failure) = dispense(placer, &client, &machine, &order_id, record_id).await {
            return Ok(AttemptResult::Failed(failure));
        }
    }
    Ok(AttemptResult::Placed {
        status: ProcurementStatus::Accepted,
        upstream_order_id: Some(order_id),
        upstream_order_no: None,
        amount_minor: (amount > 0).then_some(amount),
    })
}

/// Dispenses one record, waiting while the machine is busy.
async fn dispense(
    placer: &Placer,
    client: &VendingClient,
    machine: &MachineNo,
    order_id: &str,
    record_id: &str,
) -> Option<PartnerFailure> {
    let settings = &placer.config().vending;
    let mut waits = 0;
    loop {
        match client.dispense(machine, order_id, record_id).await {
            Ok(_) => return None,
            Err(VendingError::Api {
                code: MACHINE_BUSY, ..
            }) if waits < settings.busy_max_waits => {
                waits += 1;
                tokio::time::sleep(Duration::from_millis(settings.busy_wait_ms)).await;
            }
            Err(VendingError::Api {
                code: MACHINE_BUSY, ..
            }) => {
                return Some(PartnerFailure {
                    transient: true,
                    code: Some(MACHINE_BUSY.to_string()),
                    message: "machine stayed busy".to_owned(),
                    http_status: None,
                })
            }
            Err(error) => return Some(PartnerFailure::from(&error)),
        }
    }
}

/// The machine and product lines of the sub-order, from the SKUs' mappings.
async fn products(
    placer: &Placer,
    lines: &[CoveredLine],
) -> Result<Result<(MachineNo, Vec<ProductLine>), PartnerFailure>, StepError> {
    let mut machine = None;
    let mut products = Vec::new();
    for line in lines {
        let Some(sku_id) = line.sku_id else {
            return Ok(Err(PartnerFailure::permanent(
                "unmapped_line",
                "line has no SKU",
            )));
        };
        let (machine_no, product_id) = match mappings::resolve(placer.pool(), sku_id).await {
            Ok(Fulfiller::Vending {
                machine_no,
                product_id,
                ..
            }) => (machine_no, product_id),
            Ok(_) | Err(switchyard_store::StoreError::SkuUnavailable) => {
                return Ok(Err(PartnerFailure::permanent(
                    "mapping_changed",
                    "the SKU is no longer mapped to this vending machine",
                )))
            }
            Err(error) => return Err(error.into()),
        };
        let Ok(parsed) = MachineNo::parse(&machine_no) else {
            return Ok(Err(PartnerFailure::permanent(
                "invalid_machine_no",
                "bad machine number",
            )));
        };
        machine.get_or_insert(parsed);
        products.push(ProductLine {
            product_id,
            quantity: u32::try_from(line.quantity).unwrap_or_default(),
        });
    }
    match machine {
        Some(machine) => Ok(Ok((machine, products))),
        None => Ok(Err(PartnerFailure::permanent(
            "invalid_request",
            "no lines",
        ))),
    }
}

fn failed(code: &str, message: impl Into<String>) -> AttemptResult {
    AttemptResult::Failed(PartnerFailure::permanent(code, message))
}

fn partner(error: &VendingError) -> AttemptResult {
    AttemptResult::Failed(PartnerFailure::from(error))
}
