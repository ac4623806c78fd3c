//! The dispatcher: single owner of the runner's in-memory state. It turns fetched records and
//! due retries into work for per-key lanes, bounds concurrency, tracks offsets and drains
//! partitions on revocation and shutdown.
//!
//! A lane is `(topic, partition, key)`: at most one work item runs per lane, the rest queue
//! behind it in arrival order; different lanes run concurrently up to `max_in_flight`. Fetching
//! pauses while `max_buffered` fresh records are unfinished.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::consumer::{Control, Fetched, RunnerContext, TopicPartition};
use super::handler::Handler;
use super::offsets::OffsetTracker;
use super::parking::{self, ParkedEvent, Record};
use super::work::{self, Outcome, Shared, Work};
use crate::headers;

type LaneId = (Arc<str>, i32, Arc<str>);

#[derive(Default)]
struct Lane {
    queue: VecDeque<Work>,
    running: bool,
    waiting: bool,
}

struct PartitionState {
    generation: u64,
    tracker: OffsetTracker,
    parked: HashSet<String>,
    in_flight: usize,
    cancel: CancellationToken,
    revoking: bool,
    /// Offsets finished since the last store.
    dirty: bool,
}

struct Finished {
    lane: LaneId,
    fresh_offset: Option<i64>,
    retry_id: Option<i64>,
    outcome: Outcome,
}

/// The runner's state machine; see the module header.
pub(crate) struct Dispatcher<H> {
    shared: Arc<Shared<H>>,
    consumer: Arc<BaseConsumer<RunnerContext>>,
    topics: Vec<String>,
    partitions: HashMap<TopicPartition, PartitionState>,
    lanes: HashMap<LaneId, Lane>,
    ready: VecDeque<LaneId>,
    in_flight: usize,
    buffered: usize,
    scheduled_retries: HashSet<i64>,
    finished_tx: mpsc::UnboundedSender<Finished>,
    finished_rx: mpsc::UnboundedReceiver<Finished>,
    pending_revoke: Option<(Vec<TopicPartition>, std::sync::mpsc::Sender<()>)>,
    draining: bool,
}

impl<H: Handler> Dispatcher<H> {
    pub(crate) fn new(
        shared: Arc<Shared<H>>,
        consumer: Arc<BaseConsumer<RunnerContext>>,
        topics: Vec<String>,
    ) -> Self {
        let (finished_tx, finished_rx) = mpsc::unbounded_channel();
        Self {
            shared,
            consumer,
            topics,
            partitions: HashMap::new(),
            lanes: HashMap::new(),
            ready: VecDeque::new(),
            in_flight: 0,
            buffered: 0,
            scheduled_retries: HashSet::new(),
            finished_tx,
            finished_rx,
            pending_revoke: None,
            draining: false,
        }
    }

