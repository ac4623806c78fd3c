//! The catalog pull of one Dujiao-Next upstream (`dujiao-catalog`, keyed by connection id).
//!
//! Contract: a run is a *pass* — incremental (`updated_after` = when the previous pass started,
//! less a margin for clock skew and the protocol's whole seconds) or full (no filter, due every
//! full-sync interval). Pages of 50 are fetched in order; each page is applied in one transaction
//! that also stores the cursor (page, pass start) under the task's lease, so a crash resumes at
//! the first page not committed — a page is fetched at most twice. A page that cannot be read
//! (malformed body, a price that is not a decimal) is applied not at all: the run fails and the
//! scheduler retries it with backoff; after [`MALFORMED_TRIES`] runs on the same page it is
//! skipped and recorded in the cursor (`skipped_pages`) and the log. After a full pass, each
//! mapped product the pass did not see is asked for by id: a 404 switches its mappings off with a
//! reason; any other answer is applied like a page. Prices are recorded in the upstream's
//! currency (from `ping` at the start of a pass), never converted.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use switchyard_domain::Currency;
use switchyard_partners::dujiao::client::MAX_PAGE_SIZE;
use switchyard_partners::dujiao::{DujiaoClient, DujiaoError};
use switchyard_store::stock_sync_tasks::{self, DUJIAO_CATALOG_JOB};
use switchyard_store::upstream_stock::{self, UpstreamItem};

use super::dujiao_page::read_page;
use super::Shared;
use crate::error::StepError;
use crate::scheduler::{connection_of, ClaimedTask, JobError, JobFuture, TaskJob, TaskOutcome};

/// Runs on one malformed page before it is skipped.
const MALFORMED_TRIES: i32 = 3;
/// How far before a pass's start the next incremental pass looks.
const OVERLAP_SECS: i64 = 2;

/// The task's payload: where the pull is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Cursor {
    /// The pass under way, if any.
    pub pass: Option<Pass>,
    /// `updated_after` of the next incremental pass.
    pub updated_after: Option<DateTime<Utc>>,
    /// When the next full pass is due (`None`: at once).
    pub next_full_at: Option<DateTime<Utc>>,
    /// Pages skipped as unreadable in the last passes (page numbers, at most 20 kept).
    pub skipped_pages: Vec<u32>,
}

/// One pass through the upstream's pages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pass {
    /// Full (no `updated_after`) or incremental.
    pub full: bool,
    /// When it started (the next incremental pass reads from here, less a margin).
    pub started_at: DateTime<Utc>,
    /// Its `updated_after`.
    pub updated_after: Option<DateTime<Utc>>,
    /// The next page to fetch (1-based).
    pub page: u32,
    /// Every page is applied; what is left is checking the products not seen.
    #[serde(default)]
    pub pages_done: bool,
    /// The upstream's price currency.
    pub currency: Currency,
}

/// Pulls one upstream's catalog.
pub(super) struct CatalogPull(pub(super) Arc<Shared>);

impl TaskJob for CatalogPull {
    fn name(&self) -> &'static str {
        DUJIAO_CATALOG_JOB
    }

    fn run(&self, task: ClaimedTask) -> JobFuture<'_, Result<TaskOutcome, JobError>> {
        Box::pin(async move {
            let connection_id = connection_of(&task)?;
            let client = match self.0.connections.dujiao(connection_id).await {
                Ok(client) => client,
                // Switched off or gone: the planner creates the task again once it is active.
                Err(error) if !error.is_transient() => return Ok(TaskOutcome::Done),
                Err(error) => return Err(JobError::new(error)),
            };
            let cursor: Cursor = serde_json::from_value(task.payload.clone()).unwrap_or_default();
            let pull = Pull {
                shared: &self.0,
                client: &client,
                connection_id,
                task: &task,
            };
            let cursor = pull.pass(cursor).await.map_err(JobError::new)?;
            Ok(TaskOutcome::Again {
                at: self.0.after(self.0.interval),
                payload: serde_json::to_value(&cursor).map_err(JobError::new)?,
            })
        })
    }
}

struct Pull<'a> {
    shared: &'a Shared,
    client: &'a DujiaoClient,
    connection_id: i64,
    task: &'a ClaimedTask,
}

