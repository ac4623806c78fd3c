//! Due retries: every `retry_poll_interval_ms`, while an owned partition has parked keys, heads
//! of the retry schedule whose time has come are claimed in one statement — at most
//! `retry_batch` minus the retries already queued or running, only on partitions owned and not
//! being revoked — and queued on their lanes. A claim that came back full sets `more_due`: the
//! run loop claims again as soon as half of that work is done, without waiting for the tick.
//! The claim waits for a pool connection while running handlers keep being driven, so handlers
//! holding every connection cannot stall it. Claimed heads this process will not run (dropped
//! on revocation or shutdown) are released, due again at once for the next owner.

use std::sync::Arc;

use sqlx::PgPool;

use super::Dispatcher;
use crate::runner::handler::Handler;
use crate::runner::parking::{self, ParkedEvent};
use crate::runner::work::Work;

impl<H: Handler> Dispatcher<H> {
    pub(super) async fn schedule_due_retries(&mut self) {
        let owned: Vec<(String, i32)> = self
            .partitions
            .iter()
            .filter(|(_, state)| !state.parked.is_empty() && !state.revoking)
            .map(|((topic, partition), _)| (self.topic_names[*topic].clone(), *partition))
            .collect();
        let batch = self.retry_batch();
        let room = batch.saturating_sub(self.scheduled_retries.len());
        if owned.is_empty() || room == 0 {
            return;
        }
        let shared = Arc::clone(&self.shared);
        let lease = shared.config.retry_claim_lease();
        let claimed = self
            .drive_handlers_until(parking::claim_due(
                &shared.pool,
                &shared.group,
                &owned,
                room as i64,
                lease,
            ))
            .await;
        match claimed {
            Ok(claimed) => {
                if !claimed.is_empty() {
                    shared.claims.inc();
                }
                self.more_due = claimed.len() == room;
                let unwanted: Vec<i64> = claimed
                    .into_iter()
                    .filter_map(|parked| self.schedule_retry(parked))
                    .collect();
                release(&self.shared.pool, unwanted);
            }
            Err(error) => tracing::warn!(%error, "claiming due retries"),
        }
    }

    /// Whether to claim again now: the last claim was full and half of its work is done.
    pub(super) fn claim_again(&self) -> bool {
        self.more_due && !self.draining && self.scheduled_retries.len() * 2 <= self.retry_batch()
    }

    fn retry_batch(&self) -> usize {
        self.shared.config.retry_batch.max(1)
    }

    /// Queues a claimed head on its lane; returns its id when this process will not run it.
    fn schedule_retry(&mut self, parked: ParkedEvent) -> Option<i64> {
        let Some(topic) = self.topic_index(&parked.record.topic) else {
            return Some(parked.id);
        };
        let partition = parked.record.partition;
        let owned = self
            .partitions
            .get((topic, partition))
            .is_some_and(|state| !state.revoking);
        if !owned {
            return Some(parked.id);
        }
        if self.scheduled_retries.contains(&parked.id) {
            return None; // running here already; its lease was only renewed
        }
        self.scheduled_retries.insert(parked.id);
        let lane = self
            .lanes
            .open((topic, partition, Arc::clone(&parked.record.key)));
        if let Some(open) = self.lanes.get_mut(lane) {
            open.queue.push_back(Work::Retry(parked));
        }
        self.try_start(lane);
        None
    }
}

/// Gives claimed heads back in the background (best effort: otherwise their lease expires).
pub(super) fn release(pool: &PgPool, ids: Vec<i64>) {
    if ids.is_empty() {
        return;
    }
    let pool = pool.clone();
    tokio::spawn(async move {
        if let Err(error) = parking::release(&pool, &ids).await {
            tracing::debug!(%error, "releasing claimed retries");
        }
    });
}
