//! The ingress's operator routes (`/admin/v1/...`): accounts, credentials, wallets, catalog,
//! channel product mappings, SKU → fulfiller mappings (one by one and imported in bulk),
//! partner connections (their test and their stock sync), product views with upstream stock,
//! and the spool, JSON over the admin listener.
//!
//! Contract: the routes carry no authentication of their own; the process mounts them with the
//! workers' routes under the one token guard of `switchyard_runtime::operator` (401 without the
//! bearer token, 503 `disabled` without a configured one). Errors are `{error, message}` with a
//! status that says what to do: 400 bad input, 404 unknown id, 409 state conflict or duplicate,
//! 402 insufficient balance, 503 database unavailable (retry). Secrets are returned exactly once,
//! when a credential is issued; never afterwards. Documented in the README ("Operator API").

mod accounts;
mod catalog;
mod channel_products;
mod connections;
mod mapping_import;
mod mappings;
mod stock_sync;

use axum::extract::DefaultBodyLimit;
use axum::response::Response;
use axum::routing::{delete, get, post, put};
use axum::Router;
use http::StatusCode;
pub(crate) use switchyard_runtime::operator::problem;
use switchyard_store::StoreError;

use crate::state::AppState;

/// Every operator route of the ingress, without authentication (the process adds the guard).
pub(crate) fn routes(state: AppState) -> Router {
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
        .route(
            "/admin/v1/products",
            post(catalog::create_product).get(stock_sync::list_products),
        )
        .route(
            "/admin/v1/products/{id}",
            get(catalog::show_product).delete(catalog::delete_product),
        )
        .route(
            "/admin/v1/products/{id}/active",
            post(catalog::set_product_active),
        )
        .route("/admin/v1/skus", post(catalog::create_sku))
        .route("/admin/v1/skus/{id}", get(stock_sync::show_sku))
        .route("/admin/v1/skus/{id}/stock", put(catalog::set_stock))
        .route(
            "/admin/v1/channel-products",
            get(channel_products::list).post(channel_products::create),
        )
        .route(
            "/admin/v1/channel-products/{id}",
            delete(channel_products::delete),
        )
        .route(
            "/admin/v1/connections",
            get(connections::list).post(connections::create),
        )
        .route(
            "/admin/v1/connections/{id}/status",
            post(connections::set_status),
        )
        .route(
            "/admin/v1/connections/{id}/sync",
            post(stock_sync::sync_now),
        )
        .route(
            "/admin/v1/connections/{id}/secret",
            put(connections::set_secret),
        )
        .route("/admin/v1/connections/{id}/test", post(connections::test))
        .route(
            "/admin/v1/mappings",
            get(mappings::list).post(mappings::create),
        )
        .route(
            "/admin/v1/mappings/import",
            post(mapping_import::import)
                .layer(DefaultBodyLimit::max(mapping_import::MAX_IMPORT_BYTES)),
        )
        .route("/admin/v1/mappings/{id}/active", post(mappings::set_active))
        .route("/admin/v1/spool", get(connections::spool_status))
        .with_state(state)
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
