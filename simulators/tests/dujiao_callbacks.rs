//! Signed callbacks from the simulated upstream site to an integrator, and their retry schedule.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use secrecy::SecretString;
use serde_json::json;
use switchyard_partners::dujiao::wire::{CallbackBody, CreateOrderRequest};
use switchyard_partners::dujiao::{
    send_callback, AuthHeaders, CallbackOutcome, DujiaoClient, DujiaoConnection, DujiaoError,
    DujiaoVerifier, CALLBACK_SIGNED_PATH,
};
use switchyard_partners::policy::{PartnerHttp, PolicyConfig};
use switchyard_simulators::dujiao::{DujiaoSimConfig, DujiaoSimulator, SimSwitches};
use switchyard_simulators::faults::{spawn, SimulatorHandle};

const KEY: &str = "key-a";
const SECRET: &str = "secret-a";

/// An integrator's callback endpoint: verifies like ingress would, refuses the first `refuse` ones.
#[derive(Clone, Default)]
struct Receiver {
    verifier: Arc<DujiaoVerifier>,
    refuse: Arc<Mutex<u32>>,
    accepted: Arc<Mutex<Vec<CallbackBody>>>,
    rejected_signatures: Arc<Mutex<u32>>,
}

async fn receive(
    State(receiver): State<Receiver>,
    headers: HeaderMap,
    body: Bytes,
) -> Json<serde_json::Value> {
    let now = chrono::Utc::now().timestamp();
    let verified = receiver.verifier.verify_with(
        &AuthHeaders::from_headers(&headers),
        "POST",
        CALLBACK_SIGNED_PATH,
        &body,
        now,
        |_| Ok(SecretString::from(SECRET)),
    );
    if verified.is_err() {
        *receiver.rejected_signatures.lock().expect("test setup") += 1;
        return Json(json!({"ok": false, "message": "bad signature"}));
    }
    {
        let mut refuse = receiver.refuse.lock().expect("test setup");
        if *refuse > 0 {
            *refuse -= 1;
            return Json(json!({"ok": false, "message": "try later"}));
        }
    }
    receiver
        .accepted
        .lock()
        .expect("test setup")
        .push(serde_json::from_slice(&body).expect("test setup"));
    Json(json!({"ok": true, "message": "received"}))
}

async fn start_receiver(refuse: u32) -> (Receiver, SimulatorHandle) {
    let receiver = Receiver::default();
    *receiver.refuse.lock().expect("test setup") = refuse;
    // A path unlike the signed one: the signature must still use the literal callback path.
    let router = Router::new()
        .route("/hooks/dujiao/42", post(receive))
        .with_state(receiver.clone());
    (receiver, spawn(router).await.expect("test setup"))
}

fn policy() -> PolicyConfig {
    PolicyConfig {
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        allow_private_targets: true, // simulators listen on 127.0.0.1
        ..PolicyConfig::default()
    }
}

async fn wait_until(check: impl Fn() -> bool) {
    for _ in 0..300 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("condition not reached in time");
}

