//! The catalog push to one D-Store store (`dstore-catalog`, keyed by the D-Store connection id).
//!
//! Contract: the store is the connection's `settings.pos_account_id` / `settings.pos_store_id`
//! (`settings.store_name` optional); its catalog is the connection's channel product mappings
//! ([`channel_catalog`]): `posProductId` = the mapping's channel product id, our SKU's name and
//! price, `available` = sellable with stock (an upstream SKU's stock is the upstream's). A run is
//! a *pass*:
//! - full (the first pass, then every full-sync interval, or when an operator asks `full`): every
//!   entry, in batches of `workers.dstore_sync_batch`; the first call is `syncType: FULL` (it
//!   replaces the store's catalog), the rest `INCREMENTAL` (they add to it);
//! - incremental (every sync interval): only the entries changed since the previous pass started
//!   (less a margin of [`OVERLAP_SECS`] for transactions still open then), as `INCREMENTAL`
//!   upserts; nothing changed, no call.
//!
//! Each call's request is stored in the task's cursor, under its lease, *before* it is sent, with
//! the `requestId` `{connection}-{F|I}-{pass start ms}-{batch}`; a call that fails (`U`, 5xx,
//! 429, timeout, a bad answer) fails the run, and the scheduler's retry resends the identical
//! request from the cursor (D-Store applies a `requestId` once). An `F` is final: the batch is
//! skipped, recorded in the cursor (`last_refusal`), logged and counted, and the run fails with
//! it so the task's `last_error` shows it; the next run goes on with the next batch. Removed
//! mappings leave D-Store's catalog at the next full pass. An operator's "sync now" made while a
//! run holds the task is kept (the cursor is saved without overwriting a full-sync request), and
//! the next run starts at once.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use switchyard_partners::dstore::wire::{
    DstoreAmount, ProductType, SyncProductItem, SyncProductRequest, SyncStore, SyncType,
};
use switchyard_partners::dstore::{DstoreClient, DstoreError};
use switchyard_store::channel_catalog::{self, ChannelCatalogEntry};
use switchyard_store::stock_sync_tasks::{self, SavedCursor, DSTORE_CATALOG_JOB};

use super::Shared;
use crate::error::StepError;
use crate::scheduler::{connection_of, ClaimedTask, JobError, JobFuture, TaskJob, TaskOutcome};

/// How far before a pass's start the next incremental pass looks.
pub const OVERLAP_SECS: i64 = 2;

/// The task's payload: where the push is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Cursor {
    /// The pass under way, if any.
    pub pass: Option<Pass>,
    /// The next incremental pass sends what changed after this.
    pub since: Option<DateTime<Utc>>,
    /// When the next full pass is due (`None`: at once).
    pub next_full_at: Option<DateTime<Utc>>,
    /// The last call D-Store refused (`F`).
    pub last_refusal: Option<Refusal>,
}

/// One pass through the store's catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pass {
    /// Full (replace) or incremental (changed entries only).
    pub full: bool,
    /// When it started (database clock).
    pub started_at: DateTime<Utc>,
    /// An incremental pass's lower bound.
    pub since: Option<DateTime<Utc>>,
    /// The last mapping id put in a request.
    pub after_id: i64,
    /// Calls made in this pass.
    pub batch: u32,
    /// The call being made: sent again, identical, until D-Store answers `S` or `F`.
    pub pending: Option<SyncProductRequest>,
}

/// A call D-Store refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refusal {
    /// Its `requestId`.
    pub request_id: String,
    /// `resultCode`.
    pub code: String,
    /// `resultMessage`.
    pub message: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Pushes one D-Store store's catalog.
pub(super) struct CatalogPush(pub(super) Arc<Shared>);

