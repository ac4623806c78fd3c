//! Overload shedding and graceful shutdown. A service slot is held by a real request that blocks
//! on a table lock taken by the test; a request in flight at shutdown is held open over raw TCP.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use switchyard_runtime::shutdown::DrainOutcome;
use switchyard_testkit::broker::shared_broker;
use switchyard_testkit::eventually;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::{json_of, test_config, Harness};

fn report(record_id: u32) -> Vec<u8> {
    format!(
        r#"{{"order_id":"60","record_id":"{record_id}","deliver_status":"1","floor_status":"1"}}"#
    )
    .into_bytes()
}

/// Opens a request announcing `body` and sends all of it but the last byte.
async fn held_request(h: &Harness, body: &[u8]) -> tokio::net::TcpStream {
    let address = h.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    let head = format!(
        "POST /vending/notify?machine_no=12345678 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    stream
        .write_all(&body[..body.len() - 1])
        .await
        .expect("body");
    tokio::time::sleep(Duration::from_millis(200)).await;
    stream
}

/// Takes a lock that blocks every dedupe claim, then sends a vending report that waits on it in
/// service (holding a slot). Rolling the transaction back lets that request finish.
async fn hold_a_slot(
    h: &Harness,
) -> (
    sqlx::Transaction<'static, sqlx::Postgres>,
    tokio::task::JoinHandle<Option<StatusCode>>,
) {
    let mut lock = h.pool.begin().await.expect("begin");
    sqlx::query("LOCK TABLE ingress_dedupe IN SHARE ROW EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .expect("lock");
    let url = format!("{}/vending/notify?machine_no=12345678", h.base);
    let holder = tokio::spawn(async move {
        let answer = reqwest::Client::new()
            .post(url)
            .header("content-type", "application/json")
            .body(report(100))
            .send()
            .await;
        answer.ok().map(|answer| answer.status())
    });
    // Until the holder waits on the lock inside its slot (a bounded wait; not an assertion).
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_locks WHERE relation = 'ingress_dedupe'::regclass AND NOT granted",
        )
        .fetch_one(&h.pool)
        .await
        .expect("pg_locks");
        if waiting > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (lock, holder)
}

#[tokio::test]
async fn beyond_max_in_flight_requests_are_shed_at_once_in_the_partner_format() {
    let brokers = shared_broker().expect("broker");
    let config = switchyard_ingress::IngressConfig {
        max_in_flight: 1,
        ..test_config()
    };
    let h = Harness::start_with(config, &brokers).await;
    let (lock, holder) = hold_a_slot(&h).await;

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
    let (status, _, body) = h
        .send(
            Method::GET,
            "/api/v1/upstream/categories",
            &[],
            Vec::new(),
            "application/json",
        )
        .await;
    assert_eq!(
        (status, json_of(&body)["error_code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_requests"))
    );
    let (_, _, body) = h
        .send(
            Method::POST,
            "/v2/pos/createOrder",
            &[],
            b"{}".to_vec(),
            "application/json",
        )
        .await;
    assert_eq!(json_of(&body)["result"]["resultStatus"], "U");

    lock.rollback().await.expect("unlock");
    assert_eq!(holder.await.expect("join"), Some(StatusCode::OK));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, _, _) = h
            .send(
                Method::POST,
                "/vending/notify?machine_no=12345678",
                &[],
                report(2),
                "application/json",
            )
            .await;
        if status == StatusCode::OK {
            break;
        }
        assert!(Instant::now() < deadline, "slot never freed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    h.stop().await;
}

#[tokio::test]
async fn a_request_waits_for_a_slot_freed_within_the_queue_wait_and_is_served() {
    let brokers = shared_broker().expect("broker");
    let config = switchyard_ingress::IngressConfig {
        max_in_flight: 1,
        max_queue_wait_ms: 60_000,
        ..test_config()
    };
    let h = Harness::start_with(config, &brokers).await;
    let (lock, holder) = hold_a_slot(&h).await;
    let queued = {
        let base = h.base.clone();
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{base}/vending/notify?machine_no=12345678"))
                .header("content-type", "application/json")
                .body(report(8))
                .send()
                .await
                .map(|answer| answer.status())
        })
    };
    eventually(
        Duration::from_secs(10),
        "the second request waits for the held slot",
        || async { h.metric("switchyard_ingress_requests_waiting") == Some(1.0) },
    )
    .await;
    assert!(
        !queued.is_finished(),
        "the second request waits while the slot is held"
    );
    lock.rollback().await.expect("unlock");
    assert_eq!(holder.await.expect("join"), Some(StatusCode::OK));
    let status = queued.await.expect("join").expect("answered");
    assert_eq!(
        status,
        StatusCode::OK,
        "served once the slot was freed, not shed"
    );
    h.stop().await;
}

#[tokio::test]
async fn a_client_stalling_mid_body_does_not_hold_a_service_slot() {
    let brokers = shared_broker().expect("broker");
    let config = switchyard_ingress::IngressConfig {
        max_in_flight: 1,
        ..test_config()
    };
    let h = Harness::start_with(config, &brokers).await;
    let body = report(9);
    let _stalled = held_request(&h, &body).await;
    let (status, _, _) = h
        .send(
            Method::POST,
            "/vending/notify?machine_no=12345678",
            &[],
            report(10),
            "application/json",
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "served while the other client stalls"
    );
    h.stop().await;
}

#[tokio::test]
async fn on_shutdown_the_request_in_flight_is_still_answered() {
    let h = Harness::start().await;
    let body = report(42);
    let mut in_flight = held_request(&h, &body).await;
    h.root.trigger();
    in_flight
        .write_all(&body[body.len() - 1..])
        .await
        .expect("last byte");
    let mut answer = String::new();
    in_flight.read_to_string(&mut answer).await.expect("answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(
        h.root.drain(Duration::from_secs(10)).await,
        DrainOutcome::Clean
    );
    assert_eq!(
        h.settled_count(switchyard_topics::catalogue::names::VENDING_DISPENSE_RESULTS)
            .await,
        1
    );
}
