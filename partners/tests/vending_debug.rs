//! Debug of vending clients and configs never shows the AppSecret or merchant key.

use secrecy::SecretString;
use switchyard_partners::policy::PolicyConfig;
use switchyard_partners::vending::{VendingClient, VendingConnection, VendingError};

#[test]
fn clients_and_configs_hide_credentials() {
    let connection = VendingConnection {
        base_url: "https://vending.example.com".into(),
        appid: "app-1".into(),
        app_secret: SecretString::from("APP-SECRET-VALUE"),
        merchant_key: SecretString::from("MERCHANT-KEY-VALUE"),
        policy: PolicyConfig::default(),
    };
    let debug = format!("{connection:?}");
    let client = VendingClient::new(connection).unwrap();
    let debug = format!("{debug} {client:?}");
    for secret in ["APP-SECRET-VALUE", "MERCHANT-KEY-VALUE"] {
        assert!(!debug.contains(secret), "{debug}");
    }
    let err = VendingError::Api {
        status: 200,
        code: 4006,
        message: "invalid sign".into(),
    };
    assert_eq!(err.to_string(), "vending answered code 4006: invalid sign");
    assert!(err.is_permanent());
}
