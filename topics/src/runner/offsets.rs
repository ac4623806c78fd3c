//! Per-partition offset bookkeeping for out-of-order completion.
//!
//! Events of different keys finish in any order; the offset that may be committed is the
//! lowest one still unfinished (or one past the highest seen when all are done), so a crash
//! never skips an unfinished event.
//!
//! Offsets are begun in increasing order (records of one partition arrive in order; gaps are
//! fine), so the unfinished window is a sorted ring: beginning appends, finishing marks by
//! binary search, and finished offsets at the front are dropped. An offset begun out of order
//! (never expected) is inserted in place, so the answer stays right.

use std::collections::VecDeque;

/// Tracks unfinished offsets of one partition.
#[derive(Debug, Default)]
pub(crate) struct OffsetTracker {
    /// `(offset, finished)`, sorted by offset; the front is always unfinished.
    window: VecDeque<(i64, bool)>,
    next_after_seen: Option<i64>,
    stored: Option<i64>,
}

impl OffsetTracker {
    /// An event at `offset` was fetched and is now being worked on.
    pub(crate) fn begin(&mut self, offset: i64) {
        match self.window.back() {
            Some(&(last, _)) if last >= offset => {
                let at = self.window.partition_point(|&(seen, _)| seen < offset);
                if self.window.get(at).is_none_or(|&(seen, _)| seen != offset) {
                    self.window.insert(at, (offset, false));
                } else {
                    self.window[at].1 = false;
                }
            }
            _ => self.window.push_back((offset, false)),
        }
        self.next_after_seen = Some(
            self.next_after_seen
                .map_or(offset + 1, |n| n.max(offset + 1)),
        );
    }

    /// The event at `offset` is done (its effect is durable, parked or dead-lettered).
    pub(crate) fn finish(&mut self, offset: i64) {
        if let Ok(at) = self.window.binary_search_by_key(&offset, |&(seen, _)| seen) {
            self.window[at].1 = true;
        }
        while self.window.front().is_some_and(|&(_, finished)| finished) {
            self.window.pop_front();
        }
    }

    /// The next offset to consume after a restart: everything before it is done.
    pub(crate) fn committable(&self) -> Option<i64> {
        self.window
            .front()
            .map(|&(offset, _)| offset)
            .or(self.next_after_seen)
    }

    /// The committable offset if it moved since the last call.
    pub(crate) fn advance(&mut self) -> Option<i64> {
        let committable = self.committable();
        if committable.is_some() && committable != self.stored {
            self.stored = committable;
            committable
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_order_completion_never_commits_past_an_unfinished_offset() {
        let mut tracker = OffsetTracker::default();
        assert_eq!(tracker.advance(), None);
        for offset in 10..14 {
            tracker.begin(offset);
        }
        tracker.finish(12);
        tracker.finish(11);
        assert_eq!(tracker.advance(), Some(10));
        assert_eq!(tracker.advance(), None);
        tracker.finish(10);
        assert_eq!(tracker.advance(), Some(13));
        tracker.finish(13);
        assert_eq!(tracker.advance(), Some(14));
    }

    #[test]
    fn gaps_and_out_of_order_beginnings_keep_the_lowest_unfinished_offset() {
        let mut tracker = OffsetTracker::default();
        tracker.begin(5);
        tracker.begin(9);
        tracker.begin(7);
        tracker.begin(9);
        assert_eq!(tracker.committable(), Some(5));
        tracker.finish(5);
        assert_eq!(tracker.committable(), Some(7));
        tracker.finish(9);
        assert_eq!(tracker.committable(), Some(7));
        tracker.finish(7);
        assert_eq!(tracker.committable(), Some(10));
        // Finishing an offset never begun changes nothing.
        tracker.finish(42);
        assert_eq!(tracker.committable(), Some(10));
    }
}
