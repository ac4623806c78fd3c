//! The vending client against the simulated platform, over real HTTP on 127.0.0.1.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing::post;
use axum::{Json, Router};
use secrecy::SecretString;
use switchyard_partners::policy::PolicyConfig;
use switchyard_partners::vending::wire::{CreateOrder, DeliveryNotify, ProductLine};
use switchyard_partners::vending::{
    MachineNo, RecordStatus, TradeId, VendingClient, VendingConnection, VendingOrderStatus,
};
use switchyard_simulators::faults::{spawn, FaultSettings, SimulatorHandle};
use switchyard_simulators::vending::{VendingSimConfig, VendingSimulator};

const ORDERS: &str = "/api/openapi/v1/orders";

fn machine() -> MachineNo {
    MachineNo::parse("12345678").expect("test setup")
}

fn client_with(handle: &SimulatorHandle, merchant_key: &str) -> VendingClient {
    VendingClient::new(VendingConnection {
        base_url: handle.base_url(),
        appid: "app-1".into(),
        app_secret: SecretString::from("app-secret-1"),
        merchant_key: SecretString::from(merchant_key.to_owned()),
        policy: PolicyConfig {
            timeout: Duration::from_millis(500),
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            rate_per_second: std::num::NonZeroU32::new(1000).expect("test setup"),
            allow_private_targets: true, // simulators listen on 127.0.0.1
            ..PolicyConfig::default()
        },
    })
    .expect("test setup")
}

async fn platform(config: VendingSimConfig) -> (VendingSimulator, SimulatorHandle, VendingClient) {
    let sim = VendingSimulator::new(config);
    let handle = sim.spawn().await.expect("test setup");
    let client = client_with(&handle, "10001");
    (sim, handle, client)
}

/// A merchant notify endpoint that records what it receives.
async fn notify_receiver() -> (SimulatorHandle, Arc<Mutex<Vec<DeliveryNotify>>>) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let sink = received.clone();
    let router = Router::new().route(
        "/notify",
        post(move |Json(notify): Json<DeliveryNotify>| {
            let sink = sink.clone();
            async move {
                sink.lock().expect("test setup").push(notify);
                "ok"
            }
        }),
    );
    (spawn(router).await.expect("test setup"), received)
}

fn order(trade: &str, notify_url: &str, product: &str, quantity: u32) -> CreateOrder {
    CreateOrder {
        machine_no: machine(),
        notify_url: notify_url.into(),
        trade_id: TradeId::parse(&format!("{trade:0>20}")).expect("test setup"),
        products: vec![ProductLine {
            product_id: product.into(),
            quantity,
        }],
    }
}

