//! Verification failure paths, one per signed field and per header problem.

use super::*;

const NOW: i64 = 1_700_000_000;
const PATH: &str = "/api/v1/upstream/orders";
const BODY: &[u8] = br#"{"sku_id":1,"quantity":1}"#;

fn secret() -> SecretString {
    SecretString::from("your_api_secret")
}

fn signed(timestamp: i64) -> (String, String) {
    (
        timestamp.to_string(),
        sign(&secret(), "POST", PATH, timestamp, BODY).to_hex(),
    )
}

fn check(
    verifier: &DujiaoVerifier,
    timestamp: &str,
    signature: &str,
    method: &str,
    path: &str,
    body: &[u8],
) -> Result<VerifiedCaller, DujiaoAuthError> {
    let headers = AuthHeaders {
        api_key: Some("key-1"),
        timestamp: Some(timestamp),
        signature: Some(signature),
    };
    verifier.verify_with(&headers, method, path, body, NOW, |key| {
        if key == "key-1" {
            Ok(secret())
        } else {
            Err(DujiaoAuthError::InvalidApiKey)
        }
    })
}

#[test]
fn sign_then_verify_round_trips() {
    let verifier = DujiaoVerifier::default();
    let (ts, sig) = signed(NOW);
    let caller = check(&verifier, &ts, &sig, "POST", PATH, BODY).unwrap();
    assert_eq!(caller.api_key, "key-1");
    assert_eq!(caller.timestamp, NOW);
}

#[test]
fn every_signed_field_is_protected() {
    let (ts, sig) = signed(NOW);
    let tampered = [
        ("GET", PATH, BODY, ts.clone()),
        ("POST", "/api/v1/upstream/orders/1", BODY, ts.clone()),
        (
            "POST",
            PATH,
            br#"{"sku_id":1,"quantity":2}"#.as_slice(),
            ts.clone(),
        ),
        ("POST", PATH, BODY, (NOW - 1).to_string()),
    ];
    for (method, path, body, timestamp) in tampered {
        let verifier = DujiaoVerifier::default();
        let result = check(&verifier, &timestamp, &sig, method, path, body);
        assert_eq!(
            result,
            Err(DujiaoAuthError::InvalidSignature),
            "{method} {path}"
        );
    }
}

#[test]
fn stale_and_future_timestamps_are_expired() {
    let verifier = DujiaoVerifier::default();
    for timestamp in [NOW - 61, NOW + 61] {
        let (ts, sig) = signed(timestamp);
        assert_eq!(
            check(&verifier, &ts, &sig, "POST", PATH, BODY),
            Err(DujiaoAuthError::TimestampExpired)
        );
    }
    for timestamp in [NOW - 60, NOW + 60] {
        let (ts, sig) = signed(timestamp);
        assert!(check(&verifier, &ts, &sig, "POST", PATH, BODY).is_ok());
    }
}

#[test]
fn wrong_secret_is_an_invalid_signature() {
    let verifier = DujiaoVerifier::default();
    let wrong = sign(&SecretString::from("other"), "POST", PATH, NOW, BODY).to_hex();
    assert_eq!(
        check(&verifier, &NOW.to_string(), &wrong, "POST", PATH, BODY),
        Err(DujiaoAuthError::InvalidSignature)
    );
}

#[test]
fn unknown_key_is_forbidden() {
    let verifier = DujiaoVerifier::default();
    let (ts, sig) = signed(NOW);
    let headers = AuthHeaders {
        api_key: Some("nope"),
        timestamp: Some(&ts),
        signature: Some(&sig),
    };
    let result = verifier.verify_with(&headers, "POST", PATH, BODY, NOW, |_| {
        Err(DujiaoAuthError::InvalidApiKey)
    });
    assert_eq!(
        result.map_err(|e| (e.error_code(), e.http_status())),
        Err(("invalid_api_key", 403))
    );
}

#[test]
fn malformed_headers_map_to_their_codes() {
    let verifier = DujiaoVerifier::default();
    let (ts, sig) = signed(NOW);
    assert_eq!(
        check(&verifier, &ts, "not-hex", "POST", PATH, BODY),
        Err(DujiaoAuthError::InvalidSignature)
    );
    assert_eq!(
        check(&verifier, &ts, &sig[..62], "POST", PATH, BODY),
        Err(DujiaoAuthError::InvalidSignature)
    );
    assert_eq!(
        check(&verifier, "1700000000.5", &sig, "POST", PATH, BODY),
        Err(DujiaoAuthError::InvalidTimestamp)
    );
    let missing = AuthHeaders {
        api_key: Some("key-1"),
        timestamp: Some(&ts),
        signature: Some(" "),
    };
    assert_eq!(
        verifier.parse(&missing, NOW).err(),
        Some(DujiaoAuthError::MissingAuthHeaders)
    );
    let missing = AuthHeaders {
        api_key: None,
        timestamp: Some(&ts),
        signature: Some(&sig),
    };
    assert_eq!(
        verifier.parse(&missing, NOW).err(),
        Some(DujiaoAuthError::MissingAuthHeaders)
    );
}

#[test]
fn replay_inside_the_window_is_rejected() {
    let verifier = DujiaoVerifier::default();
    let (ts, sig) = signed(NOW);
    assert!(check(&verifier, &ts, &sig, "POST", PATH, BODY).is_ok());
    assert_eq!(
        check(&verifier, &ts, &sig, "POST", PATH, BODY),
        Err(DujiaoAuthError::InvalidSignature)
    );
}

#[test]
fn headers_are_read_case_insensitively() {
    let mut map = http::HeaderMap::new();
    map.insert(
        "dujiao-next-api-key",
        http::HeaderValue::from_static("key-1"),
    );
    map.insert(
        "DUJIAO-NEXT-TIMESTAMP",
        http::HeaderValue::from_static("1700000000"),
    );
    let headers = AuthHeaders::from_headers(&map);
    assert_eq!(headers.api_key, Some("key-1"));
    assert_eq!(headers.timestamp, Some("1700000000"));
    assert_eq!(headers.signature, None);
    let debug = format!("{headers:?}");
    assert!(!debug.contains("key-1"));
}

#[test]
fn an_identical_retry_of_an_idempotent_call_passes_and_another_query_does_not() {
    let verifier = DujiaoVerifier::default();
    let (ts, sig) = signed(NOW);
    let headers = AuthHeaders {
        api_key: Some("key-1"),
        timestamp: Some(&ts),
        signature: Some(&sig),
    };
    let retry = |target: &str| {
        verifier.verify_retry_with(&headers, "POST", target, BODY, NOW, |_| Ok(secret()))
    };
    assert!(retry(PATH).is_ok());
    assert!(retry(PATH).is_ok(), "a byte-identical retry is admitted");
    assert_eq!(
        retry(&format!("{PATH}?page=2")).err(),
        Some(DujiaoAuthError::InvalidSignature),
        "the unsigned query differs: a replay"
    );
    assert_eq!(
        check(&verifier, &ts, &sig, "POST", PATH, BODY).err(),
        Some(DujiaoAuthError::InvalidSignature),
        "the strict check refuses even the identical retry"
    );
}
