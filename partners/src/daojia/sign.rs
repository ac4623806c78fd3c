//! 58 Daojia signatures: the TOP md5 rule, uppercase
//! `MD5(secret + sorted key+value + secret)`, for both directions.
//!
//! * Push (58 → us), **Switchyard's reading**: `daojiaSig` over exactly `daojiaJson`, `funId`,
//!   `nonce`, `timestamp` (the signature field itself is never signed).
//! * `updateOrderDetail` (us → 58): `sign` over every other form field — `accessToken`,
//!   `daojiaJson`, `format`, `serviceKey`, `timestamp`.
//!
//! The published vector ("all values `aaa`, secret `aaa` → `1790EE5FB7D9D4A62A114B1CAE2386DA`")
//! is the `updateOrderDetail` one: we checked every subset of the candidate keys and only
//! {accessToken, daojiaJson, format, serviceKey, timestamp} produces it (the four push keys give a
//! different digest). It is therefore a unit test of [`update_sign`]; the push rule is the same
//! algorithm over its four keys. Comparison is constant-time and ignores hex case.

use super::super::qimen::sign::{top_sign, verify_top_sign, SignMethod};

/// The parameters a push signature covers.
pub const PUSH_SIGNED_KEYS: [&str; 4] = ["daojiaJson", "funId", "nonce", "timestamp"];

/// `daojiaSig` of a push.
pub fn push_sign(
    daojia_json: &str,
    fun_id: &str,
    nonce: &str,
    timestamp: &str,
    secret: &[u8],
) -> String {
    let params = [
        ("daojiaJson", daojia_json),
        ("funId", fun_id),
        ("nonce", nonce),
        ("timestamp", timestamp),
    ];
    top_sign(params, None, secret, SignMethod::Md5)
}

/// True when `provided` is the `daojiaSig` of the push fields.
pub fn verify_push_sign(
    daojia_json: &str,
    fun_id: &str,
    nonce: &str,
    timestamp: &str,
    secret: &[u8],
    provided: &str,
) -> bool {
    let params = [
        ("daojiaJson", daojia_json),
        ("funId", fun_id),
        ("nonce", nonce),
        ("timestamp", timestamp),
    ];
    verify_top_sign(params, None, secret, SignMethod::Md5, provided)
}

/// `sign` of an `updateOrderDetail` form (every field but `sign`).
pub fn update_sign<'a>(
    fields: impl IntoIterator<Item = (&'a str, &'a str)>,
    secret: &[u8],
) -> String {
    top_sign(fields, None, secret, SignMethod::Md5)
}

/// True when `provided` is the `sign` of an `updateOrderDetail` form.
pub fn verify_update_sign<'a>(
    fields: impl IntoIterator<Item = (&'a str, &'a str)>,
    secret: &[u8],
    provided: &str,
) -> bool {
    verify_top_sign(fields, None, secret, SignMethod::Md5, provided)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_vector_is_the_update_order_detail_form() {
        let fields = [
            ("accessToken", "aaa"),
            ("daojiaJson", "aaa"),
            ("format", "aaa"),
            ("serviceKey", "aaa"),
            ("timestamp", "aaa"),
        ];
        assert_eq!(
            update_sign(fields, b"aaa"),
            "1790EE5FB7D9D4A62A114B1CAE2386DA"
        );
        assert!(verify_update_sign(
            fields,
            b"aaa",
            "1790ee5fb7d9d4a62a114b1cae2386da"
        ));
    }

    #[test]
    fn push_rule_is_top_md5_over_its_four_keys() {
        // Regression vector computed from the documented rule (python hashlib, same input):
        // MD5("aaa" + "daojiaJsonaaafunIdaaanonceaaatimestampaaa" + "aaa").
        let sign = push_sign("aaa", "aaa", "aaa", "aaa", b"aaa");
        assert_eq!(sign, "937358645A5EA08966E1D603D3E9E45A");
        assert_ne!(sign, "1790EE5FB7D9D4A62A114B1CAE2386DA");
        assert!(verify_push_sign("aaa", "aaa", "aaa", "aaa", b"aaa", &sign));
    }

    #[test]
    fn each_push_field_is_signed() {
        let sign = push_sign(
            "{\"orderId\":\"1\"}",
            "createOrder",
            "n1",
            "1700000000000",
            b"s",
        );
        assert!(verify_push_sign(
            "{\"orderId\":\"1\"}",
            "createOrder",
            "n1",
            "1700000000000",
            b"s",
            &sign
        ));
        assert!(!verify_push_sign(
            "{\"orderId\":\"2\"}",
            "createOrder",
            "n1",
            "1700000000000",
            b"s",
            &sign
        ));
        assert!(!verify_push_sign(
            "{\"orderId\":\"1\"}",
            "cancelOrder",
            "n1",
            "1700000000000",
            b"s",
            &sign
        ));
        assert!(!verify_push_sign(
            "{\"orderId\":\"1\"}",
            "createOrder",
            "n2",
            "1700000000000",
            b"s",
            &sign
        ));
        assert!(!verify_push_sign(
            "{\"orderId\":\"1\"}",
            "createOrder",
            "n1",
            "1700000000001",
            b"s",
            &sign
        ));
        assert!(!verify_push_sign(
            "{\"orderId\":\"1\"}",
            "createOrder",
            "n1",
            "1700000000000",
            b"t",
            &sign
        ));
    }
}