async fn wait_for_notifications(received: &Mutex<Vec<DeliveryNotify>>, count: usize) {
    for _ in 0..200 {
        if received.lock().expect("test setup").len() >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("expected {count} notifications");
}

#[tokio::test]
async fn create_pay_dispense_and_query() {
    let (sim, _handle, client) = platform(VendingSimConfig::default()).await;
    let (receiver, received) = notify_receiver().await;
    let notify_url = format!("{}/notify", receiver.base_url());
    let order_id = client
        .create_order(&order("T1", &notify_url, "p1", 2))
        .await
        .unwrap();
    assert_eq!(sim.stock("12345678", "p1"), Some(3), "stock is reserved");
    let again = client
        .create_order(&order("T1", &notify_url, "p1", 2))
        .await
        .unwrap();
    assert_eq!(again, order_id, "create is idempotent on trade_id");

    client.mark_paid(&machine(), &order_id).await.unwrap();
    let queried = client.query(&machine(), &order_id).await.unwrap();
    assert_eq!(queried.status, Some(VendingOrderStatus::Success));
    assert_eq!(queried.records.len(), 2);

    for record in &queried.records {
        let record_id = record.id.clone().unwrap();
        tokio::time::sleep(Duration::from_millis(60)).await; // the machine is locked while dispensing
        let result = client
            .dispense(&machine(), &order_id, &record_id)
            .await
            .unwrap();
        assert_eq!(result.status.as_deref(), Some("IS_SUCCESS"));
    }
    wait_for_notifications(&received, 2).await;
    let notes = received.lock().unwrap().clone();
    assert!(notes
        .iter()
        .all(|n| n.method == "device.delivery.response" && n.floor_status == "1"));
    let done = client.query(&machine(), &order_id).await.unwrap();
    assert!(done
        .records
        .iter()
        .all(|r| r.status == Some(RecordStatus::IsSuccess)));
}

#[tokio::test]
async fn jammed_dispense_is_reported_and_busy_machine_refuses() {
    let (sim, _handle, client) = platform(VendingSimConfig {
        dispense_lock: Duration::from_secs(30),
        ..VendingSimConfig::default()
    })
    .await;
    let (receiver, received) = notify_receiver().await;
    let notify_url = format!("{}/notify", receiver.base_url());
    let order_id = client
        .create_order(&order("T2", &notify_url, "p1", 2))
        .await
        .unwrap();
    client.mark_paid(&machine(), &order_id).await.unwrap();
    sim.jam_next(1);
    let first = client
        .dispense(&machine(), &order_id, &format!("{order_id}-1"))
        .await
        .unwrap();
    assert_eq!(first.status.as_deref(), Some("IS_FAILED"));
    wait_for_notifications(&received, 1).await;
    let note = received.lock().unwrap()[0].clone();
    assert_eq!(
        (note.deliver_status.as_str(), note.floor_status.as_str()),
        ("0", "2")
    );

    let busy = client
        .dispense(&machine(), &order_id, &format!("{order_id}-2"))
        .await
        .unwrap_err();
    assert_eq!(busy.code(), Some(40007));
}

#[tokio::test]
async fn unpaid_orders_expire_and_return_stock() {
    let (sim, _handle, client) = platform(VendingSimConfig {
        order_expiry: Duration::from_millis(200),
        ..VendingSimConfig::default()
    })
    .await;
    let order_id = client
        .create_order(&order("T3", "http://127.0.0.1:9/n", "p2", 1))
        .await
        .unwrap();
    assert_eq!(sim.stock("12345678", "p2"), Some(0));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sim.stock("12345678", "p2"), Some(1));
    let late = client.mark_paid(&machine(), &order_id).await.unwrap_err();
    assert_eq!(late.code(), Some(40005));
    assert!(late.is_permanent());
    assert_eq!(
        sim.faults().hits(&format!("{ORDERS}/{order_id}")),
        1,
        "codes are never retried"
    );
}

#[tokio::test]
async fn cancel_returns_stock_and_unknown_products_keep_their_message() {
    let (sim, _handle, client) = platform(VendingSimConfig::default()).await;
    let order_id = client
        .create_order(&order("T4", "http://127.0.0.1:9/n", "p1", 3))
        .await
        .unwrap();
    client.cancel(&machine(), &order_id).await.unwrap();
    assert_eq!(sim.stock("12345678", "p1"), Some(5));
    let queried = client.query(&machine(), &order_id).await.unwrap();
    assert_eq!(queried.status, Some(VendingOrderStatus::Closed));
    let delisted = client
        .create_order(&order("T5", "http://127.0.0.1:9/n", "p9", 1))
        .await
        .unwrap_err();
    assert_eq!(delisted.code(), Some(60002));
    assert!(delisted.to_string().contains("product delisted"));
}

#[tokio::test]
async fn bad_signature_and_missing_appid_get_their_codes() {
    let (_sim, handle, client) = platform(VendingSimConfig::default()).await;
    let order_id = client
        .create_order(&order("T6", "http://127.0.0.1:9/n", "p1", 1))
        .await
        .unwrap();
    let wrong_key = client_with(&handle, "99999");
    let refused = wrong_key
        .mark_paid(&machine(), &order_id)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Some(4006));

    let raw = reqwest::Client::new()
        .post(format!("{}{ORDERS}", handle.base_url()))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 401);
    let body: serde_json::Value = raw.json().await.unwrap();
    assert_eq!(body["code"], 10008);
}

#[tokio::test]
async fn transient_faults_are_retried() {
    let (sim, _handle, client) = platform(VendingSimConfig::default()).await;
    sim.faults().set(FaultSettings {
        fail_next: 1,
        throttle_next: 1,
        retry_after_secs: 0,
        ..FaultSettings::default()
    });
    let order_id = client
        .create_order(&order("T7", "http://127.0.0.1:9/n", "p1", 1))
        .await
        .unwrap();
    assert_eq!(sim.faults().hits(ORDERS), 3);
    assert_eq!(sim.orders().len(), 1);
    sim.faults().set(FaultSettings {
        hang_next: 1,
        hang_ms: 5_000,
        ..FaultSettings::default()
    });
    client.query(&machine(), &order_id).await.unwrap();
    assert_eq!(sim.faults().hits(&format!("{ORDERS}/{order_id}")), 2);
}
