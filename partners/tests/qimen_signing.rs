//! Qimen request signing: the signed request round-trips, every signed system parameter and the
//! body are protected, the wrong secret fails, timestamps are GMT+8 and secrets never show.

// Test fixtures and helpers panic on broken setup by design.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use chrono::{TimeZone, Utc};
use secrecy::SecretString;
use switchyard_partners::policy::PolicyConfig;
use switchyard_partners::qimen::request::{business_body, sign_request};
use switchyard_partners::qimen::wire::{
    strip_privacy_fields, LogisticsSyncQueryAnswer, TradePushRequest,
};
use switchyard_partners::qimen::{verify_top_sign, QimenClient, QimenConfig, SignMethod};

const SECRET: &str = "qimen-test-secret-5e2f";

fn config(sign_method: SignMethod) -> QimenConfig {
    QimenConfig {
        gateway_url: "http://127.0.0.1:9/router/qm".into(),
        app_key: "21345678".into(),
        app_secret: SecretString::from(SECRET),
        target_app_key: "wdt-target".into(),
        sid: "wdt2".into(),
        wdt_appkey: "wdt2-ot".into(),
        shop_no: "shop-1".into(),
        sign_method,
        policy: PolicyConfig::default(),
    }
}

fn verifies(query: &[(String, String)], body: &[u8], secret: &str, method: SignMethod) -> bool {
    let sign = query
        .iter()
        .find(|(k, _)| k == "sign")
        .map(|(_, v)| v.clone())
        .unwrap();
    verify_top_sign(
        query.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        Some(body),
        secret.as_bytes(),
        method,
        &sign,
    )
}

#[test]
fn signed_requests_round_trip_for_every_method() {
    let at = Utc.with_ymd_and_hms(2024, 5, 1, 4, 0, 0).unwrap();
    for method in [SignMethod::Md5, SignMethod::HmacMd5, SignMethod::HmacSha256] {
        let config = config(method);
        let body = business_body(&config, &serde_json::json!({"shop_no": "shop-1"})).unwrap();
        let signed = sign_request(&config, "wdt.trade.push", body, at);
        assert!(verifies(&signed.query, &signed.body, SECRET, method));
        assert!(
            !verifies(&signed.query, &signed.body, "wrong-secret", method),
            "wrong key"
        );
        let timestamp = signed.query.iter().find(|(k, _)| k == "timestamp").unwrap();
        assert_eq!(timestamp.1, "2024-05-01 12:00:00", "GMT+8");
        let sign_method = signed
            .query
            .iter()
            .find(|(k, _)| k == "sign_method")
            .unwrap();
        assert_eq!(sign_method.1, method.as_str());
    }
}

#[test]
fn every_signed_parameter_and_the_body_are_protected() {
    let config = config(SignMethod::Md5);
    let body = business_body(&config, &serde_json::json!({"limit": 10})).unwrap();
    let signed = sign_request(&config, "wdt.logistics.sync.query", body, Utc::now());
    for (index, (name, _)) in signed.query.iter().enumerate() {
        if name == "sign" {
            continue;
        }
        let mut tampered = signed.query.clone();
        tampered[index].1.push('x');
        assert!(
            !verifies(&tampered, &signed.body, SECRET, SignMethod::Md5),
            "{name} is signed"
        );
    }
    let mut body = signed.body.clone();
    body.extend_from_slice(b" ");
    assert!(
        !verifies(&signed.query, &body, SECRET, SignMethod::Md5),
        "body is signed"
    );
}

#[test]
fn business_body_carries_sid_and_wdt_appkey_distinct_from_app_key() {
    let config = config(SignMethod::Md5);
    let body: serde_json::Value =
        serde_json::from_slice(&business_body(&config, &serde_json::json!({})).unwrap()).unwrap();
    assert_eq!(body["sid"], "wdt2");
    assert_eq!(body["appkey"], "wdt2-ot");
    let signed = sign_request(&config, "wdt.stock.query", vec![], Utc::now());
    assert!(signed
        .query
        .iter()
        .any(|(k, v)| k == "app_key" && v == "21345678"));
    assert!(!signed.query.iter().any(|(k, _)| k == "appkey"));
}

#[test]
fn trade_list_travels_as_a_json_string() {
    let json = r#"{"shop_no":"s","switch":0,"trade_list":"[]"}"#;
    let request: TradePushRequest = serde_json::from_str(json).unwrap();
    assert!(request.trade_list.is_empty());
    let back = serde_json::to_value(&request).unwrap();
    assert_eq!(back["trade_list"], "[]");
}

#[test]
fn privacy_fields_are_absent_from_decoded_answers_and_stripped_from_raw_json() {
    let raw = serde_json::json!({"code": 0, "trades": [{
        "rec_id": 1, "tid": "T1", "logistics_no": "SF1", "receiver_mobile": "13800138000",
        "receiver_address": "1 Some Road", "buyer_nick": "nick"
    }]});
    let answer: LogisticsSyncQueryAnswer = serde_json::from_value(raw.clone()).unwrap();
    let shown = format!("{answer:?}");
    assert!(
        !shown.contains("13800138000") && !shown.contains("Some Road") && !shown.contains("nick")
    );
    let mut stripped = raw;
    strip_privacy_fields(&mut stripped);
    let text = stripped.to_string();
    assert!(!text.contains("receiver_mobile") && !text.contains("13800138000"));
    assert!(text.contains("SF1"));
}

#[test]
fn debug_of_config_client_and_request_hides_the_secret_and_the_signature() {
    let config = config(SignMethod::HmacSha256);
    let shown = format!("{config:?}");
    assert!(!shown.contains(SECRET), "{shown}");
    let client = QimenClient::new(QimenConfig {
        policy: PolicyConfig {
            timeout: Duration::from_secs(1),
            ..PolicyConfig::default()
        },
        ..config.clone()
    })
    .unwrap();
    assert!(!format!("{client:?}").contains(SECRET));
    let signed = sign_request(&config, "wdt.trade.push", b"{}".to_vec(), Utc::now());
    let sign = signed
        .query
        .iter()
        .find(|(k, _)| k == "sign")
        .unwrap()
        .1
        .clone();
    assert!(!format!("{signed:?}").contains(&sign));
}
