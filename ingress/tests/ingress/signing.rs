//! Independent request signing for the tests, written from the partners' published signing rules
//! (not the server's code).

use base64::Engine as _;
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use sha2::Sha256;

/// `Dujiao-Next-*` headers for a request signed with `secret` at `timestamp`.
pub fn dujiao_headers(
    api_key: &str,
    secret: &str,
    method: &str,
    path: &str,
    timestamp: i64,
    body: &[u8],
) -> Vec<(&'static str, String)> {
    let body_md5 = hex::encode(Md5::digest(body));
    let text = format!("{method}\n{path}\n{timestamp}\n{body_md5}");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(text.as_bytes());
    vec![
        ("Dujiao-Next-Api-Key", api_key.to_owned()),
        ("Dujiao-Next-Timestamp", timestamp.to_string()),
        (
            "Dujiao-Next-Signature",
            hex::encode(mac.finalize().into_bytes()),
        ),
    ]
}

/// A published D-Store test vector, as the partners crate keeps it (`partners/tests/vectors/`).
fn vector(name: &str) -> String {
    let path = format!(
        "{}/../partners/tests/vectors/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// The D-Store test private key (also used as our POS key in these tests).
pub fn dstore_private_pem() -> String {
    vector("dstore_test_private.pem")
}

/// The matching public key.
pub fn dstore_public_pem() -> String {
    vector("dstore_test_public.pem")
}

/// RSA256 over `"{METHOD} {PATH}\n{client}.{time}.{body}"`, base64 then URL-encoded.
pub fn dstore_signature(
    method: &str,
    path: &str,
    client_id: &str,
    time: &str,
    body: &[u8],
) -> String {
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(&dstore_private_pem()).expect("pkcs8 pem");
    let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(key);
    let mut content = format!("{method} {path}\n{client_id}.{time}.").into_bytes();
    content.extend_from_slice(body);
    let signature = signer.sign(&content).to_vec();
    let encoded = base64::engine::general_purpose::STANDARD.encode(signature);
    urlencoding::encode(&encoded).into_owned()
}

/// Verifies an answer's signature (`Response-Time`) with the test public key.
pub fn dstore_answer_verifies(
    path: &str,
    client_id: &str,
    time: &str,
    signature_header: &str,
    body: &[u8],
) -> bool {
    let key = {
        use rsa::pkcs8::DecodePublicKey;
        rsa::RsaPublicKey::from_public_key_pem(&dstore_public_pem()).expect("spki pem")
    };
    dstore_answer_verifies_with(key, path, client_id, time, signature_header, body)
}

/// [`dstore_answer_verifies`] under another public key.
pub fn dstore_answer_verifies_with(
    key: rsa::RsaPublicKey,
    path: &str,
    client_id: &str,
    time: &str,
    signature_header: &str,
    body: &[u8],
) -> bool {
    use rsa::signature::Verifier;
    let Some(encoded) = signature_header
        .split(',')
        .find_map(|part| part.trim().strip_prefix("signature="))
    else {
        return false;
    };
    let Ok(decoded) = urlencoding::decode(encoded) else {
        return false;
    };
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(decoded.as_bytes()) else {
        return false;
    };
    let verifier = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key);
    let Ok(signature) = rsa::pkcs1v15::Signature::try_from(raw.as_slice()) else {
        return false;
    };
    let mut content = format!("POST {path}\n{client_id}.{time}.").into_bytes();
    content.extend_from_slice(body);
    verifier.verify(&content, &signature).is_ok()
}

/// 58 Daojia push signature: uppercase MD5(secret + sorted key+value + secret).
pub fn daojia_sig(
    secret: &str,
    daojia_json: &str,
    fun_id: &str,
    nonce: &str,
    timestamp: &str,
) -> String {
    let text = format!(
        "{secret}daojiaJson{daojia_json}funId{fun_id}nonce{nonce}timestamp{timestamp}{secret}"
    );
    hex::encode(Md5::digest(text.as_bytes())).to_uppercase()
}

/// A complete, signed 58 push form.
pub fn daojia_form(secret: &str, fun_id: &str, daojia_json: &str, timestamp: &str) -> String {
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let sig = daojia_sig(secret, daojia_json, fun_id, &nonce, timestamp);
    serde_urlencoded::to_string([
        ("funId", fun_id),
        ("nonce", nonce.as_str()),
        ("timestamp", timestamp),
        ("daojiaJson", daojia_json),
        ("daojiaSig", sig.as_str()),
    ])
    .expect("form")
}

#[test]
fn dujiao_signature_matches_the_protocol_vector() {
    let headers = dujiao_headers(
        "k",
        "your_api_secret",
        "POST",
        "/api/v1/upstream/orders",
        1_700_000_000,
        br#"{"sku_id":1,"quantity":1}"#,
    );
    assert_eq!(
        headers[2].1,
        "80e9b0ae078e379001fba9fab6628c2b1ea21518c48dc34035ecb38feba6c265"
    );
}

#[test]
fn dstore_signature_matches_the_golden_vector() {
    let content = vector("dstore_createOrder_content_to_sign.txt");
    let expected = vector("dstore_createOrder_signature.txt");
    let (head, rest) = content.split_once('\n').expect("two parts");
    let path = head.trim_start_matches("POST ");
    let (client_id, rest) = rest.split_once('.').expect("client id");
    // The time itself contains no '.', the body follows the second '.'.
    let (time, body) = rest.split_once('.').expect("time");
    let signature = dstore_signature("POST", path, client_id, time, body.as_bytes());
    assert_eq!(
        urlencoding::decode(&signature).expect("utf8"),
        expected.trim()
    );
}

#[test]
fn daojia_push_signature_follows_the_top_md5_rule() {
    // MD5("aaa" + "daojiaJsonaaafunIdaaanonceaaatimestampaaa" + "aaa"), computed independently.
    assert_eq!(
        daojia_sig("aaa", "aaa", "aaa", "aaa", "aaa"),
        "937358645A5EA08966E1D603D3E9E45A"
    );
}
