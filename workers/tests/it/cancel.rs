//! Must-show 5: cancellation is upstream-first; when the upstream refuses, the local cancel and
//! the refund are refused too.

use std::time::Duration;

use switchyard_simulators::dujiao::{DujiaoSimConfig, DujiaoSimulator, SimSwitches};
use switchyard_store::mappings::Fulfiller;
use switchyard_store::orders::OrderStatus;
use switchyard_store::procurement::ProcurementStatus;
use switchyard_workers::{cancel_order, CancelError};

use crate::support::{Hub, WAIT};

async fn placed_with_upstream(hub: &Hub, site: &DujiaoSimulator, base_url: &str) -> uuid::Uuid {
    let to_b = hub
        .dujiao_connection("b", base_url, "key-b", "secret-of-b")
        .await;
    let sku = hub.sku("FROM-B", 100, -1).await;
    hub.map(
        sku,
        Fulfiller::DujiaoUpstream {
            connection_id: to_b,
            upstream_product_id: None,
            upstream_sku_id: 12,
        },
    )
    .await;
    let order = hub.place_order(&[(sku, 1)]).await;
    crate::support::eventually(WAIT, "the upstream order is placed", || async {
        hub.subs(order).await.first().map(|s| s.status) == Some(ProcurementStatus::Accepted)
    })
    .await;
    assert_eq!(site.orders().len(), 1);
    order
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_refusal_refuses_the_local_cancel() {
    let hub = Hub::start().await;
    let site = DujiaoSimulator::new(
        DujiaoSimConfig {
            refuse_cancel: true,
            ..DujiaoSimConfig::default()
        }
        .with_credential("key-b", "secret-of-b", 10_000),
    );
    let http = site.spawn().await.unwrap();
    let order = placed_with_upstream(&hub, &site, &http.base_url()).await;

    let refused = cancel_order(hub.pool(), &hub.secrets, Duration::from_secs(5), order).await;
    match refused {
        Err(CancelError::UpstreamRefused { code, .. }) => assert_eq!(code, "cancel_not_allowed"),
        other => panic!("expected an upstream refusal, got {other:?}"),
    }
    assert_eq!(
        hub.status(order).await,
        OrderStatus::Procuring,
        "nothing canceled locally"
    );
    assert_eq!(hub.subs(order).await[0].status, ProcurementStatus::Accepted);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_that_agrees_lets_the_order_cancel() {
    let hub = Hub::start().await;
    let site = DujiaoSimulator::new(DujiaoSimConfig::default().with_credential(
        "key-b",
        "secret-of-b",
        10_000,
    ));
    let http = site.spawn().await.unwrap();
    let order = placed_with_upstream(&hub, &site, &http.base_url()).await;
    site.set_switches(SimSwitches::default());

    let outcome = cancel_order(hub.pool(), &hub.secrets, Duration::from_secs(5), order)
        .await
        .expect("canceled");
    assert_eq!(outcome.sub_orders_canceled, 1);
    assert_eq!(hub.status(order).await, OrderStatus::Canceled);
    assert_eq!(
        site.balance("key-b"),
        Some(10_000),
        "upstream refunded our wallet"
    );
    // A second cancel is refused: the order is already canceled.
    assert!(matches!(
        cancel_order(hub.pool(), &hub.secrets, Duration::from_secs(5), order).await,
        Err(CancelError::NotCancelable(_))
    ));
    hub.stop().await;
}
