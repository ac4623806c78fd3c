//! Test control routes of the simulated site (`/_control/...`), unsigned and never faulted.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::callbacks::CallbackAttempt;
use super::state::{ReceivedOrder, SimSwitches, SiteState};

#[derive(Deserialize)]
struct Credit {
    amount_minor: i64,
}

pub(crate) fn routes(state: Arc<SiteState>) -> Router {
    Router::new()
        .route("/_control/orders", get(orders).post(super::seeding::seed))
        .route(
            "/_control/orders/{id}",
            axum::routing::patch(super::seeding::change).delete(super::seeding::delete),
        )
        .route("/_control/orders/{id}/fulfil", post(fulfil))
        .route("/_control/wallets/{api_key}/credit", post(credit))
        .route("/_control/switches", post(switches))
        .route("/_control/callbacks", get(callbacks))
        .with_state(state)
}

async fn orders(State(site): State<Arc<SiteState>>) -> Json<Vec<ReceivedOrder>> {
    Json(site.orders())
}

async fn fulfil(State(site): State<Arc<SiteState>>, Path(id): Path<u64>) -> StatusCode {
    if SiteState::fulfil(&site, id) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::CONFLICT
    }
}

async fn credit(
    State(site): State<Arc<SiteState>>,
    Path(api_key): Path<String>,
    Json(credit): Json<Credit>,
) -> StatusCode {
    if site.credit(&api_key, credit.amount_minor) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}

async fn switches(
    State(site): State<Arc<SiteState>>,
    Json(switches): Json<SimSwitches>,
) -> StatusCode {
    site.set_switches(switches);
    StatusCode::NO_CONTENT
}

async fn callbacks(State(site): State<Arc<SiteState>>) -> Json<Vec<CallbackAttempt>> {
    Json(site.callback_attempts())
}
