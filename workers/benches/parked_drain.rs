//! How fast the consumer runner drains a backlog of due parked events, and what that costs the
//! ingress: p99 of vending notifies (tokened, each a new report: dedupe row + topic write)
//! answered by the real ingress at a steady rate, without the drain and while it runs, in one
//! process (as `switchyard up` runs them) on a real broker and Postgres.
//!
//! Each run parks `PARKED` events (default 100,000; distinct keys, each its key's head, due
//! now, attempt 1 made) for a runner with a no-op handler, measures the ingress alone for
//! `BASELINE_SECS` (default 15) at `RATE` requests/s (default 200), then starts the runner and
//! keeps the same load until the schedule is empty. The drain rate is events / time from the
//! runner's start to an empty `parked_events`.
//!
//! Run: `cargo bench -p switchyard-workers --bench parked_drain`
//! (`SWITCHYARD_TEST_BROKER=127.0.0.1:9092` to use a running broker).

#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)]

#[path = "../tests/it/support/mod.rs"]
#[allow(dead_code)]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use prometheus_client::registry::Registry;
use switchyard_topics::events::{StockChangeReason, StockChanged, StockSource, StockStatus};
use switchyard_topics::{
    encode, Delivery, EventMeta, Handler, HandlerError, Runner, RunnerMetrics,
};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use support::Hub;

const GROUP_WORKER: &str = "bench-drainer";

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct NoOp;

impl Handler for NoOp {
    type Event = StockChanged;

    async fn handle(&self, _: StockChanged, _: &Delivery) -> Result<(), HandlerError> {
        Ok(())
    }
}

/// Parks `n` due heads (distinct keys over the topic's partitions) in one statement.
async fn park(hub: &Hub, n: u64) {
    let event = StockChanged {
        sku_id: "bench".into(),
        sku_code: "BENCH".into(),
        source: StockSource::Local,
        connection_id: None,
        quantity: Some(1),
        stock_status: StockStatus::InStock,
        is_active: true,
        price: None,
        reason: StockChangeReason::Adjusted,
        observed_at: 1_700_000_000_000,
    };
    let encoded = encode(&hub.kafka, &event, EventMeta::new()).unwrap();
    let (names, values): (Vec<String>, Vec<Vec<u8>>) = encoded.headers.into_iter().unzip();
    sqlx::query(
        "insert into parked_events (consumer_group, topic, partition, kafka_offset, event_key,
             payload, header_names, header_values, attempt, due_at, last_error)
         select $1, $2, (i % $3)::int, i, 'bench-key-' || i, $4, $5, $6, 1, now(), 'bench'
         from generate_series(1, $7::bigint) as i",
    )
    .bind(hub.kafka.consumer_group(GROUP_WORKER))
    .bind(&encoded.topic)
    .bind(hub.kafka.default_partitions)
    .bind(&encoded.payload)
    .bind(names)
    .bind(values)
    .bind(n as i64)
    .execute(hub.pool())
    .await
    .unwrap();
}

async fn parked(hub: &Hub) -> i64 {
    sqlx::query_scalar("select count(*) from parked_events")
        .fetch_one(hub.pool())
        .await
        .unwrap()
}

