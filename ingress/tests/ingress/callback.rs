//! The Dujiao-Next callback receiver for our upstream connections.

use reqwest::{Method, StatusCode};
use serde_json::json;
use switchyard_topics::catalogue::names;

use crate::harness::{json_of, now_secs, Harness};
use crate::signing::dujiao_headers;

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
