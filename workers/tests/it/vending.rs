//! Must-show 4: vending create → pay → dispense → notify → query-back → delivered; a jammed
//! dispense is an exception with its reason; a redelivered event never dispenses twice.

use std::time::Duration;

use switchyard_partners::vending::RecordStatus;
use switchyard_simulators::vending::{VendingSimConfig, VendingSimulator};
use switchyard_store::mappings::Fulfiller;
use switchyard_store::orders::OrderStatus;
use switchyard_store::procurement::ProcurementStatus;
use switchyard_testkit::eventually;
use switchyard_testkit::offsets::{records_on, wait_until_consumed};
use switchyard_topics::catalogue::names;
use switchyard_workers::procurer::Procurer;
use switchyard_workers::Worker;

use crate::support::{Hub, WAIT};

fn machine(connection_id: i64, product: &str) -> Fulfiller {
    Fulfiller::Vending {
        connection_id,
        machine_no: "12345678".into(),
        product_id: product.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vending_order_is_delivered_after_the_platform_confirms_every_dispense() {
    let hub = Hub::start().await;
    let platform = VendingSimulator::new(VendingSimConfig::default());
    let http = platform.spawn().await.unwrap();
    let connection = hub.vending_connection(&http.base_url()).await;
    let sku = hub.sku("SODA", 350, -1).await;
    hub.map(sku, machine(connection, "p1")).await;

    let order = hub.place_order(&[(sku, 2)]).await;
    hub.wait_for(order, OrderStatus::Delivered, WAIT).await;
    let orders = platform.orders();
    assert_eq!(orders.len(), 1);
    assert!(orders[0]
        .records
        .iter()
        .all(|r| r.status == RecordStatus::IsSuccess));
    assert_eq!(platform.notifications().len(), 2, "one dispense per unit");
    let sub = hub.subs(order).await.remove(0);
    assert_eq!(sub.amount_minor, 700);
    let content = sub.delivery_content.unwrap();
    assert_eq!(
        content["delivery_data"]["records"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(platform.stock("12345678", "p1"), Some(3));
    // The platform posted each report to the notify_url the procurer gave it — machine, order
    // and token — and the real ingress verified and took it.
    let deliveries = eventually(WAIT, "both notifies answered", || {
        let platform = platform.clone();
        async move { Some(platform.notify_deliveries()).filter(|d| d.len() == 2) }
    })
    .await;
    let expected =
        hub.config
            .vending_notify_url(&hub.notify_tokens(), "12345678", &sub.id.to_string());
    for (url, status) in deliveries {
        assert!(url.contains("&token="), "{url}");
        assert_eq!(url, expected);
        assert_eq!(status, 200, "{url}");
    }
    hub.stop().await;
}

/// Reports whose token is valid but whose order is not one of ours (no such sub-order, or
/// another platform order than the one stored) are dead-lettered at once: never parked, never
/// retried, nothing changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_for_an_unknown_order_is_dropped_for_good_not_parked() {
    let hub = Hub::start().await;
    let platform = VendingSimulator::new(VendingSimConfig::default());
    let http = platform.spawn().await.unwrap();
    let connection = hub.vending_connection(&http.base_url()).await;
    let sku = hub.sku("SODA", 350, -1).await;
    hub.map(sku, machine(connection, "p1")).await;
    let order = hub.place_order(&[(sku, 1)]).await;
    hub.wait_for(order, OrderStatus::Delivered, WAIT).await;
    let sub = hub.subs(order).await.remove(0);

    let http_client = reqwest::Client::new();
    let report = |order_id: &str| {
        serde_json::json!({"method": "device.delivery.response", "order_id": order_id,
            "record_id": "1", "deliver_status": "1", "floor_status": "1"})
    };
    let tokens = hub.notify_tokens();
    let unknown_sub = uuid::Uuid::new_v4().to_string();
    let cases = [
        (unknown_sub.as_str(), "60"),                     // no such sub-order
        (&*sub.id.to_string(), "another-platform-order"), // ours, but not this platform order
    ]
    .map(|(reference, order_id)| (reference.to_owned(), order_id));
    for (reference, order_id) in &cases {
        let url = format!(
            "{}/vending/notify?{}",
            hub.config.public_base_url,
            tokens.notify_query("12345678", reference)
        );
        let answer = http_client
            .post(&url)
            .json(&report(order_id))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "a verified claim is taken");
    }
    let dead_letters = format!("{}vending.dispense-results.dlq", hub.kafka.topic_prefix);
    let brokers = hub.kafka.brokers.clone();
    eventually(WAIT, "both reports dead-lettered", || {
        let (brokers, topic) = (brokers.clone(), dead_letters.clone());
        async move { (records_on(&brokers, &topic).unwrap_or_default() == 2).then_some(()) }
    })
    .await;
    let parked: i64 = sqlx::query_scalar("SELECT count(*) FROM parked_events")
        .fetch_one(hub.pool())
        .await
        .unwrap();
    assert_eq!(parked, 0, "nothing parked for a retry");
    assert_eq!(hub.status(order).await, OrderStatus::Delivered);
    assert_eq!(platform.orders().len(), 1);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jammed_dispense_is_an_exception_with_its_reason() {
    let hub = Hub::start().await;
    let platform = VendingSimulator::new(VendingSimConfig::default());
    platform.jam_next(1);
    let http = platform.spawn().await.unwrap();
    let connection = hub.vending_connection(&http.base_url()).await;
    let sku = hub.sku("SODA", 350, -1).await;
    hub.map(sku, machine(connection, "p1")).await;

    let order = hub.place_order(&[(sku, 1)]).await;
    hub.wait_for(order, OrderStatus::Failed, WAIT).await;
    let sub = hub.subs(order).await.remove(0);
    assert_eq!(sub.status, ProcurementStatus::Failed);
    assert_eq!(sub.last_error_code.as_deref(), Some("dispense_failed"));
    let reason = sub.last_error.unwrap();
    assert!(
        reason.contains("jammed") && reason.contains("IsFailed"),
        "{reason}"
    );
    assert!(sub.delivery_content.is_none());
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redelivered_events_never_dispense_twice() {
    let hub = Hub::start().await;
    let platform = VendingSimulator::new(VendingSimConfig::default());
    let http = platform.spawn().await.unwrap();
    let connection = hub.vending_connection(&http.base_url()).await;
    let sku = hub.sku("SODA", 350, -1).await;
    hub.map(sku, machine(connection, "p1")).await;

    let order = hub.place_order(&[(sku, 1)]).await;
    hub.wait_for(order, OrderStatus::Delivered, WAIT).await;
    let channel_order_id =
        sqlx::query_scalar::<_, String>("SELECT channel_order_id FROM orders WHERE id = $1")
            .bind(order)
            .fetch_one(hub.pool())
            .await
            .unwrap();
    // The same accepted order arrives again (a redelivery after a crash or a replay).
    let again = hub
        .accept(
            order,
            switchyard_topics::events::Channel::Dstore,
            &channel_order_id,
            &[(sku, 1)],
        )
        .await;
    // …and the same encoded event once more, with the same event id.
    let last = hub
        .producer
        .send(&again, Duration::from_secs(10))
        .await
        .unwrap();
    // Offsets are committed after the effect: once the procurer's group is past the last copy,
    // both copies have been handled, and whatever they did is visible.
    wait_until_consumed(
        &hub.kafka.brokers,
        &hub.kafka.consumer_group(Procurer::NAME),
        &hub.kafka.topic_name(names::ORDERS_ACCEPTED),
        last.partition,
        last.offset,
        WAIT,
    )
    .await;
    assert_eq!(platform.orders().len(), 1, "no second vending order");
    assert_eq!(platform.notifications().len(), 1, "dispensed exactly once");
    assert_eq!(hub.status(order).await, OrderStatus::Delivered);
    hub.stop().await;
}
