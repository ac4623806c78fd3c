//! The simulated Dujiao-Next site's replay check, as the ingress's: a byte-identical retry of an
//! idempotent call inside the window is answered as the first (one order, one debit); the same
//! signature over another request (here another query string, which is not signed) is refused.

use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{json, Value};
use switchyard_partners::dujiao::{sign, HEADER_API_KEY, HEADER_SIGNATURE, HEADER_TIMESTAMP};
use switchyard_simulators::dujiao::{DujiaoSimConfig, DujiaoSimulator};

const KEY: &str = "key-r";
const SECRET: &str = "secret-r";

async fn send(
    base: &str,
    method: reqwest::Method,
    target: &str,
    timestamp: i64,
    body: &[u8],
) -> (StatusCode, Value) {
    let path = target.split('?').next().unwrap_or(target);
    let secret = SecretString::from(SECRET);
    let signature = sign(&secret, method.as_str(), path, timestamp, body);
    let response = reqwest::Client::new()
        .request(method, format!("{base}{target}"))
        .header(HEADER_API_KEY, KEY)
        .header(HEADER_TIMESTAMP, timestamp.to_string())
        .header(HEADER_SIGNATURE, signature.to_hex())
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_identical_retry_is_answered_and_another_query_under_the_same_signature_is_refused() {
    let sim = DujiaoSimulator::new(DujiaoSimConfig::default().with_credential(KEY, SECRET, 1_000));
    let handle = sim.spawn().await.expect("simulator");
    let base = handle.base_url();
    let now = chrono::Utc::now().timestamp();
    let body = serde_json::to_vec(&json!({
        "sku_id": 12, "quantity": 1, "manual_form_data": {}, "downstream_order_no": "R-1",
        "trace_id": "t", "callback_url": "http://127.0.0.1:9/callback"
    }))
    .expect("json");
    let orders = "/api/v1/upstream/orders";
    let post = reqwest::Method::POST;
    let (status, first) = send(&base, post.clone(), orders, now, &body).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let (status, again) = send(&base, post.clone(), orders, now, &body).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["order_id"], first["order_id"]);
    assert_eq!(sim.orders().len(), 1);
    assert_eq!(sim.balance(KEY), Some(1_000 - 150), "debited once");

    let cancel = format!("{orders}/{}/cancel", first["order_id"]);
    for _ in 0..2 {
        let (status, canceled) = send(&base, post.clone(), &cancel, now, b"").await;
        assert_eq!(
            (status, canceled["status"].as_str()),
            (StatusCode::OK, Some("canceled")),
            "{canceled}"
        );
    }
    assert_eq!(sim.balance(KEY), Some(1_000), "refunded once");

    let products = "/api/v1/upstream/products";
    let get = reqwest::Method::GET;
    let (status, _) = send(&base, get.clone(), &format!("{products}?page=1"), now, b"").await;
    assert_eq!(status, StatusCode::OK);
    let (status, refused) = send(&base, get, &format!("{products}?page=2"), now, b"").await;
    assert_eq!(
        (status, refused["error_code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_signature")),
        "{refused}"
    );
}
