//! A SKU whose upstream mapping the stock-syncer switched off (the upstream product answered 404)
//! is refused to a downstream Dujiao-Next site in the protocol's format, and the operator's SKU
//! view says why.

use reqwest::{Method, StatusCode};
use serde_json::json;
use switchyard_store::mappings::{self, Fulfiller};
use switchyard_store::upstream_stock;

use crate::dujiao::{call, order_body};
use crate::harness::Harness;

#[tokio::test]
async fn an_order_for_a_sku_whose_upstream_product_is_gone_is_refused_as_sku_unavailable() {
    let h = Harness::start().await;
    let site = h.site(10_000, "CNY").await;
    let (_, sku_id) = h.sku(500, "CNY", -1).await;
    let upstream = h
        .connection("dujiao_upstream", Some("key-b"), json!({}), "secret-of-b")
        .await;
    let fulfiller = Fulfiller::DujiaoUpstream {
        connection_id: upstream,
        upstream_product_id: Some(7),
        upstream_sku_id: 71,
    };
    mappings::set(&h.pool, sku_id, &fulfiller)
        .await
        .expect("mapping");
    let orders = "/api/v1/upstream/orders";
    let (status, body) = call(
        &h,
        &site,
        Method::POST,
        orders,
        &order_body(sku_id, 1, "D-1"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "sellable while mapped: {body}");

    let mut tx = h.pool.begin().await.expect("tx");
    let reason = "upstream product 7 answered 404 product_not_found (deleted upstream)";
    let off = upstream_stock::disable_missing(&mut tx, upstream, 7, reason)
        .await
        .expect("disable");
    tx.commit().await.expect("commit");
    assert_eq!(off, vec![sku_id]);

    let (status, body) = call(
        &h,
        &site,
        Method::POST,
        orders,
        &order_body(sku_id, 1, "D-2"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["ok"], false);
    assert_eq!(body["error_code"], "sku_unavailable");

    let (status, view) = h
        .operator(Method::GET, &format!("/admin/v1/skus/{sku_id}"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["sellable"], false);
    assert_eq!(view["mapping_active"], false);
    assert_eq!(view["disabled_reason"], reason);
    assert_eq!(view["fulfillment_type"], "upstream");
    let journalled: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM stock_changes WHERE sku_id = $1 AND NOT is_active",
    )
    .bind(sku_id)
    .fetch_one(&h.pool)
    .await
    .expect("journal");
    assert_eq!(journalled, 1, "the switch-off is a stock change");
}
