//! Dujiao-Next callback receiver `POST /api/v1/upstream/callback`: an upstream site we buy from
//! reports a status change or delivery of our procurement order.
//!
//! Contract: the API key header names one of our active `dujiao_upstream` connections; the
//! signature is checked with that connection's secret over the literal path
//! `/api/v1/upstream/callback` (whatever URL the callback used), within ±60 s and not seen
//! before by any replica (the shared replay guard, [`super::replay`]; a callback sender signs each
//! retry afresh, so even a byte-identical second sighting is refused).
//! Every refusal answers HTTP 200 `{ok:false, message:<error_code>}` as the protocol's receiver
//! does (the sender retries); a repeat of the same (connection, order, event, status) answers
//! `ok:true` without a second `UpstreamCallbackReceived`. When the event cannot be made durable the
//! answer is 503 `ok:false`, never `ok:true`.

use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{HeaderMap, StatusCode};
use switchyard_partners::dujiao::wire::CallbackBody;
use switchyard_partners::dujiao::{
    AuthHeaders, DujiaoAuthError, ReplayPolicy, RequestDigest, CALLBACK_SIGNED_PATH,
};
use switchyard_store::connections::ConnectionKind;
use switchyard_topics::events::{UpstreamCallbackEvent, UpstreamCallbackReceived};

use super::replay::{admit, ReplayRefusal};
use crate::answer::{callback_ack, Partner};
use crate::deliver::{answer_once, replay};
use crate::state::{now_millis, traceparent, AppState};

const ENDPOINT: &str = "dujiao_callback";
const CHANNEL: &str = "dujiao.callback";

/// `POST /api/v1/upstream/callback`.
pub(crate) async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let refuse = |message: &str| {
        state.metrics.count(ENDPOINT, "rejected");
        callback_ack(StatusCode::OK, false, message)
    };
    let now = Utc::now().timestamp();
    let request = match state
        .dujiao
        .parse(&AuthHeaders::from_headers(&headers), now)
    {
        Ok(request) => request,
        Err(error) => return refuse(error.error_code()),
    };
    let connections = match state
        .connections
        .active(ConnectionKind::DujiaoUpstream)
        .await
    {
        Ok(connections) => connections,
        Err(error) => {
            tracing::warn!(%error, "connection lookup failed");
            state.metrics.count(ENDPOINT, "unavailable");
            return Partner::DujiaoCallback.unavailable();
        }
    };
    let Some((connection_id, secret)) = connections.iter().find_map(|c| {
        let matches = c.connection().api_key.as_deref() == Some(request.api_key());
        matches.then(|| c.secret().cloned().map(|secret| (c.id(), secret)))?
    }) else {
        return refuse(DujiaoAuthError::InvalidApiKey.error_code());
    };
    let caller =
        match state
            .dujiao
            .verify_signature(request, &secret, "POST", CALLBACK_SIGNED_PATH, &body)
        {
            Ok(caller) => caller,
            Err(error) => return refuse(error.error_code()),
        };
    // Strict: any second sighting is refused, so the digest only completes the record.
    let digest = RequestDigest::of("POST", CALLBACK_SIGNED_PATH, &body);
    match admit(&state, &caller, digest, ReplayPolicy::Strict).await {
        Ok(()) => {}
        Err(ReplayRefusal::Refused(error)) => return refuse(error.error_code()),
        Err(ReplayRefusal::Unavailable(error)) => {
            tracing::warn!(%error, "replay guard unavailable");
            state.metrics.count(ENDPOINT, "unavailable");
            return Partner::DujiaoCallback.unavailable();
        }
    }
    let callback: CallbackBody = match serde_json::from_slice(&body) {
        Ok(callback) => callback,
        Err(_) => return refuse("bad_request"),
    };
    let callback_event = match callback.event.as_str() {
        "order.status_changed" => UpstreamCallbackEvent::OrderStatusChanged,
        "order.fulfilled" => UpstreamCallbackEvent::OrderFulfilled,
        _ => return refuse("bad_request"),
    };
    if callback.downstream_order_no.trim().is_empty() || callback.status.trim().is_empty() {
        return refuse("bad_request");
    }
    let fulfillment = callback.fulfillment.as_ref();
    let event = UpstreamCallbackReceived {
        connection_id: connection_id.to_string(),
        downstream_order_no: callback.downstream_order_no.clone(),
        upstream_order_id: callback.order_id.to_string(),
        upstream_order_no: callback.order_no.clone(),
        callback_event,
        status: callback.status.clone(),
        fulfillment_type: fulfillment.map(|f| f.kind.clone()),
        delivered_at: fulfillment
            .and_then(|f| f.delivered_at.as_deref())
            .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
            .map(|at| at.timestamp_millis()),
        upstream_timestamp: callback.timestamp.saturating_mul(1000),
        received_at: now_millis(),
    };
    let key = format!(
        "{connection_id}:{}:{}:{}",
        callback.downstream_order_no, callback.event, callback.status
    );
    let answered = answer_once(
        &state,
        ENDPOINT,
        CHANNEL,
        &key,
        |event_id| state.encode(&event, event_id, traceparent(&headers)),
        || br#"{"ok":true,"message":"received"}"#.to_vec(),
    )
    .await;
    match answered {
        Ok(answer) => replay(answer),
        Err(_) => Partner::DujiaoCallback.unavailable(),
    }
}
