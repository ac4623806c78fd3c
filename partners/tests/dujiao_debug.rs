//! Debug and Display of Dujiao-Next clients, configs, wire structs and errors never show secrets,
//! keys, signatures or buyer data.

use std::collections::BTreeMap;

use secrecy::SecretString;
use switchyard_partners::dujiao::wire::{CreateOrderRequest, Fulfillment};
use switchyard_partners::dujiao::{
    sign, AuthHeaders, DujiaoAuthError, DujiaoClient, DujiaoConnection, DujiaoError,
    DujiaoVerifier, Sensitive,
};
use switchyard_partners::policy::PolicyConfig;

const SECRET: &str = "very-secret-api-secret";
const KEY: &str = "api-key-7f3e";

fn connection() -> DujiaoConnection {
    DujiaoConnection {
        base_url: "https://upstream.example.com".into(),
        api_key: KEY.into(),
        api_secret: SecretString::from(SECRET),
        policy: PolicyConfig::default(),
    }
}

fn assert_clean(text: &str, forbidden: &[&str]) {
    for needle in forbidden {
        assert!(!text.contains(needle), "`{needle}` leaked into: {text}");
    }
}

#[test]
fn clients_and_configs_hide_credentials() {
    let connection = connection();
    assert_clean(&format!("{connection:?}"), &[SECRET, KEY]);
    let client = DujiaoClient::new(connection).unwrap();
    assert_clean(&format!("{client:?}"), &[SECRET, KEY]);
}

#[test]
fn signatures_and_headers_are_redacted() {
    let signature = sign(&SecretString::from(SECRET), "POST", "/p", 1, b"{}");
    let hex = signature.to_hex();
    assert_clean(&format!("{signature:?}"), &[&hex]);
    let headers = AuthHeaders {
        api_key: Some(KEY),
        timestamp: Some("1"),
        signature: Some(&hex),
    };
    assert_clean(&format!("{headers:?}"), &[KEY, &hex]);
    let verifier = DujiaoVerifier::default();
    let parsed = verifier.parse(&headers, 1).unwrap();
    assert_clean(&format!("{parsed:?}"), &[KEY, &hex]);
}

#[test]
fn buyer_data_and_deliveries_are_redacted() {
    let request = CreateOrderRequest {
        sku_id: 1,
        quantity: 1,
        manual_form_data: Sensitive(BTreeMap::from([(
            "phone".to_owned(),
            serde_json::json!("13800138000"),
        )])),
        downstream_order_no: "D-1".into(),
        trace_id: String::new(),
        callback_url: "https://a.example/cb".into(),
    };
    assert_clean(&format!("{request:?}"), &["13800138000"]);
    // Serialisation still carries the data to the partner.
    assert!(serde_json::to_string(&request)
        .unwrap()
        .contains("13800138000"));
    let fulfillment = Fulfillment {
        kind: "auto".into(),
        status: "delivered".into(),
        payload: Sensitive("CARD-SECRET-CODE".into()),
        delivery_data: Sensitive(serde_json::json!({"code": "CARD-SECRET-CODE"})),
        delivered_at: None,
    };
    assert_clean(&format!("{fulfillment:?}"), &["CARD-SECRET-CODE"]);
}

#[test]
fn errors_carry_codes_only() {
    let errors = [
        DujiaoError::Config("base_url: relative URL without a base".into()),
        DujiaoError::CallbackRejected { status: 500 },
        DujiaoError::PaymentFailed {
            order_id: 1,
            order_no: "UP1".into(),
        },
    ];
    for err in &errors {
        assert_clean(&format!("{err} {err:?}"), &[SECRET, KEY]);
    }
    let auth = DujiaoAuthError::InvalidSignature;
    assert_eq!(auth.to_string(), "invalid signature");
}
