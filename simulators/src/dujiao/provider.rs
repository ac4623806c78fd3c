//! The provider API routes of the simulated site, each verifying the caller's signature first.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use secrecy::SecretString;
use serde_json::json;
use switchyard_domain::Money;
use switchyard_partners::dujiao::wire::{CreateOrderRequest, Product};
use switchyard_partners::dujiao::{AuthHeaders, DujiaoAuthError, DujiaoOrderStatus};

use super::catalog::PageFetch;
use super::state::{ReceivedOrder, SiteState};

type Site = State<Arc<SiteState>>;

pub(crate) fn routes(state: Arc<SiteState>) -> Router {
    Router::new()
        .route("/api/v1/upstream/ping", post(ping))
        .route("/api/v1/upstream/categories", get(categories))
        .route("/api/v1/upstream/products", get(products))
        .route("/api/v1/upstream/products/{id}", get(product))
        .route(
            "/api/v1/upstream/orders",
            post(create_order).get(super::listing::list_orders),
        )
        .route("/api/v1/upstream/orders/{id}", get(order_detail))
        .route("/api/v1/upstream/orders/{id}/cancel", post(cancel_order))
        .with_state(state)
}

/// The protocol's error body with its status.
pub(crate) fn error(status: u16, code: &str, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        Json(json!({"ok": false, "error_code": code, "error_message": message})),
    )
        .into_response()
}

/// The protocol's answer to a refused signature.
fn refused(err: DujiaoAuthError) -> Response {
    error(err.http_status(), err.error_code(), &err.to_string())
}

/// A request whose Dujiao-Next signature verified (a byte-identical retry of an earlier one
/// included): the caller's API key and the body it signed.
/// As an extractor it answers the protocol's refusal itself; it must come last (it takes the body).
pub(crate) struct Signed {
    pub(crate) api_key: String,
    body: Bytes,
}

impl FromRequest<Arc<SiteState>> for Signed {
    type Rejection = Response;

    async fn from_request(request: Request, site: &Arc<SiteState>) -> Result<Self, Response> {
        let (parts, body) = request.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .map_err(|_| error(400, "bad_request", "unreadable body"))?;
        let now = chrono::Utc::now().timestamp();
        let auth = AuthHeaders::from_headers(&parts.headers);
        let lookup = |key: &str| {
            let inner = site.lock();
            match inner.credentials.get(key) {
                None => Err(DujiaoAuthError::InvalidApiKey),
                Some(credential) if credential.disabled => Err(DujiaoAuthError::UserDisabled),
                Some(credential) => Ok(SecretString::from(credential.api_secret.clone())),
            }
        };
        // Every provider route is idempotent (reads, ping, orders on downstream_order_no,
        // cancel by id): a byte-identical retry inside the window is answered as the first.
        let target = parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path(), |target| target.as_str());
        let caller = site
            .verifier
            .verify_retry_with(&auth, parts.method.as_str(), target, &body, now, lookup)
            .map_err(refused)?;
        Ok(Self {
            api_key: caller.api_key,
            body,
        })
    }
}

pub(crate) fn money(site: &SiteState, minor: i64) -> String {
    Money::from_minor(minor, site.currency).to_decimal_string()
}

async fn ping(State(site): Site, caller: Signed) -> Response {
    let api_key = caller.api_key;
    let balance = site.balance(&api_key).unwrap_or(0);
    Json(json!({
        "ok": true, "site_name": site.site_name, "protocol_version": "1.0", "user_id": 1,
        "balance": money(&site, balance), "currency": site.currency.as_str(), "member_level": null,
    }))
    .into_response()
}

async fn categories(_caller: Signed) -> Response {
    Json(json!({"ok": true, "categories": [
        {"id": 1, "parent_id": 0, "slug": "cards", "name": {"en": "Cards"}, "icon": "", "sort_order": 1}
    ]}))
    .into_response()
}

