//! Broker outage (acknowledged via the spool, drained exactly once), database outage (retryable
//! failure, never success), and the operator API's guard.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use prometheus_client::registry::Registry;
use reqwest::{Method, StatusCode};
use serde_json::json;
use switchyard_runtime::admin::AdminServer;
use switchyard_runtime::database::DatabaseProbe;
use switchyard_runtime::operator::guard;
use switchyard_runtime::readiness::Readiness;
use switchyard_testkit::broker::{shared_broker, Storage, TansuBroker};
use switchyard_topics::catalogue::names;
use tower::ServiceExt;

use crate::harness::{json_of, test_config, Harness};
use crate::signing::dujiao_headers;

fn report(record_id: u32) -> Vec<u8> {
    format!(
        r#"{{"order_id":"60","record_id":"{record_id}","deliver_status":"1","floor_status":"1"}}"#
    )
    .into_bytes()
}

async fn pending_in_spool(h: &Harness) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM ingress_spool WHERE published_at IS NULL")
        .fetch_one(&h.pool)
        .await
        .expect("spool count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_broker_down_pushes_are_acknowledged_via_the_spool_and_drained_exactly_once() {
    let mut broker = TansuBroker::spawn(Storage::Sqlite).expect("private tansu on sqlite");
    let config = test_config();
    let budget = Duration::from_millis(config.ack_budget_ms);
    let h = Harness::start_with(config, broker.bootstrap()).await;
    let path = "/vending/notify?machine_no=12345678";
    let mut acknowledged = 0;
    for record in 0..3 {
        let (status, _, _) = h
            .send(Method::POST, path, &[], report(record), "application/json")
            .await;
        assert_eq!(status, StatusCode::OK);
        acknowledged += 1;
    }
    assert_eq!(h.settled_count(names::VENDING_DISPENSE_RESULTS).await, 3);

    tokio::task::block_in_place(|| broker.stop());
    for record in 100..110 {
        let started = Instant::now();
        let (status, _, body) = h
            .send(Method::POST, path, &[], report(record), "application/json")
            .await;
        let took = started.elapsed();
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        // The measurement the issue asks for: acknowledged inside the ack budget (with slack for
        // a loaded 2-core machine).
        assert!(
            took < budget + Duration::from_millis(500),
            "acknowledged after {took:?}"
        );
        acknowledged += 1;
    }
    assert!(
        pending_in_spool(&h).await > 0,
        "the outage was bridged by the spool"
    );

    tokio::task::block_in_place(|| broker.restart()).expect("restart broker");
    let deadline = Instant::now() + Duration::from_secs(60);
    while pending_in_spool(&h).await > 0 {
        assert!(Instant::now() < deadline, "spool did not drain");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        h.topic_count(names::VENDING_DISPENSE_RESULTS).await,
        acknowledged,
        "events on the topic = events acknowledged"
    );
    h.stop().await;
    drop(broker);
}

