//! Storing a discrepancy and announcing it, in the caller's transaction.
//!
//! Contract: [`record`] writes the item and, only when the item is new, its
//! `ReconciliationDiscrepancy` into the outbox, in the same transaction; so a page replayed
//! after a crash announces nothing twice. The event's `procurement_id` is empty for
//! `missing_local` (we have no procurement); it is keyed by the upstream order instead.

use chrono::Utc;
use sqlx::PgConnection;
use switchyard_domain::Money;
use switchyard_store::reconciliation::{self, MismatchKind, NewDiscrepancy, Run, RunType};
use switchyard_topics::events::{DiscrepancyKind, ReconciliationCheck, ReconciliationDiscrepancy};
use switchyard_topics::{encode, outbox, EventMeta, KafkaConfig};

use crate::error::StepError;

/// Stores `item` for `run` and announces it; false when the run already had it.
pub(super) async fn record(
    conn: &mut PgConnection,
    kafka: &KafkaConfig,
    run: &Run,
    item: &NewDiscrepancy,
) -> Result<bool, StepError> {
    let Some(stored) = reconciliation::record(&mut *conn, item).await? else {
        return Ok(false);
    };
    let money = |amount: Option<(i64, switchyard_domain::Currency)>| {
        amount.map(|(minor, currency)| Money::from_minor(minor, currency))
    };
    let event = ReconciliationDiscrepancy {
        run_id: run.id.to_string(),
        connection_id: run.connection_id.to_string(),
        procurement_id: stored
            .procurement_order_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        upstream_order_id: stored.upstream_order_id.clone(),
        check_type: check_of(run.run_type),
        kind: kind_of(stored.mismatch_kind),
        local_status: stored.local_status.clone(),
        upstream_status: stored.remote_status.clone(),
        local_amount: money(item.local_amount),
        upstream_amount: money(item.remote_amount),
        period_start: run.period_start.timestamp_millis(),
        period_end: run.period_end.timestamp_millis(),
        detected_at: Utc::now().timestamp_millis(),
    };
    let encoded = encode(kafka, &event, EventMeta::new())?;
    outbox::write(&mut *conn, &encoded).await?;
    Ok(true)
}

fn check_of(run_type: RunType) -> ReconciliationCheck {
    match run_type {
        RunType::Status => ReconciliationCheck::Status,
        RunType::Amount => ReconciliationCheck::Amount,
        RunType::Full => ReconciliationCheck::Full,
    }
}

fn kind_of(kind: MismatchKind) -> DiscrepancyKind {
    match kind {
        MismatchKind::Status => DiscrepancyKind::Status,
        MismatchKind::Amount => DiscrepancyKind::Amount,
        MismatchKind::Both => DiscrepancyKind::Both,
        MismatchKind::MissingUpstream => DiscrepancyKind::MissingUpstream,
        MismatchKind::MissingLocal => DiscrepancyKind::MissingLocal,
    }
}
