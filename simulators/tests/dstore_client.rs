//! The D-Store client (POS → D-Store) against the D-Store simulator over real HTTP: signing and
//! answer verification, idempotency, retries on 5xx / 429 / timeout / `U`, no retry on `F`.

// Test fixtures and helpers panic on broken setup by design.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use switchyard_partners::dstore::wire::{
    paths, DstoreAmount, DstoreResult, NotifyOrderChangeRequest, ProductType, SyncProductItem,
    SyncProductRequest, SyncStore, SyncType,
};
use switchyard_partners::dstore::{
    DstoreClient, DstoreConfig, DstoreError, DstorePrivateKey, DstorePublicKey, NotifyOrderStatus,
};
use switchyard_partners::policy::PolicyConfig;
use switchyard_simulators::dstore::{DstoreSimulator, DstoreSimulatorConfig};
use switchyard_simulators::faults::{FaultSettings, SimulatorHandle};

const CLIENT_ID: &str = "375Y903U2Y45KE00600";

fn pem(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/vectors/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// D-Store's pair is the shared test pair; the POS has its own (test-only) pair.
fn dstore_private() -> DstorePrivateKey {
    DstorePrivateKey::from_pkcs8_pem(&pem("dstore_test_private.pem")).unwrap()
}
fn dstore_public() -> DstorePublicKey {
    DstorePublicKey::parse(&pem("dstore_test_public.pem")).unwrap()
}
fn pos_private() -> DstorePrivateKey {
    DstorePrivateKey::from_pkcs8_pem(&pem("other_test_private.pem")).unwrap()
}
fn pos_public() -> DstorePublicKey {
    DstorePublicKey::parse(&pem("other_test_public.pem")).unwrap()
}

fn fast_policy() -> PolicyConfig {
    PolicyConfig {
        timeout: Duration::from_millis(500),
        rate_per_second: 200.try_into().unwrap(),
        burst: 200.try_into().unwrap(),
        max_retries: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        retry_after_clamp: Duration::from_secs(2),
        allow_private_targets: true, // simulators listen on 127.0.0.1
        ..PolicyConfig::default()
    }
}

async fn start(pos_key_known_to_dstore: DstorePublicKey) -> (DstoreSimulator, SimulatorHandle) {
    let sim = DstoreSimulator::new(DstoreSimulatorConfig {
        client_id: CLIENT_ID.into(),
        dstore_private_key: dstore_private(),
        pos_public_key: pos_key_known_to_dstore,
    });
    let handle = sim.spawn().await.unwrap();
    (sim, handle)
}

fn client(handle: &SimulatorHandle, dstore_key: DstorePublicKey) -> DstoreClient {
    DstoreClient::new(DstoreConfig {
        gateway_url: handle.base_url(),
        client_id: CLIENT_ID.into(),
        pos_private_key: pos_private(),
        dstore_public_key: dstore_key,
        policy: fast_policy(),
    })
    .unwrap()
}

fn notify(request_id: &str) -> NotifyOrderChangeRequest {
    NotifyOrderChangeRequest {
        request_id: request_id.into(),
        request_order_id: "20230828001".into(),
        order_status: NotifyOrderStatus::Accepted,
        refund_amount: None,
        extend_info: None,
    }
}

fn catalog() -> SyncProductRequest {
    SyncProductRequest {
        request_id: "sync-1".into(),
        pos_account_id: "acc-1".into(),
        store: SyncStore {
            pos_store_id: "store-1".into(),
            store_name: Some("Main".into()),
        },
        products: vec![SyncProductItem {
            pos_product_id: "latte".into(),
            product_type: ProductType::Single,
            name: "Latte".into(),
            price: DstoreAmount {
                value: 450,
                currency: "SGD".into(),
            },
            available: true,
        }],
        sync_type: None,
    }
}

#[tokio::test]
async fn sync_product_is_verified_and_replaces_the_catalog() {
    let (sim, handle) = start(pos_public()).await;
    let client = client(&handle, dstore_public());
    client.sync_product(&catalog()).await.unwrap();
    let mut smaller = catalog();
    smaller.request_id = "sync-2".into();
    smaller.products.clear();
    client.sync_product(&smaller).await.unwrap();
    assert_eq!(
        sim.catalog("store-1"),
        Some(smaller),
        "a full sync replaces the catalog"
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn an_incremental_sync_upserts_and_a_repeated_request_id_is_applied_once() {
    let (sim, handle) = start(pos_public()).await;
    let client = client(&handle, dstore_public());
    client.sync_product(&catalog()).await.unwrap();
    let mut more = catalog();
    more.request_id = "sync-2".into();
    more.sync_type = Some(SyncType::Incremental);
    more.products[0].pos_product_id = "mocha".into();
    client.sync_product(&more).await.unwrap();
    let mut changed = more.clone();
    changed.products[0].available = false;
    // The same requestId again (a lost answer): answered S, not applied.
    client.sync_product(&changed).await.unwrap();
    let synced = sim.catalog("store-1").unwrap();
    let listed: Vec<(&str, bool)> = synced
        .products
        .iter()
        .map(|p| (p.pos_product_id.as_str(), p.available))
        .collect();
    assert_eq!(listed, [("latte", true), ("mocha", true)]);
    let applied: Vec<bool> = sim.sync_calls().iter().map(|c| c.applied).collect();
    assert_eq!(applied, [true, true, false]);
    let mut replace = catalog();
    replace.request_id = "sync-3".into();
    replace.sync_type = Some(SyncType::Full);
    client.sync_product(&replace).await.unwrap();
    assert_eq!(
        sim.catalog("store-1").unwrap().products.len(),
        1,
        "FULL replaces"
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn notify_order_change_is_applied_once_per_request_id() {
    let (sim, handle) = start(pos_public()).await;
    let client = client(&handle, dstore_public());
    client.notify_order_change(&notify("req-1")).await.unwrap();
    client.notify_order_change(&notify("req-1")).await.unwrap();
    client.notify_order_change(&notify("req-2")).await.unwrap();
    let ids: Vec<_> = sim
        .notifications()
        .into_iter()
        .map(|n| n.request_id)
        .collect();
    assert_eq!(ids, ["req-1", "req-2"]);
    handle.shutdown().await;
}

#[tokio::test]
async fn server_errors_throttling_and_timeouts_are_retried_until_success() {
    let (sim, handle) = start(pos_public()).await;
    let client = client(&handle, dstore_public());
    sim.faults().set(FaultSettings {
        fail_next: 2,
        ..FaultSettings::default()
    });
    client
        .notify_order_change(&notify("req-5xx"))
        .await
        .unwrap();
    assert_eq!(sim.faults().hits(paths::NOTIFY_ORDER_CHANGE), 3);

    sim.faults().set(FaultSettings {
        throttle_next: 1,
        retry_after_secs: 1,
        ..FaultSettings::default()
    });
    let started = Instant::now();
    client
        .notify_order_change(&notify("req-429"))
        .await
        .unwrap();
    // A lower bound cannot flake: the client waited at least what Retry-After asked for.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Retry-After honoured"
    );

    sim.faults().set(FaultSettings {
        hang_next: 1,
        hang_ms: 2_000,
        ..FaultSettings::default()
    });
    client
        .notify_order_change(&notify("req-hang"))
        .await
        .unwrap();
    let ids: Vec<_> = sim
        .notifications()
        .into_iter()
        .map(|n| n.request_id)
        .collect();
    assert_eq!(ids, ["req-5xx", "req-429", "req-hang"]);
    handle.shutdown().await;
}

#[tokio::test]
async fn unknown_result_is_retried_with_identical_parameters() {
    let (sim, handle) = start(pos_public()).await;
    let client = client(&handle, dstore_public());
    sim.script_answers([DstoreResult::unknown("busy"), DstoreResult::unknown("busy")]);
    client.notify_order_change(&notify("req-u")).await.unwrap();
    let times = sim.request_times();
    assert_eq!(times.len(), 3, "two U answers, then success");
    assert!(
        times.iter().all(|t| t == &times[0]),
        "every retry carries the same signed Request-Time"
    );
    assert_eq!(sim.notifications().len(), 1);
    handle.shutdown().await;
}

#[tokio::test]
async fn unknown_result_that_persists_is_a_transient_error() {
    let (sim, handle) = start(pos_public()).await;
    let client = client(&handle, dstore_public());
    sim.script_answers(std::iter::repeat_n(DstoreResult::unknown("busy"), 4));
    let err = client
        .notify_order_change(&notify("req-u4"))
        .await
        .unwrap_err();
    assert!(matches!(err, DstoreError::Http(_)), "{err:?}");
    assert!(err.is_retryable());
    handle.shutdown().await;
}

#[tokio::test]
async fn failed_result_is_not_retried() {
    let (sim, handle) = start(pos_public()).await;
    let client = client(&handle, dstore_public());
    sim.script_answers([DstoreResult::failed("PROCESS_FAIL", "order closed")]);
    let err = client
        .notify_order_change(&notify("req-f"))
        .await
        .unwrap_err();
    match &err {
        DstoreError::Refused { code, .. } => assert_eq!(code, "PROCESS_FAIL"),
        other => panic!("expected Refused, got {other:?}"),
    }
    assert!(!err.is_retryable());
    assert_eq!(
        sim.faults().hits(paths::NOTIFY_ORDER_CHANGE),
        1,
        "F is never retried"
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn a_pos_signing_with_the_wrong_key_gets_invalid_signature_once() {
    // D-Store knows a different POS public key than the one matching our private key.
    let (sim, handle) = start(dstore_public()).await;
    let client = client(&handle, dstore_public());
    let err = client
        .notify_order_change(&notify("req-bad"))
        .await
        .unwrap_err();
    match &err {
        DstoreError::Refused { code, .. } => assert_eq!(code, "INVALID_SIGNATURE"),
        other => panic!("expected Refused, got {other:?}"),
    }
    assert_eq!(sim.rejections(), ["INVALID_SIGNATURE"]);
    assert_eq!(sim.faults().hits(paths::NOTIFY_ORDER_CHANGE), 1);
    assert!(sim.notifications().is_empty());
    handle.shutdown().await;
}

#[tokio::test]
async fn an_answer_signed_with_an_unexpected_key_is_not_trusted() {
    let (_sim, handle) = start(pos_public()).await;
    // We expect D-Store's answers under the POS key, which D-Store does not hold.
    let client = client(&handle, pos_public());
    let err = client
        .notify_order_change(&notify("req-mitm"))
        .await
        .unwrap_err();
    assert!(matches!(err, DstoreError::AnswerSignature(_)), "{err:?}");
    assert!(!err.is_retryable());
    handle.shutdown().await;
}

#[tokio::test]
async fn debug_output_never_shows_key_material() {
    let (_sim, handle) = start(pos_public()).await;
    let client = client(&handle, dstore_public());
    let shown = format!("{client:?}");
    let private_body: String = pem("other_test_private.pem").lines().nth(1).unwrap().into();
    let public_body: String = pem("dstore_test_public.pem").lines().nth(1).unwrap().into();
    assert!(shown.contains(CLIENT_ID));
    assert!(!shown.contains(&private_body[..20]));
    assert!(!shown.contains(&public_body[..20]));
    assert!(!shown.contains("BEGIN"));
    handle.shutdown().await;
}