impl Pull<'_> {
    /// Runs (or resumes) one pass; returns the cursor for the next run.
    async fn pass(&self, mut cursor: Cursor) -> Result<Cursor, StepError> {
        let mut pass = match cursor.pass.take() {
            Some(pass) => pass,
            None => self.start(&cursor).await?,
        };
        while !pass.pages_done {
            let (items, last) = self.fetch(&mut cursor, &pass).await?;
            if last {
                pass.pages_done = true;
            } else {
                pass.page += 1;
            }
            let mut next = cursor.clone();
            next.pass = Some(pass.clone());
            self.commit_page(&items, pass.currency, &next).await?;
        }
        if pass.full {
            self.check_unseen(pass.started_at, pass.currency).await?;
            cursor.next_full_at = Some(self.shared.after(self.shared.full_interval));
        }
        cursor.updated_after = Some(pass.started_at - chrono::Duration::seconds(OVERLAP_SECS));
        cursor.pass = None;
        Ok(cursor)
    }

    /// Fetches the pass's current page: its items and whether it is the last.
    async fn fetch(
        &self,
        cursor: &mut Cursor,
        pass: &Pass,
    ) -> Result<(Vec<UpstreamItem>, bool), StepError> {
        match self.client.products(pass.updated_after, pass.page).await {
            Ok(page) => match read_page(&page.items, pass.currency) {
                Ok(items) => {
                    let seen = u64::from(pass.page) * u64::from(MAX_PAGE_SIZE);
                    let last = page.items.len() < MAX_PAGE_SIZE as usize || seen >= page.total;
                    Ok((items, last))
                }
                Err(problem) => self.unreadable(cursor, pass, &problem),
            },
            Err(DujiaoError::Malformed { detail, .. }) => self.unreadable(cursor, pass, &detail),
            Err(error) => Err(partner(error)),
        }
    }

    async fn start(&self, cursor: &Cursor) -> Result<Pass, StepError> {
        // The database's clock: `synced_at` is written with it, and the products a full pass
        // did not see are those synced before its start.
        let now: DateTime<Utc> = sqlx::query_scalar("SELECT now()")
            .fetch_one(&self.shared.pool)
            .await?;
        let full = cursor.updated_after.is_none() || cursor.next_full_at.is_none_or(|at| at <= now);
        let currency = self.client.ping().await.map_err(partner)?.currency;
        Ok(Pass {
            full,
            started_at: now,
            updated_after: if full { None } else { cursor.updated_after },
            page: 1,
            pages_done: false,
            currency,
        })
    }

    /// A page that cannot be read: fail the run (retried with backoff), or after enough tries
    /// skip it, recorded; `Ok` means skip (apply nothing from it, go on).
    fn unreadable(
        &self,
        cursor: &mut Cursor,
        pass: &Pass,
        problem: &str,
    ) -> Result<(Vec<UpstreamItem>, bool), StepError> {
        if self.task.attempts < MALFORMED_TRIES {
            return Err(StepError::PartnerUnavailable(format!(
                "page {} unreadable: {problem}",
                pass.page
            )));
        }
        tracing::warn!(connection_id = self.connection_id, page = pass.page, %problem,
            "skipping an unreadable upstream catalog page");
        cursor.skipped_pages.push(pass.page);
        let excess = cursor.skipped_pages.len().saturating_sub(20);
        cursor.skipped_pages.drain(..excess);
        Ok((Vec::new(), false))
    }

    /// Applies `items` and stores `next` as the cursor, in one transaction.
    async fn commit_page(
        &self,
        items: &[UpstreamItem],
        currency: Currency,
        next: &Cursor,
    ) -> Result<(), StepError> {
        let mut tx = self.shared.pool.begin().await?;
        upstream_stock::apply_dujiao(&mut tx, self.connection_id, currency, items).await?;
        let payload = serde_json::to_value(next).map_err(|e| StepError::invalid(e.to_string()))?;
        if !stock_sync_tasks::save_cursor(&mut *tx, self.task.lease_id, &payload).await? {
            return Err(StepError::invalid("the task's lease was lost"));
        }
        tx.commit().await?;
        self.shared.journal_wakeup.notify_one();
        Ok(())
    }

    /// After a full pass: mapped products it did not see are asked for one by one.
    async fn check_unseen(
        &self,
        since: DateTime<Utc>,
        currency: Currency,
    ) -> Result<(), StepError> {
        let mut conn = self.shared.pool.acquire().await?;
        let unseen = upstream_stock::unseen_since(&mut conn, self.connection_id, since).await?;
        drop(conn);
        let products: BTreeSet<i64> = unseen.iter().filter_map(|(_, p)| *p).collect();
        for product_id in products {
            let id = u64::try_from(product_id).unwrap_or_default();
            match self.client.product(id).await {
                Ok(product) => {
                    let items = read_page(std::slice::from_ref(&product), currency)
                        .map_err(StepError::PartnerUnavailable)?;
                    let mut tx = self.shared.pool.begin().await?;
                    upstream_stock::apply_dujiao(&mut tx, self.connection_id, currency, &items)
                        .await?;
                    tx.commit().await?;
                }
                Err(DujiaoError::Api { status: 404, code }) => {
                    let reason = format!(
                        "upstream product {product_id} answered 404 {} (deleted upstream)",
                        code.as_str()
                    );
                    let mut tx = self.shared.pool.begin().await?;
                    let skus = upstream_stock::disable_missing(
                        &mut tx,
                        self.connection_id,
                        product_id,
                        &reason,
                    )
                    .await?;
                    tx.commit().await?;
                    tracing::warn!(
                        connection_id = self.connection_id,
                        product_id,
                        ?skus,
                        "upstream product gone: mappings switched off"
                    );
                }
                Err(error) => return Err(partner(error)),
            }
        }
        self.shared.journal_wakeup.notify_one();
        Ok(())
    }
}

fn partner(error: DujiaoError) -> StepError {
    StepError::PartnerUnavailable(error.to_string())
}
