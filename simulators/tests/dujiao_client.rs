//! The Dujiao-Next client against the simulated upstream site, over real HTTP on 127.0.0.1.

use std::time::{Duration, Instant};

use secrecy::SecretString;
use switchyard_partners::dujiao::wire::CreateOrderRequest;
use switchyard_partners::dujiao::{DujiaoClient, DujiaoConnection, DujiaoError};
use switchyard_partners::policy::{PartnerHttpError, PolicyConfig};
use switchyard_simulators::dujiao::{DujiaoSimConfig, DujiaoSimulator, SimSwitches};
use switchyard_simulators::faults::{FaultSettings, SimulatorHandle};

const KEY: &str = "key-a";
const SECRET: &str = "secret-a";
const ORDERS: &str = "/api/v1/upstream/orders";

fn policy() -> PolicyConfig {
    PolicyConfig {
        timeout: Duration::from_millis(500),
        rate_per_second: std::num::NonZeroU32::new(1000).expect("test setup"),
        max_retries: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        retry_after_clamp: Duration::from_secs(5),
        allow_private_targets: true, // simulators listen on 127.0.0.1
        ..PolicyConfig::default()
    }
}

async fn site(balance_minor: i64) -> (DujiaoSimulator, SimulatorHandle, DujiaoClient) {
    let sim = DujiaoSimulator::new(DujiaoSimConfig::default().with_credential(
        KEY,
        SECRET,
        balance_minor,
    ));
    let handle = sim.spawn().await.expect("test setup");
    let client = client_for(&handle, KEY, SECRET);
    (sim, handle, client)
}

fn client_for(handle: &SimulatorHandle, key: &str, secret: &str) -> DujiaoClient {
    DujiaoClient::new(DujiaoConnection {
        base_url: handle.base_url(),
        api_key: key.into(),
        api_secret: SecretString::from(secret.to_owned()),
        policy: policy(),
    })
    .expect("test setup")
}

fn order(no: &str, sku_id: u64, quantity: u32) -> CreateOrderRequest {
    CreateOrderRequest {
        sku_id,
        quantity,
        manual_form_data: Default::default(),
        downstream_order_no: no.into(),
        trace_id: "trace-1".into(),
        callback_url: "http://127.0.0.1:9/callback".into(),
    }
}

#[tokio::test]
async fn ping_catalog_and_products() {
    let (_sim, _handle, client) = site(10_000).await;
    let ping = client.ping().await.unwrap();
    assert_eq!(ping.protocol_version, "1.0");
    assert_eq!(ping.balance, "100.00");
    assert_eq!(ping.balance_money().unwrap().amount_minor, 10_000);
    assert_eq!(client.categories().await.unwrap().len(), 1);
    let page = client.products(None, 1).await.unwrap();
    assert_eq!(page.total, 1, "inactive products are hidden by default");
    assert_eq!(page.items[0].skus.len(), 2);
    let retired = client.product(2).await.unwrap();
    assert!(!retired.is_active);
    let missing = client.product(99).await.unwrap_err();
    assert_eq!(missing.code(), Some("product_not_found"));
    assert!(missing.is_permanent());
}

#[tokio::test]
async fn create_is_idempotent_on_downstream_order_no() {
    let (sim, _handle, client) = site(10_000).await;
    let first = client.create_order(&order("D-1", 11, 2)).await.unwrap();
    assert_eq!(first.status, "paid");
    assert_eq!(first.amount, "19.98");
    let again = client.create_order(&order("D-1", 11, 2)).await.unwrap();
    assert_eq!(again.order_id, first.order_id);
    assert_eq!(sim.orders().len(), 1);
    assert_eq!(sim.balance(KEY), Some(10_000 - 1998));
    let detail = client.get_order(first.order_id).await.unwrap();
    assert_eq!(detail.status, "paid");
    assert_eq!(detail.amount_money().unwrap().amount_minor, 1998);
}

#[tokio::test]
async fn business_refusals_are_typed_and_never_retried() {
    let (sim, _handle, client) = site(100).await;
    let poor = client.create_order(&order("D-2", 11, 1)).await.unwrap_err();
    assert_eq!(poor.code(), Some("insufficient_balance"));
    assert!(poor.is_permanent());
    assert_eq!(sim.faults().hits(ORDERS), 1, "402 must not be retried");

    sim.credit(KEY, 1_000_000);
    let stock = client.create_order(&order("D-3", 11, 6)).await.unwrap_err();
    assert_eq!(stock.code(), Some("insufficient_stock"));
    let inactive = client.create_order(&order("D-4", 21, 1)).await.unwrap_err();
    assert_eq!(inactive.code(), Some("product_unavailable"));
    assert_eq!(sim.faults().hits(ORDERS), 3);

    sim.set_switches(SimSwitches {
        payment_fails: true,
        ..SimSwitches::default()
    });
    let failed = client.create_order(&order("D-5", 12, 1)).await.unwrap_err();
    assert!(matches!(failed, DujiaoError::PaymentFailed { .. }));
    assert!(failed.is_permanent());
    assert_eq!(
        sim.faults().hits(ORDERS),
        4,
        "HTTP 200 payment_failed must not be retried"
    );
}

