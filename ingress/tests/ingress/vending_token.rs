//! Vending notify tokens and field caps: a report must come to the `notify_url` we issued
//! (token over machine and order), is refused in the platform's format otherwise — before the
//! database or a topic is touched — and every field is capped.

use reqwest::{Method, StatusCode};
use switchyard_ingress::{IngressConfig, TokenMode};
use switchyard_partners::vending::notify_token::PURPOSE;
use switchyard_partners::vending::NotifyTokens;
use switchyard_testkit::broker::shared_broker;
use switchyard_testkit::secrets::secret_box;
use switchyard_topics::catalogue::names;

use crate::harness::{json_of, test_config, Harness};

const REF: &str = "5b0a3f1e-6f43-4c51-9a47-6a8f3f1b2c0d";

fn tokens() -> NotifyTokens {
    NotifyTokens::new(secret_box().derive_key(PURPOSE).bytes())
}

fn report(order_id: &str) -> Vec<u8> {
    serde_json::json!({"method": "device.delivery.response", "order_id": order_id,
        "record_id": "7", "deliver_status": "1", "floor_status": "1", "error_msg": ""})
    .to_string()
    .into_bytes()
}

async fn required() -> Harness {
    let config = IngressConfig {
        vending_notify_tokens: TokenMode::Required,
        ..test_config()
    };
    Harness::start_with(config, &shared_broker().expect("a test broker")).await
}

async fn dedupe_rows(h: &Harness) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM ingress_dedupe")
        .fetch_one(&h.pool)
        .await
        .expect("dedupe count")
}

async fn post(h: &Harness, path: &str, body: Vec<u8>) -> (StatusCode, serde_json::Value) {
    let (status, _, body) = h
        .send(Method::POST, path, &[], body, "application/json")
        .await;
    (status, json_of(&body))
}

#[tokio::test]
async fn a_report_to_the_issued_notify_url_is_queued() {
    let h = required().await;
    let path = format!("/vending/notify?{}", tokens().notify_query("12345678", REF));
    let (status, body) = post(&h, &path, report("60")).await;
    assert_eq!((status, body["code"].as_i64()), (StatusCode::OK, Some(0)));
    assert_eq!(h.settled_count(names::VENDING_DISPENSE_RESULTS).await, 1);
    assert_eq!(dedupe_rows(&h).await, 1);
    h.stop().await;
}

#[tokio::test]
async fn missing_or_forged_tokens_are_refused_before_the_database_and_the_topic() {
    let h = required().await;
    let tokens = tokens();
    let other_order = tokens.issue("12345678", "another-order");
    let other_machine = tokens.issue("87654321", REF);
    let foreign = NotifyTokens::new(&[9; 32]).issue("12345678", REF);
    let cases = [
        ("no token", "/vending/notify?machine_no=12345678".to_owned()),
        (
            "no ref",
            format!("/vending/notify?machine_no=12345678&token={other_order}"),
        ),
        (
            "token of another order",
            format!("/vending/notify?machine_no=12345678&ref={REF}&token={other_order}"),
        ),
        (
            "token of another machine",
            format!("/vending/notify?machine_no=12345678&ref={REF}&token={other_machine}"),
        ),
        (
            "token under another key",
            format!("/vending/notify?machine_no=12345678&ref={REF}&token={foreign}"),
        ),
        (
            "garbage token",
            format!("/vending/notify?machine_no=12345678&ref={REF}&token=abc"),
        ),
    ];
    for (label, path) in &cases {
        let (status, body) = post(&h, path, report("60")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{label}");
        assert_eq!(body["code"].as_i64(), Some(401), "{label}: {body}");
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|m| m.contains("token")),
            "{label}: the reason is named: {body}"
        );
    }
    assert_eq!(h.settled_count(names::VENDING_DISPENSE_RESULTS).await, 0);
    assert_eq!(
        dedupe_rows(&h).await,
        0,
        "no dedupe row for a refused report"
    );
    let refused = h
        .metric(
            "switchyard_ingress_requests_total{endpoint=\"vending_notify\",outcome=\"unauthenticated\"}",
        )
        .unwrap_or_default();
    assert_eq!(refused, cases.len() as f64);
    h.stop().await;
}

#[tokio::test]
async fn over_long_or_malformed_fields_are_refused() {
    let h = required().await;
    let path = format!("/vending/notify?{}", tokens().notify_query("12345678", REF));
    let long_id = "9".repeat(65);
    let field = |name: &str, value: serde_json::Value| {
        let mut body: serde_json::Value = serde_json::from_slice(&report("60")).unwrap();
        body[name] = value;
        body.to_string().into_bytes()
    };
    let cases = [
        ("order_id", report(&long_id)),
        ("record_id", field("record_id", long_id.clone().into())),
        ("method", field("method", long_id.clone().into())),
        ("deliver_status", field("deliver_status", "2".into())),
        ("floor_status", field("floor_status", "123456789".into())),
        ("error_msg", field("error_msg", "x".repeat(513).into())),
    ];
    for (label, body) in cases {
        let (status, answer) = post(&h, &path, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{label}");
        assert_eq!(answer["code"].as_i64(), Some(400), "{label}: {answer}");
    }
    let long_ref = "r".repeat(65);
    let token = tokens().issue("12345678", &long_ref);
    let (status, _) = post(
        &h,
        &format!("/vending/notify?machine_no=12345678&ref={long_ref}&token={token}"),
        report("60"),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "an over-long ref is never verified"
    );
    // At the caps exactly, the report is taken.
    let at_caps = field("error_msg", "x".repeat(512).into());
    let (status, _) = post(&h, &path, at_caps).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h.settled_count(names::VENDING_DISPENSE_RESULTS).await, 1);
    assert_eq!(dedupe_rows(&h).await, 1);
    h.stop().await;
}

#[tokio::test]
async fn during_a_rollout_reports_without_a_token_may_be_accepted_but_bad_tokens_never() {
    let h = Harness::start().await; // test_config: `optional`, the rollout setting
    let (status, _) = post(&h, "/vending/notify?machine_no=12345678", report("60")).await;
    assert_eq!(status, StatusCode::OK, "an order from before the tokens");
    let (status, _) = post(
        &h,
        &format!("/vending/notify?machine_no=12345678&ref={REF}&token=forged"),
        report("61"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(h.settled_count(names::VENDING_DISPENSE_RESULTS).await, 1);
    h.stop().await;
}
