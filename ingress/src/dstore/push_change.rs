//! D-Store `POST /v2/pos/pushOrderChange`: D-Store tells us an order changed on its side (e.g.
//! the customer cancelled). One `ChannelOrderUpdate` per `requestId`; a repeat gets the first
//! answer and produces nothing; not durable → `U`.

use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use http::HeaderMap;
use serde_json::json;
use switchyard_partners::dstore::wire::{paths, DstoreResult, PushOrderChangeRequest};
use switchyard_partners::dstore::DstoreOrderStatus;
use switchyard_topics::events::{Channel, ChannelOrderUpdate, ChannelUpdateKind};

use super::session::{param_illegal, verify};
use crate::deliver::answer_once;
use crate::state::{now_millis, traceparent, AppState};

const ENDPOINT: &str = "dstore_push_order_change";
const CHANNEL: &str = "dstore.pushOrderChange";

/// `POST /v2/pos/pushOrderChange`.
pub(crate) async fn push_order_change(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let caller = match verify(&state, ENDPOINT, paths::PUSH_ORDER_CHANGE, &headers, &body).await {
        Ok(caller) => caller,
        Err(refusal) => return refusal,
    };
    let request: PushOrderChangeRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => return param_illegal(&state, ENDPOINT, &caller, &error),
    };
    if request.request_id.trim().is_empty() || request.request_order_id.trim().is_empty() {
        state.metrics.count(ENDPOINT, "rejected");
        return caller.failed("PARAM_ILLEGAL", "requestId and requestOrderId are required");
    }
    let status_word = serde_json::to_value(request.order_status)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned));
    let kind = match request.order_status {
        DstoreOrderStatus::Cancelled => ChannelUpdateKind::CancelRequested,
        _ => ChannelUpdateKind::StatusChanged,
    };
    let event = ChannelOrderUpdate {
        channel: Channel::Dstore,
        channel_order_id: request.request_order_id.trim().to_owned(),
        order_id: None,
        kind,
        channel_status: status_word,
        refund_amount: None,
        reason: request.reason.clone(),
        channel_request_id: Some(request.request_id.clone()),
        received_at: now_millis(),
    };
    let key = format!("{}:{}", caller.connection_id, request.request_id.trim());
    let answered = answer_once(
        &state,
        ENDPOINT,
        CHANNEL,
        &key,
        |event_id| state.encode(&event, event_id, traceparent(&headers)),
        || serde_json::to_vec(&json!({ "result": DstoreResult::success() })).unwrap_or_default(),
    )
    .await;
    // Stored unsigned: each answer is signed with its own Response-Time.
    match answered {
        Ok(answer) => caller.answer(answer.body),
        Err(_) => caller.unknown(),
    }
}
