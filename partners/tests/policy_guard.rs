//! The policy's guards over real HTTP on 127.0.0.1: answers are read up to a cap, internal
//! targets are refused before anything is sent, and redirects are never followed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use switchyard_partners::policy::{accept_any, PartnerHttp, PartnerHttpError, PolicyConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn policy(allow_private_targets: bool) -> PolicyConfig {
    PolicyConfig {
        timeout: Duration::from_secs(5),
        max_retries: 2,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        allow_private_targets,
        ..PolicyConfig::default()
    }
}

async fn call(config: PolicyConfig, url: &str) -> Result<u16, PartnerHttpError> {
    let http = PartnerHttp::new("test-partner", config).expect("test setup");
    http.execute(
        |client| Ok(client.get(url).header("AppSecret", "do-not-forward")),
        accept_any,
    )
    .await
    .map(|answer| answer.status.as_u16())
}

/// A raw HTTP server that answers every request with an endless chunked body, counting what it
/// managed to write before the client hung up.
async fn endless_body() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("test setup");
    let url = format!(
        "http://{}/stream",
        listener.local_addr().expect("test setup")
    );
    let written = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&written);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                let mut request = [0_u8; 4096];
                let _ = socket.read(&mut request).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("10000\r\n{}\r\n", "x".repeat(0x10000));
                while socket.write_all(chunk.as_bytes()).await.is_ok() {
                    counter.fetch_add(0x10000, Ordering::Relaxed);
                }
            });
        }
    });
    (url, written)
}

#[tokio::test]
async fn an_endless_body_fails_the_call_at_the_cap() {
    let (url, written) = endless_body().await;
    let started = Instant::now();
    let err = call(policy(true), &url).await.unwrap_err();
    assert_eq!(
        err,
        PartnerHttpError::BodyTooLarge {
            partner: "test-partner",
            limit: 1024 * 1024
        }
    );
    assert!(err.is_permanent(), "the same partner would send it again");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "stopped at the cap, not at the timeout"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = written.load(Ordering::Relaxed);
    assert!(
        sent < 16 * 1024 * 1024,
        "reading stopped; the server wrote {sent} bytes"
    );
}

async fn serve(router: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("test setup");
    let base = format!("http://{}", listener.local_addr().expect("test setup"));
    tokio::spawn(async move { axum::serve(listener, router).await.expect("test setup") });
    base
}

#[tokio::test]
async fn an_announced_length_past_the_cap_is_refused_and_the_cap_itself_passes() {
    let base = serve(Router::new().route(
        "/{size}",
        get(
            |axum::extract::Path(size): axum::extract::Path<usize>| async move { "y".repeat(size) },
        ),
    ))
    .await;
    let small = |allow| PolicyConfig {
        max_body_bytes: 1000,
        ..policy(allow)
    };
    assert_eq!(call(small(true), &format!("{base}/1000")).await, Ok(200));
    assert!(matches!(
        call(small(true), &format!("{base}/1001")).await,
        Err(PartnerHttpError::BodyTooLarge { limit: 1000, .. })
    ));
    assert!(matches!(
        call(policy(true), &format!("{base}/{}", 2 * 1024 * 1024)).await,
        Err(PartnerHttpError::BodyTooLarge { .. })
    ));
}

/// A server on loopback that counts the requests reaching it.
async fn counting_server() -> (u16, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    let router = Router::new().fallback(move || {
        counter.fetch_add(1, Ordering::Relaxed);
        async { "inside" }
    });
    let base = serve(router).await;
    let port = base
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    (port, hits)
}

#[tokio::test]
async fn internal_targets_are_refused_and_receive_nothing() {
    let (port, hits) = counting_server().await;
    for url in [
        format!("http://127.0.0.1:{port}/orders"),
        format!("http://[::ffff:127.0.0.1]:{port}/orders"),
        format!("http://localhost:{port}/orders"),
        format!("http://localhost.:{port}/orders"),
    ] {
        let err = call(policy(false), &url).await.unwrap_err();
        assert!(
            matches!(err, PartnerHttpError::ForbiddenTarget { .. }),
            "{url}: {err:?}"
        );
        assert!(err.is_permanent());
        assert!(err.to_string().contains("target refused"), "{err}");
    }
    assert_eq!(hits.load(Ordering::Relaxed), 0, "nothing was sent inside");
    // The process-level opt-in (local runs against simulators) admits the same server.
    let url = format!("http://127.0.0.1:{port}/orders");
    assert_eq!(call(policy(true), &url).await, Ok(200));
    assert_eq!(hits.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn a_redirect_inwards_is_not_followed() {
    let (inner_port, inner_hits) = counting_server().await;
    let target = format!("http://127.0.0.1:{inner_port}/latest/meta-data");
    let partner = serve(Router::new().route(
        "/orders",
        get(move || async move {
            (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, target)]).into_response()
        }),
    ))
    .await;
    // The partner itself is on loopback too, so this client needs the opt-in to reach it; the
    // redirect rule holds regardless.
    let status = call(policy(true), &format!("{partner}/orders")).await;
    assert_eq!(status, Ok(307), "a 3xx comes back as the answer");
    assert_eq!(
        inner_hits.load(Ordering::Relaxed),
        0,
        "the redirect target received nothing"
    );
}
