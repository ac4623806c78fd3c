//! Dujiao-Next provider `POST /api/v1/upstream/orders`: a downstream site buys from us.
//!
//! Contract: signed caller with an approved credential; body parsed into the wire struct
//! (`bad_request` 400); `callback_url` public http(s) (`invalid_callback_url` 400); SKU sellable
//! (`sku_unavailable` 400) with stock (`insufficient_stock` 409); wallet currency matches the SKU
//! (else HTTP 200 `ok:false` `payment_failed`); the order, its idempotency record, the stock
//! reservation and the wallet debit are one transaction (`insufficient_balance` 402 leaves
//! nothing). A repeat of (credential, `downstream_order_no`) returns the first order and produces
//! no second `OrderAccepted`. The event is durable (broker or spool) before `ok:true` is answered;
//! otherwise `internal_error` 500 and the site's retry finishes the job.

use axum::extract::State;
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use switchyard_partners::dujiao::wire::{CreateOrderAnswer, CreateOrderRequest};
use switchyard_store::orders::{NewOrderItem, Order};
use switchyard_store::provider_orders::{self, ProviderOrder};
use switchyard_store::StoreError;
use switchyard_topics::events::{Channel, Money, OrderAccepted, OrderLine};
use uuid::Uuid;

use super::auth::{Caller, Endpoint, SignedCall};
use super::convert::{decimal, numeric_order_id};
use crate::answer::Partner;
use crate::callback_url::CallbackUrl;
use crate::deliver::{answer_once, json_response, replay};
use crate::state::{traceparent, AppState};

const ENDPOINT: &str = "dujiao_create_order";
/// Dedupe channel shared by every endpoint that accepts an order: one `OrderAccepted` per order.
pub(crate) const ACCEPTED_CHANNEL: &str = "orders.accepted";

/// `POST /api/v1/upstream/orders`.
pub(crate) async fn create(State(state): State<AppState>, call: SignedCall) -> Response {
    let endpoint = Endpoint::new(&state, ENDPOINT);
    let caller = match endpoint.authenticate(&call).await {
        Ok(caller) => caller,
        Err(refusal) => return refusal,
    };
    let reject = |status, code, message: &str| endpoint.reject(status, code, message);
    let request: CreateOrderRequest = match serde_json::from_slice(&call.body) {
        Ok(request) => request,
        Err(error) => {
            let message = format!(
                "invalid body: {:?} at column {}",
                error.classify(),
                error.column()
            );
            return reject(StatusCode::BAD_REQUEST, "bad_request", &message);
        }
    };
    let downstream_order_no = request.downstream_order_no.trim();
    if downstream_order_no.is_empty() || downstream_order_no.len() > 200 {
        return reject(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "downstream_order_no is required",
        );
    }
    let (Ok(sku_id), Ok(quantity)) = (
        i64::try_from(request.sku_id),
        i32::try_from(request.quantity),
    ) else {
        return reject(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "sku_id or quantity out of range",
        );
    };
    if quantity < 1 {
        return reject(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "quantity must be at least 1",
        );
    }
    let Some(callback_url) = CallbackUrl::parse(
        &request.callback_url,
        state.config.allow_private_callback_urls,
    ) else {
        return reject(
            StatusCode::BAD_REQUEST,
            "invalid_callback_url",
            "callback_url refused",
        );
    };

    // A repeat finds its order before any stock or balance check (those may have changed since).
    let existing =
        provider_orders::find(&state.pool, caller.credential_id, downstream_order_no).await;
    let (order, sku_code) = match existing {
        Ok(Some(order)) => match switchyard_store::catalog::sku(&state.pool, sku_id).await {
            Ok(sku) => (order, sku.map(|sku| sku.sku_code).unwrap_or_default()),
            Err(error) => return endpoint.unavailable(&error),
        },
        Ok(None) => {
            let placed = place(&state, caller, &request, sku_id, quantity, &callback_url).await;
            match placed {
                Ok(placed) => placed,
                Err(refusal) => return refusal,
            }
        }
        Err(error) => return endpoint.unavailable(&error),
    };
    let line = OrderLine {
        sku_id: sku_id.to_string(),
        sku_code,
        quantity,
        unit_price: Money::from_minor(order.total_minor / i64::from(quantity), order.currency),
    };
    publish_and_answer(
        &state,
        &order,
        vec![line],
        format!("credential:{}", caller.credential_id),
        &call.headers,
    )
    .await
}

