//! Control routes that seed reconciliation discrepancies (`/_control/...`, unsigned):
//!
//! - `PATCH /_control/orders/{id}` `{status?, price?}` changes an order behind the merchant's
//!   back: its status (`SUCCESS`, `CLOSED`, `REFUND`, …) and/or every record's unit price.
//! - `DELETE /_control/orders/{id}` forgets an order (its query answers code 40004).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use switchyard_partners::vending::VendingOrderStatus;

use super::Platform;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OrderChange {
    #[serde(default)]
    status: Option<VendingOrderStatus>,
    #[serde(default)]
    price: Option<i64>,
}

pub(super) async fn change(
    State(platform): State<Arc<Platform>>,
    Path(id): Path<String>,
    Json(change): Json<OrderChange>,
) -> StatusCode {
    let mut inner = platform.lock();
    let Some(order) = inner.orders.iter_mut().find(|order| order.order_id == id) else {
        return StatusCode::NOT_FOUND;
    };
    if let Some(status) = change.status {
        order.status = status;
    }
    if let Some(price) = change.price {
        for record in &mut order.records {
            record.price = price;
        }
    }
    StatusCode::NO_CONTENT
}

pub(super) async fn delete(
    State(platform): State<Arc<Platform>>,
    Path(id): Path<String>,
) -> StatusCode {
    let mut inner = platform.lock();
    let before = inner.orders.len();
    inner.orders.retain(|order| order.order_id != id);
    if inner.orders.len() < before {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}