    /// Runs until `shutdown`, then drains running work and stores offsets.
    pub(crate) async fn run(
        mut self,
        mut control: mpsc::UnboundedReceiver<Control>,
        mut records: mpsc::Receiver<Vec<Fetched>>,
        shutdown: CancellationToken,
    ) {
        let config = &self.shared.config;
        let max_buffered = config.max_buffered.max(1);
        let mut retry_tick =
            tokio::time::interval(Duration::from_millis(config.retry_poll_interval_ms.max(10)));
        retry_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        // Offsets are stored in librdkafka (cheap, local) at most this often; the auto-commit
        // sends them every second. Revocation and shutdown store them at once.
        let mut store_tick = tokio::time::interval(Duration::from_millis(100));
        store_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            let accepting = self.buffered < max_buffered;
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                Some(change) = control.recv() => self.on_control(change, &shutdown).await,
                Some(finished) = self.finished_rx.recv() => self.on_finished(finished),
                Some(batch) = records.recv(), if accepting => {
                    for fetched in batch {
                        self.on_record(fetched);
                    }
                }
                _ = store_tick.tick() => self.store_dirty_offsets(),
                _ = retry_tick.tick() => self.schedule_due_retries().await,
            }
        }
        drop(records);
        self.drain().await;
    }

    async fn on_control(&mut self, change: Control, shutdown: &CancellationToken) {
        match change {
            Control::Assigned(generation, assigned) => {
                for (topic, partition) in assigned {
                    let mut delay = Duration::from_millis(100);
                    // Parked keys must be known before the partition's first record is handled.
                    let parked = loop {
                        match parking::parked_keys(
                            &self.shared.pool,
                            &self.shared.group,
                            &topic,
                            partition,
                        )
                        .await
                        {
                            Ok(keys) => break keys,
                            Err(error) if !shutdown.is_cancelled() => {
                                tracing::warn!(%error, "loading parked keys; retrying");
                                tokio::time::sleep(delay).await;
                                delay = (delay * 2).min(Duration::from_secs(5));
                            }
                            Err(_) => return,
                        }
                    };
                    self.partitions.insert(
                        (topic, partition),
                        PartitionState {
                            generation,
                            tracker: OffsetTracker::default(),
                            parked,
                            in_flight: 0,
                            cancel: CancellationToken::new(),
                            revoking: false,
                            dirty: false,
                        },
                    );
                }
            }
            Control::Revoked(revoked, ack) => {
                for tp in &revoked {
                    if let Some(state) = self.partitions.get_mut(tp) {
                        state.revoking = true;
                        state.cancel.cancel();
                    }
                }
                self.drop_queued(|lane| revoked.iter().any(|(t, p)| *t == lane.0 && *p == lane.1));
                self.pending_revoke = Some((revoked, ack));
                self.try_finish_revoke();
            }
        }
    }

    /// Drops queued (not running) work of matching lanes; their offsets stay uncommitted.
    fn drop_queued(&mut self, matches: impl Fn(&LaneId) -> bool) {
        let mut emptied = Vec::new();
        for (id, lane) in self.lanes.iter_mut().filter(|(id, _)| matches(id)) {
            for work in lane.queue.drain(..) {
                match work {
                    Work::Fresh(_) => self.buffered -= 1,
                    Work::Retry(parked) => {
                        self.scheduled_retries.remove(&parked.id);
                    }
                }
            }
            if !lane.running {
                emptied.push(id.clone());
            }
        }
        for id in emptied {
            self.lanes.remove(&id);
        }
    }

    fn try_finish_revoke(&mut self) {
        let Some((revoked, _)) = &self.pending_revoke else {
            return;
        };
        let busy = revoked
            .iter()
            .any(|tp| self.partitions.get(tp).is_some_and(|s| s.in_flight > 0));
        if busy {
            return;
        }
        let Some((revoked, ack)) = self.pending_revoke.take() else {
            return;
        };
        for tp in revoked {
            if let Some(state) = self.partitions.remove(&tp) {
                if let Some(next) = state.tracker.committable() {
                    store_offset(&self.consumer, &tp, next);
                }
            }
        }
        let _ = ack.send(());
    }

    fn on_record(&mut self, fetched: Fetched) {
        let record = fetched.record;
        let tp = (Arc::clone(&record.topic), record.partition);
        let Some(state) = self.partitions.get_mut(&tp) else {
            return;
        };
        if state.revoking || fetched.generation < state.generation {
            return;
        }
        state.tracker.begin(record.offset);
        let for_other_group = record
            .headers
            .get_str(headers::REPLAY_FOR_GROUP)
            .is_some_and(|group| group != self.shared.group);
        if for_other_group {
            // A dead letter replayed for another consumer group: not ours to handle again.
            state.tracker.finish(record.offset);
            state.dirty = true;
            return;
        }
        self.buffered += 1;
        let lane = (
            Arc::clone(&record.topic),
            record.partition,
            Arc::clone(&record.key),
        );
        self.lanes
            .entry(lane.clone())
            .or_default()
            .queue
            .push_back(Work::Fresh(record));
        self.try_start(&lane);
    }

    fn try_start(&mut self, id: &LaneId) {
        let max_in_flight = self.shared.config.max_in_flight.max(1);
        if self.draining {
            return;
        }
        let Some(lane) = self.lanes.get_mut(id) else {
            return;
        };
        if lane.running || lane.queue.is_empty() {
            return;
        }
        if self.in_flight >= max_in_flight {
            if !lane.waiting {
                lane.waiting = true;
                self.ready.push_back(id.clone());
            }
            return;
        }
        let tp = (id.0.clone(), id.1);
        let Some(state) = self.partitions.get_mut(&tp) else {
            return;
        };
        let Some(work) = lane.queue.pop_front() else {
            return;
        };
        lane.running = true;
        state.in_flight += 1;
        self.in_flight += 1;
        let key_parked = state.parked.contains(&*id.2);
        let (fresh_offset, retry_id) = match &work {
            Work::Fresh(record) => (Some(record.offset), None),
            Work::Retry(parked) => (None, Some(parked.id)),
        };
        let shared = Arc::clone(&self.shared);
        let cancel = state.cancel.clone();
        let finished = self.finished_tx.clone();
        let lane_id = id.clone();
        tokio::spawn(async move {
            let outcome = work::run(shared, work, key_parked, cancel).await;
            let _ = finished.send(Finished {
                lane: lane_id,
                fresh_offset,
                retry_id,
                outcome,
            });
        });
    }

    fn on_finished(&mut self, finished: Finished) {
        self.in_flight -= 1;
        let Finished {
            lane: id,
            fresh_offset,
            retry_id,
            outcome,
        } = finished;
        let tp = (id.0.clone(), id.1);
        if fresh_offset.is_some() {
            self.buffered -= 1;
        }
        if let Some(retry_id) = retry_id {
            self.scheduled_retries.remove(&retry_id);
        }
        let mut next = outcome.next;
        if let Some(state) = self.partitions.get_mut(&tp) {
            state.in_flight -= 1;
            match outcome.parked {
                Some(true) => {
                    state.parked.insert(id.2.to_string());
                }
                Some(false) => {
                    state.parked.remove(&*id.2);
                }
                None => {}
            }
            if let (Some(offset), true) = (fresh_offset, outcome.done) {
                state.tracker.finish(offset);
                state.dirty = true;
            }
            if state.revoking || self.draining {
                next = None;
            }
        } else {
            next = None;
        }
        if let Some(lane) = self.lanes.get_mut(&id) {
            lane.running = false;
            if let Some(parked) = next {
                // The promoted event is older than anything fetched meanwhile: it goes first.
                self.scheduled_retries.insert(parked.id);
                lane.queue.push_front(Work::Retry(parked));
            }
            if lane.queue.is_empty() {
                self.lanes.remove(&id);
            } else {
                self.try_start(&id);
            }
        }
        self.pump_ready();
        self.try_finish_revoke();
    }

    fn store_dirty_offsets(&mut self) {
        for (tp, state) in self.partitions.iter_mut().filter(|(_, s)| s.dirty) {
            state.dirty = false;
            if let Some(next) = state.tracker.advance() {
                store_offset(&self.consumer, tp, next);
            }
        }
    }

    fn pump_ready(&mut self) {
        let max_in_flight = self.shared.config.max_in_flight.max(1);
        while self.in_flight < max_in_flight {
            let Some(id) = self.ready.pop_front() else {
                break;
            };
            if let Some(lane) = self.lanes.get_mut(&id) {
                lane.waiting = false;
                self.try_start(&id);
            }
        }
    }

    async fn schedule_due_retries(&mut self) {
        let any_parked = self
            .partitions
            .values()
            .any(|state| !state.parked.is_empty() && !state.revoking);
        if !any_parked {
            return;
        }
        let limit = self.shared.config.max_in_flight.max(1) as i64;
        let due =
            match parking::due_heads(&self.shared.pool, &self.shared.group, &self.topics, limit)
                .await
            {
                Ok(due) => due,
                Err(error) => {
                    tracing::warn!(%error, "looking for due retries");
                    return;
                }
            };
        for parked in due {
            self.schedule_retry(parked);
        }
    }

    fn schedule_retry(&mut self, parked: ParkedEvent) {
        let Record {
            topic,
            partition,
            key,
            ..
        } = &parked.record;
        let tp = (topic.clone(), *partition);
        let owned = self.partitions.get(&tp).is_some_and(|s| !s.revoking);
        if !owned || self.scheduled_retries.contains(&parked.id) {
            return;
        }
        let lane = (topic.clone(), *partition, key.clone());
        self.scheduled_retries.insert(parked.id);
        self.lanes
            .entry(lane.clone())
            .or_default()
            .queue
            .push_back(Work::Retry(parked));
        self.try_start(&lane);
    }

    /// Shutdown: drop queued work, wait for running handlers (bounded), store offsets.
    async fn drain(&mut self) {
        self.draining = true;
        self.drop_queued(|_| true);
        let deadline = tokio::time::Instant::now()
            + Duration::from_millis(self.shared.config.drain_timeout_ms);
        while self.in_flight > 0 {
            match tokio::time::timeout_at(deadline, self.finished_rx.recv()).await {
                Ok(Some(finished)) => self.on_finished(finished),
                Ok(None) => break,
                Err(_) => {
                    tracing::warn!(running = self.in_flight, "drain timed out");
                    break;
                }
            }
        }
        let committable: Vec<(TopicPartition, i64)> = self
            .partitions
            .iter()
            .filter_map(|(tp, state)| state.tracker.committable().map(|next| (tp.clone(), next)))
            .collect();
        for (tp, next) in committable {
            store_offset(&self.consumer, &tp, next);
        }
    }
}

/// Stores `next_offset` as the partition's position to commit (not yet committed).
fn store_offset(
    consumer: &BaseConsumer<RunnerContext>,
    (topic, partition): &TopicPartition,
    next_offset: i64,
) {
    let mut list = TopicPartitionList::new();
    if let Err(error) = list.add_partition_offset(topic, *partition, Offset::Offset(next_offset)) {
        tracing::warn!(%error, "building offset list");
        return;
    }
    if let Err(error) = consumer.store_offsets(&list) {
        tracing::debug!(%error, topic = &**topic, partition, "storing offset");
    }
}
