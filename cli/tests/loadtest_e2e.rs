//! Issue 7: `loadtest e2e` against the live fleet, not a stand-in.
//!
//! One installation runs as a real `switchyard up` process (ingress, procurer, callback-relayer)
//! with its own database and topic prefix, provisioned through the operator API: a SKU mapped to
//! the Dujiao-Next upstream simulator's SKU 12 (auto-fulfil), and an approved downstream
//! credential with a funded wallet. The load harness's end-to-end mode, parsed from a command
//! line exactly as the `loadtest` binary would, places a small bounded number of signed orders
//! (10/s for 3 s) at the ingress's provider API and follows each until delivered, then verifies
//! the `orders.accepted` topic. The report must say every acknowledged order was delivered, with a
//! latency histogram and an orders/s figure that agree with the counts, and every acknowledged
//! event on its topic exactly once. The far side agrees: one upstream order per order, each
//! delivered, and one fulfilment callback per order at the downstream shop. Nothing is timed;
//! the give-up limits are generous.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use clap::Parser;
use switchyard_loadtest::app::execute;
use switchyard_loadtest::cli::Cli;
use switchyard_partners::dujiao::DujiaoOrderStatus;
use switchyard_simulators::dujiao::{DujiaoSimConfig, DujiaoSimulator};
use switchyard_testkit::broker::shared_broker;

use support::downstream::Downstream;
use support::operator::Credential;
use support::Site;
use switchyard_testkit::eventually;

