//! The partitions this member owns, as the dispatcher sees them: assignment generation, offset
//! tracker, parked keys, running work and revocation state.
//!
//! A process owns few partitions, and every event looks its partition up, so the table is a
//! short vector searched by `(topic index, partition)` — no hashing on the hot path. Topic
//! indices are positions in the runner's subscription list.

use std::collections::HashSet;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::runner::offsets::OffsetTracker;

/// `(topic index, partition)`.
pub(super) type PartitionId = (usize, i32);

/// One owned partition.
pub(super) struct PartitionState {
    /// Assignment generation it was assigned in; older fetched records are ignored.
    pub(super) generation: u64,
    pub(super) tracker: OffsetTracker,
    /// Keys with events in the retry schedule (their new events park behind them).
    pub(super) parked: HashSet<Arc<str>>,
    /// Work items of this partition running now.
    pub(super) in_flight: usize,
    /// Cancelled on revocation: running bookkeeping retries give up.
    pub(super) cancel: CancellationToken,
    pub(super) revoking: bool,
    /// Offsets finished since the last store.
    pub(super) dirty: bool,
}

impl PartitionState {
    pub(super) fn new(generation: u64, parked: HashSet<Arc<str>>) -> Self {
        Self {
            generation,
            tracker: OffsetTracker::default(),
            parked,
            in_flight: 0,
            cancel: CancellationToken::new(),
            revoking: false,
            dirty: false,
        }
    }

    /// Whether events of `key` must wait behind a parked one.
    pub(super) fn is_parked(&self, key: &str) -> bool {
        !self.parked.is_empty() && self.parked.contains(key)
    }
}

/// The owned partitions.
#[derive(Default)]
pub(super) struct Partitions {
    entries: Vec<(PartitionId, PartitionState)>,
}

impl Partitions {
    pub(super) fn get(&self, id: PartitionId) -> Option<&PartitionState> {
        self.entries
            .iter()
            .find(|(owned, _)| *owned == id)
            .map(|(_, state)| state)
    }

    pub(super) fn get_mut(&mut self, id: PartitionId) -> Option<&mut PartitionState> {
        self.entries
            .iter_mut()
            .find(|(owned, _)| *owned == id)
            .map(|(_, state)| state)
    }

    /// Takes ownership of `id` (replacing an earlier state of it).
    pub(super) fn insert(&mut self, id: PartitionId, state: PartitionState) {
        self.remove(id);
        self.entries.push((id, state));
    }

    pub(super) fn remove(&mut self, id: PartitionId) -> Option<PartitionState> {
        let at = self.entries.iter().position(|(owned, _)| *owned == id)?;
        Some(self.entries.swap_remove(at).1)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &(PartitionId, PartitionState)> {
        self.entries.iter()
    }

    pub(super) fn iter_mut(&mut self) -> impl Iterator<Item = &mut (PartitionId, PartitionState)> {
        self.entries.iter_mut()
    }
}
