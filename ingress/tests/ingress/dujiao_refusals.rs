//! Every class of bad Dujiao-Next provider request: refused in the protocol's format, nothing
//! produced, nothing debited.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::dujiao::{call, call_at, order_body};
use crate::harness::{json_of, now_secs, Harness, Site};
use crate::signing::dujiao_headers;

#[tokio::test]
async fn every_bad_request_class_is_refused_in_protocol_format_and_produces_nothing() {
    let h = Harness::start().await;
    let site = h.site(1_000, "CNY").await;
    let (_, sku_id) = h.sku(500, "CNY", 1).await;
    let (_, usd_sku) = h.sku(100, "USD", -1).await;
    let orders = "/api/v1/upstream/orders";
    let good = order_body(sku_id, 1, "D-ok");
    let now = now_secs();

    let expect = |label: &str, got: (StatusCode, Value), status: StatusCode, code: &str| {
        assert_eq!(got.0, status, "{label}: {}", got.1);
        assert_eq!(got.1["ok"], false, "{label}");
        assert_eq!(got.1["error_code"], code, "{label}");
    };

    let (status, _, body) = h
        .send(Method::POST, orders, &[], good.clone(), "application/json")
        .await;
    expect(
        "no headers",
        (status, json_of(&body)),
        StatusCode::UNAUTHORIZED,
        "missing_auth_headers",
    );

    let mut forged = dujiao_headers(&site.api_key, &site.secret, "POST", orders, now, &good);
    forged[2].1 = "0".repeat(64);
    let (status, _, body) = h
        .send(
            Method::POST,
            orders,
            &forged,
            good.clone(),
            "application/json",
        )
        .await;
    expect(
        "bad signature",
        (status, json_of(&body)),
        StatusCode::UNAUTHORIZED,
        "invalid_signature",
    );

    let tampered = dujiao_headers(&site.api_key, &site.secret, "POST", orders, now, b"{}");
    let (status, _, body) = h
        .send(
            Method::POST,
            orders,
            &tampered,
            good.clone(),
            "application/json",
        )
        .await;
    expect(
        "body changed after signing",
        (status, json_of(&body)),
        StatusCode::UNAUTHORIZED,
        "invalid_signature",
    );

    let mut bad_ts = dujiao_headers(&site.api_key, &site.secret, "POST", orders, now, &good);
    bad_ts[1].1 = "yesterday".to_owned();
    let (status, _, body) = h
        .send(
            Method::POST,
            orders,
            &bad_ts,
            good.clone(),
            "application/json",
        )
        .await;
    expect(
        "non-numeric timestamp",
        (status, json_of(&body)),
        StatusCode::UNAUTHORIZED,
        "invalid_timestamp",
    );

    expect(
        "stale",
        call_at(&h, &site, Method::POST, orders, &good, now - 120).await,
        StatusCode::UNAUTHORIZED,
        "timestamp_expired",
    );
    expect(
        "future",
        call_at(&h, &site, Method::POST, orders, &good, now + 120).await,
        StatusCode::UNAUTHORIZED,
        "timestamp_expired",
    );

    let stranger = Site {
        api_key: "dk_unknown_key_0000".to_owned(),
        ..site.clone()
    };
    expect(
        "unknown key",
        call(&h, &stranger, Method::POST, orders, &good).await,
        StatusCode::FORBIDDEN,
        "invalid_api_key",
    );

    // Replay: one signed request, then its signature over another (unsigned) query string. A
    // byte-identical retry is answered (`replay_guard.rs`); this is not one.
    let ping = "/api/v1/upstream/ping";
    let signed = dujiao_headers(&site.api_key, &site.secret, "POST", ping, now, b"");
    let (status, _, _) = h
        .send(Method::POST, ping, &signed, Vec::new(), "application/json")
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, body) = h
        .send(
            Method::POST,
            &format!("{ping}?again=1"),
            &signed,
            Vec::new(),
            "application/json",
        )
        .await;
    expect(
        "replayed signature",
        (status, json_of(&body)),
        StatusCode::UNAUTHORIZED,
        "invalid_signature",
    );

    // Pending and disabled credentials.
    let pending = {
        let (_, user) = h
            .operator(
                Method::POST,
                "/admin/v1/users",
                Some(json!({"label": "pending", "currency": "CNY"})),
            )
            .await;
        let (_, credential) = h
            .operator(
                Method::POST,
                "/admin/v1/credentials",
                Some(json!({"user_id": user["id"]})),
            )
            .await;
        Site {
            user_id: user["id"].as_i64().unwrap_or_default(),
            credential_id: credential["id"].as_i64().unwrap_or_default(),
            api_key: credential["api_key"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            secret: credential["secret"].as_str().unwrap_or_default().to_owned(),
        }
    };
    expect(
        "pending credential",
        call(&h, &pending, Method::POST, orders, &good).await,
        StatusCode::FORBIDDEN,
        "user_disabled",
    );
    let disabled = h.site(1_000, "CNY").await;
    h.operator(
        Method::POST,
        &format!("/admin/v1/credentials/{}/disable", disabled.credential_id),
        None,
    )
    .await;
    expect(
        "disabled credential",
        call(&h, &disabled, Method::POST, orders, &good).await,
        StatusCode::FORBIDDEN,
        "user_disabled",
    );

    expect(
        "malformed json",
        call(&h, &site, Method::POST, orders, b"{not json").await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    let missing = serde_json::to_vec(&json!({"sku_id": sku_id, "quantity": 1})).expect("json");
    expect(
        "missing field",
        call(&h, &site, Method::POST, orders, &missing).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    let wrong_type = serde_json::to_vec(&json!({
        "sku_id": "one", "quantity": 1, "downstream_order_no": "x", "callback_url": "http://127.0.0.1/cb"
    }))
    .expect("json");
    expect(
        "wrong type",
        call(&h, &site, Method::POST, orders, &wrong_type).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    let mut ftp = order_body(sku_id, 1, "D-ftp");
    ftp = String::from_utf8(ftp)
        .expect("utf8")
        .replace("http://127.0.0.1:9", "ftp://example.com")
        .into_bytes();
    expect(
        "bad callback url",
        call(&h, &site, Method::POST, orders, &ftp).await,
        StatusCode::BAD_REQUEST,
        "invalid_callback_url",
    );

    let huge = vec![b' '; 300 * 1024];
    expect(
        "oversized",
        call(&h, &site, Method::POST, orders, &huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "bad_request",
    );

    expect(
        "no stock",
        call(
            &h,
            &site,
            Method::POST,
            orders,
            &order_body(sku_id, 2, "D-stock"),
        )
        .await,
        StatusCode::CONFLICT,
        "insufficient_stock",
    );
    expect(
        "unknown sku",
        call(
            &h,
            &site,
            Method::POST,
            orders,
            &order_body(987_654, 1, "D-sku"),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "sku_unavailable",
    );
    let poor = h.site(100, "CNY").await;
    expect(
        "poor",
        call(
            &h,
            &poor,
            Method::POST,
            orders,
            &order_body(sku_id, 1, "D-poor"),
        )
        .await,
        StatusCode::PAYMENT_REQUIRED,
        "insufficient_balance",
    );

    let (status, failed) = call(
        &h,
        &site,
        Method::POST,
        orders,
        &order_body(usd_sku, 1, "D-usd"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "payment failure is HTTP 200");
    assert_eq!(
        (failed["ok"].as_bool(), failed["error_code"].as_str()),
        (Some(false), Some("payment_failed"))
    );
    assert_eq!(failed["status"], "canceled");

    assert_eq!(h.all_events().await, 0, "nothing reached a topic");
    let (_, wallet) = h
        .operator(
            Method::GET,
            &format!("/admin/v1/wallets/{}", poor.user_id),
            None,
        )
        .await;
    assert_eq!(
        wallet["balance_minor"], 100,
        "a refused order debits nothing"
    );
    h.stop().await;
}
