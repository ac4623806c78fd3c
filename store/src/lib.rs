//! PostgreSQL state: migrations and the queries the ingress and workers share.
//!
//! Contract: [`MIGRATOR`] embeds `migrations/`; [`migrate`] applies whatever is missing and is a
//! no-op on an up-to-date database. Each module is one aggregate's repository. Functions that run
//! one statement take any executor (`&PgPool`, `&mut *tx`); functions that must change several
//! rows atomically take `&mut PgConnection` and work in an `atomic` unit: their own transaction,
//! or the caller's when it already has one (no savepoints; an error means the caller rolls back). Every error is a
//! [`StoreError`] that says whether a retry can help.

mod atomic;
pub mod callbacks;
pub mod catalog;
pub mod channel_catalog;
pub mod channel_products;
pub mod connections;
pub mod credentials;
pub mod crypto;
pub mod dedupe;
mod error;
pub mod mapping_admin;
pub mod mapping_list;
pub mod mappings;
pub mod notifications;
pub mod orders;
pub mod outbox;
pub mod procurement;
pub mod provider_order_list;
pub mod provider_orders;
pub mod reconciliation;
pub mod replay_guard;
pub mod retention;
pub mod scheduled_tasks;
pub mod sku_views;
pub mod stock;
pub mod stock_changes;
pub mod stock_sync_tasks;
pub mod upstream_stock;
pub mod users;
pub mod wallets;

pub use error::{StoreError, StoreResult};
/// The ingress spool is the outbox's ingress writer; `spool` is this module's former name.
pub use outbox as spool;
/// The domain types stored in columns, defined once in `switchyard-domain` (re-exported so that
/// callers of the store need not name that crate).
pub use switchyard_domain::{Currency, UnknownValue};

/// The project's migrations, embedded at build time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Applies every migration not yet applied; safe to run again and from several processes (sqlx
/// takes an advisory lock).
pub async fn migrate(pool: &sqlx::PgPool) -> StoreResult<()> {
    MIGRATOR.run(pool).await?;
    Ok(())
}

/// Outcome of an idempotent insert: the row was created now, or an earlier one was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inserted<T> {
    /// Created by this call.
    Created(T),
    /// Already there; nothing was written.
    Existing(T),
}

impl<T> Inserted<T> {
    /// The row, whichever way it came.
    pub fn into_inner(self) -> T {
        match self {
            Inserted::Created(row) | Inserted::Existing(row) => row,
        }
    }

    /// The row, by reference.
    pub fn get(&self) -> &T {
        match self {
            Inserted::Created(row) | Inserted::Existing(row) => row,
        }
    }

    /// True when this call created it.
    pub fn is_created(&self) -> bool {
        matches!(self, Inserted::Created(_))
    }
}
