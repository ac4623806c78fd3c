//! Dujiao-Next provider `POST /orders`: one order per (credential, downstream_order_no), paid from
//! the downstream site's wallet.
//!
//! Contract: [`place`] stores the order, its idempotency record, the stock reservations and the
//! wallet debit in one transaction (a savepoint inside the caller's, if any). A repeat with the
//! same (credential, downstream_order_no) returns [`Inserted::Existing`] with the first order and
//! debits nothing. [`StoreError::InsufficientBalance`], [`StoreError::InsufficientStock`] or
//! [`StoreError::SkuUnavailable`] leave nothing behind: no order, no ledger entry, no reservation.

use sqlx::{Acquire, PgConnection, PgExecutor};
use uuid::Uuid;

use crate::catalog::Sku;
use crate::error::{StoreError, StoreResult};
use crate::orders::{self, Channel, NewOrder, NewOrderItem, Order};
use crate::wallets::{self, WalletMove};
use crate::{stock, Currency, Inserted};

/// A provider-API order as the downstream site placed it.
#[derive(Debug, Clone)]
pub struct ProviderOrder {
    /// Our id for the new order.
    pub id: Uuid,
    /// The calling credential.
    pub credential_id: i64,
    /// The downstream site's idempotency key.
    pub downstream_order_no: String,
    /// Total to debit, in minor units.
    pub total_minor: i64,
    /// Currency of the total (the wallet's).
    pub currency: Currency,
    /// Where to send status callbacks.
    pub callback_url: Option<String>,
    /// The downstream trace id.
    pub trace_id: Option<String>,
    /// The lines (Dujiao sends one).
    pub items: Vec<NewOrderItem>,
}

/// The `channel_order_id` of a Dujiao downstream order: downstream order numbers are unique only
/// per credential, so the credential id namespaces them.
pub fn channel_order_id(credential_id: i64, downstream_order_no: &str) -> String {
    format!("{credential_id}/{downstream_order_no}")
}

/// The order earlier placed with (credential, downstream_order_no), if any.
pub async fn find(
    db: impl PgExecutor<'_>,
    credential_id: i64,
    downstream_order_no: &str,
) -> StoreResult<Option<Order>> {
    let order = sqlx::query_as::<_, Order>(&format!(
        "SELECT {} FROM orders o JOIN provider_order_requests r ON r.order_id = o.id
         WHERE r.credential_id = $1 AND r.downstream_order_no = $2",
        qualified(orders::COLUMNS)
    ))
    .bind(credential_id)
    .bind(downstream_order_no)
    .fetch_optional(db)
    .await?;
    Ok(order)
}

/// What a new provider order is checked against before it is placed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Quote {
    /// The SKU, active and with the units asked for.
    #[sqlx(flatten)]
    pub sku: Sku,
    /// The buyer's wallet currency; `None` when the buyer has no wallet.
    pub wallet_currency: Option<Currency>,
}

/// The SKU as [`stock::check`] returns it plus the buyer's wallet currency, in one round trip.
/// The balance itself is checked by the debit in [`place`].
pub async fn quote(
    db: impl PgExecutor<'_>,
    sku_id: i64,
    quantity: i32,
    user_id: i64,
) -> StoreResult<Quote> {
    let quote = sqlx::query_as::<_, Quote>(&format!(
        "SELECT {}, w.currency AS wallet_currency
         FROM skus s JOIN products p ON p.id = s.product_id
         LEFT JOIN wallets w ON w.user_id = $2
         WHERE s.id = $1 AND sku_sellable(s.id, s.is_active) AND p.is_active AND p.deleted_at IS NULL",
        stock::qualified_sku_columns()
    ))
    .bind(sku_id)
    .bind(user_id)
    .fetch_optional(db)
    .await?
    .ok_or(StoreError::SkuUnavailable)?;
    stock::ensure_units(&quote.sku, quantity)?;
    Ok(quote)
}

/// Places the order: order + idempotency record + stock reservations + wallet debit, atomically.
pub async fn place(
    conn: &mut PgConnection,
    request: &ProviderOrder,
) -> StoreResult<Inserted<Order>> {
    let mut tx = conn.begin().await?;
    let user_id: i64 = sqlx::query_scalar("SELECT user_id FROM api_credentials WHERE id = $1")
        .bind(request.credential_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("credential"))?;

    let new_order = NewOrder {
        id: request.id,
        channel: Channel::DujiaoDownstream,
        channel_order_id: channel_order_id(request.credential_id, &request.downstream_order_no),
        source_credential_id: Some(request.credential_id),
        source_connection_id: None,
        total_minor: request.total_minor,
        currency: request.currency,
        callback_url: request.callback_url.clone(),
        trace_id: request.trace_id.clone(),
        items: request.items.clone(),
        contact: None,
    };
    let order = match orders::insert(&mut tx, &new_order).await? {
        Inserted::Existing(order) => {
            tx.commit().await?;
            return Ok(Inserted::Existing(order));
        }
        Inserted::Created(order) => order,
    };
    sqlx::query(
        "INSERT INTO provider_order_requests (credential_id, downstream_order_no, order_id)
         VALUES ($1, $2, $3)",
    )
    .bind(request.credential_id)
    .bind(&request.downstream_order_no)
    .bind(order.id)
    .execute(&mut *tx)
    .await?;
    for item in &request.items {
        if let Some(sku_id) = item.sku_id {
            stock::reserve(&mut tx, order.id, sku_id, item.quantity).await?;
        }
    }
    if request.total_minor > 0 {
        let reference = order.id.to_string();
        wallets::debit(
            &mut tx,
            &WalletMove {
                user_id,
                amount_minor: request.total_minor,
                idempotency_key: &format!("order:{}", order.id),
                reference: Some(&reference),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Inserted::Created(order))
}

pub(crate) fn qualified(columns: &str) -> String {
    columns
        .split(", ")
        .map(|column| format!("o.{column}"))
        .collect::<Vec<_>>()
        .join(", ")
}
