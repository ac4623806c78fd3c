//! The admin listener every process runs (default 127.0.0.1:9464).
//!
//! - `GET /healthz`: 200 while the process serves requests (liveness).
//! - `GET /readyz`: 200 when every required readiness probe passes, else 503; the JSON body
//!   lists each probe (advisory ones too, with `required: false`) and, for failures, a reason
//!   without secrets.
//! - `GET /metrics`: Prometheus text exposition of the process registry.
//!
//! Roles hand their operator routes to [`AdminServer::with_operator_api`], which mounts all of
//! them under the one token guard of [`crate::operator`]; no admin route is mounted without it.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use prometheus_client::registry::Registry;
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use crate::operator::{self, AdminToken};
use crate::readiness::Readiness;

/// `[admin]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminConfig {
    /// Address of the admin listener.
    pub listen: SocketAddr,
    /// Bearer token required by the operator API (at least 16 bytes); unset disables the API.
    pub token: Option<AdminToken>,
}

impl Default for AdminConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 9464)),
            token: None,
        }
    }
}

#[derive(Clone)]
struct AdminState {
    readiness: Readiness,
    registry: Arc<Registry>,
}

/// The admin HTTP server of one process.
pub struct AdminServer {
    router: Router,
}

impl AdminServer {
    /// Health, readiness and metrics routes over the given probes and registry.
    pub fn new(readiness: Readiness, registry: Arc<Registry>) -> Self {
        let state = AdminState {
            readiness,
            registry,
        };
        let router = Router::new()
            .route("/healthz", get(healthz))
            .route("/readyz", get(readyz))
            .route("/metrics", get(metrics))
            .with_state(state);
        Self { router }
    }

    /// Mounts the operator API beside the built-in routes, behind `token` (503 `disabled`
    /// on every route when `None`).
    pub fn with_operator_api(mut self, routes: Router, token: Option<AdminToken>) -> Self {
        self.router = self.router.merge(operator::guard(routes, token));
        self
    }

    /// The router, for in-process tests.
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// Serves on an already bound listener until `shutdown` is cancelled.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: CancellationToken,
    ) -> std::io::Result<()> {
        axum::serve(listener, self.router)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await
    }
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(state): State<AdminState>) -> Response {
    let outcomes = state.readiness.check().await;
    let ready = Readiness::ready(&outcomes);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({ "ready": ready, "checks": outcomes });
    (status, Json(body)).into_response()
}

async fn metrics(State(state): State<AdminState>) -> Response {
    let mut text = String::new();
    match prometheus_client::encoding::text::encode(&mut text, &state.registry) {
        Ok(()) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[cfg(test)]
mod tests;