impl TaskJob for CatalogPush {
    fn name(&self) -> &'static str {
        DSTORE_CATALOG_JOB
    }

    fn run(&self, task: ClaimedTask) -> JobFuture<'_, Result<TaskOutcome, JobError>> {
        Box::pin(async move {
            let connection_id = connection_of(&task)?;
            let client = match self.0.connections.dstore(connection_id).await {
                Ok(client) => client,
                // Switched off or gone: the planner creates the task again once it is active.
                Err(error) if !error.is_transient() => return Ok(TaskOutcome::Done),
                Err(error) => return Err(JobError::new(error)),
            };
            let loaded = self
                .0
                .connections
                .connection(connection_id)
                .await
                .map_err(JobError::new)?;
            let store = Store::from_settings(&loaded.connection().settings)?;
            let cursor: Cursor = serde_json::from_value(task.payload.clone()).unwrap_or_default();
            let push = Push {
                shared: &self.0,
                client: &client,
                connection_id,
                store,
                task: &task,
            };
            let cursor = push.pass(cursor).await?;
            // An operator who asked for a sync while this run held the task gets it at once.
            let saved = push.save(&cursor).await?;
            Ok(TaskOutcome::Again {
                at: if saved.asked {
                    Utc::now()
                } else {
                    self.0.after(self.0.interval)
                },
                payload: saved.payload,
            })
        })
    }
}

/// The store a connection's catalog is for.
struct Store {
    pos_account_id: String,
    sync_store: SyncStore,
}

impl Store {
    fn from_settings(settings: &serde_json::Value) -> Result<Self, JobError> {
        let text = |key: &str| {
            settings
                .get(key)
                .and_then(|value| value.as_str())
                .map(str::trim)
                .filter(|value| !value.is_empty())
                .map(str::to_owned)
        };
        match (text("pos_account_id"), text("pos_store_id")) {
            (Some(pos_account_id), Some(pos_store_id)) => Ok(Self {
                pos_account_id,
                sync_store: SyncStore {
                    pos_store_id,
                    store_name: text("store_name"),
                },
            }),
            _ => Err(JobError::new(
                "settings.pos_account_id and settings.pos_store_id are needed to push the catalog",
            )),
        }
    }
}

struct Push<'a> {
    shared: &'a Shared,
    client: &'a DstoreClient,
    connection_id: i64,
    store: Store,
    task: &'a ClaimedTask,
}

impl Push<'_> {
    /// Runs (or resumes) one pass; returns the cursor for the next run.
    async fn pass(&self, mut cursor: Cursor) -> Result<Cursor, JobError> {
        let mut pass = match cursor.pass.take() {
            Some(pass) => pass,
            None => self.start(&cursor).await.map_err(JobError::new)?,
        };
        let batch_size = self.shared.dstore_batch;
        loop {
            let request = match pass.pending.clone() {
                Some(request) => request,
                None => {
                    let since = if pass.full { None } else { pass.since };
                    let entries = channel_catalog::page(
                        &self.shared.pool,
                        self.connection_id,
                        pass.after_id,
                        since,
                        i64::from(batch_size),
                    )
                    .await
                    .map_err(JobError::new)?;
                    // A full pass always makes its first (replacing) call, even for no products.
                    if entries.is_empty() && !(pass.full && pass.batch == 0) {
                        break;
                    }
                    pass.after_id = entries.last().map_or(pass.after_id, |e| e.mapping_id);
                    let request = self.request(&pass, &entries);
                    pass.pending = Some(request.clone());
                    cursor.pass = Some(pass.clone());
                    self.save(&cursor).await?;
                    request
                }
            };
            let sync_type = request.sync_type();
            let label = match sync_type {
                SyncType::Full => "full",
                SyncType::Incremental => "incremental",
            };
            let sent = self.client.sync_product(&request).await;
            pass.pending = None;
            pass.batch += 1;
            match sent {
                Ok(_) => {
                    self.shared.metrics.catalog_push(label, "applied");
                    self.shared
                        .metrics
                        .catalog_products
                        .inc_by(u64::try_from(request.products.len()).unwrap_or(0));
                    cursor.pass = Some(pass.clone());
                    self.save(&cursor).await?;
                }
                Err(DstoreError::Refused { code, message }) => {
                    self.shared.metrics.catalog_push(label, "refused");
                    tracing::warn!(connection_id = self.connection_id, request_id = %request.request_id,
                        %code, products = request.products.len(), "D-Store refused a catalog push: batch skipped");
                    let reason = format!(
                        "D-Store refused syncProduct {}: {code} {message}",
                        request.request_id
                    );
                    cursor.last_refusal = Some(Refusal {
                        request_id: request.request_id.clone(),
                        code,
                        message,
                        at: Utc::now(),
                    });
                    cursor.pass = Some(pass.clone());
                    self.save(&cursor).await?;
                    return Err(JobError::new(reason));
                }
                Err(error) => {
                    // The cursor still holds the request: the retry sends it again, identical.
                    self.shared.metrics.catalog_push(label, "retry");
                    return Err(JobError::new(format!(
                        "syncProduct {}: {error}",
                        request.request_id
                    )));
                }
            }
            if request.products.len() < batch_size as usize {
                break;
            }
        }
        if pass.full {
            cursor.next_full_at = Some(self.shared.after(self.shared.full_interval));
        }
        cursor.since = Some(pass.started_at - chrono::Duration::seconds(OVERLAP_SECS));
        cursor.pass = None;
        Ok(cursor)
    }

    async fn start(&self, cursor: &Cursor) -> Result<Pass, StepError> {
        // The database's clock: the `updated_at` columns an incremental pass compares are its.
        let now: DateTime<Utc> = sqlx::query_scalar("SELECT now()")
            .fetch_one(&self.shared.pool)
            .await?;
        let full = cursor.since.is_none() || cursor.next_full_at.is_none_or(|at| at <= now);
        Ok(Pass {
            full,
            started_at: now,
            since: if full { None } else { cursor.since },
            after_id: 0,
            batch: 0,
            pending: None,
        })
    }

    /// The call for `entries`, the pass's next batch.
    fn request(&self, pass: &Pass, entries: &[ChannelCatalogEntry]) -> SyncProductRequest {
        let replace = pass.full && pass.batch == 0;
        let request_id = format!(
            "{}-{}-{}-{}",
            self.connection_id,
            if pass.full { "F" } else { "I" },
            pass.started_at.timestamp_millis(),
            pass.batch
        );
        SyncProductRequest {
            request_id,
            pos_account_id: self.store.pos_account_id.clone(),
            store: self.store.sync_store.clone(),
            products: entries.iter().map(item).collect(),
            sync_type: Some(if replace {
                SyncType::Full
            } else {
                SyncType::Incremental
            }),
        }
    }

    /// Stores `cursor` under the task's lease, keeping an operator's request made meanwhile.
    async fn save(&self, cursor: &Cursor) -> Result<SavedCursor, JobError> {
        let payload = serde_json::to_value(cursor).map_err(JobError::new)?;
        let saved = stock_sync_tasks::save_cursor_keeping_requests(
            &self.shared.pool,
            self.task.lease_id,
            self.task.due_at,
            &payload,
        )
        .await
        .map_err(JobError::new)?;
        saved.ok_or_else(|| JobError::new("the task's lease was lost"))
    }
}