/// Sends tokened vending notifies at `rate`/s until `stop`; returns latencies (µs) and errors.
async fn load(hub: &Hub, rate: u64, stop: CancellationToken, run: &str) -> (Histogram<u64>, u64) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();
    let url = format!(
        "{}/vending/notify?{}",
        hub.config.public_base_url,
        hub.notify_tokens()
            .notify_query("12345678", "5b0a3f1e-6f43-4c51-9a47-6a8f3f1b2c0d")
    );
    let histogram = Arc::new(Mutex::new(Histogram::<u64>::new(3).unwrap()));
    let errors = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate.max(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = tokio::task::JoinSet::new();
    let mut seq = 0_u64;
    while !stop.is_cancelled() {
        tick.tick().await;
        seq += 1;
        let body = serde_json::json!({"method": "device.delivery.response",
            "order_id": format!("{run}-{seq}"), "record_id": "1", "deliver_status": "1",
            "floor_status": "1"});
        let (client, url) = (client.clone(), url.clone());
        let (histogram, errors) = (Arc::clone(&histogram), Arc::clone(&errors));
        tasks.spawn(async move {
            let began = Instant::now();
            let answer = client.post(&url).json(&body).send().await;
            let ok = answer.is_ok_and(|a| a.status().is_success());
            if ok {
                let micros = began.elapsed().as_micros() as u64;
                histogram.lock().await.record(micros.max(1)).unwrap();
            } else {
                errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        });
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
    let histogram = histogram.lock().await.clone();
    (histogram, errors.load(std::sync::atomic::Ordering::Relaxed))
}

fn ms(histogram: &Histogram<u64>, quantile: f64) -> f64 {
    histogram.value_at_quantile(quantile) as f64 / 1_000.0
}

#[tokio::main]
async fn main() {
    let n = env_number("PARKED", 100_000);
    let rate = env_number("RATE", 200);
    let baseline_secs = env_number("BASELINE_SECS", 15);
    let mut hub = Hub::start().await;
    hub.stop_workers().await; // only the ingress and the drain below
    eprintln!("parking {n} due events");
    park(&hub, n).await;
    assert_eq!(parked(&hub).await, n as i64);

    eprintln!("ingress alone: {rate} req/s for {baseline_secs} s");
    let stop = CancellationToken::new();
    let stopper = stop.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(baseline_secs)).await;
        stopper.cancel();
    });
    let (alone, alone_errors) = load(&hub, rate, stop, "alone").await;

    eprintln!("draining, same load");
    let mut registry = Registry::default();
    let metrics = RunnerMetrics::register(&mut registry);
    let runner = Runner::new(&hub.kafka, GROUP_WORKER, NoOp, hub.pool().clone(), metrics).unwrap();
    let shutdown = CancellationToken::new();
    let runner_stop = shutdown.clone();
    let began = Instant::now();
    let running = tokio::spawn(async move { runner.run(runner_stop).await.unwrap() });
    let stop = CancellationToken::new();
    let watcher = {
        let stop = stop.clone();
        let pool = hub.pool().clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(250)).await;
                let left: i64 = sqlx::query_scalar("select count(*) from parked_events")
                    .fetch_one(&pool)
                    .await
                    .unwrap();
                if left == 0 {
                    break;
                }
            }
            let drained_in = began.elapsed();
            stop.cancel();
            drained_in
        })
    };
    let (during, during_errors) = load(&hub, rate, stop, "during").await;
    let drained_in = watcher.await.unwrap();
    shutdown.cancel();
    running.await.unwrap();
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    let batches: Vec<&str> = text
        .lines()
        .filter(|line| line.starts_with("switchyard_consumer_retry_batches_total{"))
        .collect();

    let drain_rate = n as f64 / drained_in.as_secs_f64();
    println!(
        "drain: {n} due parked events in {:.2} s = {drain_rate:.0} events/s (no-op handler, retry_batch {}, max_in_flight {})",
        drained_in.as_secs_f64(),
        hub.kafka.retry_batch,
        hub.kafka.max_in_flight
    );
    for line in batches {
        println!("  {line}");
    }
    println!(
        "ingress alone   ({rate}/s, {} ok, {alone_errors} errors): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        alone.len(),
        ms(&alone, 0.5),
        ms(&alone, 0.99),
        alone.max() as f64 / 1_000.0
    );
    println!(
        "ingress + drain ({rate}/s, {} ok, {during_errors} errors): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        during.len(),
        ms(&during, 0.5),
        ms(&during, 0.99),
        during.max() as f64 / 1_000.0
    );
    println!(
        "p99 during the drain / alone = {:.2}x",
        ms(&during, 0.99) / ms(&alone, 0.99).max(0.001)
    );
    hub.stop().await;
}
