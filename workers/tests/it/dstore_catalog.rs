//! The stock-syncer's catalog push to the D-Store simulator over HTTP (`syncProduct`, signed and
//! verified): a full sync makes the simulator's catalog equal ours; a local stock change and an
//! upstream one (pulled from the Dujiao-Next simulator) reach it by an incremental push within a
//! (time-scaled) sync interval; a `U` answer or a 503 outage ends with the call delivered once,
//! under the same `requestId`; an `F` skips the batch, is shown as the task's error and counted,
//! and an operator's full sync delivers again; 250 products go in 3 calls.

use std::collections::BTreeMap;

use http::{Method, StatusCode};
use secrecy::SecretString;
use switchyard_partners::dstore::wire::{DstoreResult, SyncProductItem, SyncType};
use switchyard_simulators::dstore::DstoreSimulator;
use switchyard_simulators::dujiao::{DujiaoSimConfig, DujiaoSimulator};
use switchyard_simulators::faults::FaultSettings;
use switchyard_store::channel_products::{self, NewChannelProduct};
use switchyard_store::connections::{self, ConnectionKind, ConnectionStatus, NewConnection};
use switchyard_store::mappings::Fulfiller;
use switchyard_store::orders::Channel;
use switchyard_store::stock;
use switchyard_testkit::eventually;

use crate::status_sync::{dstore_simulator, CLIENT_ID};
use crate::support::operator::ConnectionsApi;
use crate::support::{test_vector, Hub, WAIT};

const STORE: &str = "store-7";

/// A hub whose stock-syncer passes every 0.5 s (scaled); full passes only when asked.
async fn hub() -> Hub {
    Hub::start_with(|config| config.stock_sync_interval_secs = 50).await
}

/// A D-Store connection for store [`STORE`] of account `acc-7`, pending until [`activate`]d (so
/// the first pass sees the whole catalog).
async fn store_connection(hub: &Hub, base_url: &str) -> i64 {
    let mut new = NewConnection::new(ConnectionKind::Dstore, "dstore-store-7", base_url);
    new.status = ConnectionStatus::Pending;
    new.rate_limit_per_minute = 60_000;
    new.api_key = Some(CLIENT_ID.into());
    new.settings = serde_json::json!({
        "dstore_public_key": test_vector("dstore_test_public.pem"),
        "pos_account_id": "acc-7",
        "pos_store_id": STORE,
        "store_name": "Seven",
    });
    new.secret = Some(SecretString::from(test_vector("dstore_test_private.pem")));
    connections::create(hub.pool(), &hub.secrets, &new)
        .await
        .expect("connection")
        .id
}

async fn activate(hub: &Hub, connection: i64) {
    ConnectionsApi::new(hub)
        .set_status(connection, "active")
        .await;
}

async fn list(hub: &Hub, connection: i64, pos_product_id: &str, sku: i64) {
    channel_products::create(
        hub.pool(),
        &NewChannelProduct {
            channel: Channel::Dstore,
            connection_id: connection,
            channel_product_id: pos_product_id.into(),
            sku_id: sku,
        },
    )
    .await
    .expect("channel product");
}

/// The simulator's catalog of [`STORE`]: posProductId → (name, price, available).
fn catalog(sim: &DstoreSimulator) -> BTreeMap<String, (String, i64, bool)> {
    sim.catalog(STORE)
        .map(|synced| synced.products.iter().map(entry).collect())
        .unwrap_or_default()
}

fn entry(item: &SyncProductItem) -> (String, (String, i64, bool)) {
    (
        item.pos_product_id.clone(),
        (item.name.clone(), item.price.value, item.available),
    )
}

fn expected(items: &[(&str, &str, i64, bool)]) -> BTreeMap<String, (String, i64, bool)> {
    items
        .iter()
        .map(|(id, name, price, available)| {
            (id.to_string(), (name.to_string(), *price, *available))
        })
        .collect()
}

/// Makes every catalog row look an hour old, as after a quiet hour (triggers off for the
/// session, or they would touch `updated_at` again).
async fn age_catalog(hub: &Hub) {
    let mut tx = hub.pool().begin().await.expect("tx");
    for statement in [
        "SET LOCAL session_replication_role = replica",
        "UPDATE skus SET updated_at = now() - interval '1 hour'",
        "UPDATE products SET updated_at = now() - interval '1 hour'",
        "UPDATE channel_products SET created_at = now() - interval '1 hour'",
    ] {
        sqlx::query(statement).execute(&mut *tx).await.expect("age");
    }
    tx.commit().await.expect("commit");
}

