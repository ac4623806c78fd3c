//! Executing one run: our sub-orders page by page, then the partner's order list, then done.
//!
//! Contract: each page (up to [`PAGE`] sub-orders after the cursor, in id order) is fetched from
//! the partner concurrently (the connection's rate limiter paces the calls), then its
//! discrepancies, their events, the counters and the new cursor commit in one transaction. A
//! crash loses at most the page under way, which the next claim fetches again; the items'
//! unique keys make even a replayed commit record nothing twice. A partner failure stops the
//! run where it is (the task is retried with backoff). A connection that is gone or unusable
//! fails the run; one that is merely not active waits (the task retries) until it is again.

use switchyard_domain::Money;
use switchyard_store::procurement::ProcurementOrder;
use switchyard_store::reconciliation::{
    self, InScope, MismatchKind, NewDiscrepancy, Progress, Run, RunPhase, RunStatus,
};
use switchyard_topics::outbox;
use tokio::task::JoinSet;

use super::compare::{compare, RemoteOrder};
use super::partner::{Partner, View};
use super::record::record;
use super::remote;
use super::Shared;
use crate::error::StepError;

/// Sub-orders fetched and committed together.
const PAGE: i64 = 50;

/// Runs (or resumes) run `id` to its end.
pub(super) async fn execute(shared: &Shared, id: i64) -> Result<(), StepError> {
    let pool = &shared.pool;
    let Some(run) = reconciliation::get(pool, id).await? else {
        return Ok(());
    };
    if matches!(run.status, RunStatus::Completed | RunStatus::Failed) {
        return Ok(());
    }
    let scope = InScope {
        connection_id: run.connection_id,
        from: run.period_start,
        to: run.period_end,
    };
    let total = reconciliation::in_period_count(pool, &scope).await?;
    let total = i32::try_from(total).unwrap_or(i32::MAX);
    let Some(mut run) = reconciliation::start(pool, id, total).await? else {
        return Ok(());
    };
    let partner = match Partner::of(&shared.connections, run.connection_id).await {
        Ok(partner) => partner,
        Err(StepError::Connection(error)) if !error.is_transient() && !error.is_not_active() => {
            reconciliation::fail(pool, id, &format!("connection unusable: {error}")).await?;
            tracing::warn!(run_id = id, %error, "reconciliation run failed");
            return Ok(());
        }
        Err(error) => return Err(error),
    };
    let mut notes = Vec::new();
    if let Partner::Unqueried(why) = &partner {
        notes.push((*why).to_owned());
    }
    while run.phase == RunPhase::Local {
        let page = reconciliation::in_period(pool, &scope, run.cursor_procurement_id, PAGE).await?;
        let Some(last) = page.last().map(|sub| sub.id) else {
            let next = Progress {
                phase: Some(RunPhase::Remote),
                ..Progress::default()
            };
            reconciliation::advance(pool, id, &next).await?;
            run.phase = RunPhase::Remote;
            break;
        };
        let views = fetch(&partner, &page).await?;
        let mut progress = Progress {
            cursor_procurement_id: Some(last),
            ..Progress::default()
        };
        let mut tx = pool.begin().await?;
        for (sub, view) in page.iter().zip(views) {
            let kind = match &view {
                View::Unplaced => {
                    progress.skipped += 1;
                    continue;
                }
                View::Missing => Some(MismatchKind::MissingUpstream),
                View::Found(remote) => compare(run.run_type, ours(sub), remote),
            };
            progress.checked += 1;
            let Some(kind) = kind else {
                progress.matched += 1;
                continue;
            };
            let item = local_item(&run, sub, kind, &view);
            if record(&mut tx, &shared.kafka, &run, &item).await? {
                progress.mismatched += 1;
            }
        }
        reconciliation::advance(&mut *tx, id, &progress).await?;
        tx.commit().await?;
        outbox::wake();
        run.cursor_procurement_id = Some(last);
    }
    if let Some(note) = remote::missing_local(shared, &run, &partner).await? {
        notes.push(note);
    }
    let note = (!notes.is_empty()).then(|| notes.join("; "));
    reconciliation::finish(pool, id, note.as_deref()).await?;
    tracing::info!(run_id = id, "reconciliation run completed");
    Ok(())
}

/// Our status and amount of `sub`.
fn ours(sub: &ProcurementOrder) -> (switchyard_domain::ProcurementStatus, Money) {
    (
        sub.status,
        Money::from_minor(sub.amount_minor, sub.currency),
    )
}

/// The partner's views of `page`, in its order; the first failure fails the page.
async fn fetch(partner: &Partner, page: &[ProcurementOrder]) -> Result<Vec<View>, StepError> {
    let mut calls = JoinSet::new();
    for (index, sub) in page.iter().cloned().enumerate() {
        let partner = partner.clone();
        calls.spawn(async move { (index, partner.view(&sub).await) });
    }
    let mut views: Vec<Option<View>> = vec![None; page.len()];
    while let Some(joined) = calls.join_next().await {
        let (index, view) =
            joined.map_err(|error| StepError::PartnerUnavailable(error.to_string()))?;
        views[index] = Some(view?);
    }
    Ok(views.into_iter().flatten().collect())
}

/// The discrepancy row for one of our sub-orders.
fn local_item(
    run: &Run,
    sub: &ProcurementOrder,
    kind: MismatchKind,
    view: &View,
) -> NewDiscrepancy {
    let remote: Option<&RemoteOrder> = match view {
        View::Found(remote) => Some(remote),
        View::Missing | View::Unplaced => None,
    };
    NewDiscrepancy {
        run_id: run.id,
        procurement_order_id: Some(sub.id),
        upstream_order_id: remote
            .map(|r| r.upstream_order_id.clone())
            .or_else(|| sub.upstream_order_id.clone()),
        upstream_order_no: remote
            .and_then(|r| r.upstream_order_no.clone())
            .or_else(|| sub.upstream_order_no.clone()),
        kind,
        local_status: Some(sub.status.as_str().to_owned()),
        remote_status: remote.map(|r| r.status_word.clone()),
        local_amount: Some((sub.amount_minor, sub.currency)),
        remote_amount: remote
            .and_then(|r| r.amount)
            .map(|money| (money.amount_minor, money.currency)),
    }
}
