//! 58 Daojia push verification: round trip, one tamper test per signed field, wrong secret,
//! stale and future timestamps, missing fields and unknown funId — each mapped to its answer code —
//! and personal data kept out of `Debug`.

// Test fixtures and helpers panic on broken setup by design.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use chrono::{TimeZone, Utc};
use secrecy::SecretString;
use switchyard_partners::daojia::push::{parse_push_timestamp, FUN_CANCEL_ORDER, FUN_CREATE_ORDER};
use switchyard_partners::daojia::sign::push_sign;
use switchyard_partners::daojia::{
    DaojiaClient, DaojiaConfig, DaojiaPushForm, PushAnswer, PushRejection, PushVerifier,
    VerifiedPush,
};
use switchyard_partners::policy::PolicyConfig;

const SECRET: &str = "daojia-push-secret";
const PHONE: &str = "13800138000";
const ADDRESS: &str = "88 Hidden Lane, Room 1201";

fn order_json() -> String {
    serde_json::json!({
        "orderId": "58-1001",
        "userMobile": PHONE,
        "cityId": 1,
        "cityName": "Beijing",
        "lng": 116.397128,
        "lat": 39.916527,
        "serviceAddress": ADDRESS,
        "serviceBeginTime": "2024-05-01 09:00:00",
        "serviceEndTime": "2024-05-01 11:00:00",
        "serviceDuration": 120,
        "totalPrice": "199.00",
        "remark": "call before arriving",
        "orderDetails": [{"goodsId": "clean-2h", "goodsNumber": 1, "goodsPrice": 199}]
    })
    .to_string()
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap()
}

fn form(fun_id: &str, json: &str, timestamp: &str) -> DaojiaPushForm {
    DaojiaPushForm {
        fun_id: fun_id.into(),
        nonce: "n-42".into(),
        timestamp: timestamp.into(),
        daojia_json: json.into(),
        daojia_sig: push_sign(json, fun_id, "n-42", timestamp, SECRET.as_bytes()),
    }
}

fn verifier(secret: &str) -> PushVerifier {
    PushVerifier::new(SecretString::from(secret), Duration::from_secs(600))
}

fn millis(at: chrono::DateTime<Utc>) -> String {
    at.timestamp_millis().to_string()
}

#[test]
fn a_signed_order_push_verifies_and_parses() {
    let push = form(FUN_CREATE_ORDER, &order_json(), &millis(now()));
    let verified = verifier(SECRET).verify(&push, now()).unwrap();
    let VerifiedPush::CreateOrder(order) = &verified else {
        panic!("expected an order")
    };
    assert_eq!(order.order_id, "58-1001");
    assert_eq!(order.total_price.amount_minor, 19_900);
    assert_eq!(order.order_details[0].goods_price.amount_minor, 19_900);
    assert_eq!(order.user_mobile.expose(), PHONE);
    assert_eq!(verified.order_id(), "58-1001");
}

#[test]
fn a_signed_cancellation_verifies() {
    let push = form(
        FUN_CANCEL_ORDER,
        r#"{"orderId":"58-1001","cancelReason":"user"}"#,
        &millis(now()),
    );
    assert!(matches!(
        verifier(SECRET).verify(&push, now()).unwrap(),
        VerifiedPush::CancelOrder(_)
    ));
}

/// A change to one field of a signed form.
type Tamper = fn(&mut DaojiaPushForm);

#[test]
fn every_signed_field_is_protected() {
    let good = form(FUN_CREATE_ORDER, &order_json(), &millis(now()));
    let tampers: [(&str, Tamper); 5] = [
        ("daojiaJson", |f| {
            f.daojia_json = f.daojia_json.replace("199.00", "1.00")
        }),
        ("funId", |f| f.fun_id = FUN_CANCEL_ORDER.into()),
        ("nonce", |f| f.nonce.push('x')),
        ("timestamp", |f| {
            f.timestamp = (f.timestamp.parse::<i64>().unwrap() + 1).to_string()
        }),
        ("daojiaSig", |f| {
            let first = if f.daojia_sig.starts_with('A') {
                "B"
            } else {
                "A"
            };
            f.daojia_sig.replace_range(..1, first);
        }),
    ];
    for (field, tamper) in tampers {
        let mut push = good.clone();
        tamper(&mut push);
        let err = verifier(SECRET).verify(&push, now()).unwrap_err();
        assert_eq!(err, PushRejection::InvalidSignature, "{field}");
        assert_eq!(err.code(), 401);
    }
}

#[test]
fn the_wrong_secret_is_refused() {
    let push = form(FUN_CREATE_ORDER, &order_json(), &millis(now()));
    let err = verifier("another-secret").verify(&push, now()).unwrap_err();
    assert_eq!(
        (err.clone(), err.code()),
        (PushRejection::InvalidSignature, 401)
    );
}

