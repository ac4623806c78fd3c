//! The hot path of one event: a fetched record is tracked and queued on its lane, started when
//! the lane is free and a slot is available, and its report updates offsets, parked keys and
//! the lane, which then starts its next item.
//!
//! Per event this hashes the key twice (lane opened, lane closed); everything else is reached
//! by index.

use std::sync::Arc;

use super::{Dispatcher, Finished};
use crate::headers;
use crate::runner::consumer::Fetched;
use crate::runner::handler::Handler;
use crate::runner::work::{self, Work};

impl<H: Handler> Dispatcher<H> {
    pub(super) fn on_record(&mut self, fetched: Fetched) {
        let record = fetched.record;
        let Some(topic) = self.topic_index(&record.topic) else {
            return;
        };
        let partition = (topic, record.partition);
        let Some(state) = self.partitions.get_mut(partition) else {
            return;
        };
        if state.revoking || fetched.generation < state.generation {
            return;
        }
        state.tracker.begin(record.offset);
        let for_other_group = record
            .headers
            .get(headers::REPLAY_FOR_GROUP)
            .is_some_and(|group| group != self.shared.group.as_bytes());
        if for_other_group {
            // A dead letter replayed for another consumer group: not ours to handle again.
            state.tracker.finish(record.offset);
            state.dirty = true;
            return;
        }
        self.buffered += 1;
        let lane = self
            .lanes
            .open((topic, record.partition, Arc::clone(&record.key)));
        if let Some(open) = self.lanes.get_mut(lane) {
            open.queue.push_back(Work::Fresh(record));
        }
        self.try_start(lane);
    }

    /// Starts the lane's next item if it is idle and a slot is free; otherwise, if it has work,
    /// it waits for a slot.
    pub(super) fn try_start(&mut self, lane_id: usize) {
        if self.draining {
            return;
        }
        let Some(lane) = self.lanes.get_mut(lane_id) else {
            return;
        };
        if lane.running || lane.queue.is_empty() {
            return;
        }
        if self.in_flight >= self.max_in_flight {
            self.lanes.wait_for_slot(lane_id);
            return;
        }
        let Some((topic, partition, key)) = lane.key() else {
            return;
        };
        let partition = (*topic, *partition);
        let Some(state) = self.partitions.get_mut(partition) else {
            return;
        };
        let key_parked = state.is_parked(key);
        let Some(work) = lane.queue.pop_front() else {
            return;
        };
        lane.running = true;
        state.in_flight += 1;
        self.in_flight += 1;
        let (fresh_offset, retry_id) = match &work {
            Work::Fresh(record) => (Some(record.offset), None),
            Work::Retry(parked) => (None, Some(parked.id)),
        };
        let shared = Arc::clone(&self.shared);
        let cancel = state.cancel.clone();
        self.running.push(Box::pin(async move {
            let outcome = work::run(shared, work, key_parked, cancel).await;
            Finished {
                lane: lane_id,
                partition,
                fresh_offset,
                retry_id,
                outcome,
            }
        }));
    }

    pub(super) fn on_finished(&mut self, finished: Finished) {
        let Finished {
            lane: lane_id,
            partition,
            fresh_offset,
            retry_id,
            outcome,
        } = finished;
        self.in_flight -= 1;
        if fresh_offset.is_some() {
            self.buffered -= 1;
        }
        if let Some(retry_id) = retry_id {
            self.scheduled_retries.remove(&retry_id);
        }
        let promoted = outcome.next.as_ref().map(|parked| parked.id);
        let mut next = outcome.next;
        let Some(lane) = self.lanes.get_mut(lane_id) else {
            return;
        };
        lane.running = false;
        match self.partitions.get_mut(partition) {
            Some(state) => {
                state.in_flight -= 1;
                if let Some(key) = lane.key().map(|(_, _, key)| key) {
                    match outcome.parked {
                        Some(true) => {
                            state.parked.insert(Arc::clone(key));
                        }
                        Some(false) => {
                            state.parked.remove(key);
                        }
                        None => {}
                    }
                }
                if let (Some(offset), true) = (fresh_offset, outcome.done) {
                    state.tracker.finish(offset);
                    state.dirty = true;
                }
                if state.revoking || self.draining {
                    next = None;
                }
            }
            None => next = None,
        }
        if next.is_none() && !self.draining {
            // Promoted and claimed for us, but the partition is going: due again for its next owner.
            super::retries::release(&self.shared.pool, promoted.into_iter().collect());
        }
        if let Some(parked) = next {
            // The promoted event is older than anything fetched meanwhile: it goes first.
            self.scheduled_retries.insert(parked.id);
            lane.queue.push_front(Work::Retry(parked));
        }
        if lane.queue.is_empty() {
            self.lanes.close_if_idle(lane_id);
        } else {
            self.try_start(lane_id);
        }
        self.pump_ready();
        self.try_finish_revoke();
    }

    /// Starts lanes that waited for a slot, while slots are free.
    pub(super) fn pump_ready(&mut self) {
        while self.in_flight < self.max_in_flight {
            let Some(lane_id) = self.lanes.next_ready() else {
                break;
            };
            self.try_start(lane_id);
        }
    }
}
