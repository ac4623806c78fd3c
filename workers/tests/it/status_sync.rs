//! The status-syncer through the real broker and PostgreSQL, with the D-Store and 58 simulators
//! over HTTP checking signatures and transitions: a delivered order is told to its channel, step
//! by step, in order, once each.

use std::time::Duration;
use switchyard_partners::daojia::DaojiaOrderStatus;
use switchyard_partners::dstore::wire::DstoreResult;
use switchyard_partners::dstore::{DstorePrivateKey, DstorePublicKey, NotifyOrderStatus};

use switchyard_simulators::daojia::{DaojiaSimulator, DaojiaSimulatorConfig};
use switchyard_simulators::dstore::{DstoreSimulator, DstoreSimulatorConfig};
use switchyard_simulators::dujiao::{DujiaoSimConfig, DujiaoSimulator};
use switchyard_store::notifications::{self, NotificationOutcome};
use switchyard_store::orders::{self, Channel, OrderStatus};
use switchyard_store::procurement::ProcurementStatus;
use switchyard_testkit::eventually;
use switchyard_topics::events::{self, ChannelOrderUpdate, ChannelUpdateKind};
use switchyard_topics::{encode, EventMeta};
use uuid::Uuid;

use http::StatusCode;

use crate::support::operator::OrdersApi;
use crate::support::{test_vector, Hub, WAIT};

pub(crate) const CLIENT_ID: &str = "2022-DSTORE-SYNC";

pub(crate) fn dstore_simulator() -> DstoreSimulator {
    DstoreSimulator::new(DstoreSimulatorConfig {
        client_id: CLIENT_ID.into(),
        dstore_private_key: DstorePrivateKey::parse(&test_vector("dstore_test_private.pem"))
            .expect("private key"),
        pos_public_key: DstorePublicKey::parse(&test_vector("dstore_test_public.pem"))
            .expect("public key"),
    })
}

pub(crate) fn daojia_config() -> DaojiaSimulatorConfig {
    DaojiaSimulatorConfig {
        push_secret: "push-secret-1".into(),
        service_key: "service-key-1".into(),
        service_secret: "service-secret-1".into(),
        access_token: "access-token-1".into(),
    }
}

pub(crate) fn pos_id() -> String {
    format!("pos-{}", Uuid::new_v4().simple())
}