#[test]
fn stale_and_future_timestamps_are_refused_with_403() {
    let eleven = chrono::Duration::minutes(11);
    let stale = form(FUN_CREATE_ORDER, &order_json(), &millis(now() - eleven));
    let err = verifier(SECRET).verify(&stale, now()).unwrap_err();
    assert_eq!(
        (err.clone(), err.code()),
        (PushRejection::StaleTimestamp, 403)
    );
    let future = form(FUN_CREATE_ORDER, &order_json(), &millis(now() + eleven));
    let err = verifier(SECRET).verify(&future, now()).unwrap_err();
    assert_eq!(
        (err.clone(), err.code()),
        (PushRejection::FutureTimestamp, 403)
    );
    let nine = chrono::Duration::minutes(9);
    assert!(verifier(SECRET)
        .verify(
            &form(FUN_CREATE_ORDER, &order_json(), &millis(now() - nine)),
            now()
        )
        .is_ok());
}

#[test]
fn timestamps_in_seconds_milliseconds_or_gmt8_text_are_understood() {
    let expected = now();
    assert_eq!(parse_push_timestamp("1714521600"), Some(expected));
    assert_eq!(parse_push_timestamp("1714521600000"), Some(expected));
    assert_eq!(parse_push_timestamp("2024-05-01 08:00:00"), Some(expected));
    let text = form(FUN_CREATE_ORDER, &order_json(), "2024-05-01 08:00:00");
    assert!(verifier(SECRET).verify(&text, now()).is_ok());
    let garbage = form(FUN_CREATE_ORDER, &order_json(), "yesterday");
    let err = verifier(SECRET).verify(&garbage, now()).unwrap_err();
    assert_eq!(
        (err.clone(), err.code()),
        (PushRejection::MalformedTimestamp, 400)
    );
}

#[test]
fn malformed_pushes_are_refused_with_400() {
    let mut missing_sig = form(FUN_CREATE_ORDER, &order_json(), &millis(now()));
    missing_sig.daojia_sig.clear();
    assert_eq!(
        verifier(SECRET).verify(&missing_sig, now()),
        Err(PushRejection::MissingField("daojiaSig"))
    );
    let mut missing_nonce = form(FUN_CREATE_ORDER, &order_json(), &millis(now()));
    missing_nonce.nonce.clear();
    assert_eq!(
        verifier(SECRET)
            .verify(&missing_nonce, now())
            .unwrap_err()
            .code(),
        400
    );

    let unknown = form("deleteEverything", &order_json(), &millis(now()));
    assert_eq!(
        verifier(SECRET).verify(&unknown, now()),
        Err(PushRejection::UnknownFunId)
    );

    let no_phone = order_json().replace("\"userMobile\"", "\"somethingElse\"");
    let err = verifier(SECRET)
        .verify(&form(FUN_CREATE_ORDER, &no_phone, &millis(now())), now())
        .unwrap_err();
    assert!(matches!(err, PushRejection::InvalidOrder(_)));
    assert_eq!(err.code(), 400);

    let bad_price = order_json().replace("\"199.00\"", "\"cheap 13800138000\"");
    let err = verifier(SECRET)
        .verify(&form(FUN_CREATE_ORDER, &bad_price, &millis(now())), now())
        .unwrap_err();
    assert!(
        !err.to_string().contains(PHONE),
        "rejection reasons never echo input: {err}"
    );
}

#[test]
fn answers_have_the_documented_shape() {
    let ok = serde_json::to_value(PushAnswer::received("58-1001")).unwrap();
    assert_eq!(
        ok,
        serde_json::json!({"code":200,"msg":"success","data":{"order_id":"58-1001","status":"received"}})
    );
    let refused =
        serde_json::to_value(PushAnswer::rejected(&PushRejection::InvalidSignature)).unwrap();
    assert_eq!(
        refused,
        serde_json::json!({"code":401,"msg":"invalid signature"})
    );
}

#[test]
fn personal_fields_secrets_and_signatures_never_show_in_debug() {
    let push = form(FUN_CREATE_ORDER, &order_json(), &millis(now()));
    let verified = verifier(SECRET).verify(&push, now()).unwrap();
    for shown in [
        format!("{verified:?}"),
        format!("{push:?}"),
        format!("{:?}", verifier(SECRET)),
    ] {
        for secret in [
            PHONE,
            ADDRESS,
            "116.397",
            "39.916",
            "call before",
            SECRET,
            push.daojia_sig.as_str(),
        ] {
            assert!(!shown.contains(secret), "{secret} leaked in {shown}");
        }
    }
    let client = DaojiaClient::new(DaojiaConfig {
        api_url: "http://127.0.0.1:9".into(),
        access_token: SecretString::from("token-abc-123"),
        service_key: "svc-key".into(),
        service_secret: SecretString::from("svc-secret-xyz"),
        policy: PolicyConfig::default(),
    })
    .unwrap();
    let shown = format!("{client:?}");
    assert!(shown.contains("svc-key"));
    assert!(
        !shown.contains("token-abc-123") && !shown.contains("svc-secret-xyz"),
        "{shown}"
    );
}
