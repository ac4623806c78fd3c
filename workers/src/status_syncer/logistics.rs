//! The WDT logistics pull: a [`TaskJob`] per WDT connection on the shared scheduler.
//!
//! Contract: the task (`wdt-logistics`, keyed by connection id) is created when the procurer
//! pushes a trade to that connection, and then keeps itself scheduled every
//! `workers.wdt_logistics_interval_secs` (scaled). Being a scheduled row, it runs on one replica
//! at a time. A run pulls `logistics.sync.query` until it comes back short:
//! - a shipment whose `tid` is one of our sub-orders marks it delivered (its delivery content is
//!   the carrier and the tracking number), consumes its stock and moves the parent, announcing
//!   the change (source `STATUS_SYNCER`), in one transaction; a shipment for a sub-order already
//!   delivered changes nothing;
//! - then `logistics.sync.ack`, sent only after those commits: 0 for applied, 1 with a reason for
//!   a `tid` we do not know.
//!
//! A failure (gateway down, database) ends the run; the scheduler retries it with backoff, and a
//! shipment applied but not acknowledged is applied again as a no-op and acknowledged then.

use std::sync::Arc;

use chrono::Utc;
use switchyard_partners::qimen::wire::{LogisticsAck, LogisticsSyncItem, MAX_ACKS_PER_CALL};
use switchyard_store::procurement::{self, ProcurementStatus};
use switchyard_store::stock;
use switchyard_topics::events::StatusSource;
use switchyard_topics::outbox;

use super::Shared;
use crate::error::StepError;
use crate::parent;
use crate::scheduler::{connection_of, ClaimedTask, JobError, JobFuture, TaskJob, TaskOutcome};

/// The `job` of the pull's scheduled tasks.
pub const JOB: &str = "wdt-logistics";

/// Shipments asked for per query (the gateway's maximum).
const PAGE: u32 = 100;

/// Pulls one WDT connection's shipments.
pub(super) struct LogisticsPull(pub(super) Arc<Shared>);

impl TaskJob for LogisticsPull {
    fn name(&self) -> &'static str {
        JOB
    }

    fn run(&self, task: ClaimedTask) -> JobFuture<'_, Result<TaskOutcome, JobError>> {
        Box::pin(async move {
            let connection_id = connection_of(&task)?;
            pull(&self.0, connection_id).await.map_err(JobError::new)?;
            let interval = chrono::Duration::from_std(self.0.logistics_interval)
                .unwrap_or_else(|_| chrono::Duration::minutes(5));
            Ok(TaskOutcome::Again {
                at: Utc::now() + interval,
                payload: serde_json::json!({}),
            })
        })
    }
}

/// Pulls until a short page, applying and acknowledging each page.
async fn pull(shared: &Shared, connection_id: i64) -> Result<(), StepError> {
    let client = shared.connections.qimen(connection_id).await?;
    loop {
        let answer = client
            .logistics_sync_query(PAGE)
            .await
            .map_err(|error| StepError::PartnerUnavailable(error.to_string()))?;
        if answer.code != 0 {
            return Err(StepError::PartnerUnavailable(format!(
                "logistics query answered {}",
                answer.code
            )));
        }
        let count = answer.trades.len();
        let mut acks = Vec::with_capacity(count);
        for shipment in &answer.trades {
            acks.push(apply(shared, connection_id, shipment).await?);
        }
        for chunk in acks.chunks(MAX_ACKS_PER_CALL) {
            client
                .logistics_sync_ack(chunk.to_vec())
                .await
                .map_err(|error| StepError::PartnerUnavailable(error.to_string()))?;
        }
        if count < PAGE as usize {
            return Ok(());
        }
    }
}

/// Applies one shipment; the acknowledgement to send once it has committed.
async fn apply(
    shared: &Shared,
    connection_id: i64,
    shipment: &LogisticsSyncItem,
) -> Result<LogisticsAck, StepError> {
    let ack = |status: u8, message: &str| LogisticsAck {
        rec_id: shipment.rec_id,
        status,
        message: message.to_owned(),
    };
    let Some(sub) =
        procurement::by_idempotency_key(&shared.pool, connection_id, &shipment.tid).await?
    else {
        return Ok(ack(1, "no such trade"));
    };
    if matches!(
        sub.status,
        ProcurementStatus::Fulfilled | ProcurementStatus::Completed
    ) {
        return Ok(ack(0, ""));
    }
    let content = serde_json::json!({
        "type": "logistics",
        "logistics_name": shipment.logistics_name,
        "logistics_no": shipment.logistics_no,
        "consign_time": shipment.consign_time,
    });
    let mut tx = shared.pool.begin().await?;
    procurement::mark_delivered(&mut *tx, sub.id, &content).await?;
    for line in procurement::covered_lines(&mut *tx, sub.id).await? {
        if let Some(sku_id) = line.sku_id {
            stock::consume(&mut *tx, sub.order_id, sku_id).await?;
        }
    }
    if let Some(change) = parent::refresh(&mut tx, sub.order_id).await? {
        let reason = Some("shipped by the WDT ERP");
        parent::announce(
            &mut tx,
            &shared.kafka,
            &change,
            StatusSource::StatusSyncer,
            reason,
            None,
        )
        .await?;
    }
    tx.commit().await?;
    outbox::wake();
    Ok(ack(0, ""))
}
