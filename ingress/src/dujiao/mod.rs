//! Dujiao-Next endpoints: the provider API downstream sites call (`/api/v1/upstream/*`) and the
//! callback receiver for our upstream connections.

mod auth;
mod callback;
mod cancel;
mod catalog;
mod convert;
mod delivery;
mod order_list;
mod order_view;
mod orders;
mod replay;

use axum::routing::{get, post};
use axum::Router;

pub(crate) use orders::ACCEPTED_CHANNEL;

use crate::state::AppState;

/// Every Dujiao-Next route, with full paths (handlers sign-check `uri.path()`).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/upstream/ping",
            get(catalog::ping).post(catalog::ping),
        )
        .route("/api/v1/upstream/categories", get(catalog::categories))
        .route("/api/v1/upstream/products", get(catalog::products))
        .route("/api/v1/upstream/products/{id}", get(catalog::product))
        .route(
            "/api/v1/upstream/orders",
            get(order_list::list).post(orders::create),
        )
        .route("/api/v1/upstream/orders/{id}", get(order_view::show))
        .route("/api/v1/upstream/orders/{id}/cancel", post(cancel::cancel))
        .route("/api/v1/upstream/callback", post(callback::receive))
}
