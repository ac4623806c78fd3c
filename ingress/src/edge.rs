//! The edge every partner request passes first: bounded concurrency and the raw body limit.
//!
//! Contract: at most `max_in_flight` partner requests are served at once; the next one is shed
//! at once with the partner's overload answer (429/503) instead of queueing past its deadline. A
//! body over `body_limit_bytes` (declared or actual) gets 413 in the partner's format. Handlers
//! then receive the whole body as `Bytes`, byte for byte, for signature checks.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::header::CONTENT_LENGTH;
use tokio::sync::Semaphore;

use crate::answer::Partner;
use crate::metrics::IngressMetrics;

/// Limits shared by every request of one ingress.
#[derive(Clone)]
pub(crate) struct EdgeLimits {
    pub(crate) in_flight: Arc<Semaphore>,
    pub(crate) body_limit: usize,
    pub(crate) metrics: IngressMetrics,
}

/// Middleware: shed beyond capacity, refuse oversized bodies, buffer the body.
pub(crate) async fn guard(
    State(limits): State<EdgeLimits>,
    request: Request,
    next: Next,
) -> Response {
    let Some(partner) = Partner::of_path(request.uri().path()) else {
        return next.run(request).await;
    };
    let Ok(_permit) = limits.in_flight.clone().try_acquire_owned() else {
        limits.metrics.count("edge", "shed");
        return partner.overloaded();
    };
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limits.body_limit as u64) {
        limits.metrics.count("edge", "too_large");
        return partner.too_large();
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, limits.body_limit).await {
        Ok(bytes) => bytes,
        Err(_) => {
            limits.metrics.count("edge", "too_large");
            return partner.too_large();
        }
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
