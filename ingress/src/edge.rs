//! The edge every partner request passes first: admission control and the raw body limit.
//!
//! Contract (in this order):
//! - **Body limit.** A body over `body_limit_bytes` (declared or actual) gets 413 in the partner's
//!   format with `Connection: close`, since the rest of that body is never read and the
//!   connection cannot carry another request. Otherwise the whole body is read first.
//! - **Body deadline.** A body not wholly received within `body_read_timeout` gets 408 in the
//!   partner's format with `Connection: close` (counted `edge`/`body_timeout`), so a client that
//!   trickles its body holds neither a service slot nor its connection for long. (The header
//!   section has its own deadline, enforced by the listener: `listener.rs`.)
//! - **Admission.** At most `max_in_flight` partner requests are in service at once. A request
//!   that finds every slot taken waits for one in arrival order, but at most `max_queue_wait`;
//!   then it is shed with the partner's overload answer (429/503). Under overload the ingress thus
//!   answers every request within `max_queue_wait` + one service time — accepted or shed — instead
//!   of letting them all slide past the partner's deadline. The slot count bounds the work the
//!   ingress takes on (database connections, producer queue); the wait absorbs short bursts.
//! - Handlers then receive the whole body as `Bytes`, byte for byte, for signature checks.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::header::{CONNECTION, CONTENT_LENGTH};
use http::HeaderValue;
use prometheus_client::metrics::gauge::Gauge;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::answer::Partner;
use crate::metrics::IngressMetrics;

/// Limits shared by every request of one ingress.
#[derive(Clone)]
pub(crate) struct EdgeLimits {
    pub(crate) admission: Admission,
    pub(crate) body_limit: usize,
    pub(crate) body_timeout: Duration,
    pub(crate) metrics: IngressMetrics,
}

/// Service slots plus a bounded wait for one.
#[derive(Clone)]
pub(crate) struct Admission {
    slots: Arc<Semaphore>,
    max_wait: Duration,
}

impl Admission {
    /// `slots` requests in service at once (at least one); a request waits at most `max_wait`.
    pub(crate) fn new(slots: usize, max_wait: Duration) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(slots.max(1))),
            max_wait,
        }
    }

    /// A service slot, or `None` when none freed up within the wait (shed the request). While it
    /// waits, the request counts in `waiting`.
    pub(crate) async fn admit(&self, waiting: &Gauge) -> Option<OwnedSemaphorePermit> {
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Some(permit);
        }
        waiting.inc();
        // Tokio's semaphore is fair: waiters are served in arrival order.
        let waited = tokio::time::timeout(self.max_wait, self.slots.clone().acquire_owned()).await;
        waiting.dec();
        waited.ok()?.ok()
    }
}

/// Middleware: refuse oversized bodies, buffer the body, then admit or shed.
///
/// The body is read before admission, so a slow client never holds a service slot and a shed
/// request leaves its connection clean for the next one (keep-alive survives shedding).
pub(crate) async fn guard(
    State(limits): State<EdgeLimits>,
    request: Request,
    next: Next,
) -> Response {
    let Some(partner) = Partner::of_path(request.uri().path()) else {
        return next.run(request).await;
    };
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limits.body_limit as u64) {
        return too_large(&limits, partner);
    }
    let (parts, body) = request.into_parts();
    let read = tokio::time::timeout(
        limits.body_timeout,
        axum::body::to_bytes(body, limits.body_limit),
    )
    .await;
    let bytes = match read {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => return too_large(&limits, partner),
        Err(_) => {
            limits.metrics.count("edge", "body_timeout");
            return closing(partner.too_slow());
        }
    };
    let Some(_slot) = limits.admission.admit(&limits.metrics.waiting).await else {
        limits.metrics.count("edge", "shed");
        return partner.overloaded();
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn too_large(limits: &EdgeLimits, partner: Partner) -> Response {
    limits.metrics.count("edge", "too_large");
    closing(partner.too_large())
}

/// `answer` with `Connection: close`: the rest of the body was not read, so the connection
/// cannot carry another request.
fn closing(mut answer: Response) -> Response {
    answer
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_free_slot_is_taken_at_once_and_a_full_edge_sheds_after_the_wait() {
        let admission = Admission::new(1, Duration::from_millis(20));
        let waiting = Gauge::default();
        let held = admission
            .admit(&waiting)
            .await
            .expect("the first request gets the slot");
        assert!(
            admission.admit(&waiting).await.is_none(),
            "no slot frees up: shed"
        );
        assert_eq!(waiting.get(), 0, "a shed request no longer waits");
        drop(held);
        assert!(
            admission.admit(&waiting).await.is_some(),
            "the slot is back"
        );
    }

    #[tokio::test]
    async fn a_waiting_request_gets_the_slot_freed_during_its_wait() {
        let admission = Admission::new(1, Duration::from_secs(30));
        let waiting = Gauge::default();
        let held = admission.admit(&waiting).await.expect("slot");
        let waiter = tokio::spawn({
            let admission = admission.clone();
            let waiting = waiting.clone();
            async move { admission.admit(&waiting).await.is_some() }
        });
        while waiting.get() == 0 {
            tokio::task::yield_now().await;
        }
        assert!(!waiter.is_finished(), "it waits while the slot is held");
        drop(held);
        assert!(waiter.await.expect("join"), "the queued request was served");
        assert_eq!(waiting.get(), 0);
    }
}
