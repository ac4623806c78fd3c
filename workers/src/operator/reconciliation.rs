//! The reconciliation routes of the operator API (mounted with the others, behind the one guard).
//!
//! - `POST /admin/v1/reconciliation/runs` `{connection_id, period_start, period_end, run_type}` —
//!   `201 {run}` when requested now, `200 {run}` with the run already there for that
//!   (connection, period, type); `400 invalid` for an empty period, `404` an unknown connection.
//! - `GET /admin/v1/reconciliation/runs?connection_id=&status=&limit=` — `{items}` newest first,
//!   each with its progress (`total_count`, `checked_count`, `matched_count`, `mismatch_count`,
//!   `skipped_count`, `remote_listed_count`, `phase`) and `note` (what it could not check).
//! - `GET /admin/v1/reconciliation/runs/{id}` — the run.
//! - `GET /admin/v1/reconciliation/discrepancies?run_id=&kind=&resolved=&limit=` — `{items}`
//!   oldest first.
//! - `POST /admin/v1/reconciliation/discrepancies/{id}/resolve` `{note, resolved_by?}` —
//!   `{discrepancy}`; `409 invalid_transition` when it is already resolved.

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
use switchyard_runtime::operator::{problem, Body, Filters};
use switchyard_store::reconciliation::{
    self, DiscrepancyFilter, MismatchKind, NewRun, RequestedBy, RunFilter, RunStatus, RunType,
};
use switchyard_store::Inserted;

use super::routes::{bad_request, store_problem};
use crate::reconciler::request_run;

/// The reconciliation routes over `pool`.
pub fn reconciliation_routes(pool: PgPool) -> Router {
    Router::new()
        .route("/admin/v1/reconciliation/runs", post(start).get(runs))
        .route("/admin/v1/reconciliation/runs/{id}", get(run))
        .route("/admin/v1/reconciliation/discrepancies", get(discrepancies))
        .route(
            "/admin/v1/reconciliation/discrepancies/{id}/resolve",
            post(resolve),
        )
        .with_state(pool)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StartBody {
    connection_id: i64,
    period_start: DateTime<Utc>,
    period_end: DateTime<Utc>,
    run_type: RunType,
}

async fn start(State(pool): State<PgPool>, Body(body): Body<StartBody>) -> Response {
    if body.period_end <= body.period_start {
        return problem(
            StatusCode::BAD_REQUEST,
            "invalid",
            "period_end must be after period_start",
        );
    }
    let new = NewRun {
        connection_id: body.connection_id,
        period_start: body.period_start,
        period_end: body.period_end,
        run_type: body.run_type,
        requested_by: RequestedBy::Operator,
    };
    match request_run(&pool, &new).await {
        Ok(Inserted::Created(run)) => {
            (StatusCode::CREATED, Json(json!({ "run": run }))).into_response()
        }
        Ok(Inserted::Existing(run)) => Json(json!({ "run": run })).into_response(),
        Err(error) => store_problem(&error),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RunsQuery {
    connection_id: Option<i64>,
    status: Option<RunStatus>,
    limit: Option<i64>,
}

async fn runs(State(pool): State<PgPool>, Filters(query): Filters<RunsQuery>) -> Response {
    let filter = RunFilter {
        connection_id: query.connection_id,
        status: query.status,
        limit: query.limit.unwrap_or(100).clamp(1, 1_000),
    };
    match reconciliation::list(&pool, &filter).await {
        Ok(items) => Json(json!({ "items": items })).into_response(),
        Err(error) => store_problem(&error),
    }
}

async fn run(State(pool): State<PgPool>, id: Result<Path<i64>, PathRejection>) -> Response {
    let Ok(Path(id)) = id else {
        return bad_request("the id must be a number");
    };
    match reconciliation::get(&pool, id).await {
        Ok(Some(run)) => Json(run).into_response(),
        Ok(None) => problem(StatusCode::NOT_FOUND, "not_found", "run not found"),
        Err(error) => store_problem(&error),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DiscrepanciesQuery {
    run_id: Option<i64>,
    kind: Option<MismatchKind>,
    resolved: Option<bool>,
    limit: Option<i64>,
}

async fn discrepancies(
    State(pool): State<PgPool>,
    Filters(query): Filters<DiscrepanciesQuery>,
) -> Response {
    let filter = DiscrepancyFilter {
        run_id: query.run_id,
        kind: query.kind,
        resolved: query.resolved,
        limit: query.limit.unwrap_or(100).clamp(1, 10_000),
    };
    match reconciliation::items(&pool, &filter).await {
        Ok(items) => Json(json!({ "items": items })).into_response(),
        Err(error) => store_problem(&error),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResolveBody {
    note: String,
    resolved_by: Option<String>,
}

async fn resolve(
    State(pool): State<PgPool>,
    id: Result<Path<i64>, PathRejection>,
    Body(body): Body<ResolveBody>,
) -> Response {
    let Ok(Path(id)) = id else {
        return bad_request("the id must be a number");
    };
    if body.note.trim().is_empty() {
        return problem(StatusCode::BAD_REQUEST, "invalid", "a note is required");
    }
    let by = body.resolved_by.as_deref().unwrap_or("operator");
    match reconciliation::resolve(&pool, id, by, body.note.trim()).await {
        Ok(item) => {
            tracing::info!(
                discrepancy_id = id,
                "operator resolved a reconciliation discrepancy"
            );
            Json(json!({ "discrepancy": item })).into_response()
        }
        Err(error) => store_problem(&error),
    }
}
