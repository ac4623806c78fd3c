//! Issue 13, "Build" 1: channel product mappings end to end, on a live `switchyard up` (real
//! broker, real PostgreSQL). The operator maps a 58 `goodsId` and a D-Store `posProductId` to a
//! local-stock SKU with `switchyard admin channel-products …`; a 58 push whose ids are JSON
//! numbers and a signed D-Store `createOrder` are then procured through to `delivered`, not
//! failed as "line 1 has no SKU".

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};
use switchyard_partners::daojia::push::FUN_CREATE_ORDER;
use switchyard_partners::dstore::ResultStatus;
use switchyard_simulators::daojia::{DaojiaSimulator, DaojiaSimulatorConfig};
use switchyard_testkit::broker::shared_broker;
use switchyard_testkit::eventually;

use support::dstore::vector;
use support::standalone::base_command;
use support::{Proc, Site, ADMIN_TOKEN};

const PUSH_SECRET: &str = "58-push-secret-e2e";
const CLIENT_ID: &str = "2022-DSTORE-E2E";
const DELIVERED_WITHIN: Duration = Duration::from_secs(40);

/// A token file for the CLI, removed on drop.
struct TokenFile(PathBuf);

impl TokenFile {
    fn new() -> TokenFile {
        let path = std::env::temp_dir().join(format!("switchyard-{}.token", uuid::Uuid::new_v4()));
        std::fs::write(&path, format!("{ADMIN_TOKEN}\n")).expect("write token file");
        TokenFile(path)
    }
}

