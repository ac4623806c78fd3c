//! Unpaid vending orders: closed at their deadline, their stock returned.
//!
//! Contract: the task (`vending-expiry`, keyed by sub-order id) is ensured by the procurer once
//! the platform has the order, due `sweeper.vending_unpaid_expiry_secs` (scaled) after that. When
//! due, the platform decides, never our own records:
//! - paid (or refunded, or a payment under way that is not ours to interrupt: checked again
//!   later) → nothing changes; an order paid a second before the deadline is never closed;
//! - still `NOTPAY` (or a failed payment) → closed with `PUT` status 3. A close refused with 40005
//!   ("order expired") or a query answering `CLOSED`/`REVOKED`/40005 confirms it expired; a close
//!   refused with 40006 (its status moved meanwhile) is decided by querying again;
//! - then, in one transaction: the sub-order (unless delivered) becomes `failed` with code
//!   `vending_unpaid_expired` and the reason — an operator exception, seen in
//!   `GET /admin/v1/procurement/orders/{id}` — every stock reservation of its lines is released,
//!   and the parent is re-derived and announced (`orders.status-changed`, source `EXPIRY_SWEEPER`).
//!
//! A platform that cannot be reached fails the run; the scheduler retries it with backoff.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use switchyard_partners::vending::{MachineNo, VendingClient, VendingError, VendingOrderStatus};
use switchyard_store::procurement::{self, ProcurementOrder, ProcurementStatus};
use switchyard_store::{scheduled_tasks, stock, StoreResult};
use switchyard_topics::events::StatusSource;
use switchyard_topics::outbox;
use uuid::Uuid;

use super::Shared;
use crate::config::WorkersConfig;
use crate::error::StepError;
use crate::parent;
use crate::scheduler::{ClaimedTask, JobError, JobFuture, TaskJob, TaskOutcome};

/// The `job` of the expiry tasks.
pub const JOB: &str = "vending-expiry";

/// The sub-order's error code once expired.
pub const EXPIRED_CODE: &str = "vending_unpaid_expired";

/// Platform code: the order expired (closed) already.
const ORDER_EXPIRED: i64 = 40005;
/// Platform code: the order's status does not allow the change (it moved meanwhile).
const STATUS_INVALID: i64 = 40006;

/// Makes sure sub-order `sub_id`, whose platform order was created at `created_at`, is checked
/// at its deadline (a no-op when already scheduled).
pub async fn schedule(
    db: impl PgExecutor<'_>,
    config: &WorkersConfig,
    sub_id: Uuid,
    created_at: DateTime<Utc>,
) -> StoreResult<bool> {
    let expiry = Duration::from_secs(config.sweeper.vending_unpaid_expiry_secs);
    let due = created_at + chrono::Duration::from_std(config.scaled(expiry)).unwrap_or_default();
    scheduled_tasks::ensure(db, JOB, &sub_id.to_string(), due).await
}

/// Checks due vending orders.
pub(super) struct VendingExpiry(pub(super) std::sync::Arc<Shared>);

impl TaskJob for VendingExpiry {
    fn name(&self) -> &'static str {
        JOB
    }

    fn run(&self, task: ClaimedTask) -> JobFuture<'_, Result<TaskOutcome, JobError>> {
        Box::pin(async move {
            let sub_id = Uuid::parse_str(&task.task_key)
                .map_err(|_| JobError::new("task key is not a sub-order id"))?;
            check(&self.0, sub_id).await.map_err(JobError::new)
        })
    }
}

