//! 58 Daojia pushes and vending dispense reports.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use switchyard_topics::catalogue::names;

use crate::harness::{json_of, Harness};
use crate::signing::daojia_form;

const SECRET: &str = "daojia-shared-secret";
const FORM: &str = "application/x-www-form-urlencoded";

fn order_json(order_id: &str) -> String {
    json!({
        "orderId": order_id, "userMobile": "13800000000", "cityId": 1, "cityName": "Beijing",
        "serviceAddress": "No. 1 Example Road", "serviceBeginTime": "2026-01-01 10:00:00",
        "totalPrice": "88.00", "orderDetails": [{"goodsId": "G1", "goodsNumber": 1, "goodsPrice": "88.00"}]
    })
    .to_string()
}

fn millis_now() -> String {
    chrono::Utc::now().timestamp_millis().to_string()
}

async fn push(h: &Harness, form: String) -> (StatusCode, Value) {
    let (status, _, body) = h
        .send(Method::POST, "/daojia/notify", &[], form.into_bytes(), FORM)
        .await;
    (status, json_of(&body))
}

#[tokio::test]
async fn a_pushed_order_and_its_cancellation_each_produce_one_event_even_when_repeated() {
    let h = Harness::start().await;
    let connection = h.connection("daojia", None, json!({}), SECRET).await;
    let (_, sku) = h.sku(8_800, "CNY", -1).await;
    h.channel_product("daojia", connection, "G1", sku).await;
    let form = daojia_form(SECRET, "createOrder", &order_json("58-1"), &millis_now());
    let (status, answer) = push(&h, form.clone()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        answer,
        json!({"code": 200, "msg": "success", "data": {"order_id": "58-1", "status": "received"}})
    );
    let (_, repeat) = push(&h, form).await;
    assert_eq!(repeat, answer);
    // 58 may also re-push the same order with a fresh nonce and signature.
    let (_, re_signed) = push(
        &h,
        daojia_form(SECRET, "createOrder", &order_json("58-1"), &millis_now()),
    )
    .await;
    assert_eq!(re_signed, answer);
    assert_eq!(h.settled_count(names::ORDERS_ACCEPTED).await, 1);

    let cancel = json!({"orderId": "58-1", "cancelReason": "user"}).to_string();
    let (status, _) = push(
        &h,
        daojia_form(SECRET, "cancelOrder", &cancel, &millis_now()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    push(
        &h,
        daojia_form(SECRET, "cancelOrder", &cancel, &millis_now()),
    )
    .await;
    assert_eq!(h.settled_count(names::ORDERS_CHANNEL_UPDATES).await, 1);

    // The answered push says where its event is, and the broker serves that record there.
    let (event_id, partition, offset): (uuid::Uuid, Option<i32>, Option<i64>) = sqlx::query_as(
        "SELECT event_id, event_partition, event_offset FROM ingress_dedupe
         WHERE channel = 'daojia.cancel' AND dedupe_key = '58-1'",
    )
    .fetch_one(&h.pool)
    .await
    .expect("claimed");
    let (Some(partition), Some(offset)) = (partition, offset) else {
        panic!("a broker-confirmed push records its position");
    };
    let found = h
        .event_id_at(names::ORDERS_CHANNEL_UPDATES, partition, offset)
        .await;
    assert_eq!(found, Some(event_id.to_string()));
    h.stop().await;
}

#[tokio::test]
async fn bad_pushes_get_non_200_codes_and_produce_nothing() {
    let h = Harness::start().await;
    h.connection("daojia", None, json!({}), SECRET).await;
    let now = chrono::Utc::now().timestamp_millis();
    let cases: Vec<(&str, String, u16)> = vec![
        (
            "missing field",
            "funId=createOrder&nonce=n&timestamp=1".to_owned(),
            400,
        ),
        (
            "bad signature",
            daojia_form(
                "not-the-secret",
                "createOrder",
                &order_json("58-2"),
                &now.to_string(),
            ),
            401,
        ),
        (
            "stale",
            daojia_form(
                SECRET,
                "createOrder",
                &order_json("58-3"),
                &(now - 3_600_000).to_string(),
            ),
            403,
        ),
        (
            "future",
            daojia_form(
                SECRET,
                "createOrder",
                &order_json("58-4"),
                &(now + 3_600_000).to_string(),
            ),
            403,
        ),
        (
            "unknown funId",
            daojia_form(
                SECRET,
                "deleteEverything",
                &order_json("58-5"),
                &now.to_string(),
            ),
            400,
        ),
        (
            "malformed json",
            daojia_form(SECRET, "createOrder", "{oops", &now.to_string()),
            400,
        ),
        (
            "missing order field",
            daojia_form(
                SECRET,
                "createOrder",
                r#"{"orderId":"58-6"}"#,
                &now.to_string(),
            ),
            400,
        ),
        (
            "wrong type",
            daojia_form(
                SECRET,
                "createOrder",
                &order_json("58-7").replace("\"88.00\"", "[]"),
                &now.to_string(),
            ),
            400,
        ),
    ];
    for (label, form, code) in cases {
        let (status, answer) = push(&h, form).await;
        assert_eq!(status.as_u16(), code, "{label}: {answer}");
        assert_eq!(answer["code"], code, "{label}");
    }
    let huge = format!("daojiaJson={}", "a".repeat(300 * 1024));
    let (status, answer) = push(&h, huge).await;
    assert_eq!(
        (status, answer["code"].as_u64()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some(413))
    );
    assert_eq!(h.all_events().await, 0);
    h.stop().await;
}

#[tokio::test]
async fn vending_dispense_reports_are_queued_once_and_incomplete_ones_refused() {
    let h = Harness::start().await;
    let report = br#"{"method":"device.delivery.response","order_id":60,"record_id":"7","deliver_status":"1","floor_status":"1","error_msg":""}"#;
    let path = "/vending/notify?machine_no=12345678";
    let (status, _, body) = h
        .send(Method::POST, path, &[], report.to_vec(), "application/json")
        .await;
    assert_eq!(
        (status, json_of(&body)["code"].as_i64()),
        (StatusCode::OK, Some(0))
    );
    let (status, _, _) = h
        .send(Method::POST, path, &[], report.to_vec(), "application/json")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h.settled_count(names::VENDING_DISPENSE_RESULTS).await, 1);

    for (label, path, body) in [
        ("no machine", "/vending/notify", report.to_vec()),
        (
            "no record",
            path,
            br#"{"order_id":60,"deliver_status":"1"}"#.to_vec(),
        ),
        ("not json", path, b"deliver_status=1".to_vec()),
    ] {
        let (status, _, _) = h
            .send(Method::POST, path, &[], body, "application/json")
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{label}");
    }
    assert_eq!(h.settled_count(names::VENDING_DISPENSE_RESULTS).await, 1);
    h.stop().await;
}