async fn channel_order_id(hub: &Hub, order: Uuid) -> String {
    orders::get(hub.pool(), order)
        .await
        .expect("order")
        .expect("stored")
        .channel_order_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivered_dstore_order_is_told_every_step_once_in_order() {
    let hub = Hub::start().await;
    let sim = dstore_simulator();
    let gateway = sim.spawn().await.expect("simulator");
    let connection = hub.dstore_connection(&gateway.base_url(), CLIENT_ID).await;
    let sku = hub.sku("DS-1", 100, 10).await;

    let order = hub
        .place_channel_order(Channel::Dstore, Some(connection), &pos_id(), &[(sku, 1)])
        .await;
    hub.wait_for(order, OrderStatus::Completed, WAIT).await;
    let told = eventually(WAIT, "D-Store told COMPLETED", || async {
        let told = sim.notifications();
        told.iter()
            .any(|n| n.order_status == NotifyOrderStatus::Completed)
            .then_some(told)
    })
    .await;

    let statuses: Vec<NotifyOrderStatus> = told.iter().map(|n| n.order_status).collect();
    assert_eq!(
        statuses,
        [
            NotifyOrderStatus::Accepted,
            NotifyOrderStatus::Preparing,
            NotifyOrderStatus::Ready,
            NotifyOrderStatus::Completed
        ]
    );
    let ours = channel_order_id(&hub, order).await;
    assert!(told.iter().all(|n| n.request_order_id == ours));
    let mut ids: Vec<&str> = told.iter().map(|n| n.request_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 4, "one requestId per status");
    assert!(sim.rejections().is_empty(), "every signature verified");
    // D-Store answers before we record its answer: wait for the fourth row.
    eventually(WAIT, "every notification recorded as sent", || async {
        let rows = notifications::of_order(hub.pool(), order)
            .await
            .expect("rows");
        rows.len() == 4 && rows.iter().all(|r| r.outcome == NotificationOutcome::Sent)
    })
    .await;
    // Operators see the same through the API.
    let (status, answer) = OrdersApi::new(&hub)
        .get(&format!("/admin/v1/orders/{order}/notifications"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let seen: Vec<(&str, &str)> = answer["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| {
            (
                item["status"].as_str().unwrap_or_default(),
                item["outcome"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("ACCEPTED", "sent"),
            ("PREPARING", "sent"),
            ("READY", "sent"),
            ("COMPLETED", "sent")
        ]
    );
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_outcome_is_retried_with_the_same_request_id_and_a_refusal_stops_the_order() {
    let hub = Hub::start().await;
    let sim = dstore_simulator();
    let gateway = sim.spawn().await.expect("simulator");
    let connection = hub.dstore_connection(&gateway.base_url(), CLIENT_ID).await;
    let sku = hub.sku("DS-2", 100, 10).await;

    // ACCEPTED: first U (outcome unknown), then S. Then PREPARING is refused for good.
    // (The simulator answers scripted results without applying them.)
    sim.script_answers([
        DstoreResult::unknown("try again"),
        DstoreResult::success(),
        DstoreResult::failed("ORDER_STATUS_ILLEGAL", "store closed"),
    ]);
    let order = hub
        .place_channel_order(Channel::Dstore, Some(connection), &pos_id(), &[(sku, 1)])
        .await;
    let rows = eventually(WAIT, "PREPARING refused", || async {
        let rows = notifications::of_order(hub.pool(), order)
            .await
            .expect("rows");
        rows.iter()
            .any(|r| r.outcome == NotificationOutcome::Refused)
            .then_some(rows)
    })
    .await;
    let accepted = &rows[0];
    assert_eq!(accepted.partner_status, "ACCEPTED");
    assert_eq!(accepted.outcome, NotificationOutcome::Sent);
    assert_eq!(accepted.attempts, 2, "U, then the identical call again");
    let refused = &rows[1];
    assert_eq!(refused.partner_status, "PREPARING");
    assert_eq!(refused.answer_code.as_deref(), Some("ORDER_STATUS_ILLEGAL"));

    // D-Store saw three verified calls: the U, the identical repeat, the refused PREPARING.
    assert_eq!(sim.request_times().len(), 3, "{:?}", sim.request_times());
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivered_58_order_walks_an_allowed_journey_to_completed() {
    let hub = Hub::start().await;
    let config = daojia_config();
    let sim = DaojiaSimulator::new(config.clone());
    let platform = sim.spawn().await.expect("simulator");
    let connection = hub.daojia_connection(&platform.base_url(), &config).await;
    let sku = hub.sku("DJ-1", 100, 10).await;

    // 58 books the order (10) before it pushes it to us.
    let ours = format!("58-{}", Uuid::new_v4().simple());
    sim.book_order(&ours, 100);
    let order = hub
        .place_channel_order(Channel::Daojia, Some(connection), &ours, &[(sku, 1)])
        .await;
    eventually(WAIT, "58 has the order completed", || async {
        sim.status_of(&ours) == Some(DaojiaOrderStatus::Completed)
    })
    .await;
    assert!(sim.refusals().is_empty(), "58 refused {:?}", sim.refusals());
    let rows = notifications::of_order(hub.pool(), order)
        .await
        .expect("rows");
    let sent: Vec<&str> = rows.iter().map(|r| r.partner_status.as_str()).collect();
    assert_eq!(sent, ["20", "50", "30", "40", "60"]);
    assert!(rows.iter().all(|r| r.outcome == NotificationOutcome::Sent));
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_58_cancel_before_fulfilment_cancels_upstream_first_and_58_hears_70() {
    let hub = Hub::start().await;
    let config = daojia_config();
    let platform_sim = DaojiaSimulator::new(config.clone());
    let platform = platform_sim.spawn().await.expect("58 simulator");
    let channel = hub.daojia_connection(&platform.base_url(), &config).await;
    let site = DujiaoSimulator::new(DujiaoSimConfig::default().with_credential(
        "key-b",
        "secret-of-b",
        10_000,
    ));
    let upstream = site.spawn().await.expect("upstream site");
    let sku = hub.sku_from_dujiao(&upstream.base_url(), "FROM-B-58").await;
    let ours = format!("58-{}", Uuid::new_v4().simple());
    platform_sim.book_order(&ours, 100);
    let order = hub
        .place_channel_order(Channel::Daojia, Some(channel), &ours, &[(sku, 1)])
        .await;
    eventually(WAIT, "the upstream order is placed", || async {
        hub.subs(order).await.first().map(|s| s.status) == Some(ProcurementStatus::Accepted)
    })
    .await;

    // 58 pushes cancelOrder; the ingress writes this event (its push handling is tested there).
    let update = ChannelOrderUpdate {
        channel: events::Channel::Daojia,
        channel_order_id: ours.clone(),
        order_id: None,
        kind: ChannelUpdateKind::CancelRequested,
        channel_status: Some("cancelOrder".into()),
        refund_amount: None,
        reason: Some("customer changed their mind".into()),
        channel_request_id: None,
        received_at: chrono::Utc::now().timestamp_millis(),
    };
    let encoded = encode(&hub.kafka, &update, EventMeta::new()).expect("encode");
    hub.producer
        .send(&encoded, Duration::from_secs(10))
        .await
        .expect("produce");

    hub.wait_for(order, OrderStatus::Canceled, WAIT).await;
    eventually(WAIT, "58 hears 70", || async {
        platform_sim.status_of(&ours) == Some(DaojiaOrderStatus::Cancelled)
    })
    .await;
    assert!(
        platform_sim.refusals().is_empty(),
        "{:?}",
        platform_sim.refusals()
    );
    assert_eq!(hub.subs(order).await[0].status, ProcurementStatus::Canceled);
    assert_eq!(
        site.balance("key-b"),
        Some(10_000),
        "the upstream refunded us"
    );
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ready_told_before_a_crash_is_handed_over_when_its_status_comes_again() {
    let mut hub = Hub::start().await;
    hub.stop_workers().await;
    let sim = dstore_simulator();
    let gateway = sim.spawn().await.expect("simulator");
    let connection = hub.dstore_connection(&gateway.base_url(), CLIENT_ID).await;
    let sku = hub.sku("DS-3", 100, 10).await;
    let order = hub
        .place_channel_order(Channel::Dstore, Some(connection), &pos_id(), &[(sku, 1)])
        .await;
    // Where a syncer killed between telling READY and committing the hand-over left things:
    // the order delivered, D-Store told up to READY, and the Delivered status not yet consumed.
    let stored = orders::set_status(hub.pool(), order, OrderStatus::Delivered)
        .await
        .expect("delivered");
    for word in ["ACCEPTED", "PREPARING", "READY"] {
        let request_id = format!("{}-{word}", stored.order_no);
        notifications::record(
            hub.pool(),
            &notifications::NewNotification {
                order_id: order,
                connection_id: connection,
                channel: "dstore",
                partner_status: word,
                request_id: &request_id,
                outcome: NotificationOutcome::Sent,
                answer_code: Some("SUCCESS"),
                answer_message: None,
            },
        )
        .await
        .expect("recorded");
    }
    let delivered = events::OrderStatusChanged {
        order_id: order.to_string(),
        channel: events::Channel::Dstore,
        channel_order_id: stored.channel_order_id.clone(),
        status: OrderStatus::Delivered,
        previous_status: Some(OrderStatus::Procuring),
        source: events::StatusSource::Procurer,
        reason: None,
        refunded_amount: None,
        delivered_at: Some(stored.updated_at.timestamp_millis()),
        changed_at: stored.updated_at.timestamp_millis(),
    };
    let encoded = encode(&hub.kafka, &delivered, EventMeta::new()).expect("encode");
    hub.producer
        .send(&encoded, Duration::from_secs(10))
        .await
        .expect("produce");

    // The syncer comes back: the order is handed over and D-Store hears only COMPLETED.
    let syncer = switchyard_workers::registry::find("status-syncer")
        .expect("registered")
        .prepare(
            &hub.context(),
            &switchyard_workers::WorkerMetrics::default(),
        )
        .expect("prepared");
    let shutdown = tokio_util::sync::CancellationToken::new();
    let running = tokio::spawn(syncer.run(shutdown.clone()));
    hub.wait_for(order, OrderStatus::Completed, WAIT).await;
    let told = eventually(WAIT, "D-Store told COMPLETED", || async {
        let told = sim.notifications();
        (!told.is_empty()).then_some(told)
    })
    .await;
    let statuses: Vec<NotifyOrderStatus> = told.iter().map(|n| n.order_status).collect();
    assert_eq!(statuses, [NotifyOrderStatus::Completed]);
    shutdown.cancel();
    let _ = running.await;
    hub.stop().await;
}
