//! D-Store RSA256 signatures: the golden vector, round trips, one tamper test per signed part,
//! wrong key, malformed headers — each mapped to D-Store's own `resultCode`.

// Test fixtures and helpers panic on broken setup by design.
#![allow(clippy::unwrap_used)]

use http::{HeaderMap, HeaderName, HeaderValue};
use switchyard_partners::dstore::signature::{
    content_to_sign, parse_signature_header, signature_header,
};
use switchyard_partners::dstore::{
    sign_message, verify_message, DstoreAuthError, DstorePrivateKey, DstorePublicKey, MessageKind,
};

fn vector(name: &str) -> String {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).expect("vector file")
}

fn private_key() -> DstorePrivateKey {
    DstorePrivateKey::from_pkcs8_pem(&vector("dstore_test_private.pem")).unwrap()
}

fn public_key() -> DstorePublicKey {
    DstorePublicKey::from_spki_pem(&vector("dstore_test_public.pem")).unwrap()
}

const CLIENT_ID: &str = "375Y903U2Y45KE00600";
const TIME: &str = "2023-08-28T22:16:07+08:00";
const PATH: &str = "/v2/pos/createOrder";
const BODY: &str = r#"{"requestOrderId":"20230828001","posAccountId":"acc-1","posStoreId":"store-1","orderAmount":{"value":1500,"currency":"SGD"}}"#;

