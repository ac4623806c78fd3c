//! The registry's memory: values by key, each reused for a fixed time, forgotten at once on
//! invalidation, and never resurrected by a read that started before the invalidation.
//!
//! Contract: [`TtlMap::get`] returns a value stored less than `ttl` ago. A loader takes a
//! [`Ticket`] *before* it reads the database and stores with [`TtlMap::put`]; if an invalidation
//! happened in between, the put is dropped, so a row read before an operator's change cannot
//! sit in the cache after it. [`TtlMap::stale`] hands back an expired value so a loader can keep
//! what did not change (a built client and its rate limiter). A poisoned lock is treated as an
//! empty cache: callers read the database instead.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Proof of when a load started, for [`TtlMap::put`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ticket(u64);

struct Entries<K, V> {
    generation: u64,
    values: HashMap<K, (Instant, V)>,
}

/// Values of type `V` by key `K`, each reused for `ttl`.
pub(crate) struct TtlMap<K, V> {
    ttl: Duration,
    entries: Mutex<Entries<K, V>>,
}

/// More entries than operators ever create: past this the map starts over.
const MAX_ENTRIES: usize = 10_000;

impl<K: Eq + Hash, V: Clone> TtlMap<K, V> {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(Entries {
                generation: 0,
                values: HashMap::new(),
            }),
        }
    }

    /// The value stored for `key` less than `ttl` ago.
    pub(crate) fn get(&self, key: &K) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        let (at, value) = entries.values.get(key)?;
        (at.elapsed() < self.ttl).then(|| value.clone())
    }

    /// The value stored for `key`, however old (to compare with a fresh read).
    pub(crate) fn stale(&self, key: &K) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        entries.values.get(key).map(|(_, value)| value.clone())
    }

    /// Taken before reading what will be [`Self::put`].
    pub(crate) fn ticket(&self) -> Ticket {
        Ticket(self.entries.lock().map_or(u64::MAX, |e| e.generation))
    }

    /// Stores `value` for `key` from now on, unless the map was invalidated since `ticket`.
    pub(crate) fn put(&self, ticket: Ticket, key: K, value: V) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.generation != ticket.0 {
            return;
        }
        if entries.values.len() >= MAX_ENTRIES {
            entries.values.clear();
        }
        entries.values.insert(key, (Instant::now(), value));
    }

    /// Forgets `key`; loads under way when this is called will not store.
    pub(crate) fn remove(&self, key: &K) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.generation = entries.generation.wrapping_add(1);
            entries.values.remove(key);
        }
    }

    /// Forgets everything; loads under way when this is called will not store.
    pub(crate) fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.generation = entries.generation.wrapping_add(1);
            entries.values.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn a_value_is_reused_until_removed() {
        let map = TtlMap::new(HOUR);
        map.put(map.ticket(), 1, "a");
        assert_eq!(map.get(&1), Some("a"));
        map.remove(&1);
        assert_eq!(map.get(&1), None);
        map.put(map.ticket(), 1, "b");
        map.put(map.ticket(), 2, "c");
        map.clear();
        assert_eq!((map.get(&1), map.get(&2)), (None, None));
    }

    #[test]
    fn an_expired_value_is_not_reused_but_can_be_compared() {
        let map = TtlMap::new(Duration::ZERO);
        map.put(map.ticket(), 1, "a");
        assert_eq!(map.get(&1), None, "a zero ttl never reuses");
        assert_eq!(map.stale(&1), Some("a"));
    }

    #[test]
    fn a_load_that_started_before_an_invalidation_is_not_stored() {
        let map = TtlMap::new(HOUR);
        let before = map.ticket();
        map.remove(&1); // an operator changed the connection while the row was being read
        map.put(before, 1, "read before the change");
        assert_eq!(map.get(&1), None);
        let before = map.ticket();
        map.clear();
        map.put(before, 2, "read before the change");
        assert_eq!(map.get(&2), None);
        map.put(map.ticket(), 1, "read after");
        assert_eq!(map.get(&1), Some("read after"));
    }
}
