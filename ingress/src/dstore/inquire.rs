//! D-Store `POST /v2/pos/inquireOrderDetail`: where is the order D-Store placed? Read from
//! Postgres; produces nothing. Unknown `requestOrderId` → `F`/`ORDER_NOT_EXIST`.

use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use http::HeaderMap;
use serde_json::json;
use switchyard_partners::dstore::wire::{paths, DstoreResult, InquireOrderDetailRequest};
use switchyard_partners::dstore::DstoreOrderStatus;
use switchyard_store::orders::{self, Channel};

use super::session::{param_illegal, verify};
use crate::state::AppState;

const ENDPOINT: &str = "dstore_inquire_order";

/// `POST /v2/pos/inquireOrderDetail`.
pub(crate) async fn inquire_order(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let caller = match verify(
        &state,
        ENDPOINT,
        paths::INQUIRE_ORDER_DETAIL,
        &headers,
        &body,
    )
    .await
    {
        Ok(caller) => caller,
        Err(refusal) => return refusal,
    };
    let request: InquireOrderDetailRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => return param_illegal(&state, ENDPOINT, &caller, &error),
    };
    match orders::by_channel_id(
        &state.pool,
        Channel::Dstore,
        request.request_order_id.trim(),
    )
    .await
    {
        Ok(Some(order)) if order.source_connection_id == Some(caller.connection_id) => {
            state.metrics.count(ENDPOINT, "accepted");
            let body = serde_json::to_vec(&json!({
                "result": DstoreResult::success(),
                "posOrderId": order.order_no,
                "orderStatus": DstoreOrderStatus::from_order_status(order.status),
            }))
            .unwrap_or_default();
            caller.answer(body)
        }
        Ok(_) => {
            state.metrics.count(ENDPOINT, "rejected");
            caller.failed("ORDER_NOT_EXIST", "no order with this requestOrderId")
        }
        Err(error) => {
            tracing::warn!(%error, "dstore inquire: database unavailable");
            state.metrics.count(ENDPOINT, "unavailable");
            caller.unknown()
        }
    }
}
