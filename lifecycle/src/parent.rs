//! The parent order follows its sub-orders (procurement orders).
//!
//! Contract: [`refresh`] runs inside the caller's transaction, right after a sub-order changed.
//! It locks the parent row first, so two sub-orders finishing at the same moment in different
//! processes are serialised and the second sees the first (no lost "delivered"). The parent is
//! `delivered` when every sub-order is fulfilled, `failed` (an operator's exception, never an
//! automatic cancel or refund) when one cannot be placed, `partially_delivered` when some are
//! fulfilled, `procuring` otherwise. Parents already canceled, refunded, completed or rejected
//! are never touched. A change of a downstream Dujiao-Next order queues its callback in the same
//! transaction (see [`crate::downstream`]), and [`announce`] writes its `orders.status-changed`
//! into the outbox in that transaction too: the event exists exactly when the change commits and
//! the outbox drainer publishes it even if this process dies right after the commit.

use sqlx::PgConnection;
use switchyard_store::orders::{self, Channel, Order, OrderStatus};
use switchyard_store::procurement::{self, ProcurementStatus};
use switchyard_topics::events::{self, Money, OrderStatusChanged, StatusSource};
use switchyard_topics::{encode, outbox, EventMeta, TopicNaming};
use uuid::Uuid;

use crate::downstream;
use crate::error::StepError;

/// Parent statuses that sub-orders may still move.
const FOLLOWS_SUB_ORDERS: [OrderStatus; 4] = [
    OrderStatus::Accepted,
    OrderStatus::Procuring,
    OrderStatus::PartiallyDelivered,
    OrderStatus::Failed,
];

/// A parent order moved.
#[derive(Debug, Clone)]
pub struct ParentChange {
    /// The order after the change.
    pub order: Order,
    /// Its status before.
    pub previous: OrderStatus,
}

/// The parent status implied by its sub-orders; `None` when it has none.
pub fn aggregate(sub_orders: &[ProcurementStatus]) -> Option<OrderStatus> {
    use ProcurementStatus as S;
    if sub_orders.is_empty() {
        return None;
    }
    let done = |s: &&S| matches!(s, S::Fulfilled | S::Completed);
    let broken = |s: &&S| {
        matches!(
            s,
            S::Failed | S::Rejected | S::Canceled | S::Refunded | S::PartiallyRefunded
        )
    };
    let delivered = sub_orders.iter().filter(done).count();
    Some(if delivered == sub_orders.len() {
        OrderStatus::Delivered
    } else if sub_orders.iter().any(|s| broken(&s)) {
        OrderStatus::Failed
    } else if delivered > 0 {
        OrderStatus::PartiallyDelivered
    } else {
        OrderStatus::Procuring
    })
}

/// Re-derives the parent's status from its sub-orders inside the caller's transaction.
pub async fn refresh(
    conn: &mut PgConnection,
    order_id: Uuid,
) -> Result<Option<ParentChange>, StepError> {
    let Some(current) = orders::lock(&mut *conn, order_id).await? else {
        return Err(StepError::invalid("parent order not found"));
    };
    if !FOLLOWS_SUB_ORDERS.contains(&current.status) {
        return Ok(None);
    }
    let sub_orders = procurement::for_order(&mut *conn, order_id).await?;
    let statuses: Vec<_> = sub_orders.iter().map(|sub| sub.status).collect();
    let Some(target) = aggregate(&statuses) else {
        return Ok(None);
    };
    if target == current.status {
        return Ok(None);
    }
    let order = orders::set_status(&mut *conn, order_id, target).await?;
    if order.channel == Channel::DujiaoDownstream {
        downstream::enqueue(&mut *conn, &order, &sub_orders).await?;
    }
    Ok(Some(ParentChange {
        order,
        previous: current.status,
    }))
}

/// Writes `orders.status-changed` for `change` into the outbox inside the caller's transaction
/// (operator orders have no channel to tell and are skipped). Call [`outbox::wake`] after the
/// commit.
pub async fn announce(
    conn: &mut PgConnection,
    naming: &(impl TopicNaming + ?Sized),
    change: &ParentChange,
    source: StatusSource,
    reason: Option<&str>,
    refunded_amount: Option<Money>,
) -> Result<(), StepError> {
    let Some(channel) = event_channel(change.order.channel) else {
        return Ok(());
    };
    let delivered_at = (change.order.status == OrderStatus::Delivered)
        .then(|| change.order.updated_at.timestamp_millis());
    let event = OrderStatusChanged {
        order_id: change.order.id.to_string(),
        channel,
        channel_order_id: change.order.channel_order_id.clone(),
        status: change.order.status,
        previous_status: Some(change.previous),
        source,
        reason: reason.map(str::to_owned),
        refunded_amount,
        delivered_at,
        changed_at: change.order.updated_at.timestamp_millis(),
    };
    let encoded = encode(naming, &event, EventMeta::new())?;
    outbox::write(&mut *conn, &encoded).await?;
    Ok(())
}

/// The sales channel as events name it.
pub fn event_channel(channel: Channel) -> Option<events::Channel> {
    match channel {
        Channel::DujiaoDownstream => Some(events::Channel::DujiaoDownstream),
        Channel::Dstore => Some(events::Channel::Dstore),
        Channel::Daojia => Some(events::Channel::Daojia),
        Channel::Operator => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProcurementStatus as S;

    #[test]
    fn parent_is_delivered_only_when_every_sub_order_is() {
        assert_eq!(aggregate(&[]), None);
        assert_eq!(
            aggregate(&[S::Pending, S::Accepted]),
            Some(OrderStatus::Procuring)
        );
        assert_eq!(
            aggregate(&[S::Fulfilled, S::Accepted]),
            Some(OrderStatus::PartiallyDelivered)
        );
        assert_eq!(
            aggregate(&[S::Fulfilled, S::Completed]),
            Some(OrderStatus::Delivered)
        );
    }

    #[test]
    fn a_failed_sub_order_makes_the_parent_an_exception() {
        assert_eq!(
            aggregate(&[S::Fulfilled, S::Failed]),
            Some(OrderStatus::Failed)
        );
        assert_eq!(aggregate(&[S::Canceled]), Some(OrderStatus::Failed));
    }
}
