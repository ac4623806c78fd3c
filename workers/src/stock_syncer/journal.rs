//! The journal publisher: stock-change journal rows become `stock.changed` events.
//!
//! Contract: every replica runs it every tick (or at once after a sync committed changes); one at
//! a time takes the publish lock, removes the oldest rows and writes one event per row to the
//! outbox in the same transaction, so each committed change is announced once, in journal order
//! (per SKU: in the order of the changes). Keyed by our SKU id.

use std::sync::Arc;
use std::time::Duration;

use switchyard_store::stock_changes::{self, StockChange};
use switchyard_topics::events::{Money, StockChangeReason, StockChanged, StockSource, StockStatus};
use switchyard_topics::{encode, outbox, EventMeta};
use tokio::sync::Notify;

use super::Shared;
use crate::scheduler::{JobError, JobFuture, PolledJob};

/// Rows turned into events per transaction.
const BATCH: i64 = 500;

/// Publishes the journal.
pub(super) struct Publish(pub(super) Arc<Shared>);

impl PolledJob for Publish {
    fn name(&self) -> &'static str {
        "stock-changed-publish"
    }

    fn period(&self) -> Duration {
        self.0.tick
    }

    fn wakeup(&self) -> Option<&Notify> {
        Some(&self.0.journal_wakeup)
    }

    fn run(&self) -> JobFuture<'_, Result<(), JobError>> {
        Box::pin(async move {
            while publish_batch(&self.0).await.map_err(JobError::new)? >= BATCH {}
            Ok(())
        })
    }
}

/// One batch; returns the rows published (0 when another replica holds the lock).
async fn publish_batch(shared: &Shared) -> Result<i64, crate::error::StepError> {
    let mut tx = shared.pool.begin().await?;
    if !stock_changes::try_lock(&mut tx).await? {
        return Ok(0);
    }
    let changes = stock_changes::take(&mut tx, BATCH).await?;
    for change in &changes {
        let encoded = encode(
            &shared.kafka,
            &stock_changed_event(change),
            EventMeta::new(),
        )?;
        outbox::write(&mut *tx, &encoded).await?;
    }
    tx.commit().await?;
    if !changes.is_empty() {
        outbox::wake();
    }
    Ok(i64::try_from(changes.len()).unwrap_or(BATCH))
}

/// The event announcing one journalled change.
pub fn stock_changed_event(change: &StockChange) -> StockChanged {
    let source = match change.source.as_str() {
        "DUJIAO_UPSTREAM" => StockSource::DujiaoUpstream,
        "VENDING" => StockSource::Vending,
        "WDT" => StockSource::Wdt,
        _ => StockSource::Local,
    };
    let reason = match change.reason.as_str() {
        "SYNC" => StockChangeReason::Sync,
        "RESERVED" => StockChangeReason::Reserved,
        "RELEASED" => StockChangeReason::Released,
        "SOLD" => StockChangeReason::Sold,
        _ => StockChangeReason::Adjusted,
    };
    let stock_status = match change.stock_status.as_str() {
        "unlimited" => StockStatus::Unlimited,
        "out_of_stock" => StockStatus::OutOfStock,
        "low_stock" => StockStatus::LowStock,
        _ => StockStatus::InStock,
    };
    StockChanged {
        sku_id: change.sku_id.to_string(),
        sku_code: change.sku_code.clone(),
        source,
        connection_id: change.connection_id.map(|id| id.to_string()),
        quantity: (change.quantity >= 0).then_some(i64::from(change.quantity)),
        stock_status,
        is_active: change.is_active,
        price: change
            .price_changed
            .then(|| Money::from_minor(change.price_minor, change.currency)),
        reason,
        observed_at: change.observed_at.timestamp_millis(),
    }
}
