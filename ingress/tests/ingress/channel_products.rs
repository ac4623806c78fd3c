//! Channel product mappings: the operator API that manages them, and the D-Store and 58 orders
//! that need them (an unmapped line is refused in the partner's format; nothing is stored or
//! produced), plus 58 pushes whose ids are JSON numbers.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use switchyard_topics::catalogue::names;

use crate::dstore::{call, create_body, setup};
use crate::harness::{json_of, Harness};
use crate::signing::daojia_form;

const SECRET: &str = "daojia-shared-secret";
const FORM: &str = "application/x-www-form-urlencoded";

async fn orders_stored(h: &Harness) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(&h.pool)
        .await
        .expect("count orders")
}

async fn push(h: &Harness, fun_id: &str, daojia_json: &str) -> (StatusCode, Value) {
    let now = chrono::Utc::now().timestamp_millis().to_string();
    let form = daojia_form(SECRET, fun_id, daojia_json, &now);
    let (status, _, body) = h
        .send(Method::POST, "/daojia/notify", &[], form.into_bytes(), FORM)
        .await;
    (status, json_of(&body))
}

/// A 58 order as 58 sends it: every id a JSON number, prices in yuan.
fn numeric_order(order_id: u64, goods_id: u64) -> String {
    json!({
        "orderId": order_id, "userMobile": "13800000000", "cityId": 1, "cityName": "Beijing",
        "serviceAddress": "No. 1 Example Road", "serviceBeginTime": "2026-01-01 10:00:00",
        "totalPrice": 88.0,
        "orderDetails": [{"goodsId": goods_id, "goodsNumber": 1, "goodsPrice": "88.00"}]
    })
    .to_string()
}

