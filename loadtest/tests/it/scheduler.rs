//! The scheduler keeps its rate against the bare handler, and a server stall shows up in the tail
//! for every request scheduled behind it (no coordinated omission).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Router;
use switchyard_loadtest::{run, AnySuccessJudge, BareHandler, PlainSource, RateSchedule, RunPlan};
use tokio::sync::Mutex;

fn plan(base_url: String, rate: f64, seconds: u64, connections: usize) -> RunPlan {
    RunPlan {
        label: "test".into(),
        base_url,
        schedule: RateSchedule::new(rate, Duration::ZERO, Duration::from_secs(seconds))
            .expect("valid schedule"),
        connections,
        timeout: Duration::from_secs(10),
        progress: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keeps_the_target_rate_against_the_bare_handler() {
    let bare = BareHandler::spawn().await.expect("bare handler");
    let outcome = run(
        &plan(bare.base_url(), 200.0, 3, 32),
        Arc::new(PlainSource),
        Arc::new(AnySuccessJudge),
    )
    .await
    .expect("run");
    bare.stop().await;
    let report = outcome.report;
    assert_eq!(report.sent, 600, "every scheduled request is sent");
    assert_eq!(report.completed, 600);
    assert_eq!(report.acked, 600);
    assert_eq!(report.errors, 0);
    let deviation = (report.achieved_rate - 200.0).abs() / 200.0;
    assert!(
        deviation <= 0.05,
        "achieved {:.1}/s for a target of 200/s",
        report.achieved_rate
    );
}

/// Every request takes a shared lock; request number `stall_at` holds it for 500 ms.
#[derive(Clone)]
struct StallOnce {
    lock: Arc<Mutex<()>>,
    seen: Arc<AtomicU64>,
    stall_at: u64,
}

async fn stalling_handler(State(server): State<StallOnce>) -> StatusCode {
    let _guard = server.lock.lock().await;
    if server.seen.fetch_add(1, Ordering::SeqCst) == server.stall_at {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    StatusCode::OK
}

async fn spawn_stalling_server(stall_at: u64) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let state = StallOnce {
        lock: Arc::new(Mutex::new(())),
        seen: Arc::new(AtomicU64::new(0)),
        stall_at,
    };
    let app = Router::new().fallback(stalling_handler).with_state(state);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_stall_shows_up_for_every_request_scheduled_behind_it() {
    let (addr, server) = spawn_stalling_server(100).await;
    let outcome = run(
        &plan(format!("http://{addr}"), 200.0, 2, 64),
        Arc::new(PlainSource),
        Arc::new(AnySuccessJudge),
    )
    .await
    .expect("run");
    server.abort();
    let _ = server.await;
    let latency = outcome.latency;
    assert_eq!(outcome.report.errors, 0);
    assert!(
        latency.max() >= 500_000,
        "the stalled request itself: max {} µs",
        latency.max()
    );
    // At 200/s a request is due every 5 ms: those due in the first ~100 ms of the stall waited
    // about 400–500 ms. A closed-loop client would have recorded a single slow request.
    let behind = latency.count_between(400_000, latency.max());
    assert!(
        behind >= 5,
        "only {behind} requests at >= 400 ms; the stall was hidden"
    );
    assert!(outcome.report.latency.p99_ms >= 400.0);
}
