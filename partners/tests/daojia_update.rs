//! `updateOrderDetail` form signing: round trip, one tamper test per signed field, wrong secret,
//! GMT+8 timestamp, and no credential in `Debug`.

// Test fixtures and helpers panic on broken setup by design.
#![allow(clippy::unwrap_used)]

use chrono::{TimeZone, Utc};
use switchyard_partners::daojia::sign::verify_update_sign;
use switchyard_partners::daojia::{DaojiaOrderStatus, OrderDetailUpdate, UpdateOrderDetailForm};

fn form() -> UpdateOrderDetailForm {
    let update = OrderDetailUpdate {
        order_id: "58-1".into(),
        order_status: DaojiaOrderStatus::Accepted,
        total_price_fen: Some(19_900),
    };
    let at = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap();
    UpdateOrderDetailForm::signed("token-abc", "svc-1", b"svc-secret", &update, at).unwrap()
}

fn verifies(form: &UpdateOrderDetailForm, secret: &[u8]) -> bool {
    verify_update_sign(form.signed_fields(), secret, &form.sign)
}

#[test]
fn a_signed_form_round_trips_and_carries_a_gmt8_timestamp() {
    let form = form();
    assert!(verifies(&form, b"svc-secret"));
    assert!(!verifies(&form, b"other-secret"), "wrong key");
    assert_eq!(form.timestamp, "2024-05-01 08:00:00");
    assert_eq!(form.format, "json");
    let json: serde_json::Value = serde_json::from_str(&form.daojia_json).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"orderId":"58-1","orderStatus":20,"totalPriceFen":19900})
    );
}

/// A change to one field of a signed form.
type Tamper = fn(&mut UpdateOrderDetailForm);

#[test]
fn every_signed_field_is_protected() {
    let tampers: [(&str, Tamper); 5] = [
        ("accessToken", |f| f.access_token.push('x')),
        ("serviceKey", |f| f.service_key.push('x')),
        ("format", |f| f.format = "xml".into()),
        ("timestamp", |f| f.timestamp = "2024-05-01 08:00:01".into()),
        ("daojiaJson", |f| {
            f.daojia_json = f.daojia_json.replace("20", "60")
        }),
    ];
    for (field, tamper) in tampers {
        let mut form = form();
        tamper(&mut form);
        assert!(!verifies(&form, b"svc-secret"), "{field} is signed");
    }
}

#[test]
fn debug_hides_the_token_and_the_signature() {
    let form = form();
    let shown = format!("{form:?}");
    assert!(!shown.contains("token-abc"));
    assert!(!shown.contains(&form.sign));
}
