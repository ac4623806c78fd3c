//! End-to-end mode against a Dujiao-Next provider simulator standing in for the fleet: it speaks
//! the same provider API the ingress serves (signed orders, signed polls). The fleet itself is
//! not tested here.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use switchyard_loadtest::e2e::{run_e2e, E2ePlan};
use switchyard_loadtest::mix::Credentials;
use switchyard_loadtest::{RateSchedule, RunPlan};
use switchyard_simulators::dujiao::{DujiaoSimConfig, DujiaoSimulator};

fn plan(base_url: String, deliver_timeout: Duration) -> E2ePlan {
    let mut credentials = Credentials::test_defaults().expect("test credentials");
    // Refused at once on loopback: the simulator's callbacks go nowhere and stay local.
    credentials.dujiao_callback_url = "http://127.0.0.1:9/api/v1/upstream/callback".into();
    E2ePlan {
        run: RunPlan {
            label: "e2e".into(),
            base_url,
            schedule: RateSchedule::new(10.0, Duration::ZERO, Duration::from_secs(2)).expect("ok"),
            connections: 8,
            timeout: Duration::from_secs(5),
            progress: false,
        },
        credentials,
        deliver_timeout,
    }
}

fn simulator() -> DujiaoSimulator {
    let credentials = Credentials::test_defaults().expect("test credentials");
    let secret = secrecy::ExposeSecret::expose_secret(&credentials.dujiao_api_secret).to_string();
    DujiaoSimulator::new(DujiaoSimConfig::default().with_credential(
        &credentials.dujiao_api_key,
        &secret,
        100_000_000,
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_are_followed_until_delivered() {
    let site = simulator();
    let handle = site.spawn().await.expect("simulator");
    // The "fleet": delivers each order about half a second after it appears.
    let fleet = {
        let site = site.clone();
        tokio::spawn(async move {
            let mut seen: HashMap<u64, Instant> = HashMap::new();
            loop {
                for order in site.orders() {
                    let first = *seen.entry(order.order_id).or_insert_with(Instant::now);
                    if first.elapsed() >= Duration::from_millis(500) {
                        site.fulfil(order.order_id);
                    }
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let (run, e2e) = run_e2e(
        &plan(handle.base_url(), Duration::from_secs(20)),
        Arc::default(),
    )
    .await
    .expect("e2e run");
    fleet.abort();
    handle.shutdown().await;
    assert_eq!(run.errors, 0, "{:?}", run.errors_by_class);
    assert_eq!(e2e.accepted, 20);
    assert_eq!(e2e.delivered, 20);
    assert_eq!(e2e.not_delivered_in_time, 0);
    assert_eq!(e2e.failed, 0);
    assert_eq!(e2e.delivery_latency.count, 20);
    assert!(e2e.delivered_per_s > 0.0);
    assert!(e2e.render().contains("delivered 20"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_never_delivered_are_reported_after_the_timeout() {
    let site = simulator();
    let handle = site.spawn().await.expect("simulator");
    let (_, e2e) = run_e2e(
        &plan(handle.base_url(), Duration::from_secs(1)),
        Arc::default(),
    )
    .await
    .expect("e2e run");
    handle.shutdown().await;
    assert_eq!(e2e.accepted, 20);
    assert_eq!(e2e.delivered, 0);
    assert_eq!(e2e.not_delivered_in_time, 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_spread_over_several_sites_are_each_followed_as_their_own_site() {
    let mut plan = plan(String::new(), Duration::from_secs(20));
    plan.credentials.dujiao_more_sites = (1..=2)
        .map(|n| (format!("site-{n}"), format!("site-{n}-secret").into()))
        .collect();
    // The stand-in delivers at once, and shows each site only its own orders.
    let mut config = DujiaoSimConfig {
        auto_fulfil: true,
        ..DujiaoSimConfig::default()
    };
    let main_secret = secrecy::ExposeSecret::expose_secret(&plan.credentials.dujiao_api_secret);
    config = config.with_credential(&plan.credentials.dujiao_api_key, main_secret, 100_000_000);
    for (key, secret) in &plan.credentials.dujiao_more_sites {
        config = config.with_credential(
            key,
            secrecy::ExposeSecret::expose_secret(secret),
            100_000_000,
        );
    }
    let site = DujiaoSimulator::new(config);
    let handle = site.spawn().await.expect("simulator");
    plan.run.base_url = handle.base_url();
    let (run, e2e) = run_e2e(&plan, Arc::default()).await.expect("e2e run");
    handle.shutdown().await;
    assert_eq!(run.errors, 0, "{:?}", run.errors_by_class);
    let placed_by: std::collections::BTreeSet<String> = site
        .orders()
        .into_iter()
        .map(|order| order.api_key)
        .collect();
    assert_eq!(
        placed_by.len(),
        3,
        "every site placed orders: {placed_by:?}"
    );
    assert_eq!(e2e.accepted, 20);
    assert_eq!(e2e.delivered, 20, "{}", e2e.render());
    assert_eq!(
        e2e.poll_errors, 0,
        "no poll was refused as another site's order"
    );
}