/// What the platform says about the order.
enum Verdict {
    /// Paid (or otherwise not ours to close): leave it.
    Paid,
    /// A payment is under way: look again later.
    Paying,
    /// Closed now, or found expired: the reason.
    Expired(&'static str),
}

async fn check(shared: &Shared, sub_id: Uuid) -> Result<TaskOutcome, StepError> {
    let Some(sub) = procurement::get(&shared.pool, sub_id).await? else {
        return Ok(TaskOutcome::Done);
    };
    if !still_open(sub.status) {
        return Ok(TaskOutcome::Done);
    }
    let (Some(connection_id), Some(order_id)) = (sub.connection_id, &sub.upstream_order_id) else {
        return Ok(TaskOutcome::Done);
    };
    let machine = machine_of(&sub.idempotency_key)
        .ok_or_else(|| StepError::invalid("vending key names no machine"))?;
    let client = shared.connections.vending(connection_id).await?;
    match verdict(&client, &machine, order_id).await? {
        Verdict::Paid => Ok(TaskOutcome::Done),
        Verdict::Paying => Ok(TaskOutcome::Again {
            at: Utc::now() + shared.scaled(Duration::from_secs(60)),
            payload: serde_json::json!({}),
        }),
        Verdict::Expired(reason) => {
            expire(shared, &sub, reason).await?;
            Ok(TaskOutcome::Done)
        }
    }
}

/// Asks the platform, closing the order when it is still unpaid.
async fn verdict(
    client: &VendingClient,
    machine: &MachineNo,
    order_id: &str,
) -> Result<Verdict, StepError> {
    let unavailable = |error: VendingError| StepError::PartnerUnavailable(error.to_string());
    let status = match client.query(machine, order_id).await {
        Ok(queried) => queried.status,
        Err(VendingError::Api {
            code: ORDER_EXPIRED,
            ..
        }) => return Ok(Verdict::Expired(CONFIRMED)),
        Err(error) => return Err(unavailable(error)),
    };
    match status {
        Some(VendingOrderStatus::Closed | VendingOrderStatus::Revoked) => {
            return Ok(Verdict::Expired(CONFIRMED))
        }
        Some(VendingOrderStatus::Userpaying) => return Ok(Verdict::Paying),
        Some(VendingOrderStatus::Notpay | VendingOrderStatus::Payerror) | None => {}
        Some(_) => return Ok(Verdict::Paid),
    }
    match client.cancel(machine, order_id).await {
        Ok(()) => Ok(Verdict::Expired(CLOSED)),
        Err(VendingError::Api {
            code: ORDER_EXPIRED,
            ..
        }) => Ok(Verdict::Expired(CONFIRMED)),
        Err(VendingError::Api {
            code: STATUS_INVALID,
            ..
        }) => {
            // Its status moved between the query and the close (paid at the last second).
            let queried = client.query(machine, order_id).await.map_err(unavailable)?;
            match queried.status {
                Some(VendingOrderStatus::Closed | VendingOrderStatus::Revoked) => {
                    Ok(Verdict::Expired(CONFIRMED))
                }
                Some(VendingOrderStatus::Notpay | VendingOrderStatus::Payerror) | None => Err(
                    StepError::PartnerUnavailable("the platform refused to close".to_owned()),
                ),
                Some(VendingOrderStatus::Userpaying) => Ok(Verdict::Paying),
                Some(_) => Ok(Verdict::Paid),
            }
        }
        Err(error) => Err(unavailable(error)),
    }
}

const CLOSED: &str = "vending order unpaid at its deadline: closed on the platform";
const CONFIRMED: &str = "vending order unpaid at its deadline: the platform confirms it expired";

/// In one transaction: the sub-order becomes an exception, its stock returns, the parent moves.
async fn expire(shared: &Shared, sub: &ProcurementOrder, reason: &str) -> Result<(), StepError> {
    let mut tx = shared.pool.begin().await?;
    let Some(current) = procurement::lock(&mut tx, sub.id).await? else {
        return Ok(());
    };
    let first = current.last_error_code.as_deref() != Some(EXPIRED_CODE);
    if still_open(current.status) {
        procurement::mark_failed(&mut *tx, sub.id, EXPIRED_CODE, reason).await?;
    }
    for line in procurement::covered_lines(&mut *tx, sub.id).await? {
        if let Some(sku_id) = line.sku_id {
            stock::release(&mut tx, sub.order_id, sku_id).await?;
        }
    }
    let change = parent::refresh(&mut tx, sub.order_id).await?;
    if let Some(change) = &change {
        let source = StatusSource::ExpirySweeper;
        parent::announce(
            &mut tx,
            &shared.kafka,
            change,
            source,
            Some(EXPIRED_CODE),
            None,
        )
        .await?;
    }
    tx.commit().await?;
    outbox::wake();
    if change.is_some() {
        crate::downstream::wake_sender();
    }
    if first {
        shared.metrics.sweeper_vending_expired.inc();
        tracing::warn!(procurement_id = %sub.id, reason, "unpaid vending order expired: operator exception");
    }
    Ok(())
}

/// Statuses in which the platform's answer can still change the sub-order.
fn still_open(status: ProcurementStatus) -> bool {
    matches!(
        status,
        ProcurementStatus::Pending
            | ProcurementStatus::Submitted
            | ProcurementStatus::Accepted
            | ProcurementStatus::Failed
    )
}

/// The machine of a vending sub-order: its key is `{order_no}M{machine_no}`.
fn machine_of(idempotency_key: &str) -> Option<MachineNo> {
    let (_, machine) = idempotency_key.rsplit_once('M')?;
    MachineNo::parse(machine).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_machine_is_the_end_of_the_key() {
        let machine = machine_of("SY20261203000042M12345678").map(|m| m.to_string());
        assert_eq!(machine.as_deref(), Some("12345678"));
        assert!(machine_of("no-machine").is_none());
        assert!(still_open(ProcurementStatus::Failed));
        assert!(!still_open(ProcurementStatus::Fulfilled));
    }
}
