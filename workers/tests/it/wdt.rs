//! WDT through Qimen: a WDT-mapped line becomes one signed `trade.push` (the trade's `tid` is the
//! sub-order's idempotency key) and the sub-order is `accepted` — shipping news comes later from
//! the status-syncer's logistics pull, so the parent stays `procuring`; an ERP refusal is an
//! operator's exception with its reason; transient gateway trouble is retried and places once.

use switchyard_domain::{Currency, Money};
use switchyard_partners::qimen::wire::LogisticsSyncItem;
use switchyard_partners::qimen::WdtTradeStatus;
use switchyard_simulators::faults::FaultSettings;
use switchyard_simulators::qimen::{QimenSimulator, QimenSimulatorConfig};
use switchyard_store::mappings::Fulfiller;
use switchyard_store::orders::OrderStatus;
use switchyard_store::procurement::{self, AttemptOutcome, ProcurementStatus};
use switchyard_workers::operator;

use switchyard_testkit::eventually;

use crate::support::{Hub, WAIT};

fn erp_config() -> QimenSimulatorConfig {
    QimenSimulatorConfig {
        app_key: "21345678".into(),
        app_secret: "qimen-secret".into(),
        target_app_key: "wdt-target".into(),
        sid: "wdt2".into(),
        wdt_appkey: "wdt2-ot".into(),
    }
}

/// A hub with a WDT connection to a running simulator and one SKU mapped to it.
async fn wdt_hub() -> (
    Hub,
    QimenSimulator,
    switchyard_simulators::faults::SimulatorHandle,
    i64,
) {
    // The stock-syncer's stock pull would take the one-shot faults these tests inject.
    let hub = Hub::start_except(&["stock-syncer"]).await;
    let erp = QimenSimulator::new(erp_config());
    let http = erp.spawn().await.expect("simulator");
    let connection = hub
        .wdt_connection(&QimenSimulator::gateway_url(&http), &erp_config())
        .await;
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
    (hub, erp, http, sku)
}

