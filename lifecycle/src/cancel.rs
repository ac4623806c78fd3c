//! Cancelling an order: upstream first.
//!
//! Contract: every sub-order already placed with a fulfiller is cancelled there first
//! (Dujiao-Next `POST /orders/:id/cancel`; an unpaid vending order is closed). If any fulfiller
//! refuses (e.g. 409 `cancel_not_allowed`) or cannot be reached, the local cancel and refund are
//! refused too and nothing local changes, except that sub-orders the upstream did cancel are
//! recorded as canceled. Paid vending orders, WDT trades and delivered sub-orders cannot be
//! cancelled from here. When every fulfiller agreed, one transaction cancels the sub-orders and
//! the order, releases its stock reservations, refunds a downstream site's wallet (idempotent)
//! and queues the downstream callback. The same transaction writes `orders.status-changed`
//! (source `operator`, the refund in `refunded_amount`) into the outbox, so analysts see the
//! cancel exactly when it commits.

use std::time::Duration;

use sqlx::PgPool;
use switchyard_connections::{
    ConnectionError, ConnectionRegistry, PartnerClient, RegistrySettings,
};
use switchyard_partners::dujiao::DujiaoError;
use switchyard_partners::vending::MachineNo;
use switchyard_store::crypto::SecretBox;
use switchyard_store::mappings::FulfillerKind;
use switchyard_store::orders::{self, Channel, OrderStatus};
use switchyard_store::procurement::{self, ProcurementOrder, ProcurementStatus};
use switchyard_store::wallets::{self, WalletMove};
use switchyard_store::{credentials, stock, StoreError};
use switchyard_topics::events::{Money, StatusSource};
use switchyard_topics::{outbox, TopicNaming};
use uuid::Uuid;

use crate::downstream;
use crate::error::StepError;
use crate::parent::{self, ParentChange};

/// Why a cancellation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum CancelError {
    /// No such order.
    #[error("order not found")]
    NotFound,
    /// The order or one of its sub-orders is past the point of cancelling.
    #[error("order cannot be canceled: {0}")]
    NotCancelable(String),
    /// A fulfiller refused: nothing was canceled or refunded locally.
    #[error("upstream refused the cancellation ({code}); local cancel and refund refused")]
    UpstreamRefused {
        /// The sub-order whose fulfiller refused.
        procurement_id: Uuid,
        /// The fulfiller's code, e.g. `cancel_not_allowed`.
        code: String,
    },
    /// A fulfiller could not be asked now; try again later.
    #[error("upstream unavailable: {0}")]
    UpstreamUnavailable(String),
    /// Database trouble.
    #[error(transparent)]
    Step(#[from] StepError),
}

impl From<StoreError> for CancelError {
    fn from(error: StoreError) -> Self {
        CancelError::Step(StepError::Store(error))
    }
}

impl From<sqlx::Error> for CancelError {
    fn from(error: sqlx::Error) -> Self {
        CancelError::Step(StepError::from(error))
    }
}

/// What a successful cancel did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelOutcome {
    /// Sub-orders canceled (upstream and locally).
    pub sub_orders_canceled: usize,
    /// Refunded to the downstream site's wallet, minor units.
    pub refunded_minor: i64,
}

/// Statuses from which an order may still be canceled.
const CANCELABLE: [OrderStatus; 4] = [
    OrderStatus::Accepted,
    OrderStatus::Procuring,
    OrderStatus::Failed,
    OrderStatus::PartiallyDelivered,
];

/// Who asked for a cancel: it becomes the announced change's source and reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CanceledBy {
    /// An operator, through the operator API.
    Operator,
    /// The order's sales channel (D-Store `pushOrderChange`, 58 `cancelOrder`).
    Channel,
}

impl CanceledBy {
    fn source(self) -> (StatusSource, &'static str) {
        match self {
            CanceledBy::Operator => (StatusSource::Operator, "canceled by an operator"),
            CanceledBy::Channel => (StatusSource::Channel, "canceled by the sales channel"),
        }
    }
}

/// Cancels `order_id` upstream first, then locally.
pub async fn cancel_order(
    pool: &PgPool,
    naming: &(impl TopicNaming + ?Sized),
    secrets: &SecretBox,
    partners: RegistrySettings,
    order_id: Uuid,
    by: CanceledBy,
) -> Result<CancelOutcome, CancelError> {
    let order = orders::get(pool, order_id)
        .await?
        .ok_or(CancelError::NotFound)?;
    if !CANCELABLE.contains(&order.status) {
        return Err(CancelError::NotCancelable(format!(
            "order is {}",
            order.status
        )));
    }
    // A cancel is rare and must see the connection as it is now: a registry without reuse.
    let clients = ConnectionRegistry::new(
        pool.clone(),
        secrets.clone(),
        RegistrySettings {
            ttl: Duration::ZERO,
            ..partners
        },
    );
    let asked = procurement::for_order(pool, order_id).await?;
    for sub in &asked {
        cancel_upstream(pool, &clients, sub).await?;
    }

    let mut tx = pool.begin().await?;
    let order = orders::lock(&mut tx, order_id)
        .await?
        .ok_or(CancelError::NotFound)?;
    if !CANCELABLE.contains(&order.status) {
        return Err(CancelError::NotCancelable(format!(
            "order is {}",
            order.status
        )));
    }
    let mut canceled = 0;
    for sub in procurement::for_order(&mut *tx, order_id).await? {
        if matches!(
            sub.status,
            ProcurementStatus::Fulfilled | ProcurementStatus::Completed
        ) {
            return Err(CancelError::NotCancelable(
                "a sub-order was delivered".into(),
            ));
        }
        if placed_since(&asked, &sub) {
            return Err(CancelError::UpstreamUnavailable(
                "procurement started while canceling; ask again".into(),
            ));
        }
        if sub.status != ProcurementStatus::Canceled {
            procurement::set_status(&mut *tx, sub.id, ProcurementStatus::Canceled).await?;
        }
        canceled += 1;
    }
    for item in orders::items(&mut *tx, order_id).await? {
        if let Some(sku_id) = item.sku_id {
            stock::release(&mut tx, order_id, sku_id).await?;
        }
    }
    let refunded = refund(&mut tx, &order).await?;
    let previous = order.status;
    let order = orders::set_status(&mut *tx, order_id, OrderStatus::Canceled).await?;
    let refunded_minor = refunded.min(order.total_minor);
    orders::set_refunded(&mut *tx, order_id, refunded_minor).await?;
    let refunded_amount =
        (refunded_minor > 0).then(|| Money::from_minor(refunded_minor, order.currency));
    let change = ParentChange { order, previous };
    let (source, reason) = by.source();
    parent::announce(
        &mut tx,
        naming,
        &change,
        source,
        Some(reason),
        refunded_amount,
    )
    .await?;
    let order = change.order;
    if order.channel == Channel::DujiaoDownstream {
        let subs = procurement::for_order(&mut *tx, order_id).await?;
        downstream::enqueue(&mut tx, &order, &subs).await?;
    }
    tx.commit().await?;
    outbox::wake();
    downstream::wake_sender();
    Ok(CancelOutcome {
        sub_orders_canceled: canceled,
        refunded_minor: refunded,
    })
}

