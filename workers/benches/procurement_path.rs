//! End-to-end benchmark of the procurement path on a real broker and Postgres: orders accepted
//! → procurer → Dujiao-Next simulator (0 ms, auto-fulfil) → signed callback → ingress stand-in →
//! callback-relayer (confirms with GET /orders/:id) → delivered. Reports orders/s as a ratio to
//! the consumer runner's raw rate (a no-op handler) measured in the same run, and p50/p99
//! order-accepted-to-delivered latency (database timestamps).
//!
//! Run: `cargo bench -p switchyard-workers --bench procurement_path` (ORDERS=… to change N,
//! RAW_EVENTS=… for the raw-runner denominator;
//! SWITCHYARD_TEST_BROKER=127.0.0.1:9092 to use a running broker).

#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)]

#[path = "common/raw_runner.rs"]
mod raw_runner;
#[path = "../tests/it/support/mod.rs"]
#[allow(dead_code)]
mod support;

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use switchyard_simulators::dujiao::{DujiaoSimConfig, DujiaoSimulator};

use raw_runner::raw_runner_rate;

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("ORDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    // The denominator needs far more events than the orders: at a few hundred events the raw
    // runner finishes within its own start-up and polling granularity.
    let raw_events: usize = std::env::var("RAW_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    eprintln!("measuring the raw runner rate with {raw_events} events");
    let raw = raw_runner_rate(raw_events).await;
    eprintln!("raw runner: {raw:.0} events/s; now {n} orders end to end");

    let hub = support::Hub::start().await;
    let site = DujiaoSimulator::new(DujiaoSimConfig {
        auto_fulfil: true,
        callback_delay_factor: 0.001,
        ..DujiaoSimConfig::default().with_credential("key-b", "secret-of-b", i64::MAX / 4)
    });
    let http = site.spawn().await.unwrap();
    let sku = hub.sku_from_dujiao(&http.base_url(), "FROM-B").await;

    let started = Instant::now();
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        ids.push(hub.place_order(&[(sku, 1)]).await);
    }
    loop {
        let delivered: i64 =
            sqlx::query_scalar("SELECT count(*) FROM orders WHERE status = 'delivered'")
                .fetch_one(hub.pool())
                .await
                .unwrap();
        if delivered as usize >= n {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "only {delivered}/{n} delivered"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let latencies: Vec<f64> = sqlx::query_scalar(
        // extract() returns NUMERIC since PostgreSQL 14; decode as float8.
        "SELECT (extract(epoch FROM (updated_at - created_at)) * 1000)::float8 FROM orders WHERE status = 'delivered'",
    )
    .fetch_all(hub.pool())
    .await
    .unwrap();
    let mut histogram = Histogram::<u64>::new(3).unwrap();
    for ms in latencies {
        histogram.record(ms.max(0.0) as u64).unwrap();
    }
    let rate = n as f64 / elapsed;
    println!("orders: {n}");
    println!("raw runner rate (no-op handler): {raw:.0} events/s");
    println!(
        "end-to-end: {rate:.1} orders/s = {:.3} x raw runner rate",
        rate / raw
    );
    println!(
        "accepted -> delivered latency: p50 {} ms, p99 {} ms, max {} ms",
        histogram.value_at_quantile(0.5),
        histogram.value_at_quantile(0.99),
        histogram.max()
    );
    assert_eq!(site.orders().len(), n, "one upstream order per order");
    hub.stop().await;
}
