//! Issue 14, item 3, end to end on a live `switchyard up` (real broker, real PostgreSQL, the
//! D-Store simulator over HTTP): the operator configures a D-Store store and maps a product; the
//! stock-syncer pushes the store's catalog with `syncProduct` (signed and verified); an operator
//! stock change reaches D-Store by an incremental push; `switchyard admin sync ID --full` makes a
//! full push due now.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use switchyard_partners::dstore::wire::SyncType;
use switchyard_testkit::broker::shared_broker;
use switchyard_testkit::eventually;

use support::dstore::vector;
use support::standalone::base_command;
use support::{Site, ADMIN_TOKEN};

const CLIENT_ID: &str = "2022-DSTORE-CATALOG-E2E";
const STORE: &str = "store-e2e";
const WITHIN: Duration = Duration::from_secs(40);

fn available(sim: &switchyard_simulators::dstore::DstoreSimulator) -> Option<bool> {
    let catalog = sim.catalog(STORE)?;
    let latte = catalog
        .products
        .iter()
        .find(|p| p.pos_product_id == "latte")?;
    Some(latte.available)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_reaches_dstore_and_admin_sync_pushes_it_whole() {
    let brokers = shared_broker().expect("a test broker");
    let site = Site::new("dstore-catalog", &brokers).await;
    let sim = support::dstore::simulator(CLIENT_ID);
    let gateway = sim.spawn().await.expect("D-Store simulator");
    let proc = site.spawn(&["up"]);
    let op = site.operator(&proc);

    let sku = op.sku(450, 10).await;
    let connection = op
        .post(
            "/admin/v1/connections",
            Some(json!({
                "kind": "dstore", "name": "d-store", "base_url": gateway.base_url(),
                "status": "active", "api_key": CLIENT_ID,
                "settings": { "dstore_public_key": vector("dstore_test_public.pem"),
                              "pos_account_id": "acc-e2e", "pos_store_id": STORE },
                "secret": vector("dstore_test_private.pem")
            })),
            201,
        )
        .await["id"]
        .as_i64()
        .expect("dstore connection");
    op.post(
        "/admin/v1/channel-products",
        Some(json!({ "channel": "dstore", "connection_id": connection,
                     "channel_product_id": "latte", "sku_id": sku })),
        201,
    )
    .await;

    eventually(WITHIN, "D-Store lists the latte", || async {
        available(&sim) == Some(true)
    })
    .await;
    let synced = sim.catalog(STORE).expect("catalog");
    assert_eq!(synced.products.len(), 1);
    assert_eq!(synced.products[0].price.value, 450);
    assert_eq!(synced.pos_account_id, "acc-e2e");

    // The operator sells the last latte elsewhere: stock 0.
    let (status, body) = op
        .call(
            reqwest::Method::PUT,
            &format!("/admin/v1/skus/{sku}/stock"),
            Some(json!({ "quantity": 0 })),
        )
        .await;
    assert!((200..300).contains(&status), "{status} {body}");
    eventually(WITHIN, "D-Store shows the latte unavailable", || async {
        available(&sim) == Some(false)
    })
    .await;

    let fulls = |calls: &[switchyard_simulators::dstore::SyncCall]| {
        calls
            .iter()
            .filter(|c| c.applied && c.sync_type == SyncType::Full)
            .count()
    };
    let before = fulls(&sim.sync_calls());
    let token = std::env::temp_dir().join(format!("switchyard-{}.token", uuid::Uuid::new_v4()));
    std::fs::write(&token, format!("{ADMIN_TOKEN}\n")).expect("token file");
    let output = base_command()
        .env("SWITCHYARD_CLI_URL", format!("http://{}", proc.admin))
        .env("SWITCHYARD_CLI_TOKEN_FILE", &token)
        .args(["admin", "sync", &connection.to_string(), "--full"])
        .output()
        .expect("run the client");
    let _ = std::fs::remove_file(&token);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer: Value = serde_json::from_slice(&output.stdout).expect("JSON answer");
    assert_eq!(answer["job"], "dstore-catalog", "{answer}");
    assert_eq!(answer["full"], true);
    eventually(WITHIN, "a second full push", || async {
        fulls(&sim.sync_calls()) > before
    })
    .await;
    assert_eq!(available(&sim), Some(false));
    assert!(sim.rejections().is_empty(), "every signature verified");
    gateway.shutdown().await;
}
