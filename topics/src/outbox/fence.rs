//! The fence a writer keeps so that what it sends straight to the broker never overtakes what it
//! put in the outbox (the ingress spools when the broker is slow, then must queue behind its spool).
//!
//! Contract: [`OutboxFence::wrote`] records an outbox id this writer committed; while any such id
//! may be unpublished, [`OutboxFence::is_pending`] is true and the writer keeps writing to the
//! outbox. Drainers settle the fence from the outbox's unpublished range, whether or not they hold
//! the drain lock, so other writers' traffic (workers' status events) never keeps it closed: only
//! this writer's own ids count. A fresh fence is pending until the first settlement, which takes
//! every event unpublished at that moment as the writer's own (a previous process's spool).

use std::sync::atomic::{AtomicI64, Ordering};

/// `written_up_to` before the first settlement.
const UNKNOWN: i64 = i64::MAX;

/// The highest outbox id a writer committed, and how far the outbox is known published.
#[derive(Debug)]
pub struct OutboxFence {
    written_up_to: AtomicI64,
    published_through: AtomicI64,
}

impl OutboxFence {
    /// A fence that is pending until a drainer first looks at the outbox.
    pub fn unknown() -> Self {
        Self {
            written_up_to: AtomicI64::new(UNKNOWN),
            published_through: AtomicI64::new(0),
        }
    }

    /// This writer committed the outbox row `id`.
    pub fn wrote(&self, id: i64) {
        self.written_up_to.fetch_max(id, Ordering::AcqRel);
    }

    /// Whether an outbox row this writer committed may still be unpublished.
    pub fn is_pending(&self) -> bool {
        self.written_up_to.load(Ordering::Acquire) > self.published_through.load(Ordering::Acquire)
    }

    /// Read before looking at the outbox, then passed to [`Self::settle`].
    pub(crate) fn written(&self) -> i64 {
        self.written_up_to.load(Ordering::Acquire)
    }

    /// Settles with what a drainer saw *after* reading `written`: the oldest and newest ids
    /// unpublished. Every id below the oldest is published; ids the writer commits later are
    /// above `written` and keep the fence pending.
    pub(crate) fn settle(&self, written: i64, oldest: Option<i64>, newest: Option<i64>) {
        let mut written = written;
        if written == UNKNOWN {
            let adopted = newest.unwrap_or(0);
            // Only another settlement can race this one; either way `adopted` was seen unpublished.
            let _ = self.written_up_to.compare_exchange(
                UNKNOWN,
                adopted,
                Ordering::AcqRel,
                Ordering::Acquire,
            );
            written = adopted;
        }
        let through = oldest.map_or(written, |oldest| (oldest - 1).min(written));
        self.published_through.fetch_max(through, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_fence_waits_for_what_was_unpublished_at_the_first_look() {
        let fence = OutboxFence::unknown();
        assert!(fence.is_pending());
        fence.settle(fence.written(), Some(5), Some(9));
        assert!(
            fence.is_pending(),
            "rows 5..=9 may be a previous process's spool"
        );
        fence.settle(fence.written(), Some(10), Some(12));
        assert!(!fence.is_pending(), "everything up to 9 is published");
    }

    #[test]
    fn only_the_writers_own_rows_keep_it_pending() {
        let fence = OutboxFence::unknown();
        fence.settle(fence.written(), None, None);
        assert!(!fence.is_pending());
        fence.wrote(20);
        assert!(fence.is_pending());
        // Other writers' rows (30, 31) stay unpublished; ours (20) is published.
        fence.settle(fence.written(), Some(30), Some(31));
        assert!(!fence.is_pending());
    }

    #[test]
    fn a_row_committed_after_the_drainer_read_the_fence_keeps_it_pending() {
        let fence = OutboxFence::unknown();
        fence.settle(fence.written(), None, None);
        let written = fence.written();
        // The writer's row 40 (allocated before the drainer's query, committed after it) was not
        // seen; the oldest unpublished row seen is 50.
        fence.wrote(40);
        fence.settle(written, Some(50), Some(50));
        assert!(fence.is_pending(), "row 40 was never seen published");
    }
}
