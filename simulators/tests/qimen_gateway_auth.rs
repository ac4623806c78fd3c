//! The Qimen gateway simulator's authentication, driven by hand-made signed requests: stale and
//! future timestamps, missing and malformed signatures, tampered bodies, unknown keys and methods —
//! each answered with its TOP error code — and business identity errors as Qimen failures.

// Test fixtures and helpers panic on broken setup by design.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use chrono::Utc;
use secrecy::SecretString;
use switchyard_partners::policy::PolicyConfig;
use switchyard_partners::qimen::request::{business_body, sign_request};
use switchyard_partners::qimen::{QimenClient, QimenConfig, QimenError, SignMethod};
use switchyard_simulators::faults::SimulatorHandle;
use switchyard_simulators::qimen::{QimenSimulator, QimenSimulatorConfig};

const SECRET: &str = "qimen-sim-secret";

async fn start() -> (QimenSimulator, SimulatorHandle) {
    let sim = QimenSimulator::new(QimenSimulatorConfig {
        app_key: "21345678".into(),
        app_secret: SECRET.into(),
        target_app_key: "wdt-target".into(),
        sid: "wdt2".into(),
        wdt_appkey: "wdt2-ot".into(),
    });
    let handle = sim.spawn().await.unwrap();
    (sim, handle)
}

fn config(handle: &SimulatorHandle) -> QimenConfig {
    QimenConfig {
        gateway_url: QimenSimulator::gateway_url(handle),
        app_key: "21345678".into(),
        app_secret: SecretString::from(SECRET),
        target_app_key: "wdt-target".into(),
        sid: "wdt2".into(),
        wdt_appkey: "wdt2-ot".into(),
        shop_no: "shop-1".into(),
        sign_method: SignMethod::Md5,
        policy: PolicyConfig {
            timeout: Duration::from_millis(500),
            max_retries: 0,
            allow_private_targets: true, // simulators listen on 127.0.0.1
            ..PolicyConfig::default()
        },
    }
}

/// Sends a hand-made request and returns the TOP error code in the answer.
async fn raw_call(handle: &SimulatorHandle, query: &[(String, String)], body: Vec<u8>) -> String {
    let answer: serde_json::Value = reqwest::Client::new()
        .post(QimenSimulator::gateway_url(handle))
        .query(query)
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["error_response"]["code"].to_string()
}

#[tokio::test]
async fn gateway_authentication_failures_map_to_top_codes() {
    let (sim, handle) = start().await;
    let config = config(&handle);
    let body = || {
        business_body(
            &config,
            &serde_json::json!({"shop_no": "shop-1", "limit": 5}),
        )
        .unwrap()
    };
    let method = "wdt.logistics.sync.query";

    let stale = sign_request(
        &config,
        method,
        body(),
        Utc::now() - chrono::Duration::minutes(11),
    );
    assert_eq!(
        raw_call(&handle, &stale.query, stale.body).await,
        "31",
        "stale timestamp"
    );
    let future = sign_request(
        &config,
        method,
        body(),
        Utc::now() + chrono::Duration::minutes(11),
    );
    assert_eq!(
        raw_call(&handle, &future.query, future.body).await,
        "31",
        "future timestamp"
    );

    let fresh = sign_request(&config, method, body(), Utc::now());
    let without_sign: Vec<_> = fresh
        .query
        .iter()
        .filter(|(k, _)| k != "sign")
        .cloned()
        .collect();
    assert_eq!(
        raw_call(&handle, &without_sign, fresh.body.clone()).await,
        "24",
        "missing sign"
    );
    let mut garbage = fresh.query.clone();
    garbage.last_mut().unwrap().1 = "not-hex-at-all".into();
    assert_eq!(
        raw_call(&handle, &garbage, fresh.body.clone()).await,
        "25",
        "malformed sign"
    );
    let mut tampered_body = fresh.body.clone();
    tampered_body.push(b' ');
    assert_eq!(
        raw_call(&handle, &fresh.query, tampered_body).await,
        "25",
        "body tampered"
    );

    let other_app = QimenConfig {
        app_key: "99999999".into(),
        ..config.clone()
    };
    let unknown = sign_request(&other_app, method, body(), Utc::now());
    assert_eq!(
        raw_call(&handle, &unknown.query, unknown.body).await,
        "29",
        "unknown app_key"
    );

    let other_target = QimenConfig {
        target_app_key: "someone-else".into(),
        ..config.clone()
    };
    let wrong_target = sign_request(&other_target, method, body(), Utc::now());
    assert_eq!(
        raw_call(&handle, &wrong_target.query, wrong_target.body).await,
        "41",
        "wrong target_app_key"
    );

    let unknown_method = sign_request(&config, "wdt.nothing", body(), Utc::now());
    assert_eq!(
        raw_call(&handle, &unknown_method.query, unknown_method.body).await,
        "22",
        "unknown method"
    );
    assert_eq!(
        sim.auth_failures(),
        ["31", "31", "24", "25", "25", "29", "41"]
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn business_identity_errors_come_back_as_qimen_failures() {
    let (_sim, handle) = start().await;
    let wrong_sid = QimenConfig {
        sid: "someone".into(),
        ..config(&handle)
    };
    let err = QimenClient::new(wrong_sid)
        .unwrap()
        .logistics_sync_query(5)
        .await
        .unwrap_err();
    match err {
        QimenError::Refused(failure) => assert_eq!(failure.sub_code.as_deref(), Some("sid")),
        other => panic!("expected Refused, got {other:?}"),
    }
    handle.shutdown().await;
}
