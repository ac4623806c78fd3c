//! Retention: the bookkeeping rows that would otherwise grow without end, purged past their age.
//!
//! Contract: a leader job (`retention`, one replica at a time) every
//! `sweeper.retention_period_secs` (scaled). Per target of [`switchyard_store::retention`] —
//! ingress dedupe (`sweeper.ingress_dedupe_days`), consumer dedupe
//! (`sweeper.processed_events_days`, never shorter than a topic keeps its records), published
//! outbox rows (`sweeper.outbox_published_days`) and the attempt logs of sub-orders that ended
//! (`sweeper.finished_attempts_days`) and Dujiao-Next replay-guard rows past their signature's
//! window (no setting: an expired row can never match again) — it deletes `sweeper.retention_batch` rows at a time, each
//! batch its own short statement, pausing `sweeper.retention_pause_ms` between batches, until a
//! batch comes back short. Every purged row is counted in
//! `switchyard_retention_purged_rows_total{table}`. Parked events and scheduled tasks need no
//! purge: their rows are deleted when their work is done.

use std::time::Duration;

use chrono::Utc;
use switchyard_store::retention::{purge_batch, Purge};

use super::Shared;
use crate::metrics::TableLabels;
use crate::scheduler::{JobError, JobFuture, LeaderJob};

/// The `retention` leader job.
pub(super) struct Retention(pub(super) std::sync::Arc<Shared>);

impl LeaderJob for Retention {
    fn name(&self) -> &'static str {
        "retention"
    }

    fn period(&self) -> Duration {
        let period = self.0.config.sweeper.retention_period_secs;
        self.0.config.scaled(Duration::from_secs(period))
    }

    fn run(&self) -> JobFuture<'_, Result<(), JobError>> {
        Box::pin(async move {
            for purge in Purge::ALL {
                purge_one(&self.0, purge)
                    .await
                    .map_err(|error| JobError::new(format!("{}: {error}", purge.table())))?;
            }
            Ok(())
        })
    }
}

/// Purges one target in batches until a batch comes back short; returns how many rows went.
async fn purge_one(shared: &Shared, purge: Purge) -> Result<u64, switchyard_store::StoreError> {
    let sweeper = &shared.config.sweeper;
    let days = match purge {
        Purge::IngressDedupe => sweeper.ingress_dedupe_days,
        Purge::ProcessedEvents => sweeper.processed_events_days,
        Purge::PublishedOutbox => sweeper.outbox_published_days,
        Purge::FinishedAttempts => sweeper.finished_attempts_days,
        Purge::DujiaoReplayGuard => 0,
    };
    // A century is "for ever" (and keeps the date arithmetic in range).
    let days = i64::try_from(days.min(36_500)).unwrap_or(36_500);
    let before = Utc::now() - chrono::Duration::days(days);
    // Cloned: the family's lock must not be held across the awaits below.
    let counter = shared
        .metrics
        .retention_purged
        .get_or_create(&TableLabels {
            table: purge.table().to_owned(),
        })
        .clone();
    let mut total = 0;
    loop {
        let purged = purge_batch(&shared.pool, purge, before, sweeper.retention_batch).await?;
        counter.inc_by(purged);
        total += purged;
        if purged < u64::try_from(sweeper.retention_batch).unwrap_or(0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(sweeper.retention_pause_ms)).await;
    }
    if total > 0 {
        tracing::info!(table = purge.table(), rows = total, "retention purged");
    }
    Ok(total)
}