#[tokio::test]
async fn cancel_succeeds_or_is_refused() {
    let (sim, _handle, client) = site(10_000).await;
    let placed = client.create_order(&order("D-6", 12, 2)).await.unwrap();
    sim.set_switches(SimSwitches {
        refuse_cancel: true,
        ..SimSwitches::default()
    });
    let refused = client.cancel_order(placed.order_id).await.unwrap_err();
    assert_eq!(refused.code(), Some("cancel_not_allowed"));
    sim.set_switches(SimSwitches::default());
    let canceled = client.cancel_order(placed.order_id).await.unwrap();
    assert_eq!(canceled.status, "canceled");
    assert_eq!(sim.balance(KEY), Some(10_000));
    assert_eq!(
        client.cancel_order(424242).await.unwrap_err().code(),
        Some("order_not_found")
    );
}

#[tokio::test]
async fn five_xx_and_timeouts_are_retried_until_success() {
    let (sim, _handle, client) = site(10_000).await;
    sim.faults().set(FaultSettings {
        fail_next: 2,
        ..FaultSettings::default()
    });
    let placed = client.create_order(&order("D-7", 12, 1)).await.unwrap();
    assert_eq!(sim.faults().hits(ORDERS), 3);
    assert_eq!(sim.orders().len(), 1);

    sim.faults().set(FaultSettings {
        hang_next: 1,
        hang_ms: 5_000,
        ..FaultSettings::default()
    });
    let detail = client.get_order(placed.order_id).await.unwrap();
    assert_eq!(detail.order_id, placed.order_id);
    assert_eq!(
        sim.faults().hits(&format!("{ORDERS}/{}", placed.order_id)),
        2
    );
}

#[tokio::test]
async fn retries_give_up_with_a_transient_error() {
    let (sim, _handle, client) = site(10_000).await;
    sim.faults().set(FaultSettings {
        fail_next: 10,
        fail_status: 502,
        ..FaultSettings::default()
    });
    let err = client.ping().await.unwrap_err();
    assert!(matches!(
        err,
        DujiaoError::Http(PartnerHttpError::RetryableStatus { status: 502, .. })
    ));
    assert!(err.is_retryable());
    assert_eq!(
        sim.faults().hits("/api/v1/upstream/ping"),
        4,
        "1 attempt + 3 retries"
    );
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let (sim, _handle, client) = site(10_000).await;
    sim.faults().set(FaultSettings {
        throttle_next: 1,
        retry_after_secs: 1,
        ..FaultSettings::default()
    });
    let started = Instant::now();
    client.ping().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(sim.faults().hits("/api/v1/upstream/ping"), 2);
}

#[tokio::test]
async fn malformed_answer_is_a_typed_error() {
    let (sim, _handle, client) = site(10_000).await;
    sim.faults().set(FaultSettings {
        malformed_next: 1,
        ..FaultSettings::default()
    });
    let err = client.ping().await.unwrap_err();
    assert!(
        matches!(err, DujiaoError::Malformed { status: 200, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn wrong_credentials_get_protocol_errors() {
    let (_sim, handle, _client) = site(10_000).await;
    let wrong_secret = client_for(&handle, KEY, "not-the-secret")
        .ping()
        .await
        .unwrap_err();
    assert_eq!(wrong_secret.code(), Some("invalid_signature"));
    let unknown = client_for(&handle, "nobody", SECRET)
        .ping()
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Some("invalid_api_key"));
    assert!(unknown.is_permanent());

    let raw = reqwest::Client::new();
    let answer = raw
        .post(format!("{}/api/v1/upstream/ping", handle.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["error_code"], "missing_auth_headers");
}

#[tokio::test]
async fn faults_and_site_are_controlled_over_http() {
    let (sim, handle, client) = site(0).await;
    let raw = reqwest::Client::new();
    let base = handle.base_url();
    let set = raw
        .post(format!("{base}/_faults"))
        .json(&serde_json::json!({"fail_next": 1, "path_prefix": "/api/v1/upstream/ping"}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    let credited = raw
        .post(format!("{base}/_control/wallets/{KEY}/credit"))
        .json(&serde_json::json!({"amount_minor": 500}))
        .send()
        .await
        .unwrap();
    assert_eq!(credited.status(), 204);
    assert_eq!(client.ping().await.unwrap().balance, "5.00");
    let hits: std::collections::HashMap<String, u64> = raw
        .get(format!("{base}/_faults/hits"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        hits.get("/api/v1/upstream/ping"),
        Some(&2),
        "one injected 503, one retry"
    );
    assert!(
        !hits.contains_key("/_faults"),
        "control routes are not counted"
    );

    let placed = client.create_order(&order("D-8", 12, 1)).await.unwrap();
    let fulfilled = raw
        .post(format!("{base}/_control/orders/{}/fulfil", placed.order_id))
        .send()
        .await
        .unwrap();
    assert_eq!(fulfilled.status(), 204);
    let orders: Vec<serde_json::Value> = raw
        .get(format!("{base}/_control/orders"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(orders[0]["status"], "delivered");
    assert_eq!(orders[0]["downstream_order_no"], "D-8");
    assert!(
        orders[0].get("api_key").is_none(),
        "credentials are not exposed"
    );
    assert_eq!(sim.orders().len(), 1);
    let reset = raw.delete(format!("{base}/_faults")).send().await.unwrap();
    assert_eq!(reset.status(), 204);
    assert_eq!(sim.faults().hits("/api/v1/upstream/ping"), 0);
}
