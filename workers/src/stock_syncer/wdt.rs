//! The stock pull of one WDT connection (`wdt-stock`, keyed by connection id).
//!
//! Contract: every run drains `wdt.api.goods.stock.change.query` (100 at a time): each batch is
//! applied to the SKUs mapped by `spec_no` (= the change's `spec_id`) in one transaction, and only
//! after that commit is it acknowledged with `.ack` (≤ 50 per call, echoing each change counter,
//! so a newer change stays pending at the ERP). A crash between commit and ack re-applies the
//! same stock on the next run (a no-op) and acknowledges it then. Every full-sync interval the
//! run also reads the whole stock with `wdt.stock.query` (quantities summed over warehouses) and
//! applies it. WDT gives no price: only stock is recorded.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use switchyard_domain::Currency;
use switchyard_partners::qimen::timestamp::format_top_timestamp;
use switchyard_partners::qimen::wire::{StockChangeAck, StockQuery, MAX_ACKS_PER_CALL};
use switchyard_partners::qimen::QimenClient;
use switchyard_store::catalog::StockStatus;
use switchyard_store::stock_sync_tasks::WDT_STOCK_JOB;
use switchyard_store::upstream_stock::{self, UpstreamItem};

use super::Shared;
use crate::error::StepError;
use crate::scheduler::{connection_of, ClaimedTask, JobError, JobFuture, TaskJob, TaskOutcome};

/// Changes asked for per query (the gateway's maximum).
const PAGE: u32 = 100;

/// The task's payload.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
struct Cursor {
    /// When the next full refresh is due (`None`: now).
    next_full_at: Option<DateTime<Utc>>,
}

/// Pulls one WDT connection's stock.
pub(super) struct StockPull(pub(super) Arc<Shared>);

impl TaskJob for StockPull {
    fn name(&self) -> &'static str {
        WDT_STOCK_JOB
    }

    fn run(&self, task: ClaimedTask) -> JobFuture<'_, Result<TaskOutcome, JobError>> {
        Box::pin(async move {
            let connection_id = connection_of(&task)?;
            let client = match self.0.connections.qimen(connection_id).await {
                Ok(client) => client,
                Err(error) if !error.is_transient() => return Ok(TaskOutcome::Done),
                Err(error) => return Err(JobError::new(error)),
            };
            let mut cursor: Cursor = serde_json::from_value(task.payload).unwrap_or_default();
            let shared = &self.0;
            drain_changes(shared, &client, connection_id)
                .await
                .map_err(JobError::new)?;
            if cursor.next_full_at.is_none_or(|at| at <= Utc::now()) {
                full_refresh(shared, &client, connection_id)
                    .await
                    .map_err(JobError::new)?;
                cursor.next_full_at = Some(shared.after(shared.full_interval));
            }
            Ok(TaskOutcome::Again {
                at: shared.after(shared.interval),
                payload: serde_json::to_value(&cursor).map_err(JobError::new)?,
            })
        })
    }
}

fn partner(error: impl std::fmt::Display) -> StepError {
    StepError::PartnerUnavailable(error.to_string())
}

fn item(spec_no: &str, quantity: i64) -> UpstreamItem {
    let quantity = i32::try_from(quantity.max(0)).unwrap_or(i32::MAX);
    UpstreamItem {
        upstream_product_id: None,
        key: spec_no.to_owned(),
        price_minor: None,
        stock_quantity: quantity,
        stock_status: match quantity {
            0 => StockStatus::OutOfStock,
            1..=5 => StockStatus::LowStock,
            _ => StockStatus::InStock,
        },
        is_active: true,
    }
}

async fn apply(
    shared: &Shared,
    connection_id: i64,
    items: &[UpstreamItem],
) -> Result<(), StepError> {
    let mut tx = shared.pool.begin().await?;
    upstream_stock::apply_wdt(&mut tx, connection_id, Currency::CNY, items).await?;
    tx.commit().await?;
    shared.journal_wakeup.notify_one();
    Ok(())
}

/// Query → apply → ack until the ERP has no more changes.
async fn drain_changes(
    shared: &Shared,
    client: &QimenClient,
    connection_id: i64,
) -> Result<(), StepError> {
    loop {
        let answer = client.stock_change_query(PAGE).await.map_err(partner)?;
        if answer.code != 0 {
            return Err(partner(format!(
                "stock change query answered {}",
                answer.code
            )));
        }
        let changes = answer.stock_change_list;
        let items: Vec<UpstreamItem> = changes
            .iter()
            .map(|change| item(&change.spec_id, change.sync_stock))
            .collect();
        apply(shared, connection_id, &items).await?;
        let acks: Vec<StockChangeAck> = changes
            .iter()
            .map(|change| StockChangeAck {
                rec_id: change.rec_id,
                sync_stock: change.sync_stock,
                stock_change_count: change.stock_change_count,
            })
            .collect();
        for chunk in acks.chunks(MAX_ACKS_PER_CALL) {
            client
                .stock_change_ack(chunk.to_vec())
                .await
                .map_err(partner)?;
        }
        if changes.len() < PAGE as usize {
            return Ok(());
        }
    }
}

/// Reads every stock row (`wdt.stock.query` from the epoch to now) and applies the totals.
async fn full_refresh(
    shared: &Shared,
    client: &QimenClient,
    connection_id: i64,
) -> Result<(), StepError> {
    let start = Utc
        .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let (start_time, end_time) = (
        format_top_timestamp(start),
        format_top_timestamp(Utc::now()),
    );
    let mut totals: BTreeMap<String, f64> = BTreeMap::new();
    for page_no in 0.. {
        let query = StockQuery {
            start_time: start_time.clone(),
            end_time: end_time.clone(),
            page_no,
            page_size: PAGE,
        };
        let answer = client.stock_query(&query).await.map_err(partner)?;
        if answer.code != 0 {
            return Err(partner(format!("stock query answered {}", answer.code)));
        }
        let rows = answer.stocks.len();
        for row in answer.stocks {
            *totals.entry(row.spec_no).or_default() += row.stock_num.max(0.0);
        }
        let read = (u64::from(page_no) + 1) * u64::from(PAGE);
        if rows < PAGE as usize || read >= u64::from(answer.total_count) {
            break;
        }
    }
    #[allow(clippy::cast_possible_truncation)] // stock counts are far below i64::MAX
    let items: Vec<UpstreamItem> = totals
        .iter()
        .map(|(spec_no, total)| item(spec_no, total.floor() as i64))
        .collect();
    for chunk in items.chunks(500) {
        apply(shared, connection_id, chunk).await?;
    }
    Ok(())
}
