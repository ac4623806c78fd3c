//! The reconciler's throughput with no quota binding, and its call rate when the connection's
//! quota binds. Ignored by default (it prints measurements); run with
//! `cargo test -p switchyard-workers --test it reconciler::bench -- --ignored --nocapture`.

use std::time::{Duration, Instant};

use switchyard_store::reconciliation;

use super::{completed, full_run, seed};
use crate::support::Hub;
use switchyard_workers::reconciler::request_run;

/// Seeds `orders` clean orders on a connection paced at `per_minute`, runs a full reconciliation
/// and returns (orders per second overall, steady call rate per second between two commits).
async fn measure(hub: &Hub, orders: usize, per_minute: i32) -> (f64, f64) {
    let (_sim, site) = seed::site().await;
    let connection = seed::connection(hub.pool(), &hub.secrets, &site.base_url(), per_minute).await;
    seed::orders(hub.pool(), &site.base_url(), connection, orders).await;
    let started = Instant::now();
    let run = request_run(hub.pool(), &full_run(connection))
        .await
        .expect("run")
        .into_inner();
    // Sample commits: (when first seen, checked so far).
    let mut samples: Vec<(Instant, i32)> = Vec::new();
    loop {
        let now = reconciliation::get(hub.pool(), run.id)
            .await
            .expect("run")
            .expect("exists");
        if samples
            .last()
            .is_none_or(|(_, seen)| *seen != now.checked_count)
        {
            samples.push((Instant::now(), now.checked_count));
        }
        if now.checked_count as usize >= orders {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    completed(hub.pool(), run.id, Duration::from_secs(600)).await;
    let overall = orders as f64 / started.elapsed().as_secs_f64();
    // Steady rate: from the first commit after the initial burst to the last commit.
    let first = samples
        .iter()
        .find(|(_, checked)| *checked >= 100)
        .copied()
        .expect("sample");
    let last = *samples.last().expect("sample");
    let steady = f64::from(last.1 - first.1) / last.0.duration_since(first.0).as_secs_f64();
    (overall, steady)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "a benchmark: prints measurements"]
async fn reconciler_benchmark() {
    let hub = Hub::start().await;
    let (unlimited, _) = measure(&hub, 5_000, 6_000_000).await;
    println!(
        "no quota (6,000,000/min): {unlimited:.0} orders reconciled per second (5,000 orders)"
    );
    let quota = 3_000.0 / 60.0;
    let (overall, steady) = measure(&hub, 1_500, 3_000).await;
    println!(
        "quota 3,000/min ({quota:.0}/s): steady call rate {steady:.1}/s ({:+.1} %), overall {overall:.1} orders/s (1,500 orders)",
        (steady / quota - 1.0) * 100.0
    );
    assert!(
        (steady / quota - 1.0).abs() <= 0.05,
        "within ±5 % of the quota"
    );
    hub.stop().await;
}
