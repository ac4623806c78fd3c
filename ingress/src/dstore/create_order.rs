//! D-Store `POST /v2/pos/createOrder`: D-Store places an order at our POS.
//!
//! Contract: verified and parsed (see `session`); `requestOrderId` is the idempotency key: the
//! order is stored once per (`dstore`, requestOrderId) and one `OrderAccepted` is produced; a
//! repeat gets the first answer (re-signed, same `posOrderId`) and produces nothing. Every line's
//! `posProductId` is resolved to our SKU through the connection's channel product mappings (one
//! query per order); an order with a line that does not resolve is `F`/`PARAM_ILLEGAL` naming the
//! line — nothing stored, nothing produced. The customer (personal data) goes to `order_contacts` only — never into
//! the event or logs. If the order or its event cannot be made durable within the budget, the
//! answer is `U`/`UNKNOWN_EXCEPTION` (D-Store retries, then asks `inquireOrderDetail`).

use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use http::HeaderMap;
use serde_json::json;
use switchyard_partners::dstore::wire::{paths, CreateOrderRequest, DstoreResult};
use switchyard_store::orders::{
    self, Channel as StoreChannel, NewOrder, NewOrderItem, OrderContact,
};
use switchyard_store::Currency;
use switchyard_topics::events::{Channel, Money, OrderAccepted, OrderLine};
use uuid::Uuid;

use super::session::{param_illegal, verify};
use crate::channel_lines;
use crate::deliver::answer_once;
use crate::dujiao::ACCEPTED_CHANNEL;
use crate::state::{traceparent, AppState};

const ENDPOINT: &str = "dstore_create_order";

/// `POST /v2/pos/createOrder`.
pub(crate) async fn create_order(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let caller = match verify(&state, ENDPOINT, paths::CREATE_ORDER, &headers, &body).await {
        Ok(caller) => caller,
        Err(refusal) => return refusal,
    };
    let request: CreateOrderRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => return param_illegal(&state, ENDPOINT, &caller, &error),
    };
    let illegal = |message: &str| {
        state.metrics.count(ENDPOINT, "rejected");
        caller.failed("PARAM_ILLEGAL", message)
    };
    let request_order_id = request.request_order_id.trim();
    if request_order_id.is_empty() || request_order_id.len() > 200 {
        return illegal("requestOrderId is required");
    }
    if request.order_products.is_empty() {
        return illegal("orderProducts must not be empty");
    }
    let Ok(currency) = Currency::parse(&request.order_amount.currency) else {
        return illegal("orderAmount.currency is not an ISO-4217 code");
    };
    if request.order_amount.value < 0 {
        return illegal("orderAmount.value must not be negative");
    }
    let unavailable = |error: &dyn std::fmt::Display| {
        tracing::warn!(%error, "dstore createOrder: database unavailable");
        state.metrics.count(ENDPOINT, "unavailable");
        caller.unknown()
    };
    let ids: Vec<&str> = request
        .order_products
        .iter()
        .map(|product| product.pos_product_id.as_str())
        .collect();
    let skus = match channel_lines::resolve(&state.pool, caller.connection_id, &ids).await {
        Ok(Ok(skus)) => skus,
        Ok(Err(unmapped)) => {
            tracing::warn!(
                line = unmapped.line,
                connection = caller.connection_id,
                "dstore createOrder: a line maps to no SKU; refused"
            );
            return illegal(&unmapped.reason("posProductId"));
        }
        Err(error) => return unavailable(&error),
    };
    let mut items = Vec::new();
    let mut lines = Vec::new();
    for (product, sku) in request.order_products.iter().zip(skus) {
        let (Ok(quantity), true) = (i32::try_from(product.quantity), product.quantity > 0) else {
            return illegal("quantity must be positive");
        };
        let unit_price = product
            .price
            .as_ref()
            .map_or(sku.price_minor, |price| price.value);
        items.push(NewOrderItem {
            sku_id: Some(sku.sku_id),
            channel_item_id: Some(product.pos_product_id.trim().to_owned()),
            title: None,
            quantity,
            unit_price_minor: unit_price,
            manual_form_data: None,
        });
        lines.push(OrderLine {
            sku_id: sku.sku_id.to_string(),
            sku_code: sku.sku_code,
            quantity,
            unit_price: Money::from_minor(unit_price, currency),
        });
    }
    let contact = request.customer.as_ref().map(|customer| OrderContact {
        contact_phone: customer.phone.clone(),
        service_address: None,
        details: customer.name.as_ref().map(|name| json!({ "name": name })),
    });
    let new_order = NewOrder {
        id: Uuid::now_v7(),
        channel: StoreChannel::Dstore,
        channel_order_id: request_order_id.to_owned(),
        source_credential_id: None,
        source_connection_id: Some(caller.connection_id),
        total_minor: request.order_amount.value,
        currency,
        callback_url: None,
        trace_id: None,
        items,
        contact,
    };
    let mut connection = match state.pool.acquire().await {
        Ok(connection) => connection,
        Err(error) => return unavailable(&error),
    };
    let order = match orders::insert(&mut connection, &new_order).await {
        Ok(inserted) => inserted.into_inner(),
        Err(error) if error.is_transient() => return unavailable(&error),
        Err(error) => {
            tracing::warn!(%error, "dstore createOrder refused by the store");
            return illegal("order refused");
        }
    };
    drop(connection);
    let key = order.id.to_string();
    let event = OrderAccepted {
        order_id: key.clone(),
        channel: Channel::Dstore,
        channel_order_id: order.channel_order_id.clone(),
        connection_id: caller.connection_id.to_string(),
        lines,
        total: Money::from_minor(order.total_minor, order.currency),
        callback_url: None,
        customer_ref: None,
        accepted_at: order.created_at.timestamp_millis(),
    };
    let answered = answer_once(
        &state,
        ENDPOINT,
        ACCEPTED_CHANNEL,
        &key,
        |event_id| state.encode(&event, event_id, traceparent(&headers)),
        || {
            serde_json::to_vec(&json!({
                "result": DstoreResult::success(),
                "posOrderId": order.order_no,
                "autoAccept": false,
            }))
            .unwrap_or_default()
        },
    )
    .await;
    // Stored unsigned: each answer is signed with its own Response-Time.
    match answered {
        Ok(answer) => caller.answer(answer.body),
        Err(_) => caller.unknown(),
    }
}
