//! Replay protection: what a signature seen twice inside the timestamp window means, and a
//! bounded in-process cache of signatures for single-process receivers (the simulators, test
//! receivers). The ingress keeps its signatures in PostgreSQL instead (`store::replay_guard`),
//! shared by every replica, with the same verdicts.
//!
//! Contract: each admitted signature is remembered with the [`RequestDigest`] of the request it
//! signed (method, path with its query, body). A second sighting of the signature is a
//! [`ReplayVerdict::Retry`] when its digest is the same (a byte-identical retry, which an
//! idempotent endpoint answers as the first time) and [`ReplayVerdict::Replayed`] otherwise (the
//! query string is not signed, so the same signature on another query is a forgery). Whether a
//! retry is admitted is the caller's [`ReplayPolicy`]. [`ReplayCache::check_and_insert`] is atomic:
//! of two concurrent requests with the same signature exactly one is `Fresh`. Entries expire when
//! their timestamp leaves the window (the timestamp check refuses them from then on); a hard
//! `capacity` caps memory, and a cache full of unexpired entries fails closed (`Full`).

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use super::sign::DujiaoSignature;

/// SHA-256 over the request as received: `METHOD \n PATH?QUERY \n BODY`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestDigest(pub [u8; 32]);

impl RequestDigest {
    /// The digest of one request; `path_and_query` is the request target as received.
    pub fn of(method: &str, path_and_query: &str, body: &[u8]) -> Self {
        let mut hash = Sha256::new();
        hash.update(method.as_bytes());
        hash.update(b"\n");
        hash.update(path_and_query.as_bytes());
        hash.update(b"\n");
        hash.update(body);
        RequestDigest(hash.finalize().into())
    }
}

impl std::fmt::Debug for RequestDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RequestDigest(..)")
    }
}

/// What a second sighting of a signature may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayPolicy {
    /// Every second sighting is refused (callbacks: the sender re-signs each retry).
    Strict,
    /// A byte-identical retry is admitted (idempotent endpoints answer it as the first time);
    /// any other second sighting is refused.
    IdenticalRetry,
}

impl ReplayPolicy {
    /// True when `verdict` lets the request through under this policy.
    pub fn admits(self, verdict: ReplayVerdict) -> bool {
        match verdict {
            ReplayVerdict::Fresh => true,
            ReplayVerdict::Retry => self == ReplayPolicy::IdenticalRetry,
            ReplayVerdict::Replayed | ReplayVerdict::Full => false,
        }
    }
}

/// What the replay record says about a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayVerdict {
    /// First sighting inside the window: admitted and remembered.
    Fresh,
    /// Seen before inside the window, over the very same request bytes.
    Retry,
    /// Seen before inside the window, over other request bytes.
    Replayed,
    /// No room to remember it (the cache, or the caller's per-key bound, is full); refuse for now.
    Full,
}

#[derive(Debug, Default)]
struct Entries {
    by_expiry: BTreeSet<(i64, [u8; 32])>,
    seen: HashMap<[u8; 32], RequestDigest>,
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

    /// Drops expired entries, then remembers `signature` over `digest` (until `expires_at`) or
    /// says what it saw before.
    pub fn check_and_insert(
        &self,
        signature: &DujiaoSignature,
        digest: RequestDigest,
        expires_at: i64,
        now: i64,
    ) -> ReplayVerdict {
        // Poisoning cannot leave the two collections out of step (each change is one insert or
        // remove pair without a panic point between), so a poisoned lock is reused.
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
        if let Some(seen) = entries.seen.get(&signature.0) {
            return if *seen == digest {
                ReplayVerdict::Retry
            } else {
                ReplayVerdict::Replayed
            };
        }
        if entries.seen.len() >= self.capacity {
            return ReplayVerdict::Full;
        }
        entries.seen.insert(signature.0, digest);
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

    fn digest(query: &str) -> RequestDigest {
        RequestDigest::of("GET", &format!("/api/v1/upstream/products{query}"), b"")
    }

    #[test]
    fn second_sighting_is_a_retry_or_a_replay_until_expiry() {
        let cache = ReplayCache::new(10);
        let first = digest("?page=1");
        assert_eq!(
            cache.check_and_insert(&sig(1), first, 160, 100),
            ReplayVerdict::Fresh
        );
        assert_eq!(
            cache.check_and_insert(&sig(1), first, 160, 150),
            ReplayVerdict::Retry
        );
        assert_eq!(
            cache.check_and_insert(&sig(1), digest("?page=2"), 160, 150),
            ReplayVerdict::Replayed
        );
        assert_eq!(
            cache.check_and_insert(&sig(1), first, 260, 161),
            ReplayVerdict::Fresh
        );
    }

    #[test]
    fn policies_admit_retries_only_when_asked() {
        use ReplayVerdict::*;
        for (policy, admitted) in [
            (ReplayPolicy::Strict, [true, false, false, false]),
            (ReplayPolicy::IdenticalRetry, [true, true, false, false]),
        ] {
            let got = [Fresh, Retry, Replayed, Full].map(|verdict| policy.admits(verdict));
            assert_eq!(got, admitted, "{policy:?}");
        }
    }

    #[test]
    fn full_cache_fails_closed_and_frees_expired_entries() {
        let cache = ReplayCache::new(2);
        let d = digest("");
        assert_eq!(
            cache.check_and_insert(&sig(1), d, 110, 100),
            ReplayVerdict::Fresh
        );
        assert_eq!(
            cache.check_and_insert(&sig(2), d, 120, 100),
            ReplayVerdict::Fresh
        );
        assert_eq!(
            cache.check_and_insert(&sig(3), d, 130, 100),
            ReplayVerdict::Full
        );
        assert_eq!(
            cache.check_and_insert(&sig(3), d, 130, 111),
            ReplayVerdict::Fresh
        );
        assert_eq!(cache.len(), 2);
    }
}