/// Places a new order; returns it with the SKU's code.
async fn place(
    state: &AppState,
    caller: Caller,
    request: &CreateOrderRequest,
    sku_id: i64,
    quantity: i32,
    callback_url: &CallbackUrl,
) -> Result<(Order, String), Response> {
    let endpoint = Endpoint::new(state, ENDPOINT);
    let reject = |status, code, message: &str| endpoint.reject(status, code, message);
    let quote = provider_orders::quote(&state.pool, sku_id, quantity, caller.user_id).await;
    let (sku, wallet_currency) = match quote {
        Ok(quote) => (quote.sku, quote.wallet_currency),
        Err(StoreError::SkuUnavailable | StoreError::NotFound(_)) => {
            return Err(reject(
                StatusCode::BAD_REQUEST,
                "sku_unavailable",
                "sku unavailable",
            ))
        }
        Err(StoreError::InsufficientStock) => {
            return Err(reject(
                StatusCode::CONFLICT,
                "insufficient_stock",
                "insufficient stock",
            ))
        }
        Err(error) => return Err(endpoint.unavailable(&error)),
    };
    match wallet_currency {
        None => return Err(payment_failed(state, "no wallet for this account")),
        Some(currency) if currency != sku.currency => {
            return Err(payment_failed(
                state,
                "wallet currency differs from the price currency",
            ))
        }
        Some(_) => {}
    }
    let Some(total_minor) = sku.price_minor.checked_mul(i64::from(quantity)) else {
        return Err(reject(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "amount out of range",
        ));
    };
    let manual_form_data = request.manual_form_data.expose();
    let order = ProviderOrder {
        id: Uuid::now_v7(),
        credential_id: caller.credential_id,
        downstream_order_no: request.downstream_order_no.trim().to_owned(),
        total_minor,
        currency: sku.currency,
        callback_url: Some(callback_url.as_str().to_owned()),
        trace_id: Some(request.trace_id.clone()).filter(|id| !id.is_empty()),
        items: vec![NewOrderItem {
            sku_id: Some(sku_id),
            channel_item_id: None,
            title: None,
            quantity,
            unit_price_minor: sku.price_minor,
            manual_form_data: (!manual_form_data.is_empty())
                .then(|| serde_json::to_value(manual_form_data).unwrap_or_default()),
        }],
    };
    let mut connection = match state.pool.acquire().await {
        Ok(connection) => connection,
        Err(error) => return Err(endpoint.unavailable(&error)),
    };
    match provider_orders::place(&mut connection, &order).await {
        Ok(placed) => Ok((placed.into_inner(), sku.sku_code)),
        Err(StoreError::InsufficientBalance) => Err(reject(
            StatusCode::PAYMENT_REQUIRED,
            "insufficient_balance",
            "insufficient balance",
        )),
        Err(StoreError::InsufficientStock) => Err(reject(
            StatusCode::CONFLICT,
            "insufficient_stock",
            "insufficient stock",
        )),
        Err(StoreError::SkuUnavailable) => Err(reject(
            StatusCode::BAD_REQUEST,
            "sku_unavailable",
            "sku unavailable",
        )),
        Err(error) => Err(endpoint.unavailable(&error)),
    }
}

/// Produces `OrderAccepted` once per order and answers `ok:true` (replaying the first answer).
pub(crate) async fn publish_and_answer(
    state: &AppState,
    order: &Order,
    lines: Vec<OrderLine>,
    connection_id: String,
    headers: &HeaderMap,
) -> Response {
    let key = order.id.to_string();
    let event = OrderAccepted {
        order_id: key.clone(),
        channel: Channel::DujiaoDownstream,
        channel_order_id: order.channel_order_id.clone(),
        connection_id,
        lines,
        total: Money::from_minor(order.total_minor, order.currency),
        callback_url: order.callback_url.clone(),
        customer_ref: None,
        accepted_at: order.created_at.timestamp_millis(),
    };
    let fresh = || {
        let answer = CreateOrderAnswer {
            ok: true,
            order_id: numeric_order_id(&order.order_no),
            order_no: order.order_no.clone(),
            status: "paid".to_owned(),
            amount: decimal(order.total_minor, order.currency),
            currency: Some(order.currency),
            error_code: None,
            error_message: None,
        };
        serde_json::to_vec(&answer).unwrap_or_default()
    };
    let build = |event_id| state.encode(&event, event_id, traceparent(headers));
    match answer_once(state, ENDPOINT, ACCEPTED_CHANNEL, &key, build, fresh).await {
        Ok(answer) => replay(answer),
        Err(_) => Partner::DujiaoProvider.unavailable(),
    }
}

fn payment_failed(state: &AppState, message: &str) -> Response {
    state.metrics.count(ENDPOINT, "payment_failed");
    let answer = CreateOrderAnswer {
        ok: false,
        order_id: 0,
        order_no: String::new(),
        status: "canceled".to_owned(),
        amount: String::new(),
        currency: None,
        error_code: Some("payment_failed".to_owned()),
        error_message: Some(message.to_owned()),
    };
    json_response(
        StatusCode::OK,
        serde_json::to_vec(&answer).unwrap_or_default(),
        Vec::new(),
    )
}
