//! Dujiao-Next provider `POST /orders/:id/cancel`, scoped to the caller's own orders.
//!
//! Contract: this is the upstream-first cancel every cancel goes through
//! (`lifecycle/src/cancel.rs`). Each sub-order already placed with a fulfiller is cancelled there
//! first; when one refuses, or the order is past cancelling (delivered, completed), the answer is
//! 409 `cancel_not_allowed` and nothing changes here. When all agree, one transaction cancels the
//! order, returns its stock, refunds the site's wallet and writes `orders.status-changed` into
//! the outbox (published by the spool drainer; the event exists exactly when the cancel commits).
//! The upstreams get at most `ingress.cancel_timeout_ms`: past it the site gets the retryable
//! `internal_error` while the cancel finishes in the background, and its retry sees the outcome.
//! An order already canceled answers `canceled` again, with no second event.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::StatusCode;
use switchyard_lifecycle::{cancel_order, CancelError, CanceledBy};
use switchyard_partners::dujiao::wire::CancelAnswer;
use switchyard_store::orders::{self, Order, OrderStatus};
use uuid::Uuid;

use super::auth::{Endpoint, SignedCall};
use super::convert::numeric_order_id;
use super::order_view::{authorized_order, not_found};
use crate::state::AppState;

/// `POST /api/v1/upstream/orders/:id/cancel`.
pub(crate) async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
    call: SignedCall,
) -> Response {
    let endpoint = Endpoint::new(&state, "dujiao_cancel");
    let order = match authorized_order(&state, &endpoint, &call, &id).await {
        Ok(order) => order,
        Err(answer) => return answer,
    };
    if order.status == OrderStatus::Canceled {
        endpoint.count("duplicate");
        return canceled(&order);
    }
    let canceling = tokio::spawn(upstream_first(state.clone(), order.id));
    let outcome = match tokio::time::timeout(state.config.cancel_timeout(), canceling).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(panicked)) => return endpoint.unavailable(&panicked),
        Err(_) => return endpoint.unavailable(&"the upstreams did not answer the cancel in time"),
    };
    match outcome {
        Ok(()) => {
            endpoint.count("accepted");
            canceled(&order)
        }
        Err(CancelError::NotFound) => {
            endpoint.count("rejected");
            not_found()
        }
        Err(refused @ (CancelError::NotCancelable(_) | CancelError::UpstreamRefused { .. })) => {
            // A concurrent cancel of the same order won the race: it is canceled all the same.
            if let Ok(Some(now)) = orders::get(&state.pool, order.id).await {
                if now.status == OrderStatus::Canceled {
                    endpoint.count("duplicate");
                    return canceled(&now);
                }
            }
            endpoint.reject(
                StatusCode::CONFLICT,
                "cancel_not_allowed",
                &refused.to_string(),
            )
        }
        Err(error) => endpoint.unavailable(&error),
    }
}

/// The cancel itself, on a task of its own so that a late upstream answer still completes it.
async fn upstream_first(state: AppState, order_id: Uuid) -> Result<(), CancelError> {
    cancel_order(
        &state.pool,
        state.topic_prefix.as_str(),
        &state.secret_box,
        state.connections.settings(),
        order_id,
        CanceledBy::Channel,
    )
    .await
    .map(|_| ())
}

fn canceled(order: &Order) -> Response {
    Json(CancelAnswer {
        ok: true,
        order_id: numeric_order_id(&order.order_no),
        order_no: order.order_no.clone(),
        status: "canceled".to_owned(),
    })
    .into_response()
}
