//! The spool drainer: publishes events the broker could not confirm in time, in spool order.
//!
//! Contract: one drainer at a time across every ingress replica (a transaction-scoped advisory
//! lock); each round reads the oldest unpublished events, produces them (the idempotent producer
//! keeps their order per partition), and marks the confirmed ones published in the same
//! transaction. An event that is not confirmed stays in the spool for the next round, so a crash
//! between produce and mark can only duplicate (same event id; consumers deduplicate), never lose.
//! When a round finds the spool empty it clears the publisher's "spool pending" flag so requests
//! go straight to the broker again. Published rows are purged after a day.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::PgPool;
use switchyard_store::spool::{self, SpooledEvent};
use switchyard_topics::{EncodedEvent, Producer};
use tokio_util::sync::CancellationToken;

use crate::metrics::IngressMetrics;

/// How often published spool rows older than a day are deleted.
const PURGE_EVERY: Duration = Duration::from_secs(3_600);

/// Advisory lock id taken by the drainer ("SYSPOOL" in ASCII).
const DRAIN_LOCK: i64 = 0x0053_5953_504f_4f4c;

/// Moves spooled events to the broker.
pub struct SpoolDrainer {
    pool: PgPool,
    producer: Producer,
    batch_size: i64,
    produce_timeout: Duration,
    spool_pending: Arc<AtomicBool>,
    metrics: IngressMetrics,
}

/// What one drain round did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrainRound {
    /// Events confirmed by the broker and marked published.
    pub published: usize,
    /// Events still waiting (not confirmed this round).
    pub remaining: usize,
}

impl SpoolDrainer {
    pub(crate) fn new(
        pool: PgPool,
        producer: Producer,
        batch_size: i64,
        produce_timeout: Duration,
        spool_pending: Arc<AtomicBool>,
        metrics: IngressMetrics,
    ) -> Self {
        Self {
            pool,
            producer,
            batch_size: batch_size.max(1),
            produce_timeout,
            spool_pending,
            metrics,
        }
    }

    /// Drains until `shutdown`, one round every `interval` (immediately again while a round was full).
    /// Published rows are kept a day for inspection, then purged (checked hourly).
    pub async fn run(self, interval: Duration, shutdown: CancellationToken) {
        let mut last_purge = Instant::now();
        loop {
            if last_purge.elapsed() >= PURGE_EVERY {
                last_purge = Instant::now();
                let before = chrono::Utc::now() - chrono::Duration::days(1);
                if let Err(error) = spool::purge_published(&self.pool, before).await {
                    tracing::warn!(%error, "spool purge failed; will retry");
                }
            }
            let full_round = match self.drain_once().await {
                Ok(round) => round.published as i64 == self.batch_size,
                Err(error) => {
                    tracing::warn!(%error, "spool drain round failed; will retry");
                    false
                }
            };
            if full_round {
                continue;
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(interval) => {}
            }
        }
    }

    /// One round: publish the oldest unpublished events and mark the confirmed ones.
    pub async fn drain_once(&self) -> Result<DrainRound, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
            .bind(DRAIN_LOCK)
            .fetch_one(&mut *tx)
            .await?;
        if !locked {
            return Ok(DrainRound {
                published: 0,
                remaining: 0,
            });
        }
        let batch = spool::next_batch(&mut *tx, self.batch_size)
            .await
            .map_err(store_to_sqlx)?;
        if batch.is_empty() {
            tx.commit().await?;
            self.spool_pending.store(false, Ordering::Release);
            return Ok(DrainRound {
                published: 0,
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
            spool::mark_published(&mut *tx, &confirmed)
                .await
                .map_err(store_to_sqlx)?;
        }
        tx.commit().await?;
        self.metrics.drained.inc_by(confirmed.len() as u64);
        Ok(DrainRound {
            published: confirmed.len(),
            remaining: events.len() - confirmed.len(),
        })
    }
}

fn to_encoded(event: SpooledEvent) -> (i64, EncodedEvent) {
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

/// The store wraps sqlx errors; the drainer only needs "failed, retry next round".
fn store_to_sqlx(error: switchyard_store::StoreError) -> sqlx::Error {
    sqlx::Error::Protocol(error.to_string())
}
