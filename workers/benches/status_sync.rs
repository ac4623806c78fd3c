//! Throughput of the status-syncer on a real broker and Postgres, with the D-Store simulator
//! answering at once (signatures checked both ways), as a ratio of the consumer runner's raw rate
//! measured in the same run; then the same with a connection quota that binds, to show the call
//! rate stays at the quota.
//!
//! Each round stores `EVENTS` D-Store orders, puts one `orders.status-changed` (ACCEPTED) per
//! order on the topic with no worker running, then starts the status-syncer alone and times the
//! notifications the simulator receives, from the first to the last.
//!
//! Run: `cargo bench -p switchyard-workers --bench status_sync` (EVENTS=… default 2000,
//! QUOTA_PER_MINUTE=… for the bound round, default 6000 = 100/s; RAW_EVENTS=… for the raw
//! runner, default 20000; SWITCHYARD_TEST_BROKER=127.0.0.1:9092 to use a running broker).

#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)]

#[path = "common/raw_runner.rs"]
mod raw_runner;
#[path = "../tests/it/support/mod.rs"]
#[allow(dead_code)]
mod support;

use std::time::{Duration, Instant};

use switchyard_partners::dstore::{DstorePrivateKey, DstorePublicKey};
use switchyard_simulators::dstore::{DstoreSimulator, DstoreSimulatorConfig};
use switchyard_store::orders::{self, Channel, OrderStatus};
use switchyard_topics::events::{self, OrderStatusChanged, StatusSource};
use switchyard_topics::{encode, EventMeta};
use switchyard_workers::{registry, WorkerMetrics};
use tokio_util::sync::CancellationToken;

use raw_runner::raw_runner_rate;
use support::{test_vector, Hub};

const CLIENT_ID: &str = "2022-DSTORE-BENCH";
/// Effectively no quota: far above what two cores can send.
const UNBOUND_PER_MINUTE: i32 = 60_000_000;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Calls per second through the status-syncer alone, with the connection's quota: over the whole
/// run, and after the first `burst` calls (the quota's initial burst).
struct Rates {
    overall: f64,
    after_burst: f64,
}

/// Notifications per second through the status-syncer alone, with the connection's quota.
async fn notifications_per_second(n: usize, quota_per_minute: i32, burst: usize) -> Rates {
    let mut hub = Hub::start().await;
    hub.stop_workers().await;
    let simulator = DstoreSimulator::new(DstoreSimulatorConfig {
        client_id: CLIENT_ID.into(),
        dstore_private_key: DstorePrivateKey::parse(&test_vector("dstore_test_private.pem"))
            .unwrap(),
        pos_public_key: DstorePublicKey::parse(&test_vector("dstore_test_public.pem")).unwrap(),
    });
    let gateway = simulator.spawn().await.unwrap();
    let connection = hub.dstore_connection(&gateway.base_url(), CLIENT_ID).await;
    sqlx::query("UPDATE partner_connections SET rate_limit_per_minute = $1 WHERE id = $2")
        .bind(quota_per_minute)
        .bind(connection)
        .execute(hub.pool())
        .await
        .unwrap();
    let sku = hub.sku("BENCH-SYNC", 100, 1_000_000).await;
    for number in 0..n {
        let pos = format!("pos-bench-{number}-{}", uuid::Uuid::new_v4().simple());
        let order = hub
            .place_channel_order(Channel::Dstore, Some(connection), &pos, &[(sku, 1)])
            .await;
        let stored = orders::get(hub.pool(), order).await.unwrap().unwrap();
        let event = OrderStatusChanged {
            order_id: order.to_string(),
            channel: events::Channel::Dstore,
            channel_order_id: stored.channel_order_id,
            status: OrderStatus::Accepted,
            previous_status: None,
            source: StatusSource::Ingress,
            reason: None,
            refunded_amount: None,
            delivered_at: None,
            changed_at: stored.updated_at.timestamp_millis(),
        };
        let encoded = encode(&hub.kafka, &event, EventMeta::new()).unwrap();
        hub.producer
            .send(&encoded, Duration::from_secs(10))
            .await
            .unwrap();
    }

    let syncer = registry::find("status-syncer")
        .unwrap()
        .prepare(&hub.context(), &WorkerMetrics::default())
        .unwrap();
    let token = CancellationToken::new();
    let running = tokio::spawn(syncer.run(token.clone()));
    let started = Instant::now();
    let within = Duration::from_secs(600);
    while simulator.notifications().is_empty() {
        assert!(started.elapsed() < within, "the syncer sent nothing");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let first = Instant::now();
    let mut burst_done = None;
    loop {
        let told = simulator.notifications().len();
        if told >= burst && burst_done.is_none() {
            burst_done = Some((Instant::now(), told));
        }
        if told >= n {
            break;
        }
        assert!(started.elapsed() < within, "only {told} of {n} told");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let overall = (n - 1) as f64 / first.elapsed().as_secs_f64();
    let after_burst = burst_done.map_or(overall, |(at, told)| {
        (n - told) as f64 / at.elapsed().as_secs_f64()
    });
    assert!(
        simulator.rejections().is_empty(),
        "every signature verified"
    );
    token.cancel();
    let _ = running.await;
    hub.stop().await;
    Rates {
        overall,
        after_burst,
    }
}

#[tokio::main]
async fn main() {
    let n = env_number("EVENTS", 2_000);
    let quota_per_minute = env_number("QUOTA_PER_MINUTE", 6_000);
    let raw_events = env_number("RAW_EVENTS", 20_000);
    eprintln!("measuring the raw runner rate with {raw_events} events");
    let raw = raw_runner_rate(raw_events).await;
    eprintln!("raw runner: {raw:.0} events/s; now {n} notifications, no quota");
    let unbound = notifications_per_second(n, UNBOUND_PER_MINUTE, 1)
        .await
        .overall;
    let quota = quota_per_minute as f64 / 60.0;
    let bound_n = n.min((quota * 30.0) as usize).max(2);
    eprintln!("now {bound_n} notifications at a quota of {quota_per_minute}/min");
    let burst = quota.ceil() as usize;
    let bound =
        notifications_per_second(bound_n, i32::try_from(quota_per_minute).unwrap(), burst).await;
    println!("raw runner rate (no-op handler): {raw:.0} events/s");
    println!(
        "status-syncer, D-Store answering at once, no quota: {unbound:.0} notifications/s = {:.3} x raw runner rate ({n} notifications)",
        unbound / raw
    );
    println!(
        "status-syncer with a quota of {quota:.1}/s ({bound_n} notifications): {:.1} calls/s = {:+.1} % of the quota over the run; {:.1} calls/s = {:+.1} % after the first {burst} calls (the quota's initial burst)",
        bound.overall,
        (bound.overall / quota - 1.0) * 100.0,
        bound.after_burst,
        (bound.after_burst / quota - 1.0) * 100.0
    );
}
