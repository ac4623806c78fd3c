//! The axum routes of the procurement operator API (see the module header of `operator`).

use std::time::Duration;

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;
use sqlx::PgPool;
use subtle::ConstantTimeEq;
use switchyard_store::crypto::SecretBox;
use switchyard_store::procurement::{ProcurementFilter, ProcurementStatus};
use switchyard_store::StoreError;
use uuid::Uuid;

use switchyard_topics::KafkaConfig;

use crate::cancel::{cancel_order, CancelError};

#[derive(Clone)]
struct OperatorState {
    pool: PgPool,
    kafka: KafkaConfig,
    secrets: SecretBox,
    partner_timeout: Duration,
}

/// The operator routes, or an empty router when no admin token is configured.
pub fn operator_routes(
    pool: PgPool,
    kafka: KafkaConfig,
    secrets: SecretBox,
    partner_timeout: Duration,
    token: Option<SecretString>,
) -> Router {
    let Some(token) = token else {
        return Router::new();
    };
    let state = OperatorState {
        pool,
        kafka,
        secrets,
        partner_timeout,
    };
    Router::new()
        .route("/admin/v1/procurement/orders", get(list))
        .route("/admin/v1/procurement/orders/{id}", get(show))
        .route("/admin/v1/procurement/orders/{id}/retry", post(retry))
        .route("/admin/v1/orders/{id}/cancel", post(cancel))
        .with_state(state)
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let token = token.clone();
            async move { authorize(&token, request, next).await }
        }))
}

async fn authorize(token: &SecretString, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or("");
    let expected = token.expose_secret().as_bytes();
    if expected.is_empty() || !bool::from(presented.as_bytes().ct_eq(expected)) {
        return error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or wrong admin token",
        );
    }
    next.run(request).await
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"ok": false, "error_code": code, "error_message": message})),
    )
        .into_response()
}

fn store_error(error: &StoreError) -> Response {
    match error {
        StoreError::NotFound(what) => error_response(StatusCode::NOT_FOUND, "not_found", what),
        StoreError::InvalidTransition { .. } => error_response(
            StatusCode::CONFLICT,
            "invalid_transition",
            &error.to_string(),
        ),
        _ if error.is_transient() => error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "database unavailable",
        ),
        _ => error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "internal error",
        ),
    }
}

fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    error(status, code, message)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    status: Option<String>,
    connection_id: Option<i64>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    limit: Option<i64>,
}

async fn list(State(state): State<OperatorState>, Query(query): Query<ListQuery>) -> Response {
    let status = match query
        .status
        .as_deref()
        .map(str::parse::<ProcurementStatus>)
        .transpose()
    {
        Ok(status) => status,
        Err(_) => return error(StatusCode::BAD_REQUEST, "bad_request", "unknown status"),
    };
    let filter = ProcurementFilter {
        status,
        connection_id: query.connection_id,
        created_from: query.from,
        created_to: query.to,
        limit: query.limit.unwrap_or(100).clamp(1, 1_000),
    };
    match super::list(&state.pool, &filter).await {
        Ok(rows) => Json(json!({"ok": true, "items": rows})).into_response(),
        Err(error) => store_error(&error),
    }
}

async fn show(State(state): State<OperatorState>, Path(id): Path<Uuid>) -> Response {
    match super::show(&state.pool, id).await {
        Ok(Some(detail)) => Json(json!({"ok": true, "procurement": detail.procurement,
                                        "attempts": detail.attempts}))
        .into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, "not_found", "procurement order"),
        Err(error) => store_error(&error),
    }
}

async fn retry(State(state): State<OperatorState>, Path(id): Path<Uuid>) -> Response {
    match super::retry(&state.pool, id).await {
        Ok(view) => Json(json!({"ok": true, "procurement": view})).into_response(),
        Err(error) => store_error(&error),
    }
}

async fn cancel(State(state): State<OperatorState>, Path(id): Path<Uuid>) -> Response {
    match cancel_order(
        &state.pool,
        &state.kafka,
        &state.secrets,
        state.partner_timeout,
        id,
    )
    .await
    {
        Ok(outcome) => Json(json!({"ok": true, "status": "canceled",
            "sub_orders_canceled": outcome.sub_orders_canceled,
            "refunded_minor": outcome.refunded_minor}))
        .into_response(),
        Err(CancelError::NotFound) => {
            error(StatusCode::NOT_FOUND, "order_not_found", "order not found")
        }
        Err(refused @ (CancelError::NotCancelable(_) | CancelError::UpstreamRefused { .. })) => {
            error(
                StatusCode::CONFLICT,
                "cancel_not_allowed",
                &refused.to_string(),
            )
        }
        Err(unavailable @ CancelError::UpstreamUnavailable(_)) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "upstream_unavailable",
            &unavailable.to_string(),
        ),
        Err(CancelError::Step(failure)) => {
            tracing::warn!(error = %failure, "operator cancel failed");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "try again later",
            )
        }
    }
}
