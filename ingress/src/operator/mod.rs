//! The operator API (`/admin/v1/...`), JSON over the admin listener, behind a bearer token.
//!
//! Contract: every route requires `Authorization: Bearer <admin token>` (constant-time compare;
//! 401 otherwise); without a configured token every route answers 503 "operator API disabled".
//! Errors are `{error, message}` with a status that says what to do: 400 bad input, 404 unknown
//! id, 409 state conflict or duplicate, 402 insufficient balance, 503 database unavailable
//! (retry). Secrets are returned exactly once, when a credential is issued; never afterwards.
//! Documented for operators in the README ("Operator API").

mod accounts;
mod catalog;
mod connections;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use http::header::AUTHORIZATION;
use http::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use subtle::ConstantTimeEq;
use switchyard_store::StoreError;

use crate::state::AppState;

/// Every operator route, authenticated with `token`.
pub(crate) fn routes(state: AppState, token: Option<SecretString>) -> Router {
    Router::new()
        .route("/admin/v1/users", post(accounts::create_user))
        .route("/admin/v1/credentials", post(accounts::apply_credential))
        .route("/admin/v1/credentials/{id}", get(accounts::show_credential))
        .route(
            "/admin/v1/credentials/{id}/{action}",
            post(accounts::review_credential),
        )
        .route("/admin/v1/wallets/{user_id}", get(accounts::show_wallet))
        .route(
            "/admin/v1/wallets/{user_id}/credit",
            post(accounts::credit_wallet),
        )
        .route("/admin/v1/categories", post(catalog::create_category))
        .route("/admin/v1/products", post(catalog::create_product))
        .route(
            "/admin/v1/products/{id}",
            get(catalog::show_product).delete(catalog::delete_product),
        )
        .route(
            "/admin/v1/products/{id}/active",
            post(catalog::set_product_active),
        )
        .route("/admin/v1/skus", post(catalog::create_sku))
        .route("/admin/v1/skus/{id}/stock", put(catalog::set_stock))
        .route(
            "/admin/v1/connections",
            get(connections::list).post(connections::create),
        )
        .route(
            "/admin/v1/connections/{id}/status",
            post(connections::set_status),
        )
        .route(
            "/admin/v1/connections/{id}/secret",
            put(connections::set_secret),
        )
        .route("/admin/v1/spool", get(connections::spool_status))
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            OperatorToken(token),
            require_token,
        ))
}

#[derive(Clone)]
struct OperatorToken(Option<SecretString>);

async fn require_token(
    State(token): State<OperatorToken>,
    request: Request,
    next: Next,
) -> Response {
    let Some(expected) = token.0 else {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "disabled",
            "operator API disabled: set admin.token",
        );
    };
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    let matches = presented
        .as_bytes()
        .ct_eq(expected.expose_secret().as_bytes());
    if !bool::from(matches) {
        return problem(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or wrong bearer token",
        );
    }
    next.run(request).await
}

/// `{error, message}` with `status`.
pub(crate) fn problem(status: StatusCode, error: &str, message: &str) -> Response {
    (status, Json(json!({ "error": error, "message": message }))).into_response()
}

/// A store failure as an operator answer.
pub(crate) fn store_problem(error: &StoreError) -> Response {
    let message = error.to_string();
    let (status, code) = match error {
        StoreError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
        StoreError::InvalidTransition { .. } => (StatusCode::CONFLICT, "invalid_transition"),
        StoreError::Duplicate { .. } => (StatusCode::CONFLICT, "duplicate"),
        StoreError::IdempotencyConflict => (StatusCode::CONFLICT, "idempotency_conflict"),
        StoreError::InsufficientBalance => (StatusCode::PAYMENT_REQUIRED, "insufficient_balance"),
        StoreError::InsufficientStock => (StatusCode::CONFLICT, "insufficient_stock"),
        StoreError::SkuUnavailable => (StatusCode::CONFLICT, "sku_unavailable"),
        StoreError::Constraint { .. } | StoreError::WrongConnectionKind => {
            (StatusCode::BAD_REQUEST, "invalid")
        }
        StoreError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    };
    problem(status, code, &message)
}

/// A JSON body that did not parse.
pub(crate) fn bad_body(error: &axum::extract::rejection::JsonRejection) -> Response {
    problem(StatusCode::BAD_REQUEST, "bad_request", &error.body_text())
}
