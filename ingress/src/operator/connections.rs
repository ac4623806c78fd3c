//! Operator: partner connections (base URL, keys, encrypted secret, status) and the spool.
//!
//! Per protocol: `dstore` — `api_key` = D-Store's Client-Id, `settings.dstore_public_key` =
//! D-Store's public key (PEM or base64 SPKI), secret = our POS private key (PKCS#8 PEM);
//! `daojia` — secret = the shared push secret; `dujiao_upstream` — `api_key`/secret = the
//! credential the upstream site issued us (it signs its callbacks with them). The full layout
//! per kind is in `switchyard_connections::clients`.
//!
//! Every change invalidates the connection in the process's `ConnectionRegistry` before the
//! answer, so the next inbound check or outbound call in this process uses the new row; other
//! processes pick it up within the registry's TTL. Enabling a connection makes the sub-orders
//! waiting for it due at once. `POST /admin/v1/connections/{id}/test` makes one cheap
//! authenticated call to the partner, whatever the connection's status.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::StatusCode;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{json, Value};
use switchyard_store::connections::{
    self, ConnectionKind, ConnectionStatus, NewConnection, PartnerConnection,
};
use switchyard_store::{procurement, spool};

use switchyard_connections::ConnectionError;

use super::{problem, store_problem};
use crate::state::AppState;
use switchyard_runtime::operator::Body;

fn connection_json(connection: &PartnerConnection) -> Value {
    json!({
        "id": connection.id,
        "kind": connection.kind.as_str(),
        "name": connection.name,
        "base_url": connection.base_url,
        "status": connection.status.as_str(),
        "rate_limit_per_minute": connection.rate_limit_per_minute,
        "retry_max": connection.retry_max,
        "retry_intervals": connection.retry_intervals,
        "api_key": connection.api_key,
        "app_id": connection.app_id,
        "settings": connection.settings,
        "has_secret": connection.has_secret,
    })
}

pub(crate) async fn list(State(state): State<AppState>) -> Response {
    match connections::list(&state.pool, None).await {
        Ok(all) => {
            Json(json!({ "connections": all.iter().map(connection_json).collect::<Vec<_>>() }))
                .into_response()
        }
        Err(error) => store_problem(&error),
    }
}

/// `POST /admin/v1/connections` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConnectionBody {
    kind: ConnectionKind,
    name: String,
    base_url: String,
    #[serde(default)]
    status: Option<ConnectionStatus>,
    #[serde(default)]
    rate_limit_per_minute: Option<i32>,
    #[serde(default)]
    retry_max: Option<i32>,
    #[serde(default)]
    retry_intervals: Option<Vec<i32>>,
    #[serde(default)]
    api_key: Option<String>,
    #[serde(default)]
    app_id: Option<String>,
    #[serde(default)]
    settings: Option<Value>,
    #[serde(default)]
    secret: Option<SecretString>,
}

pub(crate) async fn create(
    State(state): State<AppState>,
    Body(body): Body<ConnectionBody>,
) -> Response {
    let mut new = NewConnection::new(body.kind, body.name, body.base_url);
    new.status = body.status.unwrap_or(new.status);
    new.rate_limit_per_minute = body
        .rate_limit_per_minute
        .unwrap_or(new.rate_limit_per_minute);
    new.retry_max = body.retry_max.unwrap_or(new.retry_max);
    new.retry_intervals = body.retry_intervals.unwrap_or(new.retry_intervals);
    new.api_key = body.api_key;
    new.app_id = body.app_id;
    new.settings = body.settings.unwrap_or(new.settings);
    new.secret = body.secret;
    match connections::create(&state.pool, &state.secret_box, &new).await {
        Ok(connection) => {
            state.connections.invalidate_all();
            (StatusCode::CREATED, Json(connection_json(&connection))).into_response()
        }
        Err(error) => store_problem(&error),
    }
}

/// `{status}` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatusBody {
    status: ConnectionStatus,
}

pub(crate) async fn set_status(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Body(body): Body<StatusBody>,
) -> Response {
    match connections::set_status(&state.pool, id, body.status).await {
        Ok(connection) => {
            state.connections.invalidate(id);
            if connection.status == ConnectionStatus::Active {
                // Sub-orders waiting for this connection are placed now, not at their next check.
                if let Err(error) = procurement::wake_waiting(&state.pool, id).await {
                    tracing::warn!(%error, connection = id, "waking sub-orders waiting for it");
                }
            }
            Json(connection_json(&connection)).into_response()
        }
        Err(error) => store_problem(&error),
    }
}

/// `{secret}` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SecretBody {
    secret: SecretString,
}

pub(crate) async fn set_secret(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Body(body): Body<SecretBody>,
) -> Response {
    match connections::set_secret(&state.pool, &state.secret_box, id, &body.secret).await {
        Ok(()) => {
            state.connections.invalidate(id);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(error) => store_problem(&error),
    }
}

/// Tests connection `id` with one cheap authenticated call (see `switchyard_connections::probe`):
/// `{ok, latency_ms, partner_reply | error}`; 404 for an unknown id.
pub(crate) async fn test(State(state): State<AppState>, Path(id): Path<i64>) -> Response {
    match state.connections.probe(id).await {
        Ok(report) => Json(report).into_response(),
        Err(ConnectionError::NotFound(_)) => {
            problem(StatusCode::NOT_FOUND, "not_found", "connection not found")
        }
        Err(ConnectionError::Store(error)) => store_problem(&error),
        Err(error) => problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            &error.to_string(),
        ),
    }
}

/// How many outbox events still wait for the broker, and how many it refused for good.
pub(crate) async fn spool_status(State(state): State<AppState>) -> Response {
    let counts = async {
        let pending = spool::pending_count(&state.pool).await?;
        let refused = spool::refused_count(&state.pool).await?;
        Ok::<_, switchyard_store::StoreError>((pending, refused))
    };
    match counts.await {
        Ok((pending, refused)) => {
            Json(json!({ "pending": pending, "refused": refused })).into_response()
        }
        Err(error) => store_problem(&error),
    }
}