#[tokio::test]
async fn fulfilment_callback_is_signed_and_retried_until_acknowledged() {
    let (receiver, receiver_handle) = start_receiver(2).await;
    let sim = DujiaoSimulator::new(DujiaoSimConfig {
        callback_delay_factor: 0.001,
        ..DujiaoSimConfig::default().with_credential(KEY, SECRET, 10_000)
    });
    let site = sim.spawn().await.unwrap();
    let client = DujiaoClient::new(DujiaoConnection {
        base_url: site.base_url(),
        api_key: KEY.into(),
        api_secret: SecretString::from(SECRET),
        policy: policy(),
    })
    .unwrap();
    let placed = client
        .create_order(&CreateOrderRequest {
            sku_id: 12,
            quantity: 1,
            manual_form_data: Default::default(),
            downstream_order_no: "D-CB-1".into(),
            trace_id: String::new(),
            callback_url: format!("{}/hooks/dujiao/42", receiver_handle.base_url()),
        })
        .await
        .unwrap();
    assert!(sim.fulfil(placed.order_id));
    wait_until(|| !receiver.accepted.lock().unwrap().is_empty()).await;

    let attempts = sim.callback_attempts();
    assert_eq!(attempts.len(), 3, "{attempts:?}");
    assert!(attempts[..2].iter().all(|a| !a.delivered));
    assert!(attempts[2].delivered);
    assert_eq!(*receiver.rejected_signatures.lock().unwrap(), 0);

    let callback = receiver.accepted.lock().unwrap()[0].clone();
    assert_eq!(callback.downstream_order_no, "D-CB-1");
    assert_eq!(
        CallbackOutcome::from_callback_status(&callback.status),
        Some(CallbackOutcome::Delivered)
    );
    assert!(callback
        .fulfillment
        .unwrap()
        .delivery_data
        .expose()
        .is_object());
    let detail = client.get_order(placed.order_id).await.unwrap();
    assert_eq!(detail.status, "delivered");
}

#[tokio::test]
async fn callback_gives_up_after_the_schedule() {
    let (_receiver, receiver_handle) = start_receiver(100).await;
    let sim = DujiaoSimulator::new(DujiaoSimConfig {
        callback_delay_factor: 0.0001,
        ..DujiaoSimConfig::default().with_credential(KEY, SECRET, 10_000)
    });
    sim.set_switches(SimSwitches {
        auto_fulfil: true,
        ..SimSwitches::default()
    });
    let site = sim.spawn().await.unwrap();
    let client = DujiaoClient::new(DujiaoConnection {
        base_url: site.base_url(),
        api_key: KEY.into(),
        api_secret: SecretString::from(SECRET),
        policy: policy(),
    })
    .unwrap();
    client
        .create_order(&CreateOrderRequest {
            sku_id: 12,
            quantity: 1,
            manual_form_data: Default::default(),
            downstream_order_no: "D-CB-2".into(),
            trace_id: String::new(),
            callback_url: format!("{}/hooks/dujiao/42", receiver_handle.base_url()),
        })
        .await
        .unwrap();
    wait_until(|| sim.callback_attempts().iter().any(|a| a.gave_up)).await;
    let attempts = sim.callback_attempts();
    assert_eq!(attempts.len(), 6, "first try + 30/60/120/300/300 s retries");
}

#[tokio::test]
async fn relayed_callback_is_delivered_only_on_ok_true() {
    let (receiver, handle) = start_receiver(1).await;
    let http = PartnerHttp::new("dujiao-callback", policy()).unwrap();
    let url = format!("{}/hooks/dujiao/42", handle.base_url());
    let body = CallbackBody {
        event: "order.status_changed".into(),
        order_id: 7,
        order_no: "UP7".into(),
        downstream_order_no: "D-7".into(),
        status: "canceled".into(),
        fulfillment: None,
        timestamp: chrono::Utc::now().timestamp(),
    };
    let secret = SecretString::from(SECRET);
    let refused = send_callback(&http, &url, &body, KEY, &secret)
        .await
        .unwrap_err();
    assert!(matches!(
        refused,
        DujiaoError::CallbackRejected { status: 200 }
    ));
    assert!(refused.is_retryable());
    // The identical body sent again in the same second still gets a fresh signature.
    send_callback(&http, &url, &body, KEY, &secret)
        .await
        .unwrap();
    assert_eq!(receiver.accepted.lock().unwrap().len(), 1);
    assert_eq!(*receiver.rejected_signatures.lock().unwrap(), 0);

    let wrong = SecretString::from("other-secret");
    let err = send_callback(&http, &url, &body, KEY, &wrong)
        .await
        .unwrap_err();
    assert!(matches!(err, DujiaoError::CallbackRejected { .. }));
    assert_eq!(*receiver.rejected_signatures.lock().unwrap(), 1);
}
