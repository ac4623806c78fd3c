//! 58 Daojia order push `POST /daojia/notify`, dispatched by `funId`.
//!
//! Contract: the form is verified against the secret of an active `daojia` connection (several
//! may be active during a key rotation: any one that verifies wins) — missing field 400, bad
//! signature 401, timestamp outside the window 403, unknown `funId` or bad `daojiaJson` 400, each
//! as `{code, msg}` with the same HTTP status, nothing produced. `createOrder` resolves every line's
//! `goodsId` to our SKU through the connection's channel product mappings (one query per order); a
//! line that does not resolve is `{code: 400, msg}` naming the line, nothing stored or produced.
//! Otherwise the order is stored once per 58 `orderId` (phone and address only in
//! `order_contacts`) and produces one `OrderAccepted`;
//! `cancelOrder` produces one `ChannelOrderUpdate`. A repeated push gets the first answer and
//! produces nothing. Not durable → 503 `code` 503 (58 retries or reassigns), never `code` 200.

use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use chrono::Utc;
use http::{HeaderMap, StatusCode};
use switchyard_partners::daojia::push::DaojiaCancellation;
use switchyard_partners::daojia::{
    DaojiaOrder, DaojiaPushForm, PushAnswer, PushRejection, PushVerifier, VerifiedPush,
};
use switchyard_store::connections::ConnectionKind;
use switchyard_store::orders::{
    self, Channel as StoreChannel, NewOrder, NewOrderItem, OrderContact,
};
use switchyard_topics::events::{
    Channel, ChannelOrderUpdate, ChannelUpdateKind, Money, OrderAccepted, OrderLine,
};
use uuid::Uuid;

use crate::answer::{daojia_code, Partner};
use crate::channel_lines;
use crate::deliver::{answer_once, replay};
use crate::dujiao::ACCEPTED_CHANNEL;
use crate::state::{now_millis, traceparent, AppState};

const ENDPOINT: &str = "daojia_notify";
const CANCEL_CHANNEL: &str = "daojia.cancel";

/// The 58 Daojia routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/daojia/notify", post(notify))
}

fn refuse(state: &AppState, rejection: &PushRejection) -> Response {
    state.metrics.count(ENDPOINT, "rejected");
    let answer = PushAnswer::rejected(rejection);
    let status = StatusCode::from_u16(answer.code).unwrap_or(StatusCode::BAD_REQUEST);
    daojia_code(status, answer.code, &answer.msg)
}

fn unavailable(state: &AppState, error: &dyn std::fmt::Display) -> Response {
    tracing::warn!(%error, "daojia push: dependency unavailable");
    state.metrics.count(ENDPOINT, "unavailable");
    Partner::Daojia.unavailable()
}

/// `POST /daojia/notify` (form-encoded).
pub(crate) async fn notify(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(form) = serde_urlencoded::from_bytes::<DaojiaPushForm>(&body) else {
        return refuse(&state, &PushRejection::MissingField("form"));
    };
    let connections = match state.connections.active(ConnectionKind::Daojia).await {
        Ok(connections) => connections,
        Err(error) => return unavailable(&state, &error),
    };
    let window = std::time::Duration::from_secs(state.config.daojia_window_secs);
    let now = Utc::now();
    let mut outcome = Err(PushRejection::InvalidSignature);
    for connection in connections.iter() {
        let Some(secret) = connection.daojia_push_secret() else {
            continue;
        };
        let verifier = PushVerifier::new(secret, window);
        match verifier.verify(&form, now) {
            Ok(push) => {
                outcome = Ok((connection.id(), push));
                break;
            }
            // A signature that verifies under another connection's secret may still succeed.
            Err(PushRejection::InvalidSignature) => {}
            Err(other) => {
                outcome = Err(other);
                break;
            }
        }
    }
    let (connection_id, push) = match outcome {
        Ok(verified) => verified,
        Err(rejection) => return refuse(&state, &rejection),
    };
    match push {
        VerifiedPush::CreateOrder(order) => {
            create_order(&state, connection_id, &order, &headers).await
        }
        VerifiedPush::CancelOrder(cancel) => cancel_order(&state, &cancel, &headers).await,
    }
}

