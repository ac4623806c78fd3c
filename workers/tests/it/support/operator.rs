//! The real operator API for partner connections (the ingress's routes), driven in-process and
//! sharing the hub's connection registry, as `switchyard up` shares one between the ingress and
//! the workers.

use axum::body::Body;
use axum::Router;
use http::{Method, Request, StatusCode};
use prometheus_client::registry::Registry;
use secrecy::SecretString;
use serde_json::{json, Value};
use switchyard_ingress::{Ingress, IngressConfig};
use switchyard_runtime::operator::{guard, AdminToken};
use tower::ServiceExt;

use super::Hub;

const TOKEN: &str = "operator-token-for-the-workers-tests";

/// `/admin/v1/connections/…` of a real ingress over the hub's database and registry.
pub struct ConnectionsApi {
    router: Router,
}

impl ConnectionsApi {
    pub fn new(hub: &Hub) -> Self {
        let ingress = Ingress::new(
            IngressConfig::default(),
            hub.pool().clone(),
            hub.producer.clone(),
            &hub.kafka,
            hub.secrets.clone(),
            hub.connections.clone(),
            &mut Registry::default(),
        )
        .expect("ingress");
        let token = AdminToken::parse(SecretString::from(TOKEN.to_owned())).expect("token");
        let router = guard(ingress.operator_routes(), Some(token));
        Self { router }
    }

    /// `POST /admin/v1/connections/{id}/status`.
    pub async fn set_status(&self, id: i64, status: &str) {
        let path = format!("/admin/v1/connections/{id}/status");
        let answer = self
            .send(Method::POST, &path, json!({ "status": status }))
            .await;
        assert_eq!(answer.0, StatusCode::OK, "{answer:?}");
    }

    /// `PUT /admin/v1/connections/{id}/secret`.
    pub async fn set_secret(&self, id: i64, secret: &str) {
        let path = format!("/admin/v1/connections/{id}/secret");
        let answer = self
            .send(Method::PUT, &path, json!({ "secret": secret }))
            .await;
        assert_eq!(answer.0, StatusCode::NO_CONTENT, "{answer:?}");
    }

    async fn send(&self, method: Method, path: &str, body: Value) -> (StatusCode, String) {
        send(&self.router, method, path, Body::from(body.to_string())).await
    }

    /// `method path` with an empty JSON body: the status and the JSON answer.
    pub async fn call(&self, method: Method, path: &str) -> (StatusCode, Value) {
        let (status, body) = self.send(method, path, json!({})).await;
        (status, serde_json::from_str(&body).expect("JSON answer"))
    }
}

/// One request with the operator token: the status and the body.
async fn send(router: &Router, method: Method, path: &str, body: Body) -> (StatusCode, String) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/json")
        .body(body)
        .expect("request");
    let response = router.clone().oneshot(request).await.expect("answer");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// The workers' operator routes (procurement, cancel, notifications) under the one guard.
pub struct OrdersApi {
    router: Router,
}

impl OrdersApi {
    pub fn new(hub: &Hub) -> Self {
        let routes = switchyard_workers::operator_routes(
            hub.pool().clone(),
            hub.kafka.clone(),
            hub.secrets.clone(),
            switchyard_connections::RegistrySettings {
                ttl: std::time::Duration::ZERO,
                partner_timeout: std::time::Duration::from_secs(5),
                allow_private_partner_urls: true,
            },
        );
        let token = AdminToken::parse(SecretString::from(TOKEN.to_owned())).expect("token");
        Self {
            router: guard(routes, Some(token)),
        }
    }

    /// `GET path` with the operator token: the status and the JSON answer.
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let (status, body) = send(&self.router, Method::GET, path, Body::empty()).await;
        (status, serde_json::from_str(&body).expect("JSON answer"))
    }
}