/// True when `sub` went to its fulfiller after the fulfillers were asked (the procurer raced
/// the cancel): cancelling it locally would leave a live upstream order behind.
fn placed_since(asked: &[ProcurementOrder], sub: &ProcurementOrder) -> bool {
    let placed = |status| {
        matches!(
            status,
            ProcurementStatus::Submitted | ProcurementStatus::Accepted
        )
    };
    placed(sub.status)
        && !asked
            .iter()
            .any(|before| before.id == sub.id && placed(before.status))
}

/// Asks the sub-order's fulfiller to cancel; `Ok` when there is nothing to ask or it agreed.
async fn cancel_upstream(
    pool: &PgPool,
    clients: &ConnectionRegistry,
    sub: &ProcurementOrder,
) -> Result<(), CancelError> {
    let refused = |code: &str| CancelError::UpstreamRefused {
        procurement_id: sub.id,
        code: code.to_owned(),
    };
    match sub.status {
        ProcurementStatus::Fulfilled | ProcurementStatus::Completed => {
            return Err(CancelError::NotCancelable(
                "a sub-order was delivered".into(),
            ))
        }
        ProcurementStatus::Accepted | ProcurementStatus::Submitted => {}
        _ => return Ok(()), // never placed, failed or already canceled: nothing upstream
    }
    let (Some(connection_id), Some(upstream_id)) = (sub.connection_id, &sub.upstream_order_id)
    else {
        return Ok(());
    };
    let client = match clients.client(connection_id).await {
        Ok(client) => client,
        Err(error @ ConnectionError::NotActive { .. }) => {
            return Err(CancelError::UpstreamUnavailable(error.to_string()))
        }
        Err(error) => return Err(StepError::from(error).into()),
    };
    match (sub.fulfiller, client) {
        (Some(FulfillerKind::DujiaoUpstream), PartnerClient::Dujiao(client)) => {
            let id: u64 = upstream_id
                .parse()
                .map_err(|_| StepError::invalid("upstream order id is not a number"))?;
            match client.cancel_order(id).await {
                Ok(_) => {}
                Err(error @ DujiaoError::Api { .. }) => {
                    return Err(refused(error.code().unwrap_or("refused")))
                }
                Err(error) if error.is_retryable() => {
                    return Err(CancelError::UpstreamUnavailable(error.to_string()))
                }
                Err(error) => return Err(refused(error.code().unwrap_or("refused"))),
            }
        }
        (Some(FulfillerKind::Vending), PartnerClient::Vending(client))
            if sub.status == ProcurementStatus::Submitted =>
        {
            let machine = machine_of(sub).ok_or_else(|| refused("unknown_machine"))?;
            if let Err(error) = client.cancel(&machine, upstream_id).await {
                return Err(if error.is_retryable() {
                    CancelError::UpstreamUnavailable(error.to_string())
                } else {
                    refused(&error.code().map_or("refused".into(), |c| c.to_string()))
                });
            }
        }
        (Some(FulfillerKind::Vending), _) => return Err(refused("vending_order_paid")),
        _ => return Err(refused("no_cancel_api")),
    }
    procurement::set_status(pool, sub.id, ProcurementStatus::Canceled).await?;
    Ok(())
}

/// The machine number at the end of a vending trade id (`{order_no}M{machine_no}`).
fn machine_of(sub: &ProcurementOrder) -> Option<MachineNo> {
    let (_, machine) = sub.idempotency_key.rsplit_once('M')?;
    MachineNo::parse(machine).ok()
}

/// Refunds what a downstream site paid for the order; 0 for other channels.
async fn refund(tx: &mut sqlx::PgConnection, order: &orders::Order) -> Result<i64, CancelError> {
    let (Channel::DujiaoDownstream, Some(credential_id)) =
        (order.channel, order.source_credential_id)
    else {
        return Ok(0);
    };
    if order.total_minor <= 0 {
        return Ok(0);
    }
    let credential = credentials::get(&mut *tx, credential_id).await?;
    let key = format!("cancel:{}", order.id);
    let reference = order.id.to_string();
    wallets::refund(
        tx,
        &WalletMove {
            user_id: credential.user_id,
            amount_minor: order.total_minor,
            idempotency_key: &key,
            reference: Some(&reference),
        },
    )
    .await?;
    Ok(order.total_minor)
}
