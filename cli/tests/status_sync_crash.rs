//! Issue 13, "Must show" 5: the status-syncer SIGKILLed mid-burst and restarted loses no status
//! and repeats a call only with its original `requestId`.
//!
//! One installation runs as separate processes — `switchyard ingress`, `worker procurer` and
//! `worker status-syncer` — with the D-Store simulator as the sales channel. The simulator pushes
//! 500 signed `createOrder`s for a product mapped to a local-stock SKU; once D-Store has heard a
//! fair share of the statuses, the syncer is SIGKILLed and started again. In the end every order
//! has heard ACCEPTED, PREPARING, READY and COMPLETED in that order; a status heard more than once
//! (a call cut off by the kill, sent again) carries the same `requestId` every time.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use serde_json::json;
use switchyard_partners::dstore::{NotifyOrderStatus, ResultStatus};
use switchyard_testkit::broker::shared_broker;
use switchyard_testkit::eventually;

use support::dstore::{self, vector};
use support::Site;

const ORDERS: usize = 500;
const CLIENT_ID: &str = "2022-DSTORE-CRASH";
/// Generous: a status whose hand-over failed on a busy database is retried on the runner's ladder
/// (1, 5, 30 s …).
const ALL_TOLD_WITHIN: Duration = Duration::from_secs(240);
const LADDER: [NotifyOrderStatus; 4] = [
    NotifyOrderStatus::Accepted,
    NotifyOrderStatus::Preparing,
    NotifyOrderStatus::Ready,
    NotifyOrderStatus::Completed,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_syncer_killed_mid_burst_tells_every_status_with_its_original_request_id() {
    let brokers = shared_broker().expect("a test broker");
    let dstore = dstore::simulator(CLIENT_ID);
    let gateway = dstore.spawn().await.expect("D-Store simulator");
    let site = Site::new("crash-sync", &brokers).await;
    let ingress = site.spawn(&["ingress"]);
    let _procurer = site.spawn(&["worker", "procurer"]);
    let op = site.operator(&ingress);
    let sku = op.sku(1_000, 10_000).await;
    let connection = op
        .post(
            "/admin/v1/connections",
            Some(json!({
                "kind": "dstore", "name": "d-store", "base_url": gateway.base_url(),
                "status": "active", "api_key": CLIENT_ID,
                // The default quota (60/min) would stretch 2,000 calls over half an hour.
                "rate_limit_per_minute": 60_000,
                "settings": { "dstore_public_key": vector("dstore_test_public.pem") },
                "secret": vector("dstore_test_private.pem")
            })),
            201,
        )
        .await["id"]
        .as_i64()
        .expect("dstore connection");
    op.post(
        "/admin/v1/channel-products",
        Some(json!({
            "channel": "dstore", "connection_id": connection,
            "channel_product_id": "latte", "sku_id": sku
        })),
        201,
    )
    .await;
    let mut syncer = site.spawn(&["worker", "status-syncer"]);

    let ingress_url = site.ingress_url();
    let answers: Vec<ResultStatus> = stream::iter(0..ORDERS)
        .map(|number| {
            let (dstore, url) = (&dstore, &ingress_url);
            async move {
                dstore
                    .create_order(
                        url,
                        &dstore::one_item_order(&format!("RO-CRASH-{number:04}"), "latte"),
                    )
                    .await
                    .map(|answer| answer.result.result_status)
                    .unwrap_or(ResultStatus::Unknown)
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    assert!(
        answers
            .iter()
            .all(|status| *status == ResultStatus::Success),
        "every createOrder accepted"
    );

    // Kill the syncer while statuses are flowing: after D-Store heard a fifth of them.
    eventually(ALL_TOLD_WITHIN, "D-Store hearing statuses", || async {
        (dstore.notifications().len() >= ORDERS * 4 / 5).then_some(())
    })
    .await;
    syncer.kill_hard();
    let killed_at = std::time::SystemTime::now();
    let heard_at_kill = dstore.notifications().len();
    assert!(
        heard_at_kill < ORDERS * 4,
        "the kill came after the last status"
    );
    let _syncer = site.spawn(&["worker", "status-syncer"]);

    let deadline = Instant::now() + ALL_TOLD_WITHIN;
    let told = loop {
        let told = dstore.notifications();
        let completed = told
            .iter()
            .filter(|n| n.order_status == NotifyOrderStatus::Completed)
            .map(|n| n.request_order_id.clone())
            .collect::<std::collections::HashSet<_>>();
        if completed.len() == ORDERS {
            break told;
        }
        if Instant::now() > deadline {
            let orders: Vec<(String, i64)> =
                sqlx::query_as("SELECT status, count(*) FROM orders GROUP BY status")
                    .fetch_all(site.pool())
                    .await
                    .unwrap_or_default();
            let stuck: Vec<(String, String, String, i32, String)> = sqlx::query_as(
                "SELECT o.order_no, n.partner_status, n.outcome, n.attempts, \
                 to_char(n.updated_at, 'HH24:MI:SS.MS') FROM orders o \
                 JOIN channel_notifications n ON n.order_id = o.id \
                 WHERE o.status <> 'completed' ORDER BY o.order_no, n.id",
            )
            .fetch_all(site.pool())
            .await
            .unwrap_or_default();
            panic!(
                "{} of {ORDERS} orders told COMPLETED ({} calls); orders by status: {orders:?}; \
                 the others' notifications: {stuck:?}; killed at {killed_at:?}",
                completed.len(),
                told.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };

    let mut heard: BTreeMap<&str, Vec<NotifyOrderStatus>> = BTreeMap::new();
    let mut request_ids: HashMap<(&str, NotifyOrderStatus), &str> = HashMap::new();
    let mut repeats = 0;
    for notification in &told {
        let order = notification.request_order_id.as_str();
        let status = notification.order_status;
        match request_ids.insert((order, status), notification.request_id.as_str()) {
            Some(earlier) => {
                repeats += 1;
                assert_eq!(
                    earlier, notification.request_id,
                    "a repeat of {status:?} for {order} reuses its requestId"
                );
            }
            None => heard.entry(order).or_default().push(status),
        }
    }
    assert_eq!(heard.len(), ORDERS);
    for (order, statuses) in &heard {
        assert_eq!(
            statuses, &LADDER,
            "order {order} heard its statuses in order"
        );
    }
    assert!(dstore.rejections().is_empty(), "every signature verified");
    println!(
        "heard {} calls ({} at the kill), {repeats} repeats, all with their original requestId",
        told.len(),
        heard_at_kill
    );
}
