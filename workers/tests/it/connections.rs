//! Partner connections through the registry: a disabled fulfiller is never called and its
//! sub-order waits with a visible reason until an operator enables the connection; an operator's
//! status or secret change reaches the next outbound call at once (the hub's registry reuses
//! rows for an hour, so only the operator route's invalidation can explain the change).

use switchyard_connections::ConnectionError;
use switchyard_simulators::dujiao::{DujiaoSimConfig, DujiaoSimulator};
use switchyard_store::mappings::Fulfiller;
use switchyard_store::orders::OrderStatus;
use switchyard_store::procurement::{self, ProcurementStatus, WAITING_FOR_CONNECTION};
use switchyard_workers::operator;

use crate::support::operator::ConnectionsApi;
use crate::support::{Hub, WAIT};
use switchyard_testkit::eventually;

fn site(api_key: &str, api_secret: &str) -> DujiaoSimulator {
    DujiaoSimulator::new(DujiaoSimConfig {
        auto_fulfil: true,
        callback_delay_factor: 0.001,
        ..DujiaoSimConfig::default().with_credential(api_key, api_secret, 100_000)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_fulfiller_is_never_called_and_its_sub_order_waits_until_enabled() {
    let hub = Hub::start().await;
    let api = ConnectionsApi::new(&hub);
    let b = site("key-b", "secret-of-b");
    let b_http = b.spawn().await.unwrap();
    let to_b = hub
        .dujiao_connection("b", &b_http.base_url(), "key-b", "secret-of-b")
        .await;
    // The registry holds the active row before the operator disables it.
    hub.connections.dujiao(to_b).await.expect("active at first");
    api.set_status(to_b, "disabled").await;
    let refused = hub.connections.dujiao(to_b).await.expect_err("disabled");
    assert!(
        matches!(refused, ConnectionError::NotActive { id, .. } if id == to_b),
        "{refused}"
    );

    let sku = hub.sku("FROM-B", 100, -1).await;
    hub.map(
        sku,
        Fulfiller::DujiaoUpstream {
            connection_id: to_b,
            upstream_product_id: Some(1),
            upstream_sku_id: 12,
        },
    )
    .await;
    let order = hub.place_order(&[(sku, 1)]).await;

    // It waits, and is looked at again (its next check moves on) without being sent.
    let checks = std::sync::Mutex::new(Vec::new());
    eventually(
        WAIT,
        "the sub-order is checked twice while waiting",
        || async {
            let subs = hub.subs(order).await;
            let Some(sub) = subs.first() else {
                return false;
            };
            let mut checks = checks.lock().unwrap();
            if sub.last_error_code.as_deref() == Some(WAITING_FOR_CONNECTION) {
                if let Some(at) = sub.next_attempt_at {
                    if checks.last() != Some(&at) {
                        checks.push(at);
                    }
                }
            }
            checks.len() >= 2
        },
    )
    .await;
    let sub = hub.subs(order).await.remove(0);
    assert_eq!(sub.status, ProcurementStatus::Pending, "not failed");
    assert_eq!(sub.attempts, 0, "no attempt spent while waiting");
    assert!(procurement::attempts(hub.pool(), sub.id)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(hub.status(order).await, OrderStatus::Procuring);
    assert!(
        b.faults().all_hits().is_empty(),
        "the disabled fulfiller was called: {:?}",
        b.faults().all_hits()
    );
    let shown = operator::show(hub.pool(), sub.id).await.unwrap().unwrap();
    assert_eq!(
        shown.procurement.last_error_code.as_deref(),
        Some(WAITING_FOR_CONNECTION)
    );
    let reason = shown.procurement.last_error.unwrap_or_default();
    assert!(
        reason.contains(&format!("connection {to_b} is disabled")),
        "{reason}"
    );

    // Enabled again: the order flows, and the wait cost no attempt.
    api.set_status(to_b, "active").await;
    hub.wait_for(order, OrderStatus::Delivered, WAIT).await;
    let sub = hub.subs(order).await.remove(0);
    assert_eq!(sub.attempts, 1);
    assert_eq!(sub.last_error, None);
    assert_eq!(b.orders().len(), 1);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_change_through_the_operator_api_reaches_the_next_outbound_call() {
    let hub = Hub::start().await;
    let api = ConnectionsApi::new(&hub);
    let b = site("key-b", "rotated-secret");
    let b_http = b.spawn().await.unwrap();
    let to_b = hub
        .dujiao_connection("b", &b_http.base_url(), "key-b", "old-secret")
        .await;

    let old = hub.connections.dujiao(to_b).await.unwrap();
    let refused = old
        .ping()
        .await
        .expect_err("the site no longer knows the old secret");
    assert!(!refused.is_retryable(), "{refused}");
    assert!(
        hub.connections
            .dujiao(to_b)
            .await
            .unwrap()
            .ping()
            .await
            .is_err(),
        "cached: still the old secret"
    );

    api.set_secret(to_b, "rotated-secret").await;
    let rotated = hub.connections.dujiao(to_b).await.unwrap();
    rotated.ping().await.expect("signed with the new secret");

    api.set_status(to_b, "pending").await;
    let refused = hub.connections.dujiao(to_b).await.expect_err("pending");
    assert!(refused.is_not_active(), "{refused}");
    hub.stop().await;
}
