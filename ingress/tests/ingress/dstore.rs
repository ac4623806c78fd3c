//! D-Store POS endpoints: RSA-signed by the test, answers verified with the public key.

use chrono::{SecondsFormat, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use switchyard_topics::catalogue::names;

use crate::harness::{json_of, Harness};
use crate::signing::{
    dstore_answer_verifies, dstore_answer_verifies_with, dstore_public_pem, dstore_signature,
};

const CLIENT_ID: &str = "2022-DSTORE-TEST";

/// An ingress with an active D-Store connection and a SKU mapped from `posProductId` = its id.
pub(crate) async fn setup() -> (Harness, i64) {
    let h = Harness::start().await;
    let pos_key = crate::signing::dstore_private_pem();
    let connection = h
        .connection(
            "dstore",
            Some(CLIENT_ID),
            json!({ "dstore_public_key": dstore_public_pem() }),
            &pos_key,
        )
        .await;
    let (_, sku_id) = h.sku(1_500, "SGD", -1).await;
    h.channel_product("dstore", connection, &sku_id.to_string(), sku_id)
        .await;
    (h, sku_id)
}

pub(crate) fn signed_headers(path: &str, body: &[u8]) -> Vec<(&'static str, String)> {
    let time = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
    let signature = dstore_signature("POST", path, CLIENT_ID, &time, body);
    vec![
        ("Client-Id", CLIENT_ID.to_owned()),
        ("Request-Time", time),
        (
            "Signature",
            format!("algorithm=RSA256,keyVersion=1,signature={signature}"),
        ),
    ]
}

/// Sends a signed request; asserts the answer is signed by our POS key; returns its JSON.
pub(crate) async fn call(h: &Harness, path: &str, body: &[u8]) -> (StatusCode, Value) {
    let (status, headers, answer) = h
        .send(
            Method::POST,
            path,
            &signed_headers(path, body),
            body.to_vec(),
            "application/json",
        )
        .await;
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        dstore_answer_verifies(
            path,
            &header("client-id"),
            &header("response-time"),
            &header("signature"),
            &answer
        ),
        "answer to {path} must be signed by the POS key"
    );
    (status, json_of(&answer))
}

pub(crate) fn create_body(request_order_id: &str, sku_id: i64) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "requestOrderId": request_order_id, "posAccountId": "acc-1", "posStoreId": "store-1",
        "serviceType": "PICKUP", "customer": {"name": "Alice", "phone": "+6590000000"},
        "orderProducts": [{"posProductId": sku_id.to_string(), "quantity": 2}],
        "orderAmount": {"value": 3000, "currency": "SGD"}
    }))
    .expect("json")
}

#[tokio::test]
async fn create_inquire_and_push_change_with_repeats_producing_one_event_each() {
    let (h, sku_id) = setup().await;
    let create = "/v2/pos/createOrder";
    let body = create_body("RO-1", sku_id);
    let (status, first) = call(&h, create, &body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["result"]["resultStatus"], "S", "{first}");
    let (_, repeat) = call(&h, create, &body).await;
    assert_eq!(
        repeat["posOrderId"], first["posOrderId"],
        "a repeat returns the same posOrderId"
    );
    assert_eq!(h.settled_count(names::ORDERS_ACCEPTED).await, 1);

    let inquire = "/v2/pos/inquireOrderDetail";
    let (_, detail) = call(&h, inquire, br#"{"requestOrderId":"RO-1"}"#).await;
    assert_eq!(detail["result"]["resultStatus"], "S");
    // Durably taken is the store's acceptance (partners/src/dstore/mapping.rs).
    assert_eq!(detail["orderStatus"], "ACCEPTED");
    assert_eq!(detail["posOrderId"], first["posOrderId"]);
    let (_, unknown) = call(&h, inquire, br#"{"requestOrderId":"RO-404"}"#).await;
    assert_eq!(
        (
            unknown["result"]["resultStatus"].as_str(),
            unknown["result"]["resultCode"].as_str()
        ),
        (Some("F"), Some("ORDER_NOT_EXIST"))
    );

    let push = "/v2/pos/pushOrderChange";
    let change = br#"{"requestId":"REQ-1","requestOrderId":"RO-1","orderStatus":"CANCELLED","reason":"customer"}"#;
    let (_, pushed) = call(&h, push, change).await;
    assert_eq!(pushed["result"]["resultStatus"], "S", "{pushed}");
    let (_, pushed_again) = call(&h, push, change).await;
    assert_eq!(pushed_again["result"]["resultStatus"], "S");
    assert_eq!(h.settled_count(names::ORDERS_CHANNEL_UPDATES).await, 1);

    let phone_in_orders: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM order_contacts WHERE contact_phone = '+6590000000')",
    )
    .fetch_one(&h.pool)
    .await
    .expect("query");
    assert!(
        phone_in_orders,
        "the customer is kept apart in order_contacts"
    );
    h.stop().await;
}

