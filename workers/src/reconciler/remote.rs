//! The run's second phase: orders the partner has for the period that we do not (`missing_local`).
//!
//! Contract: only a partner that lists its orders can be asked. Dujiao-Next's protocol has no
//! list; a site serving the optional `GET /orders` list (see `partners::dujiao::listing`) is read
//! page by page after the run's page cursor, and each listed order we have no procurement for on
//! this connection (by its order id or by the `downstream_order_no` it echoes, at any date) is
//! recorded, with the page's counters and cursor in one transaction. The vending API has no list
//! either. What could not be checked comes back as the note for the run.

use switchyard_store::reconciliation::{
    self, MismatchKind, NewDiscrepancy, Progress, Run, RunPhase,
};
use switchyard_topics::outbox;

use super::partner::Partner;
use super::record::record;
use super::Shared;
use crate::error::StepError;

/// Lists the partner's orders of the run's period and records the ones we lack; the note of
/// what could not be checked.
pub(super) async fn missing_local(
    shared: &Shared,
    run: &Run,
    partner: &Partner,
) -> Result<Option<String>, StepError> {
    let client =
        match partner {
            Partner::Dujiao(client) => client,
            Partner::Vending(_) => return Ok(Some(
                "the vending API lists no orders: orders we lack (missing_local) were not checked"
                    .to_owned(),
            )),
            Partner::Unqueried(_) => return Ok(None),
        };
    let pool = &shared.pool;
    let mut page = u32::try_from(run.cursor_remote_page).unwrap_or(0) + 1;
    loop {
        let listed = client
            .list_orders(run.period_start, run.period_end, page)
            .await
            .map_err(|error| StepError::PartnerUnavailable(error.to_string()))?;
        let Some(listed) = listed else {
            return Ok(Some(
                "the site serves no order list: orders we lack (missing_local) were not checked"
                    .to_owned(),
            ));
        };
        let ids: Vec<String> = listed
            .items
            .iter()
            .map(|o| o.order_id.to_string())
            .collect();
        let keys: Vec<String> = listed
            .items
            .iter()
            .map(|o| o.downstream_order_no.clone())
            .collect();
        let known = reconciliation::known_upstream(pool, run.connection_id, &ids, &keys).await?;
        let mut progress = Progress {
            listed: i32::try_from(listed.items.len()).unwrap_or(i32::MAX),
            cursor_remote_page: Some(i32::try_from(page).unwrap_or(i32::MAX)),
            ..Progress::default()
        };
        let mut tx = pool.begin().await?;
        for order in &listed.items {
            let id = order.order_id.to_string();
            let ours = known.iter().any(|(upstream, key)| {
                upstream.as_deref() == Some(id.as_str()) || *key == order.downstream_order_no
            });
            if ours {
                continue;
            }
            let item = NewDiscrepancy {
                run_id: run.id,
                procurement_order_id: None,
                upstream_order_id: Some(id),
                upstream_order_no: Some(order.order_no.clone()),
                kind: MismatchKind::MissingLocal,
                local_status: None,
                remote_status: Some(order.status.clone()),
                local_amount: None,
                remote_amount: order
                    .amount_money()
                    .ok()
                    .map(|money| (money.amount_minor, money.currency)),
            };
            if record(&mut tx, &shared.kafka, run, &item).await? {
                progress.mismatched += 1;
            }
        }
        if !listed.has_more() {
            progress.phase = Some(RunPhase::Done);
        }
        reconciliation::advance(&mut *tx, run.id, &progress).await?;
        tx.commit().await?;
        outbox::wake();
        if !listed.has_more() {
            return Ok(None);
        }
        page += 1;
    }
}
