//! The transactional outbox: events are written into `event_outbox` in the transaction of the
//! change they announce ([`write`]), and an [`OutboxDrainer`] in every process that writes them
//! (ingress and workers) publishes what committed.
//!
//! Contract:
//! - An event written in a transaction that rolls back was never visible and is never published;
//!   one that committed is published even if its process dies right after the commit (any
//!   drainer on the database publishes it).
//! - One drainer at a time across every process on the database (a transaction-scoped advisory
//!   lock); each round reads the oldest unpublished events in id order, produces them (the
//!   idempotent producer keeps their order per partition), and marks the confirmed ones published
//!   in the same transaction, so two drainers never publish one row twice. Writers of one key
//!   serialise on that key's row (e.g. the order row lock), so id order is their commit order and
//!   per-key order holds. An event not confirmed stays for a later round: a crash between produce
//!   and mark can only duplicate it (same event id; consumers deduplicate), never lose it. An
//!   event the broker refuses for good (too large, unknown topic) is taken out of the queue with
//!   its reason (`refused_at`, `refusal`) and logged, instead of being retried every round.
//! - A drainer polls every `interval` and runs at once when this process calls [`wake`] after a
//!   commit, and again at once while rounds publish. Every round, locked or not, settles the
//!   writer's [`OutboxFence`] if one was given. Published rows are purged in small batches by the
//!   expiry-sweeper's retention job (`workers.sweeper.outbox_published_days`), not here.

mod fence;

pub use fence::OutboxFence;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use sqlx::{PgExecutor, PgPool};
use switchyard_store::outbox::{self, NewOutboxEvent, OutboxEvent};
use switchyard_store::{Inserted, StoreError};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::codec::EncodedEvent;
use crate::producer::Producer;

/// Advisory lock id taken by the drainer ("SYSPOOL" in ASCII, the lock the ingress spool's
/// drainer always took, so drainers of older and newer processes exclude each other).
const DRAIN_LOCK: i64 = 0x0053_5953_504f_4f4c;

/// Writes `event` into the outbox with `db` — the transaction of the change it announces — and
/// returns its drain position (the earlier one when its event id was written before).
pub async fn write(
    db: impl PgExecutor<'_>,
    event: &EncodedEvent,
) -> Result<Inserted<i64>, StoreError> {
    let headers = event
        .headers
        .iter()
        .map(|(name, value)| (name.clone(), String::from_utf8_lossy(value).into_owned()))
        .collect();
    let row = NewOutboxEvent {
        event_id: event.event_id,
        topic: &event.topic,
        key: Some(event.key.as_bytes()),
        payload: &event.payload,
        headers: &headers,
    };
    outbox::insert(db, &row).await
}

/// Nudges this process's drainers: call after committing a transaction that wrote events.
pub fn wake() {
    wakeup().notify_one();
}

fn wakeup() -> &'static Notify {
    static WAKEUP: OnceLock<Notify> = OnceLock::new();
    WAKEUP.get_or_init(Notify::new)
}

/// What one drain round did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrainRound {
    /// Whether this drainer held the lock (another was draining when not).
    pub locked: bool,
    /// Events confirmed by the broker and marked published.
    pub published: usize,
    /// Events the broker refused for good, taken out of the queue (kept with the reason).
    pub refused: usize,
    /// Events still waiting (not confirmed this round).
    pub remaining: usize,
}

/// Publishes committed outbox events to the broker. Clones share the pool, producer and flag.
#[derive(Clone)]
pub struct OutboxDrainer {
    pool: PgPool,
    producer: Producer,
    batch_size: i64,
    produce_timeout: Duration,
    fence: Option<Arc<OutboxFence>>,
    published_counter: Option<Counter>,
}

impl OutboxDrainer {
    /// A drainer publishing up to `batch_size` events a round through `producer`, waiting at most
    /// `produce_timeout` for each confirmation (longer than the producer's own message timeout,
    /// so every record has a definitive outcome before it is marked or left).
    pub fn new(
        pool: PgPool,
        producer: Producer,
        batch_size: i64,
        produce_timeout: Duration,
    ) -> Self {
        Self {
            pool,
            producer,
            batch_size: batch_size.max(1),
            produce_timeout,
            fence: None,
            published_counter: None,
        }
    }

