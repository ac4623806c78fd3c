//! Alipay+ D-Store endpoints where Switchyard is the POS: `createOrder`,
//! `inquireOrderDetail`, `pushOrderChange`, each RSA-verified and answered signed.

mod create_order;
mod inquire;
mod push_change;
mod session;

use axum::routing::post;
use axum::Router;
use switchyard_partners::dstore::wire::paths;

use crate::state::AppState;

/// The D-Store routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(paths::CREATE_ORDER, post(create_order::create_order))
        .route(paths::INQUIRE_ORDER_DETAIL, post(inquire::inquire_order))
        .route(
            paths::PUSH_ORDER_CHANGE,
            post(push_change::push_order_change),
        )
        .route_layer(axum::middleware::from_fn(session::sign_answers))
}
