//! Dujiao-Next provider API and callback receiver, signed by the test itself.

use std::collections::HashSet;
use std::sync::Mutex;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use switchyard_topics::catalogue::names;

use crate::harness::{json_of, now_secs, Harness, Site};
use crate::signing::dujiao_headers;

/// Signs with a timestamp no earlier identical request of this process used, so that each call
/// is a request of its own rather than a byte-identical retry of an earlier one (which the
/// ingress would answer as it answered the first).
pub async fn call(
    h: &Harness,
    site: &Site,
    method: Method,
    path: &str,
    body: &[u8],
) -> (StatusCode, Value) {
    static USED: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let now = now_secs();
    // The query is not signed: calls that differ only in it share a signature unless their
    // timestamps differ.
    let signed_path = path.split('?').next().unwrap_or(path);
    let timestamp = {
        let mut used = USED.lock().expect("lock");
        let used = used.get_or_insert_with(HashSet::new);
        (0..50)
            .flat_map(|step| [now - step, now + step])
            .find(|candidate| {
                used.insert(format!(
                    "{}|{method}|{signed_path}|{}|{candidate}",
                    site.api_key,
                    hex::encode(body)
                ))
            })
            .expect("a free timestamp within the window")
    };
    call_at(h, site, method, path, body, timestamp).await
}

pub async fn call_at(
    h: &Harness,
    site: &Site,
    method: Method,
    path: &str,
    body: &[u8],
    timestamp: i64,
) -> (StatusCode, Value) {
    let signed_path = path.split('?').next().unwrap_or(path);
    let headers = dujiao_headers(
        &site.api_key,
        &site.secret,
        method.as_str(),
        signed_path,
        timestamp,
        body,
    );
    let (status, _, body) = h
        .send(method, path, &headers, body.to_vec(), "application/json")
        .await;
    (status, json_of(&body))
}

pub fn order_body(sku_id: i64, quantity: u32, downstream_order_no: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "sku_id": sku_id, "quantity": quantity, "manual_form_data": {},
        "downstream_order_no": downstream_order_no, "trace_id": "t-1",
        "callback_url": "http://127.0.0.1:9/api/v1/upstream/callback"
    }))
    .expect("json")
}

#[tokio::test]
async fn a_downstream_site_browses_buys_repeats_reads_and_cancels() {
    let h = Harness::start().await;
    let site = h.site(10_000, "CNY").await;
    let (product_id, sku_id) = h.sku(1_250, "CNY", 5).await;

    let (status, ping) = call(&h, &site, Method::POST, "/api/v1/upstream/ping", b"").await;
    assert_eq!(status, StatusCode::OK, "{ping}");
    assert_eq!(ping["balance"], "100.00");
    assert_eq!(ping["protocol_version"], "1.0");

    let (status, categories) =
        call(&h, &site, Method::GET, "/api/v1/upstream/categories", b"").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(categories["ok"], true);

    let (status, page) = call(
        &h,
        &site,
        Method::GET,
        "/api/v1/upstream/products?page=1&page_size=100",
        b"",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["page_size"], 50, "page size is capped at 50");
    assert_eq!(page["items"][0]["skus"][0]["price_amount"], "12.50");

    let (status, product) = call(
        &h,
        &site,
        Method::GET,
        &format!("/api/v1/upstream/products/{product_id}"),
        b"",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(product["product"]["id"], product_id);
    let (status, missing) = call(
        &h,
        &site,
        Method::GET,
        "/api/v1/upstream/products/999999",
        b"",
    )
    .await;
    assert_eq!(
        (status, missing["error_code"].as_str()),
        (StatusCode::NOT_FOUND, Some("product_not_found"))
    );

    let body = order_body(sku_id, 2, "D-1001");
    let (status, first) = call(&h, &site, Method::POST, "/api/v1/upstream/orders", &body).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(
        (first["ok"].as_bool(), first["status"].as_str()),
        (Some(true), Some("paid"))
    );
    assert_eq!(first["amount"], "25.00");
    let (status, repeat) = call(&h, &site, Method::POST, "/api/v1/upstream/orders", &body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(repeat, first, "a repeat gets the same order");
    assert_eq!(
        h.settled_count(names::ORDERS_ACCEPTED).await,
        1,
        "exactly one event"
    );
    let (_, ping) = call(&h, &site, Method::POST, "/api/v1/upstream/ping", b"").await;
    assert_eq!(ping["balance"], "75.00", "debited once");

    let order_id = first["order_id"].as_u64().expect("numeric order id");
    let (status, detail) = call(
        &h,
        &site,
        Method::GET,
        &format!("/api/v1/upstream/orders/{order_id}"),
        b"",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["order_no"], first["order_no"]);
    assert_eq!(detail["items"][0]["quantity"], 2);

    let cancel_path = format!("/api/v1/upstream/orders/{order_id}/cancel");
    let (status, canceled) = call(&h, &site, Method::POST, &cancel_path, b"").await;
    assert_eq!(
        (status, canceled["status"].as_str()),
        (StatusCode::OK, Some("canceled")),
        "{canceled}"
    );
    let (status, again) = call(&h, &site, Method::POST, &cancel_path, b"").await;
    assert_eq!((status, again), (StatusCode::OK, canceled));
    assert_eq!(h.settled_count(names::ORDERS_STATUS_CHANGED).await, 1);
    let (_, ping) = call(&h, &site, Method::POST, "/api/v1/upstream/ping", b"").await;
    assert_eq!(ping["balance"], "100.00", "refunded on cancel");

    let (status, unknown) = call(
        &h,
        &site,
        Method::GET,
        "/api/v1/upstream/orders/424242",
        b"",
    )
    .await;
    assert_eq!(
        (status, unknown["error_code"].as_str()),
        (StatusCode::NOT_FOUND, Some("order_not_found"))
    );
    h.stop().await;
}