async fn task_error(hub: &Hub, connection: i64) -> Option<String> {
    sqlx::query_scalar(
        "SELECT last_error FROM scheduled_tasks WHERE job = 'dstore-catalog' AND task_key = $1",
    )
    .bind(connection.to_string())
    .fetch_optional(hub.pool())
    .await
    .expect("task")
    .flatten()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_sync_makes_the_dstore_catalog_equal_ours_and_a_stock_change_follows() {
    let hub = hub().await;
    let sim = dstore_simulator();
    let gateway = sim.spawn().await.expect("D-Store simulator");
    let connection = store_connection(&hub, &gateway.base_url()).await;
    let latte = hub.sku("LATTE", 450, 10).await;
    let mocha = hub.sku("MOCHA", 520, 0).await;
    let tea = hub.sku("TEA", 300, -1).await;
    list(&hub, connection, "latte", latte).await;
    list(&hub, connection, "mocha", mocha).await;
    list(&hub, connection, "tea", tea).await;
    activate(&hub, connection).await;

    let ours = expected(&[
        ("latte", "LATTE", 450, true),
        ("mocha", "MOCHA", 520, false),
        ("tea", "TEA", 300, true),
    ]);
    eventually(WAIT, "D-Store has our whole catalog", || async {
        catalog(&sim) == ours
    })
    .await;
    let synced = sim.catalog(STORE).expect("synced");
    assert_eq!(synced.pos_account_id, "acc-7");
    assert_eq!(synced.store.store_name.as_deref(), Some("Seven"));
    let first = sim.sync_calls();
    assert_eq!(first[0].sync_type, SyncType::Full, "{first:?}");
    assert_eq!(first[0].products, 3);
    assert!(sim.rejections().is_empty(), "every signature verified");

    // A quiet catalog, then a local change: an operator sets the latte out of stock.
    age_catalog(&hub).await;
    stock::set_quantity(hub.pool(), latte, 0)
        .await
        .expect("stock");
    eventually(WAIT, "D-Store shows the latte unavailable", || async {
        catalog(&sim).get("latte").map(|e| e.2) == Some(false)
    })
    .await;
    eventually(WAIT, "an incremental push of the latte alone", || async {
        sim.sync_calls().iter().any(|call| {
            call.applied && call.sync_type == SyncType::Incremental && call.products == 1
        })
    })
    .await;
    assert_eq!(
        catalog(&sim),
        expected(&[
            ("latte", "LATTE", 450, false),
            ("mocha", "MOCHA", 520, false),
            ("tea", "TEA", 300, true),
        ]),
        "an incremental push upserts and keeps the rest"
    );
    assert!(hub.metrics.catalog_pushes("full", "applied") >= 1);
    assert!(hub.metrics.catalog_pushes("incremental", "applied") >= 1);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_stock_change_reaches_the_dstore_catalog_within_a_sync_interval() {
    let hub = hub().await;
    let site = DujiaoSimulator::new(DujiaoSimConfig::default().with_credential(
        "key-b",
        "secret-of-b",
        100_000,
    ));
    let upstream = site.spawn().await.expect("Dujiao simulator");
    let upstream_connection = hub
        .dujiao_connection("b", &upstream.base_url(), "key-b", "secret-of-b")
        .await;
    let sim = dstore_simulator();
    let gateway = sim.spawn().await.expect("D-Store simulator");
    let connection = store_connection(&hub, &gateway.base_url()).await;
    let gift = hub.sku("GIFT", 1_500, -1).await;
    hub.map(
        gift,
        Fulfiller::DujiaoUpstream {
            connection_id: upstream_connection,
            upstream_product_id: Some(1),
            upstream_sku_id: 11,
        },
    )
    .await;
    list(&hub, connection, "gift-card", gift).await;
    activate(&hub, connection).await;

    eventually(
        WAIT,
        "the upstream's stock is ours and D-Store's",
        || async {
            let ours: i32 = sqlx::query_scalar("SELECT stock_quantity FROM skus WHERE id = $1")
                .bind(gift)
                .fetch_one(hub.pool())
                .await
                .expect("sku");
            ours == 5 && catalog(&sim).get("gift-card").map(|e| e.2) == Some(true)
        },
    )
    .await;

    assert!(site.set_stock(11, 0), "upstream SKU 11 exists");
    eventually(WAIT, "D-Store shows the gift card sold out", || async {
        catalog(&sim).get("gift-card").map(|e| e.2) == Some(false)
    })
    .await;
    let ours: i32 = sqlx::query_scalar("SELECT stock_quantity FROM skus WHERE id = $1")
        .bind(gift)
        .fetch_one(hub.pool())
        .await
        .expect("sku");
    assert_eq!(ours, 0, "our SKU shows the upstream's stock");
    let last = sim.sync_calls().into_iter().rfind(|call| call.applied);
    assert_eq!(last.map(|call| call.sync_type), Some(SyncType::Incremental));

    assert!(site.set_stock(11, 3));
    eventually(WAIT, "D-Store shows it back in stock", || async {
        catalog(&sim).get("gift-card").map(|e| e.2) == Some(true)
    })
    .await;
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_answer_and_an_outage_end_with_each_call_applied_once_under_its_request_id() {
    let hub = hub().await;
    let sim = dstore_simulator();
    let gateway = sim.spawn().await.expect("D-Store simulator");
    sim.script_answers([DstoreResult::unknown("try again")]);
    let connection = store_connection(&hub, &gateway.base_url()).await;
    let latte = hub.sku("LATTE", 450, 10).await;
    list(&hub, connection, "latte", latte).await;
    activate(&hub, connection).await;

    let ours = expected(&[("latte", "LATTE", 450, true)]);
    eventually(WAIT, "the full sync is delivered after U", || async {
        catalog(&sim) == ours
    })
    .await;
    let calls = sim.sync_calls();
    assert!(!calls[0].applied, "U: not applied");
    assert_eq!(
        calls[1].request_id, calls[0].request_id,
        "the retry is the same call"
    );
    assert!(calls[1].applied);
    assert_eq!(hub.metrics.catalog_pushes("full", "retry"), 1);

    // D-Store down: every call answers 503 until it is back.
    sim.faults().set(FaultSettings {
        fail_next: 1_000,
        fail_status: 503,
        ..FaultSettings::default()
    });
    stock::set_quantity(hub.pool(), latte, 0)
        .await
        .expect("stock");
    eventually(WAIT, "the outage is the task's error", || async {
        task_error(&hub, connection)
            .await
            .is_some_and(|error| error.contains("503"))
    })
    .await;
    eventually(WAIT, "the push was refused at least twice", || async {
        sim.faults().settings().fail_next <= 998
    })
    .await;
    sim.faults().reset();
    eventually(WAIT, "the change is delivered after the outage", || async {
        catalog(&sim).get("latte").map(|e| e.2) == Some(false)
    })
    .await;
    eventually(WAIT, "a later pass ran clean", || async {
        task_error(&hub, connection).await.is_none()
    })
    .await;
    let calls = sim.sync_calls();
    let mut applied: Vec<&str> = calls
        .iter()
        .filter(|call| call.applied)
        .map(|call| call.request_id.as_str())
        .collect();
    let total = applied.len();
    applied.sort_unstable();
    applied.dedup();
    assert_eq!(
        applied.len(),
        total,
        "no requestId applied twice: {calls:?}"
    );
    assert!(hub.metrics.catalog_pushes("incremental", "retry") >= 2);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_push_is_skipped_shown_and_counted_and_an_operator_full_sync_delivers() {
    let hub = hub().await;
    let sim = dstore_simulator();
    let gateway = sim.spawn().await.expect("D-Store simulator");
    sim.script_answers([DstoreResult::failed("PROCESS_FAIL", "store closed")]);
    let connection = store_connection(&hub, &gateway.base_url()).await;
    let latte = hub.sku("LATTE", 450, 10).await;
    list(&hub, connection, "latte", latte).await;
    activate(&hub, connection).await;

    // The failed run's error is the task's `last_error` until a later run succeeds (the next
    // run goes on at once, so it is read here from the cursor, which keeps it).
    let refusal = eventually(WAIT, "the refusal is recorded in the task", || async {
        let payload: Option<serde_json::Value> = sqlx::query_scalar(
            "SELECT payload FROM scheduled_tasks WHERE job = 'dstore-catalog' AND task_key = $1",
        )
        .bind(connection.to_string())
        .fetch_optional(hub.pool())
        .await
        .expect("task");
        payload.and_then(|p| (!p["last_refusal"].is_null()).then(|| p["last_refusal"].clone()))
    })
    .await;
    assert_eq!(refusal["code"], "PROCESS_FAIL");
    assert_eq!(hub.metrics.catalog_pushes("full", "refused"), 1);
    let refused = sim.sync_calls();
    assert_eq!(refused[0].sync_type, SyncType::Full);
    assert!(!refused[0].applied);
    assert_eq!(refusal["request_id"], refused[0].request_id.as_str());

    // The pass the refusal was in goes on without the batch and ends; an operator then asks
    // for a full push (asked during a pass, it would be that pass's rest).
    eventually(WAIT, "the refused pass ended", || async {
        let payload: serde_json::Value = sqlx::query_scalar(
            "SELECT payload FROM scheduled_tasks WHERE job = 'dstore-catalog' AND task_key = $1",
        )
        .bind(connection.to_string())
        .fetch_one(hub.pool())
        .await
        .expect("task");
        payload["pass"].is_null() && payload["next_full_at"].is_string()
    })
    .await;
    let api = ConnectionsApi::new(&hub);
    let (status, answer) = api
        .call(
            Method::POST,
            &format!("/admin/v1/connections/{connection}/sync?full=true"),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(answer["job"], "dstore-catalog");
    assert_eq!(answer["full"], true);
    eventually(WAIT, "the operator's full sync delivered", || async {
        sim.sync_calls()
            .iter()
            .any(|call| call.applied && call.sync_type == SyncType::Full)
    })
    .await;
    assert_eq!(catalog(&sim), expected(&[("latte", "LATTE", 450, true)]));
    let calls = sim.sync_calls();
    let sent = calls
        .iter()
        .filter(|call| call.request_id == refused[0].request_id)
        .count();
    assert_eq!(sent, 1, "F is never sent again: {calls:?}");
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_and_fifty_products_go_in_three_calls() {
    let hub = hub().await;
    let sim = dstore_simulator();
    let gateway = sim.spawn().await.expect("D-Store simulator");
    let connection = store_connection(&hub, &gateway.base_url()).await;
    seed_catalog(&hub, connection, 250).await;
    activate(&hub, connection).await;

    eventually(WAIT, "all 250 products are at D-Store", || async {
        catalog(&sim).len() == 250
    })
    .await;
    let calls = sim.sync_calls();
    let sizes: Vec<(SyncType, usize)> = calls
        .iter()
        .take(3)
        .map(|call| (call.sync_type, call.products))
        .collect();
    assert_eq!(
        sizes,
        vec![
            (SyncType::Full, 100),
            (SyncType::Incremental, 100),
            (SyncType::Incremental, 50)
        ]
    );
    let synced = catalog(&sim);
    assert_eq!(
        synced.get("pos-250"),
        Some(&("Item 250".to_string(), 350, true))
    );
    hub.stop().await;
}

/// Products, SKUs and channel products `pos-1` … `pos-{count}` for `connection`, in SQL.
async fn seed_catalog(hub: &Hub, connection: i64, count: i32) {
    for statement in [
        "INSERT INTO products (slug, title)
         SELECT 'p-' || n, jsonb_build_object('en', 'Item ' || n) FROM generate_series(1, $1) n",
        "INSERT INTO skus (product_id, sku_code, price_minor, currency, stock_quantity)
         SELECT id, 'S' || substr(slug, 3), 100 + substr(slug, 3)::int, 'CNY', 7 FROM products
         WHERE $1 > 0",
    ] {
        sqlx::query(statement)
            .bind(count)
            .execute(hub.pool())
            .await
            .expect("catalog");
    }
    sqlx::query(
        "INSERT INTO channel_products (channel, connection_id, channel_product_id, sku_id)
         SELECT 'dstore', $1, 'pos-' || substr(sku_code, 2), id FROM skus",
    )
    .bind(connection)
    .execute(hub.pool())
    .await
    .expect("channel products");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: cargo test -p switchyard-workers --test it dstore_catalog::bench -- --ignored --nocapture"]
async fn bench_products_pushed_per_second_without_a_quota() {
    let products: i32 = std::env::var("PRODUCTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000);
    let hub = hub().await;
    let sim = dstore_simulator();
    let gateway = sim.spawn().await.expect("D-Store simulator");
    // rate_limit_per_minute 60,000 (1,000 calls/s): not binding at 100 products a call.
    let connection = store_connection(&hub, &gateway.base_url()).await;
    seed_catalog(&hub, connection, products).await;
    activate(&hub, connection).await;
    let api = ConnectionsApi::new(&hub);
    let started = std::time::Instant::now();
    let (status, _) = api
        .call(
            Method::POST,
            &format!("/admin/v1/connections/{connection}/sync?full=true"),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let wanted = usize::try_from(products).expect("count");
    eventually(
        std::time::Duration::from_secs(600),
        "the whole catalog is at D-Store",
        || async {
            let calls = sim.sync_calls();
            let full = calls.iter().position(|c| c.sync_type == SyncType::Full);
            full.is_some_and(|first| {
                calls[first..]
                    .iter()
                    .filter(|c| c.applied)
                    .map(|c| c.products)
                    .sum::<usize>()
                    >= wanted
            })
        },
    )
    .await;
    let took = started.elapsed();
    let calls = sim.sync_calls().len();
    assert_eq!(catalog(&sim).len(), wanted);
    println!(
        "full push of {products} products ({calls} syncProduct calls) in {took:?}: {:.0} products/s",
        f64::from(products) / took.as_secs_f64()
    );
    hub.stop().await;
}
