//! Dujiao-Next provider `GET /orders/:id`, scoped to the caller's own orders (another site's
//! order is `order_not_found`; the cancel in [`super::cancel`] uses the same scoping).
//!
//! Contract: a delivered order carries its `fulfillment` (see [`super::delivery`]); other
//! statuses carry none.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::StatusCode;
use switchyard_partners::dujiao::wire::{OrderDetail, OrderItem};
use switchyard_partners::dujiao::DujiaoOrderStatus;
use switchyard_store::orders::{self, Order, OrderStatus};
use switchyard_store::procurement;
use switchyard_store::StoreResult;

use super::auth::{Caller, Endpoint, SignedCall};
use super::convert::{decimal, numeric_order_id, order_no_of};
use super::delivery::order_fulfillment;
use crate::answer::dujiao_error;
use crate::state::AppState;

async fn own_order(state: &AppState, caller: Caller, id: &str) -> StoreResult<Option<Order>> {
    let Ok(id) = id.parse::<u64>() else {
        return Ok(None);
    };
    orders::placed_by(&state.pool, &order_no_of(id), caller.credential_id).await
}

/// The caller's order `id` after verifying the call, or the answer to give instead (the
/// protocol's refusal, `order_not_found` for another site's order, or the retryable failure).
pub(super) async fn authorized_order(
    state: &AppState,
    endpoint: &Endpoint<'_>,
    call: &SignedCall,
    id: &str,
) -> Result<Order, Response> {
    let caller = endpoint.authenticate(call).await?;
    match own_order(state, caller, id).await {
        Ok(Some(order)) => Ok(order),
        Ok(None) => {
            endpoint.count("rejected");
            Err(not_found())
        }
        Err(error) => Err(endpoint.unavailable(&error)),
    }
}

pub(super) fn not_found() -> Response {
    dujiao_error(StatusCode::NOT_FOUND, "order_not_found", "order not found")
}

/// `GET /api/v1/upstream/orders/:id`.
pub(crate) async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    call: SignedCall,
) -> Response {
    let endpoint = Endpoint::new(&state, "dujiao_order");
    let order = match authorized_order(&state, &endpoint, &call, &id).await {
        Ok(order) => order,
        Err(answer) => return answer,
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