#[tokio::test]
async fn operators_create_list_and_delete_mappings_with_each_refusal() {
    let h = Harness::start().await;
    let dstore = h.connection("dstore", Some("C-1"), json!({}), "k").await;
    let daojia = h.connection("daojia", None, json!({}), SECRET).await;
    let (_, sku) = h.sku(1_000, "CNY", -1).await;
    let (_, other_sku) = h.sku(2_000, "CNY", -1).await;
    let path = "/admin/v1/channel-products";
    let body = |channel: &str, connection: i64, id: &str, sku: i64| {
        Some(json!({
            "channel": channel, "connection_id": connection,
            "channel_product_id": id, "sku_id": sku
        }))
    };

    let (status, created) = h
        .operator(Method::POST, path, body("daojia", daojia, "1", sku))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(
        (
            created["channel"].as_str(),
            created["connection_id"].as_i64(),
            created["channel_product_id"].as_str(),
            created["sku_id"].as_i64()
        ),
        (Some("daojia"), Some(daojia), Some("1"), Some(sku))
    );
    h.channel_product("dstore", dstore, "latte", other_sku)
        .await;

    for (label, request, want, error) in [
        (
            "duplicate",
            body("daojia", daojia, "1", other_sku),
            StatusCode::CONFLICT,
            "duplicate",
        ),
        (
            "connection of another kind",
            body("daojia", dstore, "2", sku),
            StatusCode::BAD_REQUEST,
            "invalid",
        ),
        (
            "unknown connection",
            body("daojia", 999_999, "2", sku),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "unknown SKU",
            body("daojia", daojia, "2", 999_999),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "channel that is not mapped",
            body("dujiao_downstream", daojia, "2", sku),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "empty id",
            body("daojia", daojia, "  ", sku),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "unknown field",
            Some(json!({"channel": "daojia", "connection_id": daojia,
                        "channel_product_id": "3", "sku_id": sku, "price": 1})),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
    ] {
        let (status, answer) = h.operator(Method::POST, path, request).await;
        assert_eq!(status, want, "{label}: {answer}");
        assert_eq!(answer["error"], error, "{label}: {answer}");
        assert!(answer["message"].is_string(), "{label}: {answer}");
    }

    let listed = |query: &'static str| {
        let h = &h;
        async move {
            let (status, answer) = h
                .operator(Method::GET, &format!("{path}{query}"), None)
                .await;
            assert_eq!(status, StatusCode::OK, "{query}: {answer}");
            answer["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|item| {
                    item["channel_product_id"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(listed("").await, ["1", "latte"]);
    assert_eq!(listed("?channel=dstore").await, ["latte"]);
    let by_connection = format!("?connection_id={daojia}");
    let (_, answer) = h
        .operator(Method::GET, &format!("{path}{by_connection}"), None)
        .await;
    assert_eq!(
        answer["items"].as_array().map(Vec::len),
        Some(1),
        "{answer}"
    );
    let (_, answer) = h
        .operator(Method::GET, &format!("{path}?sku_id={other_sku}"), None)
        .await;
    assert_eq!(
        answer["items"][0]["channel_product_id"], "latte",
        "{answer}"
    );
    assert_eq!(listed("?channel_product_id=1").await, ["1"]);
    let (status, answer) = h
        .operator(Method::GET, &format!("{path}?channel=nowhere"), None)
        .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );

    let id = created["id"].as_i64().expect("id");
    let (status, _) = h
        .operator(Method::DELETE, &format!("{path}/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, answer) = h
        .operator(Method::DELETE, &format!("{path}/{id}"), None)
        .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert_eq!(listed("").await, ["latte"]);
    h.stop().await;
}

#[tokio::test]
async fn an_unmapped_d_store_line_is_param_illegal_and_nothing_is_stored_or_produced() {
    let (h, mapped_sku) = setup().await;
    // A real SKU, but not mapped for this connection: its id means nothing coming from D-Store.
    let (_, unmapped_sku) = h.sku(900, "SGD", -1).await;
    let mut body: Value = serde_json::from_slice(&create_body("RO-unmapped", mapped_sku)).unwrap();
    body["orderProducts"]
        .as_array_mut()
        .expect("lines")
        .push(json!({"posProductId": unmapped_sku.to_string(), "quantity": 1}));
    let body = serde_json::to_vec(&body).expect("json");
    // `call` asserts the refusal is signed with our POS key, as every D-Store answer is.
    let (status, answer) = call(&h, "/v2/pos/createOrder", &body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (
            answer["result"]["resultStatus"].as_str(),
            answer["result"]["resultCode"].as_str()
        ),
        (Some("F"), Some("PARAM_ILLEGAL")),
        "{answer}"
    );
    let message = answer["result"]["resultMessage"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains("line 2") && message.contains("posProductId"),
        "{answer}"
    );
    assert_eq!(orders_stored(&h).await, 0, "nothing stored");
    assert_eq!(h.all_events().await, 0, "nothing produced");
    h.stop().await;
}

#[tokio::test]
async fn a_mapped_d_store_order_carries_our_sku_into_the_order_lines() {
    let (h, sku) = setup().await;
    let (status, answer) = call(&h, "/v2/pos/createOrder", &create_body("RO-mapped", sku)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["result"]["resultStatus"], "S", "{answer}");
    let (sku_id, item): (Option<i64>, Option<String>) =
        sqlx::query_as("SELECT sku_id, channel_item_id FROM order_items")
            .fetch_one(&h.pool)
            .await
            .expect("one line");
    assert_eq!((sku_id, item), (Some(sku), Some(sku.to_string())));
    h.stop().await;
}

#[tokio::test]
async fn an_unmapped_58_line_gets_a_non_200_code_with_the_reason_and_nothing_else() {
    let h = Harness::start().await;
    h.connection("daojia", None, json!({}), SECRET).await;
    let (status, answer) = push(&h, "createOrder", &numeric_order(796_283_197_642, 7)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["code"], 400, "{answer}");
    let reason = answer["msg"].as_str().unwrap_or_default();
    assert!(
        reason.contains("line 1") && reason.contains("goodsId") && reason.contains('7'),
        "{answer}"
    );
    assert!(answer.get("data").is_none(), "{answer}");
    assert_eq!(orders_stored(&h).await, 0, "nothing stored");
    assert_eq!(h.all_events().await, 0, "nothing produced");
    h.stop().await;
}

#[tokio::test]
async fn a_58_push_with_numeric_ids_is_accepted_and_its_lines_carry_our_sku() {
    let h = Harness::start().await;
    let connection = h.connection("daojia", None, json!({}), SECRET).await;
    let (_, sku) = h.sku(8_800, "CNY", -1).await;
    h.channel_product("daojia", connection, "1", sku).await;
    let (status, answer) = push(&h, "createOrder", &numeric_order(796_283_197_642, 1)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        answer,
        json!({"code": 200, "msg": "success",
               "data": {"order_id": "796283197642", "status": "received"}})
    );
    let (channel_order_id, total): (String, i64) =
        sqlx::query_as("SELECT channel_order_id, total_minor FROM orders")
            .fetch_one(&h.pool)
            .await
            .expect("the order");
    assert_eq!((channel_order_id.as_str(), total), ("796283197642", 8_800));
    let (sku_id, item): (Option<i64>, Option<String>) =
        sqlx::query_as("SELECT sku_id, channel_item_id FROM order_items")
            .fetch_one(&h.pool)
            .await
            .expect("one line");
    assert_eq!((sku_id, item.as_deref()), (Some(sku), Some("1")));
    assert_eq!(h.settled_count(names::ORDERS_ACCEPTED).await, 1);
    // The cancellation of that order may name it as a number too.
    let (status, answer) = push(
        &h,
        "cancelOrder",
        r#"{"orderId":796283197642,"cancelReason":"user"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(h.settled_count(names::ORDERS_CHANNEL_UPDATES).await, 1);
    h.stop().await;
}
