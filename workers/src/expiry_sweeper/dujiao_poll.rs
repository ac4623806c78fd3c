//! The fallback poll of accepted Dujiao-Next orders whose callback does not come.
//!
//! Contract: the task (`dujiao-fallback-poll`, keyed by sub-order id) is ensured by the procurer
//! in the transaction that makes the sub-order `accepted`, due after the first step of
//! `sweeper.dujiao_poll_ladder_secs`. Each run:
//! - a sub-order no longer `accepted` (its callback came, an operator acted) ends the task;
//! - otherwise `GET /orders/:id` on the upstream; a delivered, canceled or refunded answer is
//!   applied exactly as that callback is ([`crate::upstream_outcome::apply`]: content stored,
//!   stock consumed, parent moved and announced, the downstream site's callback queued; source
//!   `EXPIRY_SWEEPER`) and ends the task;
//! - still not there (or the upstream could not answer): the next poll is due after the next step
//!   of the ladder, then every `sweeper.dujiao_poll_every_secs`. Once the order has waited
//!   `sweeper.dujiao_stuck_after_secs` since acceptance, it is flagged once: the sub-order gets
//!   the operator exception `delivery_overdue` with the reason (its status stays `accepted`) and
//!   `switchyard_sweeper_stuck_orders_total` counts it — once per order, whatever the replicas
//!   and repeated runs, because the flag is set only where it is not yet.
//!
//! The payload carries the poll number and the acceptance time (scaled times are all relative).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgExecutor;
use switchyard_partners::dujiao::CallbackOutcome;
use switchyard_store::procurement::{self, ProcurementOrder, ProcurementStatus};
use switchyard_store::{scheduled_tasks, StoreResult};
use switchyard_topics::events::StatusSource;
use uuid::Uuid;

use super::Shared;
use crate::config::WorkersConfig;
use crate::error::StepError;
use crate::scheduler::{ClaimedTask, JobError, JobFuture, TaskJob, TaskOutcome};
use crate::upstream_outcome::{self, UpstreamReport};

/// The `job` of the fallback polls.
pub const JOB: &str = "dujiao-fallback-poll";

/// The operator exception of an order still undelivered past the alert threshold.
pub const OVERDUE_CODE: &str = "delivery_overdue";

/// Makes sure sub-order `sub_id`, accepted just now, is polled if its callback does not come.
pub async fn schedule(
    db: impl PgExecutor<'_>,
    config: &WorkersConfig,
    sub_id: Uuid,
) -> StoreResult<bool> {
    let first = config.scaled(config.sweeper.dujiao_poll_delay(0));
    let due = Utc::now() + chrono::Duration::from_std(first).unwrap_or_default();
    scheduled_tasks::ensure(db, JOB, &sub_id.to_string(), due).await
}

/// Where a poll task is on its ladder.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Progress {
    /// Polls made before this one.
    poll: usize,
    /// When the upstream accepted the order.
    accepted_at: DateTime<Utc>,
}

/// Polls due upstream orders.
pub(super) struct FallbackPoll(pub(super) std::sync::Arc<Shared>);

impl TaskJob for FallbackPoll {
    fn name(&self) -> &'static str {
        JOB
    }

    fn run(&self, task: ClaimedTask) -> JobFuture<'_, Result<TaskOutcome, JobError>> {
        Box::pin(async move {
            let sub_id = Uuid::parse_str(&task.task_key)
                .map_err(|_| JobError::new("task key is not a sub-order id"))?;
            let shared = &self.0;
            let first = shared.scaled(shared.config.sweeper.dujiao_poll_delay(0));
            let progress =
                serde_json::from_value::<Progress>(task.payload.clone()).unwrap_or(Progress {
                    poll: 0,
                    accepted_at: task.due_at - first,
                });
            poll(shared, sub_id, progress).await.map_err(JobError::new)
        })
    }
}

async fn poll(shared: &Shared, sub_id: Uuid, progress: Progress) -> Result<TaskOutcome, StepError> {
    let Some(sub) = procurement::get(&shared.pool, sub_id).await? else {
        return Ok(TaskOutcome::Done);
    };
    if sub.status != ProcurementStatus::Accepted {
        return Ok(TaskOutcome::Done);
    }
    match ask_upstream(shared, &sub).await {
        Ok(true) => return Ok(TaskOutcome::Done),
        Ok(false) => {}
        Err(
            error @ (StepError::PartnerUnavailable(_)
            | StepError::Invalid(_)
            | StepError::Connection(_)),
        ) => {
            tracing::warn!(procurement_id = %sub.id, %error, "fallback poll: no answer from the upstream");
        }
        Err(error) => return Err(error),
    }
    let sweeper = &shared.config.sweeper;
    let stuck_after = shared.scaled(Duration::from_secs(sweeper.dujiao_stuck_after_secs));
    if Utc::now() - progress.accepted_at >= stuck_after {
        alert(shared, &sub).await?;
    }
    let next = Progress {
        poll: progress.poll + 1,
        ..progress
    };
    Ok(TaskOutcome::Again {
        at: Utc::now() + shared.scaled(sweeper.dujiao_poll_delay(next.poll)),
        payload: serde_json::to_value(next).unwrap_or_default(),
    })
}

/// Asks the upstream and applies a final answer; true when the sub-order has its outcome.
async fn ask_upstream(shared: &Shared, sub: &ProcurementOrder) -> Result<bool, StepError> {
    let connection_id = sub
        .connection_id
        .ok_or_else(|| StepError::invalid("Dujiao-Next sub-order without connection"))?;
    let upstream_order_id: u64 = sub
        .upstream_order_id
        .as_deref()
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| StepError::invalid("upstream order id is not a number"))?;
    let detail =
        upstream_outcome::read(&shared.connections, connection_id, upstream_order_id).await?;
    let Some(outcome) = CallbackOutcome::from_callback_status(&detail.status) else {
        return Ok(false);
    };
    let report = UpstreamReport {
        sub_id: sub.id,
        outcome,
        content: (outcome == CallbackOutcome::Delivered)
            .then(|| upstream_outcome::delivery_content(&detail)),
        source: StatusSource::ExpirySweeper,
        event: None,
    };
    if upstream_outcome::apply(&shared.pool, &shared.kafka, &report).await? {
        tracing::info!(procurement_id = %sub.id, status = %outcome.to_procurement_status(), "fallback poll applied what the callback did not bring");
    }
    Ok(true)
}

/// Flags the sub-order as overdue and counts it, once.
async fn alert(shared: &Shared, sub: &ProcurementOrder) -> Result<(), StepError> {
    let sweeper = &shared.config.sweeper;
    let reason = format!(
        "no delivery from the upstream {} s after acceptance (callback lost?); still polling every {} s",
        sweeper.dujiao_stuck_after_secs, sweeper.dujiao_poll_every_secs
    );
    if procurement::flag_exception(&shared.pool, sub.id, OVERDUE_CODE, &reason).await? {
        shared.metrics.sweeper_stuck.inc();
        tracing::warn!(procurement_id = %sub.id, "upstream order still undelivered: operator exception");
    }
    Ok(())
}
