//! The axum routes of the procurement operator API (see the module header of `operator`).

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use sqlx::PgPool;
use switchyard_connections::RegistrySettings;
use switchyard_runtime::operator::{problem, Filters};
use switchyard_store::crypto::SecretBox;
use switchyard_store::notifications as channel_notifications;
use switchyard_store::procurement::{ProcurementFilter, ProcurementStatus};
use switchyard_store::StoreError;
use switchyard_topics::KafkaConfig;
use uuid::Uuid;

use crate::cancel::{cancel_order, CancelError, CanceledBy};

#[derive(Clone)]
struct OperatorState {
    pool: PgPool,
    kafka: KafkaConfig,
    secrets: SecretBox,
    partners: RegistrySettings,
}

/// The procurement and cancel routes, without authentication: the process mounts them under
/// the one operator token guard (`switchyard_runtime::operator::guard`).
pub fn operator_routes(
    pool: PgPool,
    kafka: KafkaConfig,
    secrets: SecretBox,
    partners: RegistrySettings,
) -> Router {
    let state = OperatorState {
        pool,
        kafka,
        secrets,
        partners,
    };
    Router::new()
        .route("/admin/v1/procurement/orders", get(list))
        .route("/admin/v1/procurement/orders/{id}", get(show))
        .route("/admin/v1/procurement/orders/{id}/retry", post(retry))
        .route("/admin/v1/orders/{id}/cancel", post(cancel))
        .route("/admin/v1/orders/{id}/notifications", get(notifications))
        .with_state(state.clone())
        .merge(super::reconciliation::reconciliation_routes(state.pool))
}

/// A store failure as an operator answer; internal details stay in the log.
pub(super) fn store_problem(error: &StoreError) -> Response {
    match error {
        StoreError::NotFound(_) => problem(StatusCode::NOT_FOUND, "not_found", &error.to_string()),
        StoreError::InvalidTransition { .. } => problem(
            StatusCode::CONFLICT,
            "invalid_transition",
            &error.to_string(),
        ),
        _ if error.is_transient() => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "database unavailable; try again",
        ),
        _ => {
            tracing::warn!(%error, "operator request failed");
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error",
            )
        }
    }
}

pub(super) fn bad_request(message: &str) -> Response {
    problem(StatusCode::BAD_REQUEST, "bad_request", message)
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

async fn list(State(state): State<OperatorState>, Filters(query): Filters<ListQuery>) -> Response {
    let status = match query
        .status
        .as_deref()
        .map(str::parse::<ProcurementStatus>)
        .transpose()
    {
        Ok(status) => status,
        Err(_) => return bad_request("unknown status"),
    };
    let filter = ProcurementFilter {
        status,
        connection_id: query.connection_id,
        created_from: query.from,
        created_to: query.to,
        limit: query.limit.unwrap_or(100).clamp(1, 1_000),
    };
    match super::list(&state.pool, &filter).await {
        Ok(rows) => Json(json!({ "items": rows })).into_response(),
        Err(error) => store_problem(&error),
    }
}

async fn show(
    State(state): State<OperatorState>,
    id: Result<Path<Uuid>, PathRejection>,
) -> Response {
    let Ok(Path(id)) = id else {
        return bad_request("the id must be a UUID");
    };
    match super::show(&state.pool, id).await {
        Ok(Some(detail)) => Json(detail).into_response(),
        Ok(None) => problem(
            StatusCode::NOT_FOUND,
            "not_found",
            "procurement order not found",
        ),
        Err(error) => store_problem(&error),
    }
}

async fn retry(
    State(state): State<OperatorState>,
    id: Result<Path<Uuid>, PathRejection>,
) -> Response {
    let Ok(Path(id)) = id else {
        return bad_request("the id must be a UUID");
    };
    match super::retry(&state.pool, id).await {
        Ok(view) => Json(json!({ "procurement": view })).into_response(),
        Err(error) => store_problem(&error),
    }
}

async fn cancel(
    State(state): State<OperatorState>,
    id: Result<Path<Uuid>, PathRejection>,
) -> Response {
    let Ok(Path(id)) = id else {
        return bad_request("the id must be a UUID");
    };
    let canceled = cancel_order(
        &state.pool,
        &state.kafka,
        &state.secrets,
        state.partners,
        id,
        CanceledBy::Operator,
    )
    .await;
    match canceled {
        Ok(outcome) => Json(json!({
            "order_id": id,
            "status": "canceled",
            "sub_orders_canceled": outcome.sub_orders_canceled,
            "refunded_minor": outcome.refunded_minor,
        }))
        .into_response(),
        Err(CancelError::NotFound) => {
            problem(StatusCode::NOT_FOUND, "not_found", "order not found")
        }
        Err(refused @ (CancelError::NotCancelable(_) | CancelError::UpstreamRefused { .. })) => {
            problem(
                StatusCode::CONFLICT,
                "cancel_not_allowed",
                &refused.to_string(),
            )
        }
        Err(unavailable @ CancelError::UpstreamUnavailable(_)) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "upstream_unavailable",
            &unavailable.to_string(),
        ),
        Err(CancelError::Step(failure)) => {
            tracing::warn!(error = %failure, "operator cancel failed");
            problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "try again later",
            )
        }
    }
}

/// What the status-syncer told the order's sales channel, call by call.
async fn notifications(
    State(state): State<OperatorState>,
    id: Result<Path<Uuid>, PathRejection>,
) -> Response {
    let Ok(Path(id)) = id else {
        return bad_request("the id must be a UUID");
    };
    match channel_notifications::of_order(&state.pool, id).await {
        Ok(rows) => Json(json!({ "order_id": id, "items": rows })).into_response(),
        Err(error) => store_problem(&error),
    }
}
