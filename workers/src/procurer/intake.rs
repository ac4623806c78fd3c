//! Recording an accepted order's sub-orders (the handler's first step).
//!
//! Contract: runs in one transaction with the parent row locked. An `accepted` parent gets its
//! sub-orders and moves to `procuring`; a parent in any other status is left alone (a
//! redelivery). Either way the answer lists the sub-orders still waiting for their first
//! attempt, so a crash between recording and placing is finished by the redelivered event. An
//! order that cannot be split (an unmapped line, a switched-off mapping) becomes `failed` — an
//! operator's exception — with the reason in the status event. The status event and one
//! `procurement.requested` per new sub-order are written into the outbox in that transaction.

use switchyard_store::mappings;
use switchyard_store::orders::{self, OrderStatus};
use switchyard_store::procurement::{self, NewProcurement, ProcurementStatus, SourceType};
use switchyard_store::StoreError;
use switchyard_topics::events::StatusSource;
use switchyard_topics::outbox;
use uuid::Uuid;

use super::events::announce_requested;
use super::place::Placer;
use super::plan;
use crate::error::StepError;
use crate::parent::{self, ParentChange};

/// Records the sub-orders of `order_id` if it is new; returns those awaiting a first attempt.
pub async fn record_sub_orders(placer: &Placer, order_id: Uuid) -> Result<Vec<Uuid>, StepError> {
    let pool = placer.pool();
    let mut tx = pool.begin().await?;
    let order = orders::lock(&mut tx, order_id)
        .await?
        .ok_or_else(|| StepError::invalid("accepted order not found"))?;
    let mut created = Vec::new();
    let mut change = None;
    let mut reason = None;
    if order.status == OrderStatus::Accepted {
        let items = orders::items(&mut *tx, order_id).await?;
        let sku_ids: Vec<i64> = items.iter().filter_map(|item| item.sku_id).collect();
        let planned = match mappings::resolve_many(&mut *tx, &sku_ids).await {
            Ok(fulfillers) => {
                plan::split(&order.order_no, &items, &fulfillers).map_err(|error| error.to_string())
            }
            Err(StoreError::SkuUnavailable) => Err("sku_unavailable".to_owned()),
            Err(error) => return Err(error.into()),
        };
        match planned {
            Ok(planned) => {
                let currency = order.currency;
                for sub in planned {
                    let new = NewProcurement {
                        id: Uuid::now_v7(),
                        order_id,
                        source_type: SourceType::Outbound,
                        fulfiller: Some(sub.fulfiller.kind()),
                        connection_id: sub.fulfiller.connection_id(),
                        credential_id: None,
                        idempotency_key: sub.idempotency_key,
                        amount_minor: sub.amount_minor,
                        currency,
                        items: sub.items,
                    };
                    let row = procurement::create(&mut tx, &new).await?;
                    if row.is_created() {
                        created.push(row.into_inner());
                    }
                }
                change = parent::refresh(&mut tx, order_id).await?;
            }
            Err(why) => {
                let order = orders::set_status(&mut *tx, order_id, OrderStatus::Failed).await?;
                reason = Some(why);
                change = Some(ParentChange {
                    order,
                    previous: OrderStatus::Accepted,
                });
            }
        }
    }
    if let Some(change) = &change {
        let source = StatusSource::Procurer;
        parent::announce(
            &mut tx,
            placer.kafka(),
            change,
            source,
            reason.as_deref(),
            None,
        )
        .await?;
    }
    for sub in &created {
        announce_requested(&mut tx, placer.kafka(), &order, sub).await?;
    }
    let waiting: Vec<Uuid> = procurement::for_order(&mut *tx, order_id)
        .await?
        .into_iter()
        .filter(|sub| sub.status == ProcurementStatus::Pending && sub.attempts == 0)
        .map(|sub| sub.id)
        .collect();
    tx.commit().await?;
    outbox::wake();
    if let Some(reason) = &reason {
        tracing::warn!(%order_id, reason, "order cannot be procured: operator exception");
    }
    Ok(waiting)
}
