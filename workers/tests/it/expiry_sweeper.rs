//! The expiry-sweeper's vending expiry: an order unpaid at the (scaled) 20 minutes is closed on
//! the platform, its stock returns and the sub-order is an operator exception with the reason;
//! an order paid just before the deadline is untouched. Two sweeper replicas close each due order
//! exactly once.

use std::time::Duration;

use secrecy::SecretString;
use sqlx::postgres::PgPoolOptions;
use switchyard_partners::vending::wire::{CreateOrder, ProductLine};
use switchyard_partners::vending::{MachineNo, TradeId, VendingOrderStatus};
use switchyard_simulators::faults::FaultSettings;
use switchyard_simulators::vending::{VendingSimConfig, VendingSimulator};
use switchyard_store::connections::{self, ConnectionKind, ConnectionStatus, NewConnection};
use switchyard_store::mappings::{Fulfiller, FulfillerKind};
use switchyard_store::orders::{self, Channel, NewOrder, NewOrderItem};
use switchyard_store::procurement::{self, NewProcurement, ProcurementStatus, SourceType};
use switchyard_store::{stock, Currency};
use switchyard_testkit::eventually;
use switchyard_workers::expiry_sweeper::vending_expiry::{self, EXPIRED_CODE};
use switchyard_workers::{operator, registry, WorkerContext, WorkerMetrics};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::support::{Hub, WAIT};

const MACHINE: &str = "12345678";

/// A platform whose own expiry never comes first, so the sweeper's close is what is seen.
fn platform() -> VendingSimulator {
    VendingSimulator::new(VendingSimConfig {
        order_expiry: Duration::from_secs(3600),
        ..VendingSimConfig::default()
    })
}

/// A vending connection that never retries (a failed payment call leaves the order unpaid).
async fn connection_without_retries(hub: &Hub, base_url: &str) -> i64 {
    let mut new = NewConnection::new(ConnectionKind::Vending, "vending", base_url);
    new.status = ConnectionStatus::Active;
    new.rate_limit_per_minute = 60_000;
    new.retry_max = 0;
    new.api_key = Some("app-1".into());
    let secret = serde_json::json!({"app_secret": "app-secret-1", "merchant_key": "10001"});
    new.secret = Some(SecretString::from(secret.to_string()));
    connections::create(hub.pool(), &hub.secrets, &new)
        .await
        .expect("connection")
        .id
}

async fn due_expiries(hub: &Hub) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM scheduled_tasks WHERE job = $1")
        .bind(vending_expiry::JOB)
        .fetch_one(hub.pool())
        .await
        .expect("test set-up")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unpaid_order_is_closed_at_its_deadline_and_one_paid_before_it_is_untouched() {
    let hub = Hub::start().await; // the real 20 minutes, scaled to 12 s
    let platform = platform();
    let http = platform.spawn().await.unwrap();
    // Every call on an order (query, pay) fails: both orders are created, neither is paid.
    platform.faults().set(FaultSettings {
        fail_next: 1_000,
        path_prefix: Some("/api/openapi/v1/orders/".into()),
        ..FaultSettings::default()
    });
    let connection = connection_without_retries(&hub, &http.base_url()).await;
    let sku = hub.sku("SODA", 350, 5).await;
    let machine = Fulfiller::Vending {
        connection_id: connection,
        machine_no: MACHINE.into(),
        product_id: "p1".into(),
    };
    hub.map(sku, machine).await;
    let unpaid = hub.place_order(&[(sku, 1)]).await;
    let paid = hub.place_order(&[(sku, 1)]).await;
    let mut conn = hub.pool().acquire().await.unwrap();
    for order in [unpaid, paid] {
        stock::reserve(&mut conn, order, sku, 1).await.unwrap();
    }
    eventually(WAIT, "both payment calls failed", || async {
        let mut subs = hub.subs(unpaid).await;
        subs.extend(hub.subs(paid).await);
        subs.iter().all(|s| s.status == ProcurementStatus::Failed) && subs.len() == 2
    })
    .await;
    platform.faults().reset();
    assert_eq!(platform.stock(MACHINE, "p1"), Some(3), "both hold stock");

    // The buyer of the second order pays a moment before its deadline.
    let paid_sub = hub.subs(paid).await.remove(0);
    let client = hub.connections.vending(connection).await.unwrap();
    let machine_no = MachineNo::parse(MACHINE).unwrap();
    let paid_platform_id = paid_sub.upstream_order_id.clone().unwrap();
    client
        .mark_paid(&machine_no, &paid_platform_id)
        .await
        .unwrap();

    eventually(WAIT, "both deadlines were handled", || async {
        due_expiries(&hub).await == 0
    })
    .await;
    let closed = hub.subs(unpaid).await.remove(0);
    assert_eq!(closed.status, ProcurementStatus::Failed);
    assert_eq!(closed.last_error_code.as_deref(), Some(EXPIRED_CODE));
    let reason = closed.last_error.clone().unwrap();
    assert!(reason.contains("closed on the platform"), "{reason}");
    // The operator API's view of the sub-order carries the exception and its reason.
    let view = operator::show(hub.pool(), closed.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        view.procurement.last_error_code.as_deref(),
        Some(EXPIRED_CODE)
    );
    assert_eq!(view.procurement.last_error, Some(reason));

    let by_id = |id: &str| {
        platform
            .orders()
            .into_iter()
            .find(|o| o.order_id == id)
            .unwrap()
    };
    let closed_platform_id = closed.upstream_order_id.unwrap();
    assert_eq!(
        by_id(&closed_platform_id).status,
        VendingOrderStatus::Closed
    );
    assert_eq!(by_id(&paid_platform_id).status, VendingOrderStatus::Success);
    assert_eq!(
        platform.stock(MACHINE, "p1"),
        Some(4),
        "the closed order's unit is back"
    );
    let left: i32 = sqlx::query_scalar("SELECT stock_quantity FROM skus WHERE id = $1")
        .bind(sku)
        .fetch_one(hub.pool())
        .await
        .unwrap();
    assert_eq!(
        left, 4,
        "our reservation of the closed order is released, not the paid one's"
    );

    let untouched = hub.subs(paid).await.remove(0);
    assert_eq!(untouched.last_error_code, paid_sub.last_error_code);
    assert_eq!(untouched.status, paid_sub.status);
    hub.stop().await;
}