#[tokio::test]
async fn with_postgres_unreachable_every_endpoint_answers_its_retryable_failure() {
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
        listener.local_addr().expect("address").port()
    };
    let pool = sqlx::postgres::PgPoolOptions::new()
        .acquire_timeout(Duration::from_millis(500))
        .connect_lazy(&format!(
            "postgres://postgres@127.0.0.1:{closed_port}/nowhere"
        ))
        .expect("lazy pool");
    let brokers = shared_broker().expect("broker");
    let h = Harness::start_on(test_config(), &brokers, None, pool.clone()).await;

    let ping = "/api/v1/upstream/ping";
    let now = chrono::Utc::now().timestamp();
    let headers = dujiao_headers("dk_any_key_123456789", "secret", "POST", ping, now, b"");
    let (status, _, body) = h
        .send(Method::POST, ping, &headers, Vec::new(), "application/json")
        .await;
    assert_eq!(
        (status, json_of(&body)["error_code"].as_str()),
        (StatusCode::INTERNAL_SERVER_ERROR, Some("internal_error"))
    );

    let create = "/v2/pos/createOrder";
    let dstore_headers = [
        ("Client-Id", "x".to_owned()),
        ("Request-Time", "1".to_owned()),
    ];
    let (status, _, body) = h
        .send(
            Method::POST,
            create,
            &dstore_headers,
            b"{}".to_vec(),
            "application/json",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        json_of(&body)["result"]["resultStatus"],
        "U",
        "D-Store retries on U"
    );

    let (status, _, body) = h
        .send(
            Method::POST,
            "/daojia/notify",
            &[],
            b"funId=createOrder".to_vec(),
            "application/x-www-form-urlencoded",
        )
        .await;
    assert_eq!(
        (status, json_of(&body)["code"].as_u64()),
        (StatusCode::SERVICE_UNAVAILABLE, Some(503))
    );

    let (status, _, _) = h
        .send(
            Method::POST,
            "/vending/notify?machine_no=12345678",
            &[],
            report(1),
            "application/json",
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);

    let callback = "/api/v1/upstream/callback";
    let headers = dujiao_headers("our-key", "secret", "POST", callback, now, b"{}");
    let (status, _, body) = h
        .send(
            Method::POST,
            callback,
            &headers,
            b"{}".to_vec(),
            "application/json",
        )
        .await;
    assert_eq!(
        (status, json_of(&body)["ok"].as_bool()),
        (StatusCode::SERVICE_UNAVAILABLE, Some(false))
    );

    let admin = AdminServer::new(
        Readiness::new(Duration::from_secs(2)).with(DatabaseProbe(pool)),
        Arc::new(Registry::default()),
    );
    let ready = admin
        .router()
        .oneshot(
            http::Request::get("/readyz")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("readyz");
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(h.all_events().await, 0);
    h.stop().await;
}

#[tokio::test]
async fn the_operator_api_requires_its_token_and_guards_credential_transitions() {
    let h = Harness::start().await;
    let anonymous = h
        .http
        .post(format!("{}/admin/v1/users", h.admin))
        .json(&json!({"label": "x", "currency": "CNY"}))
        .send()
        .await
        .expect("call");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let disabled = guard(h.ingress.operator_routes(), None);
    let answer = disabled
        .oneshot(
            http::Request::get("/admin/v1/connections")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("answer");
    assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);

    let site = h.site(0, "CNY").await;
    let credential = format!("/admin/v1/credentials/{}", site.credential_id);
    let (status, shown) = h.operator(Method::GET, &credential, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        shown.get("secret").is_none(),
        "the secret is shown only once"
    );
    let (status, _) = h
        .operator(Method::POST, &format!("{credential}/approve"), None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "already approved");
    let (status, _) = h
        .operator(Method::POST, &format!("{credential}/disable"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h
        .operator(Method::POST, &format!("{credential}/enable"), None)
        .await;
    assert_eq!(status, StatusCode::OK);

    let (_, user) = h
        .operator(
            Method::POST,
            "/admin/v1/users",
            Some(json!({"label": "r", "currency": "CNY"})),
        )
        .await;
    let (_, applied) = h
        .operator(
            Method::POST,
            "/admin/v1/credentials",
            Some(json!({"user_id": user["id"]})),
        )
        .await;
    let reject = format!("/admin/v1/credentials/{}/reject", applied["id"]);
    let (status, _) = h.operator(Method::POST, &reject, Some(json!({}))).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a rejection needs a reason"
    );
    let (status, rejected) = h
        .operator(
            Method::POST,
            &reject,
            Some(json!({"reason": "unknown site"})),
        )
        .await;
    assert_eq!(
        (status, rejected["status"].as_str()),
        (StatusCode::OK, Some("rejected"))
    );

    let (status, _) = h
        .operator(Method::GET, "/admin/v1/credentials/999999", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = h
        .operator(
            Method::POST,
            "/admin/v1/users",
            Some(json!({"label": "x", "currency": "cny!"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = h
        .operator(
            Method::POST,
            &format!("/admin/v1/wallets/{}/credit", site.user_id),
            Some(json!({"amount_minor": -5, "idempotency_key": "k"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, spool) = h.operator(Method::GET, "/admin/v1/spool", None).await;
    assert_eq!(
        (status, spool["pending"].as_i64(), spool["refused"].as_i64()),
        (StatusCode::OK, Some(0), Some(0))
    );
    h.stop().await;
}
