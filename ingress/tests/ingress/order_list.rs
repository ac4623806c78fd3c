//! `GET /api/v1/upstream/orders`: the optional order list a downstream reconciler reads. Only the
//! caller's orders in the range, oldest first, paged; in the shape the reconciler's client
//! decodes (`switchyard_partners::dujiao::OrderPage`); bad ranges refused in the Dujiao format.

use chrono::{Duration, SecondsFormat, Utc};
use reqwest::{Method, StatusCode};
use switchyard_partners::dujiao::OrderPage;

use crate::dujiao::{call, order_body};
use crate::harness::{Harness, Site};

fn list_path(from: chrono::DateTime<Utc>, to: chrono::DateTime<Utc>, tail: &str) -> String {
    format!(
        "/api/v1/upstream/orders?created_from={}&created_to={}{tail}",
        from.to_rfc3339_opts(SecondsFormat::Millis, true),
        to.to_rfc3339_opts(SecondsFormat::Millis, true),
    )
}

async fn place(h: &Harness, site: &Site, sku_id: i64, downstream_order_no: &str) {
    let (status, body) = call(
        h,
        site,
        Method::POST,
        "/api/v1/upstream/orders",
        &order_body(sku_id, 1, downstream_order_no),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn page(h: &Harness, site: &Site, path: &str) -> OrderPage {
    let (status, body) = call(h, site, Method::GET, path, b"").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_value(body).expect("an order page")
}

#[tokio::test]
async fn a_site_lists_only_its_own_orders_of_the_range_oldest_first_in_pages() {
    let h = Harness::start().await;
    let site = h.site(10_000, "CNY").await;
    let other = h.site(10_000, "CNY").await;
    let (_, sku_id) = h.sku(500, "CNY", 10).await;
    for no in ["LIST-1", "LIST-2", "LIST-3"] {
        place(&h, &site, sku_id, no).await;
    }
    place(&h, &other, sku_id, "OTHER-1").await;
    let (from, to) = (
        Utc::now() - Duration::hours(1),
        Utc::now() + Duration::hours(1),
    );

    let first = page(&h, &site, &list_path(from, to, "&page=1&page_size=2")).await;
    let second = page(&h, &site, &list_path(from, to, "&page=2&page_size=2")).await;
    assert_eq!((first.total, first.page, first.page_size), (3, 1, 2));
    assert!(first.has_more() && !second.has_more());
    let listed: Vec<_> = first
        .items
        .iter()
        .chain(&second.items)
        .map(|order| order.downstream_order_no.as_str())
        .collect();
    assert_eq!(listed, ["LIST-1", "LIST-2", "LIST-3"], "oldest first");
    let one = &first.items[0];
    assert_eq!((one.status.as_str(), one.amount.as_str()), ("paid", "5.00"));
    assert!(one.order_no.ends_with(&one.order_id.to_string()));

    let theirs = page(&h, &other, &list_path(from, to, "")).await;
    assert_eq!(theirs.total, 1);
    assert_eq!(theirs.items[0].downstream_order_no, "OTHER-1");

    let past = page(&h, &site, &list_path(from - Duration::hours(5), from, "")).await;
    assert_eq!(
        (past.total, past.items.len()),
        (0, 0),
        "nothing in an earlier range"
    );
}

#[tokio::test]
async fn a_bad_range_or_page_size_is_refused_in_the_dujiao_format() {
    let h = Harness::start().await;
    let site = h.site(10_000, "CNY").await;
    let now = Utc::now();
    let cases = [
        "/api/v1/upstream/orders".to_owned(),
        "/api/v1/upstream/orders?created_from=yesterday&created_to=today".to_owned(),
        list_path(now, now - Duration::hours(1), ""),
        list_path(now - Duration::hours(1), now, "&page_size=0"),
        list_path(now - Duration::hours(1), now, "&page_size=501"),
    ];
    for path in cases {
        let (status, body) = call(&h, &site, Method::GET, &path, b"").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(body["ok"], false, "{body}");
        assert_eq!(body["error_code"], "bad_request", "{path}: {body}");
    }
}