async fn wait_for_sub(hub: &Hub, order: uuid::Uuid, status: ProcurementStatus) {
    eventually(WAIT, "the sub-order's status", || async {
        hub.subs(order)
            .await
            .first()
            .is_some_and(|sub| sub.status == status)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wdt_line_is_one_signed_trade_push_and_the_sub_order_waits_for_shipping() {
    let (hub, erp, _http, sku) = wdt_hub().await;
    let order = hub.place_order(&[(sku, 2)]).await;
    wait_for_sub(&hub, order, ProcurementStatus::Accepted).await;

    assert!(
        erp.auth_failures().is_empty(),
        "every call was signed right"
    );
    let pushes = erp.trade_pushes();
    assert_eq!(pushes.len(), 1, "one trade.push");
    let push = &pushes[0];
    assert_eq!((push.shop_no.as_str(), push.switch), ("shop-7", 1));
    assert_eq!(push.trade_list.len(), 1);
    let trade = &push.trade_list[0];
    let sub = hub.subs(order).await.remove(0);
    assert_eq!(trade.tid, sub.idempotency_key, "tid is the idempotency key");
    assert_eq!(trade.trade_status, WdtTradeStatus::Paid);
    assert_eq!(trade.pay_status, 2);
    assert_eq!(trade.paid, Money::from_minor(200, Currency::CNY));
    assert_eq!(trade.order_list.len(), 1);
    let line = &trade.order_list[0];
    assert_eq!(
        (line.spec_no.as_str(), line.goods_no.as_str(), line.num),
        ("TEA-250G", "TEA", 2)
    );
    assert_eq!(line.price, Money::from_minor(100, Currency::CNY));
    assert_eq!(line.oid, format!("{}-1", trade.tid));
    assert_eq!(erp.trades().len(), 1);

    assert_eq!(sub.upstream_order_id.as_deref(), Some(trade.tid.as_str()));
    assert_eq!(sub.amount_minor, 200);
    assert_eq!(sub.attempts, 1);
    assert!(
        sub.delivered_at.is_none(),
        "delivery comes from the logistics pull"
    );
    let attempts = procurement::attempts(hub.pool(), sub.id).await.unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].outcome, AttemptOutcome::Succeeded);
    assert_eq!(hub.status(order).await, OrderStatus::Procuring);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erp_refusal_fails_the_sub_order_for_an_operator_without_cancelling() {
    let (hub, erp, _http, sku) = wdt_hub().await;
    erp.inject_business_errors("isv.invalid-parameter", "spec_no", 1);
    let order = hub.place_order(&[(sku, 1)]).await;
    hub.wait_for(order, OrderStatus::Failed, WAIT).await;

    let sub = hub.subs(order).await.remove(0);
    assert_eq!(sub.status, ProcurementStatus::Failed);
    assert_eq!(
        sub.last_error_code.as_deref(),
        Some("isv.invalid-parameter")
    );
    assert!(
        sub.last_error
            .as_deref()
            .is_some_and(|e| e.contains("spec_no")),
        "{:?}",
        sub.last_error
    );
    assert_eq!(sub.attempts, 1, "a refusal is never retried automatically");
    assert!(sub.next_attempt_at.is_none());
    let detail = operator::show(hub.pool(), sub.id).await.unwrap().unwrap();
    assert_eq!(detail.attempts.len(), 1);
    assert_eq!(detail.attempts[0].outcome, "permanent_failure");
    assert!(erp.trade_pushes().is_empty(), "the ERP took no trade");
    assert!(erp.trades().is_empty());
    // An exception, not a cancellation: the order waits for an operator.
    assert_eq!(hub.status(order).await, OrderStatus::Failed);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_gateway_failures_are_retried_and_the_trade_is_pushed_once() {
    let (hub, erp, _http, sku) = wdt_hub().await;
    erp.faults().set(FaultSettings {
        fail_next: 1,
        fail_status: 503,
        ..FaultSettings::default()
    });
    erp.inject_errors("7", Some("accesscontrol.limited-by-app-access-count"), 1);
    let order = hub.place_order(&[(sku, 1)]).await;
    wait_for_sub(&hub, order, ProcurementStatus::Accepted).await;

    let sub = hub.subs(order).await.remove(0);
    let attempts = procurement::attempts(hub.pool(), sub.id).await.unwrap();
    let outcomes: Vec<_> = attempts
        .iter()
        .map(|a| (a.outcome, a.http_status))
        .collect();
    assert_eq!(
        outcomes,
        vec![
            (AttemptOutcome::TransientFailure, Some(503)),
            (AttemptOutcome::TransientFailure, Some(200)),
            (AttemptOutcome::Succeeded, None),
        ],
        "HTTP 503, then TOP code 7 (call limit), then placed"
    );
    assert_eq!(erp.trade_pushes().len(), 1, "placed once");
    assert_eq!(erp.trades().len(), 1);
    assert_eq!(
        sub.upstream_order_id.as_deref(),
        Some(sub.idempotency_key.as_str())
    );
    assert_eq!(hub.status(order).await, OrderStatus::Procuring);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shipment_pulled_from_wdt_delivers_the_sub_order_and_is_acknowledged_once() {
    let (hub, erp, _http, sku) = wdt_hub().await;
    let order = hub.place_order(&[(sku, 1)]).await;
    wait_for_sub(&hub, order, ProcurementStatus::Accepted).await;
    let sub = hub.subs(order).await.remove(0);

    // The ERP ships the trade: the next pull reports it.
    erp.add_pending_shipment(LogisticsSyncItem {
        rec_id: 77,
        tid: sub.idempotency_key.clone(),
        logistics_no: "SF1234567890".into(),
        logistics_type: 1,
        consign_time: "2026-12-03 10:00:00".into(),
        oids: format!("{}-1", sub.idempotency_key),
        logistics_name: "SF Express".into(),
        sync_status: 0,
    });
    hub.wait_for(order, OrderStatus::Delivered, WAIT).await;
    let sub = hub.subs(order).await.remove(0);
    assert_eq!(sub.status, ProcurementStatus::Fulfilled);
    let content = sub.delivery_content.expect("delivery content");
    assert_eq!(content["logistics_no"], "SF1234567890");
    assert_eq!(content["logistics_name"], "SF Express");

    let acked = eventually(WAIT, "the shipment acknowledged", || async {
        let acks = erp.logistics_acks();
        (!acks.is_empty()).then_some(acks)
    })
    .await;
    assert_eq!(acked.len(), 1);
    assert_eq!((acked[0].rec_id, acked[0].status), (77, 0));
    assert!(erp.pending_shipments().is_empty());

    // The next pull finds nothing: wait until the connection's task has run again.
    let due = |pool: sqlx::PgPool| async move {
        sqlx::query_scalar::<_, chrono::DateTime<chrono::Utc>>(
            "select due_at from scheduled_tasks where job = 'wdt-logistics'",
        )
        .fetch_one(&pool)
        .await
        .expect("the pull is scheduled")
    };
    let before = due(hub.pool().clone()).await;
    eventually(WAIT, "another pull ran", || async {
        due(hub.pool().clone()).await > before
    })
    .await;
    assert_eq!(erp.logistics_acks().len(), 1, "acknowledged once");
    hub.stop().await;
}
