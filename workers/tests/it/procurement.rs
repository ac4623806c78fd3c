//! Must-show 2 and 3: mixed carts split per fulfiller; transient upstream failures retried on
//! the connection's schedule with every attempt recorded; a refusal is an operator's exception
//! that a manual retry clears.

use switchyard_simulators::dujiao::{DujiaoSimConfig, DujiaoSimulator};
use switchyard_simulators::faults::FaultSettings;
use switchyard_store::mappings::Fulfiller;
use switchyard_store::orders::OrderStatus;
use switchyard_store::procurement::{self, AttemptOutcome, ProcurementStatus};
use switchyard_workers::operator;

use switchyard_testkit::eventually;

use crate::support::{Hub, WAIT};

fn upstream(connection_id: i64, upstream_sku_id: i64) -> Fulfiller {
    Fulfiller::DujiaoUpstream {
        connection_id,
        upstream_product_id: Some(1),
        upstream_sku_id,
    }
}

fn site(api_key: &str, balance_minor: i64, auto_fulfil: bool) -> DujiaoSimulator {
    DujiaoSimulator::new(DujiaoSimConfig {
        auto_fulfil,
        callback_delay_factor: 0.001,
        ..DujiaoSimConfig::default().with_credential(api_key, "secret-of-b", balance_minor)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_cart_is_delivered_only_when_every_sub_order_is() {
    let hub = Hub::start().await;
    let (b, c) = (site("key-b", 100_000, true), site("key-c", 100_000, false));
    let (b_http, c_http) = (b.spawn().await.unwrap(), c.spawn().await.unwrap());
    let to_b = hub
        .dujiao_connection("b", &b_http.base_url(), "key-b", "secret-of-b")
        .await;
    let to_c = hub
        .dujiao_connection("c", &c_http.base_url(), "key-c", "secret-of-b")
        .await;
    let local = hub.sku("LOCAL", 100, 10).await;
    let from_b = hub.sku("FROM-B", 100, -1).await;
    let from_c = hub.sku("FROM-C", 100, -1).await;
    hub.map(from_b, upstream(to_b, 12)).await;
    hub.map(from_c, upstream(to_c, 12)).await;

    let order = hub
        .place_order(&[(local, 2), (from_b, 1), (from_c, 1)])
        .await;
    eventually(WAIT, "local stock and B deliver", || async {
        let subs = hub.subs(order).await;
        subs.iter()
            .filter(|s| s.status == ProcurementStatus::Fulfilled)
            .count()
            == 2
    })
    .await;
    assert_eq!(hub.status(order).await, OrderStatus::PartiallyDelivered);
    let subs = hub.subs(order).await;
    assert_eq!(subs.len(), 3, "one sub-order per fulfiller");
    let statuses: Vec<_> = subs.iter().map(|s| s.status).collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == ProcurementStatus::Fulfilled)
            .count(),
        2
    );
    assert!(
        statuses.contains(&ProcurementStatus::Accepted),
        "{statuses:?}"
    );

    // C delivers last: only now is the parent delivered.
    let c_order = c.orders()[0].order_id;
    assert!(c.fulfil(c_order));
    hub.wait_for(order, OrderStatus::Delivered, WAIT).await;
    let subs = hub.subs(order).await;
    let c_sub = subs.iter().find(|s| s.connection_id == Some(to_c)).unwrap();
    let content = c_sub.delivery_content.as_ref().unwrap();
    assert_eq!(
        content["payload"],
        format!("CODE-{c_order:06}"),
        "content fetched from C"
    );
    assert_eq!(b.orders().len(), 1);
    assert_eq!(c.orders().len(), 1);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_5xx_twice_then_success_is_delivered_with_every_attempt_recorded() {
    let hub = Hub::start().await;
    let b = site("key-b", 100_000, true);
    b.faults().set(FaultSettings {
        fail_next: 2,
        fail_status: 503,
        path_prefix: Some("/api/v1/upstream/orders".into()),
        ..FaultSettings::default()
    });
    let b_http = b.spawn().await.unwrap();
    let to_b = hub
        .dujiao_connection("b", &b_http.base_url(), "key-b", "secret-of-b")
        .await;
    let sku = hub.sku("FROM-B", 100, -1).await;
    hub.map(sku, upstream(to_b, 12)).await;

    let order = hub.place_order(&[(sku, 1)]).await;
    hub.wait_for(order, OrderStatus::Delivered, WAIT).await;
    let sub = &hub.subs(order).await[0];
    let attempts = procurement::attempts(hub.pool(), sub.id).await.unwrap();
    let outcomes: Vec<_> = attempts
        .iter()
        .map(|a| (a.outcome, a.http_status))
        .collect();
    assert_eq!(
        outcomes,
        vec![
            (AttemptOutcome::TransientFailure, Some(503)),
            (AttemptOutcome::TransientFailure, Some(503)),
            (AttemptOutcome::Succeeded, None),
        ]
    );
    assert_eq!(b.orders().len(), 1, "one upstream order, no duplicate");
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insufficient_balance_fails_for_an_operator_and_a_manual_retry_after_top_up_delivers() {
    let hub = Hub::start().await;
    let b = site("key-b", 0, true);
    let b_http = b.spawn().await.unwrap();
    let to_b = hub
        .dujiao_connection("b", &b_http.base_url(), "key-b", "secret-of-b")
        .await;
    let sku = hub.sku("FROM-B", 100, -1).await;
    hub.map(sku, upstream(to_b, 12)).await;

    let order = hub.place_order(&[(sku, 1)]).await;
    hub.wait_for(order, OrderStatus::Failed, WAIT).await;
    let sub = hub.subs(order).await.remove(0);
    assert_eq!(sub.status, ProcurementStatus::Failed);
    assert_eq!(sub.last_error_code.as_deref(), Some("insufficient_balance"));
    assert_eq!(sub.attempts, 1, "never retried automatically");
    let detail = operator::show(hub.pool(), sub.id).await.unwrap().unwrap();
    assert_eq!(detail.attempts[0].outcome, "permanent_failure");
    assert_eq!(detail.attempts[0].http_status, Some(402));
    assert!(b.orders().is_empty());

    assert!(b.credit("key-b", 10_000));
    operator::retry(hub.pool(), sub.id).await.unwrap();
    hub.wait_for(order, OrderStatus::Delivered, WAIT).await;
    let attempts = procurement::attempts(hub.pool(), sub.id).await.unwrap();
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[1].outcome, AttemptOutcome::Succeeded);
    assert_eq!(b.balance("key-b"), Some(10_000 - 150), "debited once");
    // A delivered sub-order cannot be retried again.
    assert!(operator::retry(hub.pool(), sub.id).await.is_err());
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_stop_after_retry_max_and_leave_an_exception() {
    let hub = Hub::start().await;
    let b = site("key-b", 100_000, true);
    b.faults().set(FaultSettings {
        fail_next: 100,
        path_prefix: Some("/api/v1/upstream/orders".into()),
        ..FaultSettings::default()
    });
    let b_http = b.spawn().await.unwrap();
    let to_b = hub
        .dujiao_connection("b", &b_http.base_url(), "key-b", "secret-of-b")
        .await;
    sqlx::query(
        "UPDATE partner_connections SET retry_max = 2, retry_intervals = '{1}' WHERE id = $1",
    )
    .bind(to_b)
    .execute(hub.pool())
    .await
    .unwrap();
    let sku = hub.sku("FROM-B", 100, -1).await;
    hub.map(sku, upstream(to_b, 12)).await;
    let order = hub.place_order(&[(sku, 1)]).await;
    hub.wait_for(order, OrderStatus::Failed, WAIT).await;
    let sub = hub.subs(order).await.remove(0);
    assert_eq!(sub.attempts, 3, "first try + retry_max retries");
    assert_eq!(sub.status, ProcurementStatus::Failed);
    assert!(sub.next_attempt_at.is_none());
    eventually(WAIT, "nothing more is tried", || async {
        procurement::attempts(hub.pool(), sub.id)
            .await
            .unwrap()
            .len()
            == 3
    })
    .await;
    hub.stop().await;
}
