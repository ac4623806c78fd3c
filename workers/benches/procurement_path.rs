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

#[path = "../tests/it/support/mod.rs"]
#[allow(dead_code)]
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use switchyard_simulators::dujiao::{DujiaoSimConfig, DujiaoSimulator};
use switchyard_topics::events::{StockChangeReason, StockChanged, StockSource, StockStatus};
use switchyard_topics::{
    encode, ensure_topics, Delivery, EventMeta, Handler, HandlerError, Producer, Runner,
    RunnerMetrics,
};
use tokio_util::sync::CancellationToken;

struct Count(Arc<AtomicUsize>);

impl Handler for Count {
    type Event = StockChanged;
    async fn handle(&self, _event: StockChanged, _delivery: &Delivery) -> Result<(), HandlerError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

async fn raw_runner_rate(n: usize) -> f64 {
    let db = switchyard_testkit::database::TestDatabase::new()
        .await
        .unwrap();
    let kafka = support::test_kafka();
    ensure_topics(&kafka).await.unwrap();
    let producer = Producer::new(&kafka).unwrap();
    for i in 0..n {
        let event = StockChanged {
            sku_id: format!("{}", i % 64),
            sku_code: "S".into(),
            source: StockSource::Local,
            connection_id: None,
            quantity: Some(i as i64),
            stock_status: StockStatus::InStock,
            is_active: true,
            price: None,
            reason: StockChangeReason::Adjusted,
            observed_at: 0,
        };
        let encoded = encode(&kafka, &event, EventMeta::new()).unwrap();
        producer
            .send(&encoded, Duration::from_secs(10))
            .await
            .unwrap();
    }
    let seen = Arc::new(AtomicUsize::new(0));
    let runner = Runner::new(
        &kafka,
        "bench-raw",
        Count(seen.clone()),
        db.pool().clone(),
        RunnerMetrics::default(),
    )
    .unwrap();
    let token = CancellationToken::new();
    let started = Instant::now();
    let task = tokio::spawn(runner.run(token.clone()));
    // The clock starts at the first event, so the consumer-group join (hundreds of ms on a
    // small N) is not charged to the runner's steady-state rate.
    while seen.load(Ordering::Relaxed) == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "raw runner saw nothing"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let first_seen = Instant::now();
    while seen.load(Ordering::Relaxed) < n {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "raw runner saw {} of {n}",
            seen.load(Ordering::Relaxed)
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let rate = (n - 1) as f64 / first_seen.elapsed().as_secs_f64();
    token.cancel();
    let _ = task.await;
    rate
}

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
