//! A bounded cache of signatures seen inside the timestamp window, to refuse replays.
//!
//! Contract: [`ReplayCache::check_and_insert`] is atomic — of two concurrent requests with the
//! same signature exactly one is admitted. Entries expire when their timestamp leaves the window
//! (the timestamp check refuses them from then on), so memory holds at most one window of traffic;
//! a hard `capacity` caps it. When the cache is full of unexpired entries it fails closed: the
//! request is refused as transient rather than admitted unchecked.

use std::collections::{BTreeSet, HashSet};
use std::sync::Mutex;

use super::sign::DujiaoSignature;

/// Why a signature was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayVerdict {
    /// First sighting inside the window: admitted and remembered.
    Fresh,
    /// Seen before inside the window.
    Replayed,
    /// The cache is full of unexpired signatures; refuse for now.
    Full,
}

#[derive(Debug, Default)]
struct Entries {
    by_expiry: BTreeSet<(i64, [u8; 32])>,
    seen: HashSet<[u8; 32]>,
}

/// Signatures seen recently, keyed by their bytes, each kept until its expiry (Unix seconds).
#[derive(Debug)]
pub struct ReplayCache {
    capacity: usize,
    entries: Mutex<Entries>,
}

impl ReplayCache {
    /// A cache holding at most `capacity` signatures.
    pub fn new(capacity: usize) -> Self {
        ReplayCache {
            capacity,
            entries: Mutex::new(Entries::default()),
        }
    }

    /// Drops expired entries, then admits `signature` (remembered until `expires_at`) or not.
    pub fn check_and_insert(
        &self,
        signature: &DujiaoSignature,
        expires_at: i64,
        now: i64,
    ) -> ReplayVerdict {
        // Poisoning cannot leave the two sets out of step (each change is one insert or remove
        // pair without a panic point between), so a poisoned lock is reused.
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        while let Some(&(expiry, bytes)) = entries.by_expiry.first() {
            if expiry >= now {
                break;
            }
            entries.by_expiry.pop_first();
            entries.seen.remove(&bytes);
        }
        if entries.seen.contains(&signature.0) {
            return ReplayVerdict::Replayed;
        }
        if entries.seen.len() >= self.capacity {
            return ReplayVerdict::Full;
        }
        entries.seen.insert(signature.0);
        entries.by_expiry.insert((expires_at, signature.0));
        ReplayVerdict::Fresh
    }

    /// Signatures currently remembered.
    pub fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .seen
            .len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(n: u8) -> DujiaoSignature {
        DujiaoSignature([n; 32])
    }

    #[test]
    fn second_sighting_is_a_replay_until_expiry() {
        let cache = ReplayCache::new(10);
        assert_eq!(
            cache.check_and_insert(&sig(1), 160, 100),
            ReplayVerdict::Fresh
        );
        assert_eq!(
            cache.check_and_insert(&sig(1), 160, 150),
            ReplayVerdict::Replayed
        );
        assert_eq!(
            cache.check_and_insert(&sig(1), 260, 161),
            ReplayVerdict::Fresh
        );
    }

    #[test]
    fn full_cache_fails_closed_and_frees_expired_entries() {
        let cache = ReplayCache::new(2);
        assert_eq!(
            cache.check_and_insert(&sig(1), 110, 100),
            ReplayVerdict::Fresh
        );
        assert_eq!(
            cache.check_and_insert(&sig(2), 120, 100),
            ReplayVerdict::Fresh
        );
        assert_eq!(
            cache.check_and_insert(&sig(3), 130, 100),
            ReplayVerdict::Full
        );
        assert_eq!(
            cache.check_and_insert(&sig(3), 130, 111),
            ReplayVerdict::Fresh
        );
        assert_eq!(cache.len(), 2);
    }
}