/// The simulator's SKU 12: 1.50 CNY, unlimited stock.
const UPSTREAM_SKU: i64 = 12;
const OUR_PRICE_MINOR: i64 = 300;
const SIM_BALANCE_MINOR: i64 = 100_000_000;
const SHOP_BALANCE_MINOR: i64 = 100_000_000;
/// The harness gives up on an order this long after its acknowledgement (seconds).
const DELIVER_TIMEOUT_SECS: &str = "120";
/// Generous limit for the shop's callbacks after the run.
const CALLBACKS_WITHIN: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loadtest_e2e_through_the_live_fleet_delivers_every_acknowledged_order_once() {
    let brokers = shared_broker().expect("a test broker");
    let upstream_key = Credential {
        user_id: 0,
        credential_id: 0,
        api_key: "sy-at-upstream".to_owned(),
        secret: "upstream-issued-secret".to_owned(),
    };
    let simulator = DujiaoSimulator::new(DujiaoSimConfig {
        auto_fulfil: true,
        callback_delay_factor: 0.001,
        ..DujiaoSimConfig::default().with_credential(
            &upstream_key.api_key,
            &upstream_key.secret,
            SIM_BALANCE_MINOR,
        )
    });
    let upstream = simulator.spawn().await.expect("simulator listens");

    let site = Site::new("S", &brokers).await;
    let fleet = site.spawn(&["up"]);
    let operator = site.operator(&fleet);
    let sku = operator.sku(OUR_PRICE_MINOR, -1).await;
    let connection = operator
        .dujiao_upstream(&upstream.base_url(), &upstream_key)
        .await;
    site.map_to_upstream(sku, connection, UPSTREAM_SKU).await;
    let shop_account = operator.credential("shop", SHOP_BALANCE_MINOR).await;
    // The shop's callback receiver; the harness places the orders on the shop's behalf.
    let shop = Downstream::start(&site.ingress_url(), &shop_account).await;

    let sku_arg = sku.to_string();
    let command_line = [
        "loadtest",
        "e2e",
        "--target",
        &site.ingress_url(),
        "--rate",
        "10",
        "--duration",
        "3",
        "--warmup",
        "0",
        "--connections",
        "16",
        "--deliver-timeout",
        DELIVER_TIMEOUT_SECS,
        "--dujiao-key",
        &shop_account.api_key,
        "--dujiao-secret",
        &shop_account.secret,
        "--dujiao-sku",
        &sku_arg,
        "--dujiao-callback-url",
        shop.callback_url(),
        "--brokers",
        &brokers,
        "--topic-prefix",
        site.topic_prefix(),
        "--verify-patience",
        "60",
        "--no-progress",
    ];
    let cli = Cli::try_parse_from(command_line).expect("a valid loadtest command line");
    let report = execute(&cli.command).await.expect("the e2e run completes");
    let rendered = report.render();

    // The ingress acknowledged every order it was sent, without errors.
    assert_eq!(report.runs.len(), 1, "{rendered}");
    let run = &report.runs[0];
    assert!(run.sent >= 20, "a 3 s run at 10/s sends orders: {rendered}");
    assert_eq!(run.errors, 0, "{:?}\n{rendered}", run.errors_by_class);
    assert_eq!(run.acked, run.sent, "every order acknowledged: {rendered}");

    // Every acknowledged order was followed to delivery.
    let e2e = report.end_to_end.as_ref().expect("an end-to-end section");
    assert_eq!(e2e.accepted, run.acked, "{rendered}");
    assert_eq!(e2e.delivered, e2e.accepted, "{rendered}");
    assert_eq!(e2e.failed, 0, "{rendered}");
    assert_eq!(e2e.not_delivered_in_time, 0, "{rendered}");
    // The histogram holds one latency per delivered order, its quantiles in order.
    let latency = &e2e.delivery_latency;
    assert_eq!(latency.count, e2e.delivered, "{rendered}");
    assert!(latency.p50_ms > 0.0, "{rendered}");
    assert!(
        latency.p50_ms <= latency.p90_ms
            && latency.p90_ms <= latency.p99_ms
            && latency.p99_ms <= latency.p99_9_ms
            && latency.p99_9_ms <= latency.max_ms,
        "{rendered}"
    );
    assert!(latency.mean_ms <= latency.max_ms, "{rendered}");
    // Orders/s is delivered orders over first acknowledgement → last delivery. That span is at
    // most the 3 s schedule plus one acknowledgement (≤ the 10 s request timeout) plus the
    // slowest delivery, so the rate can be no lower than this.
    let longest_span_secs = 3.0 + 10.0 + latency.max_ms / 1000.0;
    assert!(e2e.delivered_per_s.is_finite(), "{rendered}");
    assert!(
        e2e.delivered_per_s >= e2e.delivered as f64 / longest_span_secs,
        "{rendered}"
    );
    assert!(rendered.contains("accepted -> delivered ms"), "{rendered}");
    assert!(rendered.contains("delivered orders/s"), "{rendered}");

    // Every acknowledged order's event is on orders.accepted exactly once.
    let verification = report
        .topic_verification
        .as_ref()
        .expect("a topic verification");
    assert!(verification.passed, "{rendered}");
    let accepted_topic = format!("{}orders.accepted", site.topic_prefix());
    let topic = verification
        .topics
        .iter()
        .find(|topic| topic.topic == accepted_topic)
        .expect("orders.accepted was verified");
    assert_eq!(topic.acknowledged, e2e.accepted, "{rendered}");
    assert_eq!(topic.exactly_once, e2e.accepted, "{rendered}");

    // The far side: one upstream order per order, each delivered.
    let upstream_orders = simulator.orders();
    let mut per_key: HashMap<&str, usize> = HashMap::new();
    for order in &upstream_orders {
        *per_key.entry(&order.downstream_order_no).or_default() += 1;
    }
    assert_eq!(
        per_key.len() as u64,
        e2e.accepted,
        "one upstream order each"
    );
    assert!(per_key.values().all(|count| *count == 1), "{per_key:?}");
    assert!(upstream_orders
        .iter()
        .all(|order| order.status == DujiaoOrderStatus::Delivered));

    // The shop is told of each delivery exactly once.
    let accepted = usize::try_from(e2e.accepted).expect("a small count");
    let told = eventually(CALLBACKS_WITHIN, "a callback per order", || async {
        let fulfilled: Vec<_> = shop
            .callbacks()
            .into_iter()
            .filter(|body| body["event"] == "order.fulfilled")
            .collect();
        (fulfilled.len() >= accepted).then_some(fulfilled)
    })
    .await;
    let mut told_per_order: HashMap<String, usize> = HashMap::new();
    for body in &told {
        let key = body["downstream_order_no"].as_str().unwrap_or_default();
        *told_per_order.entry(key.to_owned()).or_default() += 1;
    }
    assert_eq!(told_per_order.len(), accepted, "{told_per_order:?}");
    assert!(
        told_per_order.values().all(|count| *count == 1),
        "one fulfilment callback per order: {told_per_order:?}"
    );

    drop((shop, fleet));
    upstream.shutdown().await;
}
