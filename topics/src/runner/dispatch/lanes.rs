//! Per-key lanes: the queue of work for one `(topic, partition, key)`, at most one item of
//! which runs at a time.
//!
//! Lanes live in slots addressed by a small index, so everything after an event's arrival
//! (starting its work, its completion report, the ready queue) reaches the lane without
//! hashing the key again; the key is hashed when a lane is opened and when it is closed. A
//! closed slot keeps its queue's capacity for the next lane. Indices in the ready queue may
//! outlive their lane; readers check [`Lanes::get_mut`].

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::runner::work::Work;

/// `(topic index, partition, key)`.
pub(super) type LaneKey = (usize, i32, Arc<str>);

/// One key's queue.
#[derive(Default)]
pub(super) struct Lane {
    pub(super) queue: VecDeque<Work>,
    /// One of its work items is running.
    pub(super) running: bool,
    /// It is in the ready queue, waiting for an in-flight slot.
    pub(super) waiting: bool,
    key: Option<LaneKey>,
}

impl Lane {
    pub(super) fn key(&self) -> Option<&LaneKey> {
        self.key.as_ref()
    }
}

/// All open lanes, and the lanes waiting for an in-flight slot.
#[derive(Default)]
pub(super) struct Lanes {
    index: HashMap<LaneKey, usize>,
    slots: Vec<Lane>,
    free: Vec<usize>,
    ready: VecDeque<usize>,
}

impl Lanes {
    /// The lane of `key`, opened if needed.
    pub(super) fn open(&mut self, key: LaneKey) -> usize {
        if let Some(&id) = self.index.get(&key) {
            return id;
        }
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                self.slots.push(Lane::default());
                self.slots.len() - 1
            }
        };
        self.slots[id].key = Some(key.clone());
        self.index.insert(key, id);
        id
    }

    /// An open lane.
    pub(super) fn get_mut(&mut self, id: usize) -> Option<&mut Lane> {
        self.slots.get_mut(id).filter(|lane| lane.key.is_some())
    }

    /// Closes the lane if nothing of it runs or waits.
    pub(super) fn close_if_idle(&mut self, id: usize) {
        let Some(lane) = self.get_mut(id) else {
            return;
        };
        if lane.running || !lane.queue.is_empty() {
            return;
        }
        lane.waiting = false;
        if let Some(key) = lane.key.take() {
            self.index.remove(&key);
            self.free.push(id);
        }
    }

    /// Ids of open lanes whose key matches.
    pub(super) fn matching(&self, matches: impl Fn(&LaneKey) -> bool) -> Vec<usize> {
        self.index
            .iter()
            .filter(|(key, _)| matches(key))
            .map(|(_, &id)| id)
            .collect()
    }

    /// Queues `id` for an in-flight slot (once).
    pub(super) fn wait_for_slot(&mut self, id: usize) {
        if let Some(lane) = self.get_mut(id) {
            if !lane.waiting {
                lane.waiting = true;
                self.ready.push_back(id);
            }
        }
    }

    /// The next lane that waited for a slot and is still open.
    pub(super) fn next_ready(&mut self) -> Option<usize> {
        while let Some(id) = self.ready.pop_front() {
            if let Some(lane) = self.get_mut(id) {
                if lane.waiting {
                    lane.waiting = false;
                    return Some(id);
                }
            }
        }
        None
    }

    /// Number of open lanes.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.index.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> LaneKey {
        (0, 1, Arc::from(name))
    }

    #[test]
    fn a_closed_slot_is_reused_and_stale_ready_entries_are_skipped() {
        let mut lanes = Lanes::default();
        let a = lanes.open(key("a"));
        assert_eq!(lanes.open(key("a")), a);
        lanes.wait_for_slot(a);
        lanes.close_if_idle(a);
        assert_eq!(lanes.len(), 0);
        let b = lanes.open(key("b"));
        assert_eq!(b, a, "slot reused");
        assert_eq!(lanes.next_ready(), None, "a's ready entry died with it");
        lanes.wait_for_slot(b);
        lanes.wait_for_slot(b);
        assert_eq!(lanes.next_ready(), Some(b));
        assert_eq!(lanes.next_ready(), None, "queued once");
    }

    #[test]
    fn a_running_lane_stays_open() {
        let mut lanes = Lanes::default();
        let a = lanes.open(key("a"));
        lanes.get_mut(a).unwrap().running = true;
        lanes.close_if_idle(a);
        assert_eq!(lanes.matching(|k| &*k.2 == "a"), vec![a]);
    }
}
