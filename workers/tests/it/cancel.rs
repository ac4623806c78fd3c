//! Must-show 5: cancellation is upstream-first; when the upstream refuses, the local cancel and
//! the refund are refused too.

use std::time::Duration;

use switchyard_simulators::dujiao::{DujiaoSimConfig, DujiaoSimulator, SimSwitches};
use switchyard_store::orders::OrderStatus;
use switchyard_store::procurement::ProcurementStatus;
use switchyard_workers::{cancel_order, CancelError, CanceledBy};

use switchyard_topics::events::{self, OrderStatusChanged, StatusSource};

use crate::support::{Hub, WAIT};

/// The `orders.status-changed` events written to the outbox for `order`, oldest first.
async fn status_events(hub: &Hub, order: uuid::Uuid) -> Vec<OrderStatusChanged> {
    let payloads: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT payload FROM event_outbox WHERE topic LIKE '%orders.status-changed' ORDER BY id",
    )
    .fetch_all(hub.pool())
    .await
    .expect("outbox");
    payloads
        .iter()
        .map(|payload| switchyard_topics::decode::<OrderStatusChanged>(payload).expect("decodes"))
        .filter(|event| event.order_id == order.to_string())
        .collect()
}

fn canceled(events: &[OrderStatusChanged]) -> Vec<&OrderStatusChanged> {
    events
        .iter()
        .filter(|event| event.status == events::OrderStatus::Canceled)
        .collect()
}

async fn placed_with_upstream(hub: &Hub, site: &DujiaoSimulator, base_url: &str) -> uuid::Uuid {
    let sku = hub.sku_from_dujiao(base_url, "FROM-B").await;
    let order = hub.place_order(&[(sku, 1)]).await;
    switchyard_testkit::eventually(WAIT, "the upstream order is placed", || async {
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

    let refused = cancel_order(
        hub.pool(),
        &hub.kafka,
        &hub.secrets,
        partners(),
        order,
        CanceledBy::Operator,
    )
    .await;
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
    assert!(
        canceled(&status_events(&hub, order).await).is_empty(),
        "a refused cancel announces nothing"
    );
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

    let outcome = cancel_order(
        hub.pool(),
        &hub.kafka,
        &hub.secrets,
        partners(),
        order,
        CanceledBy::Operator,
    )
    .await
    .expect("canceled");
    assert_eq!(outcome.sub_orders_canceled, 1);
    assert_eq!(hub.status(order).await, OrderStatus::Canceled);
    let events = status_events(&hub, order).await;
    let announced = canceled(&events);
    assert_eq!(announced.len(), 1, "one cancel event: {events:?}");
    assert_eq!(announced[0].source, StatusSource::Operator);
    assert_eq!(
        announced[0].previous_status,
        Some(events::OrderStatus::Procuring)
    );
    assert_eq!(
        site.balance("key-b"),
        Some(10_000),
        "upstream refunded our wallet"
    );
    // A second cancel is refused: the order is already canceled.
    assert!(matches!(
        cancel_order(
            hub.pool(),
            &hub.kafka,
            &hub.secrets,
            partners(),
            order,
            CanceledBy::Operator,
        )
        .await,
        Err(CancelError::NotCancelable(_))
    ));
    hub.stop().await;
}

/// Cancels reach the simulator on loopback: the process-level opt-in.
fn partners() -> switchyard_connections::RegistrySettings {
    switchyard_connections::RegistrySettings {
        ttl: Duration::ZERO,
        partner_timeout: Duration::from_secs(5),
        allow_private_partner_urls: true,
    }
}
