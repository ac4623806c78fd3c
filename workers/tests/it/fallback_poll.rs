//! The expiry-sweeper's fallback poll of Dujiao-Next orders: a delivery whose callback was lost
//! is found by `GET /orders/:id` and applied exactly as the callback would have been (the
//! downstream site gets its relayed callback); an order never delivered raises the stuck alert
//! once — one metric increment, one operator exception — and is still polled.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;
use switchyard_partners::dujiao::wire::CallbackBody;
use switchyard_simulators::dujiao::{DujiaoSimConfig, DujiaoSimulator, SimSwitches};
use switchyard_store::callbacks::{self, CallbackStatus};
use switchyard_store::orders::{NewOrderItem, OrderStatus};
use switchyard_store::procurement::ProcurementStatus;
use switchyard_store::provider_orders::{self, ProviderOrder};
use switchyard_store::wallets::{self, WalletMove};
use switchyard_store::{credentials, users, Currency};
use switchyard_testkit::eventually;
use switchyard_topics::events::Channel;
use switchyard_workers::expiry_sweeper::dujiao_poll::{self, OVERDUE_CODE};
use switchyard_workers::operator;
use uuid::Uuid;

use crate::support::{Hub, WAIT};

/// The upstream site: it takes orders and, once fulfilled, never calls back.
fn silent_upstream() -> DujiaoSimulator {
    let site = DujiaoSimulator::new(DujiaoSimConfig {
        callback_delay_factor: 0.001,
        ..DujiaoSimConfig::default().with_credential("key-b", "secret-of-b", 100_000)
    });
    site.set_switches(SimSwitches {
        lose_callbacks: true,
        ..SimSwitches::default()
    });
    site
}

/// A downstream site's callback receiver: records every body, answers `ok:true`.
async fn receiver() -> (String, Arc<Mutex<Vec<CallbackBody>>>) {
    let received: Arc<Mutex<Vec<CallbackBody>>> = Arc::default();
    let record = |State(seen): State<Arc<Mutex<Vec<CallbackBody>>>>, body: Bytes| async move {
        seen.lock()
            .expect("test set-up")
            .push(serde_json::from_slice(&body).expect("test set-up"));
        Json(json!({"ok": true, "message": "received"}))
    };
    let router = Router::new()
        .route("/hooks", post(record))
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("test set-up");
    let url = format!(
        "http://{}/hooks",
        listener.local_addr().expect("test set-up")
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_callback_is_found_by_the_fallback_poll_and_relayed_downstream() {
    let hub = Hub::start().await;
    let upstream = silent_upstream();
    let http = upstream.spawn().await.unwrap();
    let sku = hub.sku_from_dujiao(&http.base_url(), "UP").await;

    // A downstream site buys the SKU from us through the provider API.
    let user = users::create(hub.pool(), "site-a", Currency::CNY)
        .await
        .unwrap();
    let mut conn = hub.pool().acquire().await.unwrap();
    let topup = WalletMove {
        user_id: user.id,
        amount_minor: 1_000,
        idempotency_key: "t",
        reference: None,
    };
    wallets::credit(&mut conn, &topup).await.unwrap();
    let issued = credentials::apply(hub.pool(), &hub.secrets, user.id)
        .await
        .unwrap();
    credentials::approve(hub.pool(), issued.credential.id)
        .await
        .unwrap();
    let (url, received) = receiver().await;
    let order = provider_orders::place(
        &mut conn,
        &ProviderOrder {
            id: Uuid::now_v7(),
            credential_id: issued.credential.id,
            downstream_order_no: "A-000001".into(),
            total_minor: 100,
            currency: Currency::CNY,
            callback_url: Some(url),
            trace_id: None,
            items: vec![NewOrderItem {
                sku_id: Some(sku),
                channel_item_id: None,
                title: None,
                quantity: 1,
                unit_price_minor: 100,
                manual_form_data: None,
            }],
        },
    )
    .await
    .unwrap()
    .into_inner();
    hub.accept(
        order.id,
        Channel::DujiaoDownstream,
        &order.channel_order_id,
        &[(sku, 1)],
    )
    .await;
    eventually(WAIT, "the upstream accepted the order", || async {
        hub.subs(order.id)
            .await
            .first()
            .is_some_and(|s| s.status == ProcurementStatus::Accepted)
    })
    .await;
    // The upstream delivers; its callback never leaves.
    assert!(upstream.fulfil(upstream.orders()[0].order_id));

    hub.wait_for(order.id, OrderStatus::Delivered, WAIT).await;
    assert!(upstream.callback_attempts().is_empty(), "no callback came");
    let sub = hub.subs(order.id).await.remove(0);
    assert_eq!(sub.status, ProcurementStatus::Fulfilled);
    let content = sub.delivery_content.unwrap();
    assert!(content["payload"].as_str().unwrap().starts_with("CODE-"));
    eventually(WAIT, "the downstream site acknowledged", || async {
        callbacks::for_order(hub.pool(), order.id)
            .await
            .unwrap()
            .first()
            .map(|c| c.status)
            == Some(CallbackStatus::Delivered)
    })
    .await;
    let bodies = received.lock().unwrap().clone();
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0].status, "delivered");
    assert_eq!(bodies[0].downstream_order_no, "A-000001");
    let polls: i64 = sqlx::query_scalar("SELECT count(*) FROM scheduled_tasks WHERE job = $1")
        .bind(dujiao_poll::JOB)
        .fetch_one(hub.pool())
        .await
        .unwrap();
    assert_eq!(polls, 0, "the poll ended with the delivery");
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_never_delivered_alerts_once_and_is_still_polled() {
    // Scaled by 0.01: polls 0.1 s apart, the alert after 1 s instead of a day.
    let hub = Hub::start_with(|config| {
        config.sweeper.dujiao_poll_ladder_secs = vec![10, 10];
        config.sweeper.dujiao_poll_every_secs = 10;
        config.sweeper.dujiao_stuck_after_secs = 100;
    })
    .await;
    let upstream = silent_upstream();
    let http = upstream.spawn().await.unwrap();
    let sku = hub.sku_from_dujiao(&http.base_url(), "UP").await;
    let order = hub.place_order(&[(sku, 1)]).await;
    eventually(WAIT, "the stuck alert", || async {
        hub.subs(order)
            .await
            .first()
            .is_some_and(|s| s.last_error_code.as_deref() == Some(OVERDUE_CODE))
    })
    .await;
    let upstream_id = upstream.orders()[0].order_id;
    let path = format!("/api/v1/upstream/orders/{upstream_id}");
    let polled_at_alert = upstream.faults().hits(&path);
    eventually(WAIT, "five more polls after the alert", || async {
        upstream.faults().hits(&path) >= polled_at_alert + 5
    })
    .await;
    assert_eq!(hub.metrics.sweeper_stuck_orders(), 1, "alerted once");
    let sub = hub.subs(order).await.remove(0);
    assert_eq!(sub.status, ProcurementStatus::Accepted, "still waiting");
    let view = operator::show(hub.pool(), sub.id).await.unwrap().unwrap();
    assert_eq!(
        view.procurement.last_error_code.as_deref(),
        Some(OVERDUE_CODE)
    );
    let reason = view.procurement.last_error.unwrap();
    assert!(reason.contains("no delivery from the upstream"), "{reason}");
    hub.stop().await;
}
