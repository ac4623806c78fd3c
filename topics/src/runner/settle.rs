//! Group commit of retried heads' decisions.
//!
//! Contract: [`Settler::settle`] returns once the decision on one parked head is durable (or
//! its batch failed: the caller retries). Callers arriving while a batch is being written queue
//! up; the next caller to get the writer's lock writes everything queued (up to `max_batch`) in
//! one transaction ([`parking::settle_heads`]) and hands every waiter its result. So a drain of
//! many due heads costs one transaction per batch, not several round-trips per event, and a
//! lone retry still costs one transaction with no added wait. No task is spawned: the waiting
//! callers take turns writing.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use sqlx::PgPool;
use tokio::sync::oneshot;

use super::parking::{self, HeadDecision, ParkedEvent};

type Reply = oneshot::Sender<Result<Option<ParkedEvent>, String>>;

/// Writes heads' decisions in batches; one per runner.
pub(crate) struct Settler {
    pool: PgPool,
    group: Arc<str>,
    lease: Duration,
    max_batch: usize,
    queue: Mutex<Vec<(i64, HeadDecision, Reply)>>,
    writer: tokio::sync::Mutex<()>,
    /// Transactions written (one per batch).
    batches: Counter,
}

impl Settler {
    pub(crate) fn new(
        pool: PgPool,
        group: Arc<str>,
        lease: Duration,
        max_batch: usize,
        batches: Counter,
    ) -> Self {
        Self {
            pool,
            group,
            lease,
            max_batch: max_batch.max(1),
            queue: Mutex::new(Vec::new()),
            writer: tokio::sync::Mutex::new(()),
            batches,
        }
    }

    /// Makes the decision on head `id` durable; a finished head returns its key's promoted
    /// next event (claimed for this runner), if any.
    pub(crate) async fn settle(
        &self,
        id: i64,
        decision: HeadDecision,
    ) -> Result<Option<ParkedEvent>, String> {
        let (reply, mut answer) = oneshot::channel();
        self.lock_queue().push((id, decision, reply));
        loop {
            let _writing = self.writer.lock().await;
            match answer.try_recv() {
                Ok(result) => return result,
                Err(oneshot::error::TryRecvError::Closed) => {
                    return Err("settle batch abandoned".to_owned())
                }
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
            let batch: Vec<_> = {
                let mut queue = self.lock_queue();
                let take = queue.len().min(self.max_batch);
                queue.drain(..take).collect()
            };
            if batch.is_empty() {
                continue;
            }
            let decisions: Vec<(i64, HeadDecision)> = batch
                .iter()
                .map(|(id, decision, _)| (*id, decision.clone()))
                .collect();
            let written =
                parking::settle_heads(&self.pool, &self.group, &decisions, self.lease).await;
            self.batches.inc();
            match written {
                Ok(nexts) => {
                    for ((_, _, reply), next) in batch.into_iter().zip(nexts) {
                        let _ = reply.send(Ok(next));
                    }
                }
                Err(error) => {
                    let error = error.to_string();
                    for (_, _, reply) in batch {
                        let _ = reply.send(Err(error.clone()));
                    }
                }
            }
        }
    }

    fn lock_queue(&self) -> std::sync::MutexGuard<'_, Vec<(i64, HeadDecision, Reply)>> {
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
