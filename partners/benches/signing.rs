//! Cost of signing and verifying one 1 KiB message with every partner scheme.
//!
//! Run with `cargo bench -p switchyard-partners --bench signing`. Each scheme has a `sign` and a
//! `verify` case over the same 1 KiB body, so the numbers compare directly with the cost of a bare
//! HTTP request from the load-test baseline. `dstore/sign` is the signer in use (`ring`); the
//! two `dstore/sign-rsa-crate-*` cases are the `rsa` crate it replaced, kept for comparison.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use secrecy::SecretString;
use switchyard_partners::daojia::sign::{push_sign, verify_push_sign};
use switchyard_partners::dstore::signature::{sign_message, verify_message, MessageKind};
use switchyard_partners::dstore::{DstorePrivateKey, DstorePublicKey};
use switchyard_partners::dujiao::{self, AuthHeaders, DujiaoVerifier};
use switchyard_partners::qimen::{top_sign, verify_top_sign, SignMethod};
use switchyard_partners::vending;

/// A 1 KiB JSON body, the size the issue asks to measure.
fn body() -> Vec<u8> {
    let filler = "x".repeat(1024 - 24);
    let body = format!(r#"{{"sku_id":1,"note":"{filler}"}}"#);
    body.into_bytes()
}

fn dujiao_cases(c: &mut Criterion) {
    let secret = SecretString::from("your_api_secret");
    let body = body();
    let path = "/api/v1/upstream/orders";
    let now = 1_700_000_000;
    c.bench_function("dujiao/sign", |b| {
        b.iter(|| dujiao::sign(&secret, "POST", path, black_box(now), black_box(&body)))
    });
    let signature = dujiao::sign(&secret, "POST", path, now, &body).to_hex();
    let timestamp = now.to_string();
    c.bench_function("dujiao/verify", |b| {
        // A fresh verifier per run: the replay cache would refuse the second sighting.
        b.iter_batched(
            DujiaoVerifier::default,
            |verifier| {
                let headers = AuthHeaders {
                    api_key: Some("key"),
                    timestamp: Some(&timestamp),
                    signature: Some(&signature),
                };
                verifier.verify_with(&headers, "POST", path, &body, now, |_| Ok(secret.clone()))
            },
            BatchSize::SmallInput,
        )
    });
}

fn dstore_cases(c: &mut Criterion) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/");
    let private =
        std::fs::read_to_string(format!("{dir}dstore_test_private.pem")).expect("test private key");
    let public =
        std::fs::read_to_string(format!("{dir}dstore_test_public.pem")).expect("test public key");
    let private = DstorePrivateKey::from_pkcs8_pem(&private).expect("valid private key");
    let public = DstorePublicKey::from_spki_pem(&public).expect("valid public key");
    let body = body();
    let (path, client_id, time) = (
        "/v2/pos/createOrder",
        "client-1",
        "2024-01-01T00:00:00+08:00",
    );
    c.bench_function("dstore/sign", |b| {
        b.iter(|| {
            sign_message(
                &private,
                MessageKind::Request,
                client_id,
                time,
                "POST",
                path,
                black_box(&body),
            )
        })
    });
    // The signer we replaced, for comparison: the `rsa` crate without blinding (what we used,
    // RUSTSEC-2023-0071) and with blinding (`sign_with_rng`, the minimum fix).
    let content = switchyard_partners::dstore::signature::content_to_sign(
        "POST", path, client_id, time, &body,
    );
    let rsa_key = {
        use rsa::pkcs8::DecodePrivateKey;
        let pem = std::fs::read_to_string(format!("{dir}dstore_test_private.pem"))
            .expect("test private key");
        rsa::RsaPrivateKey::from_pkcs8_pem(&pem).expect("valid private key")
    };
    let scheme = || rsa::pkcs1v15::Pkcs1v15Sign::new::<sha2::Sha256>();
    c.bench_function("dstore/sign-rsa-crate-unblinded", |b| {
        b.iter(|| {
            let digest = <sha2::Sha256 as sha2::Digest>::digest(black_box(&content));
            rsa_key.sign(scheme(), &digest).expect("sign")
        })
    });
    c.bench_function("dstore/sign-rsa-crate-blinded", |b| {
        b.iter(|| {
            let digest = <sha2::Sha256 as sha2::Digest>::digest(black_box(&content));
            rsa_key
                .sign_with_rng(&mut rsa::rand_core::OsRng, scheme(), &digest)
                .expect("sign")
        })
    });
    let mut headers = http::HeaderMap::new();
    for (name, value) in sign_message(
        &private,
        MessageKind::Request,
        client_id,
        time,
        "POST",
        path,
        &body,
    ) {
        headers.insert(name, value.parse().expect("header value"));
    }
    c.bench_function("dstore/verify", |b| {
        b.iter(|| {
            verify_message(
                &public,
                MessageKind::Request,
                Some(client_id),
                "POST",
                path,
                &headers,
                black_box(&body),
            )
        })
    });
}

fn qimen_cases(c: &mut Criterion) {
    let body = body();
    let params = [
        ("app_key", "12345678"),
        ("method", "hu3cgwt0tc.wdt.trade.push"),
        ("timestamp", "2024-01-01 12:00:00"),
        ("format", "json"),
        ("v", "2.0"),
    ];
    for (name, method) in [
        ("md5", SignMethod::Md5),
        ("hmac", SignMethod::HmacMd5),
        ("hmac-sha256", SignMethod::HmacSha256),
    ] {
        c.bench_function(&format!("qimen/{name}/sign"), |b| {
            b.iter(|| top_sign(params, Some(black_box(&body)), b"helloworld", method))
        });
        let sign = top_sign(params, Some(&body), b"helloworld", method);
        c.bench_function(&format!("qimen/{name}/verify"), |b| {
            b.iter(|| verify_top_sign(params, Some(black_box(&body)), b"helloworld", method, &sign))
        });
    }
}

fn daojia_cases(c: &mut Criterion) {
    let json = String::from_utf8(body()).expect("ascii body");
    c.bench_function("daojia/sign", |b| {
        b.iter(|| {
            push_sign(
                black_box(&json),
                "createOrder",
                "n-1",
                "1700000000",
                b"secret",
            )
        })
    });
    let sig = push_sign(&json, "createOrder", "n-1", "1700000000", b"secret");
    c.bench_function("daojia/verify", |b| {
        b.iter(|| {
            verify_push_sign(
                black_box(&json),
                "createOrder",
                "n-1",
                "1700000000",
                b"secret",
                &sig,
            )
        })
    });
}

fn vending_cases(c: &mut Criterion) {
    let key = SecretString::from("10001");
    let params = BTreeMap::from([
        ("machine_no".to_owned(), "12345678".to_owned()),
        ("order_id".to_owned(), "60".to_owned()),
        ("note".to_owned(), "x".repeat(1024 - 64)),
        ("timestamp".to_owned(), "1713249776".to_owned()),
    ]);
    c.bench_function("vending/sign", |b| {
        b.iter(|| vending::build_payload(black_box(&params), &key))
    });
    let payload = vending::build_payload(&params, &key);
    c.bench_function("vending/verify", |b| {
        b.iter(|| vending::decode_payload(black_box(&payload), &key))
    });
}

criterion_group!(
    signing,
    dujiao_cases,
    dstore_cases,
    qimen_cases,
    daojia_cases,
    vending_cases
);
criterion_main!(signing);
