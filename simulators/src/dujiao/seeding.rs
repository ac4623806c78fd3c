//! Control routes that seed reconciliation discrepancies (`/_control/...`, unsigned):
//!
//! - `POST /_control/orders` `[{api_key, downstream_order_no, amount_minor, status?, created_at?}]`
//!   adds orders as if placed (no wallet, no stock, no callback) — e.g. one we do not know;
//!   answers `[{order_id, order_no, downstream_order_no}]`.
//! - `PATCH /_control/orders/{id}` `{status?, amount_minor?}` changes an order behind our back.
//! - `DELETE /_control/orders/{id}` forgets an order (its `GET /orders/:id` becomes 404).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use switchyard_partners::dujiao::DujiaoOrderStatus;

use super::state::{ReceivedOrder, SiteState};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SeedOrder {
    api_key: String,
    downstream_order_no: String,
    amount_minor: i64,
    #[serde(default)]
    status: Option<DujiaoOrderStatus>,
    #[serde(default)]
    created_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OrderChange {
    #[serde(default)]
    status: Option<DujiaoOrderStatus>,
    #[serde(default)]
    amount_minor: Option<i64>,
}

pub(crate) async fn seed(
    State(site): State<Arc<SiteState>>,
    Json(orders): Json<Vec<SeedOrder>>,
) -> Json<Value> {
    let mut inner = site.lock();
    let mut created = Vec::with_capacity(orders.len());
    for seed in orders {
        let order_id = SiteState::next_order_id(&inner);
        let order = ReceivedOrder {
            order_id,
            order_no: format!("UP{order_id:010}"),
            api_key: seed.api_key,
            downstream_order_no: seed.downstream_order_no,
            sku_id: 0,
            product_id: 0,
            quantity: 1,
            amount_minor: seed.amount_minor,
            status: seed.status.unwrap_or(DujiaoOrderStatus::Paid),
            callback_url: String::new(),
            fulfillment: None,
            created_at: seed.created_at.unwrap_or_else(Utc::now),
        };
        created.push(json!({
            "order_id": order.order_id, "order_no": order.order_no,
            "downstream_order_no": order.downstream_order_no,
        }));
        inner.orders.push(order);
    }
    Json(Value::Array(created))
}

pub(crate) async fn change(
    State(site): State<Arc<SiteState>>,
    Path(id): Path<u64>,
    Json(change): Json<OrderChange>,
) -> StatusCode {
    let mut inner = site.lock();
    let Some(order) = inner.orders.iter_mut().find(|order| order.order_id == id) else {
        return StatusCode::NOT_FOUND;
    };
    if let Some(status) = change.status {
        order.status = status;
    }
    if let Some(amount) = change.amount_minor {
        order.amount_minor = amount;
    }
    StatusCode::NO_CONTENT
}

pub(crate) async fn delete(State(site): State<Arc<SiteState>>, Path(id): Path<u64>) -> StatusCode {
    let mut inner = site.lock();
    let before = inner.orders.len();
    inner.orders.retain(|order| order.order_id != id);
    if inner.orders.len() < before {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}
