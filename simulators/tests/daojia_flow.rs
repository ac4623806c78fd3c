//! 58 Daojia end to end over real HTTP: the simulator pushes signed orders to a provider endpoint
//! (a minimal one built on the partners crate's verifier), and the provider's status updates go
//! through the `updateOrderDetail` client to the simulator, which enforces signatures, the
//! timestamp window and the allowed journeys.

// Test fixtures and helpers panic on broken setup by design.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::routing::post;
use axum::{Form, Json, Router};
use secrecy::SecretString;
use switchyard_domain::{Currency, Money};
use switchyard_partners::daojia::update::{codes, UPDATE_ORDER_DETAIL_PATH};
use switchyard_partners::daojia::{
    DaojiaClient, DaojiaConfig, DaojiaError, DaojiaOrder, DaojiaOrderStatus, DaojiaPushForm,
    OrderDetailUpdate, Personal, PushAnswer, PushVerifier, UpdateOrderDetailForm, VerifiedPush,
};
use switchyard_partners::policy::PolicyConfig;
use switchyard_simulators::daojia::{DaojiaSimulator, DaojiaSimulatorConfig};
use switchyard_simulators::faults::{spawn, FaultSettings, SimulatorHandle};

const PUSH_SECRET: &str = "push-secret";
const SERVICE_SECRET: &str = "service-secret";

fn simulator() -> DaojiaSimulator {
    DaojiaSimulator::new(DaojiaSimulatorConfig {
        push_secret: PUSH_SECRET.into(),
        service_key: "svc-1".into(),
        service_secret: SERVICE_SECRET.into(),
        access_token: "token-1".into(),
    })
}

/// Orders the provider accepted, by 58 order id (a repeat push must not add one).
type Received = Arc<Mutex<HashMap<String, VerifiedPush>>>;

async fn provider_callback(
    State((verifier, received)): State<(PushVerifier, Received)>,
    Form(form): Form<DaojiaPushForm>,
) -> Json<PushAnswer> {
    match verifier.verify(&form, chrono::Utc::now()) {
        Ok(push) => {
            let order_id = push.order_id().to_string();
            received
                .lock()
                .unwrap()
                .entry(order_id.clone())
                .or_insert(push);
            Json(PushAnswer::received(&order_id))
        }
        Err(rejection) => Json(PushAnswer::rejected(&rejection)),
    }
}

async fn provider(secret: &str) -> (SimulatorHandle, String, Received) {
    let received = Received::default();
    let verifier = PushVerifier::new(SecretString::from(secret), Duration::from_secs(600));
    let router = Router::new()
        .route("/58/callback", post(provider_callback))
        .with_state((verifier, received.clone()));
    let handle = spawn(router).await.unwrap();
    let url = format!("{}/58/callback", handle.base_url());
    (handle, url, received)
}

fn order(order_id: &str) -> DaojiaOrder {
    let price = Money::parse_decimal("199.00", Currency::CNY).unwrap();
    DaojiaOrder {
        order_id: order_id.into(),
        user_mobile: Personal::new("13800138000".into()),
        city_id: Some(1),
        city_name: Some("Beijing".into()),
        lng: Personal::new(Some(116.39)),
        lat: Personal::new(Some(39.91)),
        service_address: Personal::new("88 Hidden Lane".into()),
        service_begin_time: "2024-05-01 09:00:00".into(),
        service_end_time: None,
        service_duration: Some(120),
        total_price: price,
        remark: Personal::new(None),
        order_details: vec![],
    }
}

fn fast_policy() -> PolicyConfig {
    PolicyConfig {
        timeout: Duration::from_millis(500),
        rate_per_second: 500.try_into().unwrap(),
        burst: 500.try_into().unwrap(),
        max_retries: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        retry_after_clamp: Duration::from_secs(2),
        allow_private_targets: true, // simulators listen on 127.0.0.1
        ..PolicyConfig::default()
    }
}

fn client(handle: &SimulatorHandle, service_secret: &str) -> DaojiaClient {
    DaojiaClient::new(DaojiaConfig {
        api_url: handle.base_url(),
        access_token: SecretString::from("token-1"),
        service_key: "svc-1".into(),
        service_secret: SecretString::from(service_secret),
        policy: fast_policy(),
    })
    .unwrap()
}