#[tokio::test]
async fn bad_d_store_requests_get_f_codes_and_produce_nothing() {
    let (h, sku_id) = setup().await;
    let path = "/v2/pos/createOrder";
    let body = create_body("RO-bad", sku_id);
    let code = |answer: &[u8]| {
        let answer = json_of(answer);
        (
            answer["result"]["resultStatus"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            answer["result"]["resultCode"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    };
    let f = |c: &str| ("F".to_owned(), c.to_owned());

    let (_, _, answer) = h
        .send(Method::POST, path, &[], body.clone(), "application/json")
        .await;
    assert_eq!(code(&answer), f("ACCESS_DENIED"), "no Client-Id");

    let mut unknown = signed_headers(path, &body);
    unknown[0].1 = "someone-else".to_owned();
    let (_, _, answer) = h
        .send(
            Method::POST,
            path,
            &unknown,
            body.clone(),
            "application/json",
        )
        .await;
    assert_eq!(code(&answer), f("ACCESS_DENIED"), "unknown Client-Id");

    let mut unsigned = signed_headers(path, &body);
    unsigned.pop();
    let (_, _, answer) = h
        .send(
            Method::POST,
            path,
            &unsigned,
            body.clone(),
            "application/json",
        )
        .await;
    assert_eq!(code(&answer), f("INVALID_SIGNATURE"), "missing signature");

    let other_body = create_body("RO-other", sku_id);
    let wrong = signed_headers(path, &other_body);
    let (_, _, answer) = h
        .send(Method::POST, path, &wrong, body.clone(), "application/json")
        .await;
    assert_eq!(
        code(&answer),
        f("INVALID_SIGNATURE"),
        "signature over another body"
    );

    let mut no_time = signed_headers(path, &body);
    no_time.remove(1);
    let (_, _, answer) = h
        .send(
            Method::POST,
            path,
            &no_time,
            body.clone(),
            "application/json",
        )
        .await;
    assert_eq!(code(&answer), f("PARAM_ILLEGAL"), "missing Request-Time");

    for (label, raw) in [
        ("malformed json", b"{oops".to_vec()),
        ("missing field", br#"{"posAccountId":"a","posStoreId":"s","orderProducts":[],"orderAmount":{"value":1,"currency":"SGD"}}"#.to_vec()),
        ("wrong type", br#"{"requestOrderId":1,"posAccountId":"a","posStoreId":"s","orderProducts":[],"orderAmount":{"value":1,"currency":"SGD"}}"#.to_vec()),
        ("unknown product", create_body("RO-x", 999_999)),
    ] {
        let (status, answer) = call(&h, path, &raw).await;
        assert_eq!(status, StatusCode::OK, "{label}");
        assert_eq!(
            (answer["result"]["resultStatus"].as_str(), answer["result"]["resultCode"].as_str()),
            (Some("F"), Some("PARAM_ILLEGAL")),
            "{label}: {answer}"
        );
    }

    let huge = vec![b' '; 300 * 1024];
    let (status, _, answer) = h
        .send(
            Method::POST,
            path,
            &signed_headers(path, &huge),
            huge,
            "application/json",
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(code(&answer), f("PARAM_ILLEGAL"));

    assert_eq!(h.all_events().await, 0, "nothing reached a topic");
    h.stop().await;
}

/// The POS key is parsed once and cached; rotating it through the operator API must take effect
/// on the very next answer.
#[tokio::test]
async fn a_rotated_pos_key_signs_the_next_answer() {
    use rsa::pkcs8::DecodePrivateKey;

    let h = Harness::start().await;
    let connection = h
        .connection(
            "dstore",
            Some(CLIENT_ID),
            json!({ "dstore_public_key": dstore_public_pem() }),
            &crate::signing::dstore_private_pem(),
        )
        .await;
    let inquire = "/v2/pos/inquireOrderDetail";
    let body = br#"{"requestOrderId":"RO-unknown"}"#;
    call(&h, inquire, body).await; // signed by the first key (asserted inside)

    // A second 2048-bit key (the POS signer takes 2048 to 4096 bits; generating one is slow).
    let pem = include_str!("rotated_pos_key.pem");
    let rotated = rsa::RsaPrivateKey::from_pkcs8_pem(pem).expect("key");
    let (status, answer) = h
        .operator(
            Method::PUT,
            &format!("/admin/v1/connections/{connection}/secret"),
            Some(json!({ "secret": pem })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{answer}");

    let (status, headers, answer) = h
        .send(
            Method::POST,
            inquire,
            &signed_headers(inquire, body),
            body.to_vec(),
            "application/json",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (time, signature) = (header("response-time"), header("signature"));
    assert!(
        dstore_answer_verifies_with(
            rotated.to_public_key(),
            inquire,
            CLIENT_ID,
            &time,
            &signature,
            &answer
        ),
        "the answer is signed with the rotated key"
    );
    assert!(
        !dstore_answer_verifies(inquire, CLIENT_ID, &time, &signature, &answer),
        "the old key no longer signs"
    );
}

const SIGNED: &str = "switchyard_ingress_dstore_answers_signed_total";

/// A known `Client-Id` is public; a request that does not verify must not cost a private-key
/// operation, so its refusal goes out unsigned.
#[tokio::test]
async fn a_refusal_of_an_unverified_request_is_unsigned_and_costs_no_signature() {
    let (h, _) = setup().await;
    let path = "/v2/pos/inquireOrderDetail";
    let body = br#"{"requestOrderId":"RO-1"}"#.to_vec();
    let mut garbage = signed_headers(path, &body);
    garbage[2].1 = "algorithm=RSA256,keyVersion=1,signature=Z2FyYmFnZQ%3D%3D".to_owned();
    let mut missing = signed_headers(path, &body);
    missing.pop();
    let other = signed_headers(path, br#"{"requestOrderId":"RO-2"}"#);
    for (label, headers) in [
        ("garbage", garbage),
        ("missing", missing),
        ("other body", other),
    ] {
        let (status, answer_headers, answer) = h
            .send(
                Method::POST,
                path,
                &headers,
                body.clone(),
                "application/json",
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{label}");
        let answer = json_of(&answer);
        assert_eq!(answer["result"]["resultStatus"], "F", "{label}: {answer}");
        assert_eq!(
            answer["result"]["resultCode"], "INVALID_SIGNATURE",
            "{label}"
        );
        for header in ["signature", "response-time"] {
            assert!(
                answer_headers.get(header).is_none(),
                "{label}: the refusal carries no {header} header"
            );
        }
    }
    assert_eq!(h.metric(SIGNED), Some(0.0), "no private-key operation");

    // A verified request's answer is still signed, and verifies with the POS public key.
    let (_, answer) = call(&h, path, &body).await;
    assert_eq!(answer["result"]["resultCode"], "ORDER_NOT_EXIST");
    assert_eq!(h.metric(SIGNED), Some(1.0));
    h.stop().await;
}
