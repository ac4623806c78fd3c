//! Issue 18, item 8: slow clients and unauthenticated load. A header section or a body that does
//! not arrive within its deadline loses the connection (the body with a 408 in the partner's
//! format); connections beyond the cap get 503 and are closed; an unknown Dujiao-Next API key is
//! read from the database once, then refused from memory.
//!
//! The waits below are safety nets for a hang (generous, never asserted on): each test asserts
//! what happened, not how fast.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use switchyard_ingress::IngressConfig;
use switchyard_testkit::broker::shared_broker;
use switchyard_testkit::eventually;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::dujiao::call;
use crate::harness::{json_of, test_config, Harness, Site};

const SAFETY: Duration = Duration::from_secs(30);

async fn start(config: IngressConfig) -> Harness {
    let brokers = shared_broker().expect("a test broker");
    Harness::start_with(config, &brokers).await
}

async fn connect(h: &Harness) -> TcpStream {
    let address = h.base.trim_start_matches("http://");
    TcpStream::connect(address).await.expect("connect")
}

/// Everything the server sends until it closes the connection.
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    tokio::time::timeout(SAFETY, stream.read_to_end(&mut received))
        .await
        .expect("the server closes the connection")
        .ok();
    received
}

#[tokio::test]
async fn a_client_that_sends_its_headers_slowly_is_cut_off() {
    let h = start(IngressConfig {
        header_read_timeout_ms: 300,
        ..test_config()
    })
    .await;
    let mut slow = connect(&h).await;
    slow.write_all(b"POST /api/v1/upstream/ping HTTP/1.1\r\nhost: ingress\r\n")
        .await
        .expect("write");
    // The header section never ends: the server gives up and closes the connection.
    let received = read_until_closed(&mut slow).await;
    assert!(
        !received.starts_with(b"HTTP/1.1 2"),
        "no request was served: {}",
        String::from_utf8_lossy(&received)
    );
    // A prompt client is still served.
    let (status, _, _) = h
        .send(
            Method::POST,
            "/api/v1/upstream/ping",
            &[],
            Vec::new(),
            "application/json",
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "missing auth headers");
    h.stop().await;
}

#[tokio::test]
async fn a_body_that_trickles_gets_408_in_the_partner_format_and_the_connection_closes() {
    let h = start(IngressConfig {
        body_read_timeout_ms: 300,
        ..test_config()
    })
    .await;
    let mut slow = connect(&h).await;
    slow.write_all(
        b"POST /api/v1/upstream/orders HTTP/1.1\r\nhost: ingress\r\ncontent-type: application/json\r\ncontent-length: 50\r\n\r\n{\"sku_id\":",
    )
    .await
    .expect("write");
    let received = read_until_closed(&mut slow).await;
    let text = String::from_utf8_lossy(&received).to_string();
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(
        text.to_ascii_lowercase().contains("connection: close"),
        "{text}"
    );
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
    let body = json_of(body.as_bytes());
    assert_eq!(body["ok"], false, "{text}");
    assert_eq!(body["error_code"], "bad_request", "{text}");
    assert_eq!(
        h.metric("switchyard_ingress_requests_total{endpoint=\"edge\",outcome=\"body_timeout\"}"),
        Some(1.0)
    );
    h.stop().await;
}

#[tokio::test]
async fn connections_beyond_the_cap_get_503_and_are_closed() {
    let h = start(IngressConfig {
        max_connections: 2,
        ..test_config()
    })
    .await;
    let held = [connect(&h).await, connect(&h).await];
    let hr = &h;
    eventually(SAFETY, "both connections open", || async move {
        hr.metric("switchyard_ingress_connections_open") == Some(2.0)
    })
    .await;
    let mut third = connect(&h).await;
    let received = read_until_closed(&mut third).await;
    let text = String::from_utf8_lossy(&received).to_string();
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert_eq!(
        h.metric("switchyard_ingress_connections_refused_total"),
        Some(1.0)
    );

    // A slot frees when a connection ends; then a new client is served again.
    drop(held);
    eventually(SAFETY, "the held connections closed", || async move {
        hr.metric("switchyard_ingress_connections_open") == Some(0.0)
    })
    .await;
    let (status, _, _) = h
        .send(
            Method::POST,
            "/api/v1/upstream/ping",
            &[],
            Vec::new(),
            "application/json",
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "served: missing auth headers"
    );
    h.stop().await;
}

#[tokio::test]
async fn an_unknown_api_key_is_read_from_the_database_once() {
    let h = Harness::start().await;
    let site = h.site(0, "CNY").await;
    let stranger = Site {
        api_key: "dk_nobody_has_this_key".to_owned(),
        ..site.clone()
    };
    let lookups = "switchyard_ingress_dujiao_credential_lookups_total";
    let before = h.metric(lookups).unwrap_or_default();
    for _ in 0..3 {
        let (status, refused) =
            call(&h, &stranger, Method::POST, "/api/v1/upstream/ping", b"").await;
        assert_eq!(
            (status, refused["error_code"].as_str()),
            (StatusCode::FORBIDDEN, Some("invalid_api_key")),
            "{refused}"
        );
    }
    assert_eq!(
        h.metric(lookups),
        Some(before + 1.0),
        "one database read for three requests"
    );
    // A known key is unaffected (the test configuration caches no credential: one read each).
    let (status, _) = call(&h, &site, Method::POST, "/api/v1/upstream/ping", b"").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h.metric(lookups), Some(before + 2.0));
    h.stop().await;
}
