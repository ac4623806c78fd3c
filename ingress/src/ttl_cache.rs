//! A small map whose entries are reused for a fixed time, for rows read on every request
//! (partner connection keys, Dujiao-Next credentials) that operators change rarely.
//!
//! Contract: [`TtlCache::get`] returns a value stored less than `ttl` ago; [`TtlCache::put`]
//! stores one; [`TtlCache::clear`] forgets everything (the operator API calls it after a change,
//! so a change made through this process applies at once; other replicas see it within `ttl`).
//! A poisoned lock is treated as an empty cache: the caller reads the database instead.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Values of type `V` by key `K`, each reused for `ttl`.
pub(crate) struct TtlCache<K, V> {
    ttl: Duration,
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The value stored for `key` less than `ttl` ago.
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let entries = self.entries.lock().ok()?;
        let (at, value) = entries.get(key)?;
        (at.elapsed() < self.ttl).then(|| value.clone())
    }

    /// Stores `value` for `key` from now on.
    pub(crate) fn put(&self, key: K, value: V) {
        if let Ok(mut entries) = self.entries.lock() {
            // Bounded by what operators created; expired entries go when the map is refilled.
            if entries.len() >= 10_000 {
                entries.clear();
            }
            entries.insert(key, (Instant::now(), value));
        }
    }

    /// Forgets every entry.
    pub(crate) fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_reused_until_cleared_and_expires() {
        let cache = TtlCache::new(Duration::from_secs(3600));
        cache.put("key".to_owned(), 1);
        assert_eq!(cache.get("key"), Some(1));
        cache.clear();
        assert_eq!(cache.get("key"), None);

        let expired = TtlCache::new(Duration::ZERO);
        expired.put("key".to_owned(), 1);
        assert_eq!(expired.get("key"), None, "a zero ttl never reuses");
    }
}