/// A vending sub-order whose platform order exists, unpaid, with its expiry already due.
async fn unpaid_sub_order(hub: &Hub, connection: i64, n: usize) -> (Uuid, String) {
    let mut conn = hub.pool().acquire().await.expect("test set-up");
    let order = orders::insert(
        &mut conn,
        &NewOrder {
            id: Uuid::now_v7(),
            channel: Channel::Operator,
            channel_order_id: format!("replicas-{n}"),
            source_credential_id: None,
            source_connection_id: None,
            total_minor: 350,
            currency: Currency::CNY,
            callback_url: None,
            trace_id: None,
            items: vec![NewOrderItem {
                sku_id: None,
                channel_item_id: None,
                title: None,
                quantity: 1,
                unit_price_minor: 350,
                manual_form_data: None,
            }],
            contact: None,
        },
    )
    .await
    .expect("test set-up")
    .into_inner();
    let key = format!("{}M{MACHINE}", order.order_no);
    let sub = procurement::create(
        &mut conn,
        &NewProcurement {
            id: Uuid::now_v7(),
            order_id: order.id,
            source_type: SourceType::Outbound,
            fulfiller: Some(FulfillerKind::Vending),
            connection_id: Some(connection),
            credential_id: None,
            idempotency_key: key.clone(),
            amount_minor: 350,
            currency: Currency::CNY,
            items: Vec::new(),
        },
    )
    .await
    .expect("test set-up")
    .into_inner();
    let client = hub
        .connections
        .vending(connection)
        .await
        .expect("test set-up");
    let platform_id = client
        .create_order(&CreateOrder {
            machine_no: MachineNo::parse(MACHINE).expect("test set-up"),
            notify_url: hub.config.vending_notify_url(
                &hub.notify_tokens(),
                MACHINE,
                &sub.id.to_string(),
            ),
            trade_id: TradeId::parse(&key).expect("test set-up"),
            products: vec![ProductLine {
                product_id: "p1".into(),
                quantity: 1,
            }],
        })
        .await
        .expect("test set-up");
    procurement::set_upstream_order_id(hub.pool(), sub.id, &platform_id)
        .await
        .expect("test set-up");
    procurement::mark_failed(hub.pool(), sub.id, "503", "payment call failed")
        .await
        .expect("test set-up");
    let long_ago = chrono::Utc::now() - chrono::Duration::hours(1);
    vending_expiry::schedule(hub.pool(), &hub.config, sub.id, long_ago)
        .await
        .expect("test set-up");
    (sub.id, platform_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sweeper_replicas_close_each_due_order_once() {
    let hub = Hub::start_with(|config| config.poll_batch = 2).await;
    // A second sweeper process: its own pool, metrics and scheduler on the same database.
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect(hub.db.url())
        .await
        .unwrap();
    let replica_metrics = WorkerMetrics::default();
    // (each replica counts its own expiries; together they count every order once)
    let sweeper = registry::find("expiry-sweeper").expect("registered");
    let replica = sweeper
        .prepare(
            &WorkerContext {
                pool,
                ..hub.context()
            },
            &replica_metrics,
        )
        .unwrap();
    let stop = CancellationToken::new();
    let running = tokio::spawn(replica.run(stop.clone()));

    let mut stock = VendingSimConfig::default().stock;
    stock
        .get_mut(MACHINE)
        .unwrap()
        .insert("p1".into(), (100, 350));
    let platform = VendingSimulator::new(VendingSimConfig {
        order_expiry: Duration::from_secs(3600),
        stock,
        ..VendingSimConfig::default()
    });
    let http = platform.spawn().await.unwrap();
    let connection = hub.vending_connection(&http.base_url()).await;
    let mut subs = Vec::new();
    for n in 0..30 {
        subs.push(unpaid_sub_order(&hub, connection, n).await);
    }
    eventually(WAIT, "every expiry ran", || async {
        due_expiries(&hub).await == 0
    })
    .await;
    for (sub_id, platform_id) in &subs {
        let sub = procurement::get(hub.pool(), *sub_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(sub.last_error_code.as_deref(), Some(EXPIRED_CODE));
        // One query and one close per order: a second run would have asked again.
        let path = format!("/api/openapi/v1/orders/{platform_id}");
        assert_eq!(platform.faults().hits(&path), 2, "{path}");
    }
    assert!(platform
        .orders()
        .iter()
        .all(|o| o.status == VendingOrderStatus::Closed));
    let expired = hub.metrics.sweeper_vending_expired() + replica_metrics.sweeper_vending_expired();
    assert_eq!(expired, 30, "each order expired once across the replicas");
    stop.cancel();
    running.await.unwrap().unwrap();
    hub.stop().await;
}
