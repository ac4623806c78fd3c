//! `POST /admin/v1/connections/{id}/test` and `switchyard admin connections test ID` for every
//! kind, against a healthy simulator and a failing one (down, wrong credentials, a bad answer
//! signature), through a real `switchyard up` whose registry opens the stored secrets. A report
//! is `{ok, latency_ms, partner_reply | error}`; the error is the partner's, never our secret.

mod support;

use serde_json::{json, Value};
use switchyard_partners::dstore::{DstorePrivateKey, DstorePublicKey};
use switchyard_simulators::daojia::{DaojiaSimulator, DaojiaSimulatorConfig};
use switchyard_simulators::dstore::{DstoreSimulator, DstoreSimulatorConfig};
use switchyard_simulators::dujiao::{DujiaoSimConfig, DujiaoSimulator};
use switchyard_simulators::qimen::{QimenSimulator, QimenSimulatorConfig};
use switchyard_simulators::vending::{VendingSimConfig, VendingSimulator};
use switchyard_testkit::database::TestDatabase;

use support::admin_api::{admin_cli, fleet};
use support::dstore::vector;
use support::Operator;

const TOKEN: &str = "connection-test-token-0123456789";
/// A secret that must never come back in a report.
const WRONG: &str = "a-wrong-secret-never-echoed";

/// Creates a connection (`pending`: a test needs no active one) and tests it.
async fn test(operator: &Operator, connection: Value) -> Value {
    let mut connection = connection;
    connection["name"] = json!(format!("c-{}", uuid::Uuid::new_v4().simple()));
    connection["status"] = json!("pending");
    connection["rate_limit_per_minute"] = json!(6000);
    let created = operator
        .post("/admin/v1/connections", Some(connection), 201)
        .await;
    let id = created["id"].as_i64().expect("id");
    let report = operator
        .post(&format!("/admin/v1/connections/{id}/test"), None, 200)
        .await;
    assert!(report["latency_ms"].is_u64(), "{report}");
    assert!(!report.to_string().contains(WRONG), "a secret in {report}");
    report
}

fn failed_with(report: &Value, needle: &str) {
    assert_eq!(report["ok"], false, "{report}");
    let error = report["error"].as_str().unwrap_or_default();
    assert!(error.contains(needle), "{needle:?} not in {error:?}");
}

