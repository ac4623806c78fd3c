//! Creates the stock-syncer's missing per-connection tasks, on every replica (idempotent).

use std::time::Duration;

use std::sync::Arc;

use switchyard_store::stock_sync_tasks;

use super::Shared;
use crate::scheduler::{JobError, JobFuture, PolledJob};

/// Plans the per-connection tasks.
pub(super) struct Plan(pub(super) Arc<Shared>);

impl PolledJob for Plan {
    fn name(&self) -> &'static str {
        "stock-sync-plan"
    }

    fn period(&self) -> Duration {
        self.0.tick.max(Duration::from_millis(50)) * 10
    }

    fn run(&self) -> JobFuture<'_, Result<(), JobError>> {
        Box::pin(async move {
            stock_sync_tasks::plan(&self.0.pool)
                .await
                .map(|_| ())
                .map_err(JobError::new)
        })
    }
}