async fn create_order(
    state: &AppState,
    connection_id: i64,
    order: &DaojiaOrder,
    headers: &HeaderMap,
) -> Response {
    let order_id = order.order_id.trim();
    if order_id.is_empty() || order_id.len() > 200 {
        return refuse(
            state,
            &PushRejection::InvalidOrder("orderId is empty".to_owned()),
        );
    }
    let currency = order.total_price.currency;
    let goods: Vec<&str> = order
        .order_details
        .iter()
        .map(|detail| detail.goods_id.as_str())
        .collect();
    if goods.is_empty() {
        return refuse(
            state,
            &PushRejection::InvalidOrder("orderDetails is empty".to_owned()),
        );
    }
    let skus = match channel_lines::resolve(&state.pool, connection_id, &goods).await {
        Ok(Ok(skus)) => skus,
        Ok(Err(unmapped)) => {
            tracing::warn!(
                line = unmapped.line,
                connection = connection_id,
                "daojia createOrder: a line maps to no SKU; refused"
            );
            return refuse(
                state,
                &PushRejection::UnmappedGoods(unmapped.reason("goodsId")),
            );
        }
        Err(error) => return unavailable(state, &error),
    };
    let mut items = Vec::new();
    let mut lines = Vec::new();
    for (detail, sku) in order.order_details.iter().zip(skus) {
        let quantity = i32::try_from(detail.goods_number)
            .unwrap_or(i32::MAX)
            .max(1);
        items.push(NewOrderItem {
            sku_id: Some(sku.sku_id),
            channel_item_id: Some(detail.goods_id.trim().to_owned()),
            title: None,
            quantity,
            unit_price_minor: detail.goods_price.amount_minor,
            manual_form_data: None,
        });
        lines.push(OrderLine {
            sku_id: sku.sku_id.to_string(),
            sku_code: sku.sku_code,
            quantity,
            unit_price: Money::from_minor(detail.goods_price.amount_minor, currency),
        });
    }
    let new_order = NewOrder {
        id: Uuid::now_v7(),
        channel: StoreChannel::Daojia,
        channel_order_id: order_id.to_owned(),
        source_credential_id: None,
        source_connection_id: Some(connection_id),
        total_minor: order.total_price.amount_minor,
        currency,
        callback_url: None,
        trace_id: None,
        items,
        contact: Some(OrderContact {
            contact_phone: Some(order.user_mobile.expose().clone()),
            service_address: Some(order.service_address.expose().clone()),
            details: None,
        }),
    };
    let mut connection = match state.pool.acquire().await {
        Ok(connection) => connection,
        Err(error) => return unavailable(state, &error),
    };
    let stored = match orders::insert(&mut connection, &new_order).await {
        Ok(inserted) => inserted.into_inner(),
        Err(error) if error.is_transient() => return unavailable(state, &error),
        Err(error) => {
            tracing::warn!(%error, "daojia order refused by the store");
            return refuse(
                state,
                &PushRejection::InvalidOrder("order refused".to_owned()),
            );
        }
    };
    drop(connection);
    let key = stored.id.to_string();
    let event = OrderAccepted {
        order_id: key.clone(),
        channel: Channel::Daojia,
        channel_order_id: stored.channel_order_id.clone(),
        connection_id: connection_id.to_string(),
        lines,
        total: Money::from_minor(stored.total_minor, stored.currency),
        callback_url: None,
        customer_ref: None,
        accepted_at: stored.created_at.timestamp_millis(),
    };
    let answer = PushAnswer::received(order_id);
    publish(state, ACCEPTED_CHANNEL, &key, &answer, |event_id| {
        state.encode(&event, event_id, traceparent(headers))
    })
    .await
}

async fn cancel_order(
    state: &AppState,
    cancel: &DaojiaCancellation,
    headers: &HeaderMap,
) -> Response {
    let order_id = cancel.order_id.trim();
    if order_id.is_empty() {
        return refuse(
            state,
            &PushRejection::InvalidOrder("orderId is empty".to_owned()),
        );
    }
    let event = ChannelOrderUpdate {
        channel: Channel::Daojia,
        channel_order_id: order_id.to_owned(),
        order_id: None,
        kind: ChannelUpdateKind::CancelRequested,
        channel_status: Some("cancelOrder".to_owned()),
        refund_amount: None,
        reason: cancel.cancel_reason.clone(),
        channel_request_id: None,
        received_at: now_millis(),
    };
    let answer = PushAnswer::received(order_id);
    publish(state, CANCEL_CHANNEL, order_id, &answer, |event_id| {
        state.encode(&event, event_id, traceparent(headers))
    })
    .await
}

async fn publish(
    state: &AppState,
    channel: &str,
    key: &str,
    answer: &PushAnswer,
    build: impl FnOnce(Uuid) -> Result<switchyard_topics::EncodedEvent, switchyard_topics::CodecError>,
) -> Response {
    let fresh = || serde_json::to_vec(answer).unwrap_or_default();
    match answer_once(state, ENDPOINT, channel, key, build, fresh).await {
        Ok(answer) => replay(answer),
        Err(error) => {
            tracing::warn!(%error, "daojia push: event not durable");
            Partner::Daojia.unavailable()
        }
    }
}
