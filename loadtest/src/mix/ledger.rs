//! The ledger of acknowledged requests: what the topic verification looks for, and the pool that
//! duplicates are drawn from.
//!
//! Contract: only fresh requests answered with success are written (faults never are); each is
//! listed under the topic its event must be on, by idempotency id. The duplicate pool keeps the
//! most recent [`DUPLICATE_POOL`] acknowledgements with the answer they got.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::protocol::LogicalRequest;

/// How many recent acknowledgements duplicates are drawn from.
pub const DUPLICATE_POOL: usize = 4096;

/// Acknowledged requests of one target (never shared between baseline and target).
#[derive(Debug, Default)]
pub struct AckLedger {
    recent: Mutex<VecDeque<(Arc<LogicalRequest>, String)>>,
    acked: Mutex<BTreeMap<&'static str, Vec<String>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking judge cannot leave the lists half-written (each push is one call).
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl AckLedger {
    /// Records a fresh request that was acknowledged with an answer whose fingerprint is given.
    pub fn acknowledged(&self, logical: &Arc<LogicalRequest>, fingerprint: String) {
        lock(&self.acked)
            .entry(logical.protocol.topic())
            .or_default()
            .push(logical.idempotency_id.clone());
        let mut recent = lock(&self.recent);
        if recent.len() == DUPLICATE_POOL {
            recent.pop_front();
        }
        recent.push_back((logical.clone(), fingerprint));
    }

    /// A recently acknowledged request (chosen by `draw`) and the answer it got.
    pub fn pick(&self, draw: u64) -> Option<(Arc<LogicalRequest>, String)> {
        let recent = lock(&self.recent);
        if recent.is_empty() {
            return None;
        }
        let index = (draw % recent.len() as u64) as usize;
        recent.get(index).cloned()
    }

    /// Acknowledged idempotency ids by logical topic.
    pub fn acked_by_topic(&self) -> BTreeMap<&'static str, Vec<String>> {
        lock(&self.acked).clone()
    }

    /// How many requests were acknowledged.
    pub fn acked_count(&self) -> usize {
        lock(&self.acked).values().map(Vec::len).sum()
    }
}
