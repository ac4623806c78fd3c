//! Overload shedding and graceful shutdown, driven over raw TCP so a request can be held open.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use switchyard_runtime::shutdown::DrainOutcome;
use switchyard_testkit::broker::shared_broker;
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

#[tokio::test]
async fn beyond_max_in_flight_requests_are_shed_at_once_in_the_partner_format() {
    let brokers = shared_broker().expect("broker");
    let config = switchyard_ingress::IngressConfig {
        max_in_flight: 1,
        ..test_config()
    };
    let h = Harness::start_with(config, &brokers).await;
    let address = h.base.trim_start_matches("http://").to_owned();
    // A client that announces a body and stalls holds the only slot.
    let mut stalled = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    stalled
        .write_all(b"POST /vending/notify?machine_no=12345678 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        .await
        .expect("write");
    tokio::time::sleep(Duration::from_millis(200)).await;

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

    drop(stalled);
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
    let body = report(7);
    let stalled = held_request(&h, &body).await;
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
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !queued.is_finished(),
        "the second request waits while the slot is held"
    );
    drop(stalled);
    let status = queued.await.expect("join").expect("answered");
    assert_eq!(
        status,
        StatusCode::OK,
        "served once the slot was freed, not shed"
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
