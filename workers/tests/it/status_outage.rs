//! Issue 13, "Must show" 4: a sales channel that is down holds up only its own orders. The
//! D-Store simulator answers every call 503 while 200 D-Store orders and 10 58 orders are
//! delivered; the 58 orders are told everything meanwhile. When D-Store is back, every D-Store
//! order's statuses arrive, each once, in order, with one `requestId` per status.
//!
//! The outage lasts 5 s, longer than the whole retry budget the tests give other workers (8
//! attempts 200/500 ms apart, ~3.3 s): the status-syncer keeps its parked statuses for
//! `workers.status_sync_max_attempts` attempts instead, so nothing is dead-lettered.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use switchyard_partners::daojia::DaojiaOrderStatus;
use switchyard_partners::dstore::NotifyOrderStatus;
use switchyard_simulators::daojia::DaojiaSimulator;
use switchyard_simulators::faults::FaultSettings;
use switchyard_store::orders::Channel;
use switchyard_testkit::eventually;
use switchyard_testkit::offsets::records_on;
use uuid::Uuid;

use crate::status_sync::{daojia_config, dstore_simulator, pos_id, CLIENT_ID};
use crate::support::{Hub, WAIT};

const DSTORE_ORDERS: usize = 200;
const DAOJIA_ORDERS: usize = 10;
const OUTAGE: Duration = Duration::from_secs(5);
/// 200 orders × 4 calls once D-Store is back, on a machine shared with the rest of the suite.
const RECOVERY_WITHIN: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dstore_outage_holds_up_only_dstore_and_every_status_arrives_in_order_after() {
    let hub = Hub::start().await;
    let dstore = dstore_simulator();
    let gateway = dstore.spawn().await.expect("D-Store simulator");
    let dstore_connection = hub.dstore_connection(&gateway.base_url(), CLIENT_ID).await;
    let config = daojia_config();
    let daojia = DaojiaSimulator::new(config.clone());
    let platform = daojia.spawn().await.expect("58 simulator");
    let daojia_connection = hub.daojia_connection(&platform.base_url(), &config).await;
    let sku = hub.sku("OUTAGE-1", 100, 10_000).await;

    // D-Store is down: every call is answered 503 until the plan is reset.
    let outage_began = Instant::now();
    dstore.faults().set(FaultSettings {
        fail_next: u32::MAX,
        fail_status: 503,
        ..FaultSettings::default()
    });
    let mut dstore_orders = Vec::new();
    for _ in 0..DSTORE_ORDERS {
        let pos = pos_id();
        hub.place_channel_order(Channel::Dstore, Some(dstore_connection), &pos, &[(sku, 1)])
            .await;
        dstore_orders.push(pos);
    }
    let mut daojia_orders = Vec::new();
    for _ in 0..DAOJIA_ORDERS {
        let ours = format!("58-{}", Uuid::new_v4().simple());
        daojia.book_order(&ours, 100);
        hub.place_channel_order(Channel::Daojia, Some(daojia_connection), &ours, &[(sku, 1)])
            .await;
        daojia_orders.push(ours);
    }

    // While D-Store refuses, 58 hears every order to its end.
    eventually(
        WAIT,
        "every 58 order completed during the outage",
        || async {
            daojia_orders
                .iter()
                .all(|ours| daojia.status_of(ours) == Some(DaojiaOrderStatus::Completed))
        },
    )
    .await;
    let refused_calls: u64 = dstore.faults().all_hits().values().sum();
    assert!(dstore.notifications().is_empty(), "D-Store was down");
    assert!(
        refused_calls > 0,
        "the syncer tried D-Store during the outage"
    );

    tokio::time::sleep_until((outage_began + OUTAGE).into()).await;
    assert!(
        dstore.notifications().is_empty(),
        "D-Store was down throughout"
    );
    let dead_letters = format!("{}orders.status-changed.dlq", hub.kafka.topic_prefix);
    assert_eq!(
        records_on(&hub.kafka.brokers, &dead_letters).expect("watermarks"),
        0,
        "nothing dead-lettered by the outage"
    );

    // D-Store is back: every order hears ACCEPTED, PREPARING, READY, COMPLETED, once, in order.
    dstore.faults().reset();
    let deadline = Instant::now() + RECOVERY_WITHIN;
    let told = loop {
        let told = dstore.notifications();
        let completed = told
            .iter()
            .filter(|n| n.order_status == NotifyOrderStatus::Completed)
            .count();
        if completed >= DSTORE_ORDERS {
            break told;
        }
        if Instant::now() > deadline {
            let parked: i64 = sqlx::query_scalar("SELECT count(*) FROM parked_events")
                .fetch_one(hub.pool())
                .await
                .unwrap_or(-1);
            panic!(
                "{completed} of {DSTORE_ORDERS} told COMPLETED, {} calls, {parked} parked events",
                told.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut per_order: BTreeMap<&str, Vec<(NotifyOrderStatus, &str)>> = BTreeMap::new();
    for notification in &told {
        per_order
            .entry(notification.request_order_id.as_str())
            .or_default()
            .push((notification.order_status, notification.request_id.as_str()));
    }
    assert_eq!(per_order.len(), DSTORE_ORDERS);
    for (order, seen) in &per_order {
        let statuses: Vec<NotifyOrderStatus> = seen.iter().map(|(status, _)| *status).collect();
        assert_eq!(
            statuses,
            [
                NotifyOrderStatus::Accepted,
                NotifyOrderStatus::Preparing,
                NotifyOrderStatus::Ready,
                NotifyOrderStatus::Completed
            ],
            "order {order}"
        );
        let ids: HashSet<&str> = seen.iter().map(|(_, id)| *id).collect();
        assert_eq!(ids.len(), 4, "one requestId per status of {order}");
    }
    assert!(dstore.rejections().is_empty(), "every signature verified");
    for pos in &dstore_orders {
        assert!(per_order.contains_key(pos.as_str()), "{pos} was told");
    }
    hub.stop().await;
}
