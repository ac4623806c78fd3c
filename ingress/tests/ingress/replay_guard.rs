//! Issue 18, item 7: the Dujiao-Next replay guard is shared by every replica (PostgreSQL), keyed
//! on (api_key, signature) with a per-key bound; a byte-identical retry of an idempotent call
//! gets the original answer, anything else reusing a signature is refused; a key that fails
//! authentication (unknown, bad signature, disabled) never writes an entry.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use switchyard_testkit::broker::shared_broker;
use switchyard_topics::catalogue::names;

use crate::dujiao::order_body;
use crate::harness::{json_of, now_secs, test_config, Harness, Site};
use crate::signing::dujiao_headers;

/// A second ingress over `first`'s database (its own broker topics and process state).
async fn second_replica(first: &Harness) -> Harness {
    let brokers = shared_broker().expect("a test broker");
    Harness::start_on(test_config(), &brokers, None, first.pool.clone()).await
}

/// Sends `target` (path, optional query) signed by `site` at `timestamp` to `h`.
async fn signed(
    h: &Harness,
    site: &Site,
    method: Method,
    target: &str,
    timestamp: i64,
    body: &[u8],
) -> (StatusCode, Value) {
    let path = target.split('?').next().unwrap_or(target);
    let headers = dujiao_headers(
        &site.api_key,
        &site.secret,
        method.as_str(),
        path,
        timestamp,
        body,
    );
    let (status, _, answer) = h
        .send(method, target, &headers, body.to_vec(), "application/json")
        .await;
    (status, json_of(&answer))
}

async fn guard_rows(h: &Harness, api_key: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM dujiao_replay_guard WHERE api_key = $1")
        .bind(api_key)
        .fetch_one(&h.pool)
        .await
        .expect("count")
}