impl Drop for TokenFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `switchyard admin channel-products <args>` against `proc`: (success, stdout JSON, stderr).
fn cli(proc: &Proc, token: &Path, args: &[&str]) -> (bool, Value, String) {
    let output = base_command()
        .env("SWITCHYARD_CLI_URL", format!("http://{}", proc.admin))
        .env("SWITCHYARD_CLI_TOKEN_FILE", token)
        .args(["admin", "channel-products"])
        .args(args)
        .output()
        .expect("run the client");
    (
        output.status.success(),
        serde_json::from_slice(&output.stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn created_id(answer: &(bool, Value, String)) -> i64 {
    assert!(answer.0, "{}", answer.2);
    answer.1["id"].as_i64().expect("mapping id")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mapped_58_and_d_store_orders_are_procured_to_delivered() {
    let brokers = shared_broker().expect("a test broker");
    let site = Site::new("channels", &brokers).await;
    let proc = site.spawn(&["up"]);
    let op = site.operator(&proc);
    let token = TokenFile::new();

    let sku = op.sku(1_000, 10).await;
    let daojia = op
        .post(
            "/admin/v1/connections",
            Some(json!({
                "kind": "daojia", "name": "58", "base_url": "https://open.example.com",
                "status": "active", "secret": PUSH_SECRET
            })),
            201,
        )
        .await["id"]
        .as_i64()
        .expect("daojia connection");
    let dstore = op
        .post(
            "/admin/v1/connections",
            Some(json!({
                "kind": "dstore", "name": "d-store", "base_url": "https://dstore.example.com",
                "status": "active", "api_key": CLIENT_ID,
                "settings": { "dstore_public_key": vector("dstore_test_public.pem") },
                "secret": vector("dstore_test_private.pem")
            })),
            201,
        )
        .await["id"]
        .as_i64()
        .expect("dstore connection");

    // The operator maps both channels' product ids to the SKU through the CLI.
    let (sku_arg, daojia_arg, dstore_arg) =
        (sku.to_string(), daojia.to_string(), dstore.to_string());
    let create = |channel: &'static str, connection: &str, product: &'static str| {
        cli(
            &proc,
            &token.0,
            &[
                "create",
                "--channel",
                channel,
                "--connection",
                connection,
                "--product",
                product,
                "--sku",
                &sku_arg,
            ],
        )
    };
    created_id(&create("daojia", &daojia_arg, "1"));
    created_id(&create("dstore", &dstore_arg, "latte"));
    let spare = created_id(&create("daojia", &daojia_arg, "spare"));
    let (ok, _, stderr) = create("daojia", &daojia_arg, "1");
    assert!(
        !ok && stderr.contains("409") && stderr.contains("duplicate"),
        "{stderr}"
    );
    let (ok, _, stderr) = create("dstore", &daojia_arg, "2");
    assert!(
        !ok && stderr.contains("400"),
        "a daojia connection is not D-Store's: {stderr}"
    );
    let (ok, _, stderr) = cli(&proc, &token.0, &["delete", &spare.to_string()]);
    assert!(ok, "{stderr}");
    let (ok, listed, stderr) = cli(&proc, &token.0, &["list", "--channel", "daojia"]);
    assert!(ok, "{stderr}");
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|item| item["channel_product_id"].as_str())
        .collect();
    assert_eq!(ids, ["1"], "{listed}");
    let (ok, listed, _) = cli(&proc, &token.0, &["list", "--sku", &sku_arg]);
    assert!(ok);
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(2),
        "{listed}"
    );

    // 58 pushes an order with numeric ids.
    let fifty_eight = DaojiaSimulator::new(DaojiaSimulatorConfig {
        push_secret: PUSH_SECRET.into(),
        service_key: "key".into(),
        service_secret: "secret".into(),
        access_token: "token".into(),
    });
    let order = json!({
        "orderId": 796_283_197_642_u64, "userMobile": "13800000000", "cityId": 1,
        "serviceAddress": "No. 1 Example Road", "serviceBeginTime": "2026-01-01 10:00:00",
        "totalPrice": "10.00",
        "orderDetails": [{"goodsId": 1, "goodsNumber": 1, "goodsPrice": "10.00"}]
    })
    .to_string();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis()
        .to_string();
    let form = fifty_eight.signed_push(FUN_CREATE_ORDER, &order, &now);
    let answer = fifty_eight
        .send_push(&format!("{}/daojia/notify", site.ingress_url()), &form)
        .await
        .expect("58 push answered");
    assert!(answer.is_success(), "{answer:?}");

    // D-Store places an order for the mapped product.
    let dstore_sim = support::dstore::simulator(CLIENT_ID);
    let request = support::dstore::one_item_order("RO-E2E-1", "latte");
    let answer = dstore_sim
        .create_order(&site.ingress_url(), &request)
        .await
        .expect("D-Store createOrder answered and signed");
    assert_eq!(
        answer.result.result_status,
        ResultStatus::Success,
        "{answer:?}"
    );

    let statuses = eventually(DELIVERED_WITHIN, "both orders delivered", || async {
        let rows: Vec<(String, String, String)> =
            sqlx::query_as("SELECT channel, channel_order_id, status FROM orders ORDER BY channel")
                .fetch_all(site.pool())
                .await
                .expect("orders");
        let done = rows.len() == 2
            && rows
                .iter()
                .all(|(_, _, status)| matches!(status.as_str(), "delivered" | "failed"));
        done.then_some(rows)
    })
    .await;
    assert_eq!(
        statuses,
        [
            (
                "daojia".to_owned(),
                "796283197642".to_owned(),
                "delivered".to_owned()
            ),
            (
                "dstore".to_owned(),
                "RO-E2E-1".to_owned(),
                "delivered".to_owned()
            ),
        ]
    );
    let fulfillers: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT status, fulfiller FROM procurement_orders")
            .fetch_all(site.pool())
            .await
            .expect("sub-orders");
    assert_eq!(fulfillers.len(), 2, "{fulfillers:?}");
    assert!(
        fulfillers
            .iter()
            .all(|(_, fulfiller)| fulfiller.as_deref() == Some("local_stock")),
        "{fulfillers:?}"
    );
    let stock: i32 = sqlx::query_scalar("SELECT stock_quantity FROM skus WHERE id = $1")
        .bind(sku)
        .fetch_one(site.pool())
        .await
        .expect("stock");
    assert_eq!(stock, 8, "one unit for each order");
}
