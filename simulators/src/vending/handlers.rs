//! Request handlers of the simulated vending platform.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use secrecy::SecretString;
use serde_json::json;
use switchyard_partners::vending::wire::{CreateOrder, DeliveryNotify, SignedBody};
use switchyard_partners::vending::{decode_payload, FloorStatus, RecordStatus, VendingOrderStatus};

use super::{Inner, Platform, SimOrder, SimRecord, VendingSimConfig};

fn answer(status: StatusCode, code: i64, message: &str, data: serde_json::Value) -> Response {
    (
        status,
        Json(json!({"code": code, "message": message, "data": data})),
    )
        .into_response()
}

fn refuse(code: i64, message: &str) -> Response {
    answer(StatusCode::OK, code, message, serde_json::Value::Null)
}

/// A refused call: HTTP status, platform code and message.
pub(super) struct Refusal(StatusCode, i64, &'static str);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        answer(self.0, self.1, self.2, serde_json::Value::Null)
    }
}

fn check_app(platform: &Platform, headers: &HeaderMap) -> Result<(), Refusal> {
    let get = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    match (get("Appid"), get("AppSecret")) {
        (Some(appid), Some(secret))
            if appid == platform.config.appid && secret == platform.config.app_secret =>
        {
            Ok(())
        }
        (None, _) => Err(Refusal(StatusCode::UNAUTHORIZED, 10008, "missing Appid")),
        _ => Err(Refusal(
            StatusCode::UNAUTHORIZED,
            10009,
            "invalid Appid or AppSecret",
        )),
    }
}

fn signed_params(platform: &Platform, body: &[u8]) -> Result<HashMap<String, String>, Refusal> {
    let key = SecretString::from(platform.config.merchant_key.clone());
    let payload: SignedBody = serde_json::from_slice(body)
        .map_err(|_| Refusal(StatusCode::OK, 4006, "invalid payload"))?;
    let params = decode_payload(&payload.payload, &key)
        .map_err(|_| Refusal(StatusCode::OK, 4006, "invalid sign"))?;
    Ok(params.into_iter().collect())
}

/// Closes unpaid orders past their expiry and returns their stock.
pub(super) fn expire(config: &VendingSimConfig, inner: &mut Inner) {
    let Inner { orders, stock, .. } = inner;
    for order in orders.iter_mut() {
        if order.status == VendingOrderStatus::Notpay
            && order.created.elapsed() >= config.order_expiry
        {
            order.status = VendingOrderStatus::Closed;
            return_stock(stock, order);
        }
    }
}

fn return_stock(stock: &mut HashMap<String, HashMap<String, (u32, i64)>>, order: &SimOrder) {
    if let Some(machine) = stock.get_mut(&order.machine_no) {
        for record in &order.records {
            if let Some((units, _)) = machine.get_mut(&record.product_id) {
                *units += 1;
            }
        }
    }
}

pub(super) async fn create(
    State(platform): State<Arc<Platform>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = check_app(&platform, &headers) {
        return refused.into_response();
    }
    let Ok(request) = serde_json::from_slice::<CreateOrder>(&body) else {
        return refuse(4001, "invalid order body");
    };
    let mut inner = platform.lock();
    expire(&platform.config, &mut inner);
    if let Some(existing) = inner
        .orders
        .iter()
        .find(|o| o.trade_id == request.trade_id.as_str())
    {
        return answer(
            StatusCode::OK,
            0,
            "ok",
            json!({"order_id": existing.order_id}),
        );
    }
    let order_id = (inner.orders.len() + 60).to_string();
    let Some(machine) = inner.stock.get_mut(request.machine_no.as_str()) else {
        return refuse(40001, "machine not found");
    };
    for line in &request.products {
        match machine.get(&line.product_id) {
            None => return refuse(60002, "product delisted"),
            Some((units, _)) if *units < line.quantity => {
                return refuse(60003, "insufficient stock")
            }
            Some(_) => {}
        }
    }
    let mut records = Vec::new();
    for line in &request.products {
        if let Some((units, price)) = machine.get_mut(&line.product_id) {
            *units -= line.quantity;
            for _ in 0..line.quantity {
                let id = format!("{order_id}-{}", records.len() + 1);
                records.push(SimRecord {
                    id,
                    product_id: line.product_id.clone(),
                    price: *price,
                    status: RecordStatus::WaitingPickedUp,
                });
            }
        }
    }
    inner.orders.push(SimOrder {
        order_id: order_id.clone(),
        trade_id: request.trade_id.to_string(),
        machine_no: request.machine_no.to_string(),
        status: VendingOrderStatus::Notpay,
        records,
        notify_url: request.notify_url,
        created: Instant::now(),
    });
    answer(StatusCode::OK, 0, "ok", json!({"order_id": order_id}))
}