async fn products(
    State(site): Site,
    Query(query): Query<HashMap<String, String>>,
    _caller: Signed,
) -> Response {
    let number =
        |name: &str, default: usize| query.get(name).map_or(Ok(default), |v| v.parse::<usize>());
    let (Ok(page), Ok(page_size)) = (number("page", 1), number("page_size", 20)) else {
        return error(400, "bad_request", "page and page_size must be numbers");
    };
    let after = match query.get("updated_after") {
        Some(after) => match chrono::DateTime::parse_from_rfc3339(after) {
            Ok(after) => Some(after.with_timezone(&chrono::Utc)),
            Err(_) => return error(400, "bad_request", "updated_after must be RFC 3339"),
        },
        None => None,
    };
    let include_inactive = query
        .get("include_inactive")
        .is_some_and(|v| v == "true" || v == "1");
    let (page, page_size) = (page.max(1), page_size.clamp(1, 50));
    let mut inner = site.lock();
    inner.catalog.pages.push(PageFetch {
        page: u32::try_from(page).unwrap_or(u32::MAX),
        updated_after: query.get("updated_after").cloned(),
        at_ms: chrono::Utc::now().timestamp_millis(),
    });
    // A product unchanged since the site started is older than any `updated_after`.
    let changed = |id: u64| inner.catalog.updated_at.get(&id).copied();
    let all: Vec<Product> = inner
        .products
        .iter()
        .filter(|product| include_inactive || product.is_active)
        .filter(|product| {
            after.is_none_or(|after| changed(product.id).is_some_and(|at| at > after))
        })
        .cloned()
        .collect();
    drop(inner);
    let items: Vec<&Product> = all
        .iter()
        .skip((page - 1) * page_size)
        .take(page_size)
        .collect();
    Json(json!({"ok": true, "items": items, "total": all.len(), "page": page, "page_size": page_size}))
        .into_response()
}

async fn product(State(site): Site, Path(id): Path<u64>, _caller: Signed) -> Response {
    let found = site
        .lock()
        .products
        .iter()
        .find(|product| product.id == id)
        .cloned();
    match found {
        Some(product) => Json(json!({"ok": true, "product": product})).into_response(),
        None => error(404, "product_not_found", "product not found"),
    }
}

fn callback_url_allowed(site: &SiteState, url: &str) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return false;
    };
    if !matches!(parsed.scheme(), "http" | "https") {
        return false;
    }
    if !site.reject_private_callback_urls {
        return true;
    }
    let host = parsed
        .host_str()
        .unwrap_or("")
        .trim_start_matches('[')
        .trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => {
            !(ip.is_loopback() || ip.is_private() || ip.is_link_local())
        }
        Ok(std::net::IpAddr::V6(ip)) => !ip.is_loopback(),
        Err(_) => !host.is_empty() && host != "localhost",
    }
}

fn created_answer(site: &SiteState, order: &ReceivedOrder) -> Response {
    if order.status == DujiaoOrderStatus::Canceled && order.amount_minor == 0 {
        return Json(json!({
            "ok": false, "order_id": order.order_id, "order_no": order.order_no, "status": "canceled",
            "error_code": "payment_failed", "error_message": "wallet payment failed",
        }))
        .into_response();
    }
    Json(json!({
        "ok": true, "order_id": order.order_id, "order_no": order.order_no, "status": "paid",
        "amount": money(site, order.amount_minor), "currency": site.currency.as_str(),
    }))
    .into_response()
}

