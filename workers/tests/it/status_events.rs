//! `orders.status-changed` goes through the outbox: each status change's event is written in
//! the transaction of the change and reaches the topic once, in order — also when the workers
//! that committed the changes are gone before publishing anything (the next drainer sends them).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::PgPool;
use switchyard_store::orders::{self, OrderStatus};
use switchyard_store::outbox::pending_count;
use switchyard_topics::events::{self, OrderStatusChanged, StatusSource};
use switchyard_topics::{
    encode, outbox, Delivery, EventMeta, Handler, HandlerError, OutboxDrainer, Producer, Runner,
    RunnerMetrics,
};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use switchyard_testkit::eventually;

use crate::support::{Hub, WAIT};

/// The drainer's advisory lock ("SYSPOOL"): holding it keeps every drainer from publishing.
const DRAIN_LOCK: i64 = 0x0053_5953_504f_4f4c;

type Seen = Arc<Mutex<Vec<(Uuid, OrderStatusChanged)>>>;

/// Records every delivery of `orders.status-changed` (no deduplication: duplicates show).
#[derive(Clone)]
struct Recorder {
    seen: Seen,
}

impl Handler for Recorder {
    type Event = OrderStatusChanged;

    async fn handle(
        &self,
        event: OrderStatusChanged,
        delivery: &Delivery,
    ) -> Result<(), HandlerError> {
        self.seen
            .lock()
            .expect("recorder")
            .push((delivery.event_id, event));
        Ok(())
    }
}

fn record_status_events(hub: &Hub, stop: &CancellationToken) -> Seen {
    let seen = Seen::default();
    let recorder = Recorder { seen: seen.clone() };
    let runner = Runner::new(
        &hub.kafka,
        "status-reader",
        recorder,
        hub.pool().clone(),
        RunnerMetrics::default(),
    )
    .expect("reader");
    let stop = stop.clone();
    tokio::spawn(async move { runner.run(stop).await.expect("reader run") });
    seen
}

/// Writes a last event for `order` (same key `{channel}:{channel_order_id}`, so same partition)
/// and waits until the reader has it: everything published for the order before it has been
/// read by then. Returns the order's events before it.
async fn read_up_to_a_last_event(hub: &Hub, seen: &Seen, order: Uuid) -> Vec<OrderStatusChanged> {
    let channel_order_id = orders::get(hub.pool(), order)
        .await
        .expect("order")
        .expect("order exists")
        .channel_order_id;
    let last = OrderStatusChanged {
        order_id: order.to_string(),
        channel: events::Channel::Dstore,
        channel_order_id,
        status: events::OrderStatus::Completed,
        previous_status: Some(events::OrderStatus::Delivered),
        source: StatusSource::Operator,
        reason: Some("test: last event".into()),
        refunded_amount: None,
        delivered_at: None,
        changed_at: 0,
    };
    let encoded = encode(&hub.kafka, &last, EventMeta::new()).expect("encode");
    outbox::write(hub.pool(), &encoded).await.expect("write");
    drain(hub.pool(), hub).await;
    eventually(WAIT, "the last event is read", || async {
        seen.lock()
            .expect("seen")
            .iter()
            .any(|(id, _)| *id == encoded.event_id)
    })
    .await;
    let seen = seen.lock().expect("seen").clone();
    let ids: Vec<Uuid> = seen.iter().map(|(id, _)| *id).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "an event was delivered twice");
    seen.into_iter()
        .filter(|(id, event)| *id != encoded.event_id && event.order_id == order.to_string())
        .map(|(_, event)| event)
        .collect()
}

/// Publishes what is pending with a drainer of its own (the workers' may be gone).
async fn drain(pool: &PgPool, hub: &Hub) {
    let drainer = OutboxDrainer::new(
        pool.clone(),
        Producer::new(&hub.kafka).expect("producer"),
        100,
        Duration::from_secs(20),
    );
    while pending_count(pool).await.expect("pending") > 0 {
        if !drainer.drain_once().await.expect("drain").locked {
            tokio::time::sleep(Duration::from_millis(20)).await; // another drainer is at it
        }
    }
}

fn transitions(
    events: &[OrderStatusChanged],
) -> Vec<(Option<events::OrderStatus>, events::OrderStatus)> {
    events
        .iter()
        .map(|event| (event.previous_status, event.status))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_status_change_is_published_once_in_order() {
    let hub = Hub::start().await;
    let stop = CancellationToken::new();
    let seen = record_status_events(&hub, &stop);
    let sku = hub.sku("LOCAL", 100, 10).await;
    let order = hub.place_order(&[(sku, 1)]).await;
    hub.wait_for(order, OrderStatus::Delivered, WAIT).await;

    let events = read_up_to_a_last_event(&hub, &seen, order).await;
    use events::OrderStatus as E;
    assert_eq!(
        transitions(&events),
        vec![
            (Some(E::Accepted), E::Procuring),
            (Some(E::Procuring), E::Delivered)
        ]
    );
    assert!(events.iter().all(|e| e.source == StatusSource::Procurer));
    assert!(events[1].delivered_at.is_some());
    stop.cancel();
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_events_committed_by_workers_that_are_gone_are_published_by_the_next_drainer() {
    let mut hub = Hub::start().await;
    // Hold the drainers' lock: the workers commit their changes but can publish nothing.
    let mut lock = hub.pool().begin().await.expect("begin");
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(DRAIN_LOCK)
        .execute(&mut *lock)
        .await
        .expect("lock");
    let sku = hub.sku("LOCAL", 100, 10).await;
    let order = hub.place_order(&[(sku, 1)]).await;
    hub.wait_for(order, OrderStatus::Delivered, WAIT).await;
    let pending: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM event_outbox WHERE published_at IS NULL AND topic LIKE '%orders.status-changed'",
    )
    .fetch_one(hub.pool())
    .await
    .expect("pending");
    assert_eq!(
        pending, 2,
        "both changes committed with their events, none published"
    );

    // The workers go away without publishing; a later drainer sends what they committed.
    hub.stop_workers().await;
    lock.rollback().await.expect("unlock");
    let stop = CancellationToken::new();
    let seen = record_status_events(&hub, &stop);
    let events = read_up_to_a_last_event(&hub, &seen, order).await;
    use events::OrderStatus as E;
    assert_eq!(
        transitions(&events),
        vec![
            (Some(E::Accepted), E::Procuring),
            (Some(E::Procuring), E::Delivered)
        ]
    );
    eventually(
        Duration::from_secs(5),
        "nothing left to publish",
        || async { pending_count(hub.pool()).await.expect("pending") == 0 },
    )
    .await;
    stop.cancel();
    hub.stop().await;
}
