//! Per-partition offset bookkeeping for out-of-order completion.
//!
//! Events of different keys finish in any order; the offset that may be committed is the
//! lowest one still unfinished (or one past the highest seen when all are done), so a crash
//! never skips an unfinished event.

use std::collections::BTreeSet;

/// Tracks unfinished offsets of one partition.
#[derive(Debug, Default)]
pub(crate) struct OffsetTracker {
    unfinished: BTreeSet<i64>,
    next_after_seen: Option<i64>,
    stored: Option<i64>,
}

impl OffsetTracker {
    /// An event at `offset` was fetched and is now being worked on.
    pub(crate) fn begin(&mut self, offset: i64) {
        self.unfinished.insert(offset);
        self.next_after_seen = Some(
            self.next_after_seen
                .map_or(offset + 1, |n| n.max(offset + 1)),
        );
    }

    /// The event at `offset` is done (its effect is durable, parked or dead-lettered).
    pub(crate) fn finish(&mut self, offset: i64) {
        self.unfinished.remove(&offset);
    }

    /// The next offset to consume after a restart: everything before it is done.
    pub(crate) fn committable(&self) -> Option<i64> {
        self.unfinished.first().copied().or(self.next_after_seen)
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
}
