//! A sub-order whose fulfiller's connection is not active waits for it.
//!
//! Contract: nothing is sent to the fulfiller (the registry refused the client). The sub-order
//! stays `pending`, is not failed or dead-lettered, spends no attempt of its retry budget, and
//! shows why in `last_error_code` (`connection_not_active`) and `last_error`, which the operator
//! API returns. It is looked at again every [`RECHECK`] (scaled by `time_scale`), and at once
//! when an operator enables the connection (the connection route wakes it); a successful attempt
//! then clears the reason.

use std::time::Duration;

use chrono::Utc;
use switchyard_store::connections::ConnectionStatus;
use switchyard_store::procurement::{self, ProcurementOrder};

use super::place::Placer;
use crate::error::StepError;

/// How often a waiting sub-order checks its connection again, before scaling.
pub const RECHECK: Duration = Duration::from_secs(30);

/// Parks `sub` until its connection `connection_id` (now `status`) is enabled.
pub async fn wait(
    placer: &Placer,
    sub: &ProcurementOrder,
    connection_id: i64,
    status: ConnectionStatus,
) -> Result<(), StepError> {
    let reason = format!(
        "waiting: connection {connection_id} is {status}; the sub-order is placed once an \
         operator enables it"
    );
    let recheck = chrono::Duration::from_std(placer.config().scaled(RECHECK))
        .unwrap_or(chrono::Duration::MAX);
    procurement::wait_for_connection(placer.pool(), sub.id, &reason, Utc::now() + recheck).await?;
    tracing::info!(
        connection = connection_id,
        connection_status = %status,
        "sub-order waits for its connection"
    );
    Ok(())
}
