//! Deduplicated delivery of one inbound push: claim its key, produce its event once, remember
//! the answer and where the broker put the event. Endpoints call [`answer_once`]; it counts the
//! outcome under their metric name.
//!
//! Contract: the first push of (channel, key) claims it with a fresh event id and publishes the
//! event durably; a repeat after the answer was recorded gets that exact answer and produces
//! nothing; a repeat while the first is still in flight re-publishes under the *same* event id
//! (consumers deduplicate on it). When the event cannot be made durable the claim is released
//! so the partner's retry starts afresh.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::header::CONTENT_TYPE;
use http::StatusCode;
use switchyard_store::dedupe::{self, Claim, StoredAnswer};
use switchyard_topics::{CodecError, EncodedEvent};
use uuid::Uuid;

use crate::publish::{Durability, PublishError};
use crate::state::AppState;

/// What happened to a push.
enum Delivery {
    /// First time: the event is durable (broker or spool); answer and then record the answer.
    Fresh(Durability),
    /// A repeat: replay this answer.
    Repeat(StoredAnswer),
}

/// Why a push could not be delivered.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DeliverError {
    /// Database or broker+spool unavailable: answer the retryable failure.
    #[error("temporarily unavailable")]
    Unavailable,
    /// The event could not be built or was refused for good (a bug or a schema mismatch).
    #[error("event could not be produced")]
    Broken,
}

/// Claims (channel, key) and publishes the event built by `build` (given the event id).
async fn deliver_once(
    state: &AppState,
    channel: &str,
    key: &str,
    build: impl FnOnce(Uuid) -> Result<EncodedEvent, CodecError>,
) -> Result<Delivery, DeliverError> {
    let fresh_id = Uuid::now_v7();
    let claim = match dedupe::claim(&state.pool, channel, key, fresh_id).await {
        // The earlier claim vanished between insert and read (released): claim again.
        Err(switchyard_store::StoreError::NotFound(_)) => {
            dedupe::claim(&state.pool, channel, key, fresh_id).await
        }
        other => other,
    };
    let event_id = match claim {
        Ok(Claim::New) => fresh_id,
        Ok(Claim::InFlight { event_id }) => event_id,
        Ok(Claim::Answered { answer, .. }) => return Ok(Delivery::Repeat(answer)),
        Err(error) => {
            tracing::warn!(%error, channel, "dedupe claim failed");
            return Err(DeliverError::Unavailable);
        }
    };
    let event = match build(event_id) {
        Ok(event) => event,
        Err(error) => {
            tracing::error!(%error, channel, "event does not encode");
            release(state, channel, key, event_id).await;
            return Err(DeliverError::Broken);
        }
    };
    match state.publisher.publish(&event).await {
        Ok(durability) => Ok(Delivery::Fresh(durability)),
        Err(error) => {
            release(state, channel, key, event_id).await;
            Err(match error {
                PublishError::Unavailable => DeliverError::Unavailable,
                PublishError::Rejected(_) => DeliverError::Broken,
            })
        }
    }
}

async fn release(state: &AppState, channel: &str, key: &str, event_id: Uuid) {
    if let Err(error) = dedupe::release(&state.pool, channel, key, event_id).await {
        tracing::warn!(%error, channel, "could not release a dedupe claim");
    }
}

/// Delivers the push's event once and says what to answer: the first push gets `fresh()` (HTTP
/// 200), recorded so that every repeat gets the same bytes back; a repeat produces nothing.
/// `Err` means the event is not durable: answer the partner's retryable failure. Counts
/// `accepted`, `duplicate` or `unavailable` under `endpoint`.
pub(crate) async fn answer_once(
    state: &AppState,
    endpoint: &'static str,
    channel: &str,
    key: &str,
    build: impl FnOnce(Uuid) -> Result<EncodedEvent, CodecError>,
    fresh: impl FnOnce() -> Vec<u8>,
) -> Result<StoredAnswer, DeliverError> {
    match deliver_once(state, channel, key, build).await {
        Ok(Delivery::Repeat(answer)) => {
            state.metrics.count(endpoint, "duplicate");
            Ok(answer)
        }
        Ok(Delivery::Fresh(durability)) => {
            state.metrics.count(endpoint, "accepted");
            let answer = StoredAnswer {
                status: StatusCode::OK.as_u16(),
                body: fresh(),
            };
            let position = durability.position();
            let recorded = dedupe::record_answer(&state.pool, channel, key, &answer, position);
            if let Err(error) = recorded.await {
                // The event is durable; a repeat re-publishes under the same id, which is harmless.
                tracing::warn!(%error, channel, "could not record the answer of a push");
            }
            Ok(answer)
        }
        Err(error) => {
            state.metrics.count(endpoint, "unavailable");
            Err(error)
        }
    }
}

/// A recorded answer as a plain JSON response.
pub(crate) fn replay(answer: StoredAnswer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    json_response(status, answer.body, Vec::new())
}

/// A JSON response from raw bytes plus headers.
pub(crate) fn json_response(
    status: StatusCode,
    body: Vec<u8>,
    extra_headers: Vec<(&'static str, String)>,
) -> Response {
    let mut builder = Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "application/json");
    for (name, value) in extra_headers {
        builder = builder.header(name, value);
    }
    builder
        .body(Body::from(body))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