// Multi-threaded: the simulators answer while the CLI child process blocks this test's thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_answers_ok_when_healthy_and_says_why_when_not() {
    let database = TestDatabase::new().await.expect("test database");
    let running = fleet(
        &database,
        TOKEN,
        &[
            ("SWITCHYARD_WORKERS__ALLOW_PRIVATE_PARTNER_URLS", "true"),
            ("SWITCHYARD_WORKERS__PARTNER_TIMEOUT_MS", "3000"),
        ],
    );
    let operator = Operator::new(&running.admin, TOKEN);

    // Dujiao-Next: ping.
    let site = DujiaoSimulator::new(
        DujiaoSimConfig::default()
            .with_credential("key-a", "secret-a", 500)
            // A second credential for the CLI's test: the site refuses a signature it has seen,
            // and two pings with one key in the same second carry the same signature.
            .with_credential("key-b", "secret-b", 500),
    );
    let site_http = site.spawn().await.expect("dujiao sim");
    let dujiao = |url: &str, secret: &str| {
        json!({"kind": "dujiao_upstream", "base_url": url,
                                                  "api_key": "key-a", "secret": secret})
    };
    let healthy = test(&operator, dujiao(&site_http.base_url(), "secret-a")).await;
    assert_eq!(
        (
            healthy["ok"].as_bool(),
            healthy["partner_reply"]["site_name"].as_str()
        ),
        (Some(true), Some("Simulated Upstream")),
        "{healthy}"
    );
    failed_with(
        &test(&operator, dujiao(&site_http.base_url(), WRONG)).await,
        "401",
    );
    failed_with(
        &test(&operator, dujiao("http://127.0.0.1:1", "secret-a")).await,
        "dujiao",
    );

    // D-Store: a signed call whose answer signature verifies.
    let dstore_with = |key: &str| {
        DstoreSimulator::new(DstoreSimulatorConfig {
            client_id: "C-1".into(),
            dstore_private_key: DstorePrivateKey::parse(key).expect("private key"),
            pos_public_key: DstorePublicKey::parse(&vector("dstore_test_public.pem"))
                .expect("public key"),
        })
    };
    let dstore_conn = |url: &str| {
        json!({"kind": "dstore", "base_url": url, "api_key": "C-1",
        "settings": {"dstore_public_key": vector("dstore_test_public.pem")},
        "secret": vector("dstore_test_private.pem")})
    };
    let good = dstore_with(&vector("dstore_test_private.pem"));
    let good_http = good.spawn().await.expect("dstore sim");
    let healthy = test(&operator, dstore_conn(&good_http.base_url())).await;
    assert_eq!(
        healthy["partner_reply"]["result"]["resultStatus"], "S",
        "{healthy}"
    );
    let rotated = std::fs::read_to_string(format!(
        "{}/../ingress/tests/ingress/rotated_pos_key.pem",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("key");
    let forger = dstore_with(&rotated);
    let forger_http = forger.spawn().await.expect("dstore sim");
    failed_with(
        &test(&operator, dstore_conn(&forger_http.base_url())).await,
        "signature",
    );

    // Qimen/WDT: a one-row stock query.
    let erp = QimenSimulatorConfig {
        app_key: "21345678".into(),
        app_secret: "qimen-secret".into(),
        target_app_key: "wdt-target".into(),
        sid: "wdt2".into(),
        wdt_appkey: "wdt2-ot".into(),
    };
    let gateway = QimenSimulator::new(erp.clone());
    let gateway_http = gateway.spawn().await.expect("qimen sim");
    let qimen = |secret: &str| {
        json!({"kind": "qimen_wdt",
        "base_url": QimenSimulator::gateway_url(&gateway_http), "api_key": erp.app_key,
        "app_id": erp.target_app_key, "secret": secret,
        "settings": {"sid": erp.sid, "wdt_appkey": erp.wdt_appkey, "shop_no": "shop-7"}})
    };
    let healthy = test(&operator, qimen("qimen-secret")).await;
    assert_eq!(
        (
            healthy["ok"].as_bool(),
            healthy["partner_reply"]["code"].as_i64()
        ),
        (Some(true), Some(0)),
        "{healthy}"
    );
    failed_with(
        &test(&operator, qimen(WRONG)).await,
        "qimen refused the call",
    );

    // Vending: Appid/AppSecret and a signed payload.
    let platform = VendingSimulator::new(VendingSimConfig::default());
    let platform_http = platform.spawn().await.expect("vending sim");
    let vending = |app_secret: &str| {
        json!({"kind": "vending", "base_url": platform_http.base_url(),
        "api_key": "app-1", "secret": json!({"app_secret": app_secret, "merchant_key": "10001"}).to_string()})
    };
    let healthy = test(&operator, vending("app-secret-1")).await;
    assert_eq!(healthy["ok"], true, "{healthy}");
    failed_with(&test(&operator, vending(WRONG)).await, "10009");

    // 58 Daojia: a signed update for an order it does not have.
    let fifty_eight = DaojiaSimulator::new(DaojiaSimulatorConfig {
        push_secret: "push".into(),
        service_key: "svc".into(),
        service_secret: "service-secret".into(),
        access_token: "token".into(),
    });
    let fifty_eight_http = fifty_eight.spawn().await.expect("daojia sim");
    let daojia = |secret: &str| {
        json!({"kind": "daojia", "base_url": fifty_eight_http.base_url(),
        "app_id": "svc", "secret": json!({"push_secret": "push", "service_secret": secret,
                                          "access_token": "token"}).to_string()})
    };
    assert_eq!(test(&operator, daojia("service-secret")).await["ok"], true);
    failed_with(&test(&operator, daojia(WRONG)).await, "401");

    // A row that cannot make a client says which field; an unknown id is 404; the CLI prints it.
    let bare = test(
        &operator,
        json!({"kind": "vending", "base_url": platform_http.base_url(), "api_key": "app-1"}),
    )
    .await;
    failed_with(&bare, "no secret stored");
    let (status, missing) = operator
        .call(
            reqwest::Method::POST,
            "/admin/v1/connections/999999/test",
            None,
        )
        .await;
    assert_eq!(
        (status, missing["error"].as_str()),
        (404, Some("not_found"))
    );
    let created = operator
        .post(
            "/admin/v1/connections",
            Some(json!({
        "kind": "dujiao_upstream", "name": "for-the-cli", "base_url": site_http.base_url(),
        "api_key": "key-b", "secret": "secret-b"})),
            201,
        )
        .await;
    let id = created["id"].as_i64().expect("id").to_string();
    let printed = admin_cli(&running, TOKEN, &["connections", "test", &id]);
    assert_eq!(printed["ok"], true, "{printed}");
}