/// One catalog entry as D-Store reads it.
fn item(entry: &ChannelCatalogEntry) -> SyncProductItem {
    SyncProductItem {
        pos_product_id: entry.channel_product_id.clone(),
        product_type: ProductType::Single,
        name: entry.name.clone(),
        price: DstoreAmount::from_money(switchyard_domain::Money::from_minor(
            entry.price_minor,
            entry.currency,
        )),
        available: entry.available,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_store::Currency;

    #[test]
    fn a_store_needs_its_account_and_store_ids() {
        let store = Store::from_settings(&serde_json::json!({
            "pos_account_id": "acc-1", "pos_store_id": " store-1 ", "dstore_public_key": "k"
        }))
        .expect("store");
        assert_eq!(store.pos_account_id, "acc-1");
        assert_eq!(store.sync_store.pos_store_id, "store-1");
        assert_eq!(store.sync_store.store_name, None);
        let missing = Store::from_settings(&serde_json::json!({ "pos_store_id": "s" }));
        assert!(missing.is_err());
        let blank = Store::from_settings(&serde_json::json!({
            "pos_account_id": "", "pos_store_id": "s"
        }));
        assert!(blank.is_err());
    }

    #[test]
    fn an_entry_is_a_single_product_priced_in_minor_units() {
        let entry = ChannelCatalogEntry {
            mapping_id: 3,
            channel_product_id: "latte".into(),
            sku_id: 7,
            name: "Latte".into(),
            price_minor: 450,
            currency: Currency::parse("SGD").expect("currency"),
            available: false,
        };
        let item = item(&entry);
        assert_eq!(item.pos_product_id, "latte");
        assert_eq!(item.product_type, ProductType::Single);
        assert_eq!(item.price.value, 450);
        assert_eq!(item.price.currency, "SGD");
        assert!(!item.available);
    }
}
