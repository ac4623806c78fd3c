//! Giving partitions up: on revocation, queued work of the revoked partitions is dropped (its
//! offsets stay uncommitted, so the next owner handles it), running work is cancelled out of
//! its bookkeeping retries and awaited, then the finished offsets are stored and the poll
//! thread, blocked in the rebalance callback, is released to commit them. Shutdown drains every
//! partition the same way, bounded by `drain_timeout_ms`. Claimed retries dropped either way are
//! released (due again at once) rather than left to their lease.

use std::time::Duration;

use super::partitions::PartitionId;
use super::Dispatcher;
use crate::runner::handler::Handler;
use crate::runner::work::Work;

impl<H: Handler> Dispatcher<H> {
    pub(super) fn on_revoked(
        &mut self,
        revoked: Vec<PartitionId>,
        ack: std::sync::mpsc::Sender<()>,
    ) {
        for id in &revoked {
            if let Some(state) = self.partitions.get_mut(*id) {
                state.revoking = true;
                state.cancel.cancel();
            }
        }
        let dropped =
            self.drop_queued(|&(topic, partition, _)| revoked.contains(&(topic, partition)));
        super::retries::release(&self.shared.pool, dropped);
        self.pending_revoke = Some((revoked, ack));
        self.try_finish_revoke();
    }

    /// Drops queued (not running) work of matching lanes; their offsets stay uncommitted.
    /// Returns the claimed retries dropped, for release.
    fn drop_queued(
        &mut self,
        matches: impl Fn(&(usize, i32, std::sync::Arc<str>)) -> bool,
    ) -> Vec<i64> {
        let mut dropped = Vec::new();
        for lane_id in self.lanes.matching(matches) {
            let Some(lane) = self.lanes.get_mut(lane_id) else {
                continue;
            };
            for work in lane.queue.drain(..) {
                match work {
                    Work::Fresh(_) => self.buffered -= 1,
                    Work::Retry(parked) => {
                        self.scheduled_retries.remove(&parked.id);
                        dropped.push(parked.id);
                    }
                }
            }
            self.lanes.close_if_idle(lane_id);
        }
        dropped
    }

    /// Completes a pending revocation once none of its partitions has running work.
    pub(super) fn try_finish_revoke(&mut self) {
        let Some((revoked, _)) = &self.pending_revoke else {
            return;
        };
        let busy = revoked.iter().any(|id| {
            self.partitions
                .get(*id)
                .is_some_and(|state| state.in_flight > 0)
        });
        if busy {
            return;
        }
        let Some((revoked, ack)) = self.pending_revoke.take() else {
            return;
        };
        for id in revoked {
            if let Some(state) = self.partitions.remove(id) {
                if let Some(next) = state.tracker.committable() {
                    self.store_offset(id, next);
                }
            }
        }
        let _ = ack.send(());
    }

    /// Shutdown: drop queued work, wait for running handlers (bounded), store offsets.
    pub(super) async fn drain(&mut self) {
        self.draining = true;
        let mut dropped = self.drop_queued(|_| true);
        let deadline = tokio::time::Instant::now()
            + Duration::from_millis(self.shared.config.drain_timeout_ms);
        while self.in_flight > 0 {
            match tokio::time::timeout_at(deadline, futures::StreamExt::next(&mut self.running))
                .await
            {
                Ok(Some(finished)) => {
                    dropped.extend(finished.outcome.next.as_ref().map(|next| next.id));
                    self.on_finished(finished);
                }
                Ok(None) => break,
                Err(_) => {
                    tracing::warn!(running = self.in_flight, "drain timed out");
                    break;
                }
            }
        }
        let committable: Vec<(PartitionId, i64)> = self
            .partitions
            .iter()
            .filter_map(|(id, state)| state.tracker.committable().map(|next| (*id, next)))
            .collect();
        for (id, next) in committable {
            self.store_offset(id, next);
        }
        // Claimed retries left unrun are due again at once for the next owner.
        let released = crate::runner::parking::release(&self.shared.pool, &dropped);
        if let Err(error) = tokio::time::timeout(Duration::from_secs(2), released)
            .await
            .unwrap_or(Ok(()))
        {
            tracing::debug!(%error, "releasing claimed retries");
        }
    }
}