fn update(order_id: &str, status: DaojiaOrderStatus, total: Option<i64>) -> OrderDetailUpdate {
    OrderDetailUpdate {
        order_id: order_id.into(),
        order_status: status,
        total_price_fen: total,
    }
}

#[tokio::test]
async fn pushed_orders_are_received_once_per_order_id() {
    let sim = simulator();
    let (handle, url, received) = provider(PUSH_SECRET).await;
    let answer = sim.push_order(&url, &order("58-1")).await.unwrap();
    assert_eq!(answer, PushAnswer::received("58-1"));
    let again = sim.push_order(&url, &order("58-1")).await.unwrap();
    assert!(again.is_success(), "a repeated push is acknowledged");
    assert_eq!(
        received.lock().unwrap().len(),
        1,
        "and creates no second order"
    );

    let cancel = sim
        .push_cancellation(&url, "58-1", "customer changed plans")
        .await
        .unwrap();
    assert!(cancel.is_success());
    assert_eq!(sim.status_of("58-1"), Some(DaojiaOrderStatus::Cancelled));
    handle.shutdown().await;
}

#[tokio::test]
async fn tampered_stale_and_wrongly_keyed_pushes_get_their_error_codes() {
    let sim = simulator();
    let (handle, url, received) = provider(PUSH_SECRET).await;
    let json = serde_json::to_string(&order("58-2")).unwrap();
    let now_ms = chrono::Utc::now().timestamp_millis();

    let mut tampered = sim.signed_push("createOrder", &json, &now_ms.to_string());
    tampered.daojia_json = tampered.daojia_json.replace("199.00", "1.00");
    assert_eq!(sim.send_push(&url, &tampered).await.unwrap().code, 401);

    let stale = sim.signed_push("createOrder", &json, &(now_ms - 11 * 60 * 1000).to_string());
    assert_eq!(sim.send_push(&url, &stale).await.unwrap().code, 403);
    let future = sim.signed_push("createOrder", &json, &(now_ms + 11 * 60 * 1000).to_string());
    assert_eq!(sim.send_push(&url, &future).await.unwrap().code, 403);

    let mut unsigned = sim.signed_push("createOrder", &json, &now_ms.to_string());
    unsigned.daojia_sig.clear();
    let answer = sim.send_push(&url, &unsigned).await.unwrap();
    assert_eq!(answer.code, 400);
    assert!(answer.data.is_none());
    handle.shutdown().await;

    let (other, other_url, _) = provider("a-different-secret").await;
    assert_eq!(
        sim.push_order(&other_url, &order("58-3"))
            .await
            .unwrap()
            .code,
        401,
        "wrong key"
    );
    assert!(received.lock().unwrap().is_empty());
    other.shutdown().await;
}

#[tokio::test]
async fn status_updates_follow_an_allowed_journey() {
    let sim = simulator();
    let handle = sim.spawn().await.unwrap();
    let client = client(&handle, SERVICE_SECRET);
    sim.book_order("58-4", 19_900);
    for status in [
        DaojiaOrderStatus::Accepted,
        DaojiaOrderStatus::InService,
        DaojiaOrderStatus::AwaitingPayment,
        DaojiaOrderStatus::Paid,
        DaojiaOrderStatus::Completed,
    ] {
        let answer = client
            .update_order_detail(&update("58-4", status, None))
            .await
            .unwrap();
        assert_eq!(answer.code, codes::SUCCESS);
    }
    assert_eq!(sim.status_of("58-4"), Some(DaojiaOrderStatus::Completed));
    handle.shutdown().await;
}