async fn create_order(State(site): Site, caller: Signed) -> Response {
    let api_key = caller.api_key;
    let Ok(request) = serde_json::from_slice::<CreateOrderRequest>(&caller.body) else {
        return error(400, "bad_request", "body is not a valid order");
    };
    if request.quantity == 0 || request.downstream_order_no.is_empty() {
        return error(
            400,
            "bad_request",
            "quantity and downstream_order_no are required",
        );
    }
    if !callback_url_allowed(&site, &request.callback_url) {
        return error(
            400,
            "invalid_callback_url",
            "callback_url must be public http(s)",
        );
    }
    let (order, fulfil_now) = {
        let mut inner = site.lock();
        if let Some(existing) = inner.orders.iter().find(|order| {
            order.api_key == api_key && order.downstream_order_no == request.downstream_order_no
        }) {
            return created_answer(&site, existing);
        }
        let Some((product_id, product_active, sku)) = inner.products.iter().find_map(|product| {
            let sku = product.skus.iter().find(|sku| sku.id == request.sku_id)?;
            Some((product.id, product.is_active, sku.clone()))
        }) else {
            return error(400, "sku_unavailable", "no such sku");
        };
        if !product_active {
            return error(400, "product_unavailable", "product is not on sale");
        }
        if !sku.is_active {
            return error(400, "sku_unavailable", "sku is not on sale");
        }
        if sku.stock_quantity >= 0 && sku.stock_quantity < i64::from(request.quantity) {
            return error(409, "insufficient_stock", "not enough stock");
        }
        let Ok(unit) = Money::parse_decimal(&sku.price_amount, site.currency) else {
            return error(500, "internal_error", "bad price in catalog");
        };
        let amount = unit.amount_minor * i64::from(request.quantity);
        let order_id = SiteState::next_order_id(&inner);
        let mut order = ReceivedOrder {
            order_id,
            order_no: format!("UP{order_id:010}"),
            api_key: api_key.clone(),
            downstream_order_no: request.downstream_order_no.clone(),
            sku_id: sku.id,
            product_id,
            quantity: request.quantity,
            amount_minor: amount,
            status: DujiaoOrderStatus::Paid,
            callback_url: request.callback_url.clone(),
            fulfillment: None,
            created_at: chrono::Utc::now(),
        };
        if inner.switches.payment_fails {
            order.status = DujiaoOrderStatus::Canceled;
            order.amount_minor = 0;
            inner.orders.push(order.clone());
            return created_answer(&site, &order);
        }
        let Some(wallet) = inner.credentials.get_mut(&api_key) else {
            return error(403, "invalid_api_key", "unknown api key");
        };
        if wallet.balance_minor < amount {
            return error(402, "insufficient_balance", "wallet balance too low");
        }
        wallet.balance_minor -= amount;
        for product in &mut inner.products {
            for stocked in product
                .skus
                .iter_mut()
                .filter(|s| s.id == sku.id && s.stock_quantity > 0)
            {
                stocked.stock_quantity -= i64::from(request.quantity);
            }
        }
        inner.orders.push(order.clone());
        (order, inner.switches.auto_fulfil)
    };
    let answer = created_answer(&site, &order);
    if fulfil_now {
        SiteState::fulfil(&site, order.order_id);
    }
    answer
}

fn find_order(site: &SiteState, api_key: &str, id: u64) -> Option<ReceivedOrder> {
    site.lock()
        .orders
        .iter()
        .find(|order| order.order_id == id && order.api_key == api_key)
        .cloned()
}

async fn order_detail(State(site): Site, Path(id): Path<u64>, caller: Signed) -> Response {
    let api_key = caller.api_key;
    let Some(order) = find_order(&site, &api_key, id) else {
        return error(404, "order_not_found", "order not found");
    };
    let refunded = if order.status == DujiaoOrderStatus::Canceled {
        order.amount_minor
    } else {
        0
    };
    Json(json!({
        "ok": true, "order_id": order.order_id, "order_no": order.order_no,
        "status": order.status.as_str(), "amount": money(&site, order.amount_minor),
        "refunded_amount": money(&site, refunded), "currency": site.currency.as_str(),
        "items": [{"product_id": order.product_id, "sku_id": order.sku_id, "quantity": order.quantity,
                   "total_price": money(&site, order.amount_minor)}],
        "fulfillment": order.fulfillment,
    }))
    .into_response()
}

async fn cancel_order(State(site): Site, Path(id): Path<u64>, caller: Signed) -> Response {
    let api_key = caller.api_key;
    let mut inner = site.lock();
    let refuse = inner.switches.refuse_cancel;
    let Some(order) = inner
        .orders
        .iter_mut()
        .find(|o| o.order_id == id && o.api_key == api_key)
    else {
        return error(404, "order_not_found", "order not found");
    };
    if refuse
        || !matches!(
            order.status,
            DujiaoOrderStatus::Paid | DujiaoOrderStatus::Canceled
        )
    {
        return error(409, "cancel_not_allowed", "order can no longer be canceled");
    }
    let refund = if order.status == DujiaoOrderStatus::Paid {
        order.amount_minor
    } else {
        0
    };
    order.status = DujiaoOrderStatus::Canceled;
    let answer = json!({"ok": true, "order_id": order.order_id, "order_no": order.order_no, "status": "canceled"});
    if let Some(wallet) = inner.credentials.get_mut(&api_key) {
        wallet.balance_minor += refund;
    }
    Json(answer).into_response()
}
