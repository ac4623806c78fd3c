//! The D-Store simulator as a caller: it signs createOrder / inquireOrderDetail / pushOrderChange
//! with the D-Store key, a POS (here a minimal one built on the partners crate) verifies them and
//! answers signed, and the simulator returns the POS's verified answer.

// Test fixtures and helpers panic on broken setup by design.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use switchyard_partners::dstore::wire::{
    paths, CreateOrderAnswer, CreateOrderRequest, DstoreAmount, DstoreCustomer, DstoreResult,
    InquireOrderDetailAnswer, InquireOrderDetailRequest, PushOrderChangeAnswer,
    PushOrderChangeRequest, ServiceType,
};
use switchyard_partners::dstore::{
    sign_message, verify_message, DstoreOrderStatus, DstorePrivateKey, DstorePublicKey, MessageKind,
};
use switchyard_simulators::dstore::{DstoreCallError, DstoreSimulator, DstoreSimulatorConfig};
use switchyard_simulators::faults::spawn;

const CLIENT_ID: &str = "375Y903U2Y45KE00600";

fn pem(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/vectors/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[derive(Clone)]
struct TestPos {
    own_key: DstorePrivateKey,
    dstore_key: DstorePublicKey,
    orders: Arc<Mutex<HashMap<String, (String, DstoreOrderStatus)>>>,
}

impl TestPos {
    fn answer(&self, path: &str, body: Vec<u8>) -> Response {
        let time = "2024-01-01T00:00:00.000+08:00";
        let mut headers = HeaderMap::new();
        for (name, value) in sign_message(
            &self.own_key,
            MessageKind::Response,
            CLIENT_ID,
            time,
            "POST",
            path,
            &body,
        ) {
            headers.insert(
                HeaderName::from_static(name),
                HeaderValue::from_str(&value).unwrap(),
            );
        }
        (headers, body).into_response()
    }
}

async fn pos_handler(
    State(pos): State<TestPos>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    if let Err(err) = verify_message(
        &pos.dstore_key,
        MessageKind::Request,
        Some(CLIENT_ID),
        "POST",
        &path,
        &headers,
        &body,
    ) {
        let failed =
            serde_json::json!({"result": DstoreResult::failed(err.result_code(), "rejected")});
        return pos.answer(&path, serde_json::to_vec(&failed).unwrap());
    }
    let answer = match path.as_str() {
        paths::CREATE_ORDER => {
            let request: CreateOrderRequest = serde_json::from_slice(&body).unwrap();
            let mut orders = pos.orders.lock().unwrap();
            let next = format!("pos-{}", orders.len() + 1);
            // requestOrderId is the idempotency key: a repeat returns the same posOrderId.
            let (pos_order_id, _) = orders
                .entry(request.request_order_id)
                .or_insert((next, DstoreOrderStatus::Accepted))
                .clone();
            serde_json::to_vec(&CreateOrderAnswer {
                result: DstoreResult::success(),
                pos_order_id: Some(pos_order_id),
                auto_accept: Some(true),
            })
        }
        paths::INQUIRE_ORDER_DETAIL => {
            let request: InquireOrderDetailRequest = serde_json::from_slice(&body).unwrap();
            let orders = pos.orders.lock().unwrap();
            let answer = match orders.get(&request.request_order_id) {
                Some((id, status)) => InquireOrderDetailAnswer {
                    result: DstoreResult::success(),
                    pos_order_id: Some(id.clone()),
                    order_status: Some(*status),
                },
                None => InquireOrderDetailAnswer {
                    result: DstoreResult::failed("ORDER_NOT_EXIST", "unknown order"),
                    pos_order_id: None,
                    order_status: None,
                },
            };
            serde_json::to_vec(&answer)
        }
        _ => {
            let request: PushOrderChangeRequest = serde_json::from_slice(&body).unwrap();
            if let Some(order) = pos
                .orders
                .lock()
                .unwrap()
                .get_mut(&request.request_order_id)
            {
                order.1 = request.order_status;
            }
            serde_json::to_vec(&PushOrderChangeAnswer {
                result: DstoreResult::success(),
            })
        }
    };
    pos.answer(&path, answer.unwrap())
}

fn simulator(pos_key: &str) -> DstoreSimulator {
    DstoreSimulator::new(DstoreSimulatorConfig {
        client_id: CLIENT_ID.into(),
        dstore_private_key: DstorePrivateKey::from_pkcs8_pem(&pem("dstore_test_private.pem"))
            .unwrap(),
        pos_public_key: DstorePublicKey::parse(&pem(pos_key)).unwrap(),
    })
}

fn test_pos(dstore_key: &str) -> Router {
    let pos = TestPos {
        own_key: DstorePrivateKey::from_pkcs8_pem(&pem("other_test_private.pem")).unwrap(),
        dstore_key: DstorePublicKey::parse(&pem(dstore_key)).unwrap(),
        orders: Arc::default(),
    };
    Router::new()
        .route(paths::CREATE_ORDER, post(pos_handler))
        .route(paths::INQUIRE_ORDER_DETAIL, post(pos_handler))
        .route(paths::PUSH_ORDER_CHANGE, post(pos_handler))
        .with_state(pos)
}

fn order() -> CreateOrderRequest {
    CreateOrderRequest {
        request_order_id: "20230828001".into(),
        pos_account_id: "acc-1".into(),
        pos_store_id: "store-1".into(),
        order_channel: Some("ALIPAY_CN".into()),
        channel_order_id: Some("ch-1".into()),
        service_type: Some(ServiceType::Pickup),
        expect_fulfillment_time: None,
        customer: Some(DstoreCustomer {
            name: Some("Tan Ah Kow".into()),
            phone: Some("+6591234567".into()),
        }),
        order_products: vec![],
        order_amount: DstoreAmount {
            value: 1500,
            currency: "SGD".into(),
        },
    }
}

#[tokio::test]
async fn create_inquire_and_push_round_trip_with_verified_answers() {
    let pos = spawn(test_pos("dstore_test_public.pem")).await.unwrap();
    let sim = simulator("other_test_public.pem");
    let created = sim.create_order(&pos.base_url(), &order()).await.unwrap();
    assert_eq!(created.result, DstoreResult::success());
    assert_eq!(created.pos_order_id.as_deref(), Some("pos-1"));
    let again = sim.create_order(&pos.base_url(), &order()).await.unwrap();
    assert_eq!(
        again.pos_order_id.as_deref(),
        Some("pos-1"),
        "createOrder is idempotent by requestOrderId"
    );

    let inquiry = InquireOrderDetailRequest {
        request_order_id: "20230828001".into(),
    };
    let detail = sim
        .inquire_order_detail(&pos.base_url(), &inquiry)
        .await
        .unwrap();
    assert_eq!(detail.order_status, Some(DstoreOrderStatus::Accepted));

    let change = PushOrderChangeRequest {
        request_id: "chg-1".into(),
        request_order_id: "20230828001".into(),
        order_status: DstoreOrderStatus::Cancelled,
        reason: Some("customer cancelled".into()),
    };
    sim.push_order_change(&pos.base_url(), &change)
        .await
        .unwrap();
    let detail = sim
        .inquire_order_detail(&pos.base_url(), &inquiry)
        .await
        .unwrap();
    assert_eq!(detail.order_status, Some(DstoreOrderStatus::Cancelled));
    pos.shutdown().await;
}

#[tokio::test]
async fn a_pos_with_the_wrong_dstore_key_refuses_with_invalid_signature() {
    // The POS expects D-Store calls under a key D-Store does not hold.
    let pos = spawn(test_pos("other_test_public.pem")).await.unwrap();
    let sim = simulator("other_test_public.pem");
    let answer = sim.create_order(&pos.base_url(), &order()).await.unwrap();
    assert_eq!(answer.result.result_code, "INVALID_SIGNATURE");
    pos.shutdown().await;
}

#[tokio::test]
async fn an_answer_the_simulator_cannot_verify_is_an_error() {
    let pos = spawn(test_pos("dstore_test_public.pem")).await.unwrap();
    // The simulator expects the POS to sign with the D-Store test key, which it does not.
    let sim = simulator("dstore_test_public.pem");
    let err = sim
        .create_order(&pos.base_url(), &order())
        .await
        .unwrap_err();
    assert!(
        matches!(err, DstoreCallError::AnswerSignature(_)),
        "{err:?}"
    );
    pos.shutdown().await;
}

#[test]
fn customer_personal_data_is_redacted_in_debug() {
    let shown = format!("{:?}", order());
    assert!(!shown.contains("+6591234567"));
    assert!(!shown.contains("Tan Ah Kow"));
}
