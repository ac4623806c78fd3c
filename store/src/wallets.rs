//! Wallets and their append-only ledger.
//!
//! Contract: every balance change writes exactly one `wallet_ledger` row in the same transaction
//! (a savepoint when the caller already holds one, so a debit can share the transaction of the
//! order it pays for). The wallet row is locked first, so concurrent moves on one wallet run one
//! after another. Moves are idempotent on `(user, idempotency_key)`: a repeat returns the original
//! entry and changes nothing; reusing a key for a different kind or amount is an error. A debit
//! larger than the balance fails with [`StoreError::InsufficientBalance`] and writes nothing.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

use crate::atomic::Atomic;
use crate::error::{StoreError, StoreResult};
use switchyard_domain::text_enum;
use switchyard_domain::Currency;

text_enum! {
    /// Direction of a ledger entry.
    LedgerKind {
        /// Money taken for an order.
        Debit => "debit",
        /// A top-up.
        Credit => "credit",
        /// Money returned for a canceled or refunded order.
        Refund => "refund",
    }
}

impl LedgerKind {
    fn adds_to_balance(self) -> bool {
        !matches!(self, LedgerKind::Debit)
    }
}

/// A wallet's current balance.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Wallet {
    /// Owner.
    pub user_id: i64,
    /// Balance in minor units (never negative).
    pub balance_minor: i64,
    /// Currency of the balance.
    pub currency: Currency,
}

/// One ledger row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LedgerEntry {
    /// Primary key (ledger order).
    pub id: i64,
    /// Owner.
    pub user_id: i64,
    /// Debit, credit or refund.
    pub kind: LedgerKind,
    /// Amount moved, positive, in minor units.
    pub amount_minor: i64,
    /// Balance right after this entry.
    pub balance_after_minor: i64,
    /// Currency.
    pub currency: Currency,
    /// What the money was for (e.g. an order id).
    pub reference: Option<String>,
    /// Caller-chosen key that makes the move apply once.
    pub idempotency_key: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

/// A requested balance change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletMove<'a> {
    /// Whose wallet.
    pub user_id: i64,
    /// Positive amount in minor units.
    pub amount_minor: i64,
    /// Makes the move apply once (e.g. `order:<uuid>`).
    pub idempotency_key: &'a str,
    /// What the money is for (e.g. an order id).
    pub reference: Option<&'a str>,
}

const ENTRY_COLUMNS: &str = "id, user_id, kind, amount_minor, balance_after_minor, currency, \
                             reference, idempotency_key, created_at";

/// The wallet of `user_id`.
pub async fn balance(db: impl PgExecutor<'_>, user_id: i64) -> StoreResult<Wallet> {
    sqlx::query_as::<_, Wallet>(
        "SELECT user_id, balance_minor, currency FROM wallets WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(db)
    .await?
    .ok_or(StoreError::NotFound("wallet"))
}

/// Adds money (a top-up).
pub async fn credit(conn: &mut PgConnection, change: &WalletMove<'_>) -> StoreResult<LedgerEntry> {
    apply(conn, LedgerKind::Credit, change).await
}

/// Takes money; [`StoreError::InsufficientBalance`] when the balance does not cover it.
pub async fn debit(conn: &mut PgConnection, change: &WalletMove<'_>) -> StoreResult<LedgerEntry> {
    apply(conn, LedgerKind::Debit, change).await
}

/// Returns money for a canceled or refunded order.
pub async fn refund(conn: &mut PgConnection, change: &WalletMove<'_>) -> StoreResult<LedgerEntry> {
    apply(conn, LedgerKind::Refund, change).await
}

async fn apply(
    conn: &mut PgConnection,
    kind: LedgerKind,
    change: &WalletMove<'_>,
) -> StoreResult<LedgerEntry> {
    if change.amount_minor <= 0 {
        return Err(StoreError::Constraint {
            constraint: "wallet_ledger_amount_minor_check".into(),
        });
    }
    let mut tx = Atomic::begin(conn).await?;
    // Lock the wallet first: it serialises every move on this wallet, so the idempotency check
    // below sees any concurrent move with the same key once that one has committed.
    let wallet = sqlx::query_as::<_, Wallet>(
        "SELECT user_id, balance_minor, currency FROM wallets WHERE user_id = $1 FOR UPDATE",
    )
    .bind(change.user_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound("wallet"))?;

    let existing = sqlx::query_as::<_, LedgerEntry>(&format!(
        "SELECT {ENTRY_COLUMNS} FROM wallet_ledger WHERE user_id = $1 AND idempotency_key = $2"
    ))
    .bind(change.user_id)
    .bind(change.idempotency_key)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(entry) = existing {
        if entry.kind != kind || entry.amount_minor != change.amount_minor {
            return Err(StoreError::IdempotencyConflict);
        }
        tx.commit().await?;
        return Ok(entry);
    }

    let balance_after = if kind.adds_to_balance() {
        wallet.balance_minor.checked_add(change.amount_minor)
    } else {
        wallet.balance_minor.checked_sub(change.amount_minor)
    };
    let balance_after = match balance_after {
        Some(balance) if balance >= 0 => balance,
        _ if !kind.adds_to_balance() => return Err(StoreError::InsufficientBalance),
        _ => {
            return Err(StoreError::Constraint {
                constraint: "wallets_balance_overflow".into(),
            })
        }
    };

    // The balance and its ledger row in one statement (the CTE's UPDATE always runs).
    let entry = sqlx::query_as::<_, LedgerEntry>(&format!(
        "WITH moved AS (UPDATE wallets SET balance_minor = $4 WHERE user_id = $1)
         INSERT INTO wallet_ledger
             (user_id, kind, amount_minor, balance_after_minor, currency, reference, idempotency_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING {ENTRY_COLUMNS}"
    ))
    .bind(change.user_id)
    .bind(kind)
    .bind(change.amount_minor)
    .bind(balance_after)
    .bind(wallet.currency)
    .bind(change.reference)
    .bind(change.idempotency_key)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(entry)
}
