//! `GET /api/v1/upstream/orders`: the order list a reconciler reads to find orders it lacks.
//! The `no_order_list` switch answers 404 instead, like a stock site.
//!
//! Not part of the Dujiao-Next protocol (a stock site answers 404): the simulator serves it so
//! the reconciler's `missing_local` check can be exercised; the client treats 404/405 as "not
//! served". Signed like every provider route; lists only the caller's orders placed in
//! `[created_from, created_to)`, oldest first, `page_size` ≤ 500.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use super::provider::{error, money, Signed};
use super::state::SiteState;

#[derive(Deserialize)]
pub(crate) struct ListQuery {
    created_from: DateTime<Utc>,
    created_to: DateTime<Utc>,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    page_size: Option<u32>,
}

pub(crate) async fn list_orders(
    State(site): State<Arc<SiteState>>,
    query: Result<Query<ListQuery>, QueryRejection>,
    caller: Signed,
) -> Response {
    if site.lock().switches.no_order_list {
        return (axum::http::StatusCode::NOT_FOUND, "404 page not found").into_response();
    }
    let Ok(Query(query)) = query else {
        return error(
            400,
            "bad_request",
            "created_from and created_to are required",
        );
    };
    let page = query.page.unwrap_or(1).max(1);
    let size = query.page_size.unwrap_or(50).clamp(1, 500);
    let mut orders: Vec<_> = site
        .orders()
        .into_iter()
        .filter(|order| {
            order.api_key == caller.api_key
                && order.created_at >= query.created_from
                && order.created_at < query.created_to
        })
        .collect();
    orders.sort_by_key(|order| (order.created_at, order.order_id));
    let total = orders.len();
    let skip = usize::try_from((page - 1) * size).unwrap_or(usize::MAX);
    let items: Vec<_> = orders
        .iter()
        .skip(skip)
        .take(size as usize)
        .map(|order| {
            json!({
                "order_id": order.order_id, "order_no": order.order_no,
                "downstream_order_no": order.downstream_order_no,
                "status": order.status.as_str(), "amount": money(&site, order.amount_minor),
                "currency": site.currency.as_str(), "created_at": order.created_at.to_rfc3339(),
            })
        })
        .collect();
    Json(json!({"ok": true, "items": items, "total": total, "page": page, "page_size": size}))
        .into_response()
}
