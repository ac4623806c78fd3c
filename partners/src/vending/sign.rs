//! Vending payload signing: `UPPER(MD5("k=v&…&key=KEY"))`, then JSON + base64 into `payload`.

use std::collections::BTreeMap;

use base64::Engine;
use md5::{Digest, Md5};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use super::error::VendingSignError;

/// The text that is hashed: non-empty params except `sign`, sorted, `k=v&…`, then `&key=KEY`.
pub fn signing_string(params: &BTreeMap<String, String>, key: &SecretString) -> String {
    let mut text = params
        .iter()
        .filter(|(name, value)| name.as_str() != "sign" && !value.is_empty())
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&");
    text.push_str("&key=");
    text.push_str(key.expose_secret());
    text
}

/// The upper-case hex MD5 signature of `params`.
pub fn sign_params(params: &BTreeMap<String, String>, key: &SecretString) -> String {
    hex::encode_upper(Md5::digest(signing_string(params, key).as_bytes()))
}

/// Signs `params`, adds `sign`, JSON-encodes and base64-encodes: the value of `payload`.
pub fn build_payload(params: &BTreeMap<String, String>, key: &SecretString) -> String {
    let mut signed = params.clone();
    signed.insert("sign".to_owned(), sign_params(params, key));
    // A map of strings always serialises.
    let json = serde_json::to_vec(&signed).unwrap_or_default();
    base64::engine::general_purpose::STANDARD.encode(json)
}

/// Decodes a `payload` and checks its `sign` in constant time; returns the params without `sign`.
pub fn decode_payload(
    payload: &str,
    key: &SecretString,
) -> Result<BTreeMap<String, String>, VendingSignError> {
    let json = base64::engine::general_purpose::STANDARD
        .decode(payload.trim())
        .map_err(|_| VendingSignError::NotBase64)?;
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&json).map_err(|_| VendingSignError::NotJson)?;
    let mut params = BTreeMap::new();
    for (name, value) in object {
        // Params are signed as strings; numbers and booleans are signed by their JSON text.
        let text = match value {
            serde_json::Value::String(text) => text,
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        };
        params.insert(name, text);
    }
    let given = params.remove("sign").ok_or(VendingSignError::MissingSign)?;
    let expected = sign_params(&params, key);
    if bool::from(
        expected
            .as_bytes()
            .ct_eq(given.to_ascii_uppercase().as_bytes()),
    ) {
        Ok(params)
    } else {
        Err(VendingSignError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> BTreeMap<String, String> {
        BTreeMap::from([
            ("machine_no".to_owned(), "12345678".to_owned()),
            ("order_id".to_owned(), "60".to_owned()),
            ("timestamp".to_owned(), "1713249776".to_owned()),
        ])
    }

    fn key() -> SecretString {
        SecretString::from("10001")
    }

    #[test]
    fn protocol_vector() {
        assert_eq!(
            signing_string(&params(), &key()),
            "machine_no=12345678&order_id=60&timestamp=1713249776&key=10001"
        );
        assert_eq!(
            sign_params(&params(), &key()),
            "7B81E730273775F21933C3220B32BD3B"
        );
    }

    #[test]
    fn empty_values_and_sign_are_not_signed() {
        let mut with_extras = params();
        with_extras.insert("note".into(), String::new());
        with_extras.insert("sign".into(), "whatever".into());
        assert_eq!(
            sign_params(&with_extras, &key()),
            "7B81E730273775F21933C3220B32BD3B"
        );
    }

    #[test]
    fn payload_round_trips() {
        let payload = build_payload(&params(), &key());
        assert_eq!(decode_payload(&payload, &key()).unwrap(), params());
    }

    #[test]
    fn every_field_and_the_key_are_protected() {
        for field in ["machine_no", "order_id", "timestamp"] {
            let payload = build_payload(&params(), &key());
            let json = base64::engine::general_purpose::STANDARD
                .decode(payload)
                .unwrap();
            let mut object: BTreeMap<String, String> = serde_json::from_slice(&json).unwrap();
            object.insert(field.into(), "99999999".into());
            let tampered = base64::engine::general_purpose::STANDARD
                .encode(serde_json::to_vec(&object).unwrap());
            assert_eq!(
                decode_payload(&tampered, &key()),
                Err(VendingSignError::Mismatch),
                "{field}"
            );
        }
        let payload = build_payload(&params(), &key());
        assert_eq!(
            decode_payload(&payload, &SecretString::from("10002")),
            Err(VendingSignError::Mismatch)
        );
    }

    #[test]
    fn malformed_payloads_are_refused() {
        assert_eq!(
            decode_payload("%%%", &key()),
            Err(VendingSignError::NotBase64)
        );
        let not_json = base64::engine::general_purpose::STANDARD.encode("nope");
        assert_eq!(
            decode_payload(&not_json, &key()),
            Err(VendingSignError::NotJson)
        );
        let unsigned = base64::engine::general_purpose::STANDARD.encode(r#"{"order_id":"60"}"#);
        assert_eq!(
            decode_payload(&unsigned, &key()),
            Err(VendingSignError::MissingSign)
        );
        let numbers = base64::engine::general_purpose::STANDARD.encode(format!(
            r#"{{"machine_no":"12345678","order_id":60,"timestamp":1713249776,"sign":"{}"}}"#,
            "7b81e730273775f21933c3220b32bd3b"
        ));
        assert_eq!(decode_payload(&numbers, &key()).unwrap(), params());
    }
}
