//! `GET /api/v1/upstream/orders/:id` shows the delivery once the order is delivered: what a
//! downstream Switchyard reads back to confirm our callback.

use reqwest::{Method, StatusCode};
use serde_json::json;
use switchyard_store::mappings::FulfillerKind;
use switchyard_store::orders::{self, OrderStatus};
use switchyard_store::procurement::{self, NewProcurement, SourceType};
use switchyard_store::Currency;

use crate::dujiao::{call, order_body};
use crate::harness::Harness;

#[tokio::test]
async fn a_delivered_order_shows_the_delivery_of_its_local_stock_sub_order() {
    let h = Harness::start().await;
    let site = h.site(10_000, "CNY").await;
    let (_, sku_id) = h.sku(500, "CNY", 5).await;
    let (status, placed) = call(
        &h,
        &site,
        Method::POST,
        "/api/v1/upstream/orders",
        &order_body(sku_id, 1, "D-READ-1"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{placed}");
    let path = format!(
        "/api/v1/upstream/orders/{}",
        placed["order_id"].as_u64().expect("order id")
    );

    let (status, before) = call(&h, &site, Method::GET, &path, b"").await;
    assert_eq!(status, StatusCode::OK, "{before}");
    assert!(
        before["fulfillment"].is_null(),
        "nothing to show before delivery: {before}"
    );

    // What the procurer does for a local-stock line: one fulfilled sub-order, parent delivered.
    let order_no = placed["order_no"].as_str().expect("order no");
    let order_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM orders WHERE order_no = $1")
        .bind(order_no)
        .fetch_one(&h.pool)
        .await
        .expect("order row");
    let mut conn = h.pool.acquire().await.expect("connection");
    let sub = procurement::create(
        &mut conn,
        &NewProcurement {
            id: uuid::Uuid::now_v7(),
            order_id,
            source_type: SourceType::Outbound,
            fulfiller: Some(FulfillerKind::LocalStock),
            connection_id: None,
            credential_id: None,
            idempotency_key: format!("{order_no}-local"),
            amount_minor: 500,
            currency: Currency::CNY,
            items: Vec::new(),
        },
    )
    .await
    .expect("sub-order")
    .into_inner();
    let content = json!({
        "type": "auto", "payload": "CARD-0001",
        "delivery_data": { "codes": ["CARD-0001"] }, "delivered_at": null
    });
    procurement::mark_delivered(&h.pool, sub.id, &content)
        .await
        .expect("delivered sub-order");
    orders::set_status(&h.pool, order_id, OrderStatus::Delivered)
        .await
        .expect("delivered order");

    let (status, after) = call(&h, &site, Method::GET, &path, b"").await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after["status"], "delivered", "{after}");
    let fulfillment = &after["fulfillment"];
    assert_eq!(fulfillment["type"], "auto");
    assert_eq!(fulfillment["status"], "delivered");
    assert_eq!(fulfillment["payload"], "CARD-0001");
    assert_eq!(
        fulfillment["delivery_data"],
        json!({ "codes": ["CARD-0001"] })
    );
    assert!(
        fulfillment["delivered_at"].is_string(),
        "delivery time shown: {fulfillment}"
    );
    drop(conn);
    h.stop().await;
}