    /// Settles `fence` after every round (see [`OutboxFence`]).
    pub fn settling(mut self, fence: Arc<OutboxFence>) -> Self {
        self.fence = Some(fence);
        self
    }

    /// Counts the events this drainer published on `counter`.
    pub fn counting(mut self, counter: Counter) -> Self {
        self.published_counter = Some(counter);
        self
    }

    /// Drains until `shutdown`: a round every `interval`, at once on [`wake`], and again at once
    /// while a round published something.
    pub async fn run(self, interval: Duration, shutdown: CancellationToken) {
        loop {
            let progressed = match self.drain_once().await {
                Ok(round) => round.published > 0,
                Err(error) => {
                    tracing::warn!(%error, "outbox drain round failed; will retry");
                    false
                }
            };
            if shutdown.is_cancelled() {
                return;
            }
            if progressed {
                continue;
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(interval) => {}
                () = wakeup().notified() => {}
            }
        }
    }

    /// One round: publish the oldest unpublished events and mark the confirmed ones, then settle
    /// the fence.
    pub async fn drain_once(&self) -> Result<DrainRound, StoreError> {
        let written = self.fence.as_ref().map(|fence| fence.written());
        let round = self.publish_round().await?;
        if let (Some(fence), Some(written)) = (&self.fence, written) {
            let (oldest, newest) = outbox::unpublished_range(&self.pool).await?;
            fence.settle(written, oldest, newest);
        }
        Ok(round)
    }

    async fn publish_round(&self) -> Result<DrainRound, StoreError> {
        let mut tx = self.pool.begin().await?;
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
            .bind(DRAIN_LOCK)
            .fetch_one(&mut *tx)
            .await?;
        if !locked {
            return Ok(DrainRound {
                locked: false,
                published: 0,
                refused: 0,
                remaining: 0,
            });
        }
        let batch = outbox::next_batch(&mut *tx, self.batch_size).await?;
        if batch.is_empty() {
            tx.commit().await?;
            return Ok(DrainRound {
                locked: true,
                published: 0,
                refused: 0,
                remaining: 0,
            });
        }
        let events: Vec<(i64, EncodedEvent)> = batch.into_iter().map(to_encoded).collect();
        let sends = events
            .iter()
            .map(|(_, event)| self.producer.send(event, self.produce_timeout));
        let results = futures::future::join_all(sends).await;
        let confirmed: Vec<i64> = events
            .iter()
            .zip(&results)
            .filter(|(_, result)| result.is_ok())
            .map(|((id, _), _)| *id)
            .collect();
        if !confirmed.is_empty() {
            outbox::mark_published(&mut *tx, &confirmed).await?;
        }
        let mut refused = 0;
        for ((id, event), result) in events.iter().zip(&results) {
            let Err(error) = result else { continue };
            if error.is_transient() {
                continue; // a later round tries again
            }
            tracing::error!(
                event_id = %event.event_id,
                topic = %event.topic,
                %error,
                "the broker refused an outbox event for good; kept in event_outbox, no longer drained"
            );
            outbox::mark_refused(&mut *tx, *id, &error.to_string()).await?;
            refused += 1;
        }
        tx.commit().await?;
        if let Some(counter) = &self.published_counter {
            counter.inc_by(confirmed.len() as u64);
        }
        Ok(DrainRound {
            locked: true,
            published: confirmed.len(),
            refused,
            remaining: events.len() - confirmed.len() - refused,
        })
    }
}

fn to_encoded(event: OutboxEvent) -> (i64, EncodedEvent) {
    let encoded = EncodedEvent {
        topic: event.topic,
        key: event
            .key
            .map(|key| String::from_utf8_lossy(&key).into_owned())
            .unwrap_or_default(),
        payload: event.payload,
        headers: event
            .headers
            .into_iter()
            .map(|(name, value)| (name, value.into_bytes()))
            .collect(),
        event_id: event.event_id,
    };
    (event.id, encoded)
}
