//! The retry job: places sub-orders whose next attempt is due (transient failures on the
//! connection's schedule, operator retries, and sub-orders whose placing process died).
//!
//! Contract: a [`PolledJob`] on every replica; each round (every `poll_interval_ms`) claims up
//! to `poll_batch` due sub-orders (skipping rows another process is claiming) and places them
//! concurrently. Errors are logged; the lease makes the row due again.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;

use super::place::Placer;
use crate::scheduler::{JobError, JobFuture, PolledJob};
use switchyard_store::procurement;

/// Places due procurement retries.
pub struct DueRetries(pub Arc<Placer>);

impl PolledJob for DueRetries {
    fn name(&self) -> &'static str {
        "procurement-retries"
    }

    fn period(&self) -> Duration {
        Duration::from_millis(self.0.config().poll_interval_ms)
    }

    fn run(&self) -> JobFuture<'_, Result<(), JobError>> {
        Box::pin(async move {
            let placer = &self.0;
            let lease = placer.config().claim_lease();
            let batch = placer.config().poll_batch;
            let due = procurement::claim_due(placer.pool(), lease, batch)
                .await
                .map_err(|error| JobError::new(format!("claiming due retries: {error}")))?;
            let mut attempts = JoinSet::new();
            for id in due {
                let placer = Arc::clone(placer);
                attempts.spawn(async move {
                    if let Err(error) = placer.place(id, true).await {
                        tracing::warn!(procurement_id = %id, %error, "retrying a procurement");
                    }
                });
            }
            while attempts.join_next().await.is_some() {}
            Ok(())
        })
    }
}