pub(super) async fn update(
    State(platform): State<Arc<Platform>>,
    Path(order_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = check_app(&platform, &headers) {
        return refused.into_response();
    }
    let params = match signed_params(&platform, &body) {
        Ok(params) => params,
        Err(refused) => return refused.into_response(),
    };
    let mut inner = platform.lock();
    expire(&platform.config, &mut inner);
    let Inner { orders, stock, .. } = &mut *inner;
    let Some(order) = orders.iter_mut().find(|o| o.order_id == order_id) else {
        return refuse(40004, "order not found");
    };
    if order.status == VendingOrderStatus::Closed {
        return refuse(40005, "order expired");
    }
    if order.status != VendingOrderStatus::Notpay {
        return refuse(40006, "order status invalid");
    }
    match params.get("status").map(String::as_str) {
        Some("1") => order.status = VendingOrderStatus::Success,
        Some("2" | "3" | "4" | "5" | "6") => {
            order.status = VendingOrderStatus::Closed;
            return_stock(stock, order);
        }
        _ => return refuse(4001, "invalid status"),
    }
    answer(StatusCode::OK, 0, "ok", json!({}))
}

pub(super) async fn dispense(
    State(platform): State<Arc<Platform>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = check_app(&platform, &headers) {
        return refused.into_response();
    }
    let params = match signed_params(&platform, &body) {
        Ok(params) => params,
        Err(refused) => return refused.into_response(),
    };
    let get = |name: &str| params.get(name).cloned().unwrap_or_default();
    let (order_id, record_id) = (get("order_id"), get("record_id"));
    let mut inner = platform.lock();
    let machine_no = get("machine_no");
    if inner
        .machine_busy_until
        .get(&machine_no)
        .is_some_and(|until| *until > Instant::now())
    {
        return refuse(40007, "machine is dispensing");
    }
    let jammed = inner.jam_next > 0;
    let Some(order) = inner.orders.iter_mut().find(|o| o.order_id == order_id) else {
        return refuse(40004, "order not found");
    };
    if order.status != VendingOrderStatus::Success || order.machine_no != machine_no {
        return refuse(40006, "order status invalid");
    }
    let notify_url = order.notify_url.clone();
    let Some(record) = order.records.iter_mut().find(|r| r.id == record_id) else {
        return refuse(40004, "record not found");
    };
    if record.status != RecordStatus::WaitingPickedUp {
        return refuse(40006, "record already dispensed");
    }
    record.status = if jammed {
        RecordStatus::IsFailed
    } else {
        RecordStatus::IsSuccess
    };
    let notify = DeliveryNotify {
        method: "device.delivery.response".into(),
        order_id: order_id.clone(),
        record_id: record_id.clone(),
        deliver_status: if jammed { "0" } else { "1" }.into(),
        floor_status: if jammed {
            FloorStatus::Jammed
        } else {
            FloorStatus::Ok
        }
        .as_str()
        .into(),
        error_msg: if jammed { "slot jammed" } else { "" }.into(),
    };
    if jammed {
        inner.jam_next -= 1;
    }
    inner
        .machine_busy_until
        .insert(machine_no, Instant::now() + platform.config.dispense_lock);
    inner.notifications.push(notify.clone());
    drop(inner);
    let client = platform.notifier.clone();
    let recorder = Arc::clone(&platform);
    tokio::spawn(async move {
        // Unsigned and not retried: the merchant must confirm by querying the order.
        let answered = client
            .post(&notify_url)
            .json(&notify)
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .map_or(0, |response| response.status().as_u16());
        recorder
            .lock()
            .notify_deliveries
            .push((notify_url, answered));
    });
    let status = if jammed { "IS_FAILED" } else { "IS_SUCCESS" };
    let mut data = json!({"delivery_id": format!("d-{record_id}"),
        "delivered_at": chrono::Utc::now().to_rfc3339(), "status": status});
    if jammed {
        data["fail_reason"] = json!("slot jammed");
    }
    answer(StatusCode::OK, 0, "ok", data)
}

pub(super) async fn query(
    State(platform): State<Arc<Platform>>,
    Path(order_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = check_app(&platform, &headers) {
        return refused.into_response();
    }
    if let Err(refused) = signed_params(&platform, &body) {
        return refused.into_response();
    }
    let mut inner = platform.lock();
    expire(&platform.config, &mut inner);
    let Some(order) = inner.orders.iter().find(|o| o.order_id == order_id) else {
        return refuse(40004, "order not found");
    };
    let records: Vec<_> = order
        .records
        .iter()
        .map(|r| json!({"id": r.id, "product_id": r.product_id, "quantity": 1, "price": r.price, "status": r.status}))
        .collect();
    answer(
        StatusCode::OK,
        0,
        "ok",
        json!({"order_id": order.order_id, "status": order.status, "records": records}),
    )
}

pub(super) async fn list_orders(State(platform): State<Arc<Platform>>) -> Json<Vec<SimOrder>> {
    let mut inner = platform.lock();
    expire(&platform.config, &mut inner);
    Json(inner.orders.clone())
}

pub(super) async fn jam(
    State(platform): State<Arc<Platform>>,
    Path(count): Path<u32>,
) -> StatusCode {
    platform.lock().jam_next = count;
    StatusCode::NO_CONTENT
}
