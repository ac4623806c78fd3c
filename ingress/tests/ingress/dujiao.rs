//! Dujiao-Next provider API and callback receiver, signed by the test itself.

use std::collections::HashSet;
use std::sync::Mutex;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use switchyard_topics::catalogue::names;

use crate::harness::{json_of, now_secs, Harness, Site};
use crate::signing::dujiao_headers;

/// Signs with a timestamp no earlier identical request of this process used, so identical
/// requests sent within one second are not (rightly) refused as replays.
async fn call(
    h: &Harness,
    site: &Site,
    method: Method,
    path: &str,
    body: &[u8],
) -> (StatusCode, Value) {
    static USED: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let now = now_secs();
    let timestamp = {
        let mut used = USED.lock().expect("lock");
        let used = used.get_or_insert_with(HashSet::new);
        (0..50)
            .flat_map(|step| [now - step, now + step])
            .find(|candidate| {
                used.insert(format!(
                    "{}|{method}|{path}|{}|{candidate}",
                    site.api_key,
                    hex::encode(body)
                ))
            })
            .expect("a free timestamp within the window")
    };
    call_at(h, site, method, path, body, timestamp).await
}

async fn call_at(
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

fn order_body(sku_id: i64, quantity: u32, downstream_order_no: &str) -> Vec<u8> {
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

#[tokio::test]
async fn every_bad_request_class_is_refused_in_protocol_format_and_produces_nothing() {
    let h = Harness::start().await;
    let site = h.site(1_000, "CNY").await;
    let (_, sku_id) = h.sku(500, "CNY", 1).await;
    let (_, usd_sku) = h.sku(100, "USD", -1).await;
    let orders = "/api/v1/upstream/orders";
    let good = order_body(sku_id, 1, "D-ok");
    let now = now_secs();

    let expect = |label: &str, got: (StatusCode, Value), status: StatusCode, code: &str| {
        assert_eq!(got.0, status, "{label}: {}", got.1);
        assert_eq!(got.1["ok"], false, "{label}");
        assert_eq!(got.1["error_code"], code, "{label}");
    };

    let (status, _, body) = h
        .send(Method::POST, orders, &[], good.clone(), "application/json")
        .await;
    expect(
        "no headers",
        (status, json_of(&body)),
        StatusCode::UNAUTHORIZED,
        "missing_auth_headers",
    );

    let mut forged = dujiao_headers(&site.api_key, &site.secret, "POST", orders, now, &good);
    forged[2].1 = "0".repeat(64);
    let (status, _, body) = h
        .send(
            Method::POST,
            orders,
            &forged,
            good.clone(),
            "application/json",
        )
        .await;
    expect(
        "bad signature",
        (status, json_of(&body)),
        StatusCode::UNAUTHORIZED,
        "invalid_signature",
    );

    let tampered = dujiao_headers(&site.api_key, &site.secret, "POST", orders, now, b"{}");
    let (status, _, body) = h
        .send(
            Method::POST,
            orders,
            &tampered,
            good.clone(),
            "application/json",
        )
        .await;
    expect(
        "body changed after signing",
        (status, json_of(&body)),
        StatusCode::UNAUTHORIZED,
        "invalid_signature",
    );

    let mut bad_ts = dujiao_headers(&site.api_key, &site.secret, "POST", orders, now, &good);
    bad_ts[1].1 = "yesterday".to_owned();
    let (status, _, body) = h
        .send(
            Method::POST,
            orders,
            &bad_ts,
            good.clone(),
            "application/json",
        )
        .await;
    expect(
        "non-numeric timestamp",
        (status, json_of(&body)),
        StatusCode::UNAUTHORIZED,
        "invalid_timestamp",
    );

    expect(
        "stale",
        call_at(&h, &site, Method::POST, orders, &good, now - 120).await,
        StatusCode::UNAUTHORIZED,
        "timestamp_expired",
    );
    expect(
        "future",
        call_at(&h, &site, Method::POST, orders, &good, now + 120).await,
        StatusCode::UNAUTHORIZED,
        "timestamp_expired",
    );

    let stranger = Site {
        api_key: "dk_unknown_key_0000".to_owned(),
        ..site.clone()
    };
    expect(
        "unknown key",
        call(&h, &stranger, Method::POST, orders, &good).await,
        StatusCode::FORBIDDEN,
        "invalid_api_key",
    );

    // Replay: the very same signed request twice.
    let ping = "/api/v1/upstream/ping";
    let signed = dujiao_headers(&site.api_key, &site.secret, "POST", ping, now, b"");
    let (status, _, _) = h
        .send(Method::POST, ping, &signed, Vec::new(), "application/json")
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, body) = h
        .send(Method::POST, ping, &signed, Vec::new(), "application/json")
        .await;
    expect(
        "replayed signature",
        (status, json_of(&body)),
        StatusCode::UNAUTHORIZED,
        "invalid_signature",
    );

    // Pending and disabled credentials.
    let pending = {
        let (_, user) = h
            .operator(
                Method::POST,
                "/admin/v1/users",
                Some(json!({"label": "pending", "currency": "CNY"})),
            )
            .await;
        let (_, credential) = h
            .operator(
                Method::POST,
                "/admin/v1/credentials",
                Some(json!({"user_id": user["id"]})),
            )
            .await;
        Site {
            user_id: user["id"].as_i64().unwrap_or_default(),
            credential_id: credential["id"].as_i64().unwrap_or_default(),
            api_key: credential["api_key"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            secret: credential["secret"].as_str().unwrap_or_default().to_owned(),
        }
    };
    expect(
        "pending credential",
        call(&h, &pending, Method::POST, orders, &good).await,
        StatusCode::FORBIDDEN,
        "user_disabled",
    );
    let disabled = h.site(1_000, "CNY").await;
    h.operator(
        Method::POST,
        &format!("/admin/v1/credentials/{}/disable", disabled.credential_id),
        None,
    )
    .await;
    expect(
        "disabled credential",
        call(&h, &disabled, Method::POST, orders, &good).await,
        StatusCode::FORBIDDEN,
        "user_disabled",
    );

    expect(
        "malformed json",
        call(&h, &site, Method::POST, orders, b"{not json").await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    let missing = serde_json::to_vec(&json!({"sku_id": sku_id, "quantity": 1})).expect("json");
    expect(
        "missing field",
        call(&h, &site, Method::POST, orders, &missing).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    let wrong_type = serde_json::to_vec(&json!({
        "sku_id": "one", "quantity": 1, "downstream_order_no": "x", "callback_url": "http://127.0.0.1/cb"
    }))
    .expect("json");
    expect(
        "wrong type",
        call(&h, &site, Method::POST, orders, &wrong_type).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    let mut ftp = order_body(sku_id, 1, "D-ftp");
    ftp = String::from_utf8(ftp)
        .expect("utf8")
        .replace("http://127.0.0.1:9", "ftp://example.com")
        .into_bytes();
    expect(
        "bad callback url",
        call(&h, &site, Method::POST, orders, &ftp).await,
        StatusCode::BAD_REQUEST,
        "invalid_callback_url",
    );

    let huge = vec![b' '; 300 * 1024];
    expect(
        "oversized",
        call(&h, &site, Method::POST, orders, &huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "bad_request",
    );

    expect(
        "no stock",
        call(
            &h,
            &site,
            Method::POST,
            orders,
            &order_body(sku_id, 2, "D-stock"),
        )
        .await,
        StatusCode::CONFLICT,
        "insufficient_stock",
    );
    expect(
        "unknown sku",
        call(
            &h,
            &site,
            Method::POST,
            orders,
            &order_body(987_654, 1, "D-sku"),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "sku_unavailable",
    );
    let poor = h.site(100, "CNY").await;
    expect(
        "poor",
        call(
            &h,
            &poor,
            Method::POST,
            orders,
            &order_body(sku_id, 1, "D-poor"),
        )
        .await,
        StatusCode::PAYMENT_REQUIRED,
        "insufficient_balance",
    );

    let (status, failed) = call(
        &h,
        &site,
        Method::POST,
        orders,
        &order_body(usd_sku, 1, "D-usd"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "payment failure is HTTP 200");
    assert_eq!(
        (failed["ok"].as_bool(), failed["error_code"].as_str()),
        (Some(false), Some("payment_failed"))
    );
    assert_eq!(failed["status"], "canceled");

    assert_eq!(h.all_events().await, 0, "nothing reached a topic");
    let (_, wallet) = h
        .operator(
            Method::GET,
            &format!("/admin/v1/wallets/{}", poor.user_id),
            None,
        )
        .await;
    assert_eq!(
        wallet["balance_minor"], 100,
        "a refused order debits nothing"
    );
    h.stop().await;
}

#[tokio::test]
async fn upstream_callbacks_are_verified_on_the_literal_path_and_deduplicated() {
    let h = Harness::start().await;
    let key = "our-key-at-upstream";
    let secret = "upstream-shared-secret";
    h.connection("dujiao_upstream", Some(key), json!({}), secret)
        .await;
    let path = "/api/v1/upstream/callback";
    let body = serde_json::to_vec(&json!({
        "event": "order.fulfilled", "order_id": 77, "order_no": "UP77", "downstream_order_no": "PO-1",
        "status": "delivered", "timestamp": now_secs(),
        "fulfillment": {"type": "auto", "status": "delivered", "payload": "CARD-CODE", "delivered_at": "2026-01-01T00:00:00Z"}
    }))
    .expect("json");
    let hr = &h;
    let send = move |timestamp: i64, secret: &'static str, body: Vec<u8>| {
        let headers = dujiao_headers(key, secret, "POST", path, timestamp, &body);
        async move {
            let (status, _, answer) = hr
                .send(Method::POST, path, &headers, body, "application/json")
                .await;
            (status, json_of(&answer))
        }
    };
    let (status, ack) = send(now_secs(), secret, body.clone()).await;
    assert_eq!(
        (status, ack["ok"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{ack}"
    );
    // The sender retries with a fresh signature: acknowledged again, no second event.
    let (status, ack) = send(now_secs() - 5, secret, body.clone()).await;
    assert_eq!(
        (status, ack["ok"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{ack}"
    );
    assert_eq!(h.settled_count(names::UPSTREAM_CALLBACKS).await, 1);

    let (status, refused) = send(now_secs(), "wrong-secret", body.clone()).await;
    assert_eq!(
        (status, refused["ok"].as_bool()),
        (StatusCode::OK, Some(false))
    );
    assert_eq!(refused["message"], "invalid_signature");
    let (_, refused) = send(now_secs() - 300, secret, body.clone()).await;
    assert_eq!(refused["message"], "timestamp_expired");
    let (_, refused) = send(
        now_secs(),
        secret,
        b"{\"event\":\"order.fulfilled\"}".to_vec(),
    )
    .await;
    assert_eq!(refused["message"], "bad_request");
    assert_eq!(
        h.settled_count(names::UPSTREAM_CALLBACKS).await,
        1,
        "refusals produce nothing"
    );
    h.stop().await;
}