fn replay_metric(outcome: &str) -> String {
    format!("switchyard_ingress_requests_total{{endpoint=\"dujiao_replay\",outcome=\"{outcome}\"}}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_the_guard_identical_retries_get_the_first_answer_replays_are_refused() {
    let a = Harness::start().await;
    let b = second_replica(&a).await;
    let site = a.site(10_000, "CNY").await;
    let (_, sku) = a.sku(2_500, "CNY", 10).await;

    // One order push, then the byte-identical retry within the same second: to the same replica
    // and to the other one. Each gets the first answer: one order, one debit, one event.
    let now = now_secs();
    let body = order_body(sku, 1, "DN-RETRY-1");
    let orders = "/api/v1/upstream/orders";
    let (status, first) = signed(&a, &site, Method::POST, orders, now, &body).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["ok"], true, "{first}");
    for (replica, h) in [("same", &a), ("other", &b)] {
        let (status, again) = signed(h, &site, Method::POST, orders, now, &body).await;
        assert_eq!(status, StatusCode::OK, "{replica} replica: {again}");
        assert_eq!(again, first, "{replica} replica: the original answer");
    }
    let (_, ping) = signed(&b, &site, Method::POST, "/api/v1/upstream/ping", now, b"").await;
    assert_eq!(ping["balance"], "75.00", "debited once: {ping}");
    let orders_placed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM orders WHERE source_credential_id = $1")
            .bind(site.credential_id)
            .fetch_one(&a.pool)
            .await
            .expect("count");
    assert_eq!(orders_placed, 1);
    assert_eq!(a.settled_count(names::ORDERS_ACCEPTED).await, 1);
    assert_eq!(
        b.settled_count(names::ORDERS_ACCEPTED).await,
        0,
        "the retry on the other replica produced nothing"
    );
    assert_eq!(b.metric(&replay_metric("retry")), Some(1.0));

    // The query string is not signed: the same signature over another query is a replay, and
    // the other replica refuses it.
    let products = "/api/v1/upstream/products";
    let (status, page) = signed(
        &a,
        &site,
        Method::GET,
        &format!("{products}?page=1"),
        now,
        b"",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let (status, replayed) = signed(
        &b,
        &site,
        Method::GET,
        &format!("{products}?page=2"),
        now,
        b"",
    )
    .await;
    assert_eq!(
        (status, replayed["error_code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_signature")),
        "{replayed}"
    );
    assert_eq!(b.metric(&replay_metric("replayed")), Some(1.0));

    // A callback is never retried with the same signature: a second sighting on the other
    // replica is refused in the receiver's format, and produces nothing.
    let key = "our-key-at-upstream";
    let secret = "upstream-shared-secret";
    a.connection("dujiao_upstream", Some(key), json!({}), secret)
        .await;
    let path = "/api/v1/upstream/callback";
    let callback = serde_json::to_vec(&json!({
        "event": "order.status_changed", "order_id": 7, "order_no": "UP7",
        "downstream_order_no": "PO-7", "status": "canceled", "timestamp": now
    }))
    .expect("json");
    let headers = dujiao_headers(key, secret, "POST", path, now, &callback);
    let (_, _, ack) = a
        .send(
            Method::POST,
            path,
            &headers,
            callback.clone(),
            "application/json",
        )
        .await;
    assert_eq!(json_of(&ack)["ok"], true);
    let (status, _, refused) = b
        .send(Method::POST, path, &headers, callback, "application/json")
        .await;
    let refused = json_of(&refused);
    assert_eq!(
        (status, refused["ok"].as_bool(), refused["message"].as_str()),
        (StatusCode::OK, Some(false), Some("invalid_signature")),
        "{refused}"
    );
    assert_eq!(b.settled_count(names::UPSTREAM_CALLBACKS).await, 0);
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn a_key_that_fails_authentication_never_writes_an_entry() {
    let h = Harness::start().await;
    let site = h.site(0, "CNY").await;
    let ping = "/api/v1/upstream/ping";
    let now = now_secs();

    let forged = Site {
        secret: "not-the-secret".to_owned(),
        ..site.clone()
    };
    let (status, _) = signed(&h, &forged, Method::POST, ping, now, b"").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let stranger = Site {
        api_key: "dk_unknown_key_0000".to_owned(),
        ..site.clone()
    };
    let (status, _) = signed(&h, &stranger, Method::POST, ping, now, b"").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, _) = h
        .operator(
            Method::POST,
            &format!("/admin/v1/credentials/{}/disable", site.credential_id),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for timestamp in [now, now - 1, now - 2] {
        let (status, refused) = signed(&h, &site, Method::POST, ping, timestamp, b"").await;
        assert_eq!(
            (status, refused["error_code"].as_str()),
            (StatusCode::FORBIDDEN, Some("user_disabled")),
            "{refused}"
        );
    }
    for api_key in [&site.api_key, &stranger.api_key] {
        assert_eq!(guard_rows(&h, api_key).await, 0, "no entry for {api_key}");
    }
    // Enabled again, the very request it was refused is served: the refusal remembered nothing.
    let (status, _) = h
        .operator(
            Method::POST,
            &format!("/admin/v1/credentials/{}/enable", site.credential_id),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, answer) = signed(&h, &site, Method::POST, ping, now, b"").await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(guard_rows(&h, &site.api_key).await, 1);
    h.stop().await;
}

#[tokio::test]
async fn one_key_holds_at_most_its_bound_of_live_signatures() {
    let brokers = shared_broker().expect("a test broker");
    let config = switchyard_ingress::IngressConfig {
        replay_entries_per_key: 3,
        ..test_config()
    };
    let h = Harness::start_with(config, &brokers).await;
    let site = h.site(0, "CNY").await;
    let other = h.site(0, "CNY").await;
    let ping = "/api/v1/upstream/ping";
    let now = now_secs();
    for timestamp in [now, now - 1, now - 2] {
        let (status, answer) = signed(&h, &site, Method::POST, ping, timestamp, b"").await;
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
    let (status, refused) = signed(&h, &site, Method::POST, ping, now - 3, b"").await;
    assert_eq!(
        (status, refused["error_code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("internal_error")),
        "{refused}"
    );
    assert_eq!(h.metric(&replay_metric("over_limit")), Some(1.0));
    assert_eq!(
        guard_rows(&h, &site.api_key).await,
        3,
        "nothing stored past the bound"
    );
    let (status, _) = signed(&h, &site, Method::POST, ping, now, b"").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a remembered signature is still recognised"
    );
    let (status, _) = signed(&h, &other, Method::POST, ping, now, b"").await;
    assert_eq!(status, StatusCode::OK, "another key has its own bound");
    h.stop().await;
}
