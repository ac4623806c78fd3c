//! Callbacks relayed one level down: signed with the downstream credential over the literal
//! path, retried until the site answers 200 + ok:true; and the operator API over the result.

use std::sync::{Arc, Mutex};

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use switchyard_partners::dujiao::wire::CallbackBody;
use switchyard_partners::dujiao::{
    AuthHeaders, DujiaoAuthError, DujiaoVerifier, CALLBACK_SIGNED_PATH,
};
use switchyard_runtime::operator::{guard, AdminToken};
use switchyard_store::callbacks::{self, CallbackStatus};
use switchyard_store::orders::{NewOrderItem, OrderStatus};
use switchyard_store::provider_orders::{self, ProviderOrder};
use switchyard_store::wallets::{self, WalletMove};
use switchyard_store::{credentials, users, Currency};
use switchyard_topics::events::Channel;
use tower::ServiceExt;
use uuid::Uuid;

use switchyard_testkit::eventually;

use crate::support::{Hub, WAIT};

#[derive(Clone)]
struct Site {
    api_key: String,
    secret: SecretString,
    refuse_first: usize,
    received: Arc<Mutex<Vec<CallbackBody>>>,
    verifier: Arc<DujiaoVerifier>,
}

async fn receive(
    State(site): State<Site>,
    headers: HeaderMap,
    body: Bytes,
) -> Json<serde_json::Value> {
    let auth = AuthHeaders::from_headers(&headers);
    let now = chrono::Utc::now().timestamp();
    let secret = site.secret.clone();
    let verified =
        site.verifier
            .verify_with(&auth, "POST", CALLBACK_SIGNED_PATH, &body, now, |key| {
                if key == site.api_key {
                    Ok(secret)
                } else {
                    Err(DujiaoAuthError::InvalidApiKey)
                }
            });
    if verified.is_err() {
        return Json(json!({"ok": false, "message": "bad signature"}));
    }
    let mut received = site.received.lock().expect("receiver lock");
    received.push(serde_json::from_slice(&body).expect("callback body"));
    if received.len() <= site.refuse_first {
        Json(json!({"ok": false, "message": "busy"}))
    } else {
        Json(json!({"ok": true, "message": "received"}))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_downstream_site_gets_its_signed_callback_after_refusing_twice() {
    let hub = Hub::start().await;
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

    let site = Site {
        api_key: issued.credential.api_key.clone(),
        secret: SecretString::from(issued.secret.expose_secret().to_owned()),
        refuse_first: 2,
        received: Arc::default(),
        verifier: Arc::new(DujiaoVerifier::default()),
    };
    let router = Router::new()
        .route("/hooks/switchyard", post(receive))
        .with_state(site.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks/switchyard", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, router).await });

    let sku = hub.sku("LOCAL", 100, 5).await;
    let order = provider_orders::place(
        &mut conn,
        &ProviderOrder {
            id: Uuid::now_v7(),
            credential_id: issued.credential.id,
            downstream_order_no: "A-000001".into(),
            total_minor: 200,
            currency: Currency::CNY,
            callback_url: Some(url),
            trace_id: None,
            items: vec![NewOrderItem {
                sku_id: Some(sku),
                channel_item_id: None,
                title: None,
                quantity: 2,
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
        &[(sku, 2)],
    )
    .await;

    hub.wait_for(order.id, OrderStatus::Delivered, WAIT).await;
    eventually(WAIT, "the callback is acknowledged", || async {
        callbacks::for_order(hub.pool(), order.id)
            .await
            .unwrap()
            .first()
            .map(|c| c.status)
            == Some(CallbackStatus::Delivered)
    })
    .await;
    let delivery = callbacks::for_order(hub.pool(), order.id)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(delivery.attempts, 3, "two refusals, then ok");
    let received = site.received.lock().unwrap().clone();
    assert_eq!(received.len(), 3);
    let body = &received[2];
    assert_eq!(body.event, "order.fulfilled");
    assert_eq!(body.status, "delivered");
    assert_eq!(body.downstream_order_no, "A-000001");
    let payload = body.fulfillment.as_ref().unwrap().payload.expose().clone();
    assert_eq!(payload.lines().count(), 2, "one code per unit: {payload}");
    // Stock was reserved at intake and consumed by the delivery.
    let left: i32 = sqlx::query_scalar("SELECT stock_quantity FROM skus WHERE id = $1")
        .bind(sku)
        .fetch_one(hub.pool())
        .await
        .unwrap();
    assert_eq!(left, 3);

    // The operator API lists the sub-order and refuses callers without the token.
    let token = AdminToken::parse(SecretString::from("op-token-0123456789")).unwrap();
    let routes = guard(
        switchyard_workers::operator_routes(
            hub.pool().clone(),
            hub.kafka.clone(),
            hub.secrets.clone(),
            switchyard_connections::RegistrySettings {
                ttl: std::time::Duration::ZERO,
                partner_timeout: std::time::Duration::from_secs(5),
                allow_private_partner_urls: true, // simulators on loopback
            },
        ),
        Some(token),
    );
    let anonymous = routes
        .clone()
        .oneshot(
            Request::get("/admin/v1/procurement/orders")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let listed = routes
        .oneshot(
            Request::get("/admin/v1/procurement/orders?status=fulfilled")
                .header("authorization", "Bearer op-token-0123456789")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(listed.status(), StatusCode::OK);
    let page: serde_json::Value =
        serde_json::from_slice(&to_bytes(listed.into_body(), 1 << 20).await.unwrap()).unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["delivered"], true);
    assert!(
        page["items"][0].get("delivery_content").is_none(),
        "content stays the buyer's"
    );
    server.abort();
    hub.stop().await;
}
