//! Dujiao-Next provider `GET /orders/:id` and `POST /orders/:id/cancel`, scoped to the caller's
//! own orders (another site's order is `order_not_found`).
//!
//! Contract of the read: a delivered order carries its `fulfillment` (see [`super::delivery`]);
//! other statuses carry none.
//!
//! Contract of cancel: an order not yet handed to procurement (`accepted`) is canceled locally in
//! one transaction — status, stock returned, wallet refunded (idempotent) — and one
//! `OrderStatusChanged` is produced; an order already canceled answers `canceled` again without a
//! second event; any other status is `cancel_not_allowed` (409): once procurement started,
//! cancellation is the upstream's call.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::StatusCode;
use sqlx::Acquire;
use switchyard_partners::dujiao::wire::{CancelAnswer, OrderDetail, OrderItem};
use switchyard_partners::dujiao::DujiaoOrderStatus;
use switchyard_store::orders::{self, Order, OrderStatus};
use switchyard_store::procurement;
use switchyard_store::wallets::{self, WalletMove};
use switchyard_store::{stock, StoreError, StoreResult};
use switchyard_topics::events::{Channel, Money, OrderStatusChanged, StatusSource};

use super::auth::{Caller, Endpoint, SignedCall};
use super::convert::{decimal, numeric_order_id, order_no_of};
use super::delivery::order_fulfillment;
use crate::answer::{dujiao_error, Partner};
use crate::deliver::{answer_once, replay};
use crate::state::{now_millis, traceparent, AppState};

const CANCEL_CHANNEL: &str = "dujiao.cancel";

async fn own_order(state: &AppState, caller: Caller, id: &str) -> StoreResult<Option<Order>> {
    let Ok(id) = id.parse::<u64>() else {
        return Ok(None);
    };
    orders::placed_by(&state.pool, &order_no_of(id), caller.credential_id).await
}

fn not_found() -> Response {
    dujiao_error(StatusCode::NOT_FOUND, "order_not_found", "order not found")
}

/// `GET /api/v1/upstream/orders/:id`.
pub(crate) async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    call: SignedCall,
) -> Response {
    let endpoint = Endpoint::new(&state, "dujiao_order");
    let caller = match endpoint.authenticate(&call).await {
        Ok(caller) => caller,
        Err(refusal) => return refusal,
    };
    let order = match own_order(&state, caller, &id).await {
        Ok(Some(order)) => order,
        Ok(None) => {
            endpoint.count("rejected");
            return not_found();
        }
        Err(error) => return endpoint.unavailable(&error),
    };
    let items = match orders::items(&state.pool, order.id).await {
        Ok(items) => items,
        Err(error) => return endpoint.unavailable(&error),
    };
    // Only a delivered order has a delivery to show; the read is skipped otherwise.
    let fulfillment = if order.status == OrderStatus::Delivered {
        match procurement::for_order(&state.pool, order.id).await {
            Ok(sub_orders) => Some(order_fulfillment(&sub_orders)),
            Err(error) => return endpoint.unavailable(&error),
        }
    } else {
        None
    };
    endpoint.count("accepted");
    Json(OrderDetail {
        ok: true,
        order_id: numeric_order_id(&order.order_no),
        order_no: order.order_no.clone(),
        status: DujiaoOrderStatus::from_order_status(order.status)
            .as_str()
            .to_owned(),
        amount: decimal(order.total_minor, order.currency),
        refunded_amount: decimal(order.refunded_minor, order.currency),
        currency: order.currency,
        items: items
            .iter()
            .map(|item| OrderItem {
                product_id: None,
                sku_id: item.sku_id.and_then(|id| u64::try_from(id).ok()),
                title: Default::default(),
                quantity: u32::try_from(item.quantity).unwrap_or_default(),
                unit_price: Some(decimal(item.unit_price_minor, order.currency)),
                total_price: Some(decimal(
                    item.unit_price_minor * i64::from(item.quantity),
                    order.currency,
                )),
            })
            .collect(),
        // A downstream Switchyard confirms our callback by reading this back.
        fulfillment,
    })
    .into_response()
}

/// `POST /api/v1/upstream/orders/:id/cancel`.
pub(crate) async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
    call: SignedCall,
) -> Response {
    let endpoint = Endpoint::new(&state, "dujiao_cancel");
    let caller = match endpoint.authenticate(&call).await {
        Ok(caller) => caller,
        Err(refusal) => return refusal,
    };
    let order = match own_order(&state, caller, &id).await {
        Ok(Some(order)) => order,
        Ok(None) => {
            endpoint.count("rejected");
            return not_found();
        }
        Err(error) => return endpoint.unavailable(&error),
    };
    let previous = order.status;
    match previous {
        OrderStatus::Accepted => {
            if let Err(error) = cancel_locally(&state, caller, &order).await {
                return match error {
                    StoreError::InvalidTransition { .. } => endpoint.reject(
                        StatusCode::CONFLICT,
                        "cancel_not_allowed",
                        "cancel not allowed",
                    ),
                    other => endpoint.unavailable(&other),
                };
            }
        }
        OrderStatus::Canceled => {}
        _ => {
            return endpoint.reject(
                StatusCode::CONFLICT,
                "cancel_not_allowed",
                "cancel not allowed",
            )
        }
    }
    let key = order.id.to_string();
    let event = OrderStatusChanged {
        order_id: key.clone(),
        channel: Channel::DujiaoDownstream,
        channel_order_id: order.channel_order_id.clone(),
        status: OrderStatus::Canceled,
        previous_status: Some(OrderStatus::Accepted),
        source: StatusSource::Channel,
        reason: Some("downstream_cancel".to_owned()),
        refunded_amount: Some(Money::from_minor(order.total_minor, order.currency)),
        delivered_at: None,
        changed_at: now_millis(),
    };
    let answered = answer_once(
        &state,
        endpoint.name(),
        CANCEL_CHANNEL,
        &key,
        |event_id| state.encode(&event, event_id, traceparent(&call.headers)),
        || {
            let answer = CancelAnswer {
                ok: true,
                order_id: numeric_order_id(&order.order_no),
                order_no: order.order_no.clone(),
                status: "canceled".to_owned(),
            };
            serde_json::to_vec(&answer).unwrap_or_default()
        },
    )
    .await;
    match answered {
        Ok(answer) => replay(answer),
        Err(_) => Partner::DujiaoProvider.unavailable(),
    }
}

/// accepted → canceled, stock back, wallet refunded: all or nothing.
async fn cancel_locally(state: &AppState, caller: Caller, order: &Order) -> StoreResult<()> {
    let mut connection = state.pool.acquire().await?;
    let mut tx = connection.begin().await?;
    // Compare-and-set: the procurer may have picked the order up since we read it.
    orders::transition(
        &mut tx,
        order.id,
        &[OrderStatus::Accepted],
        OrderStatus::Canceled,
    )
    .await?;
    for item in orders::items(&mut *tx, order.id).await? {
        if let Some(sku_id) = item.sku_id {
            stock::release(&mut tx, order.id, sku_id).await?;
        }
    }
    if order.total_minor > 0 {
        let reference = order.id.to_string();
        wallets::refund(
            &mut tx,
            &WalletMove {
                user_id: caller.user_id,
                amount_minor: order.total_minor,
                idempotency_key: &format!("refund:{}", order.id),
                reference: Some(&reference),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
