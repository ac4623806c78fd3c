//! Due retries: every `retry_poll_interval_ms`, while an owned partition has parked keys, the
//! heads of the retry schedule whose time has come are queued on their lanes (once each, and
//! only for partitions owned and not being revoked). The schedule query waits for a pool
//! connection while running handlers keep being driven, so handlers holding every connection
//! cannot stall it.

use std::sync::Arc;

use super::Dispatcher;
use crate::runner::handler::Handler;
use crate::runner::parking::{self, ParkedEvent};
use crate::runner::work::Work;

impl<H: Handler> Dispatcher<H> {
    pub(super) async fn schedule_due_retries(&mut self) {
        let any_parked = self
            .partitions
            .iter()
            .any(|(_, state)| !state.parked.is_empty() && !state.revoking);
        if !any_parked {
            return;
        }
        let limit = self.max_in_flight as i64;
        let shared = Arc::clone(&self.shared);
        let topics = self.topic_names.clone();
        let due = self
            .drive_handlers_until(parking::due_heads(
                &shared.pool,
                &shared.group,
                &topics,
                limit,
            ))
            .await;
        match due {
            Ok(due) => due
                .into_iter()
                .for_each(|parked| self.schedule_retry(parked)),
            Err(error) => tracing::warn!(%error, "looking for due retries"),
        }
    }

    fn schedule_retry(&mut self, parked: ParkedEvent) {
        let Some(topic) = self.topic_index(&parked.record.topic) else {
            return;
        };
        let partition = parked.record.partition;
        let owned = self
            .partitions
            .get((topic, partition))
            .is_some_and(|state| !state.revoking);
        if !owned || self.scheduled_retries.contains(&parked.id) {
            return;
        }
        self.scheduled_retries.insert(parked.id);
        let lane = self
            .lanes
            .open((topic, partition, Arc::clone(&parked.record.key)));
        if let Some(open) = self.lanes.get_mut(lane) {
            open.queue.push_back(Work::Retry(parked));
        }
        self.try_start(lane);
    }
}