#[tokio::test]
async fn refused_updates_are_not_retried() {
    let sim = simulator();
    let handle = sim.spawn().await.unwrap();
    let client = client(&handle, SERVICE_SECRET);
    sim.book_order("58-5", 19_900);

    let err = client
        .update_order_detail(&update("58-5", DaojiaOrderStatus::Paid, None))
        .await
        .unwrap_err();
    assert!(
        matches!(err, DaojiaError::Refused { code: 409, .. }),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    assert_eq!(sim.faults().hits(UPDATE_ORDER_DETAIL_PATH), 1);

    for status in [
        DaojiaOrderStatus::Accepted,
        DaojiaOrderStatus::AwaitingPayment,
    ] {
        client
            .update_order_detail(&update("58-5", status, Some(25_000)))
            .await
            .unwrap();
    }
    client
        .update_order_detail(&update("58-5", DaojiaOrderStatus::Paid, None))
        .await
        .unwrap();
    let err = client
        .update_order_detail(&update("58-5", DaojiaOrderStatus::InService, Some(1)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, DaojiaError::Refused { code: 409, .. }),
        "total frozen once paid: {err:?}"
    );
    assert_eq!(sim.total_of("58-5"), Some(25_000));

    let err = client
        .update_order_detail(&update("58-unknown", DaojiaOrderStatus::Accepted, None))
        .await
        .unwrap_err();
    assert!(matches!(err, DaojiaError::Refused { code: 404, .. }));

    let wrong_key = self::client(&handle, "not-the-secret");
    let err = wrong_key
        .update_order_detail(&update("58-5", DaojiaOrderStatus::InService, None))
        .await
        .unwrap_err();
    assert!(
        matches!(err, DaojiaError::Refused { code: 401, .. }),
        "{err:?}"
    );
    assert_eq!(sim.refusals(), [409, 409, 404, 401]);
    handle.shutdown().await;
}

#[tokio::test]
async fn transient_failures_are_retried_until_the_update_lands() {
    let sim = simulator();
    let handle = sim.spawn().await.unwrap();
    let client = client(&handle, SERVICE_SECRET);
    sim.book_order("58-6", 19_900);

    sim.faults().set(FaultSettings {
        fail_next: 1,
        throttle_next: 1,
        retry_after_secs: 1,
        ..FaultSettings::default()
    });
    client
        .update_order_detail(&update("58-6", DaojiaOrderStatus::Accepted, None))
        .await
        .unwrap();
    assert_eq!(sim.faults().hits(UPDATE_ORDER_DETAIL_PATH), 3);

    sim.faults().set(FaultSettings {
        hang_next: 1,
        hang_ms: 2_000,
        ..FaultSettings::default()
    });
    client
        .update_order_detail(&update("58-6", DaojiaOrderStatus::InService, None))
        .await
        .unwrap();

    sim.faults().reset();
    sim.script_codes([codes::INTERNAL, codes::RATE_LIMITED]);
    client
        .update_order_detail(&update("58-6", DaojiaOrderStatus::AwaitingPayment, None))
        .await
        .unwrap();
    assert_eq!(
        sim.faults().hits(UPDATE_ORDER_DETAIL_PATH),
        3,
        "two transient answer codes, then success"
    );
    assert_eq!(
        sim.status_of("58-6"),
        Some(DaojiaOrderStatus::AwaitingPayment)
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn stale_and_future_update_timestamps_get_403() {
    let sim = simulator();
    let handle = sim.spawn().await.unwrap();
    sim.book_order("58-7", 100);
    let url = format!("{}{UPDATE_ORDER_DETAIL_PATH}", handle.base_url());
    for skew in [
        chrono::Duration::minutes(-11),
        chrono::Duration::minutes(11),
    ] {
        let form = UpdateOrderDetailForm::signed(
            "token-1",
            "svc-1",
            SERVICE_SECRET.as_bytes(),
            &update("58-7", DaojiaOrderStatus::Accepted, None),
            chrono::Utc::now() + skew,
        )
        .unwrap();
        let answer: serde_json::Value = reqwest::Client::new()
            .post(&url)
            .form(&form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(answer["code"], 403);
    }
    let mut tampered = UpdateOrderDetailForm::signed(
        "token-1",
        "svc-1",
        SERVICE_SECRET.as_bytes(),
        &update("58-7", DaojiaOrderStatus::Accepted, None),
        chrono::Utc::now(),
    )
    .unwrap();
    tampered.daojia_json = tampered.daojia_json.replace("20", "70");
    let answer: serde_json::Value = reqwest::Client::new()
        .post(&url)
        .form(&tampered)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["code"], 401, "tampered daojiaJson");
    assert_eq!(sim.status_of("58-7"), Some(DaojiaOrderStatus::Booked));
    handle.shutdown().await;
}