fn headers(pairs: &[(&'static str, String)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    map
}

fn signed_request() -> HeaderMap {
    headers(&sign_message(
        &private_key(),
        MessageKind::Request,
        CLIENT_ID,
        TIME,
        "POST",
        PATH,
        BODY.as_bytes(),
    ))
}

#[test]
fn golden_vector_content_and_signature() {
    let content = vector("dstore_createOrder_content_to_sign.txt");
    let built = content_to_sign("POST", PATH, CLIENT_ID, TIME, BODY.as_bytes());
    assert_eq!(built, content.as_bytes(), "content-to-sign layout");
    let header = signature_header(&private_key(), content.as_bytes());
    let expected = vector("dstore_createOrder_signature.txt");
    let expected = expected.trim();
    assert_eq!(
        header,
        format!(
            "algorithm=RSA256,keyVersion=1,signature={}",
            urlencoding::encode(expected)
        )
    );
    let parsed = parse_signature_header(&header).unwrap();
    assert!(public_key().verify(content.as_bytes(), &parsed.signature));
}

#[test]
fn public_key_parses_from_pem_and_base64_der() {
    let pem = vector("dstore_test_public.pem");
    let base64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    assert_eq!(
        DstorePublicKey::from_spki_base64(&base64).unwrap(),
        public_key()
    );
    assert_eq!(DstorePublicKey::parse(&base64).unwrap(), public_key());
    assert_eq!(DstorePublicKey::parse(&pem).unwrap(), public_key());
    assert_eq!(private_key().public_key(), public_key());
    assert!(DstorePublicKey::parse("not a key").is_err());
    let private_pem = vector("dstore_test_private.pem");
    let private_b64: String = private_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let from_b64 = DstorePrivateKey::parse(&private_b64).unwrap();
    assert_eq!(from_b64.public_key(), public_key());
    assert!(DstorePrivateKey::parse("bm90IGEga2V5").is_err());
    assert!(DstorePrivateKey::from_pkcs8_pem(&pem).is_err());
}

#[test]
fn request_round_trip_and_case_insensitive_headers() {
    let sent = signed_request();
    let verified = verify_message(
        &public_key(),
        MessageKind::Request,
        Some(CLIENT_ID),
        "POST",
        PATH,
        &sent,
        BODY.as_bytes(),
    )
    .unwrap();
    assert_eq!(verified.time, TIME, "Request-Time is kept verbatim");
    // HeaderMap lower-cases names; a peer sending `CLIENT-ID` or `Signature` lands in the same slot.
    let mut upper = HeaderMap::new();
    for (name, value) in &sent {
        let shouted =
            HeaderName::from_bytes(name.as_str().to_ascii_uppercase().as_bytes()).unwrap();
        upper.insert(shouted, value.clone());
    }
    assert!(verify_message(
        &public_key(),
        MessageKind::Request,
        None,
        "POST",
        PATH,
        &upper,
        BODY.as_bytes()
    )
    .is_ok());
}

#[test]
fn request_time_in_any_format_is_signed_verbatim() {
    for time in [
        "1693232167000",
        "1693232167000000000",
        "2023-08-28T14:16:07Z",
    ] {
        let sent = headers(&sign_message(
            &private_key(),
            MessageKind::Request,
            CLIENT_ID,
            time,
            "POST",
            PATH,
            b"{}",
        ));
        let verified = verify_message(
            &public_key(),
            MessageKind::Request,
            None,
            "POST",
            PATH,
            &sent,
            b"{}",
        )
        .unwrap();
        assert_eq!(verified.time, time);
    }
}

#[test]
fn response_round_trip_uses_response_time() {
    let sent = headers(&sign_message(
        &private_key(),
        MessageKind::Response,
        CLIENT_ID,
        TIME,
        "POST",
        PATH,
        b"{}",
    ));
    assert!(verify_message(
        &public_key(),
        MessageKind::Response,
        Some(CLIENT_ID),
        "POST",
        PATH,
        &sent,
        b"{}"
    )
    .is_ok());
    let err = verify_message(
        &public_key(),
        MessageKind::Request,
        Some(CLIENT_ID),
        "POST",
        PATH,
        &sent,
        b"{}",
    )
    .unwrap_err();
    assert_eq!(err, DstoreAuthError::MissingTime("request-time"));
    assert_eq!(err.result_code(), "PARAM_ILLEGAL");
}

/// A change applied to signed headers.
type Tamper = Box<dyn FnOnce(&mut HeaderMap)>;

fn verify_tampered(
    method: &str,
    path: &str,
    tamper: impl FnOnce(&mut HeaderMap),
    body: &str,
) -> Result<(), DstoreAuthError> {
    let mut sent = signed_request();
    tamper(&mut sent);
    verify_message(
        &public_key(),
        MessageKind::Request,
        None,
        method,
        path,
        &sent,
        body.as_bytes(),
    )
    .map(|_| ())
}

#[test]
fn every_signed_part_is_protected() {
    let invalid = Err(DstoreAuthError::InvalidSignature);
    assert_eq!(
        verify_tampered("PUT", PATH, |_| {}, BODY),
        invalid,
        "method"
    );
    assert_eq!(
        verify_tampered("POST", "/v2/pos/inquireOrderDetail", |_| {}, BODY),
        invalid,
        "path"
    );
    assert_eq!(
        verify_tampered(
            "POST",
            PATH,
            |h| {
                h.insert("client-id", HeaderValue::from_static("OTHER"));
            },
            BODY
        ),
        invalid,
        "client id"
    );
    assert_eq!(
        verify_tampered(
            "POST",
            PATH,
            |h| {
                h.insert(
                    "request-time",
                    HeaderValue::from_static("2023-08-28T22:16:08+08:00"),
                );
            },
            BODY
        ),
        invalid,
        "request time"
    );
    assert_eq!(
        verify_tampered("POST", PATH, |_| {}, &BODY.replace("1500", "1")),
        invalid,
        "body"
    );
    assert_eq!(
        DstoreAuthError::InvalidSignature.result_code(),
        "INVALID_SIGNATURE"
    );
}

#[test]
fn wrong_key_is_invalid_signature() {
    // A second, independent key: the D-Store sandbox public key from the integration guide.
    let other = DstorePublicKey::from_spki_base64(
        "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAgnqkU20qdSx6fZ0OdKmudiP5uUHAEUnuZM+qTno0viWA6o5nWtn0r6K7F3k5zNhjZTZOjhJwMS7rhlu9gxCr25YOd4KJDJherKvwm3T3EWZbN22OG6i07SqqrGVq1M+3GdQ2tZL6mOmEISL+UTxefQbcUqRIFIZMC80qBqhRsMtxEdF/uiNIeOccPm5k/GwGVwflsNU7lp5IVuDMgl1mmcq9i0nNszwZ8uU7ABXV29FtWMB+82/rOZ1hYkBdJcpfrA/ut2AsOHAVevKzg1DlT91A1yNqXyixXhOVHC2nEP7KZZ13ol2egEHEFbTmpHNMhdynEUZ73kIR4sCTpmaOxQIDAQAB",
    )
    .unwrap();
    let err = verify_message(
        &other,
        MessageKind::Request,
        None,
        "POST",
        PATH,
        &signed_request(),
        BODY.as_bytes(),
    )
    .unwrap_err();
    assert_eq!(err, DstoreAuthError::InvalidSignature);
    assert_eq!(err.result_code(), "INVALID_SIGNATURE");
}

#[test]
fn malformed_or_missing_headers_map_to_dstore_codes() {
    let cases: Vec<(Tamper, DstoreAuthError, &str)> = vec![
        (
            Box::new(|h| {
                h.remove("signature");
            }),
            DstoreAuthError::MissingSignature,
            "INVALID_SIGNATURE",
        ),
        (
            Box::new(|h| {
                h.insert("signature", HeaderValue::from_static("garbage"));
            }),
            DstoreAuthError::MalformedSignature,
            "INVALID_SIGNATURE",
        ),
        (
            Box::new(|h| {
                h.insert(
                    "signature",
                    HeaderValue::from_static("algorithm=RSA256,keyVersion=1"),
                );
            }),
            DstoreAuthError::MalformedSignature,
            "INVALID_SIGNATURE",
        ),
        (
            Box::new(|h| {
                h.insert(
                    "signature",
                    HeaderValue::from_static(
                        "algorithm=RSA256,keyVersion=1,signature=%%%not-base64",
                    ),
                );
            }),
            DstoreAuthError::MalformedSignature,
            "INVALID_SIGNATURE",
        ),
        (
            Box::new(|h| {
                h.insert(
                    "signature",
                    HeaderValue::from_static("algorithm=SHA1,keyVersion=1,signature=AAAA"),
                );
            }),
            DstoreAuthError::UnsupportedAlgorithm,
            "INVALID_SIGNATURE",
        ),
        (
            Box::new(|h| {
                h.remove("client-id");
            }),
            DstoreAuthError::MissingClientId,
            "ACCESS_DENIED",
        ),
        (
            Box::new(|h| {
                h.remove("request-time");
            }),
            DstoreAuthError::MissingTime("request-time"),
            "PARAM_ILLEGAL",
        ),
    ];
    for (tamper, expected, code) in cases {
        let err = verify_tampered("POST", PATH, tamper, BODY).unwrap_err();
        assert_eq!(err, expected);
        assert_eq!(err.result_code(), code);
    }
    let err = verify_message(
        &public_key(),
        MessageKind::Request,
        Some("SOMEONE-ELSE"),
        "POST",
        PATH,
        &signed_request(),
        BODY.as_bytes(),
    )
    .unwrap_err();
    assert_eq!(err.result_code(), "ACCESS_DENIED");
}

#[test]
fn signature_header_parsing_is_tolerant() {
    let header = signature_header(&private_key(), b"x");
    let value = header.split("signature=").nth(1).unwrap();
    let raw_b64 = urlencoding::decode(value).unwrap().into_owned();
    for variant in [
        format!("signature={value}, keyVersion=1 , algorithm=rsa256"),
        format!("algorithm=RSA256,keyVersion=2,signature=\"{value}\",extra=1"),
        format!("algorithm=RSA256,signature={raw_b64}"),
    ] {
        let parsed = parse_signature_header(&variant).unwrap();
        assert!(public_key().verify(b"x", &parsed.signature), "{variant}");
    }
}

#[test]
fn keys_and_signatures_never_show_in_debug() {
    let private = format!("{:?}", private_key());
    let public = format!("{:?}", public_key());
    assert_eq!(private, "DstorePrivateKey(rsa-2048, redacted)");
    assert_eq!(public, "DstorePublicKey(rsa-2048)");
    let header = signature_header(&private_key(), b"x");
    let parsed = format!("{:?}", parse_signature_header(&header).unwrap());
    let b64 = urlencoding::decode(header.split("signature=").nth(1).unwrap())
        .unwrap()
        .into_owned();
    assert!(!parsed.contains(&b64[..16]));
    assert!(parsed.contains("redacted"));
    for err in [
        DstoreAuthError::InvalidSignature,
        DstoreAuthError::MalformedSignature,
    ] {
        assert!(!err.to_string().contains(&b64[..16]));
    }
}
