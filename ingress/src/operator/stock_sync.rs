//! Operator: product views with upstream stock and last sync, and "sync now" per connection.
//!
//! Contract:
//! - `GET /admin/v1/products?connection_id=&fulfillment_type=upstream|local&disabled=&after_id=&limit=`
//!   — `{items}`: one row per SKU (with its product), by SKU id, at most `limit` (default 100,
//!   at most 1000); page on with `after_id` = the last `sku_id`.
//! - `GET /admin/v1/skus/{id}` — one SKU's view (404 `not_found`).
//! - `POST /admin/v1/connections/{id}/sync?full=true` — `202 {connection_id, job, full}`: the
//!   connection's stock-sync task is due now (the stock-syncer runs it on its next tick; with
//!   `full`, a pass through the whole catalog — for a D-Store connection, a push of the whole
//!   catalog that replaces the store's); 404 unknown connection, 400 `invalid` for a kind
//!   that has no stock sync.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::StatusCode;
use serde::Deserialize;
use serde_json::json;
use switchyard_store::{sku_views, stock_sync_tasks};

use super::{problem, store_problem};
use crate::state::AppState;
use switchyard_runtime::operator::Filters;

/// `GET /admin/v1/products` filters.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    connection_id: Option<i64>,
    fulfillment_type: Option<String>,
    disabled: Option<bool>,
    after_id: Option<i64>,
    limit: Option<i64>,
}

pub(crate) async fn list_products(
    State(state): State<AppState>,
    Filters(query): Filters<ListQuery>,
) -> Response {
    if let Some(kind) = query.fulfillment_type.as_deref() {
        if kind != "upstream" && kind != "local" {
            let message = "fulfillment_type is upstream or local";
            return problem(StatusCode::BAD_REQUEST, "bad_request", message);
        }
    }
    let filter = sku_views::SkuFilter {
        connection_id: query.connection_id,
        fulfillment_type: query.fulfillment_type,
        disabled: query.disabled,
        after_id: query.after_id,
        limit: query.limit.unwrap_or(100).clamp(1, 1000),
    };
    match sku_views::list(&state.pool, &filter).await {
        Ok(items) => Json(json!({ "items": items })).into_response(),
        Err(error) => store_problem(&error),
    }
}

pub(crate) async fn show_sku(State(state): State<AppState>, Path(id): Path<i64>) -> Response {
    match sku_views::get(&state.pool, id).await {
        Ok(Some(view)) => Json(view).into_response(),
        Ok(None) => problem(StatusCode::NOT_FOUND, "not_found", "sku not found"),
        Err(error) => store_problem(&error),
    }
}

/// `POST /admin/v1/connections/{id}/sync` options.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SyncQuery {
    #[serde(default)]
    full: bool,
}

pub(crate) async fn sync_now(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Filters(query): Filters<SyncQuery>,
) -> Response {
    match stock_sync_tasks::request_sync(&state.pool, id, query.full).await {
        Ok(job) => {
            tracing::info!(connection_id = id, %job, full = query.full, "operator asked for a stock sync now");
            let body = json!({ "connection_id": id, "job": job, "full": query.full });
            (StatusCode::ACCEPTED, Json(body)).into_response()
        }
        Err(error) => store_problem(&error),
    }
}
