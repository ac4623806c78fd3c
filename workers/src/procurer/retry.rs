//! The retry loop: places sub-orders whose next attempt is due (transient failures on the
//! connection's schedule, operator retries, and sub-orders whose placing process died).
//!
//! Contract: every `poll_interval_ms` it claims up to `poll_batch` due sub-orders (skipping rows
//! another process is claiming) and places them concurrently; it stops when `shutdown` is
//! cancelled, after the attempts under way finish. Errors are logged; the lease makes the row
//! due again.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::place::Placer;
use switchyard_store::procurement;

/// Runs until `shutdown`.
pub async fn run(placer: Arc<Placer>, shutdown: CancellationToken) {
    let interval = Duration::from_millis(placer.config().poll_interval_ms);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
        }
        let lease = placer.config().claim_lease();
        let batch = placer.config().poll_batch;
        let due = match procurement::claim_due(placer.pool(), lease, batch).await {
            Ok(due) => due,
            Err(error) => {
                tracing::warn!(%error, "claiming due procurement retries");
                continue;
            }
        };
        let mut attempts = JoinSet::new();
        for id in due {
            let placer = Arc::clone(&placer);
            attempts.spawn(async move {
                if let Err(error) = placer.place(id, true).await {
                    tracing::warn!(procurement_id = %id, %error, "retrying a procurement");
                }
            });
        }
        while attempts.join_next().await.is_some() {}
    }
}
